import type { Tile, TileId } from './tiles/index.js';

/**
 * Least-recently-used full tiles, bounded in bytes so memory does not grow with the log. Only
 * full tiles are cached: they never change, so a cached copy can never go stale.
 */
export class TileCache {
  private readonly tiles = new Map<string, Tile>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(id: TileId): Tile | undefined {
    const key = cacheKey(id);
    const tile = this.tiles.get(key);
    if (tile !== undefined) {
      // Map iteration order is insertion order: re-inserting marks the tile most recently used.
      this.tiles.delete(key);
      this.tiles.set(key, tile);
    }
    return tile;
  }

  add(tile: Tile): void {
    if (!tile.full || tile.byteSize > this.maxBytes) return;
    const key = cacheKey(tile.id);
    const previous = this.tiles.get(key);
    if (previous !== undefined) {
      this.tiles.delete(key);
      this.bytes -= previous.byteSize;
    }
    this.tiles.set(key, tile);
    this.bytes += tile.byteSize;
    for (const [oldest, evicted] of this.tiles) {
      if (this.bytes <= this.maxBytes) break;
      this.tiles.delete(oldest);
      this.bytes -= evicted.byteSize;
    }
  }

  delete(id: TileId): void {
    const key = cacheKey(id);
    const tile = this.tiles.get(key);
    if (tile !== undefined) {
      this.tiles.delete(key);
      this.bytes -= tile.byteSize;
    }
  }

  get size(): { tiles: number; bytes: number } {
    return { tiles: this.tiles.size, bytes: this.bytes };
  }
}

function cacheKey(id: TileId): string {
  return `${id.level}/${id.index}`;
}
