// COSE_Sign1 (RFC 9052 §4): encode, decode, sign, verify.
//
// Three rules carry most of the security here:
// - the signature is checked over the protected header bytes *as received*, never a re-encoding
//   (re-encoding is how cose-js came to reject valid messages, and how others came to accept
//   forged ones);
// - `alg` is read only from the protected header, checked against an allow-list and bound to the
//   key's curve, so an attacker can neither pick the algorithm nor make a key serve another one;
// - every header rule of RFC 9052 §3 (disjoint buckets, `crit` understood and protected) is
//   enforced before any cryptography runs.

import type { KeyObject } from 'node:crypto';
import {
  type AlgorithmProfile,
  type CoseAlgorithm,
  DEFAULT_ALGORITHMS,
  algorithmProfile,
  createSignature,
  isCoseAlgorithm,
  keyAlgorithm,
  verifySignature,
} from './algorithms.js';
import {
  type CborLimits,
  type CborValue,
  COSE_SIGN1_TAG,
  CborTag,
  decodeCbor,
  encodeCbor,
} from './cbor.js';
import { cborHeadSize, writeCborHead } from './cbor-heads.js';
import { CoseError, describeLabel } from './errors.js';
import { HeaderLabel, type Label } from './labels.js';

/** A COSE header bucket: labels (integers or text) to CBOR values. */
export type HeaderMap = ReadonlyMap<Label, CborValue>;

/** A decoded COSE_Sign1, structurally valid but not (yet) verified. */
export interface CoseSign1 {
  /** Whether the message carried tag 18. */
  readonly tagged: boolean;
  /** The protected header exactly as received (zero-length when empty): what the signature covers. */
  readonly protectedBytes: Uint8Array;
  /** `protectedBytes` decoded. Informational: verification re-decodes the bytes. */
  readonly protectedHeader: HeaderMap;
  readonly unprotectedHeader: HeaderMap;
  /** The payload, or null when it is detached (nil on the wire). */
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
}

/** A COSE_Sign1 whose signature has been verified. */
export interface VerifiedSign1 extends CoseSign1 {
  /** The algorithm of the protected header, which the signature was verified with. */
  readonly alg: CoseAlgorithm;
  /** The payload the signature covers: the attached one, or the detached one supplied. */
  readonly payload: Uint8Array;
  /** Whether the payload was detached on the wire. */
  readonly detached: boolean;
}

export interface DecodeSign1Options {
  /** Refuse a message without tag 18 (COSE_UNTAGGED). Default true: SCITT always tags. */
  readonly requireTag?: boolean;
  /** Limits for the message and, separately, for its protected header. */
  readonly limits?: Partial<CborLimits>;
  /**
   * Tags accepted inside the message besides 18 (which is always accepted, since a transparent
   * statement may carry bare tagged receipts). The protected header accepts no tags.
   */
  readonly tags?: readonly number[];
}

export interface VerifySign1Options extends DecodeSign1Options {
  /** Algorithms accepted; default ES256, ES384 and EdDSA. */
  readonly algorithms?: readonly CoseAlgorithm[];
  /** External additional authenticated data; default empty. */
  readonly externalAad?: Uint8Array;
  /** The payload, for a message whose payload is detached (nil on the wire). */
  readonly detachedPayload?: Uint8Array;
  /**
   * Header labels the caller understands and will process, for `crit`. `alg` is understood here;
   * every other label named in `crit` must be listed or the message is refused.
   */
  readonly criticalLabels?: readonly Label[];
}

export interface SignSign1Options {
  /** The private key; its curve decides the algorithm (P-256 ES256, P-384 ES384, Ed25519 EdDSA). */
  readonly key: KeyObject;
  readonly payload: Uint8Array;
  /** Protected header; `alg` is added from the key (one given here must match it). */
  readonly protectedHeader?: HeaderMap;
  /** Unprotected header; must not contain `alg`, `crit` or any protected label. */
  readonly unprotectedHeader?: HeaderMap;
  /** Send the payload as nil; the verifier must be given it out of band. */
  readonly detached?: boolean;
  readonly externalAad?: Uint8Array;
  /** Emit tag 18; default true. */
  readonly tagged?: boolean;
}

/** The four fields of a COSE_Sign1, for {@link encodeSign1}. */
export interface Sign1Parts {
  readonly protectedBytes: Uint8Array;
  readonly unprotectedHeader: HeaderMap;
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const SIGNATURE1 = 'Signature1';
// The labels this module itself processes, so `crit` may name them without the caller's say.
const UNDERSTOOD_HERE: readonly Label[] = [HeaderLabel.alg];

/**
 * The protected header as it goes on the wire: deterministic CBOR of the map, or a zero-length
 * byte string for an empty map (RFC 9052 §3: the preferred encoding of "no protected header").
 */
export function encodeProtectedHeader(header: HeaderMap): Uint8Array {
  if (!(header instanceof Map)) throw new CoseError('COSE_BAD_ARGUMENT', 'a header must be a Map');
  return header.size === 0 ? EMPTY : encodeCbor(header);
}

/**
 * ToBeSigned for COSE_Sign1 (RFC 9052 §4.4):
 * `["Signature1", body_protected, external_aad, payload]`, deterministically encoded.
 * `protectedBytes` must be the protected header bytes as sent or received, never a re-encoding.
 */
export function encodeSigStructure(
  protectedBytes: Uint8Array,
  payload: Uint8Array,
  externalAad: Uint8Array = EMPTY,
): Uint8Array {
  if (!(protectedBytes instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(externalAad instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'Sig_structure fields must be Uint8Arrays');
  }
  const out = new Uint8Array(sigStructureSize(protectedBytes, payload, externalAad));
  writeSigStructure(out, protectedBytes, payload, externalAad);
  return out;
}

/** The length of {@link encodeSigStructure}'s result, without making it. */
export function sigStructureSize(protectedBytes: Uint8Array, payload: Uint8Array, externalAad: Uint8Array): number {
  return SIG_STRUCTURE_PREFIX.length + byteStringSize(protectedBytes) + byteStringSize(externalAad) + byteStringSize(payload);
}

/**
 * Writes {@link encodeSigStructure}'s bytes at the start of `out` (at least
 * {@link sigStructureSize} long), for a caller with a buffer of its own; returns their length.
 */
export function writeSigStructure(out: Uint8Array, protectedBytes: Uint8Array, payload: Uint8Array, externalAad: Uint8Array): number {
  // Written directly: an array head, a fixed text and three byte strings is all there is, and
  // encodeCbor's generality cost more than a microsecond on every signature checked (the
  // sign1 tests compare this with encodeCbor at every head width).
  out.set(SIG_STRUCTURE_PREFIX, 0);
  let at = writeByteString(out, SIG_STRUCTURE_PREFIX.length, protectedBytes);
  at = writeByteString(out, at, externalAad);
  return writeByteString(out, at, payload);
}

// array(4), text(10) "Signature1"
const SIG_STRUCTURE_PREFIX = new Uint8Array([0x84, 0x60 | SIGNATURE1.length, ...new TextEncoder().encode(SIGNATURE1)]);

function byteStringSize(bytes: Uint8Array): number {
  return cborHeadSize(bytes.length) + bytes.length;
}

/** Writes `bytes` as a CBOR byte string at `at`; returns where it ends. */
function writeByteString(out: Uint8Array, at: number, bytes: Uint8Array): number {
  const start = writeCborHead(out, at, 2, bytes.length);
  out.set(bytes, start);
  return start + bytes.length;
}

/** Encodes a COSE_Sign1 from its four fields (tagged 18 unless `tagged` is false). */
export function encodeSign1(parts: Sign1Parts, options: { readonly tagged?: boolean } = {}): Uint8Array {
  const { protectedBytes, unprotectedHeader, payload, signature } = parts;
  if (!(protectedBytes instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'protected header and signature must be Uint8Arrays');
  }
  if (payload !== null && !(payload instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'payload must be a Uint8Array or null');
  }
  if (!(unprotectedHeader instanceof Map)) throw new CoseError('COSE_BAD_ARGUMENT', 'a header must be a Map');
  const body: CborValue = [protectedBytes, unprotectedHeader, payload, signature];
  return encodeCbor(options.tagged === false ? body : new CborTag(COSE_SIGN1_TAG, body));
}

/**
 * Creates a COSE_Sign1. The algorithm follows from the key; `alg` goes into the protected header.
 * Refuses to produce a message that {@link verifySign1} would refuse on header grounds.
 */
export function signSign1(options: SignSign1Options): Uint8Array {
  const { key, payload } = options;
  if (!(payload instanceof Uint8Array)) throw new CoseError('COSE_BAD_ARGUMENT', 'payload must be a Uint8Array');
  const alg = keyAlgorithm(key);
  const given = options.protectedHeader ?? new Map<Label, CborValue>();
  const unprotectedHeader = options.unprotectedHeader ?? new Map<Label, CborValue>();
  if (!(given instanceof Map) || !(unprotectedHeader instanceof Map)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'headers must be Maps');
  }
  const existing = given.get(HeaderLabel.alg);
  if (existing !== undefined && existing !== alg) {
    throw new CoseError('COSE_KEY_MISMATCH', `protected alg ${describeLabel(existing)} is not the key's algorithm ${alg}`);
  }
  if (unprotectedHeader.has(HeaderLabel.alg)) {
    throw new CoseError('COSE_ALG_UNPROTECTED', 'alg must not be in the unprotected header');
  }
  if (unprotectedHeader.has(HeaderLabel.crit)) {
    throw new CoseError('COSE_CRIT_UNPROTECTED', 'crit must not be in the unprotected header');
  }
  const protectedHeader = new Map<Label, CborValue>(given);
  protectedHeader.set(HeaderLabel.alg, alg);
  checkLabels(protectedHeader, 'protected');
  checkLabels(unprotectedHeader, 'unprotected');
  checkBuckets(protectedHeader, unprotectedHeader);
  checkCritShape(protectedHeader);

  const protectedBytes = encodeProtectedHeader(protectedHeader);
  const toBeSigned = encodeSigStructure(protectedBytes, payload, options.externalAad ?? EMPTY);
  const signature = createSignature(alg, key, toBeSigned);
  return encodeSign1(
    { protectedBytes, unprotectedHeader, payload: options.detached === true ? null : payload, signature },
    { tagged: options.tagged ?? true },
  );
}

/**
 * Decodes a COSE_Sign1 strictly: tag 18 (required unless `requireTag` is false), a 4-element
 * array, a protected header that is a byte string holding a map (or zero-length), an unprotected
 * map, a byte-string or nil payload, a byte-string signature, no label in both buckets, `kid` a
 * byte string. Nothing is verified.
 */
export function decodeSign1(bytes: Uint8Array, options: DecodeSign1Options = {}): CoseSign1 {
  const value = decodeCbor(bytes, { ...options.limits, tags: messageTags(options.tags) });
  return sign1FromCbor(value, options);
}

/**
 * The COSE_Sign1 in an already decoded CBOR value: for a receipt that arrived as a bare tagged
 * array inside another structure (RFC 9943's `[+ Receipt]`). Same checks as {@link decodeSign1}.
 */
export function sign1FromCbor(value: CborValue, options: DecodeSign1Options = {}): CoseSign1 {
  let body: CborValue = value;
  let tagged = false;
  if (value instanceof CborTag) {
    if (value.tag !== COSE_SIGN1_TAG) {
      throw new CoseError('COSE_MALFORMED', `tag ${value.tag} is not the COSE_Sign1 tag 18`);
    }
    body = value.value;
    tagged = true;
  } else if (options.requireTag ?? true) {
    throw new CoseError('COSE_UNTAGGED', 'COSE_Sign1 must carry tag 18');
  }
  if (!Array.isArray(body) || body.length !== 4) {
    throw new CoseError('COSE_MALFORMED', 'COSE_Sign1 must be an array of 4 elements');
  }
  const [protectedBytes, unprotected, payload, signature] = body as readonly CborValue[];
  if (!(protectedBytes instanceof Uint8Array)) {
    throw new CoseError('COSE_MALFORMED', 'protected header must be a byte string');
  }
  if (!(unprotected instanceof Map)) throw new CoseError('COSE_MALFORMED', 'unprotected header must be a map');
  if (payload !== null && !(payload instanceof Uint8Array)) {
    throw new CoseError('COSE_MALFORMED', 'payload must be a byte string or nil');
  }
  if (!(signature instanceof Uint8Array)) throw new CoseError('COSE_MALFORMED', 'signature must be a byte string');

  const protectedHeader = decodeProtectedHeader(protectedBytes, options.limits);
  const unprotectedHeader = unprotected as HeaderMap;
  checkLabels(unprotectedHeader, 'unprotected');
  checkBuckets(protectedHeader, unprotectedHeader);
  return Object.freeze({ tagged, protectedBytes, protectedHeader, unprotectedHeader, payload, signature });
}

/**
 * Verifies a COSE_Sign1 with `key`, returning the verified message. Takes the encoded bytes or a
 * message from {@link decodeSign1}; for the latter the protected header is decoded again from
 * `protectedBytes`, so no field of the object is trusted over the bytes the signature covers.
 *
 * Refusals, in the order checked: structure (COSE_MALFORMED, COSE_UNTAGGED, COSE_DUPLICATE_LABEL,
 * CBOR_*), `alg` (COSE_ALG_UNPROTECTED, COSE_ALG_MISSING, COSE_ALG_NOT_ALLOWED), `crit`
 * (COSE_CRIT_UNPROTECTED, COSE_CRIT_MALFORMED, COSE_CRIT_UNKNOWN), payload (COSE_PAYLOAD_MISSING,
 * COSE_PAYLOAD_AMBIGUOUS), key (COSE_KEY_MISMATCH, KEY_UNSUPPORTED), signature
 * (COSE_SIGNATURE_LENGTH, COSE_BAD_SIGNATURE).
 */
export function verifySign1(
  message: Uint8Array | CoseSign1,
  key: KeyObject,
  options: VerifySign1Options = {},
): VerifiedSign1 {
  const decoded =
    message instanceof Uint8Array
      ? decodeSign1(message, options)
      : sign1FromCbor(reassemble(message), options);
  return verifyDecodedSign1(decoded, key, options);
}

/**
 * {@link verifySign1} for a message that {@link decodeSign1} (or {@link sign1FromCbor}) returned
 * to the caller within the same call, so nothing can have altered its decoded headers: it skips
 * the defensive re-decoding of the protected header (a few µs, a tenth of an ES256 check). For
 * receipts/ only, not exported from its index: a message from anywhere else goes through
 * {@link verifySign1}.
 */
export function verifyDecodedSign1(decoded: CoseSign1, key: KeyObject, options: VerifySign1Options = {}): VerifiedSign1 {
  const alg = verifyDecodedSignature(decoded, key, options);
  const payload = decoded.payload ?? (options.detachedPayload as Uint8Array);
  return Object.freeze({ ...decoded, alg, payload, detached: decoded.payload === null });
}

/**
 * {@link verifyDecodedSign1} for a caller that needs only the algorithm verified with (a receipt
 * verifier), without building the verified message: same checks, same refusals.
 */
export function verifyDecodedSignature(decoded: CoseSign1, key: KeyObject, options: VerifySign1Options = {}): CoseAlgorithm {
  const profile = checkAlgorithm(decoded, options.algorithms ?? DEFAULT_ALGORITHMS);
  checkCrit(decoded, options.criticalLabels ?? []);

  let payload: Uint8Array;
  if (decoded.payload === null) {
    if (options.detachedPayload === undefined) {
      throw new CoseError('COSE_PAYLOAD_MISSING', 'the payload is detached and none was supplied');
    }
    if (!(options.detachedPayload instanceof Uint8Array)) {
      throw new CoseError('COSE_BAD_ARGUMENT', 'detached payload must be a Uint8Array');
    }
    payload = options.detachedPayload;
  } else {
    if (options.detachedPayload !== undefined) {
      throw new CoseError('COSE_PAYLOAD_AMBIGUOUS', 'the payload is attached, yet a detached payload was supplied');
    }
    payload = decoded.payload;
  }
  const externalAad = options.externalAad ?? EMPTY;
  if (!(externalAad instanceof Uint8Array)) throw new CoseError('COSE_BAD_ARGUMENT', 'external AAD must be a Uint8Array');

  const size = sigStructureSize(decoded.protectedBytes, payload, externalAad);
  const mine = !sigScratchInUse && size <= sigScratch.length;
  const toBeSigned = mine ? sigScratch.subarray(0, size) : new Uint8Array(size);
  if (mine) sigScratchInUse = true; // until the signature is checked, even if a key's getters call back in
  try {
    writeSigStructure(toBeSigned, decoded.protectedBytes, payload, externalAad);
    verifySignature(profile.alg, key, toBeSigned, decoded.signature);
  } finally {
    if (mine) sigScratchInUse = false;
  }
  return profile.alg;
}

// The Sig_structure of the message being checked, for the usual few hundred bytes: a fresh array
// for each was an allocation of memory outside the heap (~0.4 µs) beside every signature check.
const sigScratch = new Uint8Array(4096);
let sigScratchInUse = false;

// A decoded message handed back to verify: rebuild the CBOR value so the same checks run on it.
function reassemble(message: CoseSign1): CborValue {
  if (typeof message !== 'object' || message === null) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'message must be bytes or a decoded COSE_Sign1');
  }
  const body: CborValue = [message.protectedBytes, message.unprotectedHeader, message.payload, message.signature];
  return message.tagged ? new CborTag(COSE_SIGN1_TAG, body) : body;
}

function messageTags(extra: readonly number[] | undefined): readonly number[] {
  if (extra === undefined || extra.length === 0) return [COSE_SIGN1_TAG];
  return [COSE_SIGN1_TAG, ...extra.filter((tag) => tag !== COSE_SIGN1_TAG)];
}

function decodeProtectedHeader(bytes: Uint8Array, limits: Partial<CborLimits> | undefined): HeaderMap {
  if (bytes.length === 0) return new Map();
  let value: CborValue;
  try {
    value = decodeCbor(bytes, { ...limits, tags: [] });
  } catch (error) {
    if (error instanceof CoseError) {
      throw new CoseError(error.code, `protected header: ${error.message}`, { cause: error });
    }
    throw error;
  }
  if (!(value instanceof Map)) {
    throw new CoseError('COSE_MALFORMED', 'protected header must hold a map');
  }
  return value as HeaderMap;
}

function checkLabels(header: HeaderMap, bucket: string): void {
  for (const label of header.keys()) {
    if (typeof label === 'string') continue;
    if (typeof label !== 'number' || !Number.isSafeInteger(label)) {
      throw new CoseError('COSE_MALFORMED', `${bucket} header labels must be integers or text strings`);
    }
  }
}

// RFC 9052 §3: the buckets are disjoint; `kid` is a byte string wherever it is.
function checkBuckets(protectedHeader: HeaderMap, unprotectedHeader: HeaderMap): void {
  for (const label of protectedHeader.keys()) {
    if (unprotectedHeader.has(label)) {
      throw new CoseError(
        'COSE_DUPLICATE_LABEL',
        `label ${describeLabel(label)} is in both the protected and the unprotected header`,
      );
    }
  }
  for (const header of [protectedHeader, unprotectedHeader]) {
    const kid = header.get(HeaderLabel.kid);
    if (kid !== undefined && !(kid instanceof Uint8Array)) {
      throw new CoseError('COSE_MALFORMED', 'kid must be a byte string');
    }
  }
}

function checkAlgorithm(message: CoseSign1, allowed: readonly CoseAlgorithm[]): AlgorithmProfile {
  if (message.unprotectedHeader.has(HeaderLabel.alg)) {
    throw new CoseError('COSE_ALG_UNPROTECTED', 'alg must be in the protected header, not the unprotected one');
  }
  const alg = message.protectedHeader.get(HeaderLabel.alg);
  if (alg === undefined) throw new CoseError('COSE_ALG_MISSING', 'the protected header has no alg');
  return allowedAlgorithm(alg, allowed);
}

/**
 * The profile of a protected `alg` if it is on the allow-list, else COSE_ALG_NOT_ALLOWED: the
 * check {@link verifySign1} makes, for receipts/'s own fast path (not exported from its index).
 */
export function allowedAlgorithm(alg: CborValue, allowed: readonly CoseAlgorithm[]): AlgorithmProfile {
  if (!isCoseAlgorithm(alg) || !allowed.includes(alg)) {
    throw new CoseError(
      'COSE_ALG_NOT_ALLOWED',
      `alg ${typeof alg === 'number' || typeof alg === 'string' ? describeLabel(alg) : 'of the wrong type'} is not allowed`,
    );
  }
  return algorithmProfile(alg);
}

function checkCritShape(protectedHeader: HeaderMap): readonly Label[] {
  const crit = protectedHeader.get(HeaderLabel.crit);
  if (crit === undefined) return [];
  if (!Array.isArray(crit) || crit.length === 0) {
    throw new CoseError('COSE_CRIT_MALFORMED', 'crit must be a non-empty array of labels');
  }
  for (const label of crit as readonly CborValue[]) {
    if (typeof label !== 'string' && !(typeof label === 'number' && Number.isSafeInteger(label))) {
      throw new CoseError('COSE_CRIT_MALFORMED', 'crit must be a non-empty array of labels');
    }
  }
  return crit as readonly Label[];
}

function checkCrit(message: CoseSign1, understood: readonly Label[]): void {
  if (message.unprotectedHeader.has(HeaderLabel.crit)) {
    throw new CoseError('COSE_CRIT_UNPROTECTED', 'crit must be in the protected header');
  }
  for (const label of checkCritShape(message.protectedHeader)) {
    if (!UNDERSTOOD_HERE.includes(label) && !understood.includes(label)) {
      throw new CoseError('COSE_CRIT_UNKNOWN', `critical header ${describeLabel(label)} is not understood`);
    }
  }
}
