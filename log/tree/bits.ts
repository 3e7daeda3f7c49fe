// Tree sizes and indices are JavaScript numbers: exact up to 2^53 - 1, far past any log this
// service will hold. JavaScript's bitwise operators truncate to 32 bits, so the helpers below split
// a number into its high and low words instead of using them directly.

const TWO_32 = 0x1_0000_0000;

export function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Number of bits needed to write n; bitLength(0) is 0. */
export function bitLength(n: number): number {
  const high = Math.floor(n / TWO_32);
  if (high > 0) return 64 - Math.clz32(high);
  return 32 - Math.clz32(n >>> 0);
}

/** Number of trailing zero bits of n > 0. */
export function trailingZeros(n: number): number {
  const low = n >>> 0;
  if (low !== 0) return 31 - Math.clz32(low & -low);
  const high = Math.floor(n / TWO_32);
  return 32 + 31 - Math.clz32(high & -high);
}

export function popCount(n: number): number {
  let count = 0;
  for (let word of [n >>> 0, Math.floor(n / TWO_32) >>> 0]) {
    while (word !== 0) {
      word &= word - 1;
      count++;
    }
  }
  return count;
}

/** n >> k without the 32-bit truncation of `>>`. */
export function shiftRight(n: number, k: number): number {
  return Math.floor(n / 2 ** k);
}

export function shiftLeft(n: number, k: number): number {
  return n * 2 ** k;
}

/** a XOR b for safe integers. */
export function xor(a: number, b: number): number {
  const high = (Math.floor(a / TWO_32) ^ Math.floor(b / TWO_32)) >>> 0;
  const low = ((a >>> 0) ^ (b >>> 0)) >>> 0;
  return high * TWO_32 + low;
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && popCount(n) === 1;
}

/** The RFC 9162 split point: the largest power of two strictly below n, for n >= 2. */
export function largestPowerOfTwoBelow(n: number): number {
  return 2 ** (bitLength(n - 1) - 1);
}
