// Interop with @transmute/cose (devDependency, an independent implementation on cbor-web and
// WebCrypto): what we sign it verifies, what it signs we verify, attached and detached.
//
// What it does differently, and what these tests pin down:
// - it supports ECDSA only (ES256/ES384/ES512): its signer and verifier import every key as
//   WebCrypto ECDSA, so EdDSA cannot be exchanged with it;
// - its verifier needs a JWK carrying `alg` and compares it with the protected alg;
// - it encodes the protected header with cbor-web's default (insertion order, not sorted), which
//   we must and do verify as received;
// - its attached signer writes `undefined` (0xf7) for a missing unprotected header, which our
//   strict decoder refuses, so these tests always pass one;
// - its README puts a text-string kid in the protected header; RFC 9052 says bstr, and we refuse
//   a text kid (COSE_MALFORMED);
// - cbor-web tags a plain Uint8Array (not a Buffer) as tag 64, so its thumbprint of a COSE_Key map
//   holding Uint8Arrays hashes different bytes; with Buffers it matches RFC 9679 and us.

import * as transmute from '@transmute/cose';
import type { JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CoseAlgorithm } from './algorithms.js';
import type { CborValue } from './cbor.js';
import { CoseError } from './errors.js';
import {
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  coseKeyThumbprintUri,
  coseKeyToCbor,
  decodeCoseKey,
  generateKeyPair,
  importJwk,
} from './keys.js';
import { HeaderLabel, type Label } from './labels.js';
import { decodeSign1, signSign1, verifySign1 } from './sign1.js';

const hex = (bytes: Uint8Array | ArrayBuffer) => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

const PAYLOAD = utf8('{"agent":"a-1","action":"deploy"}');
const AAD = utf8('atlog interop');

const ecdsa = [
  ['ES256', CoseAlgorithm.ES256],
  ['ES384', CoseAlgorithm.ES384],
] as const;

function jwks(alg: (typeof ecdsa)[number][1], name: string) {
  const pair = generateKeyPair(alg);
  const privateJwk = { ...pair.privateKey.export({ format: 'jwk' }), alg: name } as JsonWebKey & { d: string };
  const { d: _d, ...publicJwk } = privateJwk;
  return { pair, privateJwk, publicJwk };
}

describe('@transmute/cose verifies what atlog signs', () => {
  for (const [name, alg] of ecdsa) {
    const { pair, publicJwk } = jwks(alg, name);
    const resolver = { resolve: async () => publicJwk as transmute.PublicKeyJwk };

    it(`${name} attached`, async () => {
      const signed = signSign1({
        key: pair.privateKey,
        payload: PAYLOAD,
        protectedHeader: new Map<Label, CborValue>([[HeaderLabel.kid, coseKeyThumbprint(pair.publicKey)]]),
        externalAad: AAD,
      });
      const payload = await transmute.attached.verifier({ resolver }).verify({ coseSign1: toArrayBuffer(signed), externalAAD: toArrayBuffer(AAD) });
      expect(hex(payload)).toBe(hex(PAYLOAD));
    });

    it(`${name} detached`, async () => {
      const signed = signSign1({ key: pair.privateKey, payload: PAYLOAD, detached: true });
      expect(decodeSign1(signed).payload).toBeNull();
      const payload = await transmute.detached.verifier({ resolver }).verify({ coseSign1: toArrayBuffer(signed), payload: toArrayBuffer(PAYLOAD) });
      expect(hex(payload)).toBe(hex(PAYLOAD));
    });

    it(`${name}: it refuses a tampered message of ours too`, async () => {
      const signed = signSign1({ key: pair.privateKey, payload: PAYLOAD, detached: true });
      await expect(
        transmute.detached.verifier({ resolver }).verify({ coseSign1: toArrayBuffer(signed), payload: toArrayBuffer(utf8('other')) }),
      ).rejects.toThrow();
    });
  }
});

describe('atlog verifies what @transmute/cose signs', () => {
  for (const [name, alg] of ecdsa) {
    const { pair, privateJwk } = jwks(alg, name);
    const remote = transmute.crypto.signer({ privateKeyJwk: privateJwk as transmute.SecretKeyJwk });
    const kid = Buffer.from('transmute-kid');
    // kid first, alg second: cbor-web keeps insertion order, so these bytes are not deterministic
    // CBOR, and only a verifier that uses the bytes as received gets the signature right.
    const protectedHeader = transmute.ProtectedHeader([
      [HeaderLabel.kid, kid],
      [HeaderLabel.alg, alg],
    ]);

    it(`${name} attached (protected header in insertion order)`, async () => {
      const signed = new Uint8Array(
        await transmute.attached.signer({ remote }).sign({
          protectedHeader,
          unprotectedHeader: new Map(),
          payload: toArrayBuffer(PAYLOAD),
          externalAAD: toArrayBuffer(AAD),
        }),
      );
      const decoded = decodeSign1(signed);
      expect(hex(decoded.protectedBytes).startsWith('a204')).toBe(true); // unsorted: 04 before 01
      const verified = verifySign1(signed, pair.publicKey, { externalAad: AAD });
      expect(verified.alg).toBe(alg);
      expect(hex(verified.payload)).toBe(hex(PAYLOAD));
      expect(hex(verified.protectedHeader.get(HeaderLabel.kid) as Uint8Array)).toBe(hex(kid));
      expect(() => verifySign1(signed, pair.publicKey)).toThrow(CoseError); // AAD is bound
    });

    it(`${name} detached`, async () => {
      const signed = new Uint8Array(
        await transmute.detached.signer({ remote }).sign({ protectedHeader, payload: toArrayBuffer(PAYLOAD) }),
      );
      expect(decodeSign1(signed).payload).toBeNull();
      const verified = verifySign1(signed, pair.publicKey, { detachedPayload: PAYLOAD });
      expect(verified.detached).toBe(true);
      expect(hex(verified.payload)).toBe(hex(PAYLOAD));
      try {
        verifySign1(signed, pair.publicKey, { detachedPayload: utf8('other') });
        expect.unreachable();
      } catch (error) {
        expect((error as CoseError).code).toBe('COSE_BAD_SIGNATURE');
      }
    });
  }

  it('a text-string kid (as in its README) is refused: RFC 9052 kid is a bstr', async () => {
    const { privateJwk } = jwks(CoseAlgorithm.ES256, 'ES256');
    const remote = transmute.crypto.signer({ privateKeyJwk: privateJwk as transmute.SecretKeyJwk });
    const signed = new Uint8Array(
      await transmute.attached.signer({ remote }).sign({
        protectedHeader: transmute.ProtectedHeader([
          [HeaderLabel.alg, CoseAlgorithm.ES256],
          [HeaderLabel.kid, 'text-kid'],
        ]),
        unprotectedHeader: new Map(),
        payload: toArrayBuffer(PAYLOAD),
      }),
    );
    try {
      decodeSign1(signed);
      expect.unreachable();
    } catch (error) {
      expect((error as CoseError).code).toBe('COSE_MALFORMED');
    }
  });

  it('its attached signer without an unprotected header writes undefined, which we refuse', async () => {
    const { privateJwk } = jwks(CoseAlgorithm.ES256, 'ES256');
    const remote = transmute.crypto.signer({ privateKeyJwk: privateJwk as transmute.SecretKeyJwk });
    const signed = new Uint8Array(
      await transmute.attached.signer({ remote }).sign({
        protectedHeader: transmute.ProtectedHeader([[HeaderLabel.alg, CoseAlgorithm.ES256]]),
        payload: toArrayBuffer(PAYLOAD),
      }),
    );
    try {
      decodeSign1(signed);
      expect.unreachable();
    } catch (error) {
      expect((error as CoseError).code).toBe('CBOR_UNSUPPORTED');
    }
  });

  it('EdDSA cannot be exchanged: it signs and verifies ECDSA only', async () => {
    const pair = generateKeyPair(CoseAlgorithm.EdDSA);
    const privateJwk = { ...pair.privateKey.export({ format: 'jwk' }), alg: 'EdDSA' };
    // Its signer refuses the key outright ("requires keys to contain fully specified algorithms").
    expect(() => transmute.crypto.signer({ privateKeyJwk: privateJwk as transmute.SecretKeyJwk })).toThrow();
    const ours = signSign1({ key: pair.privateKey, payload: PAYLOAD });
    const { d: _d, ...publicJwk } = privateJwk;
    await expect(
      transmute.attached.verifier({ resolver: { resolve: async () => publicJwk as transmute.PublicKeyJwk } }).verify({ coseSign1: toArrayBuffer(ours) }),
    ).rejects.toThrow();
  });
});

describe('COSE_Key and thumbprints agree with @transmute/cose', () => {
  for (const [name, alg] of ecdsa) {
    it(`${name}: its JWK→COSE_Key conversion decodes with us, and thumbprints match`, async () => {
      const { pair, publicJwk } = jwks(alg, name);
      const theirs = (await transmute.key.convertJsonWebKeyToCoseKey(publicJwk as transmute.PublicKeyJwk)) as Map<number, unknown>;
      const ours = decodeCoseKey(new Uint8Array(transmute.cbor.encodeCanonical(theirs)));
      expect(ours.alg).toBe(alg);
      expect(importJwk(publicJwk).equals(pair.publicKey)).toBe(true);
      const { alg: _alg, ...bare } = ours;
      expect(bare).toEqual(coseKeyFromKeyObject(pair.publicKey));
      expect(hex(await transmute.key.thumbprint.calculateCoseKeyThumbprint(theirs))).toBe(hex(coseKeyThumbprint(pair.publicKey)));
      expect(await transmute.key.thumbprint.calculateCoseKeyThumbprintUri(withBuffers(coseKeyToCbor(ours)))).toBe(
        coseKeyThumbprintUri(ours),
      );
    });
  }

  it('Ed25519 thumbprints match too (thumbprints need no signing support)', async () => {
    const pair = generateKeyPair(CoseAlgorithm.EdDSA);
    const ours = coseKeyFromKeyObject(pair.publicKey);
    const map = withBuffers(coseKeyToCbor(ours));
    expect(hex(await transmute.key.thumbprint.calculateCoseKeyThumbprint(map))).toBe(hex(coseKeyThumbprint(ours)));
  });

  it('but given plain Uint8Arrays it hashes cbor-web’s tag-64 encoding, not RFC 9679’s', async () => {
    const ours = coseKeyFromKeyObject(generateKeyPair(CoseAlgorithm.EdDSA).publicKey);
    expect(hex(await transmute.key.thumbprint.calculateCoseKeyThumbprint(coseKeyToCbor(ours)))).not.toBe(
      hex(coseKeyThumbprint(ours)),
    );
  });
});

/** cbor-web writes a Buffer as a plain byte string but tags a bare Uint8Array (tag 64). */
function withBuffers(map: Map<number | string, CborValue>): Map<number | string, unknown> {
  return new Map([...map].map(([label, value]) => [label, value instanceof Uint8Array ? Buffer.from(value) : value]));
}
