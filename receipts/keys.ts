// Keys: COSE_Key (RFC 9052 §7, RFC 9053 §7) for EC2 P-256/P-384 and OKP Ed25519, their RFC 9679
// thumbprints (atlog's key ids), COSE_KeySet (the body of /.well-known/scitt-keys), and the ways
// in from PEM and JWK, all ending in a node:crypto KeyObject.
//
// Only public keys are ever put on the wire: a COSE_Key here has no `d`, and decoding one that has
// it fails, because a published key set carrying a private key is an incident, not an input.

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hash,
  type JsonWebKey,
  KeyObject,
} from 'node:crypto';
import {
  type CoseAlgorithm,
  type CurveName,
  algorithmForCurve,
  algorithmProfile,
  isCoseAlgorithm,
  keyCurve,
} from './algorithms.js';
import { type CborLimits, type CborMapKey, type CborValue, decodeCbor, encodeCbor } from './cbor.js';
import { bytesEqual, fromHex, JsonSyntaxError, parseStrictJson } from '../util/index.js';
import { CoseError } from './errors.js';
import { Curve, KeyLabel, KeyType } from './labels.js';

/** An EC2 public key (kty 2) on P-256 (crv 1) or P-384 (crv 2); x and y are fixed-length. */
export interface Ec2PublicKey {
  readonly kty: typeof KeyType.EC2;
  readonly crv: typeof Curve.P256 | typeof Curve.P384;
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  readonly kid?: Uint8Array;
  readonly alg?: CoseAlgorithm;
}

/** An OKP public key (kty 1) on Ed25519 (crv 6); x is the 32-byte public key. */
export interface OkpPublicKey {
  readonly kty: typeof KeyType.OKP;
  readonly crv: typeof Curve.Ed25519;
  readonly x: Uint8Array;
  readonly kid?: Uint8Array;
  readonly alg?: CoseAlgorithm;
}

/** A public COSE_Key of a kind atlog uses. Other members (key_ops, …) are not kept. */
export type CoseKey = Ec2PublicKey | OkpPublicKey;

/** A freshly generated key pair. */
export interface KeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const CURVE_BY_ID: ReadonlyMap<number, CurveName> = new Map<number, CurveName>([
  [Curve.P256, 'P-256'],
  [Curve.P384, 'P-384'],
  [Curve.Ed25519, 'Ed25519'],
]);
const CURVE_ID: Readonly<Record<CurveName, CoseKey['crv']>> = { 'P-256': Curve.P256, 'P-384': Curve.P384, Ed25519: Curve.Ed25519 };

/** Generates a key pair for `alg`: P-256 for ES256, P-384 for ES384, Ed25519 for EdDSA. */
export function generateKeyPair(alg: CoseAlgorithm): KeyPair {
  const { curve } = algorithmProfile(alg);
  const pair =
    curve === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: curve });
  return { privateKey: pair.privateKey, publicKey: pair.publicKey };
}

// ---------------------------------------------------------------------------------------------
// PEM and JWK

/** Imports an SPKI public key (`-----BEGIN PUBLIC KEY-----`) of a supported curve. */
export function importPublicKeyPem(pem: string): KeyObject {
  const label = pemLabel(pem);
  if (label !== 'PUBLIC KEY') {
    throw new CoseError(
      label.includes('PRIVATE') ? 'KEY_PRIVATE' : 'KEY_MALFORMED',
      'expected one SPKI "PUBLIC KEY" PEM block',
    );
  }
  const key = attempt(() => createPublicKey({ key: pem, format: 'pem' }), 'not a valid SPKI public key');
  keyCurve(key);
  return key;
}

/** Imports an unencrypted PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`) of a supported curve. */
export function importPrivateKeyPem(pem: string): KeyObject {
  const label = pemLabel(pem);
  if (label !== 'PRIVATE KEY') {
    throw new CoseError(
      label === 'ENCRYPTED PRIVATE KEY' || label === 'EC PRIVATE KEY' ? 'KEY_UNSUPPORTED' : 'KEY_MALFORMED',
      'expected one unencrypted PKCS#8 "PRIVATE KEY" PEM block',
    );
  }
  const key = attempt(() => createPrivateKey({ key: pem, format: 'pem' }), 'not a valid PKCS#8 private key');
  keyCurve(key);
  return key;
}

/** SPKI PEM of a key's public part. */
export function exportPublicKeyPem(key: KeyObject): string {
  return publicKeyOf(key).export({ format: 'pem', type: 'spki' }).toString();
}

/** Unencrypted PKCS#8 PEM of a private key: handle the result as the secret it is. */
export function exportPrivateKeyPem(key: KeyObject): string {
  if (key.type !== 'private') throw new CoseError('KEY_WRONG_TYPE', 'not a private key');
  keyCurve(key);
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Imports a JWK (RFC 7517/7518/8037): EC P-256 or P-384, or OKP Ed25519. A JWK with `d` gives a
 * private KeyObject, without it a public one. A JWK `alg`, if present, must fit the curve.
 */
export function importJwk(jwk: JsonWebKey): KeyObject {
  if (typeof jwk !== 'object' || jwk === null) throw new CoseError('KEY_MALFORMED', 'a JWK must be an object');
  let curve: CurveName;
  if (jwk.kty === 'EC' && (jwk.crv === 'P-256' || jwk.crv === 'P-384')) curve = jwk.crv;
  else if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') curve = 'Ed25519';
  else throw new CoseError('KEY_UNSUPPORTED', 'only EC P-256, EC P-384 and OKP Ed25519 JWKs are supported');

  const { coordinateLength, name } = algorithmProfile(algorithmForCurve(curve));
  checkBase64urlMember(jwk.x, coordinateLength, 'x');
  if (curve !== 'Ed25519') checkBase64urlMember(jwk.y, coordinateLength, 'y');
  else if (jwk.y !== undefined) throw new CoseError('KEY_MALFORMED', 'an OKP JWK has no y');
  // RFC 9864 names Ed25519 fully as "Ed25519"; "EdDSA" is the older polymorphic name.
  if (jwk.alg !== undefined && jwk.alg !== name && !(curve === 'Ed25519' && jwk.alg === 'Ed25519')) {
    throw new CoseError('KEY_MALFORMED', `JWK alg does not fit a ${curve} key`);
  }
  if (jwk.d !== undefined) {
    checkBase64urlMember(jwk.d, coordinateLength, 'd');
    return attempt(() => createPrivateKey({ key: jwk, format: 'jwk' }), 'not a valid private JWK');
  }
  return attempt(() => createPublicKey({ key: jwk, format: 'jwk' }), 'not a valid public JWK');
}

// ---------------------------------------------------------------------------------------------
// COSE_Key

/**
 * The public COSE_Key of a KeyObject (a private key gives its public part). `kid` and `alg` are
 * included when given; `alg` must be the key's algorithm.
 */
export function coseKeyFromKeyObject(
  key: KeyObject,
  members: { readonly kid?: Uint8Array; readonly alg?: CoseAlgorithm } = {},
): CoseKey {
  const curve = keyCurve(key);
  if (members.alg !== undefined && members.alg !== algorithmForCurve(curve)) {
    throw new CoseError('COSE_KEY_MISMATCH', `alg ${String(members.alg)} does not fit a ${curve} key`);
  }
  if (members.kid !== undefined && !(members.kid instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'kid must be a Uint8Array');
  }
  const jwk = publicKeyOf(key).export({ format: 'jwk' });
  const x = fromBase64url(jwk.x);
  const optional = {
    ...(members.kid === undefined ? {} : { kid: members.kid }),
    ...(members.alg === undefined ? {} : { alg: members.alg }),
  };
  if (curve === 'Ed25519') return { kty: KeyType.OKP, crv: Curve.Ed25519, x, ...optional };
  return { kty: KeyType.EC2, crv: CURVE_ID[curve] as Ec2PublicKey['crv'], x, y: fromBase64url(jwk.y), ...optional };
}

/** The node:crypto public KeyObject for a COSE_Key; KEY_MALFORMED if the point is not on the curve. */
export function keyObjectFromCoseKey(key: CoseKey): KeyObject {
  return remembered(keyObjects, key, convertCoseKey);
}

// Trusted keys are looked up for every statement and receipt verified. Converting a COSE_Key to a
// KeyObject each time costs more than the signature check itself (a fresh KeyObject also loses
// OpenSSL's per-key setup), and so does hashing its thumbprint. Both are remembered per key
// object, weakly (nothing is kept alive by the memo), together with a copy of the members they
// depend on: a hit is used only if the key still has exactly those members, so a caller editing
// a key's bytes in place gets a fresh conversion, never a stale one.
interface Remembered<T> {
  readonly kty: number;
  readonly crv: number;
  readonly x: Uint8Array;
  readonly y: Uint8Array | undefined;
  readonly value: T;
}
const keyObjects = new WeakMap<CoseKey, Remembered<KeyObject>>();
const coseThumbprints = new WeakMap<CoseKey, Remembered<Uint8Array>>();
const keyObjectThumbprints = new WeakMap<KeyObject, Uint8Array>();

function remembered<T>(memo: WeakMap<CoseKey, Remembered<T>>, key: CoseKey, compute: (key: CoseKey) => T): T {
  const known = memo.get(key);
  const y = key.kty === KeyType.EC2 ? key.y : undefined;
  if (
    known !== undefined &&
    known.kty === key.kty &&
    known.crv === key.crv &&
    bytesEqual(known.x, key.x) &&
    (known.y === undefined ? y === undefined : y !== undefined && bytesEqual(known.y, y))
  ) {
    return known.value;
  }
  const value = compute(key);
  // Copies: a Buffer's slice is a view, and the memo would follow the caller's edits.
  memo.set(key, { kty: key.kty, crv: key.crv, x: new Uint8Array(key.x), y: y === undefined ? undefined : new Uint8Array(y), value });
  return value;
}

// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) up to the key's bits, for each curve: the sequence
// and algorithm identifier (RFC 5480 §2.1.1 id-ecPublicKey with the curve's OID; RFC 8410 §3
// id-Ed25519), then the BIT STRING's head and its zero count of unused bits.
const SPKI_PREFIX: Readonly<Record<CurveName, Uint8Array>> = {
  'P-256': fromHex('3059301306072a8648ce3d020106082a8648ce3d030107034200')!,
  'P-384': fromHex('3076301006072a8648ce3d020106052b81040022036200')!,
  Ed25519: fromHex('302a300506032b6570032100')!,
};

function convertCoseKey(key: CoseKey): KeyObject {
  const curve = checkCoseKey(key);
  // As SPKI DER rather than JWK: the same key, but node:crypto makes a JWK into a key that OpenSSL
  // 3 verifies with ~0.3 µs more per signature (0.5% of an ES256 check, on every receipt and
  // statement checked with a COSE_Key), where SPKI gives the key a generated one would be.
  // OpenSSL refuses a point that is not on the curve either way.
  const prefix = SPKI_PREFIX[curve];
  const der = new Uint8Array(prefix.length + (key.kty === KeyType.OKP ? key.x.length : 1 + 2 * key.x.length));
  der.set(prefix);
  if (key.kty === KeyType.OKP) {
    der.set(key.x, prefix.length);
  } else {
    der[prefix.length] = 0x04; // an uncompressed point: x ‖ y
    der.set(key.x, prefix.length + 1);
    der.set(key.y, prefix.length + 1 + key.x.length);
  }
  return attempt(() => createPublicKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: 'der', type: 'spki' }), 'COSE_Key is not a valid public key');
}


/** A COSE_Key as a CBOR map, for embedding (e.g. in a key set or a `cnf` claim). */
export function coseKeyToCbor(key: CoseKey): Map<CborMapKey, CborValue> {
  checkCoseKey(key);
  const map = new Map<CborMapKey, CborValue>([
    [KeyLabel.kty, key.kty],
    [KeyLabel.crv, key.crv],
    [KeyLabel.x, key.x],
  ]);
  if (key.kty === KeyType.EC2) map.set(KeyLabel.y, key.y);
  if (key.kid !== undefined) map.set(KeyLabel.kid, key.kid);
  if (key.alg !== undefined) map.set(KeyLabel.alg, key.alg);
  return map;
}

/** Deterministic CBOR of a public COSE_Key. */
export function encodeCoseKey(key: CoseKey): Uint8Array {
  return encodeCbor(coseKeyToCbor(key));
}

/**
 * Reads a public COSE_Key from a decoded CBOR map. Refuses private members (KEY_PRIVATE), kinds
 * atlog does not use (KEY_UNSUPPORTED: RSA, symmetric, P-521, X25519, Ed448, compressed points)
 * and anything inconsistent (KEY_MALFORMED: wrong lengths, curve of another key type, an `alg`
 * that does not fit the curve, a point not on the curve). Unknown members are ignored.
 */
export function coseKeyFromCbor(value: CborValue): CoseKey {
  if (!(value instanceof Map)) throw new CoseError('KEY_MALFORMED', 'a COSE_Key must be a map');
  const map = value as ReadonlyMap<CborMapKey, CborValue>;
  if (map.has(KeyLabel.d)) throw new CoseError('KEY_PRIVATE', 'COSE_Key contains a private key (d)');

  const kty = map.get(KeyLabel.kty);
  if (kty === undefined) throw new CoseError('KEY_MALFORMED', 'COSE_Key has no kty');
  if (kty !== KeyType.EC2 && kty !== KeyType.OKP) {
    throw new CoseError('KEY_UNSUPPORTED', 'only EC2 and OKP COSE keys are supported');
  }
  const crv = map.get(KeyLabel.crv);
  if (typeof crv !== 'number') throw new CoseError('KEY_MALFORMED', 'COSE_Key crv must be an integer');
  const curve = CURVE_BY_ID.get(crv);
  const ecCurve = crv === Curve.P256 || crv === Curve.P384 || crv === Curve.P521;
  const okpCurve = crv === Curve.X25519 || crv === Curve.X448 || crv === Curve.Ed25519 || crv === Curve.Ed448;
  if ((kty === KeyType.EC2 && okpCurve) || (kty === KeyType.OKP && ecCurve)) {
    throw new CoseError('KEY_MALFORMED', 'COSE_Key crv is not a curve of its kty');
  }
  if (curve === undefined) throw new CoseError('KEY_UNSUPPORTED', 'only P-256, P-384 and Ed25519 keys are supported');

  const x = map.get(KeyLabel.x);
  const y = map.get(KeyLabel.y);
  if (kty === KeyType.EC2 && typeof y === 'boolean') {
    throw new CoseError('KEY_UNSUPPORTED', 'compressed EC2 points are not supported');
  }
  const kid = map.get(KeyLabel.kid);
  if (kid !== undefined && !(kid instanceof Uint8Array)) throw new CoseError('KEY_MALFORMED', 'COSE_Key kid must be a byte string');
  const alg = map.get(KeyLabel.alg);
  if (alg !== undefined && !isCoseAlgorithm(alg)) {
    throw new CoseError('KEY_UNSUPPORTED', 'COSE_Key alg is not one atlog supports');
  }
  const optional = { ...(kid === undefined ? {} : { kid }), ...(alg === undefined ? {} : { alg }) };
  const key =
    kty === KeyType.OKP
      ? ({ kty, crv: Curve.Ed25519, x, ...optional } as OkpPublicKey)
      : ({ kty, crv, x, y, ...optional } as Ec2PublicKey);
  if (kty === KeyType.OKP && y !== undefined) throw new CoseError('KEY_MALFORMED', 'an OKP COSE_Key has no y');
  // Validates lengths and alg, then the point itself: a key that cannot verify is not a key.
  keyObjectFromCoseKey(key);
  return Object.freeze(key);
}

/** Decodes a public COSE_Key (see {@link coseKeyFromCbor}). */
export function decodeCoseKey(bytes: Uint8Array, limits?: Partial<CborLimits>): CoseKey {
  return coseKeyFromCbor(decodeCbor(bytes, { ...limits, tags: [] }));
}

/**
 * RFC 9679 COSE Key Thumbprint with SHA-256: the hash of the deterministic CBOR of the required
 * members only (EC2 `{1: kty, -1: crv, -2: x, -3: y}`, OKP `{1: kty, -1: crv, -2: x}`), so `kid`,
 * `alg` and anything else never change it. atlog uses it as the kid of its service keys.
 */
export function coseKeyThumbprint(key: CoseKey | KeyObject): Uint8Array {
  return keyThumbprint(key).slice();
}

/** The thumbprint, remembered per key; the caller must not modify what it returns. */
export function keyThumbprint(key: CoseKey | KeyObject): Uint8Array {
  if (!(key instanceof KeyObject)) return remembered(coseThumbprints, key, computeThumbprint);
  // A KeyObject cannot change.
  let thumbprint = keyObjectThumbprints.get(key);
  if (thumbprint === undefined) {
    thumbprint = computeThumbprint(key);
    keyObjectThumbprints.set(key, thumbprint);
  }
  return thumbprint;
}

function computeThumbprint(key: CoseKey | KeyObject): Uint8Array {
  const coseKey = key instanceof KeyObject ? coseKeyFromKeyObject(key) : key;
  checkCoseKey(coseKey);
  const required = new Map<CborMapKey, CborValue>([
    [KeyLabel.kty, coseKey.kty],
    [KeyLabel.crv, coseKey.crv],
    [KeyLabel.x, coseKey.x],
  ]);
  if (coseKey.kty === KeyType.EC2) required.set(KeyLabel.y, coseKey.y);
  const digest = hash('sha256', encodeCbor(required), 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** The thumbprint as a URI (RFC 9679 §5): `urn:ietf:params:oauth:ckt:sha-256:<base64url>`. */
export function coseKeyThumbprintUri(key: CoseKey | KeyObject): string {
  return `urn:ietf:params:oauth:ckt:sha-256:${toBase64url(coseKeyThumbprint(key))}`;
}

/** COSE_KeySet (RFC 9052 §7): an array of COSE_Keys. Kids, where present, must be distinct. */
export function encodeCoseKeySet(keys: readonly CoseKey[]): Uint8Array {
  checkDistinctKids(keys);
  return encodeCbor(keys.map(coseKeyToCbor));
}

/** Decodes a COSE_KeySet; every member must be a valid public key, kids distinct. */
export function decodeCoseKeySet(bytes: Uint8Array, limits?: Partial<CborLimits>): CoseKey[] {
  const value = decodeCbor(bytes, { ...limits, tags: [] });
  if (!Array.isArray(value)) throw new CoseError('KEY_MALFORMED', 'a COSE_KeySet must be an array');
  const keys = (value as readonly CborValue[]).map(coseKeyFromCbor);
  checkDistinctKids(keys);
  return keys;
}

// ---------------------------------------------------------------------------------------------

/** Checks a COSE_Key object's members; returns its curve. */
function checkCoseKey(key: CoseKey): CurveName {
  if (typeof key !== 'object' || key === null) throw new CoseError('KEY_MALFORMED', 'a COSE_Key must be an object');
  const curve = CURVE_BY_ID.get(key.crv);
  const fits = curve !== undefined && (key.kty === KeyType.OKP) === (curve === 'Ed25519') && (key.kty === KeyType.OKP || key.kty === KeyType.EC2);
  if (!fits) throw new CoseError('KEY_MALFORMED', 'COSE_Key kty and crv do not fit together');
  const { coordinateLength, alg } = algorithmProfile(algorithmForCurve(curve));
  if (!(key.x instanceof Uint8Array) || key.x.length !== coordinateLength) {
    throw new CoseError('KEY_MALFORMED', `COSE_Key x must be a ${coordinateLength}-byte string`);
  }
  if (key.kty === KeyType.EC2 && (!(key.y instanceof Uint8Array) || key.y.length !== coordinateLength)) {
    throw new CoseError('KEY_MALFORMED', `COSE_Key y must be a ${coordinateLength}-byte string`);
  }
  if (key.alg !== undefined && key.alg !== alg) {
    throw new CoseError('KEY_MALFORMED', `COSE_Key alg does not fit a ${curve} key`);
  }
  return curve;
}

function checkDistinctKids(keys: readonly CoseKey[]): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (key.kid === undefined) continue;
    const id = Buffer.from(key.kid).toString('hex');
    if (seen.has(id)) throw new CoseError('KEY_MALFORMED', 'two keys in the set share a kid');
    seen.add(id);
  }
}

function publicKeyOf(key: KeyObject): KeyObject {
  keyCurve(key);
  return key.type === 'private' ? createPublicKey(key) : key;
}

function pemLabel(pem: string): string {
  if (typeof pem !== 'string') throw new CoseError('KEY_MALFORMED', 'PEM must be a string');
  const match = /^-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1-----\s*$/.exec(pem.trim());
  if (match === null) throw new CoseError('KEY_MALFORMED', 'expected exactly one PEM block');
  return match[1] as string;
}

function attempt<T>(operation: () => T, message: string): T {
  try {
    return operation();
  } catch (error) {
    // The message is ours and says nothing about the key; node's error stays as the cause.
    throw new CoseError('KEY_MALFORMED', message, { cause: error });
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function checkBase64urlMember(value: unknown, length: number, member: string): void {
  if (typeof value !== 'string' || !BASE64URL.test(value) || fromBase64url(value).length !== length) {
    throw new CoseError('KEY_MALFORMED', `JWK ${member} must be ${length} bytes in base64url`);
  }
}

function fromBase64url(text: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(text ?? '', 'base64url'));
}

function toBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

// ---------------------------------------------------------------------------------------------
// Public key files

export interface ReadPublicKeysOptions {
  /** Accept a JWK Set or a COSE_KeySet; by default a file holds exactly one key. */
  readonly sets?: boolean;
  /** Largest file read (default 64 KiB). */
  readonly maxBytes?: number;
}

/** Longest key id a key file may give its key. */
export const MAX_KEY_FILE_KID_BYTES = 256;

/**
 * The public keys in a key file: SPKI PEM, a JWK, or a COSE_Key (and, with `sets`, a JWK Set or
 * a COSE_KeySet), told apart by the first byte that is not blank: `-` PEM, `{` JSON, anything else
 * CBOR. A key keeps the id its file gives it (a JWK's `kid` as UTF-8, a COSE_Key's `kid`) as its
 * `kid` member; keys also match by their RFC 9679 thumbprint wherever they are looked up.
 * JSON is parsed strictly (a member named twice is refused). Private keys are refused
 * (KEY_PRIVATE): trusting a key needs only its public half. Messages never quote the file.
 */
export function readPublicKeyFile(bytes: Uint8Array, options: ReadPublicKeysOptions = {}): CoseKey[] {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  if (bytes.length > maxBytes) throw new CoseError('KEY_MALFORMED', `the key file is larger than ${maxBytes} bytes`);
  let first = 0;
  while (first < bytes.length && (bytes[first] === 0x20 || bytes[first] === 0x09 || bytes[first] === 0x0a || bytes[first] === 0x0d)) first++;
  if (first === bytes.length) throw new CoseError('KEY_MALFORMED', 'the key file is empty');
  if (bytes[first] === 0x2d) return [coseKeyFromKeyObject(importPublicKeyPem(utf8Text(bytes)))];
  if (bytes[first] === 0x7b) return keysFromJwkFile(bytes, maxBytes, options.sets === true);
  const value = decodeCbor(bytes, { maxBytes, maxDepth: 4, maxItems: 1024, maxStringBytes: 4096, tags: [] });
  if (Array.isArray(value)) {
    if (options.sets !== true) throw new CoseError('KEY_MALFORMED', 'this is a COSE_KeySet; give one key per file');
    const keys = decodeCoseKeySet(bytes, { maxBytes, maxDepth: 4, maxItems: 1024, maxStringBytes: 4096 });
    if (keys.length === 0) throw new CoseError('KEY_MALFORMED', 'the COSE_KeySet has no keys');
    for (const key of keys) checkFileKid(key.kid);
    return keys;
  }
  const key = coseKeyFromCbor(value);
  checkFileKid(key.kid);
  return [key];
}

function keysFromJwkFile(bytes: Uint8Array, maxBytes: number, sets: boolean): CoseKey[] {
  let json: unknown;
  try {
    json = parseStrictJson(utf8Text(bytes), { maxLength: maxBytes, maxDepth: 5 });
  } catch (error) {
    // The parser gives an offset, never the text: the file may hold a private key.
    if (error instanceof JsonSyntaxError) throw new CoseError('KEY_MALFORMED', `the JWK is not strict JSON: ${error.message}`);
    throw error;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CoseError('KEY_MALFORMED', 'a JWK is a JSON object');
  const members = json as Record<string, unknown>;
  let jwks: unknown[] = [members];
  if ('keys' in members) {
    if (!sets) throw new CoseError('KEY_MALFORMED', 'this is a JWK Set; give one key per file');
    if (!Array.isArray(members.keys) || members.keys.length === 0) throw new CoseError('KEY_MALFORMED', 'the JWK Set has no keys');
    jwks = members.keys;
  }
  return jwks.map((jwk) => {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new CoseError('KEY_MALFORMED', 'a JWK is a JSON object');
    const member = jwk as Record<string, unknown>;
    if ('d' in member) throw new CoseError('KEY_PRIVATE', 'the JWK holds a private key (d); give its public key');
    let kid: Uint8Array | undefined;
    if (member.kid !== undefined) {
      if (typeof member.kid !== 'string') throw new CoseError('KEY_MALFORMED', 'a JWK kid is a string');
      kid = new TextEncoder().encode(member.kid);
      checkFileKid(kid);
    }
    return coseKeyFromKeyObject(importJwk(member as JsonWebKey), kid === undefined ? {} : { kid });
  });
}

function checkFileKid(kid: Uint8Array | undefined): void {
  if (kid !== undefined && (kid.length === 0 || kid.length > MAX_KEY_FILE_KID_BYTES)) {
    throw new CoseError('KEY_MALFORMED', `a key's own kid must be 1 to ${MAX_KEY_FILE_KID_BYTES} bytes`);
  }
}

function utf8Text(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CoseError('KEY_MALFORMED', 'the key file is not UTF-8 text');
  }
}
