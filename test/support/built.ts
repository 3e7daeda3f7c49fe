// Tests that run the built code in a child process (the crash tests) must not run stale code:
// they check that dist/ is newer than every source it was built from.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './vectors.js';

function newestSource(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    if (name.endsWith('.ts') && !name.endsWith('.test.ts')) newest = Math.max(newest, statSync(join(dir, name)).mtimeMs);
  }
  return newest;
}

/** Throws, saying how to fix it, unless `built` (under the repository) is newer than the sources in `folders`. */
export function requireFreshBuild(built: string, folders: readonly string[]): void {
  const path = join(REPO_ROOT, built);
  const newest = Math.max(...folders.map((folder) => newestSource(join(REPO_ROOT, folder))));
  if (!existsSync(path) || statSync(path).mtimeMs < newest) {
    throw new Error(`${built} is missing or older than ${folders.join(', ')}: run \`npm run build\` (npm test does) before this test`);
  }
}
