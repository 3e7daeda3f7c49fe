import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EntrySlabs } from './entry-slabs.js';
import { InFlight, type InFlightItem } from './in-flight.js';
import { hashLeaf, hashLeafRecord } from './tree/index.js';

class Item implements InFlightItem<Item> {
  nextInBucket: Item | undefined = undefined;
  constructor(readonly leafHash: Uint8Array) {}
}

/** A hash whose first 30 bits are `prefix`'s and whose last byte is `tail`. */
function sharing(prefix: Uint8Array, tail: number): Uint8Array {
  const hash = randomBytes(32);
  hash.set(prefix.subarray(0, 3));
  hash[3] = (prefix[3]! & 0xfc) | (tail & 3);
  hash[31] = tail;
  return hash;
}

describe('the in-flight table', () => {
  it('finds items by their whole leaf hash, also when many share the first 30 bits', () => {
    const table = new InFlight<Item>();
    const prefix = randomBytes(4);
    const items = Array.from({ length: 6 }, (_, i) => new Item(sharing(prefix, i)));
    const others = Array.from({ length: 50 }, () => new Item(randomBytes(32)));
    for (const item of [...items, ...others]) {
      expect(table.get(item.leafHash)).toBeUndefined();
      table.add(item);
    }
    for (const item of [...items, ...others]) expect(table.get(Buffer.from(item.leafHash))).toBe(item);
    expect(table.get(sharing(prefix, 200))).toBeUndefined();

    // Remove from the middle, the head and the tail of the shared chain, and twice.
    for (const i of [2, 5, 0, 2]) table.delete(items[i]!);
    for (const [i, item] of items.entries()) expect(table.get(item.leafHash)).toBe([0, 2, 5].includes(i) ? undefined : item);
    for (const item of items) table.delete(item);
    for (const item of items) expect(table.get(item.leafHash)).toBeUndefined();
    for (const item of others) expect(table.get(item.leafHash)).toBe(item);
    // Removed items can come back.
    table.add(items[3]!);
    expect(table.get(items[3]!.leafHash)).toBe(items[3]);
  });

  it('treats hashes of the wrong length as absent', () => {
    const table = new InFlight<Item>();
    const item = new Item(randomBytes(32));
    table.add(item);
    expect(table.get(item.leafHash.subarray(0, 4))).toBeUndefined();
    expect(table.get(new Uint8Array(0))).toBeUndefined();
  });
});

describe('entry slabs', () => {
  it('copy entries of any size and hash them exactly as hashLeaf does', () => {
    const slabs = new EntrySlabs();
    const sizes = [0, 1, 511, 512, 65_535, 3, 200_000, 300_000, 7];
    const copies = sizes.map((size) => {
      const entry = randomBytes(size);
      const record = slabs.copy(entry);
      expect(record.length).toBe(size + 1);
      expect(Buffer.from(record.subarray(1)).equals(entry)).toBe(true);
      expect(Buffer.from(hashLeafRecord(record)).equals(Buffer.from(hashLeaf(entry)))).toBe(true);
      const original = Buffer.from(entry);
      entry.fill(0xee); // the caller reuses its buffer
      return { record, original };
    });
    // Later copies never overwrite earlier ones in the same slab.
    for (const { record, original } of copies) {
      expect(record[0]).toBe(0);
      expect(Buffer.from(record.subarray(1)).equals(original)).toBe(true);
    }
  });
});
