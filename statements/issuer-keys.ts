// Issuer keys the operator trusts by kid: read from PEM (SPKI), JWK or COSE_Key files, and
// indexed by every key id that names them. A key is found by its own kid (a JWK's `kid` as UTF-8
// bytes, a COSE_Key's kid bytes) and always by its RFC 9679 thumbprint, the kid `signStatement`
// and `atlog keygen` use by default. One kid naming two different keys is refused at load: which
// key verifies a statement must never depend on the order of a file.

import { KeyObject } from 'node:crypto';
import {
  type CborValue,
  type CoseKey,
  CoseError,
  coseKeyFromCbor,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  KeyLabel,
  keyObjectFromCoseKey,
  MAX_KEY_FILE_KID_BYTES,
  readPublicKeyFile,
} from '../receipts/index.js';
import { toHex } from '../util/index.js';
import { configError, describeSetting, PolicyError, type SettingRef } from './errors.js';

/** Largest key file: a PEM or JWK is well under 1 KiB; the margin is for comments and whitespace. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;
/**
 * Most issuer keys in one policy (files, flags and code alike). Agents that need more are better
 * served by a CA and a trust anchor; the policy's description must also fit in one log entry.
 */
export const MAX_ISSUER_KEYS = 256;

/** A trusted issuer key, as the policy holds it. */
export interface IssuerKey {
  /** The public key as a COSE_Key, without kid (see `kids`). */
  readonly coseKey: CoseKey;
  readonly publicKey: KeyObject;
  /** RFC 9679 thumbprint: the key always matches a statement whose kid is this. */
  readonly thumbprint: Uint8Array;
  /** The key's own kids (JWK `kid` as UTF-8, COSE_Key kid), sorted; empty when it has none. */
  readonly kids: readonly Uint8Array[];
}

/** A key given in code: a public KeyObject or COSE_Key, optionally with its own kid. */
export type IssuerKeyInput = KeyObject | CoseKey | { readonly key: KeyObject | CoseKey; readonly kid?: Uint8Array };

/** One key read from a source, before indexing; `from` names where it came from, for errors. */
export interface LoadedIssuerKey {
  readonly coseKey: CoseKey;
  readonly kid: Uint8Array | undefined;
  readonly from: SettingRef;
}

/** The trusted issuer keys, by the hex of every kid that names one. */
export class IssuerKeyIndex {
  readonly #byKid: ReadonlyMap<string, IssuerKey>;
  /** Sorted by thumbprint, so their description does not depend on configuration order. */
  readonly keys: readonly IssuerKey[];

  constructor(keys: readonly IssuerKey[], byKid: ReadonlyMap<string, IssuerKey>) {
    this.keys = keys;
    this.#byKid = byKid;
  }

  find(kid: Uint8Array): IssuerKey | undefined {
    return this.#byKid.get(toHex(kid));
  }
}

/**
 * Indexes keys: the same key (by thumbprint) from several sources is one key with the union of
 * their kids; a kid naming two different keys is POLICY_CONFIG, naming both settings.
 */
export function indexIssuerKeys(loaded: readonly LoadedIssuerKey[]): IssuerKeyIndex {
  interface Building {
    coseKey: CoseKey;
    thumbprint: Uint8Array;
    kids: Map<string, Uint8Array>;
    from: SettingRef;
  }
  const byThumbprint = new Map<string, Building>();
  for (const { coseKey, kid, from } of loaded) {
    const thumbprint = coseKeyThumbprint(coseKey);
    const id = toHex(thumbprint);
    const entry = byThumbprint.get(id) ?? { coseKey: withoutKid(coseKey), thumbprint, kids: new Map(), from };
    if (kid !== undefined && toHex(kid) !== id) entry.kids.set(toHex(kid), kid);
    byThumbprint.set(id, entry);
  }
  const keys: IssuerKey[] = [];
  const byKid = new Map<string, IssuerKey>();
  const named = new Map<string, SettingRef>(); // kid hex → where the key it names came from
  for (const id of [...byThumbprint.keys()].sort()) {
    const entry = byThumbprint.get(id) as Building;
    const key: IssuerKey = Object.freeze({
      coseKey: entry.coseKey,
      publicKey: keyObjectFromCoseKey(entry.coseKey),
      thumbprint: entry.thumbprint,
      kids: Object.freeze([...entry.kids.keys()].sort().map((kid) => entry.kids.get(kid) as Uint8Array)),
    });
    keys.push(key);
    for (const kid of [id, ...entry.kids.keys()]) {
      const earlier = named.get(kid);
      if (earlier !== undefined) {
        throw configError(entry.from, `its kid ${kid.slice(0, 64)} also names the different key of ${describeSetting(earlier)}; a kid must name one key`);
      }
      named.set(kid, entry.from);
      byKid.set(kid, key);
    }
  }
  return new IssuerKeyIndex(Object.freeze(keys), byKid);
}

function withoutKid(key: CoseKey): CoseKey {
  const { kid: _kid, alg: _alg, ...rest } = key;
  return Object.freeze(rest) as CoseKey;
}

/** A key given in code, checked like one from a file. */
export function issuerKeyFromInput(input: IssuerKeyInput, setting: SettingRef): LoadedIssuerKey {
  const given = isKeyLike(input) ? { key: input } : input;
  if (typeof given !== 'object' || given === null || !isKeyLike(given.key)) {
    throw configError(setting, 'an issuer key must be a public KeyObject or COSE_Key, optionally as { key, kid }');
  }
  const { key } = given;
  const kid = given.kid ?? (key instanceof KeyObject ? undefined : key.kid);
  if (kid !== undefined) checkKid(kid, setting);
  const coseKey = keyFrom(setting, () => {
    if (!(key instanceof KeyObject)) return coseKeyFromCbor(coseKeyToMap(key));
    if (key.type !== 'public') throw new CoseError('KEY_PRIVATE', 'an issuer key must be a public key');
    return coseKeyFromKeyObject(key);
  });
  return { coseKey, kid, from: setting };
}

function isKeyLike(value: unknown): value is KeyObject | CoseKey {
  return value instanceof KeyObject || (typeof value === 'object' && value !== null && 'kty' in value && 'crv' in value && 'x' in value);
}

// A COSE_Key given in code is read again through the CBOR reader, so it meets the checks a file
// does (a private `d` included, should a caller have added one).
function coseKeyToMap(key: CoseKey): CborValue {
  const members = key as unknown as Record<string, CborValue>;
  const map = new Map<number, CborValue>([
    [KeyLabel.kty, key.kty],
    [KeyLabel.crv, key.crv],
    [KeyLabel.x, key.x],
  ]);
  if (members.y !== undefined) map.set(KeyLabel.y, members.y);
  if (members.d !== undefined) map.set(KeyLabel.d, members.d);
  return map;
}

/**
 * Reads one public key from a file's bytes: SPKI PEM, one JWK, or one COSE_Key, told apart by
 * the first byte (`-` PEM, `{` JSON, anything else CBOR). Its kid: the JWK's `kid` as UTF-8, or
 * the COSE_Key's kid, when present. Private keys and key sets are refused with the reason.
 */
export function issuerKeyFromFile(bytes: Uint8Array, setting: SettingRef): LoadedIssuerKey {
  const [coseKey] = keyFrom(setting, () => readPublicKeyFile(bytes, { maxBytes: MAX_KEY_FILE_BYTES }));
  return { coseKey: coseKey!, kid: coseKey!.kid, from: setting };
}

function checkKid(kid: unknown, setting: SettingRef): asserts kid is Uint8Array {
  if (!(kid instanceof Uint8Array) || kid.length === 0 || kid.length > MAX_KEY_FILE_KID_BYTES) {
    throw configError(setting, `a key's own kid must be 1 to ${MAX_KEY_FILE_KID_BYTES} bytes`);
  }
}

/** Runs a key reader; its CoseError becomes POLICY_CONFIG about the setting, kept as the cause. */
function keyFrom<T>(setting: SettingRef, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    if (error instanceof CoseError) {
      const reason =
        error.code === 'KEY_PRIVATE'
          ? 'it holds a private key; trusting an issuer needs only its public key'
          : `not a public key atlog verifies with (${error.code}: ${error.message})`;
      throw configError(setting, reason, error);
    }
    throw error;
  }
}
