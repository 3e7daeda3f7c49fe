// Receipts from the service itself (no HTTP): the registrations of one batch all ask for their
// receipts under its new checkpoint at once, and share one opening of its signed head; a failed
// opening is not kept, and every receipt still verifies against its own entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoseAlgorithm, decodeCoseKeySet, generateKeyPair, registeredStatement, signStatement, verifyInclusionReceipt } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { tempDir } from '../test/support/log.js';
import { openTestService } from '../test/support/service.js';
import type { TransparencyService } from './index.js';

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const entries: { readonly index: number; readonly entry: Uint8Array }[] = [];
let service: TransparencyService;
let earlierSize: number;
let checkpointReads: number[];

const statement = (i: number) =>
  signStatement({ key: issuer.privateKey, iss: 'did:example:receipts', sub: `task-${i}`, contentType: 'text/plain', payload: new TextEncoder().encode(`entry ${i}`) });

beforeAll(async () => {
  const dataDir = tempDir('atlog-receipts-');
  const policy = createPolicy({ issuerKeys: [issuer.publicKey] });
  service = await openTestService({ dataDir, policy });
  for (let i = 0; i < 12; i++) {
    const s = statement(i);
    const registration = await service.register(s);
    if (registration.status !== 'registered') throw new Error(`statement ${i} is ${registration.status}`);
    entries.push({ index: registration.index, entry: registeredStatement(s) });
  }
  earlierSize = service.log.size;
  for (let i = 12; i < 16; i++) expect((await service.register(statement(i))).status).toBe('registered');
  expect(service.log.size).toBeGreaterThan(earlierSize);
  // Opened again, it holds no opened head.
  await service.close();
  service = await openTestService({ dataDir, policy });
  // Count the reads of stored checkpoints (the latest one is held, the earlier ones are read).
  checkpointReads = [];
  const log = service.log;
  const read = log.checkpoint.bind(log);
  Object.defineProperty(log, 'checkpoint', { value: (size: number) => (checkpointReads.push(size), read(size)), configurable: true });
});

afterAll(async () => {
  await service.close();
});

describe('receipts under one checkpoint', () => {
  it('open its signed head once when asked for all at once, and once only while it is kept', async () => {
    const receipts = await Promise.all(entries.map(({ index }) => service.receipt(index, earlierSize)));
    expect(checkpointReads).toEqual([earlierSize]);
    const keys = decodeCoseKeySet(service.keySet());
    for (const [i, receipt] of receipts.entries()) {
      const verified = verifyInclusionReceipt(receipt, entries[i]!.entry, keys);
      expect([verified.treeSize, verified.leafIndex]).toEqual([earlierSize, entries[i]!.index]);
    }
    await Promise.all(entries.map(({ index }) => service.receipt(index, earlierSize)));
    expect(checkpointReads).toEqual([earlierSize]);
  });

  it('do not keep a failed opening: each later ask tries again, and fails alike', async () => {
    checkpointReads.length = 0;
    const missing = service.log.size + 5;
    const first = await Promise.allSettled([service.receipt(0, missing), service.receipt(1, missing)]);
    expect(first.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    await expect(service.receipt(0, missing)).rejects.toMatchObject({ code: 'TREE_SIZE_OUT_OF_RANGE' });
    // One read for the two asked together, one for the ask after.
    expect(checkpointReads).toEqual([missing, missing]);
  });
});
