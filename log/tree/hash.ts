import { hash } from 'node:crypto';
import { createNativeNodeHasher } from './native-node-hasher.js';
import { MAX_FOLD_BYTES, type NodeHasher, createWasmNodeHasher } from './sha256-node.js';

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

/**
 * node:crypto's SHA-256 of `input` as a new Uint8Array. Asked for a 'buffer', hash() lowercases
 * the encoding's name and has C++ make a Buffer on every call; asked for 'binary' (latin1) it
 * returns a 32-character string whose characters are the digest's bytes. 0.5-0.9 µs less per
 * hash right after an ES256 check, 0.2-0.4 µs in a tight loop: a receipt's verifier hashes its
 * leaf so.
 */
function sha256(input: Uint8Array): Uint8Array {
  const digest = hash('sha256', input, 'binary');
  const out = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < HASH_SIZE; i++) out[i] = digest.charCodeAt(i);
  return out;
}

/** SHA-256(0x00 ‖ entry): the leaf hash, which is also the entry's id in the log. */
export function hashLeaf(entry: Uint8Array): Uint8Array {
  if (entry.length < leafInput.length) {
    leafInput.set(entry, 1);
    return sha256(leafInput.subarray(0, 1 + entry.length));
  }
  const input = new Uint8Array(1 + entry.length);
  input[0] = LEAF_PREFIX;
  input.set(entry, 1);
  return sha256(input);
}

/**
 * SHA-256 of a leaf record that already holds 0x00 ‖ entry (the sequencer keeps its copies so):
 * the same bytes as `hashLeaf(record.subarray(1))`, without copying the entry again.
 */
export function hashLeafRecord(record: Uint8Array): Uint8Array {
  if (record[0] !== LEAF_PREFIX) throw new Error('a leaf record starts with the leaf prefix 0x00');
  // Through the latin1 digest too: for the sequencer's 0.5 KiB records 1.2 µs became 0.7 µs, and
  // the 32-byte result lives on the JS heap instead of in a backing store the collector tracks.
  return sha256(record);
}

// One 65-byte scratch input for interior hashes: hashing is synchronous, so no caller can observe
// it, and it saves an allocation on the hottest path of appends and proofs.
const nodeInput = new Uint8Array(1 + 2 * HASH_SIZE);
nodeInput[0] = NODE_PREFIX;

/** SHA-256(0x01 ‖ left ‖ right) through node:crypto: where WebAssembly is not available. */
export function hashChildrenWithNodeCrypto(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  return sha256(nodeInput);
}

// Interior nodes are hashed by the fastest engine this process has, all giving the same bytes:
// - the native one (native-node-hasher.ts: SHA-NI, ~0.12 µs a node), loaded at the first node,
//   where `npm ci` built it and the CPU has the instructions;
// - otherwise the specialised SHA-256 of sha256-node.ts in WebAssembly (~0.4 µs), about twice as
//   fast as node:crypto (whose cost is mostly the call into C++); making it (emitting, compiling,
//   filling its table) takes 10-30 ms, which a command that hashes a few dozen nodes would never
//   win back, so the first WASM_AFTER nodes of such a process go through node:crypto;
// - node:crypto where neither exists.
const WASM_AFTER = 256;
let nodesHashed = 0;
let engine: NodeHashEngine = 'node:crypto';
let fast: NodeHasher | undefined;
let nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => {
  if (nodesHashed === 0) {
    fast = createNativeNodeHasher();
    if (fast !== undefined) return use(fast, 'native')(left, right);
  }
  if (++nodesHashed === WASM_AFTER) {
    fast = createWasmNodeHasher();
    if (fast !== undefined) use(fast, 'wasm');
  }
  return hashChildrenWithNodeCrypto(left, right);
};

function use(hasher: NodeHasher, name: NodeHashEngine): NodeHasher['hash'] {
  nodeHash = hasher.hash;
  engine = name;
  return nodeHash;
}

/** The SHA-256 engines of interior nodes, fastest first. */
export type NodeHashEngine = 'native' | 'wasm' | 'node:crypto';

/**
 * Which SHA-256 hashChildren runs on now: the native one from a process's first node where it is
 * built and the CPU has SHA extensions; otherwise node:crypto for the first 256 nodes, then
 * WebAssembly.
 */
export function nodeHashEngine(): NodeHashEngine {
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

/**
 * Folds a path of sibling hashes into `start`, the way an inclusion proof climbs to its root:
 * for each level i the running hash r becomes H(sibling, r) when bit i of the 64-bit mask
 * (`leftHigh`:`leftLow`) is set, else H(r, sibling). Sibling i is the 32 bytes at
 * `source[offset + i·stride]` (stride 32 for packed hashes, 34 for a receipt's CBOR, where each
 * hash has a two-byte head). One call into the native or WebAssembly hasher for the whole path;
 * before either exists, node by node through node:crypto, which gives the same bytes.
 */
export function foldPath(
  start: Uint8Array,
  source: Uint8Array,
  offset: number,
  stride: number,
  count: number,
  leftLow: number,
  leftHigh: number,
): Uint8Array {
  if (start.length !== HASH_SIZE) throw new RangeError(`a path starts from a ${HASH_SIZE}-byte hash`);
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(stride) ||
    !Number.isSafeInteger(count) ||
    offset < 0 ||
    stride < HASH_SIZE ||
    count < 0 ||
    count > 64 ||
    (count > 0 && offset + (count - 1) * stride + HASH_SIZE > source.length)
  ) {
    throw new RangeError('the siblings of a path must lie inside its source, at most 64 of them');
  }
  if (count === 0) return start;
  if (fast !== undefined && count * stride <= MAX_FOLD_BYTES) return fast.fold(start, source, offset, stride, count, leftLow, leftHigh);
  let running = start;
  for (let i = 0; i < count; i++) {
    const at = offset + i * stride;
    const sibling = source.subarray(at, at + HASH_SIZE);
    const left = i < 32 ? (leftLow >>> i) & 1 : (leftHigh >>> (i - 32)) & 1;
    running = left === 1 ? nodeHash(sibling, running) : nodeHash(running, sibling);
  }
  return running;
}

// Where a list of siblings is packed for foldPath: synchronous, so no caller can observe it.
const packed = new Uint8Array(64 * HASH_SIZE);

/** {@link foldPath} for siblings given as separate 32-byte arrays (at most 64). */
export function foldPathList(start: Uint8Array, siblings: readonly Uint8Array[], leftLow: number, leftHigh: number): Uint8Array {
  if (siblings.length > 64) throw new RangeError('a path has at most 64 siblings');
  for (let i = 0; i < siblings.length; i++) {
    const sibling = siblings[i]!;
    if (sibling.length !== HASH_SIZE) throw new RangeError(`interior node inputs must be ${HASH_SIZE}-byte hashes`);
    packed.set(sibling, i * HASH_SIZE);
  }
  return foldPath(start, packed, 0, HASH_SIZE, siblings.length, leftLow, leftHigh);
}
