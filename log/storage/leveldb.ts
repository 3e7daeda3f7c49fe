import { ClassicLevel } from 'classic-level';
import { readUint64BE, writeUint64BE } from '../../util/index.js';
import type { SignedTreeHead } from '../checkpoint.js';
import { LogError } from '../errors.js';
import { decodeEntryBundle, encodeEntryBundle, type TileId } from '../tiles/index.js';
import { HASH_SIZE } from '../tree/index.js';
import { type CompactionPriority, compactionPriority, DEFAULT_COMPACTION_NICE, openLoweringCompaction } from './compaction-priority.js';
import type { Integration, KeyRange, KeyValue, KeyValueSpace, LogStorage, TreeState } from './driver.js';

// Key space. One byte of prefix per record type keeps each type in its own sorted run, so an
// index range is a range scan and the random-keyed hash index never interleaves with entries.
const FORMAT_KEY = Uint8Array.of(0x6d, ...new TextEncoder().encode('format')); // "mformat"
const FORMAT = new TextEncoder().encode('atlog-log/1');
const TREE_STATE_KEY = Uint8Array.of(0x73); // "s"
const ENTRY_CHUNK = 0x65; // "e" ‖ u64 first index → entries, as a C2SP entry bundle fragment
const LEAF_INDEX = 0x68; // "h" ‖ leaf hash → u64 index
const TILE = 0x74; // "t" ‖ u8 level ‖ u64 index → tile
const CHECKPOINT = 0x63; // "c" ‖ u64 size → checkpoint record
const SPACE = 0x78; // "x" ‖ u8 name length ‖ name ‖ key → a follower's record (KeyValueSpace)

const RECORD_VERSION = 1;

/** Entries per C2SP entry bundle: a stored chunk of entries never crosses a multiple of this. */
const BUNDLE_WIDTH = 256;
/** Entries are length-prefixed with a uint16, as in C2SP entry bundles. */
export const MAX_STORED_ENTRY_BYTES = 0xffff;

function indexKey(prefix: number, index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = prefix;
  writeUint64BE(key, 1, index);
  return key;
}

function tileKey(id: TileId): Uint8Array {
  const key = new Uint8Array(10);
  key[0] = TILE;
  key[1] = id.level;
  writeUint64BE(key, 2, id.index);
  return key;
}

/**
 * `prefix ‖ key` for each key, as views of one buffer: a thousand keys were a thousand small
 * arrays, each of which V8 moves off its heap when classic-level asks for its bytes, on the path
 * every append takes twice (lookup, then write) and every index write takes.
 */
function prefixedKeys(prefix: Uint8Array, keys: readonly Uint8Array[]): Uint8Array[] {
  let bytes = 0;
  for (const key of keys) bytes += prefix.length + key.length;
  const buffer = new Uint8Array(bytes);
  const out = new Array<Uint8Array>(keys.length);
  let at = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (prefix.length === 1) buffer[at] = prefix[0]!;
    else buffer.set(prefix, at);
    buffer.set(key, at + prefix.length);
    out[i] = buffer.subarray(at, at + prefix.length + key.length);
    at += prefix.length + key.length;
  }
  return out;
}

const LEAF_INDEX_PREFIX = Uint8Array.of(LEAF_INDEX);

/** The leaf-index keys of a batch ("h" ‖ leaf hash), from one buffer. */
function leafIndexKeys(leafHashes: readonly Uint8Array[]): Uint8Array[] {
  for (const leafHash of leafHashes) {
    // The driver's own record of a hash of another length would be another key's.
    if (leafHash.length !== HASH_SIZE) throw new LogError('INVALID_ARGUMENT', `a leaf hash is ${HASH_SIZE} bytes`);
  }
  return prefixedKeys(LEAF_INDEX_PREFIX, leafHashes);
}

/** Batches up to this many leaf hashes are looked up and written in key order. */
const MAX_SORTED = 2 ** 21;

/**
 * The positions of `leafHashes` in (nearly) key order: by their first 32 bits, ties in batch
 * order. LevelDB looks up and inserts one key after another, each from the top of its memtable
 * and through its tables; in key order each search runs down much the same path as the one
 * before, still in the CPU's caches, where random order misses them at almost every step.
 */
function keyOrder(leafHashes: readonly Uint8Array[]): number[] {
  const n = leafHashes.length;
  if (n > MAX_SORTED) return Array.from({ length: n }, (_, i) => i);
  // prefix · 2^21 + position is below 2^53: exact in a double, and a typed array sorts numbers
  // natively, with no comparator called from C++.
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = leafHashes[i]!;
    packed[i] = (((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0) * MAX_SORTED + i;
  }
  packed.sort();
  const order = new Array<number>(n);
  for (let j = 0; j < n; j++) order[j] = packed[j]! % MAX_SORTED;
  return order;
}

/** A chunk of entries, in C2SP entry-bundle encoding. */
function encodeChunk(entries: readonly Uint8Array[], from: number, count: number): Uint8Array {
  for (let i = from; i < from + count; i++) {
    if (entries[i]!.length > MAX_STORED_ENTRY_BYTES) {
      throw new LogError('ENTRY_TOO_LARGE', `an entry of ${entries[i]!.length} bytes does not fit a C2SP entry bundle`);
    }
  }
  return encodeEntryBundle(entries.slice(from, from + count));
}

function parseChunk(chunk: Uint8Array, firstIndex: number): Uint8Array[] {
  const entries = decodeEntryBundle(chunk);
  if (entries === undefined) throw corrupt(`the entry chunk at ${firstIndex} is truncated`);
  return entries;
}

function encodeTreeState(state: TreeState): Uint8Array {
  const value = new Uint8Array(1 + 8 + HASH_SIZE);
  value[0] = RECORD_VERSION;
  writeUint64BE(value, 1, state.size);
  value.set(state.rootHash, 9);
  return value;
}

function decodeTreeState(value: Uint8Array): TreeState {
  const size = value.length === 1 + 8 + HASH_SIZE && value[0] === RECORD_VERSION ? readUint64BE(value, 1) : undefined;
  if (size === undefined) throw corrupt('the tree state record is malformed');
  return { size, rootHash: value.slice(9) };
}

function encodeCheckpoint(head: SignedTreeHead): Uint8Array {
  const value = new Uint8Array(1 + 8 + HASH_SIZE + 8 + head.signature.length);
  value[0] = RECORD_VERSION;
  writeUint64BE(value, 1, head.size);
  value.set(head.rootHash, 9);
  writeUint64BE(value, 9 + HASH_SIZE, head.timestamp);
  value.set(head.signature, 17 + HASH_SIZE);
  return value;
}

function decodeCheckpoint(value: Uint8Array): SignedTreeHead {
  const ok = value.length >= 17 + HASH_SIZE && value[0] === RECORD_VERSION;
  const size = ok ? readUint64BE(value, 1) : undefined;
  const timestamp = ok ? readUint64BE(value, 9 + HASH_SIZE) : undefined;
  if (size === undefined || timestamp === undefined) throw corrupt('a checkpoint record is malformed');
  return {
    size,
    rootHash: value.slice(9, 9 + HASH_SIZE),
    timestamp,
    signature: value.slice(17 + HASH_SIZE),
  };
}

function corrupt(message: string): LogError {
  return new LogError('STORAGE_CORRUPT', `LevelDB log: ${message}`);
}

/** Maps a classic-level failure to a typed error, keeping the original as the cause. */
function storageError(action: string, err: unknown): LogError {
  if (err instanceof LogError) return err;
  let code: string | undefined;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' && c !== 'LEVEL_DATABASE_NOT_OPEN') {
      code = c;
      break;
    }
  }
  if (code === 'LEVEL_LOCKED') {
    return new LogError('STORAGE_LOCKED', `LevelDB log: cannot ${action}: another process has the database open`, { cause: err });
  }
  if (code === 'LEVEL_CORRUPTION') {
    return new LogError('STORAGE_CORRUPT', `LevelDB log: cannot ${action}: the database is corrupt`, { cause: err });
  }
  const detail = err instanceof Error ? err.message : String(err);
  return new LogError('STORAGE_FAILURE', `LevelDB log: cannot ${action}: ${detail}`, { cause: err, retryable: true });
}

export interface LevelDbStorageOptions {
  /** LevelDB's own block cache, in bytes (default 16 MiB). */
  readonly blockCacheBytes?: number;
  /**
   * LevelDB's write buffer (memtable), in bytes (default 64 MiB). It fills with what is written
   * and is flushed to a table when full; memory grows to it, and at most twice it while a full
   * one is flushed, whatever the size of the log.
   */
  readonly writeBufferBytes?: number;
  /**
   * The nice value LevelDB's compaction thread runs at (default 10; 0 leaves it at the process's),
   * set by the first database opened in the process, on Linux (./compaction-priority.ts).
   */
  readonly compactionNice?: number;
}

/**
 * Why 64 MiB and not LevelDB's 4 MiB: every flushed table holds entry chunks (sequential keys,
 * most of the bytes) mixed with hash-index records (random keys), so each compaction out of
 * level 0 rewrites the entries too. Fewer, larger flushes cut that background work by about
 * two-thirds when building a log of a million entries, on a machine where it competes with the
 * sequencer for one of two cores (docs/benchmarks.md).
 */
const DEFAULT_WRITE_BUFFER_BYTES = 64 * 1024 * 1024;
/** LevelDB clamps its write buffer to [64 KiB, 1 GiB]; refuse what it would silently change. */
const MIN_WRITE_BUFFER_BYTES = 64 * 1024;
const MAX_OPTION_BYTES = 2 ** 30;

function checkByteOption(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min || value > MAX_OPTION_BYTES) {
    throw new LogError('INVALID_ARGUMENT', `LevelDB option ${name} must be an integer from ${min} to ${MAX_OPTION_BYTES}`);
  }
}

/**
 * The embedded storage driver: one LevelDB database in a directory, one process at a time
 * (LevelDB's lock file enforces that). Writes are a single `sync` batch: on return the data has
 * been fsync'd to the write-ahead log, and after a crash LevelDB replays the log up to the last
 * complete batch, so an integration is either wholly present or wholly absent.
 */
export class LevelDbStorage implements LogStorage {
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;
  /** The size of the stored tree state, to refuse integrations that do not extend it. */
  private storedSize: number | undefined;

  private constructor(db: ClassicLevel<Uint8Array, Uint8Array>) {
    this.db = db;
  }

  static async open(directory: string, options: LevelDbStorageOptions = {}): Promise<LevelDbStorage> {
    checkByteOption('blockCacheBytes', options.blockCacheBytes, 0);
    checkByteOption('writeBufferBytes', options.writeBufferBytes, MIN_WRITE_BUFFER_BYTES);
    const nice = options.compactionNice ?? DEFAULT_COMPACTION_NICE;
    if (!Number.isSafeInteger(nice) || nice < 0 || nice > 19) throw new LogError('INVALID_ARGUMENT', 'compactionNice must be an integer from 0 to 19');
    const db = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
      keyEncoding: 'view',
      valueEncoding: 'view',
      cacheSize: options.blockCacheBytes ?? 16 * 1024 * 1024,
      writeBufferSize: options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES,
    });
    try {
      // A compaction of a range no record is in (no key starts with 0xff) makes LevelDB schedule
      // background work, and so start its thread if nothing had yet.
      const nothing = Uint8Array.of(0xff);
      await openLoweringCompaction(
        directory,
        nice,
        () => db.open({ createIfMissing: true, errorIfExists: false }),
        () => db.compactRange(nothing, nothing),
      );
    } catch (err) {
      throw storageError(`open ${directory}`, err);
    }
    const storage = new LevelDbStorage(db);
    try {
      await storage.checkFormat();
      storage.storedSize = (await storage.readTreeState())?.size;
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return storage;
  }

  /** What this process did about LevelDB's compaction thread (undefined before any open). */
  get compaction(): CompactionPriority | undefined {
    return compactionPriority();
  }

  /** A new database gets the format marker; an existing one must already carry it. */
  private async checkFormat(): Promise<void> {
    const format = await this.get(FORMAT_KEY, 'read the format marker');
    if (format !== undefined) {
      if (Buffer.compare(format, FORMAT) !== 0) throw corrupt('the database holds a different format');
      return;
    }
    for await (const _ of this.db.keys({ limit: 1 })) {
      throw corrupt('the database is not empty but has no atlog format marker');
    }
    await this.db.put(FORMAT_KEY, FORMAT, { sync: true }).catch((err) => {
      throw storageError('write the format marker', err);
    });
  }

  private async get(key: Uint8Array, action: string): Promise<Uint8Array | undefined> {
    try {
      return await this.db.get(key);
    } catch (err) {
      throw storageError(action, err);
    }
  }

  async readTreeState(): Promise<TreeState | undefined> {
    const value = await this.get(TREE_STATE_KEY, 'read the tree state');
    return value === undefined ? undefined : decodeTreeState(value);
  }

  async readTiles(ids: readonly TileId[]): Promise<(Uint8Array | undefined)[]> {
    if (ids.length === 0) return [];
    try {
      return await this.db.getMany(ids.map(tileKey));
    } catch (err) {
      throw storageError('read tiles', err);
    }
  }

  async readEntries(first: number, count: number): Promise<Uint8Array[]> {
    if (count <= 0) return [];
    try {
      // The chunk holding `first` is the last one that starts at or before it.
      let start: number | undefined;
      for await (const key of this.db.keys({ gte: indexKey(ENTRY_CHUNK, 0), lte: indexKey(ENTRY_CHUNK, first), reverse: true, limit: 1 })) {
        start = readUint64BE(key, 1);
      }
      if (start === undefined) return [];
      const entries: Uint8Array[] = [];
      let expected = start;
      for await (const [key, value] of this.db.iterator({ gte: indexKey(ENTRY_CHUNK, start), lt: indexKey(ENTRY_CHUNK, first + count) })) {
        // Chunks are written whole batch by batch, so a gap means the database lost records.
        if (readUint64BE(key, 1) !== expected) throw corrupt(`entries from ${expected} are missing`);
        for (const entry of parseChunk(value, expected)) {
          if (expected >= first && expected < first + count) entries.push(entry);
          expected++;
        }
      }
      return entries;
    } catch (err) {
      throw storageError('read entries', err);
    }
  }

  async findIndices(leafHashes: readonly Uint8Array[]): Promise<(number | undefined)[]> {
    if (leafHashes.length === 0) return [];
    const keys = leafIndexKeys(leafHashes);
    const order = keyOrder(leafHashes);
    let values: (Uint8Array | undefined)[];
    try {
      values = await this.db.getMany(order.map((i) => keys[i]!));
    } catch (err) {
      throw storageError('look up leaf hashes', err);
    }
    const indices = new Array<number | undefined>(leafHashes.length);
    values.forEach((value, j) => {
      if (value === undefined) return;
      const index = value.length === 8 ? readUint64BE(value, 0) : undefined;
      if (index === undefined) throw corrupt('a leaf index record is malformed');
      indices[order[j]!] = index;
    });
    return indices;
  }

  async writeIntegration(integration: Integration): Promise<void> {
    const { previousSize, entries, leafHashes, tiles, treeState } = integration;
    if ((this.storedSize ?? 0) !== previousSize) {
      throw new LogError(
        'STORAGE_CONFLICT',
        `LevelDB log: integration extends size ${previousSize} but the stored size is ${this.storedSize ?? 0}`,
      );
    }
    const batch = this.db.batch();
    const keys = leafIndexKeys(leafHashes);
    const values = new Uint8Array(8 * entries.length);
    for (const i of keyOrder(leafHashes)) {
      writeUint64BE(values, 8 * i, previousSize + i);
      batch.put(keys[i]!, values.subarray(8 * i, 8 * i + 8));
    }
    // One record per run of entries inside a bundle, instead of one per entry: half the writes.
    for (let i = 0; i < entries.length; ) {
      const index = previousSize + i;
      const run = Math.min(entries.length - i, BUNDLE_WIDTH - (index % BUNDLE_WIDTH));
      batch.put(indexKey(ENTRY_CHUNK, index), encodeChunk(entries, i, run));
      i += run;
    }
    for (const tile of tiles) batch.put(tileKey(tile.id), tile.bytes);
    batch.put(TREE_STATE_KEY, encodeTreeState(treeState));
    try {
      await batch.write({ sync: true });
    } catch (err) {
      throw storageError('write an integration', err);
    }
    this.storedSize = treeState.size;
  }

  async writeCheckpoint(head: SignedTreeHead): Promise<void> {
    try {
      await this.db.put(indexKey(CHECKPOINT, head.size), encodeCheckpoint(head), { sync: true });
    } catch (err) {
      throw storageError('write a checkpoint', err);
    }
  }

  async latestCheckpoint(): Promise<SignedTreeHead | undefined> {
    try {
      for await (const value of this.db.values({
        gte: indexKey(CHECKPOINT, 0),
        lte: indexKey(CHECKPOINT, Number.MAX_SAFE_INTEGER),
        reverse: true,
        limit: 1,
      })) {
        return decodeCheckpoint(value);
      }
      return undefined;
    } catch (err) {
      throw storageError('read the latest checkpoint', err);
    }
  }

  async readCheckpoint(size: number): Promise<SignedTreeHead | undefined> {
    const value = await this.get(indexKey(CHECKPOINT, size), 'read a checkpoint');
    return value === undefined ? undefined : decodeCheckpoint(value);
  }

  async readCheckpoints(fromSize: number, limit: number): Promise<SignedTreeHead[]> {
    try {
      const heads: SignedTreeHead[] = [];
      for await (const value of this.db.values({
        gte: indexKey(CHECKPOINT, fromSize),
        lte: indexKey(CHECKPOINT, Number.MAX_SAFE_INTEGER),
        limit,
      })) {
        heads.push(decodeCheckpoint(value));
      }
      return heads;
    } catch (err) {
      throw storageError('read checkpoints', err);
    }
  }

  /**
   * The key space `name` (1 to 32 of a-z 0-9 -) in this database: for followers of the log, such
   * as the entry index, whose records must live and be backed up with the log.
   */
  space(name: string): KeyValueSpace {
    if (typeof name !== 'string' || !/^[a-z0-9-]{1,32}$/.test(name)) {
      throw new LogError('INVALID_ARGUMENT', 'a key space name is 1 to 32 of a-z 0-9 -');
    }
    return new LevelDbSpace(this.db, Uint8Array.of(SPACE, name.length, ...new TextEncoder().encode(name)));
  }

  async close(): Promise<void> {
    try {
      await this.db.close();
    } catch (err) {
      throw storageError('close', err);
    }
  }
}

/** A key space inside the log's LevelDB: every key carries the space's prefix, stripped on reads. */
class LevelDbSpace implements KeyValueSpace {
  /** The first key after every key of the space (the prefix is ASCII, so its last byte is < 0xff). */
  private readonly end: Uint8Array;

  constructor(
    private readonly db: ClassicLevel<Uint8Array, Uint8Array>,
    private readonly prefix: Uint8Array,
  ) {
    this.end = prefix.slice();
    this.end[this.end.length - 1]! += 1;
  }

  private key(key: Uint8Array): Uint8Array {
    const full = new Uint8Array(this.prefix.length + key.length);
    full.set(this.prefix);
    full.set(key, this.prefix.length);
    return full;
  }

  async get(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    try {
      return await this.db.getMany(prefixedKeys(this.prefix, keys));
    } catch (err) {
      throw storageError('read a key space', err);
    }
  }

  async range(range: KeyRange): Promise<KeyValue[]> {
    if (!Number.isSafeInteger(range.limit) || range.limit < 0) throw new LogError('INVALID_ARGUMENT', 'a range limit is a non-negative integer');
    if (range.limit === 0) return [];
    const out: KeyValue[] = [];
    try {
      for await (const [key, value] of this.db.iterator({
        gte: range.gte === undefined ? this.prefix : this.key(range.gte),
        lt: range.lt === undefined ? this.end : this.key(range.lt),
        limit: range.limit,
        reverse: range.reverse === true,
      })) {
        out.push([key.subarray(this.prefix.length), value]);
      }
    } catch (err) {
      throw storageError('scan a key space', err);
    }
    return out;
  }

  async write(changes: { readonly puts?: readonly KeyValue[]; readonly deletes?: readonly Uint8Array[] }): Promise<void> {
    const batch = this.db.batch();
    const deletes = prefixedKeys(this.prefix, changes.deletes ?? []);
    for (const key of deletes) batch.del(key);
    const puts = changes.puts ?? [];
    const keys = prefixedKeys(this.prefix, puts.map(([key]) => key));
    for (let i = 0; i < puts.length; i++) batch.put(keys[i]!, puts[i]![1]);
    try {
      await batch.write({ sync: true });
    } catch (err) {
      throw storageError('write a key space', err);
    }
  }

  async clear(): Promise<void> {
    try {
      await this.db.clear({ gte: this.prefix, lt: this.end });
      // clear() does not sync; a synced write after it makes the deletions durable with it.
      await this.db.batch().del(this.prefix).write({ sync: true });
    } catch (err) {
      throw storageError('clear a key space', err);
    }
  }
}
