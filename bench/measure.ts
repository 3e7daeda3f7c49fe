import { hash } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One measured figure: a rate (per second), a size in bytes or a duration in seconds. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: 'ops/s' | 'bytes' | 'ms' | 'seconds';
  /** The rate as a fraction of the ceiling it is compared with, when there is one. */
  readonly ratio?: { readonly of: string; readonly value: number };
  /** Against a peer implementation: atlog's rate divided by this one's, on the same inputs. */
  readonly versus?: { readonly of: string; readonly value: number };
  readonly note?: string;
}

/** A clock in milliseconds. */
export type Clock = () => number;

/** Wall-clock time: what a caller waits, I/O included. */
export const wallClock: Clock = () => performance.now();

/**
 * CPU time of this process (user and system, all its threads): what a computation costs, whatever
 * else runs on the machine. On a shared two-core machine the wall-clock rate of one ES256 check
 * was seen to vary from 4.5k/s to 9.2k/s between consecutive quarter-seconds, its CPU-time rate
 * by under 2% (once 10%).
 */
export const cpuClock: Clock = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Runs `op` repeatedly for about `seconds` after a short warm-up; returns operations per second. */
export function rate(op: () => void, seconds = 1, clock: Clock = wallClock): number {
  const warmUntil = clock() + 100;
  while (clock() < warmUntil) op();
  let count = 0;
  const start = clock();
  const until = start + seconds * 1000;
  // Check the clock every 64 operations: reading it is not free at millions per second.
  while (clock() < until) for (let i = 0; i < 64; i++, count++) op();
  return count / ((clock() - start) / 1000);
}

/**
 * A rate and its ratio to a ceiling, measured in alternating short slices (ceiling, subject,
 * ceiling, …) of CPU time, so that neither other processes on the machine nor a change in its
 * speed during the run favour one side; the ratio reported is the median of the per-round ratios.
 */
export function pairedRate(ceiling: () => void, subject: () => void, rounds = 9, seconds = 0.25): { ceiling: number; subject: number; ratio: number } {
  const ceilings: number[] = [];
  const subjects: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const c = rate(ceiling, seconds, cpuClock);
    const s = rate(subject, seconds, cpuClock);
    ceilings.push(c);
    subjects.push(s);
    ratios.push(s / c);
  }
  return { ceiling: median(ceilings), subject: median(subjects), ratio: median(ratios) };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Like {@link rate} for asynchronous work, with `concurrency` operations in flight. */
export async function rateAsync(op: (i: number) => Promise<unknown>, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/**
 * The raw SHA-256 ceiling: 65-byte inputs (0x01 ‖ left ‖ right, an interior node) through
 * node:crypto's one-shot hash, the same call the tree uses. Every Merkle figure is compared
 * with this, measured in the same run on the same machine.
 */
export function sha256Ceiling(seconds = 1): number {
  const input = new Uint8Array(65);
  input[0] = 1;
  return rate(() => hash('sha256', input, 'buffer'), seconds);
}

export function rssBytes(): number {
  globalThis.gc?.();
  return process.memoryUsage().rss;
}

const units = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n >= 10 ? n.toFixed(1) : n.toFixed(3));

// Peer libraries span five orders of magnitude: three decimals would print 0.000 for a proof that
// costs a million hashes and 54321.000 for a ratio that needs no decimals at all.
const ratioDigits = (r: number) => (r === 0 ? '0' : r < 0.01 ? r.toPrecision(2) : r >= 1000 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(3));

export function formatFigure(f: Figure): string {
  const value = f.unit === 'bytes' ? `${(f.value / 2 ** 20).toFixed(0)} MiB` : f.unit === 'ms' ? `${f.value.toFixed(0)} ms` : f.unit === 'seconds' ? `${f.value.toFixed(2)} s` : `${units(f.value)}/s`;
  const ratios = [f.ratio ? `${ratioDigits(f.ratio.value)} of ${f.ratio.of}` : '', f.versus ? `${f.versus.of}: ${ratioDigits(f.versus.value)}` : ''];
  return `| ${f.name} | ${value} | ${ratios.filter((r) => r !== '').join('; ')} | ${f.note ?? ''} |`;
}

/**
 * A bench command's options (node:util parseArgs): an unknown option or a missing value is one
 * line on stderr and exit code 2, as for the other bad arguments of the bench commands.
 */
export function benchOptions<T extends ParseArgsConfig>(command: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    console.error(`${command}: ${message}`);
    process.exit(2);
  }
}
