// `npm run bench:load`: the whole service under load. The real `atlog serve` (LevelDB, fsync'd
// batches, a closed policy of configured ES256 issuer keys with the agent-statements check) in
// its own process, and the load generator in another, on loopback. Per log size (empty, then
// pre-filled to 1M entries; `--prefill N` for one other size, e.g. 10M): registrations at rising
// concurrency, an open-loop run at a fixed rate, receipts served per second (one a request, and in
// bulk through POST /receipts); the server's CPU by
// thread and its memory; and beside them the raw ES256 verify rate per core measured in the same
// run, with registrations/s as a ratio of it. Every run ends by verifying the log offline.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratorOrder, PhaseResult } from './generator.js';
import { benchOptions, formatFigure, type Figure } from '../measure.js';
import { benchPeers } from '../peers.js';
import { es256Ceiling } from './ceiling.js';
import { prefill } from './prefill.js';
import { summarizeProfile } from './profile-summary.js';
import { prepareService } from './setup.js';
import { coresBetween, type MachineCpu, machineCoresBetween, machineCpu, memoryOf, type ServerProcess, startService, type ThreadCpu, threadCpu } from './server.js';
import { verifyRun } from './verify.js';
import { runSeed } from './workload.js';

const { values } = benchOptions('bench:load', {
  options: {
    prefill: { type: 'string' },
    seconds: { type: 'string', default: '8' },
    levels: { type: 'string', default: '8,32,128,512' },
    rate: { type: 'string', default: '2500' },
    statements: { type: 'string' },
    workers: { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // Pre-fill the log only, not the entry index (for 10M: see prefill.ts).
    'skip-index': { type: 'boolean', default: false },
    // Seconds to wait, at most, for a pre-filled log's service to go quiet before measuring (0: no wait).
    settle: { type: 'string', default: '60' },
    // Audit the whole pre-filled log at the end, however large (by default, above a million
    // entries only what the run added is re-derived, on the pre-filled tree: see verify.ts).
    'full-audit': { type: 'boolean', default: false },
    // Skip the side-by-side run against the peer implementations (bench/peers.ts).
    'skip-peers': { type: 'boolean', default: false },
    // Write a V8 CPU profile of the server (node --cpu-prof) into this directory.
    profile: { type: 'string' },
  },
});

/** Receipts asked for in one POST /receipts of the bulk phase. */
const BULK_BATCH = 64;

/** Under this, a service is quiet: an idle one (timers, the metrics' collectors) uses far less. */
const QUIET_CORES = 0.05;

/** Pre-filled logs up to this size are audited whole at the end of the run. */
const FULL_AUDIT_UP_TO = 1_000_000;

const positive = (text: string, name: string, what = 'a positive integer') => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) {
    console.error(`bench:load: ${name} must be ${what}`);
    process.exit(2);
  }
  return n;
};
const seconds = positive(values.seconds, '--seconds');
const levels = values.levels.split(',').map((l) => positive(l, '--levels'));
const rate = positive(values.rate, '--rate');
const settleSeconds = values.settle === '0' ? 0 : positive(values.settle, '--settle', 'a whole number of seconds (0: no wait)');
// Log sizes to run against: 0 is the empty log (no pre-fill).
const sizes = (values.prefill ?? '0,1000000').split(',').map((s) => (s === '0' ? 0 : positive(s, '--prefill')));
// Enough for every phase at 6k/s, and a margin.
const statementCount = values.statements === undefined ? Math.ceil((levels.length * (seconds + 1) * 7000 + (seconds + 1) * rate) / 1000) * 1000 : positive(values.statements, '--statements');
const AGENTS = 32;

const say = (line: string) => console.error(`  ${line}`);
const root = values.dir ?? mkdtempSync(join(tmpdir(), 'atlog-load-'));
mkdirSync(root, { recursive: true });
console.error(`atlog bench:load: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, in ${root}`);

// Keys: the service's receipt key (ES256) and checkpoint key (Ed25519), and one ES256 key per agent.
const { keysDir, agents, agentsFile, issuerFiles, serveArgs } = prepareService(root, { agents: AGENTS, ...(values.workers === undefined ? {} : { workers: values.workers }) });

const generator = fork(new URL('./generator.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const order = <T>(message: GeneratorOrder): Promise<T> =>
  new Promise((resolve, reject) => {
    generator.once('message', (reply: { type: string; message?: string }) => (reply.type === 'error' ? reject(new Error(reply.message)) : resolve(reply as T)));
    generator.send(message);
  });

interface Row {
  readonly size: number;
  readonly phase: string;
  readonly result: PhaseResult;
  readonly server: ThreadCpu;
  /** The whole machine in the phase, in cores: the service, the generator and everything else. */
  readonly machine: MachineCpu;
  readonly rss: number;
  readonly anonymous: number;
  readonly load: number;
  readonly timings: Timings;
}

/** Sums and counts of the service's own histograms (its /metrics), read before and after a phase. */
interface HistogramTotals {
  readonly answer: { sum: number; count: number };
  readonly receipt: { sum: number; count: number };
}

/** The service's own mean times in a phase: POST /entries answered, and accepted to durable receipt. */
interface Timings {
  readonly answerMs: number;
  readonly receiptMs: number;
}

async function serverTimings(url: string): Promise<HistogramTotals> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (pattern: RegExp) => {
    let sum = 0;
    for (const match of text.matchAll(pattern)) sum += Number(match[1]);
    return sum;
  };
  return {
    answer: { sum: value(/^atlog_registration_duration_seconds_sum\{[^}]*\} (\S+)$/gm), count: value(/^atlog_registration_duration_seconds_count\{[^}]*\} (\S+)$/gm) },
    receipt: { sum: value(/^atlog_time_to_receipt_seconds_sum (\S+)$/gm), count: value(/^atlog_time_to_receipt_seconds_count (\S+)$/gm) },
  };
}

function timingsBetween(before: HistogramTotals, after: HistogramTotals): Timings {
  const mean = (a: { sum: number; count: number }, b: { sum: number; count: number }) => (b.count > a.count ? ((b.sum - a.sum) / (b.count - a.count)) * 1000 : NaN);
  return { answerMs: mean(before.answer, after.answer), receiptMs: mean(before.receipt, after.receipt) };
}

const rows: Row[] = [];
const ceilings: number[] = [];
const verifications: string[] = [];
const settlings: string[] = [];

// Our tree, proofs and COSE verify beside the peer implementations, on the same inputs, in this run
// and before any service runs (bench/peers.ts; also `npm run bench -- --only peers`).
const peers: Figure[] = values['skip-peers'] ? [] : await benchPeers({ log: say });

let running: ServerProcess | undefined;
try {
  for (const size of sizes) {
    const dataDir = join(root, `data-${size}`);
    rmSync(dataDir, { recursive: true, force: true });
    if (size > 0) {
      const filled = await prefill({ dataDir, size, agents, keysDir, issuerKeys: issuerFiles, skipIndex: values['skip-index'], log: say });
      say(`pre-filled ${size} entries in ${filled.seconds.toFixed(0)} s (${filled.how})`);
    }
    const ceiling = es256Ceiling();
    ceilings.push(ceiling);
    say(`ES256 verify, one core: ${ceiling.toFixed(0)}/s`);
    const server = (running = await startService({
      dataDir,
      logFile: join(root, `serve-${size}.log`),
      args: serveArgs,
      ...(values.profile === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] }),
    }));
    say(`service at ${server.url} (pid ${server.pid}), log of ${size}`);
    // Signed once, before the first service; each later service gets the same statements, new to its log.
    const signed = await order<{ count: number; meanBytes: number; seconds: number }>(size === sizes[0] ? { type: 'sign', agentsFile, count: statementCount, seed: runSeed() } : { type: 'reuse' });
    if (size === sizes[0]) say(`signed ${signed.count} statements (${signed.meanBytes.toFixed(0)} B on average) in ${signed.seconds.toFixed(1)} s: not measured`);
    if (size > 0 && settleSeconds > 0) {
      // A bulk load leaves LevelDB compacting for a minute or more after the service opens it:
      // measured at once, the first phases would be of that, not of the log.
      const settled = await settle(server.pid, settleSeconds);
      const note = settled.quiet
        ? `the service went quiet ${settled.seconds} s after it started (LevelDB compacting the pre-fill)`
        : `the service was still busy after ${settled.seconds} s (${settled.cores.toFixed(2)} cores): the figures include LevelDB compacting the pre-fill`;
      settlings.push(`log of ${size}: ${note}`);
      say(note);
    }

    const measure = async (phase: string, message: GeneratorOrder) => {
      const load = loadavg()[0]!;
      const timingsBefore = await serverTimings(server.url);
      const before = threadCpu(server.pid);
      const machineBefore = machineCpu();
      const started = performance.now();
      const result = await order<PhaseResult>(message);
      const elapsed = (performance.now() - started) / 1000;
      const cores = coresBetween(before, threadCpu(server.pid), elapsed);
      const machine = machineCoresBetween(machineBefore, machineCpu(), elapsed);
      const memory = memoryOf(server.pid);
      const timings = timingsBetween(timingsBefore, await serverTimings(server.url));
      rows.push({ size, phase, result, server: cores, machine, rss: memory.rss, anonymous: memory.anonymous, load, timings });
      if (result.exhausted) say(`WARNING: the pre-signed statements ran out during "${phase}": its figures are low; give more with --statements`);
      say(
        `${phase}: ${result.perSecond.toFixed(0)}/s, p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms, errors ${JSON.stringify(result.statuses)}, ` +
          `server ${total(cores).toFixed(2)} cores (${((total(cores) * 1e6) / Math.max(1, result.perSecond)).toFixed(0)} µs per answer), RSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB, ` +
          `server-side mean: answer ${ms(timings.answerMs)} ms, accepted to receipt ${ms(timings.receiptMs)} ms, machine ${machineCores(machine)}`,
      );
    };
    for (const concurrency of levels) await measure(`registrations, ${concurrency} connections`, { type: 'closed', url: server.url, concurrency, seconds });
    await measure(`registrations at ${rate}/s (open loop)`, { type: 'open', url: server.url, rate, seconds, maxConnections: 2048 });
    await measure('receipts served (GET /entries/{id}), 64 connections', { type: 'proofs', url: server.url, concurrency: 64, seconds: Math.max(3, Math.ceil(seconds / 2)) });
    await measure(`receipts served in bulk (POST /receipts, ${BULK_BATCH} a request), 16 connections`, {
      type: 'bulk-receipts',
      url: server.url,
      concurrency: 16,
      seconds: Math.max(3, Math.ceil(seconds / 2)),
      batch: BULK_BATCH,
    });

    const acksFile = join(root, `acks-${size}.bin`);
    const keySet = await (await fetch(`${server.url}/.well-known/scitt-keys`)).arrayBuffer();
    const { count } = await order<{ count: number }>({ type: 'acks', file: acksFile });
    const code = await server.stop();
    running = undefined;
    if (code !== 0) throw new Error(`atlog serve exited with ${code}`);
    say(`service stopped; verifying the ${count} acknowledged registrations and the log offline`);
    const auditFrom = values['full-audit'] || size <= FULL_AUDIT_UP_TO ? 0 : size;
    const verified = await verifyRun({ dataDir, acksFile, keySet: new Uint8Array(keySet), keysDir, auditFrom, log: say });
    verifications.push(`log of ${size}: ${verified}`);
    say(verified);
    ceilings.push(es256Ceiling());
  }
} finally {
  // A run that failed midway stops its service too (it would otherwise keep its port and its data).
  await running?.stop();
  await order({ type: 'exit' }).catch(() => {});
  if (!values.keep && values.dir === undefined) rmSync(root, { recursive: true, force: true });
}

/**
 * Waits until the server uses under {@link QUIET_CORES} over two seconds running, or `limit`
 * seconds have passed: how long it took, and the last second's cores.
 */
async function settle(pid: number, limit: number): Promise<{ quiet: boolean; seconds: number; cores: number }> {
  const start = performance.now();
  let quietSeconds = 0;
  let cores = 0;
  let before = threadCpu(pid);
  for (let second = 1; second <= limit; second++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const after = threadCpu(pid);
    cores = total(coresBetween(before, after, 1));
    before = after;
    quietSeconds = cores < QUIET_CORES ? quietSeconds + 1 : 0;
    if (quietSeconds >= 2) return { quiet: true, seconds: Math.round((performance.now() - start) / 1000), cores };
  }
  return { quiet: false, seconds: limit, cores };
}

/** Milliseconds to one decimal; a dash for a phase that completed nothing (NaN comes over IPC as null). */
function ms(value: number | null): string {
  return value === null || !Number.isFinite(value) ? '—' : value.toFixed(1);
}

/** Busy / idle / steal, in cores. */
function machineCores(machine: MachineCpu): string {
  return `${machine.busy.toFixed(2)} / ${machine.idle.toFixed(2)} / ${machine.steal.toFixed(2)}`;
}

function total(cores: ThreadCpu): number {
  return cores.main + cores['other threads'];
}

// The report: one table per log size, the ceiling beside every rate.
const ceiling = median(ceilings);
console.log(`ES256 verify, one core (the ceiling): ${ceiling.toFixed(0)}/s (median of ${ceilings.length} readings, ${ceilings.map((c) => c.toFixed(0)).join(', ')})`);
console.log('');
console.log('| log | phase | per s | ratio to ES256/core | p50 ms | p95 ms | p99 ms | errors | 303s | server cores (main thread / other threads) | server RSS (anon) MiB | generator cores | machine cores busy / idle / steal | load |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const split = `${r.server.main.toFixed(2)} / ${r.server['other threads'].toFixed(2)}`;
  const errors = Object.entries(r.result.statuses)
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');
  console.log(
    `| ${r.size.toLocaleString('en')} | ${r.phase} | ${r.result.perSecond.toFixed(0)} | ${r.phase.startsWith('receipts') ? '' : (r.result.perSecond / ceiling).toFixed(3)} | ${ms(r.result.p50)} | ${ms(r.result.p95)} | ${ms(r.result.p99)} | ${errors || 'none'} | ${r.result.pending} | ${total(r.server).toFixed(2)} (${split}) | ${(r.rss / 2 ** 20).toFixed(0)} (${(r.anonymous / 2 ** 20).toFixed(0)}) | ${r.result.generatorCores.toFixed(2)} | ${machineCores(r.machine)} | ${r.load.toFixed(1)} |`,
  );
}
console.log('');
for (const v of verifications) console.log(`verified: ${v}`);
for (const line of settlings) console.log(`settled: ${line}`);
if (peers.length > 0) {
  console.log('');
  console.log('Against the peer implementations (same inputs, same run):');
  console.log('| figure | value | ratios | conditions |');
  console.log('|---|---|---|---|');
  for (const figure of peers) console.log(formatFigure(figure));
}

// The profiles, one per thread of each server run: main (thread 0) and the worker threads.
if (values.profile !== undefined) {
  for (const file of readdirSync(values.profile).filter((f) => f.endsWith('.cpuprofile')).sort()) {
    const thread = Number(/\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? NaN);
    const summary = summarizeProfile(join(values.profile, file), 20);
    console.log('');
    console.log(`CPU profile ${file}: ${thread === 0 ? 'main thread (the event loop)' : `worker thread ${thread}`}, ${summary.seconds.toFixed(1)} s, ${(summary.idle * 100).toFixed(0)}% idle`);
    console.log('| self | function | | inclusive | function |');
    console.log('|---|---|---|---|---|');
    for (let i = 0; i < Math.max(summary.self.length, summary.inclusive.length); i++) {
      const a = summary.self[i];
      const b = summary.inclusive[i];
      console.log(`| ${a === undefined ? '' : `${(a.share * 100).toFixed(1)}%`} | ${a?.name ?? ''} | | ${b === undefined ? '' : `${(b.share * 100).toFixed(1)}%`} | ${b?.name ?? ''} |`);
    }
  }
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
