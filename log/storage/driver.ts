import type { SignedTreeHead } from '../checkpoint.js';
import type { TileId } from '../tiles/index.js';

/** The durable state of the tree: how many leaves it has, and their root. */
export interface TreeState {
  readonly size: number;
  readonly rootHash: Uint8Array;
}

/** One batch of appends, written atomically and durably by {@link LogStorage.writeIntegration}. */
export interface Integration {
  /** The stored tree size this batch extends; the driver refuses the write if it has moved. */
  readonly previousSize: number;
  /** Entry i goes at index previousSize + i. */
  readonly entries: readonly Uint8Array[];
  /** The leaf hash of each entry (its id), in the same order. */
  readonly leafHashes: readonly Uint8Array[];
  /** Every tile the batch changed, in its stored form (see `Tile.encode`). */
  readonly tiles: readonly { readonly id: TileId; readonly bytes: Uint8Array }[];
  readonly treeState: TreeState;
}

/**
 * Where a log keeps its bytes. Deliberately narrow, so that another database can hold a log
 * without touching the tree code: the driver stores and returns opaque tiles and entries, and
 * knows nothing of hashing. Every write must be atomic and durable before its promise resolves.
 * Drivers throw `LogError` with a STORAGE_* code.
 */
export interface LogStorage {
  readTreeState(): Promise<TreeState | undefined>;
  /** Stored tiles by id, undefined where none is stored. */
  readTiles(ids: readonly TileId[]): Promise<(Uint8Array | undefined)[]>;
  /** Entries [first, first + count), stopping early at the end of the log. */
  readEntries(first: number, count: number): Promise<Uint8Array[]>;
  /** The index of each leaf hash, undefined for hashes that are not in the log. */
  findIndices(leafHashes: readonly Uint8Array[]): Promise<(number | undefined)[]>;
  writeIntegration(integration: Integration): Promise<void>;

  writeCheckpoint(head: SignedTreeHead): Promise<void>;
  latestCheckpoint(): Promise<SignedTreeHead | undefined>;
  /** The checkpoint signed at exactly this tree size, if the log signed one there. */
  readCheckpoint(size: number): Promise<SignedTreeHead | undefined>;
  /** Checkpoints in increasing size from `fromSize`, at most `limit` of them. */
  readCheckpoints(fromSize: number, limit: number): Promise<SignedTreeHead[]>;

  close(): Promise<void>;
}

/** A key and its value in a {@link KeyValueSpace}. */
export type KeyValue = readonly [key: Uint8Array, value: Uint8Array];

/** A range of keys in a {@link KeyValueSpace}: [gte, lt), both optional, at most `limit` pairs. */
export interface KeyRange {
  readonly gte?: Uint8Array;
  readonly lt?: Uint8Array;
  readonly limit: number;
  /** Descending order. */
  readonly reverse?: boolean;
}

/**
 * A private key space in the log's own store, for followers of the log (the entry index) that
 * keep records derived from it: same database, same durability, none of the log's keys. Keys are
 * ordered as unsigned bytes. Drivers throw `LogError` with a STORAGE_* code.
 */
export interface KeyValueSpace {
  get(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]>;
  range(range: KeyRange): Promise<KeyValue[]>;
  /** Writes every put and delete in one atomic, durable batch. */
  write(changes: { readonly puts?: readonly KeyValue[]; readonly deletes?: readonly Uint8Array[] }): Promise<void>;
  /** Deletes every key of the space; durable when it returns. */
  clear(): Promise<void>;
}
