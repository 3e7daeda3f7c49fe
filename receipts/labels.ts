// Numbers from the IANA COSE, CWT and SCITT registries that atlog uses, by name. Values are
// copied from the registries (RFC 9052, RFC 9053, RFC 9360, RFC 8392, RFC 9597, RFC 9942,
// RFC 9943, the COSE hash envelope); the names are the registries' own, in camelCase.

/** COSE header parameter labels. */
export const HeaderLabel = Object.freeze({
  /** Algorithm (RFC 9052): int; must be in the protected header. */
  alg: 1,
  /** Critical header parameters (RFC 9052): non-empty array of labels; protected only. */
  crit: 2,
  /** Content type (RFC 9052): uint (CoAP content format) or tstr (media type). */
  contentType: 3,
  /** Key identifier (RFC 9052): bstr. */
  kid: 4,
  /** Full initialisation vector (RFC 9052); not used by signatures. */
  iv: 5,
  /** Partial initialisation vector (RFC 9052); not used by signatures. */
  partialIv: 6,
  /** CWT claims (RFC 9597): map; SCITT puts iss and sub here. */
  cwtClaims: 15,
  /** Type of the whole COSE object (RFC 9596). */
  typ: 16,
  /** X.509 certificate chain (RFC 9360). */
  x5chain: 33,
  /** X.509 certificate thumbprint (RFC 9360). */
  x5t: 34,
  /** Hash envelope: hash algorithm of the payload (COSE hash envelope). */
  payloadHashAlg: 258,
  /** Hash envelope: content type of the preimage. */
  preimageContentType: 259,
  /** Hash envelope: where the preimage can be found. */
  payloadLocation: 260,
  /** Receipts of a transparent statement (RFC 9942): array; unprotected. */
  receipts: 394,
  /** Verifiable data structure algorithm of a receipt (RFC 9942): int; protected. */
  vds: 395,
  /** Verifiable data structure proofs of a receipt (RFC 9942): map; unprotected. */
  vdp: 396,
  /**
   * atlog's own, in the private-use range (below -65536): the tree size a signed tree head's root
   * is for, in the protected header. RFC 9942 signs only the root, and a path can lead to the same
   * root under another tree size and leaf index; with the size signed, a receipt's size and index
   * are bound too. Not marked critical, so verifiers that do not know it still accept the receipt.
   */
  treeSize: -65537,
} as const);

/** A COSE header (or key) label: an integer or a text string (RFC 9052 §1.4). */
export type Label = number | string;

/** COSE_Key common and key-type parameter labels (RFC 9052 §7.1, RFC 9053 §7). */
export const KeyLabel = Object.freeze({
  kty: 1,
  kid: 2,
  alg: 3,
  keyOps: 4,
  baseIv: 5,
  /** EC2 and OKP: curve. */
  crv: -1,
  /** EC2: x-coordinate; OKP: the public key. */
  x: -2,
  /** EC2: y-coordinate. */
  y: -3,
  /** EC2 and OKP: the private key. Never published. */
  d: -4,
} as const);

/** COSE key types (RFC 9053 §7). */
export const KeyType = Object.freeze({ OKP: 1, EC2: 2, RSA: 3, Symmetric: 4 } as const);

/** COSE elliptic curves (RFC 9053 §7.1). atlog uses P-256, P-384 and Ed25519. */
export const Curve = Object.freeze({
  P256: 1,
  P384: 2,
  P521: 3,
  X25519: 4,
  X448: 5,
  Ed25519: 6,
  Ed448: 7,
} as const);

/** CWT claim keys (RFC 8392) used in the CWT claims header. */
export const CwtClaim = Object.freeze({ iss: 1, sub: 2, aud: 3, exp: 4, nbf: 5, iat: 6, cti: 7, cnf: 8 } as const);

/** Verifiable data structure algorithms (RFC 9942 registry). */
export const VerifiableDataStructure = Object.freeze({ RFC9162_SHA256: 1 } as const);

/** Proof types under `vdp` for RFC9162_SHA256 (RFC 9942). */
export const VdpProof = Object.freeze({ inclusion: -1, consistency: -2 } as const);

/**
 * COSE hash algorithms (IANA "COSE Algorithms") that atlog accepts as the hash envelope's
 * payload-hash-alg (258): the SHA-2 family only, truncated variants and SHAKE excluded.
 */
export const HashAlgorithm = Object.freeze({ SHA256: -16, SHA384: -43, SHA512: -44 } as const);

export type HashAlgorithm = (typeof HashAlgorithm)[keyof typeof HashAlgorithm];
