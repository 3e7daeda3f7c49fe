import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CoseAlgorithm, keyAlgorithm } from './algorithms.js';
import { type CborValue, decodeCbor, encodeCbor } from './cbor.js';
import { CoseError, type CoseErrorCode } from './errors.js';
import {
  type CoseKey,
  coseKeyFromCbor,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  coseKeyThumbprintUri,
  coseKeyToCbor,
  decodeCoseKey,
  decodeCoseKeySet,
  encodeCoseKey,
  encodeCoseKeySet,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  importJwk,
  importPrivateKeyPem,
  importPublicKeyPem,
  keyObjectFromCoseKey,
  type KeyPair,
  readPublicKeyFile,
} from './keys.js';
import { Curve, KeyLabel, KeyType } from './labels.js';
import { signSign1, verifySign1 } from './sign1.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function errorOf(action: () => unknown): CoseError {
  try {
    action();
  } catch (error) {
    if (error instanceof CoseError) return error;
    throw new Error(`expected a CoseError, got ${String(error)}`);
  }
  throw new Error('expected a CoseError, but nothing was thrown');
}
const codeOf = (action: () => unknown): CoseErrorCode => errorOf(action).code;

// RFC 9679 §6: the EC2 P-256 public key of RFC 9052 Appendix C.7.1 ("meriadoc.brandybuck"), its
// thumbprint input (the required members only) and its thumbprint. The same vector appears in the
// RFC authors' own code: SECOM's calculator (kentakayama/cose-key-thumbprint, README "Calculated
// thumbprint of EC2 P-256 Public key") and @transmute/cose test/key (Orie Steele is a co-author).
const RFC9679_X = '65eda5a12577c2bae829437fe338701a10aaa375e1bb5b5de108de439c08551d';
const RFC9679_Y = '1e52ed75701163f7f9e40ddf9f341b3dc9ba860af7e0ca7ca7e9eecd0084d19c';
const RFC9679_INPUT = 'a401022001215820' + RFC9679_X + '225820' + RFC9679_Y;
const RFC9679_THUMBPRINT = '496bd8afadf307e5b08c64b0421bf9dc01528a344a43bda88fadd1669da253ec';
// The Ed25519 vector from the same SECOM calculator (the key is RFC 8032 §7.1 test 1).
const ED25519_X = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const ED25519_INPUT = 'a301012006215820' + ED25519_X;
const ED25519_THUMBPRINT = '866eefbd6718c8846cd7ddfe43fc74ab1daac4538ff8514ea2ec2d410a415743';

const rfcKey: CoseKey = { kty: KeyType.EC2, crv: Curve.P256, x: unhex(RFC9679_X), y: unhex(RFC9679_Y) };

describe('RFC 9679 COSE Key Thumbprint', () => {
  it('matches the RFC 9679 §6 example (EC2 P-256)', () => {
    expect(hex(encodeCbor(new Map<number, CborValue>([[1, 2], [-1, 1], [-2, unhex(RFC9679_X)], [-3, unhex(RFC9679_Y)]])))).toBe(
      RFC9679_INPUT,
    );
    expect(hex(coseKeyThumbprint(rfcKey))).toBe(RFC9679_THUMBPRINT);
  });

  it('ignores kid, alg and other members (the RFC example key carries a kid)', () => {
    const withExtras: CoseKey = { ...rfcKey, kid: new TextEncoder().encode('meriadoc.brandybuck@buckland.example'), alg: -7 };
    expect(hex(coseKeyThumbprint(withExtras))).toBe(RFC9679_THUMBPRINT);
    // {1: 2, -1: 1, -2: x, -3: y, 3: -7, 4: [2] (key_ops: verify), 2: h'31313131'}, keys unsorted.
    const decoded = decodeCoseKey(
      unhex('a7 0102 2001 215820' + RFC9679_X + '225820' + RFC9679_Y + '0326 048102 024431313131'),
    );
    expect(hex(coseKeyThumbprint(decoded))).toBe(RFC9679_THUMBPRINT);
  });

  it('is the same computed from the KeyObject', () => {
    expect(hex(coseKeyThumbprint(keyObjectFromCoseKey(rfcKey)))).toBe(RFC9679_THUMBPRINT);
  });

  it('matches the OKP Ed25519 vector', () => {
    const okp: CoseKey = { kty: KeyType.OKP, crv: Curve.Ed25519, x: unhex(ED25519_X) };
    expect(hex(encodeCoseKey(okp))).toBe(ED25519_INPUT);
    expect(hex(coseKeyThumbprint(okp))).toBe(ED25519_THUMBPRINT);
  });

  it('has the RFC 9679 §5 URI form', () => {
    expect(coseKeyThumbprintUri(rfcKey)).toBe(
      `urn:ietf:params:oauth:ckt:sha-256:${Buffer.from(RFC9679_THUMBPRINT, 'hex').toString('base64url')}`,
    );
  });
});

describe('COSE_Key encoding (known answers)', () => {
  it('EC2 with kid and alg: members in deterministic order 1, 2, 3, -1, -2, -3', () => {
    const key: CoseKey = { ...rfcKey, kid: unhex('3131'), alg: CoseAlgorithm.ES256 };
    expect(hex(encodeCoseKey(key))).toBe('a6' + '0102' + '02423131' + '0326' + '2001' + '215820' + RFC9679_X + '225820' + RFC9679_Y);
  });

  it('OKP Ed25519: {1: 1, -1: 6, -2: x}', () => {
    expect(hex(encodeCoseKey({ kty: KeyType.OKP, crv: Curve.Ed25519, x: unhex(ED25519_X) }))).toBe(ED25519_INPUT);
  });

  it('P-384 coordinates are 48 bytes', () => {
    const pair = generateKeyPair(CoseAlgorithm.ES384);
    const key = coseKeyFromKeyObject(pair.publicKey);
    expect(key.kty).toBe(KeyType.EC2);
    expect(key.crv).toBe(Curve.P384);
    expect(key.x.length).toBe(48);
    expect(key.kty === KeyType.EC2 && key.y.length).toBe(48);
    expect(hex(encodeCoseKey(key)).startsWith('a4' + '0102' + '2002' + '215830')).toBe(true);
  });
});

describe('keys round-trip between node:crypto, COSE_Key, PEM and JWK', () => {
  for (const alg of [CoseAlgorithm.ES256, CoseAlgorithm.ES384, CoseAlgorithm.EdDSA]) {
    it(`alg ${alg}`, () => {
      const pair = generateKeyPair(alg);
      expect(keyAlgorithm(pair.privateKey)).toBe(alg);

      // A private KeyObject yields its public COSE_Key: no private member, ever.
      const coseKey = coseKeyFromKeyObject(pair.privateKey, { kid: coseKeyThumbprint(pair.publicKey), alg });
      const encoded = encodeCoseKey(coseKey);
      expect((decodeCbor(encoded, { tags: [] }) as Map<number, CborValue>).has(KeyLabel.d)).toBe(false);
      const decoded = decodeCoseKey(encoded);
      expect(decoded).toEqual(coseKey);
      const publicKey = keyObjectFromCoseKey(decoded);
      expect(publicKey.equals(pair.publicKey)).toBe(true);

      const fromPem = importPublicKeyPem(exportPublicKeyPem(pair.privateKey));
      expect(fromPem.equals(pair.publicKey)).toBe(true);
      const privateFromPem = importPrivateKeyPem(exportPrivateKeyPem(pair.privateKey));
      expect(privateFromPem.equals(pair.privateKey)).toBe(true);

      const jwk = pair.privateKey.export({ format: 'jwk' });
      expect(importJwk(jwk).equals(pair.privateKey)).toBe(true);
      const { d: _d, ...publicJwk } = jwk;
      expect(importJwk(publicJwk).equals(pair.publicKey)).toBe(true);

      // And the keys work: sign with the PEM-imported private key, verify with the COSE_Key.
      const message = signSign1({ key: privateFromPem, payload: new Uint8Array([1, 2, 3]) });
      expect(verifySign1(message, publicKey).alg).toBe(alg);
    });
  }

  it('accepts JWK alg names that fit the curve, including RFC 9864 "Ed25519"', () => {
    const ed = generateKeyPair(CoseAlgorithm.EdDSA).publicKey.export({ format: 'jwk' });
    expect(() => importJwk({ ...ed, alg: 'EdDSA' })).not.toThrow();
    expect(() => importJwk({ ...ed, alg: 'Ed25519' })).not.toThrow();
    expect(codeOf(() => importJwk({ ...ed, alg: 'ES256' }))).toBe('KEY_MALFORMED');
    const p256 = generateKeyPair(CoseAlgorithm.ES256).publicKey.export({ format: 'jwk' });
    expect(() => importJwk({ ...p256, alg: 'ES256' })).not.toThrow();
    expect(codeOf(() => importJwk({ ...p256, alg: 'ES384' }))).toBe('KEY_MALFORMED');
  });
});

describe('key refusals', () => {
  const p256 = coseKeyToCbor(rfcKey);
  const withMember = (base: Map<number | string, CborValue>, label: number, value: CborValue | undefined) => {
    const map = new Map(base);
    if (value === undefined) map.delete(label);
    else map.set(label, value);
    return encodeCbor(map);
  };

  const cases: [string, Uint8Array, CoseErrorCode][] = [
    ['private member d', withMember(p256, KeyLabel.d, new Uint8Array(32)), 'KEY_PRIVATE'],
    ['no kty', withMember(p256, KeyLabel.kty, undefined), 'KEY_MALFORMED'],
    ['RSA kty', withMember(p256, KeyLabel.kty, KeyType.RSA), 'KEY_UNSUPPORTED'],
    ['symmetric kty', withMember(p256, KeyLabel.kty, KeyType.Symmetric), 'KEY_UNSUPPORTED'],
    ['text kty', withMember(p256, KeyLabel.kty, 'EC2'), 'KEY_UNSUPPORTED'],
    ['no crv', withMember(p256, KeyLabel.crv, undefined), 'KEY_MALFORMED'],
    ['P-521', withMember(p256, KeyLabel.crv, Curve.P521), 'KEY_UNSUPPORTED'],
    ['unknown curve', withMember(p256, KeyLabel.crv, 99), 'KEY_UNSUPPORTED'],
    ['Ed25519 curve on EC2', withMember(p256, KeyLabel.crv, Curve.Ed25519), 'KEY_MALFORMED'],
    ['short x', withMember(p256, KeyLabel.x, new Uint8Array(31)), 'KEY_MALFORMED'],
    ['x as text', withMember(p256, KeyLabel.x, 'x'), 'KEY_MALFORMED'],
    ['no y', withMember(p256, KeyLabel.y, undefined), 'KEY_MALFORMED'],
    ['long y', withMember(p256, KeyLabel.y, new Uint8Array(33)), 'KEY_MALFORMED'],
    ['compressed point', withMember(p256, KeyLabel.y, true), 'KEY_UNSUPPORTED'],
    ['P-384 length on P-256', withMember(withMember2(p256, KeyLabel.x, new Uint8Array(48)), KeyLabel.y, new Uint8Array(48)), 'KEY_MALFORMED'],
    ['point not on the curve', withMember(p256, KeyLabel.y, unhex(RFC9679_X)), 'KEY_MALFORMED'],
    ['kid as text', withMember(p256, KeyLabel.kid, 'kid'), 'KEY_MALFORMED'],
    ['alg of another curve', withMember(p256, KeyLabel.alg, CoseAlgorithm.ES384), 'KEY_MALFORMED'],
    ['unsupported alg', withMember(p256, KeyLabel.alg, -257), 'KEY_UNSUPPORTED'],
    ['not a map', unhex('80'), 'KEY_MALFORMED'],
    ['X25519 on OKP', encodeCbor(new Map<number, CborValue>([[1, 1], [-1, Curve.X25519], [-2, new Uint8Array(32)]])), 'KEY_UNSUPPORTED'],
    ['Ed448 on OKP', encodeCbor(new Map<number, CborValue>([[1, 1], [-1, Curve.Ed448], [-2, new Uint8Array(57)]])), 'KEY_UNSUPPORTED'],
    ['P-256 on OKP', encodeCbor(new Map<number, CborValue>([[1, 1], [-1, Curve.P256], [-2, new Uint8Array(32)]])), 'KEY_MALFORMED'],
    ['OKP with y', encodeCbor(new Map<number, CborValue>([[1, 1], [-1, 6], [-2, unhex(ED25519_X)], [-3, new Uint8Array(32)]])), 'KEY_MALFORMED'],
    ['OKP private', encodeCbor(new Map<number, CborValue>([[1, 1], [-1, 6], [-2, unhex(ED25519_X)], [-4, new Uint8Array(32)]])), 'KEY_PRIVATE'],
    ['trailing bytes', unhex(hex(encodeCbor(p256)) + '00'), 'CBOR_TRAILING_BYTES'],
    ['a tag', unhex('d2' + hex(encodeCbor(p256))), 'CBOR_UNKNOWN_TAG'],
  ];
  for (const [name, bytes, code] of cases) {
    it(`${name} → ${code}`, () => {
      expect(codeOf(() => decodeCoseKey(bytes))).toBe(code);
    });
  }

  it('never puts key material in a message', () => {
    const privateBytes = new Uint8Array(32).fill(0x42);
    const error = errorOf(() => decodeCoseKey(withMember(p256, KeyLabel.d, privateBytes)));
    expect(error.message).not.toMatch(/42424242/i);
    const jwk = generateKeyPair(CoseAlgorithm.ES256).privateKey.export({ format: 'jwk' });
    const broken = errorOf(() => importJwk({ ...jwk, y: jwk.x }));
    expect(broken.code).toBe('KEY_MALFORMED');
    for (const secret of [jwk.d as string, jwk.x as string]) expect(broken.message).not.toContain(secret);
  });

  it('PEM: only one SPKI or PKCS#8 block, of a supported curve', () => {
    const pair = generateKeyPair(CoseAlgorithm.ES256);
    const publicPem = exportPublicKeyPem(pair.publicKey);
    const privatePem = exportPrivateKeyPem(pair.privateKey);
    expect(codeOf(() => importPublicKeyPem(privatePem))).toBe('KEY_PRIVATE');
    expect(codeOf(() => importPrivateKeyPem(publicPem))).toBe('KEY_MALFORMED');
    expect(codeOf(() => importPublicKeyPem(publicPem + publicPem))).toBe('KEY_MALFORMED');
    expect(codeOf(() => importPublicKeyPem('not a pem'))).toBe('KEY_MALFORMED');
    expect(codeOf(() => importPublicKeyPem('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'))).toBe('KEY_MALFORMED');
    const sec1 = pair.privateKey.export({ format: 'pem', type: 'sec1' }).toString();
    expect(codeOf(() => importPrivateKeyPem(sec1))).toBe('KEY_UNSUPPORTED');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(codeOf(() => importPublicKeyPem(rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString()))).toBe('KEY_UNSUPPORTED');
    expect(codeOf(() => exportPrivateKeyPem(pair.publicKey))).toBe('KEY_WRONG_TYPE');
  });

  it('JWK: supported kinds only, exact lengths, valid points', () => {
    const jwk = generateKeyPair(CoseAlgorithm.ES256).publicKey.export({ format: 'jwk' });
    expect(codeOf(() => importJwk({ ...jwk, crv: 'P-521' }))).toBe('KEY_UNSUPPORTED');
    expect(codeOf(() => importJwk({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }))).toBe('KEY_UNSUPPORTED');
    expect(codeOf(() => importJwk({ ...jwk, x: `${jwk.x as string}AA` }))).toBe('KEY_MALFORMED');
    expect(codeOf(() => importJwk({ ...jwk, x: 'not+base64url/' }))).toBe('KEY_MALFORMED');
    expect(codeOf(() => importJwk({ ...jwk, y: jwk.x }))).toBe('KEY_MALFORMED');
    expect(codeOf(() => importJwk({ ...jwk, y: undefined }))).toBe('KEY_MALFORMED');
    const ed = generateKeyPair(CoseAlgorithm.EdDSA).publicKey.export({ format: 'jwk' });
    expect(codeOf(() => importJwk({ ...ed, y: ed.x }))).toBe('KEY_MALFORMED');
  });

  it('COSE_Key from a KeyObject: alg must fit, unsupported keys refused', () => {
    const pair = generateKeyPair(CoseAlgorithm.ES256);
    expect(codeOf(() => coseKeyFromKeyObject(pair.publicKey, { alg: CoseAlgorithm.EdDSA }))).toBe('COSE_KEY_MISMATCH');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(codeOf(() => coseKeyFromKeyObject(rsa.publicKey))).toBe('KEY_UNSUPPORTED');
    expect(codeOf(() => coseKeyThumbprint({ ...rfcKey, x: new Uint8Array(3) }))).toBe('KEY_MALFORMED');
  });
});

describe('COSE_KeySet', () => {
  it('round-trips, and its bytes are known for a one-key set', () => {
    const okp: CoseKey = { kty: KeyType.OKP, crv: Curve.Ed25519, x: unhex(ED25519_X), kid: unhex(ED25519_THUMBPRINT) };
    expect(hex(encodeCoseKeySet([okp]))).toBe('81' + 'a4' + '0101' + '025820' + ED25519_THUMBPRINT + '2006' + '215820' + ED25519_X);
    const keys = [okp, { ...rfcKey, kid: coseKeyThumbprint(rfcKey) }, coseKeyFromKeyObject(generateKeyPair(-35).publicKey)];
    expect(decodeCoseKeySet(encodeCoseKeySet(keys))).toEqual(keys);
    expect(decodeCoseKeySet(encodeCoseKeySet([]))).toEqual([]);
  });

  it('refuses duplicate kids, private members and non-arrays', () => {
    const a: CoseKey = { ...rfcKey, kid: unhex('01') };
    expect(codeOf(() => encodeCoseKeySet([a, a]))).toBe('KEY_MALFORMED');
    expect(codeOf(() => decodeCoseKeySet(encodeCbor([coseKeyToCbor(a), coseKeyToCbor(a)])))).toBe('KEY_MALFORMED');
    const withD = new Map(coseKeyToCbor(a));
    withD.set(KeyLabel.d, new Uint8Array(32));
    expect(codeOf(() => decodeCoseKeySet(encodeCbor([withD])))).toBe('KEY_PRIVATE');
    expect(codeOf(() => decodeCoseKeySet(encodeCoseKey(a)))).toBe('KEY_MALFORMED');
  });

  it('coseKeyFromCbor accepts an embedded map', () => {
    expect(coseKeyFromCbor(coseKeyToCbor(rfcKey))).toEqual(rfcKey);
  });
});

function withMember2(base: Map<number | string, CborValue>, label: number, value: CborValue): Map<number | string, CborValue> {
  const map = new Map(base);
  map.set(label, value);
  return map;
}

describe('remembered conversions', () => {
  it('never serve a stale key: editing a COSE_Key in place gives a fresh conversion and thumbprint', () => {
    const a = generateKeyPair(CoseAlgorithm.ES256);
    const b = generateKeyPair(CoseAlgorithm.ES256);
    const key = { ...coseKeyFromKeyObject(a.publicKey) } as { x: Uint8Array; y: Uint8Array };
    const cose = key as unknown as Parameters<typeof keyObjectFromCoseKey>[0];
    const thumbprintA = coseKeyThumbprint(cose);
    expect(keyObjectFromCoseKey(cose).equals(a.publicKey)).toBe(true);
    const other = coseKeyFromKeyObject(b.publicKey) as unknown as { x: Uint8Array; y: Uint8Array };
    key.x.set(other.x);
    key.y.set(other.y);
    expect(keyObjectFromCoseKey(cose).equals(b.publicKey)).toBe(true);
    expect(Buffer.from(coseKeyThumbprint(cose)).equals(Buffer.from(coseKeyThumbprint(b.publicKey)))).toBe(true);
    expect(Buffer.from(coseKeyThumbprint(cose)).equals(Buffer.from(thumbprintA))).toBe(false);
    // What coseKeyThumbprint returns is the caller's to keep: changing it changes nothing here.
    coseKeyThumbprint(b.publicKey).fill(0);
    expect(coseKeyThumbprint(b.publicKey).some((byte) => byte !== 0)).toBe(true);
  });

  it('nor when the members are Buffers (whose slice is a view) edited in place', () => {
    const a = generateKeyPair(CoseAlgorithm.ES256);
    const b = generateKeyPair(CoseAlgorithm.ES256);
    const plain = coseKeyFromKeyObject(a.publicKey) as unknown as { x: Uint8Array; y: Uint8Array };
    const key = { ...plain, x: Buffer.from(plain.x), y: Buffer.from(plain.y) };
    const cose = key as unknown as Parameters<typeof keyObjectFromCoseKey>[0];
    expect(keyObjectFromCoseKey(cose).equals(a.publicKey)).toBe(true);
    const other = coseKeyFromKeyObject(b.publicKey) as unknown as { x: Uint8Array; y: Uint8Array };
    key.x.set(other.x);
    key.y.set(other.y);
    expect(keyObjectFromCoseKey(cose).equals(b.publicKey)).toBe(true);
    expect(Buffer.from(coseKeyThumbprint(cose)).equals(Buffer.from(coseKeyThumbprint(b.publicKey)))).toBe(true);
  });
});

describe('readPublicKeyFile', () => {
  const a = generateKeyPair(CoseAlgorithm.ES256);
  const b = generateKeyPair(CoseAlgorithm.EdDSA);
  const enc = (text: string) => new TextEncoder().encode(text);
  const jwkOf = (key: KeyPair['publicKey'], extra: object = {}) => JSON.stringify({ ...key.export({ format: 'jwk' }), ...extra });
  const codeOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as CoseError).code;
    }
    return 'ok';
  };

  it('reads SPKI PEM, a JWK and a COSE_Key, keeping the kid the file gives', () => {
    const [pem] = readPublicKeyFile(enc(`\n${exportPublicKeyPem(a.publicKey)}`));
    expect(keyObjectFromCoseKey(pem!).equals(a.publicKey)).toBe(true);
    expect(pem!.kid).toBeUndefined();
    const [jwk] = readPublicKeyFile(enc(jwkOf(b.publicKey, { kid: 'agent-b' })));
    expect(Buffer.from(jwk!.kid!).toString()).toBe('agent-b');
    const [cose] = readPublicKeyFile(encodeCoseKey(coseKeyFromKeyObject(a.publicKey, { kid: enc('k1') })));
    expect(Buffer.from(cose!.kid!).toString()).toBe('k1');
  });

  it('reads key sets only when asked to', () => {
    const jwks = enc(JSON.stringify({ keys: [JSON.parse(jwkOf(a.publicKey)), JSON.parse(jwkOf(b.publicKey))] }));
    expect(readPublicKeyFile(jwks, { sets: true })).toHaveLength(2);
    expect(codeOf(() => readPublicKeyFile(jwks))).toBe('KEY_MALFORMED');
    const set = encodeCoseKeySet([coseKeyFromKeyObject(a.publicKey), coseKeyFromKeyObject(b.publicKey)]);
    expect(readPublicKeyFile(set, { sets: true })).toHaveLength(2);
    expect(codeOf(() => readPublicKeyFile(set))).toBe('KEY_MALFORMED');
  });

  it('refuses private keys, duplicate JSON members, empty, oversized and non-UTF-8 files', () => {
    expect(codeOf(() => readPublicKeyFile(enc(JSON.stringify(a.privateKey.export({ format: 'jwk' })))))).toBe('KEY_PRIVATE');
    expect(codeOf(() => readPublicKeyFile(enc(exportPrivateKeyPem(a.privateKey))))).toBe('KEY_PRIVATE');
    const duplicated = jwkOf(a.publicKey).replace('{', '{"kty":"OKP",');
    expect(codeOf(() => readPublicKeyFile(enc(duplicated)))).toBe('KEY_MALFORMED');
    expect(codeOf(() => readPublicKeyFile(enc('  \n')))).toBe('KEY_MALFORMED');
    expect(codeOf(() => readPublicKeyFile(new Uint8Array(70_000)))).toBe('KEY_MALFORMED');
    expect(codeOf(() => readPublicKeyFile(Uint8Array.of(0x2d, 0xff, 0xfe)))).toBe('KEY_MALFORMED');
    expect(codeOf(() => readPublicKeyFile(enc(jwkOf(a.publicKey, { kid: '' }))))).toBe('KEY_MALFORMED');
  });
});
