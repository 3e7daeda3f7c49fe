// Signed statements (RFC 9943 §4): a tagged COSE_Sign1 whose protected header says who issued it
// (CWT claims iss), what it is about (sub), and how to find the issuer's key (kid, x5chain or
// x5t). Optionally a COSE hash envelope (RFC 9995): the payload is the digest of a preimage the
// issuer keeps, so large or sensitive statements never enter the log.
//
// `parseStatement` enforces the header rules and nothing else: it does not verify the signature,
// because only the verifier (or the registration policy) knows how to resolve the issuer's key.
// `signStatement` checks what it builds with the same rules before signing, so atlog never emits
// a statement it would refuse.

import { hash, type KeyObject } from 'node:crypto';
import { bytesEqual } from '../util/index.js';
import { type CoseAlgorithm, keyAlgorithm } from './algorithms.js';
import type { CborLimits, CborMapKey, CborValue } from './cbor.js';
import { CoseError, describeLabel } from './errors.js';
import { coseKeyThumbprint } from './keys.js';
import { CwtClaim, HashAlgorithm, HeaderLabel, type Label } from './labels.js';
import { type CoseSign1, type HeaderMap, decodeSign1, encodeSign1, signSign1, verifyDecodedSignature } from './sign1.js';

/** The hash envelope of a statement (RFC 9995 labels 258, 259, 260; all protected). */
export interface HashEnvelope {
  /** payload-hash-alg (258): the hash whose digest is the payload. */
  readonly hashAlgorithm: HashAlgorithm;
  /** preimage-content-type (259): the media type or CoAP content format of the hashed bytes. */
  readonly preimageContentType?: string | number;
  /** payload-location (260): where the preimage can be fetched; a hint, never trusted. */
  readonly location?: string;
}

/** An X.509 certificate thumbprint (x5t, RFC 9360): a hash algorithm and the hash of the DER. */
export interface CertificateThumbprint {
  readonly hashAlgorithm: number | string;
  readonly hash: Uint8Array;
}

/** A signed statement whose headers follow RFC 9943; its signature is not verified yet. */
export interface SignedStatement {
  /** The decoded COSE_Sign1: protected bytes as received, headers, payload, signature. */
  readonly sign1: CoseSign1;
  /** The protected alg, as sent; whether it is acceptable is the verifier's decision. */
  readonly alg: number;
  /** CWT iss (protected label 15, claim 1). */
  readonly iss: string;
  /** CWT sub (claim 2). */
  readonly sub: string;
  /** CWT iat (claim 6), NumericDate seconds, when present. */
  readonly iat?: number;
  /** Content type (3) of the payload; never present in a hash envelope. */
  readonly contentType?: string | number;
  /** Protected kid (4). */
  readonly kid?: Uint8Array;
  /** Protected x5chain (33), leaf first, always as an array. */
  readonly x5chain?: readonly Uint8Array[];
  /** Protected x5t (34). */
  readonly x5t?: CertificateThumbprint;
  /**
   * An x5chain in the *unprotected* header (RFC 9943 allows it next to a protected kid or x5t).
   * It is not signed, and registration empties the unprotected header, so the log never keeps it.
   */
  readonly unprotectedX5chain?: readonly Uint8Array[];
  /** Present when the statement is a hash envelope; the payload is then the digest. */
  readonly hashEnvelope?: HashEnvelope;
  /** The payload (the statement, or its digest in a hash envelope), or null when detached. */
  readonly payload: Uint8Array | null;
}

/** A signed statement whose signature verified. */
export interface VerifiedStatement extends Omit<SignedStatement, 'alg' | 'payload'> {
  readonly alg: CoseAlgorithm;
  /** The payload the signature covers: attached, or the detached one supplied (or the preimage's digest). */
  readonly payload: Uint8Array;
  readonly detached: boolean;
}

/** Hash algorithm names accepted by {@link signStatement}, beside the COSE numbers. */
export type HashAlgorithmName = 'sha-256' | 'sha-384' | 'sha-512';

export interface HashEnvelopeOptions {
  /** Default sha-256. */
  readonly hashAlgorithm?: HashAlgorithm | HashAlgorithmName;
  readonly preimageContentType?: string | number;
  readonly location?: string;
}

export interface SignStatementOptions {
  /** The issuer's private key; its curve decides alg (P-256 ES256, P-384 ES384, Ed25519 EdDSA). */
  readonly key: KeyObject;
  readonly iss: string;
  readonly sub: string;
  /** CWT iat in NumericDate seconds; omitted when not given. */
  readonly iat?: number;
  /** The statement; with `hashEnvelope`, the preimage, which is hashed and not sent. */
  readonly payload: Uint8Array;
  /** Content type (3); not allowed with `hashEnvelope` (use its `preimageContentType`). */
  readonly contentType?: string | number;
  /** kid (4). Default: the RFC 9679 thumbprint of the key, unless `x5chain` is given. */
  readonly kid?: Uint8Array;
  /** x5chain (33), leaf first: one DER certificate, or the chain. `iss` must then be URI-like. */
  readonly x5chain?: Uint8Array | readonly Uint8Array[];
  /** Make a hash envelope (RFC 9995): `true` for sha-256 and no hints. */
  readonly hashEnvelope?: true | HashEnvelopeOptions;
  /** Send the payload (or digest) as nil. */
  readonly detached?: boolean;
  /** More protected labels (typ 16, …); the labels this module sets itself are refused here. */
  readonly protectedHeader?: HeaderMap;
  readonly unprotectedHeader?: HeaderMap;
  readonly externalAad?: Uint8Array;
}

export interface ParseStatementOptions {
  readonly limits?: Partial<CborLimits>;
}

export interface VerifyStatementOptions extends ParseStatementOptions {
  /** Algorithms accepted; default ES256, ES384 and EdDSA. */
  readonly algorithms?: readonly CoseAlgorithm[];
  readonly externalAad?: Uint8Array;
  /** The payload of a detached statement (for a hash envelope: the digest). */
  readonly detachedPayload?: Uint8Array;
  /**
   * For a hash envelope: the preimage. Its digest must equal the attached payload, or is used as
   * the detached one; either way the signature then covers the preimage.
   */
  readonly preimage?: Uint8Array;
  /** Labels the caller processes, for `crit`, beyond those this module processes itself. */
  readonly criticalLabels?: readonly Label[];
}

/** RFC 9943: an iss next to X.509 material is a StringOrURI of 1 to 8192 characters. */
const MAX_URI_ISS_LENGTH = 8192;
// A scheme, a colon and no whitespace or controls: "URI-like" (https:, did:, urn:, …), not a full
// RFC 3986 parse, which the chain validation that follows does not need.
const URI_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:[^\u0000-\u0020\u007f-\u009f]+$/u;

const DIGEST: ReadonlyMap<number, { readonly name: 'sha256' | 'sha384' | 'sha512'; readonly length: number }> = new Map([
  [HashAlgorithm.SHA256, { name: 'sha256', length: 32 }],
  [HashAlgorithm.SHA384, { name: 'sha384', length: 48 }],
  [HashAlgorithm.SHA512, { name: 'sha512', length: 64 }],
] as const);

const HASH_NAMES: Readonly<Record<HashAlgorithmName, HashAlgorithm>> = {
  'sha-256': HashAlgorithm.SHA256,
  'sha-384': HashAlgorithm.SHA384,
  'sha-512': HashAlgorithm.SHA512,
};

/** Labels parseStatement itself processes: a statement may mark any of them critical. */
const STATEMENT_LABELS: readonly Label[] = Object.freeze([
  HeaderLabel.contentType,
  HeaderLabel.kid,
  HeaderLabel.cwtClaims,
  HeaderLabel.x5chain,
  HeaderLabel.x5t,
  HeaderLabel.payloadHashAlg,
  HeaderLabel.preimageContentType,
  HeaderLabel.payloadLocation,
]);

// Labels signStatement sets from its own options; accepting them in `protectedHeader` too would
// give two ways to say one thing, and a chance to say two different things.
const SET_BY_SIGN_STATEMENT: readonly Label[] = Object.freeze([HeaderLabel.alg, ...STATEMENT_LABELS]);

const HASH_ENVELOPE_LABELS = [HeaderLabel.payloadHashAlg, HeaderLabel.preimageContentType, HeaderLabel.payloadLocation] as const;

/** The digest of a hash envelope's preimage. */
export function digestPreimage(hashAlgorithm: HashAlgorithm, preimage: Uint8Array): Uint8Array {
  const digest = DIGEST.get(hashAlgorithm);
  if (digest === undefined) {
    throw new CoseError('HASH_ENVELOPE_ALG_UNSUPPORTED', `hash algorithm ${describeLabel(hashAlgorithm)} is not sha-256, sha-384 or sha-512`);
  }
  if (!(preimage instanceof Uint8Array)) throw new CoseError('COSE_BAD_ARGUMENT', 'a preimage must be a Uint8Array');
  const out = hash(digest.name, preimage, 'buffer');
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Signs a SCITT signed statement: protected `{1: alg, 15: {1: iss, 2: sub, ?6: iat}, ?3: content
 * type, 4: kid | 33: x5chain, …}`, or for a hash envelope `{…, 258: hash alg, ?259, ?260}` with
 * the preimage's digest as payload and no label 3. Tagged 18; payload attached unless `detached`.
 */
export function signStatement(options: SignStatementOptions): Uint8Array {
  const { key, payload } = options;
  if (!(payload instanceof Uint8Array)) throw new CoseError('COSE_BAD_ARGUMENT', 'payload must be a Uint8Array');
  const extra = options.protectedHeader ?? new Map<Label, CborValue>();
  const unprotectedHeader = options.unprotectedHeader ?? new Map<Label, CborValue>();
  if (!(extra instanceof Map) || !(unprotectedHeader instanceof Map)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'headers must be Maps');
  }
  for (const label of SET_BY_SIGN_STATEMENT) {
    if (extra.has(label)) {
      throw new CoseError('COSE_BAD_ARGUMENT', `protected label ${describeLabel(label)} is set by its own option, not by protectedHeader`);
    }
  }
  const protectedHeader = new Map<Label, CborValue>(extra);
  protectedHeader.set(HeaderLabel.alg, keyAlgorithm(key));

  const claims = new Map<CborMapKey, CborValue>([
    [CwtClaim.iss, options.iss],
    [CwtClaim.sub, options.sub],
  ]);
  if (options.iat !== undefined) {
    if (!Number.isSafeInteger(options.iat) || options.iat < 0) {
      throw new CoseError('COSE_BAD_ARGUMENT', 'iat must be a non-negative integer number of seconds');
    }
    claims.set(CwtClaim.iat, options.iat);
  }
  protectedHeader.set(HeaderLabel.cwtClaims, claims);

  let signedPayload = payload;
  if (options.hashEnvelope !== undefined) {
    if (options.contentType !== undefined) {
      throw new CoseError('HASH_ENVELOPE_CONTENT_TYPE', 'a hash envelope has no content type (3); give preimageContentType');
    }
    const envelope: HashEnvelopeOptions = options.hashEnvelope === true ? {} : options.hashEnvelope;
    const hashAlgorithm = hashAlgorithmOf(envelope.hashAlgorithm ?? HashAlgorithm.SHA256);
    signedPayload = digestPreimage(hashAlgorithm, payload);
    protectedHeader.set(HeaderLabel.payloadHashAlg, hashAlgorithm);
    if (envelope.preimageContentType !== undefined) {
      protectedHeader.set(HeaderLabel.preimageContentType, envelope.preimageContentType);
    }
    if (envelope.location !== undefined) protectedHeader.set(HeaderLabel.payloadLocation, envelope.location);
  } else if (options.contentType !== undefined) {
    protectedHeader.set(HeaderLabel.contentType, options.contentType);
  }

  if (options.kid !== undefined && !(options.kid instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'kid must be a Uint8Array');
  }
  if (options.x5chain !== undefined) {
    // RFC 9360: one certificate is a bare bstr, several an array; never an array of one.
    const chain = options.x5chain instanceof Uint8Array ? [options.x5chain] : [...options.x5chain];
    protectedHeader.set(HeaderLabel.x5chain, chain.length === 1 ? (chain[0] as CborValue) : chain);
    if (options.kid !== undefined) protectedHeader.set(HeaderLabel.kid, options.kid);
  } else {
    protectedHeader.set(HeaderLabel.kid, options.kid ?? coseKeyThumbprint(key));
  }

  // The same rules parseStatement applies, before anything is signed.
  readStatement(protectedHeader, unprotectedHeader, options.detached === true ? null : signedPayload);
  return signSign1({
    key,
    payload: signedPayload,
    protectedHeader,
    unprotectedHeader,
    ...(options.detached === undefined ? {} : { detached: options.detached }),
    ...(options.externalAad === undefined ? {} : { externalAad: options.externalAad }),
  });
}

/**
 * Decodes a signed statement (tagged COSE_Sign1) and checks RFC 9943's header rules: a protected
 * header with alg and CWT claims holding text iss and sub; kid, x5chain or x5t protected (with
 * X.509 material, iss URI-like, at most 8192 characters); content type a tstr or uint; for a
 * hash envelope, 258 protected and supported, 259/260 protected and well typed, no label 3 and a
 * digest-sized payload. The signature is **not** verified: see {@link verifyStatementSignature}.
 */
export function parseStatement(bytes: Uint8Array, options: ParseStatementOptions = {}): SignedStatement {
  const sign1 = decodeSign1(bytes, options.limits === undefined ? {} : { limits: options.limits });
  if (sign1.protectedBytes.length === 0) {
    throw new CoseError('STATEMENT_PROTECTED_HEADER_EMPTY', 'a signed statement needs a protected header (alg, CWT claims, key id)');
  }
  return Object.freeze({ sign1, ...readStatement(sign1.protectedHeader, sign1.unprotectedHeader, sign1.payload) });
}

/**
 * Verifies a signed statement's signature with the issuer's public key (which the caller has
 * resolved from kid, x5chain or x5t), after {@link parseStatement}'s checks. `crit` may name any
 * label this module processes (3, 4, 15, 33, 34, 258, 259, 260) besides the caller's.
 */
export function verifyStatementSignature(
  statement: Uint8Array | SignedStatement,
  issuerPublicKey: KeyObject,
  options: VerifyStatementOptions = {},
): VerifiedStatement {
  const parsed = reparse(statement, options);
  let detachedPayload = options.detachedPayload;
  if (options.preimage !== undefined) {
    const digest = preimageDigest(parsed, options.preimage);
    if (parsed.payload === null) {
      if (detachedPayload !== undefined) {
        throw new CoseError('COSE_BAD_ARGUMENT', 'give the preimage or the detached digest, not both');
      }
      detachedPayload = digest;
    } else if (!bytesEqual(digest, parsed.payload)) {
      throw new CoseError('HASH_ENVELOPE_MISMATCH', 'the preimage does not hash to the statement’s payload');
    }
  }
  if (parsed.hashEnvelope !== undefined && detachedPayload !== undefined) {
    checkDigestLength(parsed.hashEnvelope.hashAlgorithm, detachedPayload);
  }
  // `parsed` was decoded from bytes just now (reparse never returns the caller's object). Only the
  // algorithm is needed from the check, so no verified message is built (its garbage would be
  // paid for in the next signature check too; see docs/benchmarks.md).
  const extraLabels = options.criticalLabels ?? [];
  const alg = verifyDecodedSignature(parsed.sign1, issuerPublicKey, {
    algorithms: options.algorithms,
    externalAad: options.externalAad,
    detachedPayload,
    criticalLabels: extraLabels.length === 0 ? STATEMENT_LABELS : [...STATEMENT_LABELS, ...extraLabels],
  });
  const attached = parsed.sign1.payload;
  return Object.freeze({ ...parsed, alg, payload: attached ?? (detachedPayload as Uint8Array), detached: attached === null });
}

/**
 * @internal {@link verifyStatementSignature} for a statement the caller itself has just parsed
 * with {@link parseStatement} from bytes it holds (the registration policy, which has parsed
 * every statement to resolve its issuer): the same signature checks, without decoding those
 * bytes a second time. Any other object, or bytes, goes through verifyStatementSignature, which
 * trusts no field of an object it is handed.
 */
export function verifyParsedStatementSignature(
  parsed: SignedStatement,
  issuerPublicKey: KeyObject,
  options: { readonly algorithms?: readonly CoseAlgorithm[] } = {},
): CoseAlgorithm {
  if (parsed.sign1.payload === null) throw new CoseError('COSE_PAYLOAD_MISSING', 'the payload is detached; verify with verifyStatementSignature and the payload');
  return verifyDecodedSignature(parsed.sign1, issuerPublicKey, { algorithms: options.algorithms, criticalLabels: STATEMENT_LABELS });
}

/**
 * Checks that `preimage` hashes, with the envelope's algorithm, to the statement's attached
 * digest. It says nothing about who signed: pair it with {@link verifyStatementSignature} (which
 * also takes the preimage, and is the only check possible when the digest is detached).
 */
export function verifyPreimage(statement: Uint8Array | SignedStatement, preimage: Uint8Array): void {
  const parsed = reparse(statement, {});
  const digest = preimageDigest(parsed, preimage);
  if (parsed.payload === null) {
    throw new CoseError(
      'COSE_PAYLOAD_MISSING',
      'the digest is detached: verify the signature with the preimage (verifyStatementSignature) instead',
    );
  }
  if (!bytesEqual(digest, parsed.payload)) {
    throw new CoseError('HASH_ENVELOPE_MISMATCH', 'the preimage does not hash to the statement’s payload');
  }
}

// ---------------------------------------------------------------------------------------------

type StatementFields = Omit<SignedStatement, 'sign1'>;

// A parsed statement handed back is parsed again from its COSE_Sign1 fields: no field of the
// object is trusted over the bytes the signature covers.
function reparse(statement: Uint8Array | SignedStatement, options: ParseStatementOptions): SignedStatement {
  if (statement instanceof Uint8Array) return parseStatement(statement, options);
  if (typeof statement !== 'object' || statement === null || typeof statement.sign1 !== 'object' || statement.sign1 === null) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'a statement must be bytes or the result of parseStatement');
  }
  return parseStatement(encodeSign1(statement.sign1, { tagged: statement.sign1.tagged }), options);
}

function readStatement(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap, payload: Uint8Array | null): StatementFields {
  const alg = readAlg(protectedHeader, unprotectedHeader);
  const { iss, sub, iat } = readClaims(protectedHeader, unprotectedHeader);

  const kid = protectedHeader.get(HeaderLabel.kid) as Uint8Array | undefined; // a bstr: decodeSign1 checks
  const x5chainValue = protectedHeader.get(HeaderLabel.x5chain);
  const x5chain = x5chainValue === undefined ? undefined : readX5chain(x5chainValue, 'protected');
  const x5tValue = protectedHeader.get(HeaderLabel.x5t);
  const x5t = x5tValue === undefined ? undefined : readX5t(x5tValue);
  const unprotectedX5chainValue = unprotectedHeader.get(HeaderLabel.x5chain);
  const unprotectedX5chain =
    unprotectedX5chainValue === undefined ? undefined : readX5chain(unprotectedX5chainValue, 'unprotected');

  if ((kid === undefined || kid.length === 0) && x5chain === undefined && x5t === undefined) {
    throw new CoseError(
      'STATEMENT_KEY_ID_MISSING',
      unprotectedHeader.has(HeaderLabel.kid)
        ? 'kid must be in the protected header'
        : 'the protected header needs a non-empty kid (4), an x5chain (33) or an x5t (34)',
    );
  }
  if (x5chain !== undefined || x5t !== undefined) checkUriLikeIssuer(iss);

  const hashEnvelope = readHashEnvelope(protectedHeader, unprotectedHeader, payload);
  let contentType: string | number | undefined;
  if (hashEnvelope === undefined) {
    const value = protectedHeader.get(HeaderLabel.contentType);
    if (value !== undefined) contentType = readContentType(value, 'STATEMENT_CONTENT_TYPE_MALFORMED', 'content type (3)');
  }

  return {
    alg,
    iss,
    sub,
    ...(iat === undefined ? {} : { iat }),
    ...(contentType === undefined ? {} : { contentType }),
    ...(kid === undefined ? {} : { kid }),
    ...(x5chain === undefined ? {} : { x5chain }),
    ...(x5t === undefined ? {} : { x5t }),
    ...(unprotectedX5chain === undefined ? {} : { unprotectedX5chain }),
    ...(hashEnvelope === undefined ? {} : { hashEnvelope }),
    payload,
  };
}

function readAlg(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): number {
  if (unprotectedHeader.has(HeaderLabel.alg)) {
    throw new CoseError('COSE_ALG_UNPROTECTED', 'alg must be in the protected header, not the unprotected one');
  }
  const alg = protectedHeader.get(HeaderLabel.alg);
  if (alg === undefined) throw new CoseError('COSE_ALG_MISSING', 'the protected header has no alg');
  if (typeof alg !== 'number' || !Number.isSafeInteger(alg)) {
    throw new CoseError('COSE_ALG_NOT_ALLOWED', 'alg must be an integer');
  }
  return alg;
}

function readClaims(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): { iss: string; sub: string; iat?: number } {
  const claims = protectedHeader.get(HeaderLabel.cwtClaims);
  if (claims === undefined) {
    throw new CoseError(
      'STATEMENT_CLAIMS_MISSING',
      unprotectedHeader.has(HeaderLabel.cwtClaims)
        ? 'CWT claims (15) must be in the protected header, not the unprotected one'
        : 'the protected header has no CWT claims (15)',
    );
  }
  if (!(claims instanceof Map)) throw new CoseError('STATEMENT_CLAIMS_MALFORMED', 'CWT claims (15) must be a map');
  const iss = claims.get(CwtClaim.iss);
  if (iss === undefined) throw new CoseError('STATEMENT_ISS_MISSING', 'CWT claims have no iss (1)');
  if (typeof iss !== 'string' || iss.length === 0) {
    throw new CoseError('STATEMENT_ISS_MALFORMED', 'iss must be a non-empty text string');
  }
  const sub = claims.get(CwtClaim.sub);
  if (sub === undefined) throw new CoseError('STATEMENT_SUB_MISSING', 'CWT claims have no sub (2)');
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new CoseError('STATEMENT_SUB_MALFORMED', 'sub must be a non-empty text string');
  }
  const iat = claims.get(CwtClaim.iat);
  // NumericDate (RFC 8392): an integer or a float; decodeCbor has already refused NaN and ±∞.
  if (iat !== undefined && typeof iat !== 'number') {
    throw new CoseError('STATEMENT_CLAIMS_MALFORMED', 'iat (6) must be a number of seconds');
  }
  return { iss, sub, ...(iat === undefined ? {} : { iat }) };
}

function checkUriLikeIssuer(iss: string): void {
  let characters = 0;
  for (const _ of iss) if (++characters > MAX_URI_ISS_LENGTH) break;
  if (characters > MAX_URI_ISS_LENGTH || !URI_LIKE.test(iss)) {
    throw new CoseError(
      'STATEMENT_ISS_MALFORMED',
      `with x5chain or x5t, iss must be a URI-like string of 1 to ${MAX_URI_ISS_LENGTH} characters`,
    );
  }
}

// COSE_X509 (RFC 9360): one certificate as a bstr, or an array of them, leaf first. An array of
// one is accepted on input (it is unambiguous and signed as sent) though never emitted.
function readX5chain(value: CborValue, bucket: string): readonly Uint8Array[] {
  const chain = value instanceof Uint8Array ? [value] : Array.isArray(value) ? (value as readonly CborValue[]) : null;
  if (chain === null || chain.length === 0) {
    throw new CoseError('STATEMENT_X5CHAIN_MALFORMED', `${bucket} x5chain must be a certificate or a non-empty array of them`);
  }
  for (const certificate of chain) {
    if (!(certificate instanceof Uint8Array) || certificate.length === 0) {
      throw new CoseError('STATEMENT_X5CHAIN_MALFORMED', `${bucket} x5chain certificates must be non-empty byte strings`);
    }
  }
  return Object.freeze(chain as Uint8Array[]);
}

// COSE_CertHash (RFC 9360): [hashAlg: int / tstr, hashValue: bstr].
function readX5t(value: CborValue): CertificateThumbprint {
  if (Array.isArray(value) && value.length === 2) {
    const [hashAlgorithm, digest] = value as readonly CborValue[];
    const algOk = (typeof hashAlgorithm === 'number' && Number.isSafeInteger(hashAlgorithm)) || typeof hashAlgorithm === 'string';
    if (algOk && digest instanceof Uint8Array && digest.length > 0) {
      return Object.freeze({ hashAlgorithm: hashAlgorithm as number | string, hash: digest });
    }
  }
  throw new CoseError('STATEMENT_X5T_MALFORMED', 'x5t must be [hash algorithm, hash value]');
}

function readContentType(value: CborValue, code: 'STATEMENT_CONTENT_TYPE_MALFORMED' | 'HASH_ENVELOPE_MALFORMED', what: string): string | number {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new CoseError(code, `${what} must be a media type (tstr) or a content format (uint)`);
}

function readHashEnvelope(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap, payload: Uint8Array | null): HashEnvelope | undefined {
  for (const label of HASH_ENVELOPE_LABELS) {
    if (unprotectedHeader.has(label)) {
      throw new CoseError('HASH_ENVELOPE_UNPROTECTED', `hash envelope label ${label} must not be in the unprotected header`);
    }
  }
  const algValue = protectedHeader.get(HeaderLabel.payloadHashAlg);
  const preimageType = protectedHeader.get(HeaderLabel.preimageContentType);
  const location = protectedHeader.get(HeaderLabel.payloadLocation);
  if (algValue === undefined) {
    if (preimageType !== undefined || location !== undefined) {
      throw new CoseError('HASH_ENVELOPE_MALFORMED', 'labels 259 and 260 belong to a hash envelope, which needs 258');
    }
    return undefined;
  }
  if (protectedHeader.has(HeaderLabel.contentType) || unprotectedHeader.has(HeaderLabel.contentType)) {
    throw new CoseError('HASH_ENVELOPE_CONTENT_TYPE', 'a hash envelope must not carry content type (3); 259 says what was hashed');
  }
  if (typeof algValue !== 'number' || !Number.isSafeInteger(algValue)) {
    throw new CoseError('HASH_ENVELOPE_MALFORMED', 'payload-hash-alg (258) must be an integer');
  }
  const hashAlgorithm = hashAlgorithmOf(algValue);
  if (location !== undefined && (typeof location !== 'string' || location.length === 0)) {
    throw new CoseError('HASH_ENVELOPE_MALFORMED', 'payload-location (260) must be a non-empty text string');
  }
  const preimageContentType =
    preimageType === undefined ? undefined : readContentType(preimageType, 'HASH_ENVELOPE_MALFORMED', 'preimage content type (259)');
  if (payload !== null) checkDigestLength(hashAlgorithm, payload);
  return Object.freeze({
    hashAlgorithm,
    ...(preimageContentType === undefined ? {} : { preimageContentType }),
    ...(location === undefined ? {} : { location: location as string }),
  });
}

function hashAlgorithmOf(value: HashAlgorithm | HashAlgorithmName | number): HashAlgorithm {
  const alg = typeof value === 'string' ? HASH_NAMES[value as HashAlgorithmName] : value;
  if (alg === undefined || !DIGEST.has(alg)) {
    throw new CoseError(
      'HASH_ENVELOPE_ALG_UNSUPPORTED',
      `payload-hash-alg ${typeof value === 'string' || typeof value === 'number' ? describeLabel(value) : ''} is not sha-256 (-16), sha-384 (-43) or sha-512 (-44)`,
    );
  }
  return alg as HashAlgorithm;
}

function checkDigestLength(hashAlgorithm: HashAlgorithm, digest: Uint8Array): void {
  const expected = DIGEST.get(hashAlgorithm)?.length;
  if (digest.length !== expected) {
    throw new CoseError(
      'HASH_ENVELOPE_DIGEST_LENGTH',
      `a ${hashAlgorithm} digest is ${String(expected)} bytes, the payload is ${digest.length}`,
    );
  }
}

function preimageDigest(statement: SignedStatement, preimage: Uint8Array): Uint8Array {
  if (statement.hashEnvelope === undefined) {
    throw new CoseError('HASH_ENVELOPE_MISSING', 'the statement is not a hash envelope: it has no payload-hash-alg (258)');
  }
  return digestPreimage(statement.hashEnvelope.hashAlgorithm, preimage);
}
