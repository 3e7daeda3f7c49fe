import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { completeNodes, NaiveTree, seededRandom } from '../../test/support/naive-tree.js';
import { VECTORS } from '../../test/support/vectors.js';
import { hashLeaf, type NodeId } from '../tree/index.js';
import {
  formatTileIndex,
  locateNode,
  parseTilePath,
  RightEdge,
  rightEdge,
  Tile,
  TileDecodeError,
  tileHashCount,
  tilePath,
  tileWidthAt,
} from './index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const leaves = (n: number, tag = 'leaf') => Array.from({ length: n }, (_, i) => hashLeaf(Buffer.from(`${tag} ${i}`)));

/** Stored form of every tile a right edge has changed, keyed like storage would. */
function collect(edge: RightEdge, store: Map<string, Uint8Array>): void {
  for (const tile of edge.takeChanged()) store.set(`${tile.id.level}/${tile.id.index}`, tile.encode());
}

function loadEdge(size: number, store: Map<string, Uint8Array>): RightEdge {
  return new RightEdge(
    size,
    rightEdge(size).map(({ tile, width }) => {
      const bytes = store.get(`${tile.level}/${tile.index}`);
      return width === 0 || bytes === undefined ? undefined : Tile.decode(tile, bytes);
    }),
  );
}

function nodeFromStore(store: Map<string, Uint8Array>, node: NodeId): Uint8Array | undefined {
  const { tile, row, position } = locateNode(node);
  const bytes = store.get(`${tile.level}/${tile.index}`);
  return bytes && Tile.decode(tile, bytes).node(row, position);
}

describe('the right edge', () => {
  it('gives the RFC 9162 root after every append, up to several tile levels', () => {
    const hashes = leaves(70_000);
    const naive = new NaiveTree(hashes);
    const edge = new RightEdge(0, []);
    expect(hex(edge.root())).toBe(hex(naive.root(0)));
    const checkAt = new Set([1, 2, 3, 255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537, 70_000]);
    for (let i = 0; i < hashes.length; i++) {
      edge.append(hashes[i]!);
      if (i < 600 || checkAt.has(i + 1)) expect(hex(edge.root()), `size ${i + 1}`).toBe(hex(naive.root(i + 1)));
    }
  });

  it('stores every complete node of the tree in its tile', () => {
    const hashes = leaves(3000);
    const nodes = completeNodes(hashes);
    const store = new Map<string, Uint8Array>();
    const edge = new RightEdge(0, []);
    for (const h of hashes) edge.append(h);
    collect(edge, store);
    for (let level = 0; level < nodes.length; level++) {
      nodes[level]!.forEach((hash, index) => {
        const stored = nodeFromStore(store, { level, index });
        expect(stored && hex(stored), `node ${level}/${index}`).toBe(hex(hash));
      });
    }
  });

  it('resumes from stored tiles at any size exactly as if it had never stopped', () => {
    const random = seededRandom(8);
    const hashes = leaves(140_000, 'resume');
    const store = new Map<string, Uint8Array>();
    let edge = new RightEdge(0, []);
    let size = 0;
    while (size < hashes.length) {
      const batch = Math.min(hashes.length - size, 1 + random(random(2) === 0 ? 10 : 3000));
      for (let i = 0; i < batch; i++) edge.append(hashes[size + i]!);
      size += batch;
      const root = edge.root();
      collect(edge, store);
      edge = loadEdge(size, store);
      expect(hex(edge.root()), `reloaded at ${size}`).toBe(hex(root));
    }
    const reference = new RightEdge(0, []);
    for (const h of hashes) reference.append(h);
    expect(hex(edge.root())).toBe(hex(reference.root()));
  });

  it('refuses edge tiles that do not match the size', () => {
    const store = new Map<string, Uint8Array>();
    const edge = new RightEdge(0, []);
    for (const h of leaves(300)) edge.append(h);
    collect(edge, store);
    expect(() => loadEdge(301, store)).toThrow(RangeError);
    expect(() => new RightEdge(300, [])).toThrow(RangeError);
  });
});

describe('a narrowed tile', () => {
  it('is the tile as it was stored at that width, for every width', () => {
    const hashes = leaves(512);
    const edge = new RightEdge(0, []);
    const atWidth: Uint8Array[] = [];
    for (const hash of hashes) {
      edge.append(hash);
      for (const tile of edge.takeChanged()) if (tile.id.level === 0 && tile.id.index === 1) atWidth[tile.width] = tile.encode();
    }
    const full = Tile.decode({ level: 0, index: 1 }, atWidth[256]!);
    for (let width = 1; width <= 256; width++) expect(hex(full.narrowed(width).encode()), `width ${width}`).toBe(hex(atWidth[width]!));
    expect(full.narrowed(0).width).toBe(0);
    expect(() => full.narrowed(257)).toThrow(RangeError);
    expect(() => Tile.decode({ level: 0, index: 1 }, atWidth[10]!).narrowed(11)).toThrow(RangeError);
  });
});

describe('tile layout', () => {
  it('names the right edge and widths as C2SP does', () => {
    expect(rightEdge(0)).toEqual([{ tile: { level: 0, index: 0 }, width: 0 }]);
    expect(rightEdge(70_000)).toEqual([
      { tile: { level: 0, index: 273 }, width: 112 },
      { tile: { level: 1, index: 1 }, width: 17 },
      { tile: { level: 2, index: 0 }, width: 1 },
    ]);
    expect(tileWidthAt({ level: 0, index: 273 }, 70_000)).toBe(112);
    expect(tileWidthAt({ level: 0, index: 272 }, 70_000)).toBe(256);
    expect(tileWidthAt({ level: 0, index: 274 }, 70_000)).toBe(0);
    expect(tileWidthAt({ level: 1, index: 1 }, 70_000)).toBe(17);
    expect(locateNode({ level: 9, index: 300 })).toEqual({ tile: { level: 1, index: 2 }, row: 1, position: 44 });
  });

  it('encodes and decodes tiles of every width, refusing anything else', () => {
    const edge = new RightEdge(0, []);
    const hashes = leaves(256);
    for (let width = 1; width <= 256; width++) {
      edge.append(hashes[width - 1]!);
      const [tile] = edge.takeChanged().filter((t) => t.id.level === 0);
      const bytes = tile!.encode();
      expect(bytes.length).toBe(2 + 32 * tileHashCount(width));
      const decoded = Tile.decode({ level: 0, index: 0 }, bytes);
      expect(decoded.width).toBe(width);
      expect(hex(decoded.encode())).toBe(hex(bytes));
      expect(() => Tile.decode({ level: 0, index: 0 }, bytes.subarray(0, bytes.length - 1))).toThrow(TileDecodeError);
      expect(() => Tile.decode({ level: 0, index: 0 }, Buffer.concat([bytes, Buffer.alloc(32)]))).toThrow(TileDecodeError);
    }
    for (const bad of [new Uint8Array(0), Uint8Array.of(1), Uint8Array.of(0, 0), Uint8Array.of(1, 1), Uint8Array.of(0xff, 0xff)]) {
      expect(() => Tile.decode({ level: 0, index: 0 }, bad)).toThrow(TileDecodeError);
    }
  });
});

describe('tile paths', () => {
  it('format as the spec shows', () => {
    expect(formatTileIndex(1_234_067)).toBe('x001/x234/067');
    expect(formatTileIndex(5)).toBe('005');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(tilePath({ level: 0, index: 1_234_067 }, 7)).toBe('tile/0/x001/x234/067.p/7');
    expect(tilePath({ level: 2, index: 5 })).toBe('tile/2/005');
    expect(tilePath({ level: 2, index: 5 }, 256)).toBe('tile/2/005');
  });

  it('parse back, and only in their one canonical spelling', () => {
    const random = seededRandom(4);
    for (let i = 0; i < 2000; i++) {
      const tile = { level: random(64), index: random(2) ? random(1000) : random(2 ** 31) * 4096 + random(4096) };
      const width = 1 + random(256);
      expect(parseTilePath(tilePath(tile, width))).toEqual({ kind: 'tile', tile, width });
    }
    expect(parseTilePath('tile/entries/x001/234.p/9')).toEqual({ kind: 'entries', index: 1234, width: 9 });
    for (const bad of [
      'tile/0/5', 'tile/0/0005', 'tile/0/x000/005', 'tile/00/005', 'tile/64/000', 'tile/0/005.p/256',
      'tile/0/005.p/0', 'tile/0/005.p/07', 'tile/0/005/', '/tile/0/005', 'tile/-1/005', 'tile/0/x1/005',
      'tile/0/x999/x999/x999/x999/x999/x999/999', 'tile/0/005.p/', 'tile/0/abc', 'tile//005',
    ]) {
      expect(parseTilePath(bad), bad).toBeUndefined();
    }
  });

  it('give the tessera test log its own partial tiles', () => {
    const words = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'.split(' ');
    const edge = new RightEdge(0, []);
    for (const [i, word] of words.entries()) {
      edge.append(hashLeaf(Buffer.from(word)));
      const path = tilePath({ level: 0, index: 0 }, i + 1);
      expect(path).toBe(`tile/0/000.p/${i + 1}`);
      const theirs = readFileSync(join(VECTORS, 'tlog-tiles/tessera-testdata-log', path));
      expect(hex(edge.tile({ level: 0, index: 0 })!.row0(i + 1))).toBe(theirs.toString('hex'));
    }
  });
});
