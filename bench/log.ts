// The Merkle log on LevelDB: appends at three batch sizes, proofs on a log of `entries` leaves
// (1M by default), and the memory a fresh process needs to work on a small and on that large log.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ed25519NoteSigner, LevelDbStorage, MerkleLog, noteCheckpointSigner } from '../log/index.js';
import { type Figure, rateAsync, rssBytes } from './measure.js';

/** Entries of this size: a small signed statement (ES256, CWT claims, a short JSON payload). */
const ENTRY_BYTES = 512;
const SMALL_LOG = 10_000;

export interface LogBenchOptions {
  readonly entries: number;
  readonly sha256: number;
  readonly log: (line: string) => void;
}

async function openLog(dir: string, maxBatchSize: number): Promise<MerkleLog> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const origin = 'bench.atlog/log';
  return MerkleLog.open({
    storage: await LevelDbStorage.open(dir),
    signer: noteCheckpointSigner(origin, ed25519NoteSigner(origin, privateKey)),
    sequencer: { maxBatchSize, maxQueueEntries: 4 * maxBatchSize + 1024 },
  });
}

const pool = randomBytes(ENTRY_BYTES + 4096);

/**
 * A distinct entry, made when it is submitted (as a client's request would arrive) rather than
 * all up front, so that a million prepared entries do not sit in the memory being measured. It
 * is a slice of a shared buffer, as a request body read from a socket is, not an allocation of
 * its own outside the JS heap.
 */
function entry(tag: number, i: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(ENTRY_BYTES);
  bytes.set(pool.subarray(i % 4096, (i % 4096) + ENTRY_BYTES));
  const view = new DataView(bytes.buffer, bytes.byteOffset, ENTRY_BYTES);
  view.setUint32(0, tag);
  view.setUint32(4, i);
  return bytes;
}

/** Appends `count` entries with twice a batch in flight, so every batch the sequencer cuts is full. */
async function appendRate(log: MerkleLog, count: number, batch: number, tag: number): Promise<number> {
  return rateAsync((i) => log.append(entry(tag, i)), count, Math.max(2, 2 * batch));
}

/**
 * The same through `appendMany`: callers of `batch` entries each, two calls in flight, so the
 * same entries are in flight as in {@link appendRate}; entries per second.
 */
async function appendManyRate(log: MerkleLog, count: number, batch: number, tag: number): Promise<number> {
  const calls = Math.ceil(count / batch);
  const perCall = await rateAsync(
    (call) => log.appendMany(Array.from({ length: Math.min(batch, count - call * batch) }, (_, j) => entry(tag, call * batch + j))),
    calls,
    2,
  );
  return (perCall * count) / calls;
}

interface Memory {
  readonly size: number;
  readonly peakRss: number;
  readonly anonymous: number;
  readonly fileBacked: number;
}

/** Memory of a fresh process doing the same fixed work on the log in `dir`. */
function probeMemory(dir: string, tileCacheBytes?: number): Memory {
  const probe = fileURLToPath(new URL('./memory-probe.js', import.meta.url));
  const env = tileCacheBytes === undefined ? process.env : { ...process.env, ATLOG_PROBE_TILE_CACHE: String(tileCacheBytes) };
  return JSON.parse(execFileSync(process.execPath, [probe, dir], { encoding: 'utf8', env })) as Memory;
}

export async function benchLog(options: LogBenchOptions): Promise<Figure[]> {
  const { sha256, log: say } = options;
  const root = mkdtempSync(join(tmpdir(), 'atlog-bench-'));
  const figures: Figure[] = [];
  const ceiling = (value: number) => ({ of: 'SHA-256/s', value: value / sha256 });
  try {
    for (const [batch, count] of [
      [1, 3_000],
      [64, 100_000],
    ] as const) {
      const log = await openLog(join(root, `batch-${batch}`), batch);
      const perSecond = await appendRate(log, count, batch, batch);
      await log.close();
      figures.push({ name: `appends, batch ${batch}`, value: perSecond, unit: 'ops/s', ratio: ceiling(perSecond), note: `${count} entries of ${ENTRY_BYTES} B; two fsyncs per batch` });
      say(`appends at batch ${batch}: ${perSecond.toFixed(0)}/s`);
    }

    const small = await openLog(join(root, 'small'), 1024);
    await appendRate(small, SMALL_LOG, 1024, 1);
    await small.close();

    // The large log: building it is the batch-1024 measurement; then proofs on it, warm.
    const log = await openLog(join(root, 'large'), 1024);
    const perSecond = await appendRate(log, options.entries, 1024, 2);
    figures.push({ name: 'appends, batch 1024', value: perSecond, unit: 'ops/s', ratio: ceiling(perSecond), note: `${options.entries} entries of ${ENTRY_BYTES} B, one append() each, the log growing from 0` });
    say(`appends at batch 1024: ${perSecond.toFixed(0)}/s`);
    const manyAt = figures.length; // the appendMany figure goes beside this one
    const rss = rssBytes();
    figures.push({ name: `RSS after ${options.entries} appends`, value: rss, unit: 'bytes', note: 'this process, after a GC; it also built the two smaller logs before' });

    const size = log.size;
    const proofs = 200_000;
    await rateAsync(() => log.inclusionProof(randomInt(size)), 100_000, 64);
    const inclusion = await rateAsync(() => log.inclusionProof(randomInt(size)), proofs, 64);
    figures.push({ name: `inclusion proofs, log of ${size}`, value: inclusion, unit: 'ops/s', ratio: ceiling(inclusion), note: 'random leaves at the current size, 64 in flight, warm 64 MiB tile cache' });
    say(`inclusion proofs: ${inclusion.toFixed(0)}/s`);
    const consistency = await rateAsync(() => log.consistencyProof(1 + randomInt(size - 1)), proofs, 64);
    figures.push({ name: `consistency proofs, log of ${size}`, value: consistency, unit: 'ops/s', ratio: ceiling(consistency), note: 'random old size to the current one, 64 in flight' });
    say(`consistency proofs: ${consistency.toFixed(0)}/s`);
    await log.close();

    // The batch API on a log of its own, growing from 0 like the large one.
    const manyLog = await openLog(join(root, 'large-many'), 1024);
    const many = await appendManyRate(manyLog, options.entries, 1024, 3);
    await manyLog.close();
    rmSync(join(root, 'large-many'), { recursive: true, force: true });
    figures.splice(manyAt, 0, {
      name: 'appends via appendMany, batch 1024',
      value: many,
      unit: 'ops/s',
      ratio: ceiling(many),
      note: `${options.entries} entries of ${ENTRY_BYTES} B in calls of 1024, two in flight, the log growing from 0: the batch API, not the per-entry append above`,
    });
    say(`appends via appendMany at batch 1024: ${many.toFixed(0)}/s`);

    // Each probe appends 50k entries, so the sizes reported are what each log had by then.
    const work = 'fresh process: open, 50k appends, 100k inclusion and 20k consistency proofs';
    for (const [label, cache] of [
      ['tile cache off', 0],
      ['default 64 MiB tile cache', undefined],
    ] as const) {
      for (const name of ['small', 'large']) {
        const m = probeMemory(join(root, name), cache);
        const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
        figures.push({
          name: `anonymous memory, log of ${m.size.toLocaleString('en')}, ${label}`,
          value: m.anonymous,
          unit: 'bytes',
          note: `${work}; file-backed (LevelDB's mapped tables) ${mib(m.fileBacked)}, peak RSS ${mib(m.peakRss)}`,
        });
        say(`${name} log, ${label}: anonymous ${mib(m.anonymous)}, file-backed ${mib(m.fileBacked)}`);
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return figures;
}
