// The head of a CBOR data item (RFC 8949 §3), shortest form (§4.2.1), for the few encoders that
// write fixed shapes straight into a buffer (the Sig_structure, an assembled receipt) instead of
// walking a value through encodeCbor. Both are compared with encodeCbor at every head width in
// their tests.

/** The bytes of the head of an item whose argument is `n` (a non-negative safe integer). */
export function cborHeadSize(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x1_0000 ? 3 : n < 0x1_0000_0000 ? 5 : 9;
}

/** Writes the head of major type `major` with argument `n` at `at`; returns where it ends. */
export function writeCborHead(out: Uint8Array, at: number, major: number, n: number): number {
  const size = cborHeadSize(n);
  if (size === 1) {
    out[at] = (major << 5) | n;
  } else {
    out[at] = (major << 5) | (24 + Math.log2(size - 1)); // additional information 24, 25, 26 or 27
    // Division, not shifts: arguments reach 2^53, past JavaScript's 32-bit bitwise operators.
    for (let i = size - 1, rest = n; i >= 1; i--, rest = Math.floor(rest / 256)) out[at + i] = rest % 256;
  }
  return at + size;
}
