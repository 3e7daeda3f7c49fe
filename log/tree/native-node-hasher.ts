// The interior-node hasher on the CPU's SHA extensions: the addon built from native/node_hash.c
// by `npm ci` (native/build.mjs). It is optional: where it was not built, cannot load, or
// the CPU has no SHA-NI, createNativeNodeHasher() answers undefined and the caller keeps the
// WebAssembly hasher, which gives the same bytes ~4 times slower.
//
// Each hasher has one ArrayBuffer (the scratch), and the addon's calls take it as their only
// argument: a call reads its inputs and parameters from it and writes its result into it, exactly
// as the WebAssembly hasher works in its memory. N-API calls with an argument per input cost
// several times the hash itself (see docs/decisions.md). The offsets below are node_hash.c's.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MAX_FOLD_BYTES, type NodeHasher } from './sha256-node.js';

const RUNNING = 0;
const LEFT = 32;
const RIGHT = 64;
const DIGEST = 96;
const PARAMS = 128;
const SIBLINGS = 160;
/** The scratch's size: the siblings of the longest fold after the fixed fields. */
export const SCRATCH_BYTES = SIBLINGS + MAX_FOLD_BYTES;

/** What node_hash.c exports. */
export interface NodeHashAddon {
  available(): boolean;
  node(scratch: ArrayBuffer): void;
  fold(scratch: ArrayBuffer): void;
}

/** Where the build leaves the addon, seen from this file in the source tree and in dist/. */
const ADDON_PATHS = ['./native/build/Release/atlog_node_hash.node', '../../../log/tree/native/build/Release/atlog_node_hash.node'];

/** Set ATLOG_NATIVE_HASH=0 to keep the addon out (it is then neither built nor loaded). */
export function nativeHashDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env['ATLOG_NATIVE_HASH'] === '0';
}

/** The addon itself, or undefined where it is not built or cannot load (exported for its tests). */
export function loadNodeHashAddon(): NodeHashAddon | undefined {
  const require = createRequire(import.meta.url);
  for (const path of ADDON_PATHS) {
    try {
      return require(fileURLToPath(new URL(path, import.meta.url))) as NodeHashAddon;
    } catch {
      // not built there, or not loadable on this platform: try the next place
    }
  }
  return undefined;
}

/**
 * The native node hasher for this thread, or undefined where it is not built, fails to load, is
 * disabled, or the CPU lacks SHA extensions.
 */
export function createNativeNodeHasher(env: NodeJS.ProcessEnv = process.env): NodeHasher | undefined {
  // (Each hasher has its own scratch: hashers, threads and module instances never share one.)
  if (nativeHashDisabled(env)) return undefined;
  const addon = loadNodeHashAddon();
  if (addon === undefined) return undefined;
  if (addon.available() !== true) return undefined;
  const scratch = new ArrayBuffer(SCRATCH_BYTES);
  const bytes = new Uint8Array(scratch);
  const params = new Uint32Array(scratch, PARAMS, 4);
  const node = addon.node;
  const fold = addon.fold;
  return {
    hash(left, right) {
      bytes.set(left, LEFT);
      bytes.set(right, RIGHT);
      node(scratch);
      return bytes.slice(DIGEST, DIGEST + 32);
    },
    fold(start, source, offset, stride, count, leftLow, leftHigh) {
      bytes.set(start, RUNNING);
      if (count > 0) bytes.set(source.subarray(offset, offset + (count - 1) * stride + 32), SIBLINGS);
      params[0] = count;
      params[1] = stride;
      params[2] = leftLow;
      params[3] = leftHigh;
      fold(scratch);
      return bytes.slice(RUNNING, RUNNING + 32);
    },
  };
}
