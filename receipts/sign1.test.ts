import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CoseAlgorithm, createSignature } from './algorithms.js';
import { CborTag, type CborValue, decodeCbor, encodeCbor } from './cbor.js';
import { CoseError, type CoseErrorCode } from './errors.js';
import { generateKeyPair, importJwk } from './keys.js';
import { HeaderLabel, type Label } from './labels.js';
import {
  type HeaderMap,
  decodeSign1,
  encodeProtectedHeader,
  encodeSigStructure,
  encodeSign1,
  sign1FromCbor,
  signSign1,
  verifySign1,
} from './sign1.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const utf8 = (text: string) => new TextEncoder().encode(text);
const header = (...entries: [Label, CborValue][]): HeaderMap => new Map(entries);

function codeOf(action: () => unknown): CoseErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof CoseError) return error.code;
    throw new Error(`expected a CoseError, got ${String(error)}`);
  }
  throw new Error('expected a CoseError, but nothing was thrown');
}

const CONTENT = utf8('This is the content.');

// Keys are generated once per file: generation is the slow part of these tests.
const es256 = generateKeyPair(CoseAlgorithm.ES256);
const es256Other = generateKeyPair(CoseAlgorithm.ES256);
const es384 = generateKeyPair(CoseAlgorithm.ES384);
const ed25519 = generateKeyPair(CoseAlgorithm.EdDSA);

/**
 * A message with arbitrary headers and a *valid* signature over them, built below the checks of
 * signSign1, so a refusal can only come from the rule under test, never from the signature.
 */
function craft(options: {
  protectedBytes?: Uint8Array;
  protectedHeader?: HeaderMap;
  unprotectedHeader?: HeaderMap;
  payload?: Uint8Array | null;
  key?: KeyObject;
  alg?: CoseAlgorithm;
  tagged?: boolean;
}): Uint8Array {
  const alg = options.alg ?? CoseAlgorithm.ES256;
  const protectedBytes =
    options.protectedBytes ?? encodeProtectedHeader(options.protectedHeader ?? header([HeaderLabel.alg, alg]));
  const payload = options.payload === undefined ? CONTENT : options.payload;
  const signature = createSignature(alg, options.key ?? es256.privateKey, encodeSigStructure(protectedBytes, payload ?? CONTENT));
  return encodeSign1(
    { protectedBytes, unprotectedHeader: options.unprotectedHeader ?? new Map(), payload, signature },
    { tagged: options.tagged ?? true },
  );
}

describe('Sig_structure and encodings: known answers computed by hand (RFC 8949 §3, RFC 9052 §4.4)', () => {
  it('protected {1: -7}, no AAD, "This is the content."', () => {
    // 84                                  array(4)
    //   6a 5369676e617475726531           text(10) "Signature1"
    //   43 a10126                         bytes(3) {1: -7}
    //   40                                bytes(0) external_aad
    //   54 546869732069732074686520636f6e74656e742e   bytes(20) payload
    const expected = '84 6a5369676e617475726531 43a10126 40 54546869732069732074686520636f6e74656e742e';
    const protectedBytes = encodeProtectedHeader(header([HeaderLabel.alg, CoseAlgorithm.ES256]));
    expect(hex(protectedBytes)).toBe('a10126');
    expect(hex(encodeSigStructure(protectedBytes, CONTENT))).toBe(expected.replace(/ /g, ''));
  });

  it('protected {1: -35, 4: h\'6b6964\'}, 12-byte AAD, 32-byte payload', () => {
    // protected: a2 01 3822 04 43 6b6964 (9 bytes; -35 is major 1 argument 34 = 0x22 in one byte,
    // keys sorted 01 < 04 whatever the insertion order)
    // 84 6a…31  49 a201382204436b6964  4c 11aa22bb33cc44dd55006699  5820 000102…1f
    const payload = Uint8Array.from({ length: 32 }, (_, i) => i);
    const protectedBytes = encodeProtectedHeader(header([HeaderLabel.kid, utf8('kid')], [HeaderLabel.alg, CoseAlgorithm.ES384]));
    expect(hex(protectedBytes)).toBe('a201382204436b6964');
    const expected =
      '84' + '6a5369676e617475726531' + '49a201382204436b6964' + '4c11aa22bb33cc44dd55006699' + '5820' +
      '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
    expect(hex(encodeSigStructure(protectedBytes, payload, unhex('11aa22bb33cc44dd55006699')))).toBe(expected);
  });

  it('empty protected header (zero-length) and empty payload', () => {
    const protectedBytes = encodeProtectedHeader(new Map());
    expect(protectedBytes.length).toBe(0);
    expect(hex(encodeSigStructure(protectedBytes, new Uint8Array(0)))).toBe('846a5369676e61747572653140' + '40' + '40');
  });

  it('256-byte payload takes a two-byte length', () => {
    const payload = new Uint8Array(256).fill(0xab);
    expect(hex(encodeSigStructure(unhex('a10127'), payload))).toBe(
      '846a5369676e617475726531' + '43a10127' + '40' + '590100' + 'ab'.repeat(256),
    );
  });

  it('is what encodeCbor writes, at every width of every length head', () => {
    const lengths = [0, 1, 23, 24, 25, 255, 256, 257, 65_535, 65_536, 65_537, 200_000];
    const bytes = new Map(lengths.map((length) => [length, Uint8Array.from({ length }, (_, i) => (i * 7) & 0xff)]));
    for (const p of lengths) {
      for (const a of [0, 23, 24, 256]) {
        for (const n of lengths) {
          const [protectedBytes, aad, payload] = [bytes.get(p)!, bytes.get(a)!, bytes.get(n)!];
          const mine = encodeSigStructure(protectedBytes, payload, aad);
          const reference = encodeCbor(['Signature1', protectedBytes, aad, payload]);
          if (Buffer.compare(Buffer.from(mine), Buffer.from(reference)) !== 0) expect(hex(mine)).toBe(hex(reference));
        }
      }
    }
    // and a Buffer or a view is written as its bytes only
    const buffer = Buffer.from('00a1012600', 'hex').subarray(1, 4);
    expect(hex(encodeSigStructure(buffer, new Uint8Array(2).subarray(1)))).toBe('846a5369676e61747572653143a101264041' + '00');
  });

  it('COSE_Sign1 layout: d2 84 protected unprotected payload signature', () => {
    const signature = new Uint8Array(64).fill(0x5a);
    const bytes = encodeSign1({
      protectedBytes: unhex('a10126'),
      unprotectedHeader: header([HeaderLabel.kid, utf8('11')]),
      payload: CONTENT,
      signature,
    });
    expect(hex(bytes)).toBe('d284' + '43a10126' + 'a104423131' + '54546869732069732074686520636f6e74656e742e' + '5840' + '5a'.repeat(64));
    const detached = encodeSign1({ protectedBytes: unhex('a10126'), unprotectedHeader: new Map(), payload: null, signature }, { tagged: false });
    expect(hex(detached)).toBe('84' + '43a10126' + 'a0' + 'f6' + '5840' + '5a'.repeat(64));
  });
});

describe('published COSE examples', () => {
  // The P-256 key "11" of RFC 9052 Appendix C.7.1, as the cose-wg/Examples repository gives it.
  const key11 = {
    kty: 'EC',
    crv: 'P-256',
    x: 'usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8',
    y: 'IBOL-C3BttVivg-lSreASjpkttcsz-1rb7btKLv8EX4',
    d: 'V8kgd2ZBRuh2dgyVINBUqpPDr7BOMGcF22CQMIUHtNM',
  };
  const { d: _d, ...key11Public } = key11;

  it('RFC 9052 Appendix C.2.1 (ES256, kid "11") verifies', () => {
    const message = unhex(
      'd28443a10126a10442313154546869732069732074686520636f6e74656e742e5840' +
        '8eb33e4ca31d1c465ab05aac34cc6b23d58fef5c083106c4d25a91aef0b0117e' +
        '2af9a291aa32e14ab834dc56ed2a223444547e01f11d3b0916e5a4c345cacb36',
    );
    const verified = verifySign1(message, importJwk(key11Public));
    expect(verified.alg).toBe(CoseAlgorithm.ES256);
    expect(hex(verified.payload)).toBe(hex(CONTENT));
    expect(hex(verified.unprotectedHeader.get(HeaderLabel.kid) as Uint8Array)).toBe('3131');
    // Re-encoding the decoded fields reproduces the message byte for byte.
    const decoded = decodeSign1(message);
    expect(hex(encodeSign1(decoded))).toBe(hex(message));
  });

  it('cose-wg/Examples sign1-pass-02 (ES256 with external AAD) verifies only with its AAD', () => {
    const message = unhex(
      'D28443A10126A10442313154546869732069732074686520636F6E74656E742E5840' +
        '10729CD711CB3813D8D8E944A8DA7111E7B258C9BDCA6135F7AE1ADBEE950989' +
        '1267837E1E33BD36C150326AE62755C6BD8E540C3E8F92D7D225E8DB72B8820B',
    );
    const externalAad = unhex('11aa22bb33cc44dd55006699');
    expect(verifySign1(message, importJwk(key11Public), { externalAad }).alg).toBe(CoseAlgorithm.ES256);
    expect(codeOf(() => verifySign1(message, importJwk(key11Public)))).toBe('COSE_BAD_SIGNATURE');
  });

  it('cose-wg/Examples eddsa-sig-01 (Ed25519, RFC 8032 test key 1): we produce the same bytes', () => {
    // Ed25519 is deterministic, so signing the same headers and payload must give exactly the
    // published message: protected {1: -8, 3: 0}, unprotected {4: '11'}.
    const privateKey = importJwk({
      kty: 'OKP',
      crv: 'Ed25519',
      x: Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex').toString('base64url'),
      d: Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex').toString('base64url'),
    });
    const expected =
      'D28445A201270300A10442313154546869732069732074686520636F6E74656E742E5840' +
      '7142FD2FF96D56DB85BEE905A76BA1D0B7321A95C8C4D3607C5781932B7AFB87' +
      '11497DFA751BF40B58B3BCC32300B1487F3DB34085EEF013BF08F4A44D6FEF0D';
    const signed = signSign1({
      key: privateKey,
      payload: CONTENT,
      protectedHeader: header([HeaderLabel.contentType, 0]),
      unprotectedHeader: header([HeaderLabel.kid, utf8('11')]),
    });
    expect(hex(signed)).toBe(expected.toLowerCase());
    expect(verifySign1(signed, privateKey).alg).toBe(CoseAlgorithm.EdDSA);
  });
});

describe('sign and verify: every algorithm, attached and detached', () => {
  const pairs = [
    ['ES256', es256, 64],
    ['ES384', es384, 96],
    ['EdDSA', ed25519, 64],
  ] as const;

  for (const [name, pair, signatureLength] of pairs) {
    it(`${name}: attached, detached, with AAD, tagged and untagged`, () => {
      const aad = utf8('context');
      for (const detached of [false, true]) {
        for (const tagged of [true, false]) {
          const bytes = signSign1({
            key: pair.privateKey,
            payload: CONTENT,
            protectedHeader: header([HeaderLabel.kid, utf8('k1')], [HeaderLabel.cwtClaims, new Map([[1, 'iss'], [2, 'sub']])]),
            unprotectedHeader: header([HeaderLabel.receipts, []]),
            externalAad: aad,
            detached,
            tagged,
          });
          const decoded = decodeSign1(bytes, { requireTag: tagged });
          expect(decoded.tagged).toBe(tagged);
          expect(decoded.payload === null).toBe(detached);
          expect(decoded.signature.length).toBe(signatureLength);
          const verified = verifySign1(bytes, pair.publicKey, {
            externalAad: aad,
            requireTag: tagged,
            ...(detached ? { detachedPayload: CONTENT } : {}),
          });
          expect(verified.alg).toBe(CoseAlgorithm[name]);
          expect(verified.detached).toBe(detached);
          expect(hex(verified.payload)).toBe(hex(CONTENT));
          expect(verified.protectedHeader.get(HeaderLabel.alg)).toBe(CoseAlgorithm[name]);
        }
      }
    });
  }

  it('verifies a decoded message, re-reading the protected header from its bytes', () => {
    const bytes = signSign1({ key: es256.privateKey, payload: CONTENT });
    const decoded = decodeSign1(bytes);
    expect(verifySign1(decoded, es256.publicKey).alg).toBe(CoseAlgorithm.ES256);
    // A doctored object whose map claims another alg changes nothing: the bytes rule.
    const doctored = { ...decoded, protectedHeader: header([HeaderLabel.alg, CoseAlgorithm.EdDSA]) };
    expect(verifySign1(doctored, es256.publicKey).alg).toBe(CoseAlgorithm.ES256);
    expect(codeOf(() => verifySign1({ ...decoded, tagged: false }, es256.publicKey))).toBe('COSE_UNTAGGED');
  });

  it('checks each message’s own Sig_structure, small ones in a reused buffer, large ones not', () => {
    // Sizes on both sides of the 4 KiB the Sig_structure is written into when it fits, in an
    // order where a shorter one follows a longer: a stale byte of the last would fail a check.
    const sizes = [4000, 4090, 4070, 4071, 4072, 4073, 4074, 4075, 4200, 10, 0, 70_000, 4060];
    const messages = sizes.map((size) => {
      const payload = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
      return { payload, bytes: signSign1({ key: es256.privateKey, payload }) };
    });
    for (const { payload, bytes } of messages) {
      expect(hex(verifySign1(bytes, es256.publicKey).payload)).toBe(hex(payload));
      if (payload.length === 0) continue;
      const tampered = bytes.slice();
      tampered[tampered.length - 67] = tampered[tampered.length - 67]! ^ 1; // the payload's last byte (the signature and its 2-byte head follow)
      expect(codeOf(() => verifySign1(tampered, es256.publicKey))).toBe('COSE_BAD_SIGNATURE');
    }
    const detachedPayload = new Uint8Array(5000).fill(3);
    const detached = signSign1({ key: es256.privateKey, payload: detachedPayload, detached: true });
    expect(verifySign1(detached, es256.publicKey, { detachedPayload }).detached).toBe(true);
    expect(codeOf(() => verifySign1(detached, es256.publicKey, { detachedPayload: detachedPayload.subarray(1) }))).toBe('COSE_BAD_SIGNATURE');
  });

  it('verifies with the private key too (its public half is used)', () => {
    const bytes = signSign1({ key: es384.privateKey, payload: CONTENT });
    expect(verifySign1(bytes, es384.privateKey).alg).toBe(CoseAlgorithm.ES384);
  });

  it('reads a bare tagged receipt inside another message (RFC 9943 [+ Receipt])', () => {
    const receipt = signSign1({ key: ed25519.privateKey, payload: utf8('root'), detached: true });
    const statement = signSign1({
      key: es256.privateKey,
      payload: CONTENT,
      unprotectedHeader: header([HeaderLabel.receipts, [decodeCbor(receipt)]]),
    });
    const decoded = decodeSign1(statement);
    const [inner] = decoded.unprotectedHeader.get(HeaderLabel.receipts) as CborValue[];
    expect(inner).toBeInstanceOf(CborTag);
    const verified = verifySign1(sign1FromCbor(inner as CborValue), ed25519.publicKey, { detachedPayload: utf8('root') });
    expect(verified.detached).toBe(true);
    expect(verifySign1(statement, es256.publicKey).alg).toBe(CoseAlgorithm.ES256);
  });
});

describe('verification refusals, each with its code', () => {
  const good = signSign1({ key: es256.privateKey, payload: CONTENT, protectedHeader: header([HeaderLabel.kid, utf8('k')]) });

  it('tampered payload → COSE_BAD_SIGNATURE', () => {
    const decoded = decodeSign1(good);
    const tampered = encodeSign1({ ...decoded, payload: utf8('This is the content!') });
    expect(codeOf(() => verifySign1(tampered, es256.publicKey))).toBe('COSE_BAD_SIGNATURE');
  });

  it('tampered protected header bytes → COSE_BAD_SIGNATURE', () => {
    const decoded = decodeSign1(good);
    // Change the kid inside the protected bytes ('k' → 'l'): still a valid header, not the signed one.
    const protectedBytes = Uint8Array.from(decoded.protectedBytes);
    protectedBytes[protectedBytes.length - 1] = 0x6c;
    const tampered = encodeSign1({ ...decoded, protectedBytes });
    expect(decodeSign1(tampered).protectedHeader.get(HeaderLabel.kid)).toEqual(utf8('l'));
    expect(codeOf(() => verifySign1(tampered, es256.publicKey))).toBe('COSE_BAD_SIGNATURE');
  });

  it('a non-deterministic but valid protected header is verified as received', () => {
    // {4: h'6b', 1: -7}: keys out of order. We must not re-encode it before checking.
    const protectedBytes = unhex('a2 04 41 6b 01 26');
    const bytes = craft({ protectedBytes });
    expect(verifySign1(bytes, es256.publicKey).alg).toBe(CoseAlgorithm.ES256);
  });

  it('tampered signature or external AAD or detached payload → COSE_BAD_SIGNATURE', () => {
    const bytes = Uint8Array.from(good);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('COSE_BAD_SIGNATURE');
    expect(codeOf(() => verifySign1(good, es256.publicKey, { externalAad: utf8('x') }))).toBe('COSE_BAD_SIGNATURE');
    const detached = signSign1({ key: es256.privateKey, payload: CONTENT, detached: true });
    expect(codeOf(() => verifySign1(detached, es256.publicKey, { detachedPayload: utf8('other') }))).toBe('COSE_BAD_SIGNATURE');
  });

  it('wrong key of the right curve → COSE_BAD_SIGNATURE', () => {
    expect(codeOf(() => verifySign1(good, es256Other.publicKey))).toBe('COSE_BAD_SIGNATURE');
  });

  it('key of the wrong curve for the alg → COSE_KEY_MISMATCH', () => {
    expect(codeOf(() => verifySign1(good, es384.publicKey))).toBe('COSE_KEY_MISMATCH');
    expect(codeOf(() => verifySign1(good, ed25519.publicKey))).toBe('COSE_KEY_MISMATCH');
    const es384Message = signSign1({ key: es384.privateKey, payload: CONTENT });
    expect(codeOf(() => verifySign1(es384Message, es256.publicKey))).toBe('COSE_KEY_MISMATCH');
    // A message claiming ES384 but signed and checked with P-256 material.
    const lying = craft({ protectedHeader: header([HeaderLabel.alg, CoseAlgorithm.ES384]) });
    expect(codeOf(() => verifySign1(lying, es256.publicKey))).toBe('COSE_KEY_MISMATCH');
  });

  it('unsupported key types → KEY_UNSUPPORTED', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(codeOf(() => verifySign1(good, rsa.publicKey))).toBe('KEY_UNSUPPORTED');
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    expect(codeOf(() => verifySign1(good, p521.publicKey))).toBe('KEY_UNSUPPORTED');
  });

  it('alg not on the allow-list → COSE_ALG_NOT_ALLOWED', () => {
    expect(codeOf(() => verifySign1(good, es256.publicKey, { algorithms: [CoseAlgorithm.ES384] }))).toBe('COSE_ALG_NOT_ALLOWED');
    expect(codeOf(() => verifySign1(good, es256.publicKey, { algorithms: [] }))).toBe('COSE_ALG_NOT_ALLOWED');
    const unknown = craft({ protectedHeader: header([HeaderLabel.alg, -257]) }); // RS256
    expect(codeOf(() => verifySign1(unknown, es256.publicKey))).toBe('COSE_ALG_NOT_ALLOWED');
    const textAlg = craft({ protectedHeader: header([HeaderLabel.alg, 'ES256']) });
    expect(codeOf(() => verifySign1(textAlg, es256.publicKey))).toBe('COSE_ALG_NOT_ALLOWED');
  });

  it('alg in the unprotected header → COSE_ALG_UNPROTECTED', () => {
    const bytes = craft({ protectedHeader: new Map(), unprotectedHeader: header([HeaderLabel.alg, CoseAlgorithm.ES256]) });
    expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('COSE_ALG_UNPROTECTED');
  });

  it('alg missing from the protected header → COSE_ALG_MISSING', () => {
    expect(codeOf(() => verifySign1(craft({ protectedHeader: header([HeaderLabel.kid, utf8('k')]) }), es256.publicKey))).toBe(
      'COSE_ALG_MISSING',
    );
    expect(codeOf(() => verifySign1(craft({ protectedBytes: new Uint8Array(0) }), es256.publicKey))).toBe('COSE_ALG_MISSING');
    // h'a0': an empty map wrapped in a bstr is accepted as a shape, and has no alg either.
    expect(codeOf(() => verifySign1(craft({ protectedBytes: unhex('a0') }), es256.publicKey))).toBe('COSE_ALG_MISSING');
  });

  it('crit: unknown label → COSE_CRIT_UNKNOWN; understood label → accepted', () => {
    const bytes = craft({ protectedHeader: header([HeaderLabel.alg, -7], [HeaderLabel.crit, [HeaderLabel.vds]], [HeaderLabel.vds, 1]) });
    expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('COSE_CRIT_UNKNOWN');
    expect(verifySign1(bytes, es256.publicKey, { criticalLabels: [HeaderLabel.vds] }).alg).toBe(-7);
    const text = craft({ protectedHeader: header([HeaderLabel.alg, -7], [HeaderLabel.crit, ['x'.repeat(10_000)]]) });
    const error = (() => {
      try {
        verifySign1(text, es256.publicKey);
      } catch (caught) {
        return caught as CoseError;
      }
      throw new Error('not refused');
    })();
    expect(error.code).toBe('COSE_CRIT_UNKNOWN');
    expect(error.message.length).toBeLessThan(100); // the label is not echoed in full
    const algOnly = craft({ protectedHeader: header([HeaderLabel.alg, -7], [HeaderLabel.crit, [HeaderLabel.alg]]) });
    expect(verifySign1(algOnly, es256.publicKey).alg).toBe(-7);
  });

  it('crit malformed → COSE_CRIT_MALFORMED', () => {
    for (const crit of [[], 15, [new Uint8Array(1)], [1.5]] as CborValue[]) {
      const bytes = craft({ protectedHeader: header([HeaderLabel.alg, -7], [HeaderLabel.crit, crit]) });
      expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('COSE_CRIT_MALFORMED');
    }
  });

  it('crit in the unprotected header → COSE_CRIT_UNPROTECTED', () => {
    const bytes = craft({ unprotectedHeader: header([HeaderLabel.crit, [HeaderLabel.cwtClaims]]) });
    expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('COSE_CRIT_UNPROTECTED');
  });

  it('a label in both buckets → COSE_DUPLICATE_LABEL (at decode already)', () => {
    const bytes = craft({
      protectedHeader: header([HeaderLabel.alg, -7], [HeaderLabel.kid, utf8('a')]),
      unprotectedHeader: header([HeaderLabel.kid, utf8('b')]),
    });
    expect(codeOf(() => decodeSign1(bytes))).toBe('COSE_DUPLICATE_LABEL');
    expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('COSE_DUPLICATE_LABEL');
    const textLabel = craft({ protectedHeader: header([1, -7], ['x', 1]), unprotectedHeader: header(['x', 2]) });
    expect(codeOf(() => decodeSign1(textLabel))).toBe('COSE_DUPLICATE_LABEL');
  });

  it('wrong signature length for the alg → COSE_SIGNATURE_LENGTH', () => {
    const decoded = decodeSign1(good);
    for (const length of [0, 63, 65, 72, 96]) {
      const bytes = encodeSign1({ ...decoded, signature: new Uint8Array(length) });
      expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('COSE_SIGNATURE_LENGTH');
    }
    // A DER-encoded ECDSA signature is the classic mistake: refused on length before crypto.
    const es384Message = decodeSign1(signSign1({ key: es384.privateKey, payload: CONTENT }));
    const short = encodeSign1({ ...es384Message, signature: new Uint8Array(64) });
    expect(codeOf(() => verifySign1(short, es384.publicKey))).toBe('COSE_SIGNATURE_LENGTH');
  });

  it('detached payload missing → COSE_PAYLOAD_MISSING; both → COSE_PAYLOAD_AMBIGUOUS', () => {
    const detached = signSign1({ key: es256.privateKey, payload: CONTENT, detached: true });
    expect(codeOf(() => verifySign1(detached, es256.publicKey))).toBe('COSE_PAYLOAD_MISSING');
    expect(codeOf(() => verifySign1(good, es256.publicKey, { detachedPayload: CONTENT }))).toBe('COSE_PAYLOAD_AMBIGUOUS');
  });

  it('truncated at every prefix length → CBOR_TRUNCATED', () => {
    for (let length = 0; length < good.length; length++) {
      expect(codeOf(() => verifySign1(good.subarray(0, length), es256.publicKey))).toBe('CBOR_TRUNCATED');
    }
  });

  it('trailing bytes → CBOR_TRAILING_BYTES', () => {
    const bytes = new Uint8Array(good.length + 1);
    bytes.set(good);
    expect(codeOf(() => verifySign1(bytes, es256.publicKey))).toBe('CBOR_TRAILING_BYTES');
  });

  it('oversized input → CBOR_TOO_LARGE', () => {
    expect(codeOf(() => verifySign1(good, es256.publicKey, { limits: { maxBytes: good.length - 1 } }))).toBe('CBOR_TOO_LARGE');
    const big = signSign1({ key: es256.privateKey, payload: new Uint8Array(1024 * 1024) });
    expect(codeOf(() => decodeSign1(big))).toBe('CBOR_TOO_LARGE');
  });

  it('100 000-deep nesting → CBOR_TOO_DEEP where level 17 opens', () => {
    const hostile = unhex('d284' + '40' + '81'.repeat(100_000) + '00');
    let message = '';
    try {
      decodeSign1(hostile, { limits: { maxBytes: hostile.length } });
    } catch (e) {
      expect((e as CoseError).code).toBe('CBOR_TOO_DEEP');
      message = (e as CoseError).message;
    }
    // d2 84 40 is depth 2 at byte 3; the 15th 81 after it (byte 17) would open level 17.
    expect(message).toContain('at byte 17');
    // The same inside the protected header, which is decoded separately.
    const deepProtected = craft({ protectedBytes: unhex('a1' + '0a' + '81'.repeat(100) + '00') });
    expect(codeOf(() => decodeSign1(deepProtected))).toBe('CBOR_TOO_DEEP');
  });

  it('strict CBOR inside the message and inside the protected header', () => {
    // duplicate key in the unprotected header: a2 04 41 61 04 41 62
    const dupUnprotected = unhex('d284 43a10126 a2044161044162 f6 4140');
    expect(codeOf(() => decodeSign1(dupUnprotected))).toBe('CBOR_DUPLICATE_KEY');
    expect(codeOf(() => decodeSign1(craft({ protectedBytes: unhex('a2 01 26 01 26') })))).toBe('CBOR_DUPLICATE_KEY');
    expect(codeOf(() => decodeSign1(craft({ protectedBytes: unhex('a1 01 38 06') })))).toBe('CBOR_NON_CANONICAL');
    expect(codeOf(() => decodeSign1(unhex('d2 84 43a10126 a0 f6 5817' + '00'.repeat(23))))).toBe('CBOR_NON_CANONICAL');
    expect(codeOf(() => decodeSign1(unhex('d2 9f 43a10126 a0 f6 40 ff')))).toBe('CBOR_INDEFINITE_LENGTH');
    expect(codeOf(() => decodeSign1(unhex('d2 84 5f 43a10126 ff a0 f6 40')))).toBe('CBOR_INDEFINITE_LENGTH');
    expect(codeOf(() => decodeSign1(craft({ protectedBytes: unhex('a1 01 26 00') })))).toBe('CBOR_TRAILING_BYTES');
    expect(codeOf(() => decodeSign1(craft({ protectedBytes: unhex('a1 01 c1 00') })))).toBe('CBOR_UNKNOWN_TAG');
    expect(codeOf(() => decodeSign1(unhex('d2 84 43a10126 a1 04 c1 00 f6 40')))).toBe('CBOR_UNKNOWN_TAG');
    expect(decodeSign1(unhex('d2 84 43a10126 a1 05 c1 00 f6 40'), { tags: [1] }).unprotectedHeader.get(5)).toEqual(new CborTag(1, 0));
  });

  it('unknown outer tag → CBOR_UNKNOWN_TAG; untagged when the tag is required → COSE_UNTAGGED', () => {
    const body = decodeSign1(good);
    const untagged = encodeSign1(body, { tagged: false });
    expect(codeOf(() => decodeSign1(untagged))).toBe('COSE_UNTAGGED');
    expect(codeOf(() => verifySign1(untagged, es256.publicKey))).toBe('COSE_UNTAGGED');
    expect(verifySign1(untagged, es256.publicKey, { requireTag: false }).tagged).toBe(false);
    // COSE_Sign (98) and CWT (61) are other tags, not accepted here.
    expect(codeOf(() => decodeSign1(unhex('d862 80')))).toBe('CBOR_UNKNOWN_TAG');
    expect(codeOf(() => decodeSign1(concat(unhex('d83d'), good)))).toBe('CBOR_UNKNOWN_TAG');
    // A tag 18 around something that is not a COSE_Sign1 inside a tag 18.
    expect(codeOf(() => decodeSign1(concat(unhex('d2'), good)))).toBe('COSE_MALFORMED');
  });

  it('wrong shapes → COSE_MALFORMED', () => {
    const shapes: string[] = [
      'd2 83 43a10126 a0 f6', // 3 elements
      'd2 85 43a10126 a0 f6 40 40', // 5 elements
      'd2 a0', // a map
      'd2 84 a10126 a0 f6 40', // protected not a bstr
      'd2 84 43a10126 80 f6 40', // unprotected not a map
      'd2 84 43a10126 a0 61 61 40', // payload a text string
      'd2 84 43a10126 a0 f6 f6', // signature nil
      'd2 84 43a10126 a1 04 61 61 f6 40', // kid a text string
    ];
    for (const shape of shapes) expect(codeOf(() => decodeSign1(unhex(shape)))).toBe('COSE_MALFORMED');
    // Protected header bytes whose content is not a map.
    for (const content of ['80', '01', '4100', 'f6']) {
      expect(codeOf(() => decodeSign1(craft({ protectedBytes: unhex(content) })))).toBe('COSE_MALFORMED');
    }
  });
});

describe('signing refusals', () => {
  it('refuses headers the verifier would refuse', () => {
    const sign = (options: Partial<Parameters<typeof signSign1>[0]>) =>
      codeOf(() => signSign1({ key: es256.privateKey, payload: CONTENT, ...options }));
    expect(sign({ unprotectedHeader: header([HeaderLabel.alg, -7]) })).toBe('COSE_ALG_UNPROTECTED');
    expect(sign({ unprotectedHeader: header([HeaderLabel.crit, [15]]) })).toBe('COSE_CRIT_UNPROTECTED');
    expect(sign({ protectedHeader: header([HeaderLabel.crit, []]) })).toBe('COSE_CRIT_MALFORMED');
    expect(sign({ protectedHeader: header([HeaderLabel.kid, utf8('a')]), unprotectedHeader: header([HeaderLabel.kid, utf8('b')]) })).toBe(
      'COSE_DUPLICATE_LABEL',
    );
    expect(sign({ protectedHeader: header([HeaderLabel.alg, CoseAlgorithm.ES384]) })).toBe('COSE_KEY_MISMATCH');
    expect(sign({ protectedHeader: header([HeaderLabel.kid, 'text kid']) })).toBe('COSE_MALFORMED');
    expect(sign({ protectedHeader: { 1: -7 } as unknown as HeaderMap })).toBe('COSE_BAD_ARGUMENT');
    expect(sign({ protectedHeader: header([HeaderLabel.cwtClaims, undefined as unknown as CborValue]) })).toBe('CBOR_UNENCODABLE');
    expect(sign({ key: es256.publicKey })).toBe('KEY_WRONG_TYPE');
    expect(sign({ key: es256.privateKey.export({ format: 'jwk' }) as unknown as KeyObject })).toBe('COSE_BAD_ARGUMENT');
    expect(codeOf(() => verifySign1(signSign1({ key: es256.privateKey, payload: CONTENT }), undefined as unknown as KeyObject))).toBe(
      'COSE_BAD_ARGUMENT',
    );
    expect(sign({ key: generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey })).toBe('KEY_UNSUPPORTED');
  });

  it('keeps an alg given in the protected header when it matches the key', () => {
    const bytes = signSign1({ key: ed25519.privateKey, payload: CONTENT, protectedHeader: header([HeaderLabel.alg, -8]) });
    expect(verifySign1(bytes, ed25519.publicKey).alg).toBe(CoseAlgorithm.EdDSA);
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
