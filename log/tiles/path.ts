import { type TileId, TILE_WIDTH } from './layout.js';

// C2SP tlog-tiles paths: tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>], where N is written
// in zero-padded groups of three digits, every group but the last prefixed with "x".

const MAX_TILE_LEVEL = 63;

/** Formats an index as the spec's path segments: 1234067 -> "x001/x234/067". */
export function formatTileIndex(index: number): string {
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift(String(n % 1000).padStart(3, '0'));
    n = Math.floor(n / 1000);
  } while (n > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

function widthSuffix(width: number | undefined): string {
  return width === undefined || width === TILE_WIDTH ? '' : `.p/${width}`;
}

export function tilePath(tile: TileId, width?: number): string {
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${widthSuffix(width)}`;
}

export function entryBundlePath(index: number, width?: number): string {
  return `tile/entries/${formatTileIndex(index)}${widthSuffix(width)}`;
}

export type ParsedTilePath =
  | { readonly kind: 'tile'; readonly tile: TileId; readonly width: number }
  | { readonly kind: 'entries'; readonly index: number; readonly width: number };

const PATH = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*)([0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/**
 * Parses a tile path exactly as the spec writes it, refusing every other spelling of the same
 * tile (no leading zeros, no superfluous "x000" groups, no ".p/256"), so each tile has one URL.
 * `path` is relative: without the leading "/" or prefix.
 */
export function parseTilePath(path: string): ParsedTilePath | undefined {
  const match = PATH.exec(path);
  if (match === null) return undefined;
  const [, levelText, prefixGroups, lastGroup, widthText] = match;
  const groups = [...prefixGroups!.split('/').filter((g) => g !== '').map((g) => g.slice(1)), lastGroup!];
  if (groups.length > 1 && groups[0] === '000') return undefined;
  if (groups.length > 6) return undefined; // beyond 2^53: no log gets there
  const index = Number(groups.join(''));
  if (!Number.isSafeInteger(index)) return undefined;
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (width >= TILE_WIDTH && widthText !== undefined) return undefined; // a full tile has no .p/
  if (levelText === 'entries') return { kind: 'entries', index, width };
  const level = Number(levelText);
  if (level > MAX_TILE_LEVEL) return undefined;
  return { kind: 'tile', tile: { level, index }, width };
}
