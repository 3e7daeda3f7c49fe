// The entry index: a follower of the log. After each checkpoint it derives the records of the
// entries it has not indexed yet (records.ts and keys.ts: a draft that is a pure function of the
// entry, completed with its place) and writes them with its new indexed size in one atomic,
// durable batch in the log's own store. A draft made where the statement was admitted is used
// as it is (`expect`); any other is made from the entry read back from the log. So after any
// crash it resumes exactly where its last batch ended: no entry is skipped or indexed twice,
// and every query answers for one tree size, a prefix of the log. Only this class writes the
// index; the HTTP handlers only read it.

import { type KeyValue, type KeyValueSpace, MAX_ENTRIES_PER_READ, type MerkleLog, type SignedTreeHead } from '../log/index.js';
import { bytesEqual, readUint64BE } from '../util/index.js';
import { IndexError } from './errors.js';
import {
  blockOf,
  decodeEntry,
  decodePostings,
  decodeState,
  encodeState,
  entryKey,
  type DraftMaker,
  entryDraft,
  type Field,
  FIELDS,
  INDEX_FORMAT,
  type IndexState,
  placeDraft,
  placedOf,
  type Posting,
  POSTINGS_BLOCK,
  PostingsBuffer,
  postingsKey,
  STATE_KEY,
  valuePrefix,
} from './keys.js';
import { ExpectedDrafts } from './drafts.js';
import { ENTRY_TYPE_CODES, ENTRY_TYPES, type EntryType, type IndexedEntry } from './records.js';

export interface EntryIndexOptions {
  readonly log: MerkleLog;
  /** The index's key space in the log's store (`LevelDbStorage.space('index')`). */
  readonly space: KeyValueSpace;
  /** Entries indexed per atomic batch (default and most: 1000). */
  readonly batchEntries?: number;
  /** Told of a failed catch-up; the index tries again at the next checkpoint. */
  readonly onError?: (error: unknown) => void;
  /** Told the new indexed size after each batch is durable (progress, metrics). */
  readonly onIndexed?: (size: number) => void;
  /**
   * Makes the drafts of entries read back from the log (default: {@link entryDraft} on this
   * thread). The service passes its worker threads', so that parsing entries does not hold the
   * event loop; the drafts must be the same bytes either way.
   */
  readonly drafts?: DraftMaker;
}

/** Why an index found at open was dropped and rebuilt from the log. */
export type RebuildReason = 'format' | 'ahead-of-log' | 'another-log' | 'malformed' | 'interrupted';

export interface EntryQuery {
  readonly type?: EntryType;
  /** Only entries whose `time` is at or after this (ms since the epoch). */
  readonly from?: number;
  /** Only entries whose `time` is before this (ms). */
  readonly to?: number;
  /** The cursor: only entries after this log index (a previous page's `next`). */
  readonly after?: number;
  /** Most entries in the page (default 100, at most 1000). */
  readonly limit?: number;
}

export interface EntryPage {
  /** The tree size the answer reflects: entries below it are all indexed, none above it is shown. */
  readonly treeSize: number;
  /** In log order. */
  readonly entries: readonly IndexedEntry[];
  /** Pass as `after` for the next page; absent when the index has nothing further. */
  readonly next?: number;
}

export const MAX_PAGE_ENTRIES = 1000;
const DEFAULT_PAGE_ENTRIES = 100;
/** Checkpoints kept for registration times: more than an index batch ever spans while it keeps up. */
const RECENT_HEADS = 1024;
/** Most postings one page may scan: a filtered query does bounded work, then returns a cursor. */
const MAX_SCANNED_PER_PAGE = 10_000;
/** Postings records read at a time: up to this many blocks of one value. */
const POSTINGS_RECORDS_PER_READ = 16;

export class EntryIndex {
  private state: IndexState;
  private closed = false;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly waiters = new Set<{ size: number; resolve: () => void; reject: (error: unknown) => void }>();
  private readonly unfollow: () => void;
  private readonly batchEntries: number;
  private readonly indexedListeners = new Set<(size: number) => void>();
  private readonly expected = new ExpectedDrafts();
  /** The checkpoints signed since the index opened, the latest few: registration times without a read. */
  private readonly heads: SignedTreeHead[] = [];
  /** The postings of the blocks not written yet, from the block of the indexed size on. */
  private readonly postings: PostingsBuffer;

  private constructor(
    private readonly log: MerkleLog,
    private readonly space: KeyValueSpace,
    state: IndexState,
    postings: PostingsBuffer,
    /** Set when the index found at open was dropped, and why. */
    readonly rebuilt: RebuildReason | undefined,
    private readonly options: EntryIndexOptions,
  ) {
    this.state = state;
    this.postings = postings;
    this.batchEntries = options.batchEntries ?? MAX_ENTRIES_PER_READ;
    this.unfollow = log.onCheckpoint((head) => {
      this.heads.push(head);
      if (this.heads.length > RECENT_HEADS) this.heads.splice(0, this.heads.length - RECENT_HEADS);
      this.kick();
    });
  }

  /**
   * Opens the index of `log` in `space`, checks that it belongs to this log at a size the log
   * has, and starts catching up in the background (`caughtUp()` waits for it). An index that is
   * malformed, of another format, ahead of the log or of another log is derived data: it is
   * dropped and rebuilt, and `rebuilt` says why.
   */
  static async open(options: EntryIndexOptions): Promise<EntryIndex> {
    const { log, space } = options;
    const batch = options.batchEntries;
    if (batch !== undefined && (!Number.isSafeInteger(batch) || batch < 1 || batch > MAX_ENTRIES_PER_READ)) {
      throw new IndexError('INDEX_BAD_QUERY', `batchEntries must be an integer from 1 to ${MAX_ENTRIES_PER_READ}`);
    }
    let { state, reason } = await loadState(log, space);
    let postings = state === undefined ? new PostingsBuffer() : await heldPostings(space, state.size).catch((error: unknown) => {
      if (error instanceof IndexError && error.code === 'INDEX_CORRUPT') return undefined;
      throw error;
    });
    if (postings === undefined) {
      // The records of the block being filled are not all there: the index is malformed.
      state = undefined;
      reason = 'malformed';
      postings = new PostingsBuffer();
    }
    if (reason !== undefined) await space.clear();
    const index = new EntryIndex(log, space, state ?? emptyState(), postings, reason, options);
    index.kick();
    return index;
  }

  /**
   * Drops the index in `space` and indexes `log` again from its first entry; resolves with the
   * size indexed. For `atlog reindex`: the log must not be taking entries meanwhile.
   */
  static async rebuild(options: EntryIndexOptions): Promise<number> {
    await options.space.clear();
    const index = await EntryIndex.open(options);
    try {
      return await index.caughtUp();
    } finally {
      await index.close();
    }
  }

  /** The tree size indexed so far. */
  get size(): number {
    return this.state.size;
  }

  /** Resolves with the indexed size once it reaches `size` (default: the log's size now). */
  caughtUp(size: number = this.log.size): Promise<number> {
    if (this.state.size >= size) return Promise.resolve(this.state.size);
    if (this.closed) return Promise.reject(new IndexError('INDEX_CLOSED', 'the index is closed'));
    return new Promise((resolve, reject) => {
      this.waiters.add({ size, resolve: () => resolve(this.state.size), reject });
      this.kick();
    });
  }

  /** The record of the entry at `index`, if the index has reached it. */
  async entry(index: number): Promise<IndexedEntry | undefined> {
    if (!Number.isSafeInteger(index) || index < 0) throw new IndexError('INDEX_BAD_QUERY', 'a log index is a non-negative integer');
    if (index >= this.state.size) return undefined;
    const [value] = await this.space.get([entryKey(index)]);
    if (value === undefined) throw new IndexError('INDEX_CORRUPT', `entry ${index} is missing from the index; rebuild it (atlog reindex)`);
    return decodeEntry(value, index);
  }

  /**
   * The entries found by `field` = `value` (an agent, a workflow, a task…), in log order, filtered
   * by type and time, one page at a time. Scans at most a bounded number of keys per call: a page
   * can come back short, with a `next` cursor, when the filters skip many entries.
   */
  async find(field: Field, value: string, query: EntryQuery = {}): Promise<EntryPage> {
    if (!(field in FIELDS)) throw new IndexError('INDEX_BAD_QUERY', `the index has no field ${JSON.stringify(String(field))}`);
    if (typeof value !== 'string') throw new IndexError('INDEX_BAD_QUERY', `a ${field} is text`);
    const { limit, typeCode, from, to, after } = checkQuery(query);
    const treeSize = this.state.size;
    const prefix = valuePrefix(field, value);
    const start = after + 1;
    if (prefix === undefined || start >= treeSize) return { treeSize, entries: [] };

    // Without a filter every posting scanned is an entry of the page: read no more than the page holds.
    const filtered = typeCode !== undefined || from > 0 || to < Number.MAX_SAFE_INTEGER;
    const bound = filtered ? Math.max(limit, MAX_SCANNED_PER_PAGE) : limit;
    const postings = this.postingsOf(prefix, start, treeSize);
    const wanted: number[] = [];
    let last = after;
    let scanned = 0;
    let stopped = false;
    while (!stopped) {
      const read = await postings.next();
      if (read === undefined) break;
      for (const posting of read) {
        last = posting.index;
        if ((typeCode === undefined || posting.typeCode === typeCode) && posting.time >= from && posting.time < to) wanted.push(last);
        if (wanted.length === limit || ++scanned === bound) {
          stopped = true;
          break;
        }
      }
    }
    const values = await this.space.get(wanted.map(entryKey));
    const entries = values.map((v, i) => {
      if (v === undefined) throw new IndexError('INDEX_CORRUPT', `entry ${wanted[i]} is missing from the index; rebuild it (atlog reindex)`);
      return decodeEntry(v, wanted[i]!);
    });
    // More may follow if the page filled, or if the scan stopped at its bound before the end.
    return stopped && last + 1 < treeSize ? { treeSize, entries, next: last } : { treeSize, entries };
  }

  /**
   * Every entry found by `field` = `value` below `below` (default and at most: the indexed size),
   * in log order, filtered by type and time, a page of at most `limit` (default 1000) at a time:
   * for analyses that read all of a field's entries (privacy reports). Unlike {@link find}, whose
   * pages each scan a bounded number of keys ahead, every key is read once.
   */
  async *scan(field: Field, value: string, query: Omit<EntryQuery, 'after'> & { readonly below?: number } = {}): AsyncGenerator<IndexedEntry[]> {
    if (!(field in FIELDS)) throw new IndexError('INDEX_BAD_QUERY', `the index has no field ${JSON.stringify(String(field))}`);
    if (typeof value !== 'string') throw new IndexError('INDEX_BAD_QUERY', `a ${field} is text`);
    const { limit, typeCode, from, to } = checkQuery({ ...query, limit: query.limit ?? MAX_PAGE_ENTRIES });
    const below = query.below ?? this.state.size;
    if (!Number.isSafeInteger(below) || below < 0) throw new IndexError('INDEX_BAD_QUERY', 'below is a tree size');
    const end = Math.min(below, this.state.size);
    const prefix = valuePrefix(field, value);
    if (prefix === undefined || end === 0) return;
    // One page: the postings up to its limit, then the records it wants. The next page is fetched
    // while this one is decoded and used, so the store's reads overlap the caller's work.
    const postings = this.postingsOf(prefix, 0, end);
    let read: readonly Posting[] = [];
    let at = 0;
    type Page = { wanted: number[]; values: (Uint8Array | undefined)[] };
    const fetchPage = async (): Promise<Page | undefined> => {
      const wanted: number[] = [];
      while (wanted.length < limit) {
        if (at === read.length) {
          const more = await postings.next();
          if (more === undefined) break;
          read = more;
          at = 0;
          continue;
        }
        const posting = read[at++]!;
        if ((typeCode === undefined || posting.typeCode === typeCode) && posting.time >= from && posting.time < to) wanted.push(posting.index);
      }
      if (wanted.length === 0) return undefined;
      const first = wanted[0]!;
      const span = wanted.at(-1)! - first + 1;
      let values: (Uint8Array | undefined)[];
      if (2 * wanted.length >= span) {
        // Mostly consecutive: one sequential read of the span is far cheaper than a seek per entry.
        const rows = await this.space.range({ gte: entryKey(first), lt: entryKey(first + span), limit: span });
        const byIndex = new Map(rows.map(([k, v]) => [readUint64BE(k, 1), v]));
        values = wanted.map((i) => byIndex.get(i));
      } else {
        values = await this.space.get(wanted.map(entryKey));
      }
      return { wanted, values };
    };
    for (let pending: Promise<Page | undefined> = fetchPage(); ; ) {
      const page = await pending;
      if (page === undefined) return;
      pending = fetchPage();
      // A prefetch the caller never waits for (it stopped early) must not become an unhandled rejection.
      pending.catch(() => {});
      yield page.values.map((v, i) => {
        if (v === undefined) throw new IndexError('INDEX_CORRUPT', `entry ${page.wanted[i]} is missing from the index; rebuild it (atlog reindex)`);
        return decodeEntry(v, page.wanted[i]!);
      });
    }
  }

  /**
   * The postings of a value (its key prefix) for the entries [start, end), end at most the
   * indexed size, in log order, a read at a time: the written blocks' records, then the block
   * still held in memory. What is held is copied now, before any read, so a batch written
   * meanwhile changes nothing of the answer.
   */
  private postingsOf(prefix: Uint8Array, start: number, end: number): { next(): Promise<readonly Posting[] | undefined> } {
    const last = blockOf(end - 1);
    // The block of `end - 1` is written once the indexed size is past it, and held until then.
    const held = last + POSTINGS_BLOCK > this.state.size ? this.postings.held(last) : undefined;
    if (held === undefined && last + POSTINGS_BLOCK > this.state.size) {
      throw new IndexError('INDEX_CORRUPT', `the postings of block ${last} are neither written nor held`);
    }
    let tail: Posting[] | undefined = held?.between(prefix, start, end);
    const written = held === undefined ? last + POSTINGS_BLOCK : last;
    let block = blockOf(start);
    return {
      next: async () => {
        while (block < written) {
          const rows = await this.space.range({ gte: postingsKey(prefix, block), lt: postingsKey(prefix, written), limit: POSTINGS_RECORDS_PER_READ });
          const lastKey = rows.at(-1)?.[0];
          block = rows.length === POSTINGS_RECORDS_PER_READ && lastKey !== undefined ? (readUint64BE(lastKey, lastKey.length - 8) ?? written) + POSTINGS_BLOCK : written;
          const read: Posting[] = [];
          for (const [key, value] of rows) for (const posting of decodePostings(key, value)) if (posting.index >= start && posting.index < end) read.push(posting);
          if (read.length > 0) return read;
        }
        const rest = tail;
        tail = undefined;
        return rest !== undefined && rest.length > 0 ? rest : undefined;
      },
    };
  }

  /**
   * Keeps the draft of an entry about to be sequenced, made from its bytes where it was admitted
   * ({@link entryDraft}): indexing it then needs neither its bytes nor a parse. A draft that is
   * not the entry's own would index the entry wrongly: the caller vouches for it.
   */
  expect(leafHash: Uint8Array, draft: Uint8Array): void {
    this.expected.put(leafHash, draft);
  }

  /**
   * Calls `listener` with the new indexed size after each batch is durable: the hook for work that
   * follows the index (continuous appraisal). It must only schedule work; what it throws is
   * ignored. Returns the function that removes it.
   */
  onIndexed(listener: (size: number) => void): () => void {
    this.indexedListeners.add(listener);
    return () => this.indexedListeners.delete(listener);
  }

  /** Stops following the log and waits for the batch being written. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unfollow();
    await this.running;
    for (const waiter of this.waiters) waiter.reject(new IndexError('INDEX_CLOSED', 'the index is closed'));
    this.waiters.clear();
  }

  private kick(): void {
    if (this.closed) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.catchUp()
      .catch((error: unknown) => {
        this.options.onError?.(error);
        for (const waiter of this.waiters) waiter.reject(error);
        this.waiters.clear();
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Indexes batches until the index reaches the log's size. */
  private async catchUp(): Promise<void> {
    const times = new RegistrationTimes(this.log, this.heads);
    while (!this.closed && this.state.size < this.log.size) {
      const first = this.state.size;
      const count = Math.min(this.batchEntries, this.log.size - first);
      const puts: KeyValue[] = [];
      let state: IndexState;
      try {
        const drafts = await this.draftsOf(first, count);
        const size = first + drafts.length;
        for (let i = 0; i < drafts.length; i++) this.postings.add(placeDraft(drafts[i]!, first + i, await times.of(first + i)), puts);
        state = { format: INDEX_FORMAT, size, rootHash: await this.log.rootAt(size) };
        puts.push([STATE_KEY, encodeState(state)]);
        await this.space.write({ puts });
      } catch (error) {
        // Nothing of the batch is written: the postings held go back to the indexed size.
        this.postings.truncate(this.state.size);
        throw error;
      }
      this.state = state;
      this.postings.written(state.size);
      const { size } = state;
      this.options.onIndexed?.(size);
      for (const listener of this.indexedListeners) {
        // A follower of the index must not stop the index.
        try {
          listener(size);
        } catch {
          // ignored by design (see onIndexed)
        }
      }
      for (const waiter of this.waiters) {
        if (waiter.size <= size) {
          this.waiters.delete(waiter);
          waiter.resolve();
        }
      }
    }
  }

  /** The drafts of up to `count` entries from `first`: those expected, and the rest made from the log. */
  private async draftsOf(first: number, count: number): Promise<Uint8Array[]> {
    // With none expected (a restart, a rebuild), the leaf hashes need not even be read.
    const drafts: (Uint8Array | undefined)[] =
      this.expected.size === 0
        ? new Array<undefined>(Math.min(count, this.log.size - first))
        : (await this.log.leafHashes(first, count)).map((leafHash) => this.expected.take(leafHash));
    const missing: number[] = [];
    for (let i = 0; i < drafts.length; i++) if (drafts[i] === undefined) missing.push(i);
    if (missing.length > 0) {
      // One read of the span the missing ones lie in.
      const from = missing[0]!;
      const entries = await this.log.entries(first + from, missing.at(-1)! - from + 1);
      const wanted = missing.map((i) => entries[i - from]!);
      const made = this.options.drafts === undefined ? wanted.map((entry) => entryDraft(entry)) : await this.options.drafts(wanted);
      if (made.length !== wanted.length) throw new IndexError('INDEX_CORRUPT', `${made.length} drafts were made for ${wanted.length} entries`);
      missing.forEach((i, k) => (drafts[i] = made[k]));
    }
    return drafts as Uint8Array[];
  }
}

/**
 * The registration time of entry i: the timestamp of the first checkpoint whose size exceeds i.
 * Reads the checkpoints in order, a page at a time, as the indexer walks forward.
 */
class RegistrationTimes {
  private heads: SignedTreeHead[] = [];
  private at = 0;

  constructor(
    private readonly log: MerkleLog,
    /** Consecutive checkpoints (every one signed after the first), oldest first. */
    private readonly recent: readonly SignedTreeHead[],
  ) {}

  async of(index: number): Promise<number> {
    for (;;) {
      while (this.at < this.heads.length && this.heads[this.at]!.size <= index) this.at++;
      if (this.at < this.heads.length) return this.heads[this.at]!.timestamp;
      // The first of the recent ones above the entry, when the one before it is not: no checkpoint
      // the index was not told of lies between them.
      const above = this.recent.findIndex((head) => head.size > index);
      if (above > 0) {
        this.heads = this.recent.slice(above - 1);
        this.at = 0;
        continue;
      }
      const from = Math.max(index + 1, (this.heads.at(-1)?.size ?? 0) + 1);
      this.heads = await this.log.checkpoints(from, 1000);
      this.at = 0;
      if (this.heads.length === 0) throw new IndexError('INDEX_CORRUPT', `no checkpoint covers entry ${index} of the log`);
    }
  }
}

/**
 * The postings of the block the indexed size is in, read back from its entries' records: they
 * are written only with the batch that completes the block.
 */
async function heldPostings(space: KeyValueSpace, size: number): Promise<PostingsBuffer> {
  const buffer = new PostingsBuffer();
  const first = blockOf(size);
  if (first === size) return buffer;
  const rows = await space.range({ gte: entryKey(first), lt: entryKey(size), limit: size - first });
  if (rows.length !== size - first) throw new IndexError('INDEX_CORRUPT', `entries of the index below ${size} are missing; rebuild it (atlog reindex)`);
  const ignored: KeyValue[] = [];
  rows.forEach(([, value], i) => buffer.add(placedOf(decodeEntry(value, first + i)), ignored));
  return buffer;
}

function emptyState(): IndexState {
  return { format: INDEX_FORMAT, size: 0, rootHash: new Uint8Array(32) };
}

async function loadState(log: MerkleLog, space: KeyValueSpace): Promise<{ state?: IndexState; reason?: RebuildReason }> {
  const [stored] = await space.get([STATE_KEY]);
  if (stored === undefined) {
    // Records without a state are what an interrupted rebuild leaves.
    const [any] = await space.range({ limit: 1 });
    return any === undefined ? {} : { reason: 'interrupted' };
  }
  let state: IndexState;
  try {
    state = decodeState(stored);
  } catch {
    return { reason: 'malformed' };
  }
  if (state.format !== INDEX_FORMAT) return { reason: 'format' };
  if (state.size > log.size) return { reason: 'ahead-of-log' };
  if (state.size > 0 && !bytesEqual(await log.rootAt(state.size), state.rootHash)) return { reason: 'another-log' };
  return { state };
}

function checkQuery(query: EntryQuery): { limit: number; typeCode: number | undefined; from: number; to: number; after: number } {
  if (typeof query !== 'object' || query === null) throw new IndexError('INDEX_BAD_QUERY', 'a query is an object');
  const limit = query.limit ?? DEFAULT_PAGE_ENTRIES;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_ENTRIES) {
    throw new IndexError('INDEX_BAD_QUERY', `limit is an integer from 1 to ${MAX_PAGE_ENTRIES}`);
  }
  const type = query.type;
  if (type !== undefined && !(ENTRY_TYPES as readonly string[]).includes(type)) {
    throw new IndexError('INDEX_BAD_QUERY', `type is one of ${ENTRY_TYPES.join(', ')}`);
  }
  const from = query.from ?? 0;
  const to = query.to ?? Number.MAX_SAFE_INTEGER;
  for (const [name, v] of [['from', from], ['to', to]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new IndexError('INDEX_BAD_QUERY', `${name} is a time in milliseconds since the epoch`);
  }
  if (from > to) throw new IndexError('INDEX_BAD_QUERY', 'from is later than to');
  const after = query.after ?? -1;
  if (!Number.isSafeInteger(after) || after < -1) throw new IndexError('INDEX_BAD_QUERY', 'after is a log index (a previous page’s next)');
  return { limit, typeCode: type === undefined ? undefined : ENTRY_TYPE_CODES[type], from, to, after };
}
