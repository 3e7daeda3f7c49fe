// The service under load: the real `atlog serve` in its own process (LevelDB, fsync'd batches, a
// configured policy of issuer keys), its logs written to a file as in production, and what it
// costs read from /proc: CPU per thread (main, worker threads, libuv's pool, V8's helpers,
// LevelDB's compaction) and memory.
import { type ChildProcess, spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ATLOG = fileURLToPath(new URL('../../../bin/atlog.js', import.meta.url));
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS = 100;

export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, and the exit code once it has stopped (it writes and answers what it accepted). */
  stop(): Promise<number | null>;
}

export interface ServiceStart {
  readonly dataDir: string;
  readonly logFile: string;
  readonly args: readonly string[];
  /** Node flags after the ones `npm start` gives the service (see {@link startFlags}). */
  readonly nodeArgs?: readonly string[];
  /** The `bin/atlog.js` to run (default this checkout's; another to measure another build). */
  readonly atlog?: string;
  /** Variables added to the service's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The node flags of a checkout's `npm start` (its package.json: `node [flags] bin/atlog.js
 * serve`), so that the service is measured as it is started, and another build with its own.
 */
export function startFlags(packageJson: string): string[] {
  const start = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: { start?: unknown } }).scripts?.start;
  const flags = typeof start === 'string' ? /^node((?: --[a-z0-9-]+(?:=[^\s]+)?)*) bin\/atlog\.js serve$/.exec(start)?.[1] : undefined;
  if (flags === undefined) throw new Error(`the start script of ${packageJson} is not "node [flags] bin/atlog.js serve": ${JSON.stringify(start)}`);
  return flags.split(' ').filter((flag) => flag.length > 0);
}

export async function startService(options: ServiceStart): Promise<ServerProcess> {
  const atlog = options.atlog ?? ATLOG;
  const flags = [...startFlags(join(dirname(atlog), '..', 'package.json')), ...(options.nodeArgs ?? [])];
  const log = openSync(options.logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [...flags, atlog, 'serve', '--data', options.dataDir, '--port', '0', ...options.args], {
    stdio: ['ignore', log, 'pipe'],
    ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Never outlive the benchmark, however it ends.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  void exited.then(() => process.off('exit', orphaned));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = / on (http:\/\/[0-9.]+:[0-9]+) /.exec(stderr)?.[1];
      if (found !== undefined) resolve(found);
    });
    void exited.then((code) => reject(new Error(`atlog serve exited (${code}) before it served:\n${stderr}`)));
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** CPU seconds used so far by the main thread (the event loop) and by all the others. */
export type ThreadCpu = Record<'main' | 'other threads', number>;

/**
 * CPU of process `pid`: its main thread (the event loop: HTTP, the sequencer, the index follower)
 * and its other threads together (the policy workers, libuv's pool where LevelDB reads and writes,
 * V8's garbage-collector helpers, LevelDB's compaction). Node 20 names every thread "node", so
 * only the main thread (whose id is the process id) can be told apart from outside.
 */
export function threadCpu(pid: number): ThreadCpu {
  const cpu: ThreadCpu = { main: 0, 'other threads': 0 };
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return cpu;
  }
  for (const tid of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
    } catch {
      continue; // the thread ended meanwhile
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the name: state is [0], utime [11], stime [12].
    cpu[tid === String(pid) ? 'main' : 'other threads'] += (Number(fields[11]) + Number(fields[12])) / TICKS;
  }
  return cpu;
}

/** The difference of two readings, in cores (CPU seconds per second of wall time). */
export function coresBetween(before: ThreadCpu, after: ThreadCpu, seconds: number): ThreadCpu {
  return { main: (after.main - before.main) / seconds, 'other threads': (after['other threads'] - before['other threads']) / seconds };
}

/**
 * CPU seconds of the whole machine so far, from the first line of /proc/stat: `busy` every core's
 * time running anything (user, system, interrupts), `idle` its time with nothing to run (waiting
 * for I/O included), `steal` the time the hypervisor ran something else while this machine had
 * work. A phase whose machine had no idle time was limited by the cores; one with steal had fewer
 * of them than it counts, which is how a figure from a noisy quarter hour can be told apart.
 */
export interface MachineCpu {
  readonly busy: number;
  readonly idle: number;
  readonly steal: number;
}

/** The machine's CPU from the text of /proc/stat; undefined if its first line is not the total. */
export function parseProcStat(text: string): MachineCpu | undefined {
  const line = /^cpu +(.*)$/m.exec(text)?.[1];
  if (line === undefined) return undefined;
  // user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already in user.
  const ticks = line.trim().split(/ +/).map(Number);
  if (ticks.length < 8 || ticks.some((n) => !Number.isSafeInteger(n) || n < 0)) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks as [number, number, number, number, number, number, number, number];
  return { busy: (user + nice + system + irq + softirq) / TICKS, idle: (idle + iowait) / TICKS, steal: steal / TICKS };
}

/** The machine's CPU now (zeros where /proc/stat cannot be read: the figures then show none). */
export function machineCpu(): MachineCpu {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'latin1')) ?? { busy: 0, idle: 0, steal: 0 };
  } catch {
    return { busy: 0, idle: 0, steal: 0 };
  }
}

/** The difference of two readings, in cores. */
export function machineCoresBetween(before: MachineCpu, after: MachineCpu, seconds: number): MachineCpu {
  return { busy: (after.busy - before.busy) / seconds, idle: (after.idle - before.idle) / seconds, steal: (after.steal - before.steal) / seconds };
}

export interface Memory {
  readonly rss: number;
  readonly anonymous: number;
  readonly fileBacked: number;
  readonly peak: number;
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), anonymous: kib('RssAnon'), fileBacked: kib('RssFile'), peak: kib('VmHWM') };
}
