// SHA-256 of an interior node's input, 0x01 ‖ left ‖ right (65 bytes), as WebAssembly written here.
//
// node:crypto's one-shot hash costs ~0.9 µs for these 65 bytes, nearly all of it the call into
// C++ and back (the CPU hashes them with SHA-NI in a few dozen nanoseconds). A verifier spends one
// per level of a proof: 20 at a million leaves, a quarter of an ES256 check. WebAssembly has no
// SHA instructions, but it enters and leaves for ~10 ns, and the input's fixed length allows two
// short cuts a general SHA-256 cannot take:
//
// - the message is two blocks: block 1 is 0x01 ‖ left ‖ right[0..31), block 2 is right[31], the
//   padding byte 0x80, zeros and the bit length 520. Block 2's message schedule depends on that
//   one byte only, so K[t] + W[t] for all 64 rounds is a table of 256 × 64 words made once;
// - block 1 starts from the constant IV.
//
// A proof's path is folded in one call (`fold`): its hashes are copied into the module's memory
// once and the loop over the levels runs inside, so a level costs its two compressions and
// nothing else (one call, copy in and result out per level was a third of its time).
//
// The module is emitted from the code below (no toolchain, nothing prebuilt): the 64 rounds of
// each block are unrolled with the working variables renamed instead of moved, and block 1's
// message schedule is computed round by round as it is needed. Each word is read as a
// little-endian i32 and byte-swapped, since SHA-256 is big-endian.
//
// Correctness is everything here and speed only a bonus: hash.test.ts compares it with
// node:crypto on every value of every input byte and on millions of random inputs across runs.

/** SHA-256 round constants (FIPS 180-4 §4.2.2). */
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
] as const;

/** SHA-256 initial hash value (FIPS 180-4 §5.3.3). */
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19] as const;

// Memory: block 2's K + W table (256 entries of 64 words), then the two children, the digest, the
// running hash of a fold and the siblings it folds in.
const TABLE = 0;
const TABLE_BYTES = 256 * 64 * 4;
const LEFT = TABLE_BYTES;
const RIGHT = LEFT + 32;
const DIGEST = RIGHT + 32;
const RUNNING = DIGEST + 32;
const SIBLINGS = RUNNING + 32;
/** Room for the siblings of one fold: more levels than any tree of 2^53 leaves has, at any stride up to 64. */
export const MAX_FOLD_BYTES = 128 * 64;
const PAGES = 2; // 64 KiB each: the table fills the first, the rest sits at the start of the second

/** The little of the WebAssembly JS API used here (@types/node does not declare it; lib.dom does). */
interface WebAssemblyApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** Hashes interior nodes; each call's result is a new array. */
export interface NodeHasher {
  /** SHA-256(0x01 ‖ left ‖ right); both must be 32 bytes (the caller checks). */
  hash(left: Uint8Array, right: Uint8Array): Uint8Array;
  /**
   * Folds `count` siblings into `start`, level by level: the running hash r becomes H(s, r) when
   * bit i of the mask (`leftLow` bits 0-31, `leftHigh` bits 32-63) says sibling i is on the left,
   * else H(r, s). Sibling i is the 32 bytes at `source[offset + i·stride]`: packed hashes (stride
   * 32) or hashes with a CBOR head between them, as in a receipt (stride 34). The caller checks
   * that `start` is 32 bytes, that every sibling lies inside `source`, and that count·stride is
   * at most {@link MAX_FOLD_BYTES}.
   */
  fold(start: Uint8Array, source: Uint8Array, offset: number, stride: number, count: number, leftLow: number, leftHigh: number): Uint8Array;
}

/**
 * The WebAssembly node hasher, or undefined where WebAssembly is unavailable (`node --jitless`)
 * or refuses the module, in which case the caller hashes with node:crypto.
 */
export function createWasmNodeHasher(): NodeHasher | undefined {
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (wasm === undefined) return undefined;
  let exports: Record<string, unknown>;
  try {
    exports = new wasm.Instance(new wasm.Module(nodeHashModule()), {}).exports;
  } catch {
    return undefined;
  }
  const memory = exports['memory'] as { readonly buffer: ArrayBuffer };
  const node = exports['node'] as (left: number, right: number, out: number) => void;
  const fold = exports['fold'] as (count: number, siblings: number, stride: number, leftLow: number, leftHigh: number) => void;
  const bytes = new Uint8Array(memory.buffer);
  fillBlock2Table(new DataView(memory.buffer, TABLE, TABLE_BYTES));
  return {
    hash(left, right) {
      bytes.set(left, LEFT);
      bytes.set(right, RIGHT);
      node(LEFT, RIGHT, DIGEST);
      return bytes.slice(DIGEST, DIGEST + 32);
    },
    fold(start, source, offset, stride, count, leftLow, leftHigh) {
      bytes.set(start, RUNNING);
      // One copy of the whole run, head bytes and all: cheaper than a copy per sibling.
      if (count > 0) bytes.set(source.subarray(offset, offset + (count - 1) * stride + 32), SIBLINGS);
      fold(count, SIBLINGS, stride, leftLow, leftHigh);
      return bytes.slice(RUNNING, RUNNING + 32);
    },
  };
}

/** K[t] + W[t] of block 2 for each value of its first byte, little-endian as the module reads them. */
function fillBlock2Table(table: DataView): void {
  const w = new Int32Array(64);
  for (let byte = 0; byte < 256; byte++) {
    w.fill(0);
    w[0] = (byte << 24) | 0x80_0000; // right[31], then the padding bit
    w[15] = 65 * 8; // the message length in bits
    for (let t = 16; t < 64; t++) w[t] = (w[t - 16]! + sigma0(w[t - 15]!) + w[t - 7]! + sigma1(w[t - 2]!)) | 0;
    for (let t = 0; t < 64; t++) table.setInt32(4 * (64 * byte + t), (K[t]! + w[t]!) | 0, true);
  }
}

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
const sigma0 = (x: number) => rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
const sigma1 = (x: number) => rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10);

// ---------------------------------------------------------------------------------------------
// The module: one exported function `node()` (hashes LEFT ‖ RIGHT into DIGEST) and its memory.

/** Emits a function body: i32 params and locals only, instructions appended in stack order. */
class FunctionBody {
  private readonly code: number[] = [];
  private locals: number;

  /** The first `params` locals are the function's parameters. */
  constructor(private readonly params = 0) {
    this.locals = params;
  }

  local(): number {
    return this.locals++;
  }

  get(local: number): this {
    return this.emit(0x20, ...unsignedLeb(local));
  }

  set(local: number): this {
    return this.emit(0x21, ...unsignedLeb(local));
  }

  tee(local: number): this {
    return this.emit(0x22, ...unsignedLeb(local));
  }

  constant(value: number): this {
    return this.emit(0x41, ...signedLeb(value | 0));
  }

  add(): this {
    return this.emit(0x6a);
  }

  and(): this {
    return this.emit(0x71);
  }

  or(): this {
    return this.emit(0x72);
  }

  xor(): this {
    return this.emit(0x73);
  }

  shl(): this {
    return this.emit(0x74);
  }

  shrU(): this {
    return this.emit(0x76);
  }

  rotl(): this {
    return this.emit(0x77);
  }

  rotr(): this {
    return this.emit(0x78);
  }

  /** i32.load from the address on the stack plus `offset` (alignment hint 4). */
  load(offset: number): this {
    return this.emit(0x28, 2, ...unsignedLeb(offset));
  }

  /** i32.store of the value on the stack at the address below it plus `offset`. */
  store(offset: number): this {
    return this.emit(0x36, 2, ...unsignedLeb(offset));
  }

  /** Pushes rotr(local, n). */
  rotated(local: number, n: number): this {
    return this.get(local).constant(n).rotr();
  }

  /** Replaces the i32 on the stack with its bytes reversed (a big-endian word read or written). */
  byteSwap(scratch: number): this {
    return this.tee(scratch).constant(8).rotl().constant(0x00ff00ff).and().get(scratch).constant(8).rotr().constant(0xff00ff00).and().or();
  }

  sub(): this {
    return this.emit(0x6b);
  }

  eqz(): this {
    return this.emit(0x45);
  }

  call(index: number): this {
    return this.emit(0x10, ...unsignedLeb(index));
  }

  /** block / loop / if with no result; each closed by {@link end}. */
  block(): this {
    return this.emit(0x02, 0x40);
  }

  loop(): this {
    return this.emit(0x03, 0x40);
  }

  if(): this {
    return this.emit(0x04, 0x40);
  }

  else(): this {
    return this.emit(0x05);
  }

  end(): this {
    return this.emit(0x0b);
  }

  br(depth: number): this {
    return this.emit(0x0c, ...unsignedLeb(depth));
  }

  brIf(depth: number): this {
    return this.emit(0x0d, ...unsignedLeb(depth));
  }

  bytes(): number[] {
    const declared = this.locals - this.params;
    const declarations = declared === 0 ? [0] : [1, ...unsignedLeb(declared), 0x7f];
    return [...declarations, ...this.code, 0x0b];
  }

  private emit(...bytes: number[]): this {
    for (const byte of bytes) this.code.push(byte);
    return this;
  }
}

/** A working value: a local, or a constant known when emitting (block 1's state is the IV). */
type Word = { readonly local: number } | { readonly constant: number };

function push(f: FunctionBody, word: Word): void {
  if ('local' in word) f.get(word.local);
  else f.constant(word.constant);
}

/**
 * Emits the 64 rounds of one block from `state` and adds the state back in (FIPS 180-4 §6.2.2);
 * `pushKW(t)` pushes K[t] + W[t]. Returns the locals holding the new state.
 */
function compress(f: FunctionBody, state: readonly Word[], pushKW: (t: number) => void): number[] {
  const locals = state.map((word) => {
    if ('local' in word) return word.local;
    const local = f.local();
    f.constant(word.constant).set(local);
    return local;
  });
  let [a, b, c, d, e, g, h] = [locals[0]!, locals[1]!, locals[2]!, locals[3]!, locals[4]!, locals[6]!, locals[7]!];
  let ef = locals[5]!; // f, named so as not to shadow the function body
  const t1 = f.local();
  let bXorC: number | undefined; // a ^ b of the previous round is this round's b ^ c
  for (let t = 0; t < 64; t++) {
    // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t], with Ch = g ^ (e & (f ^ g))
    f.get(h);
    f.rotated(e, 6).rotated(e, 11).xor().rotated(e, 25).xor().add();
    f.get(g).get(e).get(ef).get(g).xor().and().xor().add();
    pushKW(t);
    f.add().set(t1);
    const newE = f.local();
    f.get(d).get(t1).add().set(newE);
    // a' = T1 + Σ0(a) + Maj(a, b, c), with Maj = b ^ ((a ^ b) & (b ^ c))
    const newA = f.local();
    const aXorB = f.local();
    f.get(t1);
    f.rotated(a, 2).rotated(a, 13).xor().rotated(a, 22).xor().add();
    f.get(b).get(a).get(b).xor().tee(aXorB);
    if (bXorC === undefined) f.get(b).get(c).xor();
    else f.get(bXorC);
    f.and().xor().add().set(newA);
    bXorC = aXorB;
    [h, g, ef, e, d, c, b, a] = [g, ef, e, newE, c, b, a, newA];
  }
  const working = [a, b, c, d, e, ef, g, h];
  return working.map((value, i) => {
    const sum = f.local();
    f.get(value);
    push(f, state[i]!);
    f.add().set(sum);
    return sum;
  });
}

/** `node(left, right, out)`: SHA-256(0x01 ‖ 32 bytes at left ‖ 32 at right) to out (may be either). */
function nodeFunction(): number[] {
  const f = new FunctionBody(3);
  const [leftAt, rightAt, outAt] = [0, 1, 2];
  const scratch = f.local();
  // The children as big-endian words, all read before anything is written.
  const word = (at: number, offset: number) => {
    const local = f.local();
    f.get(at).load(offset).byteSwap(scratch).set(local);
    return local;
  };
  const left = Array.from({ length: 8 }, (_, i) => word(leftAt, 4 * i));
  const right = Array.from({ length: 8 }, (_, i) => word(rightAt, 4 * i));

  // Block 1: W[0..15] are the 64 bytes 0x01 ‖ left ‖ right[0..31), one byte off the word grid.
  const w: number[] = [];
  const message = (high: number | undefined, low: number) => {
    const local = f.local();
    if (high === undefined) f.get(low).constant(8).shrU().constant(0x0100_0000).or().set(local);
    else f.get(high).constant(24).shl().get(low).constant(8).shrU().or().set(local);
    w.push(local);
  };
  message(undefined, left[0]!);
  for (let i = 1; i < 8; i++) message(left[i - 1]!, left[i]!);
  message(left[7]!, right[0]!);
  for (let i = 1; i < 8; i++) message(right[i - 1]!, right[i]!);
  const schedule = (t: number) => {
    // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], left on the stack and kept
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    const local = f.local();
    f.get(w[t - 16]!);
    f.rotated(x, 7).rotated(x, 18).xor().get(x).constant(3).shrU().xor().add();
    f.get(w[t - 7]!).add();
    f.rotated(y, 17).rotated(y, 19).xor().get(y).constant(10).shrU().xor().add().tee(local);
    w.push(local);
  };
  const block1 = compress(
    f,
    IV.map((constant) => ({ constant })),
    (t) => {
      if (t < 16) f.get(w[t]!);
      else schedule(t);
      f.constant(K[t]!).add();
    },
  );

  // Block 2: K + W from the table, by right[31] (the low byte of right's last word).
  const entry = f.local();
  f.get(right[7]!).constant(0xff).and().constant(8).shl().set(entry); // 256 bytes per entry
  const digest = compress(
    f,
    block1.map((local) => ({ local })),
    (t) => f.get(entry).load(TABLE + 4 * t),
  );
  digest.forEach((local, i) => f.get(outAt).get(local).byteSwap(scratch).store(4 * i));
  return f.bytes();
}

/**
 * `fold(count, siblings, stride, leftLow, leftHigh)`: the running hash at RUNNING, folded with
 * `count` siblings from `siblings` on, `stride` bytes apart; sibling i goes on the left when the
 * low bit of the mask is set, and the 64-bit mask (leftHigh:leftLow) shifts right a bit a level.
 */
function foldFunction(node: number): number[] {
  const f = new FunctionBody(5);
  const [count, sibling, stride, low, high] = [0, 1, 2, 3, 4];
  f.block().loop();
  f.get(count).eqz().brIf(1);
  f.get(low).constant(1).and();
  f.if().get(sibling).constant(RUNNING).constant(RUNNING).call(node);
  f.else().constant(RUNNING).get(sibling).constant(RUNNING).call(node);
  f.end();
  f.get(low).constant(1).shrU().get(high).constant(31).shl().or().set(low);
  f.get(high).constant(1).shrU().set(high);
  f.get(sibling).get(stride).add().set(sibling);
  f.get(count).constant(1).sub().set(count);
  f.br(0).end().end();
  return f.bytes();
}

/** The module's bytes: two functions, `node` and `fold`, and the memory, all exported. */
function nodeHashModule(): Uint8Array {
  const node = nodeFunction();
  const fold = foldFunction(0);
  const section = (id: number, content: number[]) => [id, ...unsignedLeb(content.length), ...content];
  const name = (text: string) => [...unsignedLeb(text.length), ...new TextEncoder().encode(text)];
  const I32 = 0x7f;
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
    ...section(1, [2, 0x60, 3, I32, I32, I32, 0, 0x60, 5, I32, I32, I32, I32, I32, 0]), // types: (i32 × 3) -> (), (i32 × 5) -> ()
    ...section(3, [2, 0, 1]), // functions: node of type 0, fold of type 1
    ...section(5, [1, 0, PAGES]), // memory: PAGES pages, no maximum
    ...section(7, [3, ...name('memory'), 0x02, 0, ...name('node'), 0x00, 0, ...name('fold'), 0x00, 1]), // exports
    ...section(10, [2, ...unsignedLeb(node.length), ...node, ...unsignedLeb(fold.length), ...fold]), // code
  ]);
}

function unsignedLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

function signedLeb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
