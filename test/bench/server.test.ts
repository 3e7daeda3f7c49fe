// The benchmarked service is started as `npm start` starts it: with the node flags of the
// checkout's own start script, read from its package.json, so that a flag the product ships with
// is measured and a build compared against another keeps its own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { machineCoresBetween, machineCpu, parseProcStat, startFlags, startService } from '../../bench/load/server.js';
import { prepareService } from '../../bench/load/setup.js';
import { requireFreshBuild } from '../support/built.js';
import { REPO_ROOT } from '../support/vectors.js';

const root = mkdtempSync(join(tmpdir(), 'atlog-bench-server-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function packageWithStart(start: unknown): string {
  const file = join(mkdtempSync(join(root, 'package-')), 'package.json');
  writeFileSync(file, JSON.stringify({ name: 'x', scripts: start === undefined ? {} : { start } }));
  return file;
}

describe('the benchmarked service', () => {
  it("reads the node flags of a checkout's start script", () => {
    expect(startFlags(packageWithStart('node bin/atlog.js serve'))).toEqual([]);
    expect(startFlags(packageWithStart('node --max-semi-space-size=64 --stack-size=2000 bin/atlog.js serve'))).toEqual(['--max-semi-space-size=64', '--stack-size=2000']);
    // This checkout's own: the young generation the service is tuned for (docs/operations.md).
    expect(startFlags(join(REPO_ROOT, 'package.json'))).toContain('--max-semi-space-size=64');
    for (const start of [undefined, 42, 'node bin/atlog.js', 'node bin/atlog.js serve --port 1', 'tsx bin/atlog.js serve', 'node --x; rm -rf / bin/atlog.js serve']) {
      expect(() => startFlags(packageWithStart(start)), String(start)).toThrow(/is not "node \[flags\] bin\/atlog\.js serve"/);
    }
  });

  it("reads the machine's busy, idle and stolen time from /proc/stat", () => {
    // user nice system idle iowait irq softirq steal guest guest_nice, in ticks of 1/100 s.
    const stat = 'cpu  1000 20 300 5000 40 6 7 80 90 0\ncpu0 500 10 150 2500 20 3 3 40 45 0\nintr 1 2 3\n';
    expect(parseProcStat(stat)).toEqual({ busy: 13.33, idle: 50.4, steal: 0.8 });
    // Older kernels stop after steal; guest time is in user already, so it is never added.
    expect(parseProcStat('cpu 1 2 3 4 5 6 7 8\n')).toEqual({ busy: 0.19, idle: 0.09, steal: 0.08 });
    for (const bad of ['', 'cpu0 1 2 3 4 5 6 7 8', 'cpu 1 2 3', 'cpu 1 2 3 4 5 6 7 x', 'cpu 1 2 3 4 5 6 7 -8']) expect(parseProcStat(bad), bad).toBeUndefined();
    const a = { busy: 10, idle: 20, steal: 1 };
    expect(machineCoresBetween(a, { busy: 13, idle: 20.5, steal: 1.5 }, 2)).toEqual({ busy: 1.5, idle: 0.25, steal: 0.25 });
    // This machine's own: every core accounted for since boot, none negative.
    const now = machineCpu();
    expect(now.busy).toBeGreaterThan(0);
    expect(now.idle).toBeGreaterThanOrEqual(0);
    expect(now.steal).toBeGreaterThanOrEqual(0);
  });

  it('runs with them, then the ones a run adds', async () => {
    requireFreshBuild('dist/api/server.js', ['api', 'index', 'log', 'receipts', 'statements', 'tools', 'util']);
    const service = prepareService(join(root, 'service'), { agents: 1 });
    const atlog = join(REPO_ROOT, 'bin/atlog.js');
    const server = await startService({ atlog, dataDir: join(root, 'data'), logFile: join(root, 'serve.log'), args: service.serveArgs, nodeArgs: ['--stack-trace-limit=20'] });
    try {
      const argv = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
      const flags = argv.slice(1, argv.indexOf(atlog));
      expect(flags).toEqual([...startFlags(join(REPO_ROOT, 'package.json')), '--stack-trace-limit=20']);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);
});
