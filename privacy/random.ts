// Uniform random integers for the samplers, from node:crypto and never from Math.random (whose
// generator is predictable and whose floats would leak through the noise, as in Mironov 2012).
// Every integer is drawn by rejection: take just enough random bits to cover the range and try
// again when the draw falls outside it. There is no modulo step, so there is no modulo bias, and
// the result is exactly uniform whatever the range, including ranges far beyond 2^53 (BigInt).

import { randomFillSync } from 'node:crypto';

/** Where uniform integers come from. The service uses {@link cryptoRandom}; tests may seed their own. */
export interface RandomSource {
  /** A uniform integer in [0, n), for n ≥ 1. */
  below(n: bigint): bigint;
  /** A uniform integer in [0, n), for 1 ≤ n ≤ 2^32 (the fast path for small ranges). */
  belowNumber(n: number): number;
}

/** Random bytes: what {@link UniformIntegers} draws from. */
export interface ByteSource {
  fill(bytes: Uint8Array): void;
}

const TWO_32 = 0x1_0000_0000;

/**
 * Uniform integers by rejection over a byte source. Bytes are taken from a buffer refilled a few
 * KiB at a time (one system call per refill rather than per draw, as `crypto.randomInt` does).
 */
export class UniformIntegers implements RandomSource {
  private readonly pool: Uint8Array;
  private at: number;

  constructor(
    private readonly source: ByteSource,
    poolBytes = 4096,
  ) {
    this.pool = new Uint8Array(poolBytes);
    this.at = poolBytes;
  }

  below(n: bigint): bigint {
    if (n < 1n) throw new RangeError('below(n) needs n ≥ 1');
    if (n <= BigInt(TWO_32)) return BigInt(this.belowNumber(Number(n)));
    const bits = bitLength(n - 1n);
    const bytes = Math.ceil(bits / 8);
    const excess = BigInt(bytes * 8 - bits);
    for (;;) {
      let x = 0n;
      for (let i = 0; i < bytes; i++) x = (x << 8n) | BigInt(this.byte());
      x >>= excess;
      if (x < n) return x;
    }
  }

  belowNumber(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1 || n > TWO_32) throw new RangeError('belowNumber(n) needs an integer 1 ≤ n ≤ 2^32');
    if (n === 1) return 0;
    // The top bits of a uniform 32-bit word, just enough of them to cover n − 1: a uniform draw
    // from [0, 2^bits) with 2^bits < 2n, so fewer than two tries are needed on average.
    const shift = Math.clz32(n - 1);
    for (;;) {
      const x = shift === 32 ? 0 : this.uint32() >>> shift;
      if (x < n) return x;
    }
  }

  private byte(): number {
    if (this.at === this.pool.length) this.refill();
    return this.pool[this.at++]!;
  }

  private uint32(): number {
    if (this.at + 4 > this.pool.length) this.refill();
    const p = this.pool;
    const i = this.at;
    this.at += 4;
    return ((p[i]! << 24) | (p[i + 1]! << 16) | (p[i + 2]! << 8) | p[i + 3]!) >>> 0;
  }

  private refill(): void {
    this.source.fill(this.pool);
    this.at = 0;
  }
}

export function bitLength(n: bigint): number {
  return n <= 0n ? 0 : n.toString(2).length;
}

/** The service's randomness: node:crypto's CSPRNG (the generator behind randomBytes and randomInt). */
export function cryptoRandom(): RandomSource {
  return new UniformIntegers({ fill: (bytes) => void randomFillSync(bytes) });
}
