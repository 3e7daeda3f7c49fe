// The three signature algorithms atlog signs and verifies with, and the binding of each to exactly
// one kind of key. The binding is what stops cross-algorithm confusion: an ES256 message is only
// ever checked with a P-256 key, an ES384 one with P-384, an EdDSA one with Ed25519.

import { KeyObject, sign, verify } from 'node:crypto';
import { CoseError } from './errors.js';

/** COSE algorithm identifiers (IANA "COSE Algorithms") that atlog implements. */
export const CoseAlgorithm = Object.freeze({
  /** ECDSA with SHA-256 on P-256; signature r‖s, 64 bytes. */
  ES256: -7,
  /** ECDSA with SHA-384 on P-384; signature r‖s, 96 bytes. */
  ES384: -35,
  /** EdDSA; atlog accepts only Ed25519 keys for it (not Ed448); signature 64 bytes. */
  EdDSA: -8,
} as const);

export type CoseAlgorithm = (typeof CoseAlgorithm)[keyof typeof CoseAlgorithm];

/** Curve names as they appear in JWK and in messages. */
export type CurveName = 'P-256' | 'P-384' | 'Ed25519';

/** Everything atlog needs to know about one algorithm. */
export interface AlgorithmProfile {
  readonly alg: CoseAlgorithm;
  /** The name in the IANA registry, also the JOSE `alg`. */
  readonly name: 'ES256' | 'ES384' | 'EdDSA';
  /** The one curve whose keys this algorithm is used with. */
  readonly curve: CurveName;
  /** node:crypto digest for ECDSA; null for EdDSA, which hashes internally. */
  readonly digest: 'sha256' | 'sha384' | null;
  /** Exact signature length in bytes (ECDSA: r‖s, each the curve's field size). */
  readonly signatureLength: number;
  /** Length of one coordinate (EC2 x and y) or of the OKP public key, in bytes. */
  readonly coordinateLength: number;
}

const PROFILES: ReadonlyMap<CoseAlgorithm, AlgorithmProfile> = new Map<CoseAlgorithm, AlgorithmProfile>([
  [-7, Object.freeze({ alg: -7, name: 'ES256', curve: 'P-256', digest: 'sha256', signatureLength: 64, coordinateLength: 32 })],
  [-35, Object.freeze({ alg: -35, name: 'ES384', curve: 'P-384', digest: 'sha384', signatureLength: 96, coordinateLength: 48 })],
  [-8, Object.freeze({ alg: -8, name: 'EdDSA', curve: 'Ed25519', digest: null, signatureLength: 64, coordinateLength: 32 })],
]);

/** The algorithms verification accepts unless the caller narrows the list. */
export const DEFAULT_ALGORITHMS: readonly CoseAlgorithm[] = Object.freeze([
  CoseAlgorithm.ES256,
  CoseAlgorithm.ES384,
  CoseAlgorithm.EdDSA,
]);

export function isCoseAlgorithm(value: unknown): value is CoseAlgorithm {
  return typeof value === 'number' && PROFILES.has(value as CoseAlgorithm);
}

/** The profile of a supported algorithm. */
export function algorithmProfile(alg: CoseAlgorithm): AlgorithmProfile {
  const profile = PROFILES.get(alg);
  if (profile === undefined) throw new CoseError('COSE_BAD_ARGUMENT', `algorithm ${String(alg)} is not supported`);
  return profile;
}

/** The algorithm for a curve: one each, so a key determines its algorithm. */
export function algorithmForCurve(curve: CurveName): CoseAlgorithm {
  for (const profile of PROFILES.values()) if (profile.curve === curve) return profile.alg;
  throw new CoseError('COSE_BAD_ARGUMENT', 'unknown curve');
}

/**
 * The curve of a node:crypto key (public or private), or KEY_UNSUPPORTED for any key atlog does
 * not sign with (RSA, P-521, secp256k1, Ed448, X25519, secret keys…).
 */
export function keyCurve(key: KeyObject): CurveName {
  if (!(key instanceof KeyObject)) throw new CoseError('COSE_BAD_ARGUMENT', 'a key must be a node:crypto KeyObject');
  if (key.type === 'secret') throw new CoseError('KEY_UNSUPPORTED', 'secret keys cannot sign or verify COSE_Sign1');
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'Ed25519';
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'prime256v1') return 'P-256';
    if (curve === 'secp384r1') return 'P-384';
    throw new CoseError('KEY_UNSUPPORTED', 'only the P-256 and P-384 elliptic curves are supported');
  }
  throw new CoseError('KEY_UNSUPPORTED', `${type ?? 'unknown'} keys are not supported (use P-256, P-384 or Ed25519)`);
}

/** The algorithm a key signs with: ES256 for P-256, ES384 for P-384, EdDSA for Ed25519. */
export function keyAlgorithm(key: KeyObject): CoseAlgorithm {
  return algorithmForCurve(keyCurve(key));
}

/**
 * Signs `toBeSigned` (a Sig_structure) with `alg`. The key must be the private key of the
 * algorithm's curve. ECDSA output is raw r‖s as COSE requires (RFC 9053 §2.1), not DER.
 */
export function createSignature(alg: CoseAlgorithm, privateKey: KeyObject, toBeSigned: Uint8Array): Uint8Array {
  const profile = algorithmProfile(alg);
  if (privateKey.type !== 'private') throw new CoseError('KEY_WRONG_TYPE', 'signing needs a private key');
  checkBinding(profile, privateKey);
  const signature =
    profile.digest === null
      ? sign(null, toBeSigned, privateKey)
      : sign(profile.digest, toBeSigned, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength);
}

/**
 * Verifies `signature` over `toBeSigned` with `alg`. Checks, in order: the key is of the
 * algorithm's curve (COSE_KEY_MISMATCH), the signature has the algorithm's exact length
 * (COSE_SIGNATURE_LENGTH), and the signature verifies (COSE_BAD_SIGNATURE).
 */
export function verifySignature(
  alg: CoseAlgorithm,
  publicKey: KeyObject,
  toBeSigned: Uint8Array,
  signature: Uint8Array,
): void {
  const profile = algorithmProfile(alg);
  checkBinding(profile, publicKey);
  if (signature.length !== profile.signatureLength) {
    throw new CoseError(
      'COSE_SIGNATURE_LENGTH',
      `${profile.name} signatures are ${profile.signatureLength} bytes, not ${signature.length}`,
    );
  }
  let valid: boolean;
  try {
    valid =
      profile.digest === null
        ? verify(null, toBeSigned, publicKey, signature)
        : verify(profile.digest, toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch (error) {
    throw new CoseError('COSE_BAD_SIGNATURE', 'signature could not be verified', { cause: error });
  }
  if (!valid) throw new CoseError('COSE_BAD_SIGNATURE', 'signature does not verify');
}

function checkBinding(profile: AlgorithmProfile, key: KeyObject): void {
  const curve = keyCurve(key);
  if (curve !== profile.curve) {
    throw new CoseError('COSE_KEY_MISMATCH', `${profile.name} needs a ${profile.curve} key, not ${curve}`);
  }
}
