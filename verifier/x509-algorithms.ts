// Which keys and signature algorithms an x5chain may use, and the one place where a certificate
// signature is checked. Verification is node:crypto's (OpenSSL), synchronous, over the exact
// tbsCertificate bytes as received; the allow-lists here decide what it is ever asked to verify.

import { constants, type KeyObject, verify } from 'node:crypto';
import { CertificateError } from './errors.js';
import { type DerElement, Tag, contextTag, expectTag, readChildren, readOid, readSmallInteger } from './x509-der.js';

/** The kinds of public key atlog accepts anywhere in a chain. */
export type KeyKind = 'P-256' | 'P-384' | 'P-521' | 'Ed25519' | 'RSA';

/**
 * Keys a statement may be signed with: the curves of the COSE algorithms atlog verifies (ES256 on
 * P-256, ES384 on P-384, EdDSA on Ed25519). A leaf with any other key could never verify a
 * statement, so it is refused here, with a clearer message than a COSE key mismatch would give.
 */
export const LEAF_KEY_KINDS: ReadonlySet<KeyKind> = new Set<KeyKind>(['P-256', 'P-384', 'Ed25519']);

/**
 * Keys that may sign certificates. Wider than the leaf's: real CAs use RSA and P-521 for roots and
 * intermediates, and accepting them costs nothing in the statement format.
 */
export const ISSUER_KEY_KINDS: ReadonlySet<KeyKind> = new Set<KeyKind>(['P-256', 'P-384', 'P-521', 'Ed25519', 'RSA']);

/** RSA below 2048 bits is breakable by well-funded attackers (NIST SP 800-131A disallows it). */
export const RSA_MIN_BITS = 2048;
/** Above 8192 bits verification only gets slower; no public CA issues such keys. */
export const RSA_MAX_BITS = 8192;

/** SubjectPublicKeyInfo algorithms node:crypto is asked to load; anything else is refused unread. */
const SPKI_ALGORITHMS: ReadonlyMap<string, string> = new Map([
  ['1.2.840.10045.2.1', 'id-ecPublicKey'],
  ['1.2.840.113549.1.1.1', 'rsaEncryption'],
  ['1.3.101.112', 'Ed25519'],
]);

/** The key algorithm OID of a SubjectPublicKeyInfo, if atlog knows it; throws otherwise. */
export function checkSpkiAlgorithm(spki: DerElement): void {
  const [algorithm] = readChildren(spki);
  const oid = readOid(readChildren(expectTag(algorithm, Tag.SEQUENCE, 'the key algorithm'))[0], 'the key algorithm');
  if (!SPKI_ALGORITHMS.has(oid)) {
    throw new CertificateError('CERT_UNSUPPORTED_ALGORITHM', `its public key is of type ${oid}, which atlog does not accept`);
  }
}

/** The kind of a loaded public key, or undefined when atlog does not accept it in any role. */
export function keyKindOf(key: KeyObject): KeyKind | undefined {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') return 'Ed25519';
  if (type === 'ec') {
    switch (key.asymmetricKeyDetails?.namedCurve) {
      case 'prime256v1':
        return 'P-256';
      case 'secp384r1':
        return 'P-384';
      case 'secp521r1':
        return 'P-521';
      default:
        return undefined;
    }
  }
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    // An even or tiny public exponent (e = 1 makes every "signature" verify) is no RSA key at all.
    const exponent = key.asymmetricKeyDetails?.publicExponent ?? 0n;
    const sane = exponent >= 3n && exponent % 2n === 1n;
    return sane && bits >= RSA_MIN_BITS && bits <= RSA_MAX_BITS ? 'RSA' : undefined;
  }
  return undefined;
}

/** A key's type in words, for messages: "EC secp256k1", "RSA 1024-bit", … */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `EC ${details?.namedCurve ?? 'with explicit parameters'}`;
  if (key.asymmetricKeyType === 'rsa') return `RSA ${details?.modulusLength ?? '?'}-bit`;
  return key.asymmetricKeyType ?? key.type;
}

/** A signature algorithm atlog accepts on certificates, resolved from its AlgorithmIdentifier. */
export interface SignatureAlgorithm {
  /** The RFC name, for messages. */
  readonly name: string;
  /** The family of key that can have made this signature. */
  readonly keyFamily: 'EC' | 'Ed25519' | 'RSA';
  /** node:crypto digest; null for Ed25519, which hashes internally. */
  readonly digest: 'sha256' | 'sha384' | 'sha512' | null;
  /** RSA only: PKCS#1 v1.5 or PSS; PSS carries its salt length (always the digest's length). */
  readonly rsa?: { readonly padding: 'pkcs1' } | { readonly padding: 'pss'; readonly saltLength: number };
}

/** RFC 5758 §3.2: ECDSA and EdDSA parameters MUST be absent; RFC 4055 §5: RSA ones NULL (absent tolerated). */
type Parameters = 'absent' | 'null-or-absent';

function accepted(name: string, keyFamily: SignatureAlgorithm['keyFamily'], digest: SignatureAlgorithm['digest'], parameters: Parameters) {
  const algorithm: SignatureAlgorithm = keyFamily === 'RSA' ? { name, keyFamily, digest, rsa: { padding: 'pkcs1' } } : { name, keyFamily, digest };
  return { algorithm: Object.freeze(algorithm), parameters };
}

const ACCEPTED: ReadonlyMap<string, { algorithm: SignatureAlgorithm; parameters: Parameters }> = new Map([
  ['1.2.840.10045.4.3.2', accepted('ecdsa-with-SHA256', 'EC', 'sha256', 'absent')],
  ['1.2.840.10045.4.3.3', accepted('ecdsa-with-SHA384', 'EC', 'sha384', 'absent')],
  ['1.2.840.10045.4.3.4', accepted('ecdsa-with-SHA512', 'EC', 'sha512', 'absent')],
  ['1.3.101.112', accepted('Ed25519', 'Ed25519', null, 'absent')],
  ['1.2.840.113549.1.1.11', accepted('sha256WithRSAEncryption', 'RSA', 'sha256', 'null-or-absent')],
  ['1.2.840.113549.1.1.12', accepted('sha384WithRSAEncryption', 'RSA', 'sha384', 'null-or-absent')],
  ['1.2.840.113549.1.1.13', accepted('sha512WithRSAEncryption', 'RSA', 'sha512', 'null-or-absent')],
]);

const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';
const PSS_DIGESTS: ReadonlyMap<string, { digest: 'sha256' | 'sha384' | 'sha512'; length: number }> = new Map([
  ['2.16.840.1.101.3.4.2.1', { digest: 'sha256', length: 32 }],
  ['2.16.840.1.101.3.4.2.2', { digest: 'sha384', length: 48 }],
  ['2.16.840.1.101.3.4.2.3', { digest: 'sha512', length: 64 }],
] as const);

/** Algorithms met in the wild that atlog refuses on purpose, named so the message can say why. */
const REFUSED: ReadonlyMap<string, string> = new Map([
  ['1.2.840.113549.1.1.4', 'md5WithRSAEncryption'],
  ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
  ['1.2.840.113549.1.1.14', 'sha224WithRSAEncryption'],
  ['1.2.840.10045.4.1', 'ecdsa-with-SHA1'],
  ['1.2.840.10045.4.3.1', 'ecdsa-with-SHA224'],
  ['1.2.840.10040.4.3', 'dsa-with-sha1'],
  ['2.16.840.1.101.3.4.3.2', 'dsa-with-sha256'],
  ['1.3.101.113', 'Ed448'],
]);

function unsupported(message: string): CertificateError {
  return new CertificateError('CERT_UNSUPPORTED_ALGORITHM', message);
}

function malformed(message: string): CertificateError {
  return new CertificateError('CERT_MALFORMED', message);
}

/** Resolves a certificate's signature AlgorithmIdentifier, or throws CERT_UNSUPPORTED_ALGORITHM. */
export function signatureAlgorithmOf(algorithmIdentifier: DerElement): SignatureAlgorithm {
  const [oidElement, parameters, ...extra] = readChildren(expectTag(algorithmIdentifier, Tag.SEQUENCE, 'the signature algorithm'));
  if (extra.length > 0) throw malformed('the signature algorithm has extra fields');
  const oid = readOid(oidElement, 'the signature algorithm');
  if (oid === RSASSA_PSS) return pssAlgorithm(parameters);
  const entry = ACCEPTED.get(oid);
  if (entry === undefined) {
    const name = REFUSED.get(oid);
    throw unsupported(`signed with ${name === undefined ? oid : `${name} (${oid})`}, which atlog does not accept`);
  }
  checkParameters(parameters, entry.parameters, entry.algorithm.name);
  return entry.algorithm;
}

function checkParameters(parameters: DerElement | undefined, rule: Parameters, name: string): void {
  if (parameters === undefined) return;
  if (rule === 'null-or-absent' && parameters.tag === Tag.NULL) return;
  throw malformed(`${name} has parameters, which RFC 5758 / RFC 4055 forbid`);
}

/**
 * RSASSA-PSS (RFC 4055 §3.1), accepted only in the shape CAs actually issue and the CA/Browser
 * Forum pins: an explicit SHA-256/384/512 hash, MGF1 with the same hash, a salt as long as the
 * digest, and the default trailer. The defaults (SHA-1, MGF1-SHA-1, 20-byte salt) are refused,
 * and so is an MGF1 hash that differs from the message hash, which node:crypto cannot express.
 */
function pssAlgorithm(parameters: DerElement | undefined): SignatureAlgorithm {
  const fields = parameters === undefined ? [] : readChildren(expectTag(parameters, Tag.SEQUENCE, 'the RSASSA-PSS parameters'));
  const field = pssFields(fields);
  if (field[3] !== undefined) throw unsupported('signed with RSASSA-PSS with an explicit trailer field, which atlog does not accept');
  if (field[0] === undefined) throw unsupported('signed with RSASSA-PSS over SHA-1 (the default), which atlog does not accept');
  const hashOid = hashAlgorithmOid(explicitField(field[0], 0, 'the RSASSA-PSS hash'), 'the RSASSA-PSS hash');
  const hash = PSS_DIGESTS.get(hashOid);
  if (hash === undefined) throw unsupported(`signed with RSASSA-PSS over hash ${hashOid}, which atlog does not accept`);
  if (field[1] === undefined) throw unsupported('signed with RSASSA-PSS with MGF1 over SHA-1 (the default), which atlog does not accept');
  const mgf = readChildren(expectTag(explicitField(field[1], 1, 'the RSASSA-PSS mask generation'), Tag.SEQUENCE, 'the RSASSA-PSS mask generation'));
  if (mgf.length !== 2 || readOid(mgf[0], 'the RSASSA-PSS mask generation') !== MGF1) {
    throw unsupported('signed with RSASSA-PSS with a mask generation function other than MGF1');
  }
  if (hashAlgorithmOid(mgf[1], 'the MGF1 hash') !== hashOid) throw unsupported('signed with RSASSA-PSS whose MGF1 hash differs from its message hash');
  const saltLength = field[2] === undefined ? 20 : readSmallInteger(explicitField(field[2], 2, 'the RSASSA-PSS salt length'), 'the RSASSA-PSS salt length');
  if (saltLength !== hash.length) {
    throw unsupported(`signed with RSASSA-PSS with a ${saltLength}-byte salt; atlog requires the digest length (${hash.length})`);
  }
  return { name: `RSASSA-PSS with ${hash.digest.toUpperCase()}`, keyFamily: 'RSA', digest: hash.digest, rsa: { padding: 'pss', saltLength } };
}

/** The optional fields [0]…[3] of RSASSA-PSS-params by number, in order, each at most once. */
function pssFields(fields: readonly DerElement[]): (DerElement | undefined)[] {
  const byNumber: (DerElement | undefined)[] = [undefined, undefined, undefined, undefined];
  let last = -1;
  for (const element of fields) {
    const number = element.tag - contextTag(0);
    if (number <= last || number > 3) throw malformed('the RSASSA-PSS parameters are not in the RFC 4055 form');
    byNumber[number] = element;
    last = number;
  }
  return byNumber;
}

/** The content of an EXPLICIT `[number]` field, which must be present. */
function explicitField(field: DerElement | undefined, number: number, what: string): DerElement {
  const wrapper = expectTag(field, contextTag(number), what);
  const [inner, ...extra] = readChildren(wrapper);
  if (inner === undefined || extra.length > 0) throw malformed(`${what} is not one element`);
  return inner;
}

/** The OID of a hash AlgorithmIdentifier, whose parameters may only be NULL or absent. */
function hashAlgorithmOid(element: DerElement | undefined, what: string): string {
  const [oid, parameters, ...extra] = readChildren(expectTag(element, Tag.SEQUENCE, what));
  if (extra.length > 0 || (parameters !== undefined && parameters.tag !== Tag.NULL)) throw malformed(`${what} has unexpected parameters`);
  return readOid(oid, what);
}

/** Whether a key of this kind can have made a signature with this algorithm. */
export function keyFitsAlgorithm(kind: KeyKind, algorithm: SignatureAlgorithm): boolean {
  switch (algorithm.keyFamily) {
    case 'EC':
      return kind === 'P-256' || kind === 'P-384' || kind === 'P-521';
    case 'Ed25519':
      return kind === 'Ed25519';
    case 'RSA':
      return kind === 'RSA';
  }
}

/**
 * Verifies a certificate signature over the signed bytes as received. ECDSA signatures in X.509
 * are DER `SEQUENCE { r, s }` (node's default encoding), unlike COSE's raw r‖s. Any error from
 * OpenSSL (a signature that is not even well-formed) is a failed verification, not a crash.
 */
export function verifyCertificateSignature(
  algorithm: SignatureAlgorithm,
  issuerKey: KeyObject,
  signed: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    if (algorithm.rsa === undefined) return verify(algorithm.digest, signed, issuerKey, signature);
    const padding = algorithm.rsa.padding === 'pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
    const saltLength = algorithm.rsa.padding === 'pss' ? algorithm.rsa.saltLength : undefined;
    return verify(algorithm.digest, signed, { key: issuerKey, padding, ...(saltLength === undefined ? {} : { saltLength }) }, signature);
  } catch {
    return false;
  }
}
