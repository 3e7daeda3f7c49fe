import { LogError } from './errors.js';
import type { LogStorage } from './storage/index.js';
import type { TileCache } from './tile-cache.js';
import { Tile, TILE_HEIGHT, TILE_WIDTH, TileDecodeError, type TileId, tileKey } from './tiles/index.js';
import { assembleProof, assembleRoot, EMPTY_ROOT, type NodeId, type ProofPlan, rootPlan } from './tree/index.js';

/** How many folded right borders to remember: a few sizes' worth (at most ~50 per size). */
const EPHEMERAL_MEMO_ENTRIES = 4096;

/**
 * Reads tree nodes out of tiles: the right edge held in memory first, then the cache, then one
 * storage call for every tile still missing. A proof touches one tile per tile level plus the
 * right edge, so it costs O(log n) tile reads at most and usually none beyond the first level.
 */
export class TreeReader {
  /** Folded right borders (ephemeral nodes) by the leaf range they cover. */
  private readonly ephemerals = new Map<string, Uint8Array>();

  constructor(
    private readonly storage: LogStorage,
    private readonly cache: TileCache,
    private readonly edgeTile: (id: TileId) => Tile | undefined,
  ) {}

  /** Root of the tree at `size`, which must be a size the storage has committed. */
  async root(size: number): Promise<Uint8Array> {
    return size === 0 ? EMPTY_ROOT : assembleRoot(await this.nodes(rootPlan(size)));
  }

  /**
   * The proof a plan describes. The right border it folds depends only on the tree size and the
   * level where the path leaves the edge, so every proof against one checkpoint shares a few dozen
   * of them: remembering each saves most of the hashing a proof would do.
   */
  async proof(plan: ProofPlan): Promise<Uint8Array[]> {
    const { nodes, ephemeralBegin: begin, ephemeralEnd: end } = plan;
    if (end - begin < 2) return assembleProof(plan, await this.nodes(nodes));
    const lowest = nodes[begin]!;
    const highest = nodes[end - 1]!;
    const key = `${highest.index * 2 ** highest.level}:${(lowest.index + 1) * 2 ** lowest.level}`;
    const known = this.ephemerals.get(key);
    if (known !== undefined) {
      const hashes = await this.nodes([...nodes.slice(0, begin), ...nodes.slice(end)]);
      return [...hashes.slice(0, begin), known, ...hashes.slice(begin)];
    }
    const proof = assembleProof(plan, await this.nodes(nodes));
    if (this.ephemerals.size >= EPHEMERAL_MEMO_ENTRIES) this.ephemerals.clear();
    this.ephemerals.set(key, proof[begin]!);
    return proof;
  }

  async nodes(ids: readonly NodeId[]): Promise<Uint8Array[]> {
    // Most of a proof's nodes share a tile: look each tile up once.
    const tiles = new Map<number, Tile | undefined>();
    const missing: TileId[] = [];
    for (const node of ids) {
      const id = tileOf(node);
      const key = tileKey(id.level, id.index);
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
        tiles.set(tileKey(id.level, id.index), tile);
      });
    }
    return ids.map((node) => {
      const row = node.level % TILE_HEIGHT;
      const perTile = TILE_WIDTH >>> row;
      const level = (node.level - row) / TILE_HEIGHT;
      const hash = tiles.get(tileKey(level, Math.floor(node.index / perTile)))!.node(row, node.index % perTile);
      if (hash === undefined) {
        throw new LogError('STORAGE_CORRUPT', `the tile holding node ${node.level}/${node.index} lacks it`);
      }
      return hash;
    });
  }
}

function tileOf(node: NodeId): TileId {
  const row = node.level % TILE_HEIGHT;
  return { level: (node.level - row) / TILE_HEIGHT, index: Math.floor(node.index / (TILE_WIDTH >>> row)) };
}

export function decodeStoredTile(id: TileId, bytes: Uint8Array): Tile {
  try {
    return Tile.decode(id, bytes);
  } catch (err) {
    if (err instanceof TileDecodeError) throw new LogError('STORAGE_CORRUPT', err.message, { cause: err });
    throw err;
  }
}
