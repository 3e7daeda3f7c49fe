// Postings: a (field, value)'s entries in one block of POSTINGS_BLOCK log indices share one record,
// written with the batch that completes the block and held in memory until then. The bytes must
// not depend on how entries were batched, a restart mid-block must read the held postings back,
// a failed write must leave nothing of its batch behind, and a malformed record is refused.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type KeyValue, type KeyValueSpace, LevelDbStorage, MerkleLog } from '../log/index.js';
import { registeredStatement, signStatement } from '../receipts/index.js';
import { execAuditPayload } from '../test/support/agent-statements.js';
import { allCheckpoints, tempDir, testSigner } from '../test/support/log.js';
import { seededRandom } from '../test/support/naive-tree.js';
import { EntryIndex, entryDraft, IndexError, indexEntry, indexRecords, placeDraft, type PlacedEntry, POSTINGS_BLOCK, PostingsBuffer } from './index.js';
import { decodePostings, entryKey, postingsKey, STATE_KEY, valuePrefix } from './keys.js';

const root = tempDir('atlog-postings-');
let counter = 0;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sorted = (records: readonly KeyValue[]) => records.map(([k, v]) => [hex(k), hex(v)]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
const prefix = (field: Parameters<typeof valuePrefix>[0], value: string) => valuePrefix(field, value)!;

/** An entry as the index places it, without a statement: three agents, a task each. */
function placed(index: number): PlacedEntry {
  return {
    index,
    record: [entryKey(index), Uint8Array.of(index & 0xff)],
    time: 1_000 + index,
    typeCode: index % 2,
    prefixes: [prefix('agent', `agent-${index % 3}`), prefix('task', `task-${index}`)],
  };
}

function corruptCode(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof IndexError ? error.code : `not an IndexError: ${String(error)}`;
  }
  return undefined;
}

describe('postings', () => {
  it('share one record per value and complete block, with each entry at its offset', () => {
    const entries = Array.from({ length: 2 * POSTINGS_BLOCK + 100 }, (_, i) => placed(i));
    const records = indexRecords(entries);
    const postingRecords = records.filter(([key]) => key[0] === 0x6b);
    // Every entry's own record, and for each of the two complete blocks three agents and a task an entry.
    expect(records.length - postingRecords.length).toBe(entries.length);
    expect(postingRecords).toHaveLength(2 * (3 + POSTINGS_BLOCK));
    const byKey = new Map(postingRecords.map(([k, v]) => [hex(k), v]));
    const agent1 = byKey.get(hex(postingsKey(prefix('agent', 'agent-1'), POSTINGS_BLOCK)))!;
    const expected = entries.filter((e) => e.index % 3 === 1 && e.index >= POSTINGS_BLOCK && e.index < 2 * POSTINGS_BLOCK);
    expect(decodePostings(postingsKey(prefix('agent', 'agent-1'), POSTINGS_BLOCK), agent1)).toEqual(expected.map((e) => ({ index: e.index, time: e.time, typeCode: e.typeCode })));
    expect(decodePostings(postingsKey(prefix('task', 'task-7'), 0), byKey.get(hex(postingsKey(prefix('task', 'task-7'), 0)))!)).toEqual([{ index: 7, time: 1_007, typeCode: 1 }]);
    // The block still filling has no record yet.
    expect(byKey.has(hex(postingsKey(prefix('agent', 'agent-1'), 2 * POSTINGS_BLOCK)))).toBe(false);
  });

  it('are the same bytes however the entries were batched', () => {
    const entries = Array.from({ length: 3 * POSTINGS_BLOCK + 17 }, (_, i) => placed(i));
    const whole = sorted(indexRecords(entries));
    const random = seededRandom(9);
    for (let trial = 0; trial < 3; trial++) {
      const buffer = new PostingsBuffer();
      const written: KeyValue[] = [];
      for (let at = 0; at < entries.length; ) {
        const count = Math.min(1 + random(trial === 0 ? 3 : 700), entries.length - at);
        const batch: KeyValue[] = [];
        for (const entry of entries.slice(at, at + count)) buffer.add(entry, batch);
        at += count;
        written.push(...batch);
        buffer.written(at);
      }
      expect(sorted(written)).toEqual(whole);
    }
  });

  it('keep a failed batch out: truncated, the buffer takes the same entries again', () => {
    const buffer = new PostingsBuffer();
    const out: KeyValue[] = [];
    for (let i = 0; i < POSTINGS_BLOCK + 50; i++) buffer.add(placed(i), out);
    // Entries 1000 to 1073 were in a write that failed: the buffer goes back to 1000.
    buffer.truncate(1000);
    expect(buffer.held(0)?.between(prefix('agent', 'agent-0'), 990, 2000).map((p) => p.index)).toEqual([990, 993, 996, 999]);
    expect(buffer.held(POSTINGS_BLOCK)).toBeUndefined();
    expect(corruptCode(() => buffer.add(placed(1074), []))).toBe('INDEX_CORRUPT');
    const again: KeyValue[] = [];
    for (let i = 1000; i < POSTINGS_BLOCK + 50; i++) buffer.add(placed(i), again);
    const first = indexRecords(Array.from({ length: POSTINGS_BLOCK + 50 }, (_, i) => placed(i)));
    // What the retried batch writes is exactly what one pass would have written from 1000 on.
    expect(sorted(again)).toEqual(sorted(first.filter(([key]) => key[0] === 0x6b || Number(Buffer.from(key.subarray(1)).readBigUInt64BE()) >= 1000)));
  });

  it('come in log order only, from the start of a block', () => {
    expect(corruptCode(() => new PostingsBuffer().add(placed(5), []))).toBe('INDEX_CORRUPT');
    const buffer = new PostingsBuffer();
    buffer.add(placed(POSTINGS_BLOCK), []);
    expect(corruptCode(() => buffer.add(placed(POSTINGS_BLOCK + 2), []))).toBe('INDEX_CORRUPT');
    expect(corruptCode(() => buffer.add(placed(POSTINGS_BLOCK), []))).toBe('INDEX_CORRUPT');
  });

  it('refuse a malformed record with INDEX_CORRUPT', () => {
    const key = postingsKey(prefix('agent', 'a'), POSTINGS_BLOCK);
    const posting = (offset: number, time = 5) => {
      const bytes = new Uint8Array(11);
      bytes[0] = offset >> 8;
      bytes[1] = offset & 0xff;
      Buffer.from(bytes.buffer).writeBigUInt64BE(BigInt(time), 2);
      return bytes;
    };
    const join2 = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
    expect(decodePostings(key, join2(posting(0), posting(1023)))).toEqual([
      { index: POSTINGS_BLOCK, time: 5, typeCode: 0 },
      { index: 2 * POSTINGS_BLOCK - 1, time: 5, typeCode: 0 },
    ]);
    const bad: [Uint8Array, Uint8Array][] = [
      [key, new Uint8Array(0)],
      [key, posting(1).subarray(0, 10)],
      [key, join2(posting(1), posting(0))],
      [key, join2(posting(3), posting(3))],
      [key, posting(POSTINGS_BLOCK)],
      [key, posting(1, 2 ** 53)],
      [postingsKey(prefix('agent', 'a'), 7), posting(0)],
      [Uint8Array.of(0x6b, 1, 0, 1), posting(0)],
      [join2(prefix('agent', 'a'), Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)), posting(0)],
    ];
    for (const [k, v] of bad) expect(corruptCode(() => decodePostings(k, v)), hex(v)).toBe('INDEX_CORRUPT');
  });
});

// The index over a real log across block boundaries: what is written, held, read back and found.
const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const AGENTS = 3;

function statement(i: number): Uint8Array {
  const agent = `spiffe://a.example/agent/${i % AGENTS}`;
  const payload = execAuditPayload({ jti: `task-${i}`, iss: 'https://a.example', iat: 1_767_225_600 + i, domain: 'a.example', agent, wid: `wf-${Math.floor(i / 500)}`, par: [] });
  return registeredStatement(
    signStatement({ key, iss: 'https://a.example', sub: agent, contentType: i % 5 === 0 ? 'application/json' : 'application/vnd.atlog.exec-audit+json', payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
}

/** A key space whose writes fail, before anything is written, while `failing` is set. */
function faultyDisk(space: KeyValueSpace): { space: KeyValueSpace; failing: boolean } {
  const disk = {
    failing: false,
    space: {
      get: (keys) => space.get(keys),
      range: (range) => space.range(range),
      clear: () => space.clear(),
      write: async (changes) => {
        if (disk.failing) throw new Error('the disk is full');
        return space.write(changes);
      },
    } satisfies KeyValueSpace,
  };
  return disk;
}

async function openLog(dir: string) {
  const storage = await LevelDbStorage.open(dir);
  const log = await MerkleLog.open({ storage, signer: testSigner() });
  closers.push(() => log.close());
  return { storage, log };
}

async function append(log: MerkleLog, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 500) await Promise.all(Array.from({ length: Math.min(500, to - i) }, (_, j) => log.append(statement(i + j))));
}

/** What the index must hold for the whole log, from the log alone. */
async function expectedRecords(log: MerkleLog): Promise<string[][]> {
  const heads = await allCheckpoints(log);
  const entries: Uint8Array[] = [];
  for (let first = 0; first < log.size; first += 1000) entries.push(...(await log.entries(first, Math.min(1000, log.size - first))));
  return sorted(indexRecords(entries.map((entry, i) => placeDraft(entryDraft(entry), i, heads.find((h) => h.size > i)!.timestamp))));
}

async function stored(space: KeyValueSpace): Promise<string[][]> {
  return sorted((await space.range({ limit: 1_000_000 })).filter(([k]) => k[0] !== STATE_KEY[0]));
}

async function pages(index: EntryIndex, field: 'agent' | 'type' | 'task', value: string, query: { type?: 'exec-audit'; from?: number; to?: number; limit: number }): Promise<number[]> {
  const out: number[] = [];
  for (let after: number | undefined; ; ) {
    const page = await index.find(field, value, { ...query, ...(after === undefined ? {} : { after }) });
    out.push(...page.entries.map((e) => e.index));
    if (page.next === undefined) return out;
    after = page.next;
  }
}

describe('the entry index over blocks of postings', () => {
  it('finds across written and held blocks, after a restart mid-block, and after a failed write', async () => {
    const dir = join(root, `log-${counter++}`);
    let { storage, log } = await openLog(dir);
    const size = 2 * POSTINGS_BLOCK + 300;
    await append(log, 0, size);
    // The statements are schema-valid agent statements: the index reads them in full.
    expect(indexEntry(statement(1), 1, 0).payload).toBe('valid');
    let index = await EntryIndex.open({ log, space: storage.space('index') });
    await index.caughtUp();
    const all = Array.from({ length: size }, (_, i) => i);
    const time = (i: number) => (1_767_225_600 + i) * 1000;
    const check = async (n: number) => {
      const upTo = all.slice(0, n);
      // One entry in five is plain JSON, of no agent.
      expect(await pages(index, 'agent', 'spiffe://a.example/agent/1', { limit: 97 })).toEqual(upTo.filter((i) => i % AGENTS === 1 && i % 5 !== 0));
      expect(await pages(index, 'type', 'exec-audit', { limit: 1000, from: time(1000), to: time(n - 10) })).toEqual(upTo.filter((i) => i % 5 !== 0 && i >= 1000 && i < n - 10));
      expect(await pages(index, 'agent', 'spiffe://a.example/agent/2', { type: 'exec-audit', limit: 1000 })).toEqual(upTo.filter((i) => i % AGENTS === 2 && i % 5 !== 0));
      expect(await pages(index, 'task', `task-${n - 1}`, { limit: 10 })).toEqual([n - 1]);
      const scanned: number[] = [];
      for await (const page of index.scan('agent', 'spiffe://a.example/agent/0', { limit: 250 })) scanned.push(...page.map((e) => e.index));
      expect(scanned).toEqual(upTo.filter((i) => i % AGENTS === 0 && i % 5 !== 0));
    };
    await check(size);
    // The two complete blocks are written; the third is held, its entries' records written.
    expect(await stored(storage.space('index'))).toEqual(await expectedRecords(log));
    const written = (await storage.space('index').range({ limit: 1_000_000 })).filter(([k]) => k[0] === 0x6b);
    expect(new Set(written.map(([k, v]) => decodePostings(k, v)[0]!.index - (decodePostings(k, v)[0]!.index % POSTINGS_BLOCK)))).toEqual(new Set([0, POSTINGS_BLOCK]));

    // A restart mid-block reads the held postings back from the block's records.
    await index.close();
    await log.close();
    ({ storage, log } = await openLog(dir));
    index = await EntryIndex.open({ log, space: storage.space('index') });
    expect(index.rebuilt).toBeUndefined();
    expect(index.size).toBe(size);
    await check(size);

    // The batch that completes the third block (entries 2348 to 3347, appended while the index
    // was closed) fails to be written: nothing of it is kept, the index still answers for its
    // size, and the next checkpoint indexes it again to the same records.
    await index.close();
    await append(log, size, size + POSTINGS_BLOCK);
    const faulty = faultyDisk(storage.space('index'));
    faulty.failing = true;
    const errors: unknown[] = [];
    index = await EntryIndex.open({ log, space: faulty.space, onError: (error) => errors.push(error) });
    closers.push(() => index.close());
    await expect(index.caughtUp()).rejects.toThrow('the disk is full');
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors.map(String))).toEqual(new Set(['Error: the disk is full']));
    expect(index.size).toBe(size);
    await check(size);
    faulty.failing = false;
    await log.append(statement(size + POSTINGS_BLOCK));
    await index.caughtUp();
    expect(index.size).toBe(size + POSTINGS_BLOCK + 1);
    expect(await stored(storage.space('index'))).toEqual(await expectedRecords(log));
    all.push(...Array.from({ length: POSTINGS_BLOCK + 1 }, (_, i) => size + i));
    await check(size + POSTINGS_BLOCK + 1);
    // And the index a rebuild makes is the same, byte for byte.
    await index.close();
    await EntryIndex.rebuild({ log, space: storage.space('index') });
    expect(await stored(storage.space('index'))).toEqual(await expectedRecords(log));
  }, 120_000);

  it('refuses a malformed postings record with INDEX_CORRUPT, and rebuilds an index missing a record of the block being filled', async () => {
    const dir = join(root, `log-${counter++}`);
    const { storage, log } = await openLog(dir);
    await append(log, 0, POSTINGS_BLOCK + 10);
    const index = await EntryIndex.open({ log, space: storage.space('index') });
    closers.push(() => index.close());
    await index.caughtUp();
    await storage.space('index').write({ puts: [[postingsKey(prefix('agent', 'spiffe://a.example/agent/1'), 0), Uint8Array.of(1, 2, 3)]] });
    await expect(index.find('agent', 'spiffe://a.example/agent/1')).rejects.toMatchObject({ code: 'INDEX_CORRUPT' });
    // A record of the block being filled is gone: the index is malformed, so it is rebuilt.
    await index.close();
    await storage.space('index').write({ deletes: [entryKey(POSTINGS_BLOCK + 3)] });
    const reopened = await EntryIndex.open({ log, space: storage.space('index') });
    closers.push(() => reopened.close());
    expect(reopened.rebuilt).toBe('malformed');
    await reopened.caughtUp();
    expect(await stored(storage.space('index'))).toEqual(await expectedRecords(log));
  }, 60_000);
});
