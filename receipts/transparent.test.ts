import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CoseAlgorithm } from './algorithms.js';
import { type CborValue, CborTag, decodeCbor, encodeCbor } from './cbor.js';
import { CoseError, type CoseErrorCode } from './errors.js';
import { generateKeyPair } from './keys.js';
import { HeaderLabel, type Label } from './labels.js';
import { decodeSign1, encodeSign1 } from './sign1.js';
import { signStatement } from './statement.js';
import { attachReceipts, extractReceipts, registeredFromDecoded, registeredFromSign1, registeredStatement, statementLeafHash } from './transparent.js';
import { inclusionReceipt, signTreeHead } from './receipt.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const service = generateKeyPair(CoseAlgorithm.ES256);
const statement = signStatement({ key: issuer.privateKey, iss: 'https://agents.example', sub: 'agent-1', payload: utf8('{"a":1}') });
const withUnprotected = signStatement({
  key: issuer.privateKey,
  iss: 'https://agents.example',
  sub: 'agent-1',
  payload: utf8('{"a":1}'),
  unprotectedHeader: new Map<Label, CborValue>([[HeaderLabel.x5chain, utf8('cert')], ['note', 'unsigned']]),
});

function receiptFor(i: number): Uint8Array {
  const rootHash = createHash('sha256').update(`root ${i}`).digest();
  const head = signTreeHead(service.privateKey, { issuer: 'https://log.example', subject: 'log.example/1' }, { size: 1, rootHash, timestamp: 1_700_000_000_000 + i });
  return inclusionReceipt(head, { treeSize: 1, leafIndex: 0, path: [] });
}

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

function withReceiptsLabel(value: CborValue): Uint8Array {
  const m = decodeSign1(statement);
  return encodeSign1({ ...m, unprotectedHeader: new Map([[HeaderLabel.receipts, value]]) });
}

describe('the leaf rule: registeredStatement', () => {
  it('gives the same bytes from an already decoded statement as from its bytes', () => {
    const key = generateKeyPair(CoseAlgorithm.ES256);
    const statement = signStatement({ key: key.privateKey, iss: 'https://agents.example/r', sub: 'r', payload: new Uint8Array([1, 2, 3]) });
    const withUnprotected = encodeSign1({ ...decodeSign1(statement), unprotectedHeader: new Map<Label, CborValue>([[HeaderLabel.receipts, [new Uint8Array([0xd2])]]]) });
    for (const bytes of [statement, withUnprotected]) {
      expect(Buffer.from(registeredFromSign1(decodeSign1(bytes))).equals(Buffer.from(registeredStatement(bytes)))).toBe(true);
    }
  });

  it('from the statement and its decoding: the statement itself when already registered, else its re-encoding', () => {
    const key = generateKeyPair(CoseAlgorithm.ES256);
    const sign = (payload: Uint8Array, detached = false) => signStatement({ key: key.privateKey, iss: 'https://agents.example/d', sub: 'd', payload, detached });
    // Payload and header lengths on each side of every CBOR head size (23/24, 255/256 bytes).
    const registered = [0, 1, 23, 24, 255, 256, 65_535 - 200].map((n) => sign(new Uint8Array(n).fill(7)));
    registered.push(sign(utf8('detached'), true));
    for (const bytes of registered) {
      const decoded = decodeSign1(bytes);
      expect(registeredFromDecoded(bytes, decoded)).toBe(bytes);
      expect(hex(registeredFromSign1(decoded))).toBe(hex(bytes));
    }
    const untagged = encodeSign1(decodeSign1(statement), { tagged: false });
    for (const bytes of [withUnprotected, untagged, withReceiptsLabel([receiptFor(1)])]) {
      const decoded = decodeSign1(bytes, { requireTag: false });
      const entry = registeredFromDecoded(bytes, decoded);
      expect(entry).not.toBe(bytes);
      expect(hex(entry)).toBe(hex(registeredFromSign1(decoded)));
      expect(hex(entry)).toBe(hex(registeredStatement(encodeSign1(decoded))));
    }
  });

  it('a signed statement with an empty unprotected header is its own registered form, byte for byte', () => {
    expect(hex(registeredStatement(statement))).toBe(hex(statement));
  });

  it('empties the unprotected header and keeps protected bytes, payload and signature untouched', () => {
    const registered = registeredStatement(withUnprotected);
    const before = decodeSign1(withUnprotected);
    const after = decodeSign1(registered);
    expect(after.unprotectedHeader.size).toBe(0);
    expect(hex(after.protectedBytes)).toBe(hex(before.protectedBytes));
    expect(hex(after.payload!)).toBe(hex(before.payload!));
    expect(hex(after.signature)).toBe(hex(before.signature));
    // The exact bytes: tag 18, array of 4, the protected bstr, {} (a0), the payload, the signature.
    const expected = Buffer.concat([
      Buffer.from('d284', 'hex'),
      encodeCbor(before.protectedBytes),
      Buffer.from('a0', 'hex'),
      encodeCbor(before.payload),
      encodeCbor(before.signature),
    ]);
    expect(hex(registered)).toBe(expected.toString('hex'));
  });

  it('is idempotent, and strips receipts: a transparent statement registers as its signed statement', () => {
    const once = registeredStatement(withUnprotected);
    expect(hex(registeredStatement(once))).toBe(hex(once));
    const transparent = attachReceipts(withUnprotected, [receiptFor(1), receiptFor(2)]);
    expect(hex(registeredStatement(transparent))).toBe(hex(once));
    expect(hex(statementLeafHash(transparent))).toBe(
      createHash('sha256').update(Buffer.concat([Buffer.from([0]), once])).digest('hex'),
    );
  });

  it('keeps a detached payload nil', () => {
    const detached = signStatement({ key: issuer.privateKey, iss: 'i', sub: 's', payload: utf8('x'), detached: true });
    const registered = registeredStatement(attachReceipts(detached, [receiptFor(3)]));
    expect(hex(registered)).toBe(hex(detached));
    expect(decodeSign1(registered).payload).toBeNull();
  });

  it('refuses what is not a tagged COSE_Sign1, truncated or oversized input', () => {
    expectCode(() => registeredStatement(encodeSign1(decodeSign1(statement), { tagged: false })), 'COSE_UNTAGGED');
    expectCode(() => registeredStatement(statement.subarray(0, 20)), 'CBOR_TRUNCATED');
    expectCode(() => registeredStatement(statement, { limits: { maxBytes: 16 } }), 'CBOR_TOO_LARGE');
    expectCode(() => registeredStatement(encodeCbor([1, 2, 3])), 'COSE_UNTAGGED');
  });
});

describe('attachReceipts / extractReceipts', () => {
  it('adds receipts as an array of bstr-wrapped tagged COSE_Sign1, after those already there', () => {
    const [r1, r2, r3] = [receiptFor(1), receiptFor(2), receiptFor(3)];
    const once = attachReceipts(withUnprotected, [r1]);
    const twice = attachReceipts(once, [r2, r3]);
    const value = decodeSign1(twice).unprotectedHeader.get(HeaderLabel.receipts) as Uint8Array[];
    expect(Array.isArray(value)).toBe(true);
    expect(value.map(hex)).toEqual([r1, r2, r3].map(hex));
    expect(extractReceipts(twice).map(hex)).toEqual([r1, r2, r3].map(hex));
    // Other unprotected labels stay; the signed parts do not move.
    const m = decodeSign1(twice);
    expect(m.unprotectedHeader.get('note')).toBe('unsigned');
    expect(hex(m.signature)).toBe(hex(decodeSign1(withUnprotected).signature));
  });

  it('a statement without 394 has no receipts', () => {
    expect(extractReceipts(statement)).toEqual([]);
  });

  it('reads bare tagged receipts (RFC 9943 CDDL) and a lone receipt, and rewrites them as bstrs', () => {
    const r1 = receiptFor(1);
    const bare = decodeCbor(r1) as CborTag;
    expect(extractReceipts(withReceiptsLabel([bare])).map(hex)).toEqual([hex(r1)]);
    expect(extractReceipts(withReceiptsLabel(r1)).map(hex)).toEqual([hex(r1)]);
    expect(extractReceipts(withReceiptsLabel(bare)).map(hex)).toEqual([hex(r1)]);
    const r2 = receiptFor(2);
    const normalised = attachReceipts(withReceiptsLabel([bare]), [r2]);
    expect((decodeSign1(normalised).unprotectedHeader.get(HeaderLabel.receipts) as CborValue[]).every((x) => x instanceof Uint8Array)).toBe(true);
    expect(extractReceipts(normalised).map(hex)).toEqual([hex(r1), hex(r2)]);
  });

  it('refuses a 394 holding garbage', () => {
    const garbage: CborValue[] = [
      [],
      42,
      'receipt',
      [42],
      [utf8('not cbor at all')],
      [encodeCbor([1, 2, 3])], // CBOR, but not a COSE_Sign1
      [encodeSign1(decodeSign1(receiptFor(1)), { tagged: false })], // untagged
      [new CborTag(18, [1, 2])],
      new Map([[1, 2]]),
    ];
    for (const value of garbage) expectCode(() => extractReceipts(withReceiptsLabel(value)), 'RECEIPTS_MALFORMED');
    expectCode(() => attachReceipts(withReceiptsLabel([42]), [receiptFor(1)]), 'RECEIPTS_MALFORMED');
    expectCode(() => attachReceipts(statement, [utf8('nope')]), 'RECEIPTS_MALFORMED');
    expectCode(() => attachReceipts(statement, []), 'COSE_BAD_ARGUMENT');
  });

  it('refuses to attach to a statement that signed receipts into its protected header', () => {
    const signedReceipts = signStatement({
      key: issuer.privateKey,
      iss: 'i',
      sub: 's',
      payload: utf8('x'),
      protectedHeader: new Map<Label, CborValue>([[HeaderLabel.receipts, [receiptFor(9)]]]),
    });
    expectCode(() => attachReceipts(signedReceipts, [receiptFor(1)]), 'COSE_DUPLICATE_LABEL');
    expect(extractReceipts(signedReceipts)).toEqual([]);
  });
});
