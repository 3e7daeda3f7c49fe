// The benchmarked service is started as `npm start` starts it: with the node flags of the
// checkout's own start script, read from its package.json, so that a flag the product ships with
// is measured and a build compared against another keeps its own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFlags, startService } from '../../bench/load/server.js';
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
