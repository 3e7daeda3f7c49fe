// The interior-node hash against node:crypto: the native SHA-256 (native/node_hash.c, SHA-NI) and
// the WebAssembly one of sha256-node.ts must each give the same 32 bytes for every input, or every
// root, proof and receipt of the log is wrong. For each engine: every value of every input byte on
// three backgrounds, chains of thousands of nodes, and half a million fresh random inputs on
// every run of the suite (so millions over its runs; a failure prints the inputs). The RFC 9162
// vectors (vectors.test.ts) run through the engine a process picks as well.

import { hash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { HASH_SIZE, foldPath, foldPathList, hashChildren, hashChildrenWithNodeCrypto, hashLeaf, nodeHashEngine } from './hash.js';
import { SCRATCH_BYTES, createNativeNodeHasher, loadNodeHashAddon, nativeHashDisabled } from './native-node-hasher.js';
import { MAX_FOLD_BYTES, type NodeHasher, createWasmNodeHasher } from './sha256-node.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const reference = (left: Uint8Array, right: Uint8Array) => hash('sha256', Buffer.concat([Buffer.of(1), left, right]), 'hex');

function expectSame(left: Uint8Array, right: Uint8Array, hashNode: (left: Uint8Array, right: Uint8Array) => Uint8Array = hashChildren): void {
  const got = hex(hashNode(left, right));
  // Compared as strings, and the inputs named on failure so that they can be replayed.
  if (got !== reference(left, right)) expect({ left: hex(left), right: hex(right), got }).toEqual({ left: hex(left), right: hex(right), got: reference(left, right) });
}

// The native hasher must be there wherever it can be: built (npm ci did it; .ci/run checks that
// it did on the CI machine), not disabled, on an x86-64 CPU with SHA-NI.
const ADDON = fileURLToPath(new URL('./native/build/Release/atlog_node_hash.node', import.meta.url));
const cpuHasShaNi = process.arch === 'x64' && existsSync('/proc/cpuinfo') && /^flags\s*:.*\bsha_ni\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
const nativeExpected = existsSync(ADDON) && cpuHasShaNi && !nativeHashDisabled();

/** A fresh instance of hash.js, as a process with ATLOG_NATIVE_HASH=0 has it. */
async function withoutNative(run: (fresh: typeof import('./hash.js')) => void): Promise<void> {
  vi.stubEnv('ATLOG_NATIVE_HASH', '0');
  vi.resetModules();
  try {
    run(await import('./hash.js'));
  } finally {
    vi.unstubAllEnvs();
  }
}

const wasmHasher = createWasmNodeHasher()!;
const nativeHasher = createNativeNodeHasher();
const engines: [string, NodeHasher][] = [['wasm', wasmHasher], ...(nativeHasher ? [['native', nativeHasher] as [string, NodeHasher]] : [])];

describe('hashChildren: SHA-256(0x01 ‖ left ‖ right)', () => {
  it('runs on the native SHA-256 from a process’s first node where it is built and the CPU has SHA-NI', () => {
    // (This file's first test: nothing else has hashed nodes in this worker yet.)
    expect(nodeHashEngine()).toBe('node:crypto');
    expect(nativeHasher !== undefined).toBe(nativeExpected);
    const [left, right] = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
    expectSame(left, right);
    expect(nodeHashEngine()).toBe(nativeExpected ? 'native' : 'node:crypto');
  });

  it('without the native one: node:crypto for a process’s first 256 nodes, then the WebAssembly SHA-256', async () => {
    await withoutNative((fresh) => {
      expect(fresh.nodeHashEngine()).toBe('node:crypto');
      const [left, right] = [new Uint8Array(randomBytes(32)), new Uint8Array(randomBytes(32))];
      const expected = reference(left, right);
      for (let i = 0; i < 255; i++) expect(hex(fresh.hashChildren(left, right))).toBe(expected);
      expect(fresh.nodeHashEngine()).toBe('node:crypto');
      expect(hex(fresh.hashChildren(right, left))).toBe(reference(right, left)); // the 256th: made now, this one still through node:crypto
      expect(fresh.nodeHashEngine()).toBe('wasm');
      expect(hex(fresh.hashChildren(left, right))).toBe(expected);
    });
  });

  it('ATLOG_NATIVE_HASH=0 keeps the native hasher out', () => {
    expect(nativeHashDisabled({ ATLOG_NATIVE_HASH: '0' })).toBe(true);
    expect(nativeHashDisabled({ ATLOG_NATIVE_HASH: '1' })).toBe(false);
    expect(nativeHashDisabled({})).toBe(false);
    expect(createNativeNodeHasher({ ATLOG_NATIVE_HASH: '0' })).toBeUndefined();
  });

  describe.each(engines)('the %s engine', (_name, hasher) => {
    const expectSameOn = (left: Uint8Array, right: Uint8Array) => expectSame(left, right, hasher.hash);

    it('agrees with node:crypto on every value of every byte, on zeros, ones and random bytes around it', () => {
      for (const background of [new Uint8Array(64), new Uint8Array(64).fill(0xff), new Uint8Array(randomBytes(64))]) {
        for (let position = 0; position < 64; position++) {
          for (let value = 0; value < 256; value++) {
            const input = background.slice();
            input[position] = value;
            expectSameOn(input.subarray(0, 32), input.subarray(32));
          }
        }
      }
    });

    it('agrees with node:crypto on half a million random inputs (fresh on every run)', () => {
      const COUNT = 1 << 19;
      const CHUNK = 1 << 14;
      for (let done = 0; done < COUNT; done += CHUNK) {
        const random = new Uint8Array(randomBytes(64 * CHUNK));
        for (let i = 0; i < CHUNK; i++) {
          const left = random.subarray(64 * i, 64 * i + 32);
          const right = random.subarray(64 * i + 32, 64 * i + 64);
          const got = hasher.hash(left, right);
          if (Buffer.compare(got, hashChildrenWithNodeCrypto(left, right)) !== 0) expectSameOn(left, right);
        }
      }
    });

    it('agrees along chains of nodes, the result of each the next one’s left or right child', () => {
      let mine: Uint8Array = new Uint8Array(randomBytes(32));
      let theirs = mine;
      for (let i = 0; i < 5000; i++) {
        const sibling = new Uint8Array(randomBytes(32));
        const left = i % 3 === 0;
        mine = left ? hasher.hash(sibling, mine) : hasher.hash(mine, sibling);
        theirs = left ? hashChildrenWithNodeCrypto(sibling, theirs) : hashChildrenWithNodeCrypto(theirs, sibling);
      }
      expect(hex(mine)).toBe(hex(theirs));
    });

    it('folds as node:crypto does node by node: every length to 64, packed and strided, random sides', () => {
      const fold: typeof foldPath = (start, source, offset, stride, count, low, high) =>
        count === 0 ? start : hasher.fold(start, source, offset, stride, count, low, high);
      const foldList: typeof foldPathList = (start, siblings, low, high) => {
        const packed = new Uint8Array(32 * siblings.length);
        siblings.forEach((sibling, i) => packed.set(sibling, 32 * i));
        return fold(start, packed, 0, 32, siblings.length, low, high);
      };
      checkFolds(fold, foldList);
    });
  });

  it('the addon checks its scratch and a fold’s parameters itself, whatever JavaScript passed', () => {
    const addon = loadNodeHashAddon();
    expect(addon !== undefined).toBe(existsSync(ADDON)); // (ATLOG_NATIVE_HASH=0 stops its use, not its loading)
    if (addon === undefined) return;
    expect(addon.available()).toBe(cpuHasShaNi);
    for (const scratch of [new ArrayBuffer(SCRATCH_BYTES - 1), new Uint8Array(SCRATCH_BYTES), undefined, 7, {}]) {
      expect(() => addon.node(scratch as ArrayBuffer)).toThrow(TypeError);
      expect(() => addon.fold(scratch as ArrayBuffer)).toThrow(TypeError);
    }
    if (!cpuHasShaNi) return;
    const scratch = new ArrayBuffer(SCRATCH_BYTES);
    const params = new Uint32Array(scratch, 128, 4);
    const running = new Uint8Array(scratch, 0, 32);
    for (const [count, stride] of [[65, 32], [2, 31], [2, 0], [0xffff_ffff, 32], [2, MAX_FOLD_BYTES], [1, MAX_FOLD_BYTES + 1], [64, 130]]) {
      running.fill(7);
      params.set([count!, stride!, 0, 0]);
      expect(() => addon.fold(scratch), `count ${count}, stride ${stride}`).toThrow(RangeError);
      expect(running.every((byte) => byte === 7)).toBe(true); // nothing hashed
    }
    // the longest fold that fits: 64 levels at stride 128, the last sibling ending at the scratch's end
    params.set([64, 128, 0, 0]);
    expect(() => addon.fold(scratch)).not.toThrow();
    const bytes = new Uint8Array(scratch);
    const siblings = Array.from({ length: 64 }, (_, i) => bytes.slice(160 + 128 * i, 160 + 128 * i + 32));
    expect(hex(running)).toBe(referenceFold(new Uint8Array(32).fill(7), siblings, 0, 0));
  });

  it('known answers (computed with sha256sum): zeros, ones, and the node over two empty-tree roots', () => {
    const empty = Buffer.from('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex');
    expect(hex(hashChildren(new Uint8Array(32), new Uint8Array(32)))).toBe('ae0798d0ecaed2b778eddebf18f071a561c53658c05e76cedecc27cafbdbc577');
    expect(hex(hashChildren(new Uint8Array(32).fill(0xff), new Uint8Array(32).fill(0xff)))).toBe(
      '1f94c635f1e71c09c04eddf83bf07f5b7f1ad772e98df90349f9054c403a0cfc',
    );
    expect(hex(hashChildren(empty, empty))).toBe('a68ee79dc12813d134fd035c7328f7bd5ee68187735f7f0d2e451aea3ff6930f');
  });

  it('returns a new array every time, never a view of its working memory', () => {
    const [a, b, c] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    const first = hashChildren(a, b);
    const copy = hex(first);
    const second = hashChildren(b, c);
    expect(hex(first)).toBe(copy);
    first.fill(0);
    expect(hex(hashChildren(a, b))).toBe(copy);
    expect(hex(second)).toBe(reference(b, c));
    expect(first.buffer).not.toBe(second.buffer);
    expect(first.byteLength).toBe(HASH_SIZE);
  });

  it('takes Buffers and views at any offset, and refuses inputs of any other length', () => {
    const backing = randomBytes(100);
    expect(hex(hashChildren(backing.subarray(3, 35), new Uint8Array(backing.buffer, backing.byteOffset + 61, 32)))).toBe(
      reference(backing.subarray(3, 35), backing.subarray(61, 93)),
    );
    for (const [left, right] of [[31, 32], [32, 33], [0, 0], [64, 0]] as const) {
      expect(() => hashChildren(new Uint8Array(left), new Uint8Array(right))).toThrow(RangeError);
    }
  });

  it('without WebAssembly there is no WebAssembly hasher, and node:crypto does the work', () => {
    vi.stubGlobal('WebAssembly', undefined);
    try {
      expect(createWasmNodeHasher()).toBeUndefined();
    } finally {
      vi.unstubAllGlobals();
    }
    expect(createWasmNodeHasher()).toBeDefined();
  });
});

/** The fold the slow way: node by node through node:crypto. */
function referenceFold(start: Uint8Array, siblings: readonly Uint8Array[], low: number, high: number): string {
  let running = start;
  siblings.forEach((sibling, i) => {
    const left = ((i < 32 ? low >>> i : high >>> (i - 32)) & 1) === 1;
    running = left ? hashChildrenWithNodeCrypto(sibling, running) : hashChildrenWithNodeCrypto(running, sibling);
  });
  return hex(running);
}

/** `siblings` laid out `stride` bytes apart from `offset`, with random bytes in between. */
function laidOut(siblings: readonly Uint8Array[], offset: number, stride: number): Uint8Array {
  const source = new Uint8Array(randomBytes(offset + siblings.length * stride + 5));
  siblings.forEach((sibling, i) => source.set(sibling, offset + i * stride));
  return source;
}

const random32 = () => randomBytes(4).readUInt32LE(0) | 0;

function checkFolds(fold: typeof foldPath, foldList: typeof foldPathList): void {
  for (let count = 0; count <= 64; count++) {
    for (const stride of [32, 34, 47]) {
      const start = new Uint8Array(randomBytes(32));
      const siblings = Array.from({ length: count }, () => new Uint8Array(randomBytes(32)));
      const [low, high] = [random32(), random32()];
      const expected = referenceFold(start, siblings, low, high);
      const offset = count % 5;
      const got = fold(start, laidOut(siblings, offset, stride), offset, stride, count, low, high);
      if (hex(got) !== expected) expect({ count, stride, low, high, got: hex(got) }).toEqual({ count, stride, low, high, got: expected });
      if (stride === 32) expect(hex(foldList(start, siblings, low, high))).toBe(expected);
    }
  }
  // every side at every level, in a path of 53 (a tree of 2^53 - 1 leaves)
  const siblings = Array.from({ length: 53 }, () => new Uint8Array(randomBytes(32)));
  const start = new Uint8Array(randomBytes(32));
  for (const [low, high] of [[0, 0], [-1, -1], [0x5555_5555, 0x0aaa_aaaa], [1, 0], [0, 1 << 20], [-2147483648, 0]]) {
    expect(hex(fold(start, laidOut(siblings, 0, 34), 0, 34, 53, low!, high!))).toBe(referenceFold(start, siblings, low!, high!));
  }
}

describe('foldPath: a whole path of interior nodes in one call', () => {
  it('agrees with node:crypto node by node: every length to 64, packed and strided, random sides', () => {
    for (let i = 0; i < 256; i++) hashChildren(new Uint8Array(32), new Uint8Array(32)); // past node:crypto's first 256
    expect(nodeHashEngine()).toBe(nativeExpected ? 'native' : 'wasm');
    checkFolds(foldPath, foldPathList);
  });

  it('agrees on node:crypto too, before the WebAssembly hasher exists', async () => {
    await withoutNative((fresh) => {
      expect(fresh.nodeHashEngine()).toBe('node:crypto');
      checkFolds(fresh.foldPath, fresh.foldPathList); // (and switches engine part-way through)
      expect(fresh.nodeHashEngine()).toBe('wasm');
    });
  });

  it('returns the start itself for an empty path, and a new array otherwise', () => {
    const start = new Uint8Array(randomBytes(32));
    expect(foldPath(start, new Uint8Array(0), 0, 32, 0, 0, 0)).toBe(start);
    const sibling = new Uint8Array(randomBytes(32));
    const first = foldPath(start, sibling, 0, 32, 1, 0, 0);
    const second = foldPath(start, sibling, 0, 32, 1, 1, 0);
    expect(hex(first)).toBe(reference(start, sibling));
    expect(hex(second)).toBe(reference(sibling, start));
    expect(first.buffer).not.toBe(second.buffer);
  });

  it('refuses siblings outside the source, a short start, a short stride and over 64 levels', () => {
    const source = new Uint8Array(34 * 10);
    const start = new Uint8Array(32);
    expect(() => foldPath(start, source, 0, 34, 10, 0, 0)).not.toThrow(); // the last one ends 2 bytes early
    expect(() => foldPath(start, source, 3, 34, 10, 0, 0)).toThrow(RangeError);
    expect(() => foldPath(start, source, 0, 34, 11, 0, 0)).toThrow(RangeError);
    expect(() => foldPath(start, source, -1, 34, 1, 0, 0)).toThrow(RangeError);
    expect(() => foldPath(start, source, 0, 31, 2, 0, 0)).toThrow(RangeError);
    expect(() => foldPath(start, source, 0.5, 34, 1, 0, 0)).toThrow(RangeError);
    expect(() => foldPath(new Uint8Array(31), source, 0, 34, 1, 0, 0)).toThrow(RangeError);
    expect(() => foldPath(start, new Uint8Array(65 * 32), 0, 32, 65, 0, 0)).toThrow(RangeError);
    expect(() => foldPathList(start, [new Uint8Array(32), new Uint8Array(33)], 0, 0)).toThrow(RangeError);
    expect(() => foldPathList(start, Array.from({ length: 65 }, () => new Uint8Array(32)), 0, 0)).toThrow(RangeError);
  });
});

describe('hashLeaf: SHA-256(0x00 ‖ entry), through a reused scratch input', () => {
  const leafReference = (entry: Uint8Array) => hash('sha256', Buffer.concat([Buffer.of(0), entry]), 'hex');

  it('agrees with node:crypto at every length to 300 and around the scratch size, in any order', () => {
    const lengths = [...Array.from({ length: 301 }, (_, i) => i), 65_535, 65_536, 65_537, 70_000, 3, 0];
    for (const length of lengths) {
      const entry = new Uint8Array(randomBytes(length));
      expect(hex(hashLeaf(entry))).toBe(leafReference(entry));
    }
    // a short entry right after a long one hashes only its own bytes
    hashLeaf(new Uint8Array(60_000).fill(0xee));
    expect(hex(hashLeaf(Uint8Array.of(7)))).toBe(leafReference(Uint8Array.of(7)));
    expect(hex(hashLeaf(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  it('takes views at any offset, and returns independent results', () => {
    const backing = randomBytes(500);
    const first = hashLeaf(backing.subarray(7, 300));
    const second = hashLeaf(backing.subarray(1, 2));
    expect(hex(first)).toBe(leafReference(backing.subarray(7, 300)));
    expect(hex(second)).toBe(leafReference(backing.subarray(1, 2)));
  });
});
