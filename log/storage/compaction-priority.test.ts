// LevelDB's compaction thread at a lower CPU priority. The thread belongs to the process, so each
// case that opens a database runs in a fresh node process, where that open is the first.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireFreshBuild } from '../../test/support/built.js';
import { REPO_ROOT } from '../../test/support/vectors.js';
import { LevelDbStorage } from '../index.js';
import { startedThread } from './compaction-priority.js';

const root = mkdtempSync(join(tmpdir(), 'atlog-compaction-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface ChildReport {
  readonly compaction: unknown;
  /** Every thread's id, nice value and CPU ticks, before and after a memtable was flushed. */
  readonly before: Record<string, { nice: number; ticks: number }>;
  readonly after: Record<string, { nice: number; ticks: number }>;
  readonly pid: number;
}

/** Opens a database in a fresh process, fills its (smallest) memtable until it is flushed, and reports. */
function openInChild(directory: string, options: Record<string, unknown>): ChildReport {
  const log = join(REPO_ROOT, 'dist/log/index.js');
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    import { LevelDbStorage } from ${JSON.stringify(log)};
    const threads = () => Object.fromEntries(readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [tid, { nice: Number(f[16]), ticks: Number(f[11]) + Number(f[12]) }];
    }));
    const storage = await LevelDbStorage.open(${JSON.stringify(directory)}, ${JSON.stringify(options)});
    const before = threads();
    // Enough to fill a 64 KiB memtable many times: LevelDB flushes it on its background thread.
    const space = storage.space('fill');
    const value = new Uint8Array(4096).fill(7);
    for (let batch = 0; batch < 200; batch++) {
      const puts = [];
      for (let i = 0; i < 64; i++) puts.push([Uint8Array.of(batch >> 8, batch & 255, i), value]);
      await space.write({ puts });
    }
    const after = threads();
    await storage.close();
    process.stdout.write(JSON.stringify({ compaction: storage.compaction, before, after, pid: process.pid }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout) as ChildReport;
}

describe("LevelDB's compaction thread", () => {
  it('is the one thread that started while the database was opened', () => {
    const before = new Set(['1', '2', '3']);
    expect(startedThread(before, new Set(['1', '2', '3', '9']))).toBe(9);
    // None, two, or a listing missing: nothing is certain, so nothing is lowered.
    expect(startedThread(before, new Set(['1', '2', '3']))).toBeUndefined();
    expect(startedThread(before, new Set(['1', '2', '3', '8', '9']))).toBeUndefined();
    expect(startedThread(undefined, new Set(['1']))).toBeUndefined();
    expect(startedThread(before, undefined)).toBeUndefined();
  });

  it.runIf(process.platform === 'linux')('runs at nice 10 after the first open in a process, and it is the thread that compacts', () => {
    requireFreshBuild('dist/log/index.js', ['log', 'util']);
    const report = openInChild(join(root, 'lowered'), { writeBufferBytes: 64 * 1024 });
    const processNice = report.before[String(report.pid)]!.nice;
    if (processNice >= 10) {
      // Never raised: a process run at nice 10 or above keeps its thread as it is.
      expect(report.compaction).toEqual({ lowered: false, reason: `the process already runs at nice ${processNice}` });
      return;
    }
    expect(report.compaction).toMatchObject({ lowered: true, nice: 10 });
    const thread = String((report.compaction as { thread: number }).thread);
    // Only that thread was lowered; the event loop and every other thread kept the process's.
    expect(report.before[thread]?.nice).toBe(10);
    for (const [tid, { nice }] of Object.entries(report.before)) if (tid !== thread) expect(nice, tid).toBe(processNice);
    // 52 MiB through a 64 KiB memtable: the lowered thread is the one that flushed and compacted it.
    expect(report.after[thread]!.ticks - report.before[thread]!.ticks).toBeGreaterThan(0);
  }, 60_000);

  it.runIf(process.platform === 'linux')('is left alone with compactionNice 0', () => {
    requireFreshBuild('dist/log/index.js', ['log', 'util']);
    const report = openInChild(join(root, 'alone'), { compactionNice: 0 });
    expect(report.compaction).toBeUndefined();
    const processNice = report.after[String(report.pid)]!.nice;
    for (const [tid, { nice }] of Object.entries(report.after)) expect(nice, tid).toBe(processNice);
  }, 60_000);

  it('refuses a nice value outside 0 to 19', async () => {
    for (const compactionNice of [-1, 20, 1.5, Number.NaN]) {
      await expect(LevelDbStorage.open(join(root, 'refused'), { compactionNice })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});
