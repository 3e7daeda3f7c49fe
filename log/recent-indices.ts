import { bucketOf } from './in-flight.js';
import { HASH_SIZE } from './tree/index.js';

const NONE = -1;

/**
 * Where the most recently checkpointed entries are, by leaf hash: a bounded memory of the last
 * `capacity` answers the sequencer gave. A SCRAPI client asks for the receipt of an entry it has
 * just registered (after a 303, or to refresh it), so most lookups by entry id are of recent
 * entries, and each one found here is a storage lookup saved. An entry's index never changes once
 * checkpointed, so nothing here goes stale; the oldest is forgotten first, and memory (about 80
 * bytes an entry, in a few flat arrays and one map of small integers) stays the same however
 * large the log grows.
 */
export class RecentIndices {
  /** Slot s holds leaf hash `hashes[32s, 32s + 32)` at log index `indices[s]`. */
  private readonly hashes: Uint8Array;
  private readonly indices: Float64Array;
  /** The next slot in the same bucket, or NONE. */
  private readonly chain: Int32Array;
  /** Bucket (a leaf hash's first 30 bits, as InFlight uses them) → its first slot. */
  private readonly buckets = new Map<number, number>();
  private used = 0;
  private next = 0;

  constructor(readonly capacity: number) {
    this.hashes = new Uint8Array(capacity * HASH_SIZE);
    this.indices = new Float64Array(capacity);
    this.chain = new Int32Array(capacity).fill(NONE);
  }

  /** Remembers a checkpointed entry (an entry already remembered is left as it is). */
  add(leafHash: Uint8Array, index: number): void {
    if (this.capacity === 0 || leafHash.length !== HASH_SIZE || this.get(leafHash) !== undefined) return;
    const slot = this.next;
    if (this.used === this.capacity) this.forget(slot);
    else this.used++;
    this.hashes.set(leafHash, slot * HASH_SIZE);
    this.indices[slot] = index;
    const bucket = bucketOf(leafHash);
    this.chain[slot] = this.buckets.get(bucket) ?? NONE;
    this.buckets.set(bucket, slot);
    this.next = (slot + 1) % this.capacity;
  }

  /** The index of the entry with this leaf hash, if it is among the remembered ones. */
  get(leafHash: Uint8Array): number | undefined {
    if (leafHash.length !== HASH_SIZE) return undefined;
    for (let slot = this.buckets.get(bucketOf(leafHash)) ?? NONE; slot !== NONE; slot = this.chain[slot]!) {
      if (this.holds(slot, leafHash)) return this.indices[slot];
    }
    return undefined;
  }

  private holds(slot: number, leafHash: Uint8Array): boolean {
    const at = slot * HASH_SIZE;
    for (let i = 0; i < HASH_SIZE; i++) if (this.hashes[at + i] !== leafHash[i]) return false;
    return true;
  }

  /** Takes the oldest entry, in `slot`, out of its bucket. */
  private forget(slot: number): void {
    const bucket = bucketOf(this.hashes, slot * HASH_SIZE);
    const head = this.buckets.get(bucket)!;
    if (head === slot) {
      if (this.chain[slot] === NONE) this.buckets.delete(bucket);
      else this.buckets.set(bucket, this.chain[slot]!);
    } else {
      let before = head;
      while (this.chain[before] !== slot) before = this.chain[before]!;
      this.chain[before] = this.chain[slot]!;
    }
    this.chain[slot] = NONE;
  }
}
