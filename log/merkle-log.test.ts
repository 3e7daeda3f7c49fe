import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, testSigner } from '../test/support/log.js';
import { NaiveTree } from '../test/support/naive-tree.js';
import { VECTORS } from '../test/support/vectors.js';
import {
  type CheckpointSigner,
  type Integration,
  LevelDbStorage,
  LogError,
  type LogStorage,
  MerkleLog,
  type MerkleLogOptions,
} from './index.js';
import { hashLeaf, verifyConsistency, verifyInclusion } from './tree/index.js';

const root = tempDir();
let counter = 0;
const open: MerkleLog[] = [];

async function openLog(options: Partial<MerkleLogOptions> & { dir?: string } = {}): Promise<MerkleLog> {
  const dir = options.dir ?? join(root, `log-${counter++}`);
  const storage = options.storage ?? (await LevelDbStorage.open(dir));
  const log = await MerkleLog.open({ signer: testSigner(), ...options, storage });
  open.push(log);
  return log;
}

afterEach(async () => {
  for (const log of open.splice(0)) await log.close().catch(() => {});
});

const entry = (i: number, tag = 'e') => new Uint8Array(Buffer.from(`${tag}-${i}-${'x'.repeat(i % 50)}`));

async function expectCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<LogError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    expect(err).toBeInstanceOf(LogError);
    expect((err as LogError).code).toBe(code);
    return err as LogError;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

describe('appending', () => {
  it('gives concurrent submissions distinct indices, and proofs that verify against the checkpoint', async () => {
    const signer = testSigner();
    const log = await openLog({ signer });
    const entries = Array.from({ length: 3000 }, (_, i) => entry(i));
    const results = await Promise.all(entries.map((e) => log.append(e)));
    expect(new Set(results.map((r) => r.index)).size).toBe(3000);
    expect(log.size).toBe(3000);

    const naive = new NaiveTree(entries.map(hashLeaf));
    const checkpoint = log.latestCheckpoint;
    expect(signer.verify(checkpoint)).toBe(true);
    expect(Buffer.from(checkpoint.rootHash).equals(Buffer.from(naive.root(3000)))).toBe(true);
    for (const [i, r] of results.entries()) {
      expect(Buffer.from(r.leafHash).equals(Buffer.from(hashLeaf(entries[i]!)))).toBe(true);
      expect(r.duplicate).toBe(false);
      expect(r.treeSize).toBeGreaterThan(r.index);
      const signed = await log.checkpoint(r.treeSize);
      expect(signed, `checkpoint at ${r.treeSize}`).toBeDefined();
      if (i % 97 === 0) verifyInclusion(r.index, r.treeSize, r.leafHash, await log.inclusionProof(r.index, r.treeSize), signed!.rootHash);
    }
    for (let i = 0; i < 3000; i += 89) {
      verifyInclusion(results[i]!.index, 3000, results[i]!.leafHash, await log.inclusionProof(results[i]!.index), checkpoint.rootHash);
      expect(Buffer.from(await log.entry(results[i]!.index)).equals(Buffer.from(entries[i]!))).toBe(true);
      expect(await log.indexOf(results[i]!.leafHash)).toBe(results[i]!.index);
    }
    for (const size1 of [1, 2, 255, 256, 257, 1000, 2999, 3000]) {
      verifyConsistency(size1, 3000, await log.rootAt(size1), checkpoint.rootHash, await log.consistencyProof(size1));
      expect(Buffer.from(await log.rootAt(size1)).equals(Buffer.from(naive.root(size1)))).toBe(true);
    }
    expect(await log.audit()).toEqual({ size: 3000, fromSize: 0, checkpoints: expect.any(Number) });
    // From any size on: the stored edge there, narrowed to it, and the entries after it.
    for (const fromSize of [1, 255, 256, 257, 1000, 2999, 3000]) {
      expect(await log.audit({ fromSize })).toEqual({ size: 3000, fromSize, checkpoints: expect.any(Number) });
    }
    await expectCode(log.audit({ fromSize: 3001 }), 'TREE_SIZE_OUT_OF_RANGE');
    await expectCode(log.audit({ fromSize: -1 }), 'INVALID_ARGUMENT');
  });

  it('serves tiles exactly as the leaf hashes laid out in C2SP order', async () => {
    const log = await openLog();
    const hashes: Uint8Array[] = [];
    for (let i = 0; i < 600; i++) hashes.push((await log.append(entry(i, 'tile'))).leafHash);
    expect(Buffer.from((await log.tile(0, 1))!).equals(Buffer.concat(hashes.slice(256, 512)))).toBe(true);
    expect(Buffer.from((await log.tile(0, 2, 88))!).equals(Buffer.concat(hashes.slice(512, 600)))).toBe(true);
    expect(Buffer.from((await log.tile(0, 2, 5))!).equals(Buffer.concat(hashes.slice(512, 517)))).toBe(true);
    expect(await log.tile(0, 2, 89)).toBeUndefined();
    expect(await log.tile(0, 3, 1)).toBeUndefined();
    const naive = new NaiveTree(hashes);
    expect(Buffer.from((await log.tile(1, 0, 2))!).equals(Buffer.concat([naive.root(256), naive.mth(256, 512)]))).toBe(true);
    await expectCode(() => log.tile(64, 0), 'INVALID_ARGUMENT');
    await expectCode(() => log.tile(0, 0, 0), 'INVALID_ARGUMENT');
  });

  it('serves tiles and entry bundles byte for byte as tessera does for the same entries', async () => {
    const log = await openLog();
    const words = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(' ');
    const dir = join(VECTORS, 'tlog-tiles/tessera-testdata-log');
    for (const [i, word] of words.entries()) {
      await log.append(new TextEncoder().encode(word));
      const width = i + 1;
      expect(Buffer.from((await log.entryBundle(0, width))!).equals(readFileSync(join(dir, `tile/entries/000.p/${width}`))), `bundle ${width}`).toBe(true);
      expect(Buffer.from((await log.tile(0, 0, width))!).equals(readFileSync(join(dir, `tile/0/000.p/${width}`))), `tile ${width}`).toBe(true);
    }
    expect(await log.entryBundle(0, 16)).toBeUndefined();
    expect(await log.entryBundle(1, 1)).toBeUndefined();
    await expectCode(() => log.entryBundle(0, 0), 'INVALID_ARGUMENT');
  });

  it('returns the existing entry for a duplicate, in flight or long stored', async () => {
    const log = await openLog();
    const [a, b] = await Promise.all([log.append(entry(1)), log.append(entry(1))]);
    expect(a).toBe(b);
    await log.append(entry(2));
    const again = await log.append(entry(1));
    expect(again).toMatchObject({ index: a!.index, duplicate: true, treeSize: 2 });
    expect(log.size).toBe(2);
  });

  it('finds duplicates in batches looked up before the batches ahead of them are written', async () => {
    const log = await openLog({ sequencer: { maxBatchSize: 10 } });
    const stored = await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(entry(i, 'old'))));
    // Four full batches at once: while the first is written, the next is already looked up.
    const burst = Array.from({ length: 40 }, (_, i) => entry(i, 'new'));
    burst[25] = entry(3, 'old'); // stored long ago
    burst[37] = entry(4, 'new'); // in the first batch of the burst, still in flight
    const results = await Promise.all(burst.map((e) => log.append(e)));
    expect(results[25]).toMatchObject({ index: stored[3]!.index, duplicate: true });
    expect(results[37]).toBe(results[4]);
    expect(results.filter((r) => !r.duplicate).length).toBe(39);
    expect(log.size).toBe(48);
    await log.audit();
  });

  it('copies the entry, so a caller reusing its buffer cannot corrupt the log', async () => {
    const log = await openLog();
    const buffer = new Uint8Array(Buffer.from('original'));
    const pending = log.append(buffer);
    buffer.fill(0);
    const r = await pending;
    expect(Buffer.from(await log.entry(r.index)).toString()).toBe('original');
    await log.audit();
  });

  it('cuts batches at the size bound; checkpoints fall on batch boundaries, and each answer is under one that holds it', async () => {
    const storage = await LevelDbStorage.open(join(root, `batch-${counter++}`));
    const log = await openLog({ storage, sequencer: { maxBatchSize: 10 } });
    const results = await Promise.all(Array.from({ length: 95 }, (_, i) => log.append(entry(i))));
    const sizes = (await storage.readCheckpoints(0, 100)).map((c) => c.size);
    // A checkpoint signs what is durable when it is made, so on a busy machine one may cover the
    // next batch too (70 then 90); it never falls inside a batch.
    const boundaries = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95];
    expect(sizes.every((size) => boundaries.includes(size)), sizes.join(' ')).toBe(true);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect([sizes[0], sizes.at(-1)]).toEqual([0, 95]);
    for (const [i, result] of results.entries()) {
      expect(result.index).toBe(i);
      expect(sizes).toContain(result.treeSize);
      // Under the first checkpoint of its batch or a later one, never an earlier one.
      expect(result.treeSize).toBeGreaterThanOrEqual(Math.min(95, Math.ceil((i + 1) / 10) * 10));
    }
  });

  it('waits up to the time bound for company when idle', async () => {
    const log = await openLog({ sequencer: { maxBatchDelayMs: 400 } });
    const first = log.append(entry(1));
    await new Promise((r) => setTimeout(r, 30));
    const second = log.append(entry(2));
    const [a, b] = await Promise.all([first, second]);
    expect(a.treeSize).toBe(2);
    expect(b.treeSize).toBe(2);
  });

  it('refuses submissions with a retryable error when the queue is full, and loses none it accepted', async () => {
    const log = await openLog({ sequencer: { maxQueueEntries: 50, maxBatchSize: 20 } });
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => log.append(entry(i, 'flood'))));
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(accepted.length).toBe(50);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'QUEUE_FULL', retryable: true });
    expect(log.size).toBe(50);
    const retried = await log.append(entry(199, 'flood'));
    expect(retried.index).toBe(50);
  });

  it('refuses oversized entries and non-bytes', async () => {
    const log = await openLog({ sequencer: { maxEntryBytes: 100 } });
    await expectCode(log.append(new Uint8Array(101)), 'ENTRY_TOO_LARGE');
    await expectCode(log.append('text' as unknown as Uint8Array), 'INVALID_ARGUMENT');
    expect((await log.append(new Uint8Array(100))).index).toBe(0);
    expect((await log.append(new Uint8Array(0))).index).toBe(1);
    await expectCode(async () => openLog({ sequencer: { maxBatchSize: 0 } }), 'INVALID_ARGUMENT');
    await expectCode(async () => openLog({ sequencer: { maxEntryBytes: 65_536 } }), 'INVALID_ARGUMENT');
  });
});

describe('appending many at once', () => {
  it('gives each entry what append would, in order, duplicates and all', async () => {
    const log = await openLog({ sequencer: { maxBatchSize: 64 } });
    const old = await log.append(entry(7, 'many'));
    const entries = Array.from({ length: 300 }, (_, i) => entry(i, 'many'));
    entries[250] = entry(3, 'many'); // twice in the same call
    const alone = log.append(entry(299, 'many')); // in flight when the call comes
    const results = await log.appendMany(entries);
    expect(results.length).toBe(300);
    expect(results[7]).toMatchObject({ index: old.index, duplicate: true });
    expect(results[250]).toBe(results[3]);
    expect(results[299]).toBe(await alone);
    const indices = results.map((r) => r.index);
    expect(new Set(indices).size).toBe(299);
    for (const [i, r] of results.entries()) {
      expect(Buffer.from(r.leafHash).equals(Buffer.from(hashLeaf(entries[i]!)))).toBe(true);
      expect(r.treeSize).toBeGreaterThan(r.index);
      expect(Buffer.from(await log.entry(r.index)).equals(Buffer.from(entries[i]!))).toBe(true);
    }
    expect(log.size).toBe(299); // 300 entries, one of them twice
    expect(await log.appendMany([])).toEqual([]);
    const again = await log.appendMany(entries.slice(0, 10));
    expect(again.map((r) => r.index)).toEqual(results.slice(0, 10).map((r) => r.index));
    expect(again.every((r) => r.duplicate)).toBe(true);
    await log.audit();
  });

  it('queues all or none, and refuses what the queue could never hold', async () => {
    const log = await openLog({ sequencer: { maxQueueEntries: 50, maxBatchSize: 20, maxEntryBytes: 100 } });
    await expectCode(log.appendMany([entry(1), new Uint8Array(101)]), 'ENTRY_TOO_LARGE');
    await expectCode(log.appendMany([entry(1), 'text' as unknown as Uint8Array]), 'INVALID_ARGUMENT');
    await expectCode(log.appendMany('text' as unknown as Uint8Array[]), 'INVALID_ARGUMENT');
    await expectCode(log.appendMany(Array.from({ length: 51 }, (_, i) => entry(i))), 'INVALID_ARGUMENT');
    expect(log.queueDepth).toBe(0);
    const first = log.appendMany(Array.from({ length: 40 }, (_, i) => entry(i, 'a')));
    const refused = await log.appendMany(Array.from({ length: 20 }, (_, i) => entry(i, 'b'))).catch((err) => err);
    expect(refused).toMatchObject({ code: 'QUEUE_FULL', retryable: true });
    expect((await first).length).toBe(40);
    expect(log.size).toBe(40);
    expect(await log.indexOf(hashLeaf(entry(0, 'b')))).toBeUndefined();
    await log.close();
    await expectCode(log.appendMany([entry(1)]), 'LOG_CLOSED');
  });

  it('rejects with the failure of a batch, and a second call finds what was stored', async () => {
    const storage = new FaultyStorage(await LevelDbStorage.open(join(root, `many-${counter++}`)));
    const log = await openLog({ storage, sequencer: { maxBatchSize: 10 } });
    await log.append(entry(0));
    storage.failNextLookup = true;
    const entries = Array.from({ length: 30 }, (_, i) => entry(i + 1));
    await expectCode(log.appendMany(entries), 'STORAGE_FAILURE');
    // Let the other two batches finish.
    await log.append(entry(1000));
    const results = await log.appendMany(entries);
    expect(results.filter((r) => r.duplicate).length).toBe(20);
    expect(log.size).toBe(32);
    await log.audit();
  });
});

describe('reading', () => {
  it('refuses indices and sizes beyond the log with typed errors', async () => {
    const log = await openLog();
    for (let i = 0; i < 5; i++) await log.append(entry(i));
    await expectCode(log.inclusionProof(5), 'INDEX_OUT_OF_RANGE');
    await expectCode(log.inclusionProof(0, 6), 'TREE_SIZE_OUT_OF_RANGE');
    await expectCode(log.inclusionProof(-1), 'INVALID_ARGUMENT');
    await expectCode(log.inclusionProof(1.5), 'INVALID_ARGUMENT');
    await expectCode(log.consistencyProof(0, 5), 'INVALID_ARGUMENT');
    await expectCode(log.consistencyProof(5, 4), 'INVALID_ARGUMENT');
    await expectCode(log.consistencyProof(2, 6), 'TREE_SIZE_OUT_OF_RANGE');
    await expectCode(log.entry(5), 'INDEX_OUT_OF_RANGE');
    await expectCode(log.entries(0, 1001), 'INVALID_ARGUMENT');
    await expectCode(log.rootAt(2 ** 53), 'INVALID_ARGUMENT');
    await expectCode(log.indexOf(new Uint8Array(31)), 'INVALID_ARGUMENT');
    expect(await log.indexOf(new Uint8Array(32))).toBeUndefined();
    expect((await log.entries(3, 10)).length).toBe(2);
    await expectCode(log.leafHash(5), 'INDEX_OUT_OF_RANGE');
    await expectCode(log.leafHashes(5, 1), 'INDEX_OUT_OF_RANGE');
    await expectCode(log.leafHashes(0, 1001), 'INVALID_ARGUMENT');
    await expectCode(log.leafHashes(0, -1), 'INVALID_ARGUMENT');
    // Stopping at the size, each the hash of its entry.
    const hashes = await log.leafHashes(2, 10);
    expect(hashes.map((h) => Buffer.from(h).toString('hex'))).toEqual([2, 3, 4].map((i) => Buffer.from(hashLeaf(entry(i))).toString('hex')));
    expect(Buffer.from(await log.leafHash(4)).equals(Buffer.from(hashes[2]!))).toBe(true);
  });

  it('reopens where it left off, and keeps appending consistently', async () => {
    const dir = join(root, `reopen-${counter++}`);
    const signer = testSigner();
    let log = await openLog({ dir, signer });
    for (let i = 0; i < 300; i++) await log.append(entry(i));
    const before = log.latestCheckpoint;
    await log.close();
    log = await openLog({ dir, signer });
    const after = log.latestCheckpoint;
    expect({ ...after, rootHash: Buffer.from(after.rootHash), signature: Buffer.from(after.signature) }).toEqual({
      ...before,
      rootHash: Buffer.from(before.rootHash),
      signature: Buffer.from(before.signature),
    });
    const more = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i + 300))));
    expect(more.map((r) => r.index).sort((a, b) => a - b)[0]).toBe(300);
    verifyConsistency(300, 600, before.rootHash, log.latestCheckpoint.rootHash, await log.consistencyProof(300));
    await log.audit();
  });

  it('reopens a database written with another write buffer, and refuses LevelDB sizes it cannot honour', async () => {
    const dir = join(root, `buffer-${counter++}`);
    // A 64 KiB buffer flushes tables every few dozen entries: the data lives in tables, not the log.
    let log = await openLog({ dir, storage: await LevelDbStorage.open(dir, { writeBufferBytes: 64 * 1024 }) });
    await Promise.all(Array.from({ length: 2000 }, (_, i) => log.append(entry(i, 'x'.repeat(250)))));
    await log.close();
    log = await openLog({ dir });
    expect(log.size).toBe(2000);
    await log.audit();
    for (const options of [{ writeBufferBytes: 1024 }, { writeBufferBytes: 2 ** 31 }, { blockCacheBytes: -1 }, { blockCacheBytes: 1.5 }]) {
      await expectCode(LevelDbStorage.open(join(root, `bad-${counter++}`), options), 'INVALID_ARGUMENT');
    }
  });

  it('finishes accepted work on close and refuses new work after', async () => {
    const log = await openLog();
    const pending = Array.from({ length: 100 }, (_, i) => log.append(entry(i)));
    await log.close();
    expect((await Promise.all(pending)).length).toBe(100);
    await expectCode(log.append(entry(1000)), 'LOG_CLOSED');
  });
});

/** A real LevelDB driver with one-shot faults injected into its writes. */
class FaultyStorage implements LogStorage {
  failNextIntegration = false;
  failNextCheckpoint = false;
  failNextLookup = false;
  /** Throws at the call instead of rejecting, as a driver not written as an async function might. */
  throwNextLookup = false;
  constructor(private readonly inner: LevelDbStorage) {}
  readTreeState = () => this.inner.readTreeState();
  readTiles = (ids: Parameters<LogStorage['readTiles']>[0]) => this.inner.readTiles(ids);
  readEntries = (first: number, count: number) => this.inner.readEntries(first, count);
  findIndices(hashes: readonly Uint8Array[]) {
    if (this.throwNextLookup) {
      this.throwNextLookup = false;
      throw new LogError('STORAGE_FAILURE', 'injected lookup failure, thrown', { retryable: true });
    }
    return this.lookUp(hashes);
  }
  private async lookUp(hashes: readonly Uint8Array[]) {
    if (this.failNextLookup) {
      this.failNextLookup = false;
      throw new LogError('STORAGE_FAILURE', 'injected lookup failure', { retryable: true });
    }
    return this.inner.findIndices(hashes);
  }
  latestCheckpoint = () => this.inner.latestCheckpoint();
  readCheckpoint = (size: number) => this.inner.readCheckpoint(size);
  readCheckpoints = (from: number, limit: number) => this.inner.readCheckpoints(from, limit);
  close = () => this.inner.close();
  async writeIntegration(integration: Integration) {
    if (this.failNextIntegration) {
      this.failNextIntegration = false;
      throw new LogError('STORAGE_FAILURE', 'injected write failure', { retryable: true });
    }
    return this.inner.writeIntegration(integration);
  }
  async writeCheckpoint(head: Parameters<LogStorage['writeCheckpoint']>[0]) {
    if (this.failNextCheckpoint) {
      this.failNextCheckpoint = false;
      throw new LogError('STORAGE_FAILURE', 'injected checkpoint failure', { retryable: true });
    }
    return this.inner.writeCheckpoint(head);
  }
}

describe('failures', () => {
  it('a failed integration write acknowledges nothing, and the log carries on', async () => {
    const storage = new FaultyStorage(await LevelDbStorage.open(join(root, `faulty-${counter++}`)));
    const log = await openLog({ storage });
    await log.append(entry(0));
    storage.failNextIntegration = true;
    const failed = await Promise.allSettled([log.append(entry(1)), log.append(entry(2))]);
    for (const f of failed) expect(f).toMatchObject({ status: 'rejected', reason: { code: 'STORAGE_FAILURE', retryable: true } });
    expect(log.size).toBe(1);
    const r = await log.append(entry(2));
    expect(r).toMatchObject({ index: 1, treeSize: 2, duplicate: false });
    await log.audit();
  });

  it.each(['failNextLookup', 'throwNextLookup'] as const)('a failed duplicate lookup refuses only its own batch (%s)', async (fault) => {
    const storage = new FaultyStorage(await LevelDbStorage.open(join(root, `faulty-${counter++}`)));
    const log = await openLog({ storage, sequencer: { maxBatchSize: 10 } });
    await log.append(entry(0));
    storage[fault] = true;
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => log.append(entry(i + 1))));
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.length).toBe(10);
    for (const r of refused) expect(r).toMatchObject({ reason: { code: 'STORAGE_FAILURE', retryable: true } });
    expect(log.size).toBe(21);
    const again = await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(entry(i + 1))));
    expect(again.filter((r) => !r.duplicate).length).toBe(10);
    expect(log.size).toBe(31);
    await log.audit();
  });

  it('a failed signer or checkpoint write leaves the entries stored, and the retry gets them', async () => {
    let failSigner = true;
    const inner = testSigner();
    const signer: CheckpointSigner = {
      async sign(head) {
        if (head.size > 0 && failSigner) {
          failSigner = false;
          throw new Error('HSM unavailable');
        }
        return inner.sign(head);
      },
    };
    const storage = new FaultyStorage(await LevelDbStorage.open(join(root, `signer-${counter++}`)));
    const log = await openLog({ storage, signer });
    await expectCode(log.append(entry(0)), 'SIGNER_FAILURE');
    expect(log.size).toBe(0);
    expect(await log.append(entry(0))).toMatchObject({ index: 0, treeSize: 1, duplicate: true });

    storage.failNextCheckpoint = true;
    await expectCode(log.append(entry(1)), 'STORAGE_FAILURE');
    expect(log.size).toBe(1);
    expect(await log.append(entry(2))).toMatchObject({ index: 2, treeSize: 3 });
    expect(await log.indexOf(hashLeaf(entry(1)))).toBe(1);
    await log.audit();
  });
});

describe('a damaged database', () => {
  async function damaged(damage: (db: ClassicLevel<Uint8Array, Uint8Array>) => Promise<void>): Promise<string> {
    const dir = join(root, `damaged-${counter++}`);
    const log = await openLog({ dir });
    for (let i = 0; i < 700; i++) await log.append(entry(i));
    await log.close();
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    await damage(db);
    await db.close();
    return dir;
  }

  async function snapshot(dir: string): Promise<string[]> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const rows: string[] = [];
    for await (const [k, v] of db.iterator()) rows.push(`${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
    await db.close();
    return rows;
  }

  const tileKey = (level: number, index: number) => Uint8Array.of(0x74, level, 0, 0, 0, 0, 0, 0, 0, index);

  it.each([
    ['a flipped bit in an edge tile', async (db: ClassicLevel<Uint8Array, Uint8Array>) => {
      const tile = (await db.get(tileKey(0, 2)))!;
      tile[100]! ^= 1;
      await db.put(tileKey(0, 2), tile);
    }],
    ['a truncated edge tile', async (db: ClassicLevel<Uint8Array, Uint8Array>) => {
      await db.put(tileKey(0, 2), (await db.get(tileKey(0, 2)))!.subarray(0, 100));
    }],
    ['a missing edge tile', async (db: ClassicLevel<Uint8Array, Uint8Array>) => db.del(tileKey(0, 2))],
    ['a lost tree state', async (db: ClassicLevel<Uint8Array, Uint8Array>) => db.del(Uint8Array.of(0x73))],
    ['a tree state with another root', async (db: ClassicLevel<Uint8Array, Uint8Array>) => {
      const state = (await db.get(Uint8Array.of(0x73)))!;
      state[20]! ^= 0xff;
      await db.put(Uint8Array.of(0x73), state);
    }],
    ['a garbled tree state', async (db: ClassicLevel<Uint8Array, Uint8Array>) => db.put(Uint8Array.of(0x73), Uint8Array.of(1, 2, 3))],
    ['a forged latest checkpoint', async (db: ClassicLevel<Uint8Array, Uint8Array>) => {
      const key = Uint8Array.of(0x63, 0, 0, 0, 0, 0, 0, 0x02, 0xbc);
      const head = (await db.get(key))!;
      head[12]! ^= 1;
      await db.put(key, head);
    }],
    ['a foreign format', async (db: ClassicLevel<Uint8Array, Uint8Array>) => {
      await db.put(Uint8Array.of(0x6d, ...Buffer.from('format')), Buffer.from('something-else/9'));
    }],
  ])('refuses to open with %s, and changes nothing', async (_, damage) => {
    const dir = await damaged(damage);
    const before = await snapshot(dir);
    const storage = await LevelDbStorage.open(dir).catch((err) => err);
    const error = storage instanceof LevelDbStorage ? await MerkleLog.open({ storage, signer: testSigner() }).catch((err) => err) : storage;
    if (storage instanceof LevelDbStorage) await storage.close();
    expect(error).toBeInstanceOf(LogError);
    expect(error.code).toBe('STORAGE_CORRUPT');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('the audit finds a tampered entry, an altered full tile or an altered old checkpoint', async () => {
    // Opening checks the right edge and the roots in O(log n); older full tiles are the audit's job.
    const tileDir = await damaged(async (db) => {
      const tile = (await db.get(tileKey(0, 0)))!;
      tile[100]! ^= 1;
      await db.put(tileKey(0, 0), tile);
    });
    await expectCode((await openLog({ dir: tileDir })).audit(), 'STORAGE_CORRUPT');

    // Entries 0-699 were appended one batch each, so each is a chunk of its own: uint16 length ‖ entry.
    const entryDir = await damaged(async (db) => db.put(Uint8Array.of(0x65, 0, 0, 0, 0, 0, 0, 0, 7), Uint8Array.of(0, 6, ...Buffer.from('forged'))));
    const a = await openLog({ dir: entryDir });
    await expectCode(a.audit(), 'STORAGE_CORRUPT');
    // An audit from a later size does not re-read entry 7; one from before it does.
    expect((await a.audit({ fromSize: 8 })).size).toBe(700);
    await expectCode(a.audit({ fromSize: 7 }), 'STORAGE_CORRUPT');

    // A damaged tile of the edge an audit starts from: its interior no longer matches its leaves.
    const edgeDir = await damaged(async (db) => {
      const tile = (await db.get(tileKey(0, 1)))!;
      tile[2 + 40 * 32]! ^= 1; // a leaf hash of tile 0/1, which the tree at size 300 ends in
      await db.put(tileKey(0, 1), tile);
    });
    const e = await openLog({ dir: edgeDir });
    await expectCode(e.audit({ fromSize: 300 }), 'STORAGE_CORRUPT');

    const cpDir = await damaged(async (db) => {
      const key = Uint8Array.of(0x63, 0, 0, 0, 0, 0, 0, 0, 100);
      const head = (await db.get(key))!;
      head[12]! ^= 1;
      await db.put(key, head);
    });
    const b = await openLog({ dir: cpDir });
    await expectCode(b.audit(), 'CHECKPOINT_INCONSISTENT');
  });

  it('reports a truncated or missing entry chunk when entries are read', async () => {
    const chunkKey = (index: number) => Uint8Array.of(0x65, 0, 0, 0, 0, 0, 0, index >> 8, index & 0xff);
    const truncated = await damaged(async (db) => db.put(chunkKey(9), (await db.get(chunkKey(9)))!.subarray(0, 5)));
    await expectCode((await openLog({ dir: truncated })).entry(9), 'STORAGE_CORRUPT');
    const missing = await damaged(async (db) => db.del(chunkKey(300)));
    const log = await openLog({ dir: missing });
    await expectCode(log.entries(290, 20), 'STORAGE_CORRUPT');
    expect((await log.entries(0, 290)).length).toBe(290);
  });

  it('refuses a directory that holds some other LevelDB', async () => {
    const dir = join(root, `foreign-${counter++}`);
    const db = new ClassicLevel(dir);
    await db.open();
    await db.put('hello', 'world');
    await db.close();
    await expectCode(LevelDbStorage.open(dir), 'STORAGE_CORRUPT');
  });

  it('refuses a second opener while the first holds the lock', async () => {
    const dir = join(root, `locked-${counter++}`);
    await openLog({ dir });
    await expectCode(LevelDbStorage.open(dir), 'STORAGE_LOCKED');
  });

  it('turns unreadable database files into a typed error', async () => {
    const { writeFileSync, readdirSync } = await import('node:fs');
    const dir = await damaged(async () => {});
    for (const name of readdirSync(dir)) if (name.startsWith('MANIFEST')) writeFileSync(join(dir, name), randomBytes(64));
    const error = await LevelDbStorage.open(dir).catch((err) => err);
    expect(error).toBeInstanceOf(LogError);
    expect(['STORAGE_CORRUPT', 'STORAGE_FAILURE']).toContain(error.code);
  });
});

describe('followers', () => {
  it('hears of each checkpoint once it is durable, before the submitters are answered', async () => {
    const log = await openLog();
    const heard: number[] = [];
    const stop = log.onCheckpoint((head) => {
      heard.push(head.size);
      expect(log.latestCheckpoint.size).toBe(head.size);
    });
    const first = await log.append(entry(1));
    expect(heard).toContain(first.treeSize);
    await Promise.all([log.append(entry(2)), log.append(entry(3))]);
    expect(heard.at(-1)).toBe(3);
    stop();
    await log.append(entry(4));
    expect(heard.at(-1)).toBe(3);
  });

  it('keeps integrating when a listener throws', async () => {
    const log = await openLog();
    log.onCheckpoint(() => {
      throw new Error('a broken follower');
    });
    const result = await log.append(entry(1));
    expect(result.index).toBe(0);
    expect(log.size).toBe(1);
  });

  it('lists checkpoints in increasing size, within bounds', async () => {
    const log = await openLog();
    for (let i = 0; i < 5; i++) await log.append(entry(i));
    const heads = await log.checkpoints(0, 1000);
    expect(heads.map((h) => h.size)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await log.checkpoints(3, 2)).map((h) => h.size)).toEqual([3, 4]);
    expect(await log.checkpoints(6, 10)).toEqual([]);
    await expectCode(() => log.checkpoints(0, 0), 'INVALID_ARGUMENT');
    await expectCode(() => log.checkpoints(-1, 10), 'INVALID_ARGUMENT');
  });
});

describe('key spaces beside the log', () => {
  it('reads, ranges, writes and clears its own keys only', async () => {
    const dir = join(root, `space-${counter++}`);
    const storage = await LevelDbStorage.open(dir);
    const log = await openLog({ storage });
    await log.append(entry(1));
    const a = storage.space('index');
    const b = storage.space('inde');
    const k = (text: string) => new Uint8Array(Buffer.from(text));
    await a.write({ puts: [[k('a1'), k('v1')], [k('a2'), k('v2')], [k('b1'), k('v3')]] });
    await b.write({ puts: [[k('a1'), k('other')]] });
    expect((await a.get([k('a1'), k('zz')])).map((v) => v && Buffer.from(v).toString())).toEqual(['v1', undefined]);
    const range = await a.range({ gte: k('a'), lt: k('b'), limit: 10 });
    expect(range.map(([key, value]) => `${Buffer.from(key)}=${Buffer.from(value)}`)).toEqual(['a1=v1', 'a2=v2']);
    expect((await a.range({ limit: 10, reverse: true })).map(([key]) => Buffer.from(key).toString())).toEqual(['b1', 'a2', 'a1']);
    expect((await a.range({ limit: 1 })).length).toBe(1);
    await a.write({ deletes: [k('a2')] });
    expect((await a.range({ limit: 10 })).length).toBe(2);
    await a.clear();
    expect(await a.range({ limit: 10 })).toEqual([]);
    expect((await b.get([k('a1')]))[0]).toBeDefined();
    // The log's own records are untouched.
    expect(log.size).toBe(1);
    await log.audit();
    expect(() => storage.space('Bad Name')).toThrow(LogError);
  });
});

describe('the LevelDB leaf index', () => {
  it('stores each leaf hash with its own index, and finds each by it', async () => {
    const dir = join(root, `leaf-index-${counter++}`);
    const storage = await LevelDbStorage.open(dir);
    const log = await openLog({ storage });
    // Two batches of different sizes: each batch's keys and values are views of one buffer.
    const entries = Array.from({ length: 1500 }, (_, i) => entry(i, 'leaf'));
    await log.appendMany(entries.slice(0, 1024));
    await log.appendMany(entries.slice(1024));
    const hashes = entries.map(hashLeaf);
    expect(await storage.findIndices([...hashes, hashLeaf(entry(0, 'absent'))])).toEqual([...entries.map((_, i) => i), undefined]);
    await log.close();
    open.splice(open.indexOf(log), 1);
    const db = new ClassicLevel<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    try {
      for (const i of [0, 1, 1023, 1024, 1499]) {
        const value = await db.get(Uint8Array.of(0x68, ...hashes[i]!));
        expect(value && Buffer.from(value).toString('hex')).toBe(i.toString(16).padStart(16, '0'));
      }
    } finally {
      await db.close();
    }
  });

  it('refuses a leaf hash of another length, and writes nothing', async () => {
    const storage = await LevelDbStorage.open(join(root, `leaf-index-${counter++}`));
    try {
      const good = hashLeaf(entry(1));
      for (const bad of [good.subarray(0, 31), Uint8Array.of(...good, 0)]) {
        await expectCode(storage.findIndices([good, bad]), 'INVALID_ARGUMENT');
        await expectCode(
          storage.writeIntegration({ previousSize: 0, entries: [entry(1), entry(2)], leafHashes: [good, bad], tiles: [], treeState: { size: 2, rootHash: good } }),
          'INVALID_ARGUMENT',
        );
      }
      expect(await storage.readTreeState()).toBeUndefined();
      expect(await storage.findIndices([good])).toEqual([undefined]);
    } finally {
      await storage.close();
    }
  });
});

describe('the latest entries by leaf hash', () => {
  async function faultyLog(recentEntries: number) {
    const storage = new FaultyStorage(await LevelDbStorage.open(join(root, `recent-${counter++}`)));
    return { storage, log: await openLog({ storage, sequencer: { recentEntries } }) };
  }

  it('finds the latest entries without a storage lookup, and older ones through storage', async () => {
    const { storage, log } = await faultyLog(100);
    const entries = Array.from({ length: 250 }, (_, i) => entry(i, 'recent'));
    await log.appendMany(entries.slice(0, 200));
    await log.append(entries[0]!); // a duplicate: already remembered, its index unchanged
    await log.appendMany(entries.slice(200));
    // Every index is right, from memory or from storage.
    for (let i = 0; i < entries.length; i++) expect(await log.indexOf(hashLeaf(entries[i]!))).toBe(i);
    expect(await log.indexOf(hashLeaf(entry(0, 'absent')))).toBeUndefined();
    // The last 100 answered need no storage (151-199, then entry 0 answered again as a duplicate,
    // then 200-249): a failing lookup does not reach them...
    for (const i of [151, 199, 0, 200, 249]) {
      storage.failNextLookup = true;
      expect(await log.indexOf(hashLeaf(entries[i]!))).toBe(i);
      storage.failNextLookup = false;
    }
    // ...while older entries are looked up in storage.
    storage.failNextLookup = true;
    await expectCode(log.indexOf(hashLeaf(entries[150]!)), 'STORAGE_FAILURE');
  });

  it('indicesOf answers as indexOf does for each, the recent ones from memory, the rest in one storage read', async () => {
    const { storage, log } = await faultyLog(100);
    const entries = Array.from({ length: 250 }, (_, i) => entry(i, 'many'));
    await log.appendMany(entries.slice(0, 150));
    await log.appendMany(entries.slice(150));
    const absent = hashLeaf(entry(0, 'absent'));
    const order = [...Array.from({ length: 250 }, (_, i) => (i * 101) % 250), 7, 249];
    const asked = [...order.map((i) => hashLeaf(entries[i]!)), absent];
    const expected = [...order, undefined];
    expect(await log.indicesOf(asked)).toEqual(expected);
    for (let k = 0; k < asked.length; k += 37) expect(await log.indexOf(asked[k]!)).toBe(expected[k]);
    // Only the latest 100: no storage read at all, so a failing one is never reached.
    storage.failNextLookup = true;
    expect(await log.indicesOf(entries.slice(150).map(hashLeaf))).toEqual(Array.from({ length: 100 }, (_, i) => 150 + i));
    // Older ones among them: one read for all of them (it fails once, the next call succeeds).
    await expectCode(log.indicesOf([hashLeaf(entries[200]!), hashLeaf(entries[3]!), hashLeaf(entries[4]!)]), 'STORAGE_FAILURE');
    expect(await log.indicesOf([hashLeaf(entries[200]!), hashLeaf(entries[3]!), hashLeaf(entries[4]!)])).toEqual([200, 3, 4]);
    expect(await log.indicesOf([])).toEqual([]);
    await expectCode(log.indicesOf([absent, new Uint8Array(31)]), 'INVALID_ARGUMENT');
    await expectCode(log.indicesOf(Array.from({ length: 1001 }, () => absent)), 'INVALID_ARGUMENT');
    await expectCode(log.indicesOf('not a list' as unknown as Uint8Array[]), 'INVALID_ARGUMENT');
  });

  it('remembers none with recentEntries 0, and refuses a count beyond its limit', async () => {
    const { storage, log } = await faultyLog(0);
    await log.append(entry(1, 'none'));
    storage.failNextLookup = true;
    await expectCode(log.indexOf(hashLeaf(entry(1, 'none'))), 'STORAGE_FAILURE');
    await expectCode(() => openLog({ sequencer: { recentEntries: 2 ** 24 + 1 } }), 'INVALID_ARGUMENT');
    await expectCode(() => openLog({ sequencer: { recentEntries: -1 } }), 'INVALID_ARGUMENT');
  });
});
