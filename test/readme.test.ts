// The README's quick start, run as written: `npx atlog …` lines against a fresh service started the
// way `npm start` starts it (on a free port instead of 8080), in an empty working directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFlags } from '../bench/load/server.js';
import { tempDir } from './support/log.js';
import { REPO_ROOT } from './support/vectors.js';

const CLI = join(REPO_ROOT, 'bin/atlog.js');

/** The lines of the shell block after the `<!-- quickstart` marker. */
function quickstart(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const block = /<!-- quickstart[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme);
  if (block === null) throw new Error('README.md has no quickstart block');
  return block[1]!.split('\n').filter((line) => line.trim() !== '');
}

let server: ChildProcess;
let url = '';
let stderr = '';

beforeAll(async () => {
  // With the node flags of the start script, as npm start runs it.
  server = spawn(process.execPath, [...startFlags(join(REPO_ROOT, 'package.json')), CLI, 'serve', '--data', join(tempDir(), 'data'), '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    server.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /serving \S+ on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
});

afterAll(async () => {
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  expect(await exited).toBe(0);
});

describe('the README quick start', () => {
  it('has the service say which young generation it runs with', async () => {
    // Said after the line that gave the URL: wait for it.
    for (let waited = 0; !/young generation/.test(stderr) && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stderr).toMatch(/^atlog: young generation: semi-spaces of 64 MiB$/m);
  });

  it('runs line by line against a fresh service, ending in a verified transparent statement', () => {
    const lines = quickstart();
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const cwd = tempDir('atlog-readme-');
    let verifyOutput = '';
    for (const line of lines) {
      const command = line.replaceAll('http://localhost:8080', url).replace(/^npx atlog /, `"${process.execPath}" "${CLI}" `);
      const output = execFileSync('sh', ['-c', command], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (line.includes(' verify ')) verifyOutput = output;
    }
    expect(verifyOutput).toMatch(/^verified: issuer did:jwk:[A-Za-z0-9_-]+…?, subject task-1, tree size \d+, entry index \d+/);
  });
});
