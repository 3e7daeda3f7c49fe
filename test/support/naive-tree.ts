// A deliberately naive RFC 9162 reference, written straight from the RFC's recursive definitions
// (MTH, PATH, PROOF/SUBPROOF) so the tests have an oracle that shares no code with log/tree.
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function naiveLeafHash(entry: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(0), entry);
}

function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Memoised MTH over a fixed list of leaf hashes: MTH(lo, hi) for the leaves [lo, hi). */
export class NaiveTree {
  private readonly memo = new Map<string, Uint8Array>();
  constructor(readonly leafHashes: readonly Uint8Array[]) {}

  mth(lo: number, hi: number): Uint8Array {
    const n = hi - lo;
    if (n === 0) return sha256();
    if (n === 1) return this.leafHashes[lo]!;
    const key = `${lo}:${hi}`;
    let h = this.memo.get(key);
    if (h === undefined) {
      const k = split(n);
      h = sha256(Uint8Array.of(1), this.mth(lo, lo + k), this.mth(lo + k, hi));
      this.memo.set(key, h);
    }
    return h;
  }

  root(size: number): Uint8Array {
    return this.mth(0, size);
  }

  /** PATH(m, D[lo:hi]) */
  path(m: number, lo: number, hi: number): Uint8Array[] {
    const n = hi - lo;
    if (n === 1) return [];
    const k = split(n);
    if (m < k) return [...this.path(m, lo, lo + k), this.mth(lo + k, hi)];
    return [...this.path(m - k, lo + k, hi), this.mth(lo, lo + k)];
  }

  inclusion(index: number, size: number): Uint8Array[] {
    return this.path(index, 0, size);
  }

  /** SUBPROOF(m, D[lo:hi], b) */
  subproof(m: number, lo: number, hi: number, b: boolean): Uint8Array[] {
    const n = hi - lo;
    if (m === n) return b ? [] : [this.mth(lo, hi)];
    const k = split(n);
    if (m <= k) return [...this.subproof(m, lo, lo + k, b), this.mth(lo + k, hi)];
    return [...this.subproof(m - k, lo + k, hi, false), this.mth(lo, lo + k)];
  }

  consistency(size1: number, size2: number): Uint8Array[] {
    return this.subproof(size1, 0, size2, true);
  }
}

/** A small deterministic PRNG (splitmix32) so that a failing property names its seed. */
export function seededRandom(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound: number) => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return Math.floor((z / 0x1_0000_0000) * bound);
  };
}

/** Every complete node of the tree over `leafHashes`, by level: nodes[level][index]. */
export function completeNodes(leafHashes: readonly Uint8Array[]): Uint8Array[][] {
  const levels: Uint8Array[][] = [leafHashes.slice()];
  for (let level = 0; levels[level]!.length >= 2; level++) {
    const below = levels[level]!;
    const above: Uint8Array[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) above.push(sha256(Uint8Array.of(1), below[i]!, below[i + 1]!));
    levels.push(above);
  }
  return levels;
}
