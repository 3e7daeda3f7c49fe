#!/usr/bin/env node
// Builds the optional native SHA-256 of interior nodes (node_hash.c, beside this file) with
// node-gyp: the package's install script, and `npm run build:native`. It never fails an install:
// without a compiler, Node's headers or node-gyp, the log hashes its nodes in WebAssembly instead
// (same bytes, ~4 times slower), and this says so in one line. ATLOG_NATIVE_HASH=0 skips it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const directory = dirname(fileURLToPath(import.meta.url));
const fallback = 'interior nodes will be hashed in WebAssembly instead';

if (process.env.ATLOG_NATIVE_HASH === '0') {
  console.log(`atlog: ATLOG_NATIVE_HASH=0, native SHA-256 not built; ${fallback}`);
  process.exit(0);
}

/** node-gyp as npm runs it for install scripts, else the copy bundled with npm, else from PATH. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const candidate of candidates) if (candidate && existsSync(candidate)) return [process.execPath, candidate];
  return ['node-gyp'];
}

// Node's own headers where this Node was installed with them (Debian's does), so that node-gyp
// never tries to download them; npm may name another place (npm_config_nodedir), which wins.
const prefix = join(dirname(process.execPath), '..');
const nodedir = !process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];

const [command, ...script] = nodeGyp();
const result = spawnSync(command, [...script, 'rebuild', '--directory', directory, ...nodedir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status === 0 && existsSync(join(directory, 'build', 'Release', 'atlog_node_hash.node'))) {
  console.log('atlog: built the native SHA-256 of interior nodes (log/tree/native/build)');
} else {
  const reason = result.error?.message ?? (result.stderr || result.stdout || '').trim().split('\n').filter((line) => /error/i.test(line))[0] ?? `node-gyp exited with ${result.status}`;
  console.warn(`atlog: native SHA-256 not built (${reason.trim()}); ${fallback}`);
}
