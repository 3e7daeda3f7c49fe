// `npm run bench:load` in miniature, as built (the service and the generator are processes): an
// empty log and a pre-filled one, every phase, then the offline verification that must pass for
// the run to print "verified" (it throws and exits non-zero on any receipt, entry or checkpoint
// that does not check out).
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireFreshBuild } from '../support/built.js';
import { REPO_ROOT } from '../support/vectors.js';

function runLoad(args: readonly string[], script = 'dist/bench/load/run.js'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('bench:load', () => {
  it('runs every phase against an empty and a pre-filled log, and verifies both logs offline', async () => {
    requireFreshBuild('dist/bench/load/run.js', ['api', 'bench', 'index', 'log', 'receipts', 'statements', 'util']);
    const run = await runLoad(['--prefill', '0,2500', '--seconds', '1', '--levels', '2,8', '--rate', '40', '--statements', '6000', '--skip-peers']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^ES256 verify, one core \(the ceiling\): \d+\/s/m);
    for (const size of ['0', '2,500']) {
      for (const phase of ['registrations, 2 connections', 'registrations, 8 connections', 'registrations at 40/s (open loop)', 'receipts served (GET /entries/{id}), 64 connections']) {
        // Each row: a rate above zero, and no error of any kind.
        const row = run.stdout.split('\n').find((line) => line.startsWith(`| ${size} | ${phase} |`));
        expect(row, `${size} ${phase}`).toBeDefined();
        const cells = row!.split('|').map((cell) => cell.trim());
        expect(Number(cells[3]), row).toBeGreaterThan(0);
        expect(cells[8], row).toBe('none');
        // The machine's cores in the phase: busy, idle and stolen add up to about all of them, and
        // the busy ones include the service's own.
        const [busy, idle, steal] = cells[13]!.split(' / ').map(Number) as [number, number, number];
        expect(busy + idle + steal, row).toBeGreaterThan(cpus().length * 0.8);
        expect(busy + idle + steal, row).toBeLessThan(cpus().length * 1.2);
        expect(busy, row).toBeGreaterThanOrEqual(Number(cells[10]!.split(' ')[0]) * 0.8);
      }
    }
    expect(run.stdout).toMatch(/^verified: log of 0: \d+ acknowledged statements: receipts verify/m);
    expect(run.stdout).toMatch(/^verified: log of 2500: \d+ acknowledged statements: receipts verify .* audit of \d+ entries/m);
    expect(run.stderr).toMatch(/pre-filled 2500 entries/);
    expect(run.stderr).not.toMatch(/ran out/);
    // Only the pre-filled log is waited for, and an idle service of 2 500 entries goes quiet soon.
    expect(run.stdout.match(/^settled: .*$/gm)).toEqual([expect.stringMatching(/^settled: log of 2500: the service went quiet \d+ s after it started/)]);
  }, 180_000);

  it('alternates two builds on the same statements, closed loop or open, and reports each run and the means', async () => {
    requireFreshBuild('dist/bench/load/alternate.js', ['api', 'bench', 'index', 'log', 'receipts', 'statements', 'util']);
    const script = 'dist/bench/load/alternate.js';
    const closed = await runLoad(['--a', REPO_ROOT, '--b', REPO_ROOT, '--b-env', 'ATLOG_LOG_LEVEL=warn', '--rounds', '2', '--seconds', '1', '--concurrency', '4'], script);
    expect(closed.code, closed.stderr).toBe(0);
    // A B, then B A: each run on its own fresh log, without errors.
    const runs = [...closed.stdout.matchAll(/^([AB]) round (\d): (\d+)\/s, .* µs per registration, no errors; machine idle [\d.]+, steal [\d.]+ cores$/gm)].map((m) => `${m[1]}${m[2]}`);
    expect(runs).toEqual(['A1', 'B1', 'B2', 'A2']);
    expect(closed.stdout).toMatch(/^A \(.+\): mean [1-9]\d* registrations\/s, \d+ µs of server CPU each, over 2 runs$/m);
    expect(closed.stdout).toMatch(/^B \(.+\): mean [1-9]\d* registrations\/s, \d+ µs of server CPU each, over 2 runs$/m);
    expect(closed.stdout).toMatch(/^B: .*bin\/atlog\.js \(ATLOG_LOG_LEVEL=warn\)$/m);
    // B admits on the event loop (--workers 0): the run says so, and both sides still register.
    const open = await runLoad(['--a', REPO_ROOT, '--b', REPO_ROOT, '--b-workers', '0', '--rounds', '1', '--seconds', '1', '--rate', '50'], script);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toMatch(/^A: .*bin\/atlog\.js$/m);
    expect(open.stdout).toMatch(/^B: .*bin\/atlog\.js --workers 0$/m);
    expect(open.stdout).toMatch(/^A round 1: \d+\/s, p50 [\d.]+ ms, p99 [\d.]+ ms, .*no errors; machine idle/m);
    expect(open.stdout).toMatch(/^B round 1: \d+\/s, p50 [\d.]+ ms, p99 [\d.]+ ms, .*no errors; machine idle/m);
    const badWorkers = await runLoad(['--a', REPO_ROOT, '--b', REPO_ROOT, '--a-workers', 'two'], script);
    expect(badWorkers.code).toBe(2);
    expect(badWorkers.stderr.trim()).toBe('alternate: --a-workers must be an integer from 0 to 64');
    // A checkout without a build: one line, exit 2, nothing run.
    const bad = await runLoad(['--a', REPO_ROOT, '--b', join(REPO_ROOT, 'docs')], script);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^alternate: .*docs has no built service/);
    expect(bad.stdout).toBe('');
  }, 180_000);

  it("measures the log's own appends on logs of each size in turns, and says what it cost per entry", async () => {
    requireFreshBuild('dist/bench/load/appends.js', ['bench', 'log', 'receipts', 'statements', 'util']);
    const script = 'dist/bench/load/appends.js';
    const run = await runLoad(['--prefill', '0,2000', '--seconds', '1', '--rounds', '2'], script);
    expect(run.code, run.stderr).toBe(0);
    // Small then large, large then small; each run starts past what the ones before appended.
    const runs = [...run.stdout.matchAll(/^log of (\d+) \((\d+) at the start\) round (\d): [1-9]\d* entries\/s, [\d.]+ µs of CPU each$/gm)];
    expect(runs.map((m) => `${m[1]}:${m[3]}`)).toEqual(['0:1', '2000:1', '2000:2', '0:2']);
    expect(Number(runs[0]![2])).toBe(0);
    expect(Number(runs[1]![2])).toBe(2000);
    expect(Number(runs[2]![2])).toBeGreaterThan(2000);
    expect(Number(runs[3]![2])).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/^log of 0: mean [1-9]\d* entries\/s, [\d.]+ µs of CPU each \(1\.00 of the log of 0\), over 2 runs$/m);
    expect(run.stdout).toMatch(/^log of 2000: mean [1-9]\d* entries\/s, [\d.]+ µs of CPU each \([\d.]+ of the log of 0\), over 2 runs$/m);
    const bad = await runLoad(['--prefill', 'ten'], script);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('appends: --prefill must be an integer from 0 to 100000000');
    expect(bad.stdout).toBe('');
    const twice = await runLoad(['--prefill', '0,0'], script);
    expect(twice.code).toBe(2);
    expect(twice.stderr.trim()).toBe('appends: --prefill names one to four different log sizes');
  }, 180_000);

  it('refuses an unknown option, a missing value or a bad number in one line, exit code 2, for every bench command', async () => {
    for (const [script, command] of [
      ['dist/bench/run.js', 'bench'],
      ['dist/bench/load/run.js', 'bench:load'],
      ['dist/bench/load/alternate.js', 'alternate'],
      ['dist/bench/load/appends.js', 'appends'],
    ] as const) {
      requireFreshBuild(script, ['bench']);
      for (const args of [['--help'], ['--no-such-option', '1'], ['--seconds']]) {
        const run = await runLoad(args, script);
        expect(run.code, `${script} ${args.join(' ')}`).toBe(2);
        expect(run.stderr.trim().split('\n'), `${script} ${args.join(' ')}`).toEqual([expect.stringMatching(new RegExp(`^${command}: (Unknown option|Option '--seconds)`))]);
        expect(run.stdout).toBe('');
      }
    }
    const settle = await runLoad(['--settle', '1.5']);
    expect([settle.code, settle.stderr.trim()]).toEqual([2, 'bench:load: --settle must be a whole number of seconds (0: no wait)']);
  }, 60_000);
});
