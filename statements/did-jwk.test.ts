import { describe, expect, it } from 'vitest';
import { CoseAlgorithm, coseKeyThumbprint, generateKeyPair } from '../receipts/index.js';
import { decodeDidJwk, DidJwkError, didJwkFor, didJwkKidMatches } from './did-jwk.js';

const did = (json: string) => `did:jwk:${Buffer.from(json, 'utf8').toString('base64url')}`;
const es256 = generateKeyPair(CoseAlgorithm.ES256);
const eddsa = generateKeyPair(CoseAlgorithm.EdDSA);
const publicJwk = es256.publicKey.export({ format: 'jwk' });

describe('decodeDidJwk', () => {
  it('decodes the public key of didJwkFor, for each curve', () => {
    for (const algorithm of [CoseAlgorithm.ES256, CoseAlgorithm.ES384, CoseAlgorithm.EdDSA]) {
      const pair = generateKeyPair(algorithm);
      const decoded = decodeDidJwk(didJwkFor(pair.privateKey));
      expect(decoded.thumbprint).toEqual(coseKeyThumbprint(pair.publicKey));
      expect(decoded.publicKey.type).toBe('public');
    }
  });

  it('accepts the optional public members of a signing key', () => {
    decodeDidJwk(did(JSON.stringify({ ...publicJwk, kid: 'k', use: 'sig', alg: 'ES256', key_ops: ['verify'], ext: true })));
  });

  it('names the key by its thumbprint or its DID URL, nothing else', () => {
    const iss = didJwkFor(eddsa.publicKey);
    const decoded = decodeDidJwk(iss);
    expect(didJwkKidMatches(decoded, coseKeyThumbprint(eddsa.publicKey))).toBe(true);
    expect(didJwkKidMatches(decoded, new TextEncoder().encode(`${iss}#0`))).toBe(true);
    expect(didJwkKidMatches(decoded, new TextEncoder().encode(`${iss}#1`))).toBe(false);
    expect(didJwkKidMatches(decoded, coseKeyThumbprint(es256.publicKey))).toBe(false);
  });

  it('refuses private members, unknown members, other uses and other key types', () => {
    const refusals: [string, RegExp][] = [
      [did(JSON.stringify(es256.privateKey.export({ format: 'jwk' }))), /private member "d"/],
      [did(JSON.stringify({ ...publicJwk, k: 'AAAA' })), /private member "k"/],
      [did(JSON.stringify({ ...publicJwk, x5c: ['MII'] })), /does not read/],
      [did(JSON.stringify({ ...publicJwk, use: 'enc' })), /use must be "sig"/],
      [did(JSON.stringify({ ...publicJwk, key_ops: ['sign'] })), /key_ops/],
      [did(JSON.stringify({ ...publicJwk, alg: 'ES384' })), /not a key atlog verifies/],
      [did(JSON.stringify({ kty: 'oct', k: 'AAAA' })), /private member "k"/],
      [did(JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB' })), /does not read/],
      [did(JSON.stringify({ kty: 'EC', crv: 'P-256', x: publicJwk.x })), /not a key atlog verifies/],
      [did('[1]'), /not a JSON object/],
    ];
    for (const [iss, reason] of refusals) expect(() => decodeDidJwk(iss), iss).toThrow(reason);
  });

  it('refuses what is not one canonical base64url JSON text', () => {
    const good = didJwkFor(es256.publicKey);
    const refusals: [string, RegExp][] = [
      [`${good}#0`, /nothing else/],
      [`${good}=`, /nothing else/],
      [`${good}?x=1`, /nothing else/],
      ['did:jwk:', /nothing else/],
      [`did:jwk:${'A'.repeat(2000)}`, /longer than/],
      [did(`{"kty":"EC","kty":"EC","crv":"P-256","x":"${publicJwk.x}","y":"${publicJwk.y}"}`), /twice/],
      [`did:jwk:${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}`, /not UTF-8/],
      ['did:web:example.com', /not a did:jwk/],
    ];
    for (const [iss, reason] of refusals) expect(() => decodeDidJwk(iss), iss).toThrow(reason);
    // 13 bytes encode to 18 characters whose last carries 4 unused bits: flipping one gives the
    // same bytes to Node's decoder, and a second spelling of the same DID.
    const id = Buffer.from('{"kty":"OKP"}').toString('base64url');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const twin = `${id.slice(0, -1)}${alphabet[alphabet.indexOf(id.at(-1)!) ^ 1]!}`;
    expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(id, 'base64url'));
    expect(() => decodeDidJwk(`did:jwk:${twin}`)).toThrow(/not canonical/);
  });
});
