// The log's own cost per entry against its size, without HTTP, the policy or the generator: logs
// pre-filled to each `--prefill` size (the bulk loader, log only), then, in turns (small, large;
// large, small; …), 512 submissions kept in flight on each for `--seconds` through the log's real
// path (`MerkleLog.submit`: the sequencer's batches, the leaf-hash lookups that find duplicates,
// the fsync'd LevelDB writes, a signed checkpoint per batch), with the service's default options.
// It reports entries/s and the CPU of the whole process (every thread: LevelDB's compactions,
// libuv's pool, V8's helpers) per entry. Making each entry (a copy of a template with a new id)
// costs the same at every size.
//
// The load runs' registrations move by ±12% between runs on this machine, more than the log's part
// of a registration could grow; this isolates that part, and alternates so that the machine's
// minute is shared by every size.
//
//   npm run build && node dist/bench/load/appends.js --prefill 1000000,10000000 --seconds 12 --rounds 3   # about nine minutes
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LevelDbStorage, MerkleLog } from '../../log/index.js';
import { benchSigner, entryMaker, prefill } from './prefill.js';
import { prepareService } from './setup.js';
import { makeAgents } from './workload.js';
import { benchOptions } from '../measure.js';

const { values } = benchOptions('appends', {
  options: {
    prefill: { type: 'string', default: '1000000,10000000' },
    seconds: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    // Where the pre-filled logs go; a log already there (from a run with --keep) is used as it is.
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`appends: ${message}`);
  process.exit(2);
}

const count = (text: string, name: string, max: number) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > max) fail(`${name} must be an integer from 0 to ${max}`);
  return n;
};

const sizes = values.prefill.split(',').map((s) => count(s, '--prefill', 100_000_000));
if (sizes.length < 1 || sizes.length > 4 || new Set(sizes).size !== sizes.length) fail('--prefill names one to four different log sizes');
const seconds = Math.max(1, count(values.seconds, '--seconds', 3600));
const rounds = Math.max(1, count(values.rounds, '--rounds', 100));

/** Submissions in flight, as the service has at 512 connections. */
const IN_FLIGHT = 512;
const WARM_UP_MS = 3000;

interface Run {
  readonly startSize: number;
  readonly perSecond: number;
  readonly cpuMicros: number;
}

const root = values.dir ?? mkdtempSync(join(tmpdir(), 'atlog-appends-'));
mkdirSync(root, { recursive: true });
const say = (line: string) => console.error(`  ${line}`);

/** The log of `size`, pre-filled unless a kept one is there: its directory and its keys. */
async function prepared(size: number): Promise<{ dataDir: string; keysDir: string; entryOf: (i: number) => Uint8Array }> {
  const dir = join(root, `log-${size}`);
  const dataDir = join(dir, 'data');
  const keysDir = join(dir, 'keys');
  // A kept log is reopened with the keys that signed its checkpoints; its new entries need no
  // particular issuer (the log never verifies a statement), so any agents sign their templates.
  if (existsSync(join(dataDir, 'log', 'CURRENT')) && existsSync(join(keysDir, 'checkpoint.pem'))) {
    say(`log of ${size}: the one kept in ${dir}`);
    return { dataDir, keysDir, entryOf: entryMaker(makeAgents(32)) };
  }
  rmSync(dir, { recursive: true, force: true });
  const service = prepareService(dir, { agents: 32 });
  mkdirSync(dataDir, { recursive: true });
  if (size > 0) {
    const filled = await prefill({ dataDir, size, agents: service.agents, keysDir, issuerKeys: service.issuerFiles, skipIndex: true, log: say });
    say(`pre-filled ${size} entries in ${filled.seconds.toFixed(0)} s (${filled.how})`);
  }
  return { dataDir, keysDir, entryOf: entryMaker(service.agents) };
}

/** One run: IN_FLIGHT submissions kept in flight for WARM_UP_MS and then `seconds`, measured. */
async function run(log: MerkleLog, entryOf: (i: number) => Uint8Array): Promise<Run> {
  const startSize = log.size;
  // Ids past every entry the log has: each run's entries are new to it.
  let next = startSize;
  let done = 0;
  let measured: { cpu: NodeJS.CpuUsage; at: number; done: number } | undefined;
  const warm = performance.now() + WARM_UP_MS;
  const stop = warm + seconds * 1000;
  const submitter = async () => {
    while (performance.now() < stop) {
      const result = await log.submit(entryOf(next++)).result;
      if (result.duplicate) throw new Error(`entry ${next - 1} was already in the log`);
      done++;
      if (measured === undefined && performance.now() >= warm) measured = { cpu: process.cpuUsage(), at: performance.now(), done };
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, submitter));
  if (measured === undefined) throw new Error('the run ended before its warm-up did');
  const cpu = process.cpuUsage(measured.cpu);
  const entries = done - measured.done;
  return { startSize, perSecond: (entries * 1000) / (performance.now() - measured.at), cpuMicros: (cpu.user + cpu.system) / entries };
}

const logs = [];
for (const size of sizes) logs.push({ size, ...(await prepared(size)) });
const results = new Map<number, Run[]>(sizes.map((size) => [size, []]));
try {
  for (let round = 0; round < rounds; round++) {
    for (const log of round % 2 === 0 ? logs : [...logs].reverse()) {
      const storage = await LevelDbStorage.open(join(log.dataDir, 'log'));
      const opened = await MerkleLog.open({ storage, signer: benchSigner(log.keysDir) });
      try {
        const result = await run(opened, log.entryOf);
        results.get(log.size)!.push(result);
        console.log(`log of ${log.size} (${result.startSize} at the start) round ${round + 1}: ${result.perSecond.toFixed(0)} entries/s, ${result.cpuMicros.toFixed(1)} µs of CPU each`);
      } finally {
        await opened.close();
      }
    }
  }
} finally {
  if (!values.keep && values.dir === undefined) rmSync(root, { recursive: true, force: true });
}
const mean = (xs: readonly number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
const smallest = mean(results.get(sizes[0]!)!.map((r) => r.cpuMicros));
for (const size of sizes) {
  const runs = results.get(size)!;
  const cpu = mean(runs.map((r) => r.cpuMicros));
  console.log(
    `log of ${size}: mean ${mean(runs.map((r) => r.perSecond)).toFixed(0)} entries/s, ${cpu.toFixed(1)} µs of CPU each (${(cpu / smallest).toFixed(2)} of the log of ${sizes[0]}), over ${runs.length} runs`,
  );
}
