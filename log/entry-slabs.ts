import { LEAF_PREFIX } from './tree/index.js';

/** Room for about 500 entries of 512 bytes; an entry larger than this gets a slab of its own. */
const SLAB_BYTES = 256 * 1024;

/**
 * The sequencer's copies of submitted entries, in shared slabs, each copy right after a leaf
 * prefix byte: the copy is then also the leaf-hash input, so a submission makes no buffer of its
 * own for either (`hashLeaf(entry.slice())` makes two, and each is a separate allocation outside
 * the JS heap that the garbage collector must track and free). A slab is freed with the last copy
 * in it, so the slabs held are about the entries in flight.
 */
export class EntrySlabs {
  private slab = new Uint8Array(0);
  private used = 0;

  /** A copy of `entry` as its leaf record, 0x00 ‖ entry; the entry itself is `record.subarray(1)`. */
  copy(entry: Uint8Array): Uint8Array {
    const size = 1 + entry.length;
    if (this.used + size > this.slab.length) {
      this.slab = new Uint8Array(Math.max(SLAB_BYTES, size));
      this.used = 0;
    }
    const record = this.slab.subarray(this.used, this.used + size);
    this.used += size;
    record[0] = LEAF_PREFIX;
    record.set(entry, 1);
    return record;
  }
}
