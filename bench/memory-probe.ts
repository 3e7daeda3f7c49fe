// Run by the benchmark in a fresh process: open an existing log, do a fixed amount of work on
// it, and report peak memory. The same work on a small and a large log shows whether memory
// depends on the size of the log (it must not).
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519NoteSigner, LevelDbStorage, MerkleLog, noteCheckpointSigner } from '../log/index.js';
import { rateAsync } from './measure.js';

const dir = process.argv[2]!;
const { privateKey } = generateKeyPairSync('ed25519');
const origin = 'bench.atlog/log';
const log = await MerkleLog.open({
  storage: await LevelDbStorage.open(dir),
  signer: noteCheckpointSigner(origin, ed25519NoteSigner(origin, privateKey)),
  sequencer: { maxBatchSize: 1024 },
  ...(process.env.ATLOG_PROBE_TILE_CACHE === undefined ? {} : { tileCacheBytes: Number(process.env.ATLOG_PROBE_TILE_CACHE) }),
});
const tag = randomInt(2 ** 31);
await rateAsync(
  (i) => {
    const entry = new Uint8Array(512);
    new DataView(entry.buffer).setUint32(0, tag);
    new DataView(entry.buffer).setUint32(4, i);
    return log.append(entry);
  },
  50_000,
  2048,
);
const size = log.size;
await rateAsync(() => log.inclusionProof(randomInt(size)), 100_000, 64);
await rateAsync(() => log.consistencyProof(1 + randomInt(size - 1)), 20_000, 64);
// Before closing, with every cache as full as the work made it. RSS splits into anonymous memory
// (heap, caches, buffers: what the process needs) and file-backed pages (LevelDB maps its table
// files, so the pages it reads count in RSS, though the kernel can drop them at any time).
const status = readFileSync('/proc/self/status', 'utf8');
const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
const memory = { size, peakRss: kib('VmHWM'), anonymous: kib('RssAnon'), fileBacked: kib('RssFile') };
await log.close();
process.stdout.write(JSON.stringify(memory));
