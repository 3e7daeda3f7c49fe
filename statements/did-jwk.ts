// did:jwk issuers (https://github.com/quartzjer/did-jwk): the DID is the issuer's public key,
// `did:jwk:<base64url of the JWK's JSON>`, so a statement can carry its own key in its signed
// iss claim. The open development policy admits them, so that a fresh agent needs no set-up;
// a configured policy never does (an operator who trusts one such key lists its JWK instead).
//
// Decoded strictly, because the key is read out of attacker-chosen text: a bounded length,
// canonical unpadded base64url, UTF-8, strict JSON (no duplicate members), only the members of a
// public EC or OKP signing key, and no private member whatever its name.

import type { JsonWebKey, KeyObject } from 'node:crypto';
import { type CoseKey, Curve, coseKeyFromKeyObject, coseKeyThumbprint, importJwk } from '../receipts/index.js';
import { bytesEqual } from '../util/index.js';
import { JsonSyntaxError, parseStrictJson } from '../util/index.js';

export const DID_JWK_PREFIX = 'did:jwk:';

/**
 * Longest method-specific id, in characters: a P-384 JWK with kid, alg, use and key_ops is about
 * 300 bytes of JSON (400 characters of base64url); 1024 leaves room and stops a megabyte iss.
 */
export const MAX_DID_JWK_LENGTH = 1024;

/** Members a did:jwk key may carry; anything else is refused, so the key means one thing. */
const PUBLIC_MEMBERS: ReadonlySet<string> = new Set(['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use', 'key_ops', 'ext']);
/** Private members of any JWK key type (RFC 7518 §6): one of them is a leaked key, not an issuer. */
const PRIVATE_MEMBERS: ReadonlySet<string> = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']);

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** A did:jwk issuer decoded: its key, and the key ids a statement signed with it may carry. */
export interface DidJwkIssuer {
  readonly iss: string;
  readonly publicKey: KeyObject;
  readonly coseKey: CoseKey;
  /** RFC 9679 thumbprint of the key. */
  readonly thumbprint: Uint8Array;
}

/** Why a did:jwk cannot be an issuer; the policy turns it into POLICY_ISSUER_UNKNOWN. */
export class DidJwkError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'DidJwkError';
  }
}

export function isDidJwk(iss: string): boolean {
  return iss.startsWith(DID_JWK_PREFIX);
}

/** Decodes `did:jwk:<id>` into a public signing key; throws {@link DidJwkError}. */
export function decodeDidJwk(iss: string): DidJwkIssuer {
  if (!isDidJwk(iss)) throw new DidJwkError('the issuer is not a did:jwk');
  const id = iss.slice(DID_JWK_PREFIX.length);
  if (id.length > MAX_DID_JWK_LENGTH) throw new DidJwkError(`the did:jwk is longer than ${MAX_DID_JWK_LENGTH} characters`);
  // A DID URL (path, query, fragment) or parameters name something else than the DID itself.
  if (!BASE64URL.test(id)) throw new DidJwkError('the did:jwk id must be unpadded base64url and nothing else (no path, query or fragment)');
  const bytes = Buffer.from(id, 'base64url');
  // Node ignores trailing bits and stray lengths; only the canonical encoding of the bytes is one id.
  if (bytes.toString('base64url') !== id) throw new DidJwkError('the did:jwk id is not canonical base64url');
  let json: unknown;
  try {
    json = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), { maxLength: MAX_DID_JWK_LENGTH, maxDepth: 2 });
  } catch (error) {
    const reason = error instanceof JsonSyntaxError ? error.message : 'it is not UTF-8';
    throw new DidJwkError(`the did:jwk key is not strict JSON: ${reason}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DidJwkError('the did:jwk key is not a JSON object');
  const jwk = json as Record<string, unknown>;
  for (const member of Object.keys(jwk)) {
    if (PRIVATE_MEMBERS.has(member)) throw new DidJwkError(`the did:jwk key has the private member "${member}": a DID never carries a private key`);
    if (!PUBLIC_MEMBERS.has(member)) throw new DidJwkError(`the did:jwk key has a member this policy does not read (${JSON.stringify(member.slice(0, 32))})`);
  }
  checkUse(jwk);
  let publicKey: KeyObject;
  try {
    publicKey = importJwk(jwk as JsonWebKey);
  } catch (error) {
    throw new DidJwkError(`the did:jwk key is not a key atlog verifies with: ${(error as Error).message}`, { cause: error });
  }
  const coseKey = coseKeyFromKeyObject(publicKey);
  return Object.freeze({ iss, publicKey, coseKey, thumbprint: coseKeyThumbprint(coseKey) });
}

function checkUse(jwk: Record<string, unknown>): void {
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new DidJwkError('the did:jwk key’s use must be "sig"');
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') throw new DidJwkError('the did:jwk key’s kid must be a string');
  if (jwk.ext !== undefined && typeof jwk.ext !== 'boolean') throw new DidJwkError('the did:jwk key’s ext must be a boolean');
  if (jwk.key_ops !== undefined) {
    const ops = jwk.key_ops;
    if (!Array.isArray(ops) || !ops.every((op) => typeof op === 'string') || new Set(ops).size !== ops.length || !ops.includes('verify')) {
      throw new DidJwkError('the did:jwk key’s key_ops must be distinct strings including "verify"');
    }
  }
}

/**
 * The key ids a statement from this did:jwk may carry in its protected kid: the key's RFC 9679
 * thumbprint (what `signStatement` writes by default), or the DID URL of its one verification
 * method, `<iss>#0`, as UTF-8 (what DID-based signers write). Either names this key and no other,
 * so a verifier that resolves kids never finds a different key than the policy used.
 */
export function didJwkKidMatches(issuer: DidJwkIssuer, kid: Uint8Array): boolean {
  return bytesEqual(kid, issuer.thumbprint) || bytesEqual(kid, new TextEncoder().encode(`${issuer.iss}#0`));
}

/** `did:jwk:…` for a public key: the JWK of its public members (kty, crv, x, y) only. */
export function didJwkFor(key: KeyObject): string {
  const coseKey = coseKeyFromKeyObject(key); // validates the curve; a private key gives its public part
  const jwk =
    'y' in coseKey
      ? { kty: 'EC', crv: coseKey.crv === Curve.P256 ? 'P-256' : 'P-384', x: b64u(coseKey.x), y: b64u(coseKey.y) }
      : { kty: 'OKP', crv: 'Ed25519', x: b64u(coseKey.x) };
  return `${DID_JWK_PREFIX}${Buffer.from(JSON.stringify(jwk), 'utf8').toString('base64url')}`;
}

function b64u(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
