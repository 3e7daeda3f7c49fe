import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CoseAlgorithm } from './algorithms.js';
import type { CborValue } from './cbor.js';
import { CoseError, type CoseErrorCode } from './errors.js';
import { coseKeyThumbprint, generateKeyPair } from './keys.js';
import { HashAlgorithm, HeaderLabel, type Label } from './labels.js';
import { decodeSign1, encodeProtectedHeader, encodeSign1, signSign1 } from './sign1.js';
import {
  digestPreimage,
  parseStatement,
  signStatement,
  verifyParsedStatementSignature,
  verifyPreimage,
  verifyStatementSignature,
} from './statement.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const other = generateKeyPair(CoseAlgorithm.ES256);
const PAYLOAD = utf8('{"type":"execution-audit","agent":"a-1","action":"deploy"}');
const CERT_LEAF = utf8('not really DER, but parseStatement only checks the shape');
const CERT_CA = utf8('the issuing CA, also not DER');

function expectCode(run: () => unknown, code: CoseErrorCode): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CoseError);
    expect((error as CoseError).code).toBe(code);
    return;
  }
  expect.unreachable(`expected ${code}`);
}

// A statement with arbitrary headers and a garbage signature: parseStatement does not verify, so
// this is how shapes signStatement refuses to produce are tested.
function rawStatement(
  protectedEntries: [Label, CborValue][],
  unprotectedEntries: [Label, CborValue][] = [],
  payload: Uint8Array | null = PAYLOAD,
): Uint8Array {
  return encodeSign1({
    protectedBytes: encodeProtectedHeader(new Map(protectedEntries)),
    unprotectedHeader: new Map(unprotectedEntries),
    payload,
    signature: new Uint8Array(64),
  });
}

const claims = (entries: [number, CborValue][] = [[1, 'https://agents.example'], [2, 'agent-1']]) =>
  new Map<number, CborValue>(entries);
const KID = new Uint8Array(32).fill(0xab);

describe('signStatement → parseStatement', () => {
  it('kid statement: defaults to the RFC 9679 thumbprint, attached payload, tag 18', () => {
    const bytes = signStatement({ key: issuer.privateKey, iss: 'https://agents.example', sub: 'agent-1', iat: 1_700_000_000, contentType: 'application/json', payload: PAYLOAD });
    expect(bytes[0]).toBe(0xd2);
    const s = parseStatement(bytes);
    expect(s.alg).toBe(CoseAlgorithm.ES256);
    expect(s.iss).toBe('https://agents.example');
    expect(s.sub).toBe('agent-1');
    expect(s.iat).toBe(1_700_000_000);
    expect(s.contentType).toBe('application/json');
    expect(hex(s.kid!)).toBe(hex(coseKeyThumbprint(issuer.publicKey)));
    expect(s.x5chain).toBeUndefined();
    expect(s.hashEnvelope).toBeUndefined();
    expect(hex(s.payload!)).toBe(hex(PAYLOAD));
    expect(s.sign1.unprotectedHeader.size).toBe(0);
    const verified = verifyStatementSignature(bytes, issuer.publicKey);
    expect(verified.detached).toBe(false);
    expect(hex(verified.payload)).toBe(hex(PAYLOAD));
  });

  it('the protected header is exactly alg, kid, CWT claims and content type, deterministically encoded', () => {
    const bytes = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', contentType: 50, kid: new Uint8Array([1, 2]), payload: PAYLOAD });
    // {1: -7, 3: 50, 4: h'0102', 15: {1: "i", 2: "s"}}
    expect(hex(decodeSign1(bytes).protectedBytes)).toBe('a40126031832044201020fa20161690261' + '73');
  });

  it('content type may be a CoAP content format (uint)', () => {
    expect(parseStatement(signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', contentType: 277, payload: PAYLOAD })).contentType).toBe(277);
  });

  it('x5chain: one certificate as a bstr, a chain as an array, no kid unless asked', () => {
    const one = signStatement({ key: issuer.privateKey, iss: 'https://issuer.example', sub: 's', x5chain: CERT_LEAF, payload: PAYLOAD });
    expect(decodeSign1(one).protectedHeader.get(HeaderLabel.x5chain)).toBeInstanceOf(Uint8Array);
    const parsedOne = parseStatement(one);
    expect(parsedOne.x5chain?.map(hex)).toEqual([hex(CERT_LEAF)]);
    expect(parsedOne.kid).toBeUndefined();

    const chain = signStatement({ key: issuer.privateKey, iss: 'did:web:issuer.example', sub: 's', x5chain: [CERT_LEAF, CERT_CA], kid: KID, payload: PAYLOAD });
    const parsed = parseStatement(chain);
    expect(parsed.x5chain?.map(hex)).toEqual([hex(CERT_LEAF), hex(CERT_CA)]);
    expect(hex(parsed.kid!)).toBe(hex(KID));
    verifyStatementSignature(chain, issuer.publicKey);
  });

  it('x5chain needs a URI-like iss of at most 8192 characters', () => {
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'agent 1', sub: 's', x5chain: CERT_LEAF, payload: PAYLOAD }), 'STATEMENT_ISS_MALFORMED');
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'no-scheme.example', sub: 's', x5chain: CERT_LEAF, payload: PAYLOAD }), 'STATEMENT_ISS_MALFORMED');
    const longest = `https://a.example/${'x'.repeat(8192 - 18)}`;
    expect([...longest].length).toBe(8192);
    parseStatement(signStatement({ key: issuer.privateKey, iss: longest, sub: 's', x5chain: CERT_LEAF, payload: PAYLOAD }));
    expectCode(() => signStatement({ key: issuer.privateKey, iss: `${longest}y`, sub: 's', x5chain: CERT_LEAF, payload: PAYLOAD }), 'STATEMENT_ISS_MALFORMED');
    // With a kid, iss is any non-empty text.
    parseStatement(signStatement({ key: issuer.privateKey, iss: 'agent 1', sub: 's', payload: PAYLOAD }));
  });

  it('a parsed statement handed back is parsed again from its bytes, not trusted field by field', () => {
    const envelope = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, hashEnvelope: true });
    const parsed = parseStatement(envelope);
    const forged = { ...parsed, hashEnvelope: undefined, iss: 'someone else' };
    expect(verifyStatementSignature(forged, issuer.publicKey).iss).toBe('i');
    verifyPreimage(forged, PAYLOAD); // still a hash envelope: the bytes say so
  });

  it('detached payload: nil on the wire, verified with the payload supplied', () => {
    const bytes = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, detached: true });
    expect(parseStatement(bytes).payload).toBeNull();
    expect(verifyStatementSignature(bytes, issuer.publicKey, { detachedPayload: PAYLOAD }).detached).toBe(true);
    expectCode(() => verifyStatementSignature(bytes, issuer.publicKey), 'COSE_PAYLOAD_MISSING');
  });

  it('a wrong key, an altered payload, an EdDSA key: each refused with its code', () => {
    const bytes = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD });
    expectCode(() => verifyStatementSignature(bytes, other.publicKey), 'COSE_BAD_SIGNATURE');
    expectCode(() => verifyStatementSignature(bytes, generateKeyPair(CoseAlgorithm.EdDSA).publicKey), 'COSE_KEY_MISMATCH');
    const ed = generateKeyPair(CoseAlgorithm.EdDSA);
    const edBytes = signStatement({ key: ed.privateKey, iss: 'i', sub: 's', payload: PAYLOAD });
    expect(verifyStatementSignature(edBytes, ed.publicKey).alg).toBe(CoseAlgorithm.EdDSA);
    expectCode(() => verifyStatementSignature(edBytes, ed.publicKey, { algorithms: [CoseAlgorithm.ES256] }), 'COSE_ALG_NOT_ALLOWED');
  });

  it('crit may name the labels this module processes (15, 258, …), not others', () => {
    const withCrit = signSign1({
      key: issuer.privateKey,
      payload: PAYLOAD,
      protectedHeader: new Map<Label, CborValue>([
        [HeaderLabel.crit, [HeaderLabel.cwtClaims]],
        [HeaderLabel.cwtClaims, claims()],
        [HeaderLabel.kid, KID],
      ]),
    });
    verifyStatementSignature(withCrit, issuer.publicKey);
    const unknown = signSign1({
      key: issuer.privateKey,
      payload: PAYLOAD,
      protectedHeader: new Map<Label, CborValue>([
        [HeaderLabel.crit, [-70000]],
        [-70000, 1],
        [HeaderLabel.cwtClaims, claims()],
        [HeaderLabel.kid, KID],
      ]),
    });
    expectCode(() => verifyStatementSignature(unknown, issuer.publicKey), 'COSE_CRIT_UNKNOWN');
    verifyStatementSignature(unknown, issuer.publicKey, { criticalLabels: [-70000] });
  });

  it('a statement parsed by the caller itself is verified without a second decode, with the same refusals', () => {
    const bytes = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD });
    expect(verifyParsedStatementSignature(parseStatement(bytes), issuer.publicKey)).toBe(CoseAlgorithm.ES256);
    expectCode(() => verifyParsedStatementSignature(parseStatement(bytes), other.publicKey), 'COSE_BAD_SIGNATURE');
    const altered = bytes.slice();
    altered[altered.length - 80]! ^= 1; // in the payload, before the 64-byte signature
    expectCode(() => verifyParsedStatementSignature(parseStatement(altered), issuer.publicKey), 'COSE_BAD_SIGNATURE');
    expectCode(() => verifyParsedStatementSignature(parseStatement(bytes), issuer.publicKey, { algorithms: [CoseAlgorithm.EdDSA] }), 'COSE_ALG_NOT_ALLOWED');
    const detached = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, detached: true });
    expectCode(() => verifyParsedStatementSignature(parseStatement(detached), issuer.publicKey), 'COSE_PAYLOAD_MISSING');
    // crit: the labels this module processes, and no others, as verifyStatementSignature.
    const critical = (labels: Label[], extra: [Label, CborValue][]) =>
      signSign1({
        key: issuer.privateKey,
        payload: PAYLOAD,
        protectedHeader: new Map<Label, CborValue>([[HeaderLabel.crit, labels], ...extra, [HeaderLabel.cwtClaims, claims()], [HeaderLabel.kid, KID]]),
      });
    verifyParsedStatementSignature(parseStatement(critical([HeaderLabel.cwtClaims], [])), issuer.publicKey);
    expectCode(() => verifyParsedStatementSignature(parseStatement(critical([-70000], [[-70000, 1]])), issuer.publicKey), 'COSE_CRIT_UNKNOWN');
  });

  it('refuses to set its own labels through protectedHeader, and bad arguments', () => {
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, protectedHeader: new Map([[HeaderLabel.cwtClaims, claims()]]) }), 'COSE_BAD_ARGUMENT');
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, iat: 1.5 }), 'COSE_BAD_ARGUMENT');
    expectCode(() => signStatement({ key: issuer.privateKey, iss: '', sub: 's', payload: PAYLOAD }), 'STATEMENT_ISS_MALFORMED');
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'i', sub: '', payload: PAYLOAD }), 'STATEMENT_SUB_MALFORMED');
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, x5chain: [] }), 'STATEMENT_X5CHAIN_MALFORMED');
    expectCode(() => signStatement({ key: issuer.publicKey, iss: 'i', sub: 's', payload: PAYLOAD }), 'KEY_WRONG_TYPE');
    // typ (16) and other labels do pass through.
    const typed = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, protectedHeader: new Map([[HeaderLabel.typ, 'application/example+cose']]) });
    expect(parseStatement(typed).sign1.protectedHeader.get(HeaderLabel.typ)).toBe('application/example+cose');
  });
});

describe('hash envelope (RFC 9995)', () => {
  const PREIMAGE = utf8('a large SBOM the domain keeps to itself'.repeat(100));

  for (const [name, alg, node] of [
    ['sha-256', HashAlgorithm.SHA256, 'sha256'],
    ['sha-384', HashAlgorithm.SHA384, 'sha384'],
    ['sha-512', HashAlgorithm.SHA512, 'sha512'],
  ] as const) {
    it(`${name}: the digest is the payload, 258/259/260 protected, no label 3`, () => {
      const bytes = signStatement({
        key: issuer.privateKey,
        iss: 'i',
        sub: 's',
        payload: PREIMAGE,
        hashEnvelope: { hashAlgorithm: name, preimageContentType: 'application/spdx+json', location: 'https://sbom.example/x.json' },
      });
      const s = parseStatement(bytes);
      expect(hex(s.payload!)).toBe(createHash(node).update(PREIMAGE).digest('hex'));
      expect(s.hashEnvelope).toEqual({ hashAlgorithm: alg, preimageContentType: 'application/spdx+json', location: 'https://sbom.example/x.json' });
      expect(s.contentType).toBeUndefined();
      expect(s.sign1.protectedHeader.has(HeaderLabel.contentType)).toBe(false);
      expect(s.sign1.protectedHeader.get(HeaderLabel.payloadHashAlg)).toBe(alg);
      verifyPreimage(bytes, PREIMAGE);
      verifyStatementSignature(bytes, issuer.publicKey, { preimage: PREIMAGE });
      expectCode(() => verifyPreimage(bytes, utf8('another preimage')), 'HASH_ENVELOPE_MISMATCH');
      expectCode(() => verifyStatementSignature(bytes, issuer.publicKey, { preimage: utf8('x') }), 'HASH_ENVELOPE_MISMATCH');
    });
  }

  it('`true` means sha-256 and no hints; detached digests are checked through the signature', () => {
    const bytes = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PREIMAGE, hashEnvelope: true, detached: true });
    const s = parseStatement(bytes);
    expect(s.hashEnvelope).toEqual({ hashAlgorithm: HashAlgorithm.SHA256 });
    expect(s.payload).toBeNull();
    expect(verifyStatementSignature(bytes, issuer.publicKey, { preimage: PREIMAGE }).payload).toEqual(digestPreimage(HashAlgorithm.SHA256, PREIMAGE));
    expectCode(() => verifyStatementSignature(bytes, issuer.publicKey, { preimage: utf8('x') }), 'COSE_BAD_SIGNATURE');
    expectCode(() => verifyPreimage(bytes, PREIMAGE), 'COSE_PAYLOAD_MISSING');
    expectCode(() => verifyStatementSignature(bytes, issuer.publicKey, { detachedPayload: new Uint8Array(31) }), 'HASH_ENVELOPE_DIGEST_LENGTH');
  });

  it('refuses content type with a hash envelope, unsupported hashes, and preimage checks on plain statements', () => {
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PREIMAGE, hashEnvelope: true, contentType: 'text/plain' }), 'HASH_ENVELOPE_CONTENT_TYPE');
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PREIMAGE, hashEnvelope: { hashAlgorithm: -18 as HashAlgorithm } }), 'HASH_ENVELOPE_ALG_UNSUPPORTED');
    const plain = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PAYLOAD });
    expectCode(() => verifyPreimage(plain, PAYLOAD), 'HASH_ENVELOPE_MISSING');
    expectCode(() => signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: PREIMAGE, hashEnvelope: true, unprotectedHeader: new Map([[HeaderLabel.payloadLocation, 'x']]) }), 'HASH_ENVELOPE_UNPROTECTED');
  });

  it('parseStatement refuses each hash envelope violation with its code', () => {
    const base: [Label, CborValue][] = [[1, -7], [4, KID], [15, claims()]];
    const digest = new Uint8Array(32);
    expectCode(() => parseStatement(rawStatement([...base, [258, -16], [3, 'text/plain']], [], digest)), 'HASH_ENVELOPE_CONTENT_TYPE');
    expectCode(() => parseStatement(rawStatement([...base, [258, -16]], [[3, 'text/plain']], digest)), 'HASH_ENVELOPE_CONTENT_TYPE');
    expectCode(() => parseStatement(rawStatement(base, [[258, -16]], digest)), 'HASH_ENVELOPE_UNPROTECTED');
    expectCode(() => parseStatement(rawStatement([...base, [258, -16]], [[259, 'text/plain']], digest)), 'HASH_ENVELOPE_UNPROTECTED');
    expectCode(() => parseStatement(rawStatement([...base, [258, 'sha-256']], [], digest)), 'HASH_ENVELOPE_MALFORMED');
    expectCode(() => parseStatement(rawStatement([...base, [258, -16], [259, -1]], [], digest)), 'HASH_ENVELOPE_MALFORMED');
    expectCode(() => parseStatement(rawStatement([...base, [258, -16], [260, 7]], [], digest)), 'HASH_ENVELOPE_MALFORMED');
    expectCode(() => parseStatement(rawStatement([...base, [259, 'text/plain']], [], digest)), 'HASH_ENVELOPE_MALFORMED');
    expectCode(() => parseStatement(rawStatement([...base, [258, -18]], [], digest)), 'HASH_ENVELOPE_ALG_UNSUPPORTED');
    expectCode(() => parseStatement(rawStatement([...base, [258, -16]], [], new Uint8Array(48))), 'HASH_ENVELOPE_DIGEST_LENGTH');
    expect(parseStatement(rawStatement([...base, [258, -43]], [], new Uint8Array(48))).hashEnvelope?.hashAlgorithm).toBe(-43);
  });
});

describe('parseStatement refuses statements that break RFC 9943', () => {
  const signed = signStatement({ key: issuer.privateKey, iss: 'https://agents.example', sub: 'agent-1', payload: PAYLOAD });

  it('stripped of its protected header', () => {
    const m = decodeSign1(signed);
    const stripped = encodeSign1({ ...m, protectedBytes: new Uint8Array(0) });
    expectCode(() => parseStatement(stripped), 'STATEMENT_PROTECTED_HEADER_EMPTY');
  });

  it('alg in the unprotected header, or none', () => {
    expectCode(() => parseStatement(rawStatement([[4, KID], [15, claims()]], [[1, -7]])), 'COSE_ALG_UNPROTECTED');
    expectCode(() => parseStatement(rawStatement([[4, KID], [15, claims()]])), 'COSE_ALG_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, 'ES256'], [4, KID], [15, claims()]])), 'COSE_ALG_NOT_ALLOWED');
  });

  it('CWT claims missing, unprotected, not a map; iss and sub missing or not text; iat not a number', () => {
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID]])), 'STATEMENT_CLAIMS_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID]], [[15, claims()]])), 'STATEMENT_CLAIMS_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, [1, 'i']]])), 'STATEMENT_CLAIMS_MALFORMED');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, claims([[2, 's']])]])), 'STATEMENT_ISS_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, claims([[1, 'i']])]])), 'STATEMENT_SUB_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, claims([[1, utf8('i')], [2, 's']])]])), 'STATEMENT_ISS_MALFORMED');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, claims([[1, 'i'], [2, 42]])]])), 'STATEMENT_SUB_MALFORMED');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, claims([[1, 'i'], [2, 's'], [6, '2024']])]])), 'STATEMENT_CLAIMS_MALFORMED');
    // Text claim keys and other claims are allowed: `* label => any`.
    expect(parseStatement(rawStatement([[1, -7], [4, KID], [15, claims([[1, 'i'], [2, 's'], [6, 1.5], [7, utf8('cti')]])]])).iat).toBe(1.5);
  });

  it('no kid, x5chain or x5t in the protected header (a kid in the unprotected one does not count)', () => {
    expectCode(() => parseStatement(rawStatement([[1, -7], [15, claims()]])), 'STATEMENT_KEY_ID_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, -7], [15, claims()]], [[4, KID]])), 'STATEMENT_KEY_ID_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, new Uint8Array(0)], [15, claims()]])), 'STATEMENT_KEY_ID_MISSING');
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, 'text-kid'], [15, claims()]])), 'COSE_MALFORMED');
  });

  it('bad x5chain and x5t shapes', () => {
    for (const bad of [[], [CERT_LEAF, 'pem?'], 42, new Uint8Array(0), [new Uint8Array(0)]] as CborValue[]) {
      expectCode(() => parseStatement(rawStatement([[1, -7], [15, claims()], [33, bad]])), 'STATEMENT_X5CHAIN_MALFORMED');
    }
    // x5chain unprotected next to a protected kid is allowed (RFC 9943), but must be well formed.
    expect(parseStatement(rawStatement([[1, -7], [4, KID], [15, claims()]], [[33, [CERT_LEAF, CERT_CA]]])).unprotectedX5chain).toHaveLength(2);
    expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, claims()]], [[33, 'x']])), 'STATEMENT_X5CHAIN_MALFORMED');
    // An array of one is read (RFC 9360 says bstr), as the one certificate it is.
    expect(parseStatement(rawStatement([[1, -7], [15, claims()], [33, [CERT_LEAF]]])).x5chain).toHaveLength(1);
    const x5t = parseStatement(rawStatement([[1, -7], [15, claims()], [34, [-16, new Uint8Array(32)]]]));
    expect(x5t.x5t?.hashAlgorithm).toBe(-16);
    for (const bad of [[-16], new Uint8Array(32), [-16, 'abc'], [1.5, new Uint8Array(32)]] as CborValue[]) {
      expectCode(() => parseStatement(rawStatement([[1, -7], [15, claims()], [34, bad]])), 'STATEMENT_X5T_MALFORMED');
    }
    // x5t also requires a URI-like iss.
    expectCode(() => parseStatement(rawStatement([[1, -7], [15, claims([[1, 'agent'], [2, 's']])], [34, [-16, new Uint8Array(32)]]])), 'STATEMENT_ISS_MALFORMED');
  });

  it('content type not a tstr or uint', () => {
    for (const bad of [-1, '', utf8('text/plain'), 1.5] as CborValue[]) {
      expectCode(() => parseStatement(rawStatement([[1, -7], [4, KID], [15, claims()], [3, bad]])), 'STATEMENT_CONTENT_TYPE_MALFORMED');
    }
  });

  it('untagged, truncated, oversized and trailing input', () => {
    const m = decodeSign1(signed);
    expectCode(() => parseStatement(encodeSign1(m, { tagged: false })), 'COSE_UNTAGGED');
    expectCode(() => parseStatement(signed.subarray(0, signed.length - 1)), 'CBOR_TRUNCATED');
    expectCode(() => parseStatement(new Uint8Array([...signed, 0])), 'CBOR_TRAILING_BYTES');
    expectCode(() => parseStatement(signed, { limits: { maxBytes: signed.length - 1 } }), 'CBOR_TOO_LARGE');
    const big = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: new Uint8Array(1024 * 1024) });
    expectCode(() => parseStatement(big), 'CBOR_TOO_LARGE');
  });
});
