import { bytesEqual } from '../util/index.js';

/** What {@link InFlight} holds: anything with a leaf hash and a link it may use. */
export interface InFlightItem<T> {
  readonly leafHash: Uint8Array;
  /** The next item whose leaf hash starts with the same 30 bits; only InFlight sets it. */
  nextInBucket: T | undefined;
}

/**
 * The entries queued or being integrated, by leaf hash, to find an entry submitted again while
 * the first copy is in flight. A leaf hash is uniformly random, so its first 30 bits are a good
 * key on their own: a small integer, which a Map hashes without building a string per lookup (a
 * latin1 string of the hash cost a buffer view, a string and its hashing for every submission).
 * The rare items that share 30 bits are chained, and told apart by the whole hash.
 */
export class InFlight<T extends InFlightItem<T>> {
  private readonly buckets = new Map<number, T>();

  get(leafHash: Uint8Array): T | undefined {
    for (let item = this.buckets.get(bucketOf(leafHash)); item !== undefined; item = item.nextInBucket) {
      if (bytesEqual(item.leafHash, leafHash)) return item;
    }
    return undefined;
  }

  /** Adds an item whose leaf hash is not in flight (check with {@link get} first). */
  add(item: T): void {
    const bucket = bucketOf(item.leafHash);
    item.nextInBucket = this.buckets.get(bucket);
    this.buckets.set(bucket, item);
  }

  /** Removes this very item; nothing if it is not held (removing twice is harmless). */
  delete(item: T): void {
    const bucket = bucketOf(item.leafHash);
    const head = this.buckets.get(bucket);
    if (head === item) {
      if (item.nextInBucket === undefined) this.buckets.delete(bucket);
      else this.buckets.set(bucket, item.nextInBucket);
    } else {
      for (let before = head; before !== undefined; before = before.nextInBucket) {
        if (before.nextInBucket === item) {
          before.nextInBucket = item.nextInBucket;
          break;
        }
      }
    }
    item.nextInBucket = undefined;
  }
}

/**
 * The first 30 bits of a leaf hash, the one at `bytes[at]` (a leaf hash itself by default):
 * always a V8 small integer (below 2^30).
 */
export function bucketOf(bytes: Uint8Array, at = 0): number {
  return (bytes[at]! << 22) | (bytes[at + 1]! << 14) | (bytes[at + 2]! << 6) | (bytes[at + 3]! >>> 2);
}
