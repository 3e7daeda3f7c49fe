import { HASH_SIZE, hashChildren } from '../tree/index.js';
import { rowLength, TILE_HEIGHT, TILE_WIDTH, type TileId, tileHashCount } from './layout.js';

// In memory every tile uses the layout of a full tile: row r starts at hash offset
// 512 - 2^(9-r) (0, 256, 384, …, 508). A full tile stored on disk is the same bytes, so reading
// one costs no copy; a partial tile is packed on disk and spread out when it is loaded.
const ROW_OFFSET = Array.from({ length: TILE_HEIGHT }, (_, row) => 2 * TILE_WIDTH - (2 * TILE_WIDTH >>> row));
const FULL_HASHES = tileHashCount(TILE_WIDTH);

/** Bytes a stored tile starts with: its width, big-endian, so a truncated value is detectable. */
const HEADER_SIZE = 2;

export class TileDecodeError extends Error {}

/**
 * The hashes of one tile. Positions below the committed width never change once written, which
 * is what lets a reader use a tile while the sequencer appends to it.
 */
export class Tile {
  readonly id: TileId;
  private hashes: Uint8Array;
  private rowWidth: number;

  private constructor(id: TileId, hashes: Uint8Array, width: number) {
    this.id = id;
    this.hashes = hashes;
    this.rowWidth = width;
  }

  static empty(id: TileId): Tile {
    return new Tile(id, new Uint8Array(FULL_HASHES * HASH_SIZE), 0);
  }

  /** Number of hashes in row 0. */
  get width(): number {
    return this.rowWidth;
  }

  get full(): boolean {
    return this.rowWidth === TILE_WIDTH;
  }

  /** The hash at (row, position), or undefined if that node is not complete in this tile. */
  node(row: number, position: number): Uint8Array | undefined {
    if (position >= rowLength(row, this.rowWidth)) return undefined;
    const offset = (ROW_OFFSET[row]! + position) * HASH_SIZE;
    return this.hashes.subarray(offset, offset + HASH_SIZE);
  }

  /** Row 0 truncated to `width` hashes: the C2SP tile `tile/<L>/<N>[.p/<width>]`. */
  row0(width = this.rowWidth): Uint8Array {
    return this.hashes.subarray(0, Math.min(width, this.rowWidth) * HASH_SIZE);
  }

  /** Writes a hash into the next free slot of `row`; only the builder calls this. */
  set(row: number, position: number, hash: Uint8Array): void {
    this.hashes.set(hash, (ROW_OFFSET[row]! + position) * HASH_SIZE);
    if (row === 0) this.rowWidth = position + 1;
  }

  /** The stored form: width, then rows 0-7 packed. A full tile encodes with a single copy. */
  encode(): Uint8Array {
    const width = this.rowWidth;
    const out = new Uint8Array(HEADER_SIZE + tileHashCount(width) * HASH_SIZE);
    out[0] = width >>> 8;
    out[1] = width & 0xff;
    if (width === TILE_WIDTH) {
      out.set(this.hashes, HEADER_SIZE);
      return out;
    }
    let at = HEADER_SIZE;
    for (let row = 0; row < TILE_HEIGHT; row++) {
      const length = rowLength(row, width) * HASH_SIZE;
      const start = ROW_OFFSET[row]! * HASH_SIZE;
      out.set(this.hashes.subarray(start, start + length), at);
      at += length;
    }
    return out;
  }

  /** Parses a stored tile; any length or width that does not fit the format is an error. */
  static decode(id: TileId, bytes: Uint8Array): Tile {
    if (bytes.length < HEADER_SIZE) throw new TileDecodeError(`tile ${id.level}/${id.index} is truncated`);
    const width = (bytes[0]! << 8) | bytes[1]!;
    if (width < 1 || width > TILE_WIDTH) {
      throw new TileDecodeError(`tile ${id.level}/${id.index} has impossible width ${width}`);
    }
    const expected = HEADER_SIZE + tileHashCount(width) * HASH_SIZE;
    if (bytes.length !== expected) {
      throw new TileDecodeError(`tile ${id.level}/${id.index} of width ${width} is ${bytes.length} bytes, expected ${expected}`);
    }
    // A plain Uint8Array view, not a Buffer: every hash handed out is a view of it, and
    // Uint8Array views are cheaper to make than Buffer ones.
    if (width === TILE_WIDTH) return new Tile(id, new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER_SIZE, bytes.length - HEADER_SIZE), width);
    const hashes = new Uint8Array(FULL_HASHES * HASH_SIZE);
    let at = HEADER_SIZE;
    for (let row = 0; row < TILE_HEIGHT; row++) {
      const length = rowLength(row, width) * HASH_SIZE;
      hashes.set(bytes.subarray(at, at + length), ROW_OFFSET[row]! * HASH_SIZE);
      at += length;
    }
    return new Tile(id, hashes, width);
  }

  /** True when every node of this tile is also in `other`, with the same hash. */
  isPrefixOf(other: Tile): boolean {
    if (other.rowWidth < this.rowWidth) return false;
    for (let row = 0; row < TILE_HEIGHT; row++) {
      const start = ROW_OFFSET[row]! * HASH_SIZE;
      const end = start + rowLength(row, this.rowWidth) * HASH_SIZE;
      if (Buffer.compare(this.hashes.subarray(start, end), other.hashes.subarray(start, end)) !== 0) return false;
    }
    return true;
  }

  /**
   * Recomputes rows 1-7 from row 0 and compares them with the stored rows: true when the tile is
   * internally consistent. Costs up to 255 hashes, so it is for the few tiles of the right edge
   * and for audits, not for every read.
   */
  hasConsistentInterior(): boolean {
    for (let row = 1; row < TILE_HEIGHT; row++) {
      for (let position = 0; position < rowLength(row, this.rowWidth); position++) {
        const expected = hashChildren(this.node(row - 1, 2 * position)!, this.node(row - 1, 2 * position + 1)!);
        if (Buffer.compare(expected, this.node(row, position)!) !== 0) return false;
      }
    }
    return true;
  }

  /** A copy holding only the nodes of the first `width` leaves: this tile as it was at that width. */
  narrowed(width: number): Tile {
    if (!Number.isSafeInteger(width) || width < 0 || width > this.rowWidth) {
      throw new RangeError(`tile ${this.id.level}/${this.id.index} of width ${this.rowWidth} cannot narrow to ${width}`);
    }
    const hashes = new Uint8Array(FULL_HASHES * HASH_SIZE);
    for (let row = 0; row < TILE_HEIGHT; row++) {
      const start = ROW_OFFSET[row]! * HASH_SIZE;
      hashes.set(this.hashes.subarray(start, start + rowLength(row, width) * HASH_SIZE), start);
    }
    return new Tile(this.id, hashes, width);
  }

  /** A copy that later appends to this tile cannot change. */
  clone(): Tile {
    return new Tile(this.id, this.hashes.slice(), this.rowWidth);
  }

  /** Memory this tile holds, for cache accounting. */
  get byteSize(): number {
    return this.hashes.byteLength;
  }
}
