import { hash } from 'node:crypto';
import { createWasmNodeHasher } from './sha256-node.js';

/** Every hash in an RFC 9162 SHA-256 tree is this long. */
export const HASH_SIZE = 32;

/** MTH({}): the root of the empty tree is SHA-256 of nothing. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(hash('sha256', new Uint8Array(0), 'buffer'));

/** RFC 9162's domain separation: 0x00 before a leaf's entry, 0x01 before two child hashes. */
export const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

// A scratch input for leaf hashes too, for entries up to 64 KiB (the log takes no larger ones):
// a verifier hashes one leaf per receipt, and a fresh array for it was one more allocation and
// zero-fill beside the ES256 check (see docs/benchmarks.md).
const leafInput = new Uint8Array(1 + 64 * 1024);
leafInput[0] = LEAF_PREFIX;

/** SHA-256(0x00 ‖ entry): the leaf hash, which is also the entry's id in the log. */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  if (entry.length < leafInput.length) {
    leafInput.set(entry, 1);
    return hash('sha256', leafInput.subarray(0, 1 + entry.length), 'buffer');
  }
  const input = new Uint8Array(1 + entry.length);
  input[0] = LEAF_PREFIX;
  input.set(entry, 1);
  return hash('sha256', input, 'buffer');
}

/**
 * SHA-256 of a leaf record that already holds 0x00 ‖ entry (the sequencer keeps its copies so):
 * the same bytes as `hashLeaf(record.subarray(1))`, without copying the entry again.
 */
export function hashLeafRecord(record: Uint8Array): Uint8Array {
  if (record[0] !== LEAF_PREFIX) throw new Error('a leaf record starts with the leaf prefix 0x00');
  return hash('sha256', record, 'buffer');
}

// One 65-byte scratch input for interior hashes: hashing is synchronous, so no caller can observe
// it, and it saves an allocation on the hottest path of appends and proofs.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/** SHA-256(0x01 ‖ left ‖ right) through node:crypto: where WebAssembly is not available. */
export function hashChildrenWithNodeCrypto(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return hash('sha256', nodeInput, 'buffer');
}

// The specialised SHA-256 of sha256-node.ts is about twice as fast as node:crypto on these inputs
// (whose cost is mostly the call into C++), but making it (emitting, compiling, filling its
// table) takes 10-30 ms, which a command that hashes a few dozen nodes would never win back. So
// the first WASM_AFTER nodes of a process go through node:crypto, and the WebAssembly hasher is
// made then, once (where WebAssembly is unavailable, node:crypto stays). Both give the same bytes.
const WASM_AFTER = 256;
let nodesHashed = 0;
let engine: 'wasm' | 'node:crypto' = 'node:crypto';
let nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (++nodesHashed === WASM_AFTER) {
    const wasm = createWasmNodeHasher();
    if (wasm !== undefined) {
      nodeHash = wasm.hash;
      engine = 'wasm';
    }
  }
  return hashChildrenWithNodeCrypto(left, right);
};

/** Which SHA-256 hashChildren runs on now: node:crypto for a process's first 256 nodes, then WebAssembly. */
export function nodeHashEngine(): 'wasm' | 'node:crypto' {
  return engine;
}

/** SHA-256(0x01 ‖ left ‖ right): an interior node. Both inputs must be 32-byte hashes. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  // A short input would silently hash stale scratch bytes: refuse it outright.
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError(`interior node inputs must be ${HASH_SIZE}-byte hashes`);
  }
  return nodeHash(left, right);
}
