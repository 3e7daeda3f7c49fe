// POST /receipts over a real service on loopback: receipts for many entries in one request, each
// verifying offline with the published key set against its own entry, all under one checkpoint
// and one signature; unknown entries are null; malformed, oversized and mistyped bodies are
// concise problem details, and nothing about the log changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashLeaf } from '../log/tree/index.js';
import {
  CoseAlgorithm,
  decodeCbor,
  decodeCoseKeySet,
  encodeCbor,
  generateKeyPair,
  parseReceipt,
  registeredStatement,
  signStatement,
  verifyInclusionReceipt,
} from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { startTestServer, type TestServer } from '../test/support/service.js';
import { MAX_RECEIPTS_PER_REQUEST } from './index.js';

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const COUNT = 40;

let server: TestServer;
const entries: Uint8Array[] = [];

beforeAll(async () => {
  server = await startTestServer({ issuer: 'http://127.0.0.1/scitt', policy: createPolicy({ issuerKeys: [issuer.publicKey] }) });
  for (let i = 0; i < COUNT; i++) {
    const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:bulk', sub: `task-${i}`, contentType: 'text/plain', payload: new TextEncoder().encode(`entry ${i}`) });
    const response = await fetch(`${server.url}/entries`, { method: 'POST', headers: { 'content-type': 'application/cose' }, body: statement });
    expect(response.status).toBe(201);
    entries.push(registeredStatement(statement));
  }
});

afterAll(async () => {
  await server.close();
});

const post = (body: Uint8Array | string, contentType = 'application/cbor') =>
  fetch(`${server.url}/receipts`, { method: 'POST', headers: { 'content-type': contentType }, body });

async function receiptsFor(ids: Uint8Array[]): Promise<(Uint8Array | null)[]> {
  const response = await post(encodeCbor(ids));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/cbor');
  return decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as (Uint8Array | null)[];
}

async function problemOf(response: Response): Promise<{ status: number; title: string; detail: string }> {
  expect(response.headers.get('content-type')).toBe('application/concise-problem-details+cbor');
  const body = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;
  return { status: response.status, title: body.get(-1)!, detail: body.get(-2)! };
}

describe('POST /receipts', () => {
  it('answers each id with its receipt, in the order asked, all under the latest checkpoint and one signature', async () => {
    const keys = decodeCoseKeySet(new Uint8Array(await (await fetch(`${server.url}/.well-known/scitt-keys`)).arrayBuffer()));
    // Every entry, in a shuffled order, one of them twice.
    const order = Array.from({ length: COUNT }, (_, i) => (i * 17) % COUNT);
    order.push(order[3]!);
    const receipts = await receiptsFor(order.map((i) => hashLeaf(entries[i]!)));
    expect(receipts).toHaveLength(order.length);
    const signatures = new Set<string>();
    const size = server.service.log.size;
    receipts.forEach((receipt, k) => {
      expect(receipt).toBeInstanceOf(Uint8Array);
      const verified = verifyInclusionReceipt(receipt!, entries[order[k]!]!, keys);
      expect(verified.issuer).toBe('http://127.0.0.1/scitt');
      expect(verified.leafIndex).toBe(order[k]! + 1); // entry 0 of the log is the registration policy
      expect(verified.treeSize).toBe(size);
      expect(verified.treeSizeSigned).toBe(true);
      signatures.add(Buffer.from(parseReceipt(receipt!).sign1.signature).toString('hex'));
      // A receipt for one entry does not verify for another.
      expect(() => verifyInclusionReceipt(receipt!, entries[(order[k]! + 1) % COUNT]!, keys)).toThrow();
    });
    expect(signatures.size).toBe(1);
    // The same receipt GET /entries/{id} gives, under the same checkpoint.
    const id = hashLeaf(entries[5]!);
    const single = new Uint8Array(await (await fetch(`${server.url}/entries/${Buffer.from(id).toString('hex')}`)).arrayBuffer());
    expect(Buffer.from((await receiptsFor([id]))[0]!).equals(single)).toBe(true);
  });

  it('answers null for an entry it does not hold, and still the others', async () => {
    const unknown = new Uint8Array(32).fill(7);
    const receipts = await receiptsFor([unknown, hashLeaf(entries[0]!), unknown]);
    expect(receipts[0]).toBeNull();
    expect(receipts[2]).toBeNull();
    expect(receipts[1]).toBeInstanceOf(Uint8Array);
  });

  it(`takes up to ${MAX_RECEIPTS_PER_REQUEST} ids`, async () => {
    const ids = Array.from({ length: MAX_RECEIPTS_PER_REQUEST }, (_, i) => hashLeaf(entries[i % COUNT]!));
    const receipts = await receiptsFor(ids);
    expect(receipts.every((r) => r instanceof Uint8Array)).toBe(true);
  });

  it('refuses anything but a CBOR array of 1 to 256 ids of 32 bytes, and changes nothing', async () => {
    const size = server.service.log.size;
    const id = hashLeaf(entries[0]!);
    const malformed = [
      encodeCbor([]),
      new Uint8Array([0x99, 0x01, 0x01, 0x40]), // an array of 257 announced (one empty bstr given)
      encodeCbor([id.subarray(0, 31)]),
      encodeCbor([new Uint8Array(33)]),
      encodeCbor([Buffer.from(id).toString('hex')]),
      encodeCbor(new Map([[1, id]])),
      encodeCbor([[id]]),
      encodeCbor(id),
      new Uint8Array([0x9f, 0x58, 0x20, ...id, 0xff]), // indefinite-length array
      new Uint8Array([0x82, 0x58, 0x20, ...id]), // truncated
      new Uint8Array([0x81, 0x58, 0x20, ...id, 0x00]), // trailing byte
      new Uint8Array(0),
      new Uint8Array([...new Uint8Array(5000).fill(0x81), 0x00]), // 5000 nested arrays
      new Uint8Array([0xd2, 0x81, 0x58, 0x20, ...id]), // a tag
      ...Array.from({ length: 20 }, (_, i) => new Uint8Array(Array.from({ length: 40 + i }, (_, j) => (j * 73 + i * 11) & 0xff))),
    ];
    for (const body of malformed) {
      const response = await post(body);
      expect(await problemOf(response)).toMatchObject({ status: 400, title: 'Malformed request' });
    }
    for (const body of [new Uint8Array(64 * 1024), encodeCbor(Array.from({ length: MAX_RECEIPTS_PER_REQUEST + 1 }, () => id))]) {
      const tooLarge = await post(body);
      expect(await problemOf(tooLarge)).toMatchObject({ status: 413, title: 'Payload Too Large' });
    }
    const json = await post(JSON.stringify([Buffer.from(id).toString('hex')]), 'application/json');
    expect(await problemOf(json)).toMatchObject({ status: 415, detail: 'send the entry ids as application/cbor' });
    expect(server.service.log.size).toBe(size);
    // The service still answers.
    expect((await receiptsFor([id]))[0]).toBeInstanceOf(Uint8Array);
  });
});
