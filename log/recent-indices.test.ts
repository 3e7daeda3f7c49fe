import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/support/naive-tree.js';
import { RecentIndices } from './recent-indices.js';

/** A 32-byte hash from a small space: many share their first 30 bits, so buckets chain. */
function hashOf(n: number, sharedPrefixes: number): Uint8Array {
  const hash = new Uint8Array(32);
  new DataView(hash.buffer).setUint32(0, (n % sharedPrefixes) * 4); // same first 30 bits for n ≡ n' mod sharedPrefixes
  new DataView(hash.buffer).setUint32(28, n);
  return hash;
}

describe('RecentIndices', () => {
  it('answers exactly the last `capacity` entries added, through chained buckets and evictions', () => {
    const random = seededRandom(7);
    for (const capacity of [1, 2, 3, 17, 64]) {
      const recent = new RecentIndices(capacity);
      const added: number[] = []; // distinct hashes in the order they were remembered
      for (let step = 0; step < 2000; step++) {
        const n = random(200);
        const known = added.slice(-capacity).includes(n);
        recent.add(hashOf(n, 5), 1000 + n);
        if (!known) added.push(n);
        const window = new Set(added.slice(-capacity));
        // Every hash of the space: found exactly when it is in the window, with its index.
        if (step % 97 === 0 || step > 1990) {
          for (let m = 0; m < 200; m++) expect(recent.get(hashOf(m, 5))).toBe(window.has(m) ? 1000 + m : undefined);
        } else {
          expect(recent.get(hashOf(n, 5))).toBe(1000 + n);
        }
      }
    }
  });

  it('remembers nothing at capacity 0 and ignores hashes of another length', () => {
    const none = new RecentIndices(0);
    none.add(hashOf(1, 1), 1);
    expect(none.get(hashOf(1, 1))).toBeUndefined();
    const recent = new RecentIndices(4);
    recent.add(new Uint8Array(31), 1);
    expect(recent.get(new Uint8Array(31))).toBeUndefined();
    expect(recent.get(new Uint8Array(32))).toBeUndefined();
  });
});
