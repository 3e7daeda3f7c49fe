import { type NodeId, shiftRight } from '../tree/index.js';

/** Levels of the tree per tile (C2SP tlog-tiles: 8, so a full tile row holds 256 hashes). */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 2 ** TILE_HEIGHT;

/**
 * A tile: tile level L holds the tree's levels 8L to 8L+7, and tile N at that level covers the
 * level-8L nodes [256N, 256N+256). Row 0 of a tile is exactly the C2SP tile that a monitor
 * downloads; rows 1 to 7 are the interior nodes above it, which atlog also stores so that a proof
 * reads hashes instead of recomputing them.
 */
export interface TileId {
  readonly level: number;
  readonly index: number;
}

/**
 * A number that names a tile, for maps on hot paths (a string key per lookup costs more than the
 * lookup). Tile indices stay below 2^47 for any log under 2^53 leaves, so this is exact.
 */
export function tileKey(level: number, index: number): number {
  return index * 64 + level;
}

/** Where a tree node lives: its tile, the row within the tile (0-7) and the position in the row. */
export interface NodeLocation {
  readonly tile: TileId;
  readonly row: number;
  readonly position: number;
}

export function locateNode(node: NodeId): NodeLocation {
  const level = Math.floor(node.level / TILE_HEIGHT);
  const row = node.level % TILE_HEIGHT;
  const perTile = TILE_WIDTH >>> row;
  return { tile: { level, index: Math.floor(node.index / perTile) }, row, position: node.index % perTile };
}

/**
 * How many row-0 hashes tile (level, index) holds in the tree of `treeSize` leaves: 256 when it
 * is full, 1-255 when it is the partial tile on the right edge, 0 when it does not exist yet.
 */
export function tileWidthAt(tile: TileId, treeSize: number): number {
  const nodes = shiftRight(treeSize, TILE_HEIGHT * tile.level);
  return Math.max(0, Math.min(TILE_WIDTH, nodes - tile.index * TILE_WIDTH));
}

/** Row r of a tile whose row 0 has `width` hashes has floor(width / 2^r) complete nodes. */
export function rowLength(row: number, width: number): number {
  return width >>> row;
}

/** Number of hashes in rows 0-7 of a tile whose row 0 has `width` hashes. */
export function tileHashCount(width: number): number {
  let count = 0;
  for (let row = 0; row < TILE_HEIGHT; row++) count += rowLength(row, width);
  return count;
}

/**
 * The right edge of the tree of `treeSize` leaves: at each tile level, the tile that the next
 * append would write into, with its current width (0 when it does not exist yet). The list ends
 * at the highest tile level that holds any node.
 */
export function rightEdge(treeSize: number): { tile: TileId; width: number }[] {
  const edge: { tile: TileId; width: number }[] = [];
  for (let level = 0; ; level++) {
    const nodes = shiftRight(treeSize, TILE_HEIGHT * level);
    if (nodes === 0 && level > 0) break;
    edge.push({ tile: { level, index: Math.floor(nodes / TILE_WIDTH) }, width: nodes % TILE_WIDTH });
    if (nodes < TILE_WIDTH) break;
  }
  return edge;
}
