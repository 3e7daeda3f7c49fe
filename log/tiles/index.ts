// The C2SP tlog-tiles layout of the tree: which tile holds which node, the stored tile format,
// the growing right edge, and the tile paths monitors fetch. Pure, no I/O.
export {
  type NodeLocation,
  type TileId,
  locateNode,
  rightEdge,
  rowLength,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileHashCount,
  tileKey,
  tileWidthAt,
} from './layout.js';
export { Tile, TileDecodeError } from './tile.js';
export { RightEdge } from './right-edge.js';
export { entryBundlePath, formatTileIndex, type ParsedTilePath, parseTilePath, tilePath } from './path.js';
export { decodeEntryBundle, encodeEntryBundle } from './bundle.js';
