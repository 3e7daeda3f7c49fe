// The entry index after kill -9: a real child process writes agent statements into a real
// LevelDB log with the index following it, and is killed at random points (many of them in the
// middle of an index batch). After each kill the index must hold exactly the records a full scan
// of the log derives for the size it says it has indexed (nothing skipped, nothing doubled,
// nothing beyond it), and after catching up exactly those of the whole log.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { EntryIndex, indexEntry, placedOf, POSTINGS_BLOCK, PostingsBuffer } from '../../index/index.js';
import { decodeState, encodeState, INDEX_FORMAT, STATE_KEY } from '../../index/keys.js';
import { ed25519NoteSigner, type KeyValueSpace, LevelDbStorage, MerkleLog, noteCheckpointSigner } from '../../log/index.js';
import { allCheckpoints, tempDir } from '../support/log.js';
import { seededRandom } from '../support/naive-tree.js';
import { requireFreshBuild } from '../support/built.js';
import { REPO_ROOT } from '../support/vectors.js';

const ROUNDS = Number(process.env.ATLOG_INDEX_CRASH_ROUNDS ?? 12);
const ORIGIN = 'index-crash.test/log';
const CHILD = join(REPO_ROOT, 'test/crash/index-child.mjs');


async function runAndKill(dir: string, env: Record<string, string>, batch: number, killAfterMs: number): Promise<{ acks: number; errors: string[] }> {
  const child: ChildProcess = spawn(process.execPath, [CHILD, dir, ORIGIN, String(batch)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let acks = 0;
  const errors: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const closed = new Promise((resolve) => lines.once('close', resolve));
  const ready = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      if (line.startsWith('ready')) resolve();
      else if (line.startsWith('ack')) acks++;
      else errors.push(line);
    });
  });
  await Promise.race([ready, exited]);
  await new Promise((r) => setTimeout(r, killAfterMs));
  child.kill('SIGKILL');
  const code = await exited;
  await closed;
  if (code !== null) errors.push(`child exited by itself with ${code}: ${stderr.slice(0, 500)}`);
  return { acks, errors };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The whole key space, as hex key → hex value. */
async function dump(space: KeyValueSpace): Promise<Map<string, string>> {
  return new Map((await space.range({ limit: 10_000_000 })).map(([k, v]) => [hex(k), hex(v)]));
}

/** What the index must hold after indexing the first `size` entries, from a scan of the log. */
async function expected(log: MerkleLog, size: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (size === 0) return out;
  const heads = await allCheckpoints(log);
  let h = 0;
  // Each entry's record and the postings of each complete block, made from the scan alone.
  const postings = new PostingsBuffer();
  for (let first = 0; first < size; first += 1000) {
    const entries = await log.entries(first, Math.min(1000, size - first));
    const records: [Uint8Array, Uint8Array][] = [];
    entries.forEach((entry, i) => {
      while (heads[h]!.size <= first + i) h++;
      postings.add(placedOf(indexEntry(entry, first + i, heads[h]!.timestamp)), records);
    });
    for (const [k, v] of records) out.set(hex(k), hex(v));
  }
  out.set(hex(STATE_KEY), hex(encodeState({ format: INDEX_FORMAT, size, rootHash: await log.rootAt(size) })));
  return out;
}

describe('entry index crash safety', () => {
  beforeAll(() => requireFreshBuild('dist/index/index.js', ['log', 'index', 'receipts']));

  it(`agrees with a full scan of the log after ${ROUNDS} kill -9s in the middle of batches`, async () => {
    const dir = join(tempDir('atlog-index-crash-'), 'log');
    const random = seededRandom(Number(process.env.ATLOG_CRASH_SEED ?? 20261201));
    const checkpointKey = generateKeyPairSync('ed25519').privateKey;
    const issuerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const env = {
      ATLOG_CRASH_KEY: checkpointKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      ATLOG_CRASH_ISSUER_KEY: issuerKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    let acks = 0;
    let behind = 0;
    let size = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const batch = [1, 7, 50, 300][random(4)]!;
      const run = await runAndKill(dir, env, batch, 30 + random(400));
      expect(run.errors, `round ${round}`).toEqual([]);
      acks += run.acks;

      const storage = await LevelDbStorage.open(dir);
      const log = await MerkleLog.open({ storage, signer: noteCheckpointSigner(ORIGIN, ed25519NoteSigner(ORIGIN, checkpointKey)) });
      try {
        const space = storage.space('index');
        const [state] = await space.get([STATE_KEY]);
        const indexed = state === undefined ? 0 : decodeState(state).size;
        expect(indexed).toBeLessThanOrEqual(log.size);
        if (indexed < log.size) behind++;
        // Exactly the records of the prefix it claims: nothing skipped, doubled or beyond it.
        expect(await dump(space), `round ${round}: the index at size ${indexed}`).toEqual(await expected(log, indexed));
        const index = await EntryIndex.open({ log, space });
        expect(index.rebuilt).toBeUndefined();
        await index.caughtUp();
        // The writer's statements are schema-valid agent statements: the index reads them in full.
        expect((await index.entry(log.size - 1))?.payload).toBe('valid');
        await index.close();
        expect(await dump(space), `round ${round}: the index caught up to ${log.size}`).toEqual(await expected(log, log.size));
        size = log.size;
      } finally {
        await log.close();
      }
    }
    expect(acks, 'the writer got work done between kills').toBeGreaterThan(ROUNDS * 10);
    expect(behind, 'some kills left the index behind the log').toBeGreaterThan(0);
    expect(size, 'the writer completed blocks of postings, so kills fell before, during and after their writes').toBeGreaterThan(POSTINGS_BLOCK);
  }, 240_000);
});
