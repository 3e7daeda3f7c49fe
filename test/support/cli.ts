// Running the real `atlog` binary in tests, and what every CLI test expects of its errors.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ATLOG_BIN = fileURLToPath(new URL('../../bin/atlog.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/tools/cli.js', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The binary runs the built CLI: fail early, and say how to fix it, if there is none. */
export function requireBuiltCli(): void {
  if (!existsSync(BUILT)) throw new Error('dist/tools/cli.js is missing: run `npm run build` before these tests');
}

/** Runs `node bin/atlog.js …` in `cwd`, with `input` on stdin. */
export function runAtlog(args: readonly string[], options: { readonly cwd: string; readonly input?: string | Uint8Array }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ATLOG_BIN, ...args], { cwd: options.cwd, stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined); // the command may not read stdin at all
    child.stdin.end(options.input ?? '');
  });
}

export const outputLines = (text: string): string[] => text.split('\n').filter((line) => line.length > 0);

/** One line `atlog: …` on stderr, no stack trace, the exit status (and, if asked, nothing on stdout). */
export function expectOneLineError(run: CliRun, code: number, pattern?: RegExp, options: { readonly stdoutEmpty?: boolean } = {}): void {
  expect(run.code, run.stderr).toBe(code);
  if (options.stdoutEmpty === true) expect(run.stdout).toBe('');
  expect(outputLines(run.stderr), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(/^atlog: /);
  expect(run.stderr).not.toMatch(/^\s+at .+/m);
  if (pattern !== undefined) expect(run.stderr.trimEnd()).toMatch(pattern);
}
