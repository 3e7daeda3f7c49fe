// C2SP entry bundles (tlog-tiles): the entries of one 256-entry tile, each as
// uint16_be(length) ‖ entry, concatenated.

export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const entry of entries) {
    if (entry.length > 0xffff) throw new RangeError('an entry bundle holds entries of at most 65 535 bytes');
    size += 2 + entry.length;
  }
  const bundle = new Uint8Array(size);
  let at = 0;
  for (const entry of entries) {
    bundle[at] = entry.length >>> 8;
    bundle[at + 1] = entry.length & 0xff;
    bundle.set(entry, at + 2);
    at += 2 + entry.length;
  }
  return bundle;
}

/** The entries of a bundle; undefined if the bytes are not a whole number of length-prefixed entries. */
export function decodeEntryBundle(bundle: Uint8Array): Uint8Array[] | undefined {
  const entries: Uint8Array[] = [];
  for (let at = 0; at < bundle.length; ) {
    if (at + 2 > bundle.length) return undefined;
    const length = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + length > bundle.length) return undefined;
    entries.push(bundle.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return entries;
}
