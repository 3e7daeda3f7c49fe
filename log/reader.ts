import { LogError } from './errors.js';
import type { LogStorage } from './storage/index.js';
import type { TileCache } from './tile-cache.js';
import { locateNode, Tile, TileDecodeError, type TileId } from './tiles/index.js';
import { assembleRoot, EMPTY_ROOT, type NodeId, rootPlan } from './tree/index.js';

/**
 * Reads tree nodes out of tiles: the right edge held in memory first, then the cache, then one
 * storage call for every tile still missing. A proof touches one tile per tile level plus the
 * right edge, so it costs O(log n) tile reads at most and usually none beyond the first level.
 */
export class TreeReader {
  constructor(
    private readonly storage: LogStorage,
    private readonly cache: TileCache,
    private readonly edgeTile: (id: TileId) => Tile | undefined,
  ) {}

  /** Root of the tree at `size`, which must be a size the storage has committed. */
  async root(size: number): Promise<Uint8Array> {
    return size === 0 ? EMPTY_ROOT : assembleRoot(await this.nodes(rootPlan(size)));
  }

  async nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    const locations = ids.map(locateNode);
    const tiles = new Map<string, Tile | undefined>();
    const missing: TileId[] = [];
    for (const { tile: id } of locations) {
      const key = `${id.level}/${id.index}`;
      if (tiles.has(key)) continue;
      const tile = this.edgeTile(id) ?? this.cache.get(id);
      tiles.set(key, tile);
      if (tile === undefined) missing.push(id);
    }
    if (missing.length > 0) {
      const stored = await this.storage.readTiles(missing);
      missing.forEach((id, i) => {
        const bytes = stored[i];
        if (bytes === undefined) throw new LogError('STORAGE_CORRUPT', `tile ${id.level}/${id.index} is missing from storage`);
        const tile = decodeStoredTile(id, bytes);
        this.cache.add(tile);
        tiles.set(`${id.level}/${id.index}`, tile);
      });
    }
    return locations.map(({ tile: id, row, position }, i) => {
      const hash = tiles.get(`${id.level}/${id.index}`)!.node(row, position);
      if (hash === undefined) {
        const node = ids[i]!;
        throw new LogError('STORAGE_CORRUPT', `tile ${id.level}/${id.index} lacks node ${node.level}/${node.index}`);
      }
      return hash;
    });
  }
}

export function decodeStoredTile(id: TileId, bytes: Uint8Array): Tile {
  try {
    return Tile.decode(id, bytes);
  } catch (err) {
    if (err instanceof TileDecodeError) throw new LogError('STORAGE_CORRUPT', err.message, { cause: err });
    throw err;
  }
}
