import { assembleRoot, EMPTY_ROOT, hashChildren, rootPlan } from '../tree/index.js';
import { locateNode, rightEdge, TILE_HEIGHT, type TileId, tileKey } from './layout.js';
import { Tile } from './tile.js';

/**
 * The growing right edge of a tiled tree: one partial tile per tile level. Appending a leaf hash
 * costs one hash plus one per completed interior node (amortised under two hashes a leaf), and
 * memory stays at one tile per level however large the tree grows. Pure: the caller loads the edge
 * tiles from storage and writes back what {@link RightEdge.takeChanged} returns.
 */
export class RightEdge {
  private treeSize: number;
  private readonly edge: Tile[];
  private readonly changed = new Map<number, Tile>();

  /** `tiles[L]` is the stored tile that {@link rightEdge} names at tile level L for `size`. */
  constructor(size: number, tiles: readonly (Tile | undefined)[]) {
    this.treeSize = size;
    this.edge = rightEdge(size).map(({ tile, width }, level) => {
      const stored = tiles[level];
      if (width === 0) return Tile.empty(tile);
      if (stored === undefined || stored.width !== width || stored.id.index !== tile.index) {
        throw new RangeError(`edge tile ${tile.level}/${tile.index} must have width ${width}`);
      }
      // A private copy: appends must not show through to a tile a cache or reader already holds.
      return stored.clone();
    });
  }

  get size(): number {
    return this.treeSize;
  }

  append(leafHash: Uint8Array): void {
    let hash = leafHash;
    for (let level = 0; ; level++) {
      const tile = this.tileAt(level);
      let position = tile.width;
      tile.set(0, position, hash);
      this.changed.set(tileKey(tile.id.level, tile.id.index), tile);
      let row = 0;
      while (position % 2 === 1) {
        hash = hashChildren(tile.node(row, position - 1)!, hash);
        row++;
        position >>>= 1;
        if (row === TILE_HEIGHT) break;
        tile.set(row, position, hash);
      }
      if (row < TILE_HEIGHT) break;
      // The tile is full: its root is the next node of the tile level above, and the next leaf
      // starts a new tile here.
      this.edge[level] = Tile.empty({ level, index: tile.id.index + 1 });
    }
    this.treeSize++;
  }

  /** The root of the tree as it now stands, from the nodes of the right edge alone. */
  root(): Uint8Array {
    if (this.treeSize === 0) return EMPTY_ROOT;
    return assembleRoot(
      rootPlan(this.treeSize).map((node) => {
        const { tile, row, position } = locateNode(node);
        const hash = this.edge[tile.level]?.node(row, position);
        if (hash === undefined) throw new Error(`right edge lacks node ${node.level}/${node.index}`);
        return hash;
      }),
    );
  }

  /** The current tile at a tile level, if the tree has one there. */
  tile(id: TileId): Tile | undefined {
    const tile = this.edge[id.level];
    return tile !== undefined && tile.id.index === id.index && tile.width > 0 ? tile : undefined;
  }

  /** Every tile changed since the last call, each exactly once, full ones included. */
  takeChanged(): Tile[] {
    const tiles = [...this.changed.values()];
    this.changed.clear();
    return tiles;
  }

  private tileAt(level: number): Tile {
    let tile = this.edge[level];
    if (tile === undefined) {
      tile = Tile.empty({ level, index: 0 });
      this.edge[level] = tile;
    }
    return tile;
  }
}
