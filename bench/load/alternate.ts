// Two builds of the service, measured in turns on the same statements: `--a` and `--b` are
// checkouts (a git worktree of another commit, built, with its native hasher), each run for
// `--seconds` at `--concurrency` connections on a fresh log, in the order A B, B A, A B… for
// `--rounds` rounds. This machine's speed moves by a third within minutes, so one build after
// the other compares the machine as much as the code; alternating short runs and their means
// (and the server CPU each registration cost, which moves less) is how docs/benchmarks.md
// compares two commits. `--rate R` runs an open loop at R a second instead of the closed loop;
// `--a-env K=V,…` and `--b-env` set variables in one side's service, `--a-workers N` and
// `--b-workers N` its admission worker threads (atlog serve --workers). Each side runs with the node
// flags of its own checkout's start script (startFlags in server.ts); a NODE_OPTIONS set here adds
// to them, but node lets its command line win over NODE_OPTIONS.
//
//   npm run build && node dist/bench/load/alternate.js --a . --b ../base --rounds 4 --seconds 12
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GeneratorOrder, PhaseResult } from './generator.js';
import { coresBetween, machineCoresBetween, machineCpu, startService, threadCpu } from './server.js';
import { prepareService } from './setup.js';
import { runSeed } from './workload.js';
import { benchOptions } from '../measure.js';

const { values } = benchOptions('alternate', {
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    'a-env': { type: 'string' },
    'b-env': { type: 'string' },
    'a-workers': { type: 'string' },
    'b-workers': { type: 'string' },
    rounds: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '12' },
    concurrency: { type: 'string', default: '256' },
    rate: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(`alternate: ${message}`);
  process.exit(2);
}

const positive = (text: string, name: string) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > 100_000) fail(`${name} must be a positive integer`);
  return n;
};

function build(dir: string | undefined, name: string): string {
  if (dir === undefined) fail(`--${name} names a checkout of the build to measure`);
  const atlog = join(resolve(dir), 'bin/atlog.js');
  if (!existsSync(join(resolve(dir), 'dist/api/service.js'))) fail(`${dir} has no built service (run npm run build there)`);
  return atlog;
}

function environment(text: string | undefined, name: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter((p) => p.length > 0)) {
    const at = pair.indexOf('=');
    if (at < 1) fail(`--${name} is K=V pairs separated by commas`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

function workers(text: string | undefined, name: string): string[] {
  if (text === undefined) return [];
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0 || n > 64) fail(`--${name} must be an integer from 0 to 64`);
  return ['--workers', String(n)];
}

const sides = {
  A: { atlog: build(values.a, 'a'), env: environment(values['a-env'], 'a-env'), args: workers(values['a-workers'], 'a-workers') },
  B: { atlog: build(values.b, 'b'), env: environment(values['b-env'], 'b-env'), args: workers(values['b-workers'], 'b-workers') },
};
const rounds = positive(values.rounds, '--rounds');
const seconds = positive(values.seconds, '--seconds');
const concurrency = positive(values.concurrency, '--concurrency');
const rate = values.rate === undefined ? undefined : positive(values.rate, '--rate');

for (const [name, side] of Object.entries(sides)) {
  const env = Object.entries(side.env).map(([k, v]) => `${k}=${v}`);
  console.log(`${name}: ${side.atlog}${side.args.length > 0 ? ` ${side.args.join(' ')}` : ''}${env.length > 0 ? ` (${env.join(', ')})` : ''}`);
}
const root = mkdtempSync(join(tmpdir(), 'atlog-alternate-'));
const service = prepareService(root, { agents: 32 });
const generator = fork(new URL('./generator.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const order = <T>(message: GeneratorOrder): Promise<T> =>
  new Promise((resolve, reject) => {
    generator.once('message', (reply: { type: string; message?: string }) => (reply.type === 'error' ? reject(new Error(reply.message)) : resolve(reply as T)));
    generator.send(message);
  });

const results: Record<'A' | 'B', { perSecond: number; cpuMicros: number }[]> = { A: [], B: [] };
try {
  // Each run gets the same statements, new to its fresh log; enough for 7 000/s.
  await order({ type: 'sign', agentsFile: service.agentsFile, count: (seconds + 1) * Math.max(7000, rate ?? 0), seed: runSeed() });
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
      const dataDir = join(root, `data-${side}-${round}`);
      const server = await startService({ dataDir, logFile: join(root, `serve-${side}.log`), args: [...service.serveArgs, ...sides[side].args], atlog: sides[side].atlog, env: sides[side].env });
      try {
        await order({ type: 'reuse' });
        const before = threadCpu(server.pid);
        const machineBefore = machineCpu();
        const started = performance.now();
        const result = await order<PhaseResult>(
          rate === undefined ? { type: 'closed', url: server.url, concurrency, seconds } : { type: 'open', url: server.url, rate, seconds, maxConnections: 2048 },
        );
        const elapsed = (performance.now() - started) / 1000;
        const cores = coresBetween(before, threadCpu(server.pid), elapsed);
        const machine = machineCoresBetween(machineBefore, machineCpu(), elapsed);
        const total = cores.main + cores['other threads'];
        const cpuMicros = (total * 1e6) / Math.max(1, result.perSecond);
        results[side].push({ perSecond: result.perSecond, cpuMicros });
        const errors = Object.keys(result.statuses).length === 0 ? 'no errors' : `errors ${JSON.stringify(result.statuses)}`;
        console.log(
          `${side} round ${round + 1}: ${result.perSecond.toFixed(0)}/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms, server ${total.toFixed(2)} cores ` +
            `(${cores.main.toFixed(2)} / ${cores['other threads'].toFixed(2)}), ${cpuMicros.toFixed(0)} µs per registration, ${errors}; ` +
            `machine idle ${machine.idle.toFixed(2)}, steal ${machine.steal.toFixed(2)} cores`,
        );
      } finally {
        if ((await server.stop()) !== 0) console.error(`alternate: the ${side} service did not stop cleanly`);
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }
} finally {
  await order({ type: 'exit' }).catch(() => {});
  rmSync(root, { recursive: true, force: true });
}
const mean = (xs: readonly number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
for (const side of ['A', 'B'] as const) {
  const runs = results[side];
  console.log(`${side} (${side === 'A' ? values.a : values.b}): mean ${mean(runs.map((r) => r.perSecond)).toFixed(0)} registrations/s, ${mean(runs.map((r) => r.cpuMicros)).toFixed(0)} µs of server CPU each, over ${runs.length} runs`);
}
