import { bytesEqual } from '../util/index.js';
import type { CheckpointSigner, SignedTreeHead } from './checkpoint.js';
import { LogError } from './errors.js';
import { decodeStoredTile } from './reader.js';
import { type AppendResult, Sequencer, type SequencerOptions, type Submission } from './sequencer.js';
import type { LogStorage } from './storage/index.js';
import { TileCache } from './tile-cache.js';
import { encodeEntryBundle, RightEdge, rightEdge, type Tile, TILE_WIDTH, tileWidthAt } from './tiles/index.js';
import {
  consistencyProofPlan,
  HASH_SIZE,
  hashLeaf,
  inclusionProofPlan,
  isTreeSize,
  ProofError,
  verifyConsistency,
} from './tree/index.js';

export interface MerkleLogOptions {
  readonly storage: LogStorage;
  /** Signs every checkpoint. */
  readonly signer: CheckpointSigner;
  readonly sequencer?: SequencerOptions;
  /** Memory for full tiles read from storage (default 64 MiB: up to 4 096 tiles, about a million leaves). */
  readonly tileCacheBytes?: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly clock?: () => number;
}

/** Most entries one {@link MerkleLog.entries} call returns. */
export const MAX_ENTRIES_PER_READ = 1000;

/**
 * An append-only RFC 9162 Merkle log. Appends go through the sequencer; reads see exactly the
 * tree of the last signed checkpoint, so nothing is visible before it is durable and signed.
 */
export class MerkleLog {
  private constructor(
    private readonly storage: LogStorage,
    private readonly sequencer: Sequencer,
  ) {}

  static async open(options: MerkleLogOptions): Promise<MerkleLog> {
    const cacheBytes = options.tileCacheBytes ?? 64 * 1024 * 1024;
    if (!isTreeSize(cacheBytes)) throw new LogError('INVALID_ARGUMENT', 'tileCacheBytes must be a non-negative integer');
    const sequencer = await Sequencer.open(
      options.storage,
      options.signer,
      new TileCache(cacheBytes),
      options.clock ?? Date.now,
      options.sequencer,
    );
    return new MerkleLog(options.storage, sequencer);
  }

  /** Queues an entry; resolves once it is durably in the log under a signed checkpoint. */
  append(entry: Uint8Array): Promise<AppendResult> {
    try {
      return this.sequencer.submit(entry).result;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Appends many entries at once, each as {@link append} would (an entry already in the log or in
   * flight keeps its index), with one promise of all the results, in order: cheaper per entry
   * than one `append` each, for callers that have many entries at hand. All are queued or none
   * (QUEUE_FULL when the queue lacks room for all). If a batch fails, the promise rejects with
   * its error, and entries of other batches may be in the log: appending them again is safe.
   */
  appendMany(entries: readonly Uint8Array[]): Promise<AppendResult[]> {
    try {
      return this.sequencer.submitMany(entries);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Queues an entry and returns its id (leaf hash) at once, with a promise of its place in the
   * log; throws a LogError at once if the entry is refused outright (closing, too large, queue full).
   */
  submit(entry: Uint8Array): Submission {
    return this.sequencer.submit(entry);
  }

  /** Whether the entry with this leaf hash is queued or being integrated, not yet checkpointed. */
  isPending(leafHash: Uint8Array): boolean {
    return this.sequencer.isPending(leafHash);
  }

  /** The number of entries under the last signed checkpoint. */
  get size(): number {
    return this.sequencer.latestCheckpoint.size;
  }

  get latestCheckpoint(): SignedTreeHead {
    return this.sequencer.latestCheckpoint;
  }

  /** Entries waiting for the sequencer. */
  get queueDepth(): number {
    return this.sequencer.queueDepth;
  }

  /** The checkpoint signed at exactly `size`, if there is one. */
  async checkpoint(size: number): Promise<SignedTreeHead | undefined> {
    this.checkSize(size, 'tree size');
    return this.storage.readCheckpoint(size);
  }

  /**
   * Signed checkpoints in increasing size from `fromSize`, at most `limit` (1 to 1000) of them,
   * none beyond the current one. The registration time of entry i is the timestamp of the first
   * checkpoint whose size exceeds i.
   */
  async checkpoints(fromSize: number, limit: number): Promise<SignedTreeHead[]> {
    if (!isTreeSize(fromSize)) throw new LogError('INVALID_ARGUMENT', 'a tree size is a non-negative integer');
    if (!isTreeSize(limit) || limit < 1 || limit > 1000) throw new LogError('INVALID_ARGUMENT', 'read between 1 and 1000 checkpoints at a time');
    const size = this.size;
    if (fromSize > size) return [];
    const heads = await this.storage.readCheckpoints(fromSize, limit);
    return heads.filter((head) => head.size <= size);
  }

  /**
   * Calls `listener` with each new signed checkpoint once it is durable, before the submitters
   * under it are answered: the hook for followers such as the entry index. The listener must
   * only schedule work (it runs on the sequencer's path); what it throws is ignored. Returns the
   * function that removes it.
   */
  onCheckpoint(listener: (head: SignedTreeHead) => void): () => void {
    return this.sequencer.onCheckpoint(listener);
  }

  /** Root of the tree at any size up to the current one. */
  async rootAt(size: number): Promise<Uint8Array> {
    this.checkSize(size, 'tree size');
    return this.sequencer.rootAt(size);
  }

  /** The RFC 9162 inclusion proof of leaf `index` in the tree of `treeSize` (default: current). */
  async inclusionProof(index: number, treeSize = this.size): Promise<Uint8Array[]> {
    this.checkSize(treeSize, 'tree size');
    if (!isTreeSize(index)) throw new LogError('INVALID_ARGUMENT', 'a leaf index is a non-negative integer');
    if (index >= treeSize) {
      throw new LogError('INDEX_OUT_OF_RANGE', `leaf index ${index} is not in the tree of size ${treeSize}`);
    }
    return this.sequencer.reader.proof(inclusionProofPlan(index, treeSize));
  }

  /** The RFC 9162 consistency proof from `size1` to `size2` (default: current), 0 < size1 <= size2. */
  async consistencyProof(size1: number, size2 = this.size): Promise<Uint8Array[]> {
    this.checkSize(size2, 'tree size');
    this.checkSize(size1, 'old tree size');
    if (size1 === 0) throw new LogError('INVALID_ARGUMENT', 'a consistency proof from the empty tree proves nothing');
    if (size1 > size2) throw new LogError('INVALID_ARGUMENT', `old tree size ${size1} is larger than ${size2}`);
    return this.sequencer.reader.proof(consistencyProofPlan(size1, size2));
  }

  /** The leaf hash (entry id) at `index`. */
  async leafHash(index: number): Promise<Uint8Array> {
    const [hash] = await this.leafHashes(index, 1);
    return hash!;
  }

  /** The leaf hashes of up to `count` entries from `first`, stopping at the current size. */
  async leafHashes(first: number, count: number): Promise<Uint8Array[]> {
    this.checkIndex(first);
    if (!isTreeSize(count) || count > MAX_ENTRIES_PER_READ) {
      throw new LogError('INVALID_ARGUMENT', `read between 0 and ${MAX_ENTRIES_PER_READ} leaf hashes at a time`);
    }
    const wanted = Math.min(count, this.size - first);
    return this.sequencer.reader.nodes(Array.from({ length: wanted }, (_, i) => ({ level: 0, index: first + i })));
  }

  /** Where the entry with this leaf hash is, if the log has it under the current checkpoint. */
  async indexOf(leafHash: Uint8Array): Promise<number | undefined> {
    const [index] = await this.indicesOf([leafHash]);
    return index;
  }

  /**
   * {@link indexOf} for many leaf hashes, in their order: those the recent entries do not answer
   * are looked up in storage together, in one read (at most MAX_ENTRIES_PER_READ hashes).
   */
  async indicesOf(leafHashes: readonly Uint8Array[]): Promise<(number | undefined)[]> {
    if (!Array.isArray(leafHashes) || leafHashes.length > MAX_ENTRIES_PER_READ) {
      throw new LogError('INVALID_ARGUMENT', `at most ${MAX_ENTRIES_PER_READ} leaf hashes a lookup`);
    }
    const found = new Array<number | undefined>(leafHashes.length);
    const missing: number[] = [];
    for (let i = 0; i < leafHashes.length; i++) {
      const leafHash = leafHashes[i];
      if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
        throw new LogError('INVALID_ARGUMENT', `a leaf hash is ${HASH_SIZE} bytes`);
      }
      found[i] = this.sequencer.recent.get(leafHash);
      if (found[i] === undefined) missing.push(i);
    }
    if (missing.length > 0) {
      const stored = await this.storage.findIndices(missing.map((i) => leafHashes[i]!));
      const size = this.size;
      missing.forEach((i, k) => {
        const index = stored[k];
        found[i] = index !== undefined && index < size ? index : undefined;
      });
    }
    return found;
  }

  async entry(index: number): Promise<Uint8Array> {
    this.checkIndex(index);
    const [entry] = await this.storage.readEntries(index, 1);
    if (entry === undefined) throw new LogError('STORAGE_CORRUPT', `entry ${index} is missing`);
    return entry;
  }

  /** Up to `count` entries from `first`, stopping at the current size. */
  async entries(first: number, count: number): Promise<Uint8Array[]> {
    this.checkIndex(first);
    if (!isTreeSize(count) || count > MAX_ENTRIES_PER_READ) {
      throw new LogError('INVALID_ARGUMENT', `read between 0 and ${MAX_ENTRIES_PER_READ} entries at a time`);
    }
    const wanted = Math.min(count, this.size - first);
    const entries = await this.storage.readEntries(first, wanted);
    if (entries.length !== wanted) throw new LogError('STORAGE_CORRUPT', `entries from ${first} are missing`);
    return entries;
  }

  /**
   * Row 0 of a tile as C2SP tlog-tiles serves it, for a tile that exists at the current size with
   * at least `width` hashes (default: full). Undefined when it does not (yet) exist.
   */
  async tile(level: number, index: number, width = TILE_WIDTH): Promise<Uint8Array | undefined> {
    if (!isTreeSize(level) || level > 63 || !isTreeSize(index) || !Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
      throw new LogError('INVALID_ARGUMENT', 'a tile is a level 0-63, an index and a width 1-256');
    }
    if (tileWidthAt({ level, index }, this.size) < width) return undefined;
    // Any node of the tile is complete at this size, so reading one loads the whole tile.
    const [stored] = await this.storage.readTiles([{ level, index }]);
    if (stored === undefined) throw new LogError('STORAGE_CORRUPT', `tile ${level}/${index} is missing`);
    return decodeStoredTile({ level, index }, stored).row0(width);
  }

  /**
   * The C2SP entry bundle `tile/entries/<index>[.p/<width>]`: entries [256·index, 256·index + width)
   * if the log has them all under the current checkpoint, else undefined.
   */
  async entryBundle(index: number, width = TILE_WIDTH): Promise<Uint8Array | undefined> {
    if (!isTreeSize(index) || !Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
      throw new LogError('INVALID_ARGUMENT', 'an entry bundle is an index and a width 1-256');
    }
    if (tileWidthAt({ level: 0, index }, this.size) < width) return undefined;
    return encodeEntryBundle(await this.entries(index * TILE_WIDTH, width));
  }

  /**
   * Re-derives the whole tree from the stored entries and checks it against everything stored:
   * each entry against its leaf hash and index record, every tile byte for byte, the tree state,
   * and every checkpoint against the tree at its size. O(n): for audits and tests, not hot paths.
   *
   * With `fromSize`, only the entries from there on are re-derived, on top of the stored right
   * edge of the tree at that size (which the final root then covers, and which must give the
   * checkpoint signed at that size, if there is one); checkpoints are all checked. For a log
   * whose older part was audited before, or built by a trusted bulk load.
   */
  async audit(options: { readonly fromSize?: number } = {}): Promise<{ size: number; fromSize: number; checkpoints: number }> {
    const size = this.size;
    const fromSize = options.fromSize ?? 0;
    this.checkSize(fromSize, 'audit start');
    const edge = fromSize === 0 ? new RightEdge(0, []) : await this.storedEdgeAt(fromSize);
    for (let first = fromSize; first < size; first += MAX_ENTRIES_PER_READ) {
      const batch = await this.entries(first, Math.min(MAX_ENTRIES_PER_READ, size - first));
      const hashes = batch.map(hashLeaf);
      const indices = await this.storage.findIndices(hashes);
      hashes.forEach((hash, i) => {
        if (indices[i] !== first + i) {
          throw new LogError('STORAGE_CORRUPT', `the index record of entry ${first + i} says ${indices[i]}`);
        }
        edge.append(hash);
      });
      const tiles = edge.takeChanged();
      const stored = await this.storage.readTiles(tiles.map((t) => t.id));
      tiles.forEach((tile, i) => {
        // Mid-audit a rebuilt tile may still be partial while the stored one is wider.
        const bytes = stored[i];
        if (bytes === undefined || !tile.isPrefixOf(decodeStoredTile(tile.id, bytes))) {
          throw new LogError('STORAGE_CORRUPT', `tile ${tile.id.level}/${tile.id.index} does not match the entries`);
        }
      });
    }
    if (!bytesEqual(edge.root(), this.latestCheckpoint.rootHash)) {
      throw new LogError('STORAGE_CORRUPT', `the entries do not give the checkpointed root at size ${size}`);
    }
    let checkpoints = 0;
    for (let from = 0; ; ) {
      const heads = await this.storage.readCheckpoints(from, 1000);
      for (const head of heads) {
        if (head.size > size) throw new LogError('STORAGE_CORRUPT', `a checkpoint at size ${head.size} is beyond the log`);
        if (head.size > 0) {
          try {
            verifyConsistency(head.size, size, head.rootHash, this.latestCheckpoint.rootHash, await this.consistencyProof(head.size, size));
          } catch (err) {
            if (!(err instanceof ProofError)) throw err;
            throw new LogError('CHECKPOINT_INCONSISTENT', `the checkpoint at size ${head.size} is not consistent with the log`, { cause: err });
          }
        }
        checkpoints++;
      }
      if (heads.length < 1000) break;
      from = heads[heads.length - 1]!.size + 1;
    }
    return { size, fromSize, checkpoints };
  }

  /** The right edge of the tree at `size`, from the stored tiles (each as it was at that size). */
  private async storedEdgeAt(size: number): Promise<RightEdge> {
    const wanted = rightEdge(size).filter(({ width }) => width > 0);
    const stored = await this.storage.readTiles(wanted.map(({ tile }) => tile));
    const tiles: Tile[] = [];
    wanted.forEach(({ tile, width }, i) => {
      const bytes = stored[i];
      const decoded = bytes === undefined ? undefined : decodeStoredTile(tile, bytes);
      if (decoded === undefined || decoded.width < width || !decoded.hasConsistentInterior()) {
        throw new LogError('STORAGE_CORRUPT', `edge tile ${tile.level}/${tile.index} of the tree at size ${size} is missing or damaged`);
      }
      tiles[tile.level] = decoded.narrowed(width);
    });
    const edge = new RightEdge(size, tiles);
    const head = await this.storage.readCheckpoint(size);
    if (head !== undefined && !bytesEqual(edge.root(), head.rootHash)) {
      throw new LogError('STORAGE_CORRUPT', `the stored tiles do not give the checkpointed root at size ${size}`);
    }
    return edge;
  }

  /** Integrates everything accepted, then closes the storage. */
  async close(): Promise<void> {
    await this.sequencer.close();
    await this.storage.close();
  }

  private checkSize(size: number, what: string): void {
    if (!isTreeSize(size)) throw new LogError('INVALID_ARGUMENT', `a ${what} is a non-negative integer`);
    if (size > this.size) {
      throw new LogError('TREE_SIZE_OUT_OF_RANGE', `${what} ${size} is beyond the log's size ${this.size}`);
    }
  }

  private checkIndex(index: number): void {
    if (!isTreeSize(index)) throw new LogError('INVALID_ARGUMENT', 'a leaf index is a non-negative integer');
    if (index >= this.size) throw new LogError('INDEX_OUT_OF_RANGE', `leaf index ${index} is beyond the log's size ${this.size}`);
  }
}
