// LevelDB compacts on one background thread per process (its default Env's), started the first
// time a database has background work. That work can wait; the event loop and the admission
// workers cannot. On a machine with few cores a compaction that preempts the admission worker
// costs registrations, where the same compaction in the machine's idle moments costs nothing. So,
// as RocksDB does for its low-priority pool (Env::LowerThreadPoolCPUPriority), the LevelDB driver
// lowers that one thread's CPU priority: a nice value, which Linux keeps per thread. If
// compaction then falls behind, LevelDB's own write slowdown still throttles the writers.
//
// Node cannot name or ask for the thread, so it is found as the one thread that appears while a
// database is opened and made to schedule background work; anything less certain is left alone.
import { readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';

/** The default nice value of LevelDB's compaction thread (0 leaves it as the process's). */
export const DEFAULT_COMPACTION_NICE = 10;

/** What became of the compaction thread's priority, once per process. */
export type CompactionPriority =
  | { readonly lowered: true; readonly thread: number; readonly nice: number }
  | { readonly lowered: false; readonly reason: string };

/** The process's threads by id, or undefined where /proc does not list them (not Linux). */
function threadIds(): Set<string> | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return undefined;
  }
}

/**
 * The threads that started between two listings: exactly one, or undefined (none, several, or
 * no listing), since anything else could be a thread that is not LevelDB's.
 */
export function startedThread(before: ReadonlySet<string> | undefined, after: ReadonlySet<string> | undefined): number | undefined {
  if (before === undefined || after === undefined) return undefined;
  const fresh = [...after].filter((id) => !before.has(id));
  return fresh.length === 1 ? Number(fresh[0]) : undefined;
}

// Per process, as the thread is: the first open that finds it settles it for every later one.
let settled: CompactionPriority | undefined;

/** What this process did about the compaction thread, if a database has been opened. */
export function compactionPriority(): CompactionPriority | undefined {
  return settled;
}

/**
 * Opens a database through `open`, and on the first open in the process lowers the priority of
 * the compaction thread it starts. `startBackgroundWork` must make LevelDB schedule background
 * work (a compaction of a range no record is in), which starts the thread if Open did not.
 */
export async function openLoweringCompaction(directory: string, nice: number, open: () => Promise<void>, startBackgroundWork: () => Promise<void>): Promise<void> {
  if (settled !== undefined || nice === 0 || process.platform !== 'linux') return open();
  // libuv starts all its pool threads with its first job: make that happen before the listing,
  // so that the only new thread can be LevelDB's.
  await stat(directory).catch(() => undefined);
  const before = threadIds();
  await open();
  if (settled !== undefined) return;
  try {
    await startBackgroundWork();
  } catch {
    settled = { lowered: false, reason: 'the database refused a compaction of an empty range' };
    return;
  }
  const thread = startedThread(before, threadIds());
  if (thread === undefined) {
    settled = { lowered: false, reason: 'the compaction thread could not be told apart from other threads' };
    return;
  }
  try {
    // Only ever lower: a process already run at this nice value or above keeps the thread's.
    const inherited = getPriority(thread);
    if (inherited >= nice) {
      settled = { lowered: false, reason: `the process already runs at nice ${inherited}` };
      return;
    }
    setPriority(thread, nice);
    settled = { lowered: true, thread, nice };
  } catch (error) {
    settled = { lowered: false, reason: `setpriority failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}
