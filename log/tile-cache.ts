import { type Tile, type TileId, tileKey } from './tiles/index.js';

/**
 * Recently used full tiles, bounded in bytes so memory does not grow with the log. Only full
 * tiles are cached: they never change, so a cached copy can never go stale.
 *
 * Two generations instead of a strict LRU: a hit in the young generation costs one map lookup
 * and no reordering (proofs hit the same few tiles constantly); a hit in the old generation moves
 * the tile up; when the young generation holds half the budget, the old one is dropped whole.
 */
export class TileCache {
  private young = new Map<number, Tile>();
  private old = new Map<number, Tile>();
  private youngBytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(id: TileId): Tile | undefined {
    const key = tileKey(id.level, id.index);
    const tile = this.young.get(key);
    if (tile !== undefined) return tile;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.promote(key, aged);
    }
    return aged;
  }

  add(tile: Tile): void {
    if (!tile.full) return;
    const key = tileKey(tile.id.level, tile.id.index);
    if (this.young.has(key)) return;
    this.old.delete(key);
    this.promote(key, tile);
  }

  private promote(key: number, tile: Tile): void {
    if (tile.byteSize > this.maxBytes / 2) return;
    if (this.youngBytes + tile.byteSize > this.maxBytes / 2) {
      this.old = this.young;
      this.young = new Map();
      this.youngBytes = 0;
    }
    this.young.set(key, tile);
    this.youngBytes += tile.byteSize;
  }

  /** Tiles held, and their bytes (at most the budget). */
  get size(): { tiles: number; bytes: number } {
    let bytes = this.youngBytes;
    for (const tile of this.old.values()) bytes += tile.byteSize;
    return { tiles: this.young.size + this.old.size, bytes };
  }
}
