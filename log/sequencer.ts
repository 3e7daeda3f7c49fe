import { bytesEqual } from '../util/index.js';
import type { CheckpointSigner, SignedTreeHead } from './checkpoint.js';
import { EntrySlabs } from './entry-slabs.js';
import { LogError } from './errors.js';
import { InFlight } from './in-flight.js';
import { RecentIndices } from './recent-indices.js';
import { Deferred, Group, Pending, type Waiter } from './pending.js';
import { decodeStoredTile, TreeReader } from './reader.js';
import type { Integration, LogStorage, TreeState } from './storage/index.js';
import { TileCache } from './tile-cache.js';
import { RightEdge, rightEdge, type Tile, type TileId } from './tiles/index.js';
import { consistencyProofPlan, EMPTY_ROOT, hashLeafRecord, ProofError, verifyConsistency } from './tree/index.js';

export interface SequencerOptions {
  /** Most entries integrated under one checkpoint (default 1024). */
  readonly maxBatchSize?: number;
  /**
   * Longest a submission waits for others to share its batch while the sequencer is idle (default
   * 0: the batch is cut on the next turn of the event loop). Under load, batches form on their own
   * while the previous one is being written, so a longer wait only adds latency.
   */
  readonly maxBatchDelayMs?: number;
  /**
   * How many of the latest checkpointed entries to remember by leaf hash, so that looking one up
   * needs no storage read (default 65 536, about 5 MiB; 0 remembers none).
   */
  readonly recentEntries?: number;
  /** Most entries waiting to be integrated before submissions are refused (default 65 536). */
  readonly maxQueueEntries?: number;
  /** Most bytes of entries waiting to be integrated (default 64 MiB). */
  readonly maxQueueBytes?: number;
  /**
   * Largest entry accepted (default 65 535 bytes: the C2SP entry-bundle limit, so every entry can
   * be served in tiles; larger statements belong in a COSE hash envelope).
   */
  readonly maxEntryBytes?: number;
}

/** An entry accepted into the queue: its id now, its place in the log when it is durable. */
export interface Submission {
  readonly leafHash: Uint8Array;
  readonly result: Promise<AppendResult>;
}

export interface AppendResult {
  /** Where the entry is in the log. */
  readonly index: number;
  /** The size of the signed checkpoint that includes it: prove inclusion against this size. */
  readonly treeSize: number;
  /** SHA-256(0x00 ‖ entry): the entry's id. */
  readonly leafHash: Uint8Array;
  /** True when the entry was already in the log, and `index` is where it was found. */
  readonly duplicate: boolean;
}

/** What publishing a batch needs from its integration. */
interface Integrated {
  /** Where each entry of the batch was already stored, or undefined for the fresh ones. */
  readonly indices: readonly (number | undefined)[];
  /** The index of the first fresh entry; the fresh ones follow in batch order. */
  readonly firstIndex: number;
}

/** A batch appended to the in-memory tree, and the write that makes it durable (none if all were stored). */
interface Prepared extends Integrated {
  readonly write: { readonly integration: Integration; readonly tiles: readonly Tile[] } | undefined;
}

/** A batch cut from the queue, and the lookup of which of its entries are already stored. */
interface Cut {
  readonly batch: Pending[];
  readonly stored: Promise<(number | undefined)[]>;
}

/** The most entries {@link SequencerOptions.recentEntries} may remember (about 1.3 GiB of memory). */
export const MAX_RECENT_ENTRIES = 2 ** 24;

/** C2SP entry bundles prefix each entry with a uint16 length: no entry can be longer. */
export const MAX_ENTRY_BYTES = 0xffff;

const DEFAULTS = {
  maxBatchSize: 1024,
  maxBatchDelayMs: 0,
  recentEntries: 65_536,
  maxQueueEntries: 65_536,
  maxQueueBytes: 64 * 1024 * 1024,
  maxEntryBytes: MAX_ENTRY_BYTES,
} satisfies Required<SequencerOptions>;

/**
 * The only writer of a log. Submissions queue up; the sequencer takes them in batches, writes the
 * entries, tiles and tree state in one durable batch, then signs and stores a checkpoint, and only
 * then tells the submitters where their entries are. It signs a tree head only after checking,
 * with a consistency proof read back from storage, that the head extends the last one it signed.
 */
export class Sequencer {
  private readonly options: Required<SequencerOptions>;
  private readonly pending = new InFlight<Pending>();
  private readonly slabs = new EntrySlabs();
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private cancelTimer: (() => void) | undefined;
  /** The loop that looks up and integrates batches, while there are any. */
  private running: Promise<void> | undefined;
  /** The next batch, cut early so that its lookup overlaps integrating the one before. */
  private lookahead: Cut | undefined;
  /** Publishing of the integrated batches, one after the other in batch order; never rejects. */
  private published: Promise<void> = Promise.resolve();
  /**
   * Settles once the last batch chained for publishing has queued its checkpoint write, or is
   * done, or a turn of the event loop has passed: what the next integration write waits for.
   */
  private checkpointQueued: Promise<unknown> = Promise.resolve();
  private closing = false;
  /** Set after a failed write: the in-memory edge may be ahead of storage, so reload it first. */
  private needsReload = false;

  private edge: RightEdge;
  private committed: TreeState;
  private readonly checkpointListeners = new Set<(head: SignedTreeHead) => void>();
  private latest: SignedTreeHead | undefined;
  readonly reader: TreeReader;
  /** The latest checkpointed entries, by leaf hash. */
  readonly recent: RecentIndices;

  private constructor(
    private readonly storage: LogStorage,
    private readonly signer: CheckpointSigner,
    private readonly cache: TileCache,
    private readonly clock: () => number,
    options: SequencerOptions,
    state: { edge: RightEdge; committed: TreeState; latest: SignedTreeHead | undefined },
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.edge = state.edge;
    this.committed = state.committed;
    this.latest = state.latest;
    this.reader = new TreeReader(storage, cache, (id) => this.committedEdgeTile(id));
    this.recent = new RecentIndices(this.options.recentEntries);
  }

  /**
   * Loads the stored tree, checks that the tiles, the tree state and the last checkpoint agree,
   * and signs a checkpoint for any entries that were stored but not yet checkpointed (a crash
   * between the two writes).
   */
  static async open(
    storage: LogStorage,
    signer: CheckpointSigner,
    cache: TileCache,
    clock: () => number,
    options: SequencerOptions = {},
  ): Promise<Sequencer> {
    validateOptions(options);
    const { edge, committed } = await loadTree(storage);
    const latest = await storage.latestCheckpoint();
    const sequencer = new Sequencer(storage, signer, cache, clock, options, { edge, committed, latest });
    if (latest !== undefined) {
      if (latest.size > committed.size) {
        throw new LogError('STORAGE_CORRUPT', `the last checkpoint (size ${latest.size}) is ahead of the stored tree (size ${committed.size})`);
      }
      const root = await sequencer.rootAt(latest.size);
      if (!bytesEqual(root, latest.rootHash)) {
        throw new LogError('STORAGE_CORRUPT', `the stored tree does not match the last checkpoint at size ${latest.size}`);
      }
    }
    await sequencer.checkpointCommitted();
    return sequencer;
  }

  /** The last signed checkpoint: everything the log has acknowledged is under it. */
  get latestCheckpoint(): SignedTreeHead {
    return this.latest!;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  /**
   * Queues an entry, and returns its id (the leaf hash) at once with a promise of its place in the
   * log. An entry refused outright (log closing, not bytes, too large, queue full) throws a
   * LogError here, before anything is queued.
   */
  submit(entry: Uint8Array): Submission {
    this.checkOpen();
    this.checkEntry(entry);
    // Copy first: the caller may reuse its buffer, and the stored bytes must be the hashed bytes.
    const record = this.slabs.copy(entry);
    const leafHash = hashLeafRecord(record);
    const inFlight = this.pending.get(leafHash);
    if (inFlight === undefined) this.checkRoom(1, entry.length);
    const deferred = new Deferred();
    if (inFlight !== undefined) {
      inFlight.join(deferred);
    } else {
      this.enqueue(record, leafHash, deferred);
      this.wake();
    }
    return { leafHash, result: deferred.promise };
  }

  /**
   * Queues many entries at once, each as {@link submit} would, with one promise of all their
   * places in the log, in order: it rejects with the first failure, and entries of batches that
   * did not fail may then be in the log (submitting again finds them). All are queued or none:
   * an entry refused outright, or too little room in the queue for all, throws here.
   */
  submitMany(entries: readonly Uint8Array[]): Promise<AppendResult[]> {
    this.checkOpen();
    if (!Array.isArray(entries)) throw new LogError('INVALID_ARGUMENT', 'entries are an array of byte arrays');
    let bytes = 0;
    for (const entry of entries) {
      this.checkEntry(entry);
      bytes += entry.length;
    }
    if (entries.length > this.options.maxQueueEntries || bytes > this.options.maxQueueBytes) {
      throw new LogError('INVALID_ARGUMENT', `${entries.length} entries of ${bytes} bytes exceed what the queue can ever hold: submit fewer at a time`);
    }
    this.checkRoom(entries.length, bytes);
    const group = new Group(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const record = this.slabs.copy(entries[i]!);
      const leafHash = hashLeafRecord(record);
      const inFlight = this.pending.get(leafHash);
      if (inFlight !== undefined) inFlight.join(group.slot(i));
      else this.enqueue(record, leafHash, group.slot(i));
    }
    if (entries.length > 0) this.wake();
    return group.promise;
  }

  private checkOpen(): void {
    if (this.closing) throw new LogError('LOG_CLOSED', 'the log is closing', { retryable: true });
  }

  private checkEntry(entry: Uint8Array): void {
    if (!(entry instanceof Uint8Array)) throw new LogError('INVALID_ARGUMENT', 'an entry is a byte array');
    if (entry.length > this.options.maxEntryBytes) {
      throw new LogError('ENTRY_TOO_LARGE', `entry of ${entry.length} bytes exceeds the limit of ${this.options.maxEntryBytes}`);
    }
  }

  private checkRoom(entries: number, bytes: number): void {
    if (this.queue.length + entries > this.options.maxQueueEntries || this.queuedBytes + bytes > this.options.maxQueueBytes) {
      throw new LogError('QUEUE_FULL', `the sequencer queue is full (${this.queue.length} entries waiting)`, { retryable: true });
    }
  }

  private enqueue(record: Uint8Array, leafHash: Uint8Array, waiter: Waiter): void {
    const pending = new Pending(record, leafHash, waiter);
    this.pending.add(pending);
    this.queue.push(pending);
    this.queuedBytes += pending.entryBytes;
  }

  /** Starts integrating if idle; otherwise cuts the next batch early if it is full. */
  private wake(): void {
    if (this.running === undefined) this.schedule();
    else this.lookAhead();
  }

  /** Whether an entry with this leaf hash is queued or being integrated. */
  isPending(leafHash: Uint8Array): boolean {
    return this.pending.get(leafHash) !== undefined;
  }

  private schedule(): void {
    if (this.running !== undefined || this.cancelTimer !== undefined) return;
    const start = () => {
      this.cancelTimer = undefined;
      this.running = this.drain().finally(() => {
        this.running = undefined;
        if (this.hasWork && !this.closing) this.schedule();
      });
    };
    const delay = this.queue.length >= this.options.maxBatchSize ? 0 : this.options.maxBatchDelayMs;
    // Even with no delay the batch is cut on a later turn of the event loop, so that every
    // submission made in the current turn joins it.
    if (delay === 0) {
      const immediate = setImmediate(start);
      this.cancelTimer = () => clearImmediate(immediate);
    } else {
      const timeout = setTimeout(start, delay);
      this.cancelTimer = () => clearTimeout(timeout);
    }
  }

  private get hasWork(): boolean {
    return this.queue.length > 0 || this.lookahead !== undefined;
  }

  /**
   * Integrates batches until none is waiting; what arrives meanwhile forms the next batch. Three
   * stages, each in batch order: look up which entries of a batch are already stored, integrate
   * it (append, one durable write), publish it (sign a checkpoint, store it, answer the
   * submitters). They overlap: while a batch is integrated, the next full batch is looked up and
   * the one before is published. Publishing signs whatever is durable by then, so under load one
   * checkpoint can cover two batches.
   */
  private async drain(): Promise<void> {
    while (this.hasWork) {
      const cut = this.lookahead ?? this.cut();
      this.lookahead = undefined;
      this.lookAhead();
      let stored: (number | undefined)[];
      try {
        stored = await cut.stored;
      } catch (err) {
        this.fail(cut.batch, err);
        continue;
      }
      // Hash the batch into the tree now, while the batch before is still being signed, so that
      // only the write waits below.
      const prepared = await this.prepare(cut.batch, stored);
      if (prepared === undefined) continue;
      // Let the batch before reach its checkpoint write first: storage writes one batch at a
      // time, and its submitters should not wait for a whole integration write behind theirs.
      await this.checkpointQueued;
      const integrated = await this.integrate(cut.batch, prepared);
      if (integrated !== undefined) this.chainPublish(cut.batch, integrated);
    }
    // Wait for the last checkpoint before letting a new drain start: what arrives meanwhile
    // forms one batch instead of many small ones, each with two fsyncs and a signature.
    await this.published;
  }

  /**
   * Publishes a batch after the ones before it. A signer that does no I/O gets the checkpoint
   * write queued within a few microtasks; a slow one (an HSM, a remote KMS) is waited for by the
   * next integration for at most one turn of the event loop, so signing still overlaps it.
   */
  private chainPublish(batch: Pending[], integrated: Integrated): void {
    let queued!: () => void;
    const reached = new Promise<void>((resolve) => {
      queued = resolve;
    });
    this.published = this.published.then(() => this.publish(batch, integrated, queued)).then(queued);
    this.checkpointQueued = Promise.race([reached, new Promise(setImmediate)]);
  }

  /**
   * Cuts the next batch early if a full one is waiting, and starts its lookup. That is safe
   * however far the batches before it are: an entry of theirs cannot be in it (a second
   * submission of an entry in flight joins the first and is never queued), so all
   * the lookup can miss by running before their writes is what it must not find. Partial batches
   * are not cut early: they only grow while they wait.
   */
  private lookAhead(): void {
    if (this.lookahead === undefined && this.queue.length >= this.options.maxBatchSize) this.lookahead = this.cut();
  }

  /** Takes the next batch off the queue and starts looking up which of its entries are stored. */
  private cut(): Cut {
    const batch = this.queue.splice(0, this.options.maxBatchSize);
    for (const p of batch) this.queuedBytes -= p.entryBytes;
    let stored: Promise<(number | undefined)[]>;
    try {
      stored = this.storage.findIndices(batch.map((p) => p.leafHash));
    } catch (err) {
      // A driver that throws instead of rejecting: the batch must still fail in its turn.
      stored = Promise.reject(err);
    }
    // Awaited only when the batch's turn comes: until then, mark a failure as handled.
    stored.catch(() => {});
    return { batch, stored };
  }

  /**
   * Stage two, first half: appends the batch's fresh entries to the in-memory edge. Readers are
   * unaffected: they only ask for nodes of committed sizes, which appending never changes.
   * Rejects the batch if it fails.
   */
  private async prepare(batch: Pending[], indices: (number | undefined)[]): Promise<Prepared | undefined> {
    try {
      if (this.needsReload) await this.reload();
      const fresh = batch.filter((_, i) => indices[i] === undefined);
      if (fresh.length === 0) return { indices, firstIndex: this.committed.size, write: undefined };
      const previousSize = this.edge.size;
      for (const p of fresh) this.edge.append(p.leafHash);
      const tiles = this.edge.takeChanged();
      const treeState = { size: this.edge.size, rootHash: this.edge.root() };
      const integration: Integration = {
        previousSize,
        entries: fresh.map((p) => p.entry),
        leafHashes: fresh.map((p) => p.leafHash),
        tiles: tiles.map((tile) => ({ id: tile.id, bytes: tile.encode() })),
        treeState,
      };
      return { indices, firstIndex: previousSize, write: { integration, tiles } };
    } catch (err) {
      // The edge may now be ahead of storage.
      this.needsReload = true;
      this.fail(batch, err);
      return undefined;
    }
  }

  /** Stage two, second half: the one durable write. Rejects the batch if it fails. */
  private async integrate(batch: Pending[], { indices, firstIndex, write }: Prepared): Promise<Integrated | undefined> {
    if (write === undefined) return { indices, firstIndex };
    try {
      await this.storage.writeIntegration(write.integration);
    } catch (err) {
      this.needsReload = true;
      this.fail(batch, err);
      return undefined;
    }
    this.committed = write.integration.treeState;
    for (const tile of write.tiles) this.cache.add(tile);
    return { indices, firstIndex };
  }

  /** Stage three: a checkpoint over the stored entries, then the answers. */
  private async publish(batch: Pending[], { indices, firstIndex }: Integrated, writeQueued: () => void): Promise<void> {
    try {
      await this.checkpointCommitted(writeQueued);
      const treeSize = this.latest!.size;
      let next = firstIndex;
      batch.forEach((p, i) => {
        const index = indices[i];
        const at = index ?? next++;
        this.recent.add(p.leafHash, at);
        p.resolve({ index: at, treeSize, leafHash: p.leafHash, duplicate: index !== undefined });
      });
    } catch (err) {
      this.fail(batch, err);
    } finally {
      for (const p of batch) this.pending.delete(p);
    }
  }

  private fail(batch: Pending[], err: unknown): void {
    const error =
      err instanceof LogError
        ? err
        : new LogError('STORAGE_FAILURE', `integration failed: ${String(err)}`, { cause: err, retryable: true });
    for (const p of batch) {
      p.reject(error);
      this.pending.delete(p);
    }
  }

  /** Signs a checkpoint for the committed tree if the last one is behind it. */
  private async checkpointCommitted(writeQueued?: () => void): Promise<void> {
    // What is durable now: the next batch may commit more while this signs, and is covered later.
    const { size, rootHash } = this.committed;
    const last = this.latest;
    if (last !== undefined && last.size === size) {
      if (!bytesEqual(last.rootHash, rootHash)) {
        throw new LogError('CHECKPOINT_INCONSISTENT', `the tree at size ${size} does not match the checkpoint already signed there`);
      }
      return;
    }
    if (last !== undefined && last.size > 0) await this.checkExtends(last, size, rootHash);
    const timestamp = Math.max(this.clock(), last?.timestamp ?? 0);
    let signature: Uint8Array;
    try {
      signature = await this.signer.sign({ size, rootHash, timestamp });
    } catch (err) {
      throw new LogError('SIGNER_FAILURE', 'the checkpoint signer failed; the entries are stored and will be checkpointed on retry', {
        cause: err,
        retryable: true,
      });
    }
    const head: SignedTreeHead = { size, rootHash, timestamp, signature };
    const written = this.storage.writeCheckpoint(head);
    writeQueued?.();
    await written;
    this.latest = head;
    for (const listener of this.checkpointListeners) {
      // A follower's failure is its own: it must never fail the batch whose entries are durable.
      try {
        listener(head);
      } catch {
        // ignored by design (see onCheckpoint)
      }
    }
  }

  /**
   * Calls `listener` after each new checkpoint is durably stored, with that checkpoint, before
   * its submitters are answered. It runs on the sequencer's path, so it must only schedule work;
   * what it throws is ignored. Returns the function that removes it.
   */
  onCheckpoint(listener: (head: SignedTreeHead) => void): () => void {
    this.checkpointListeners.add(listener);
    return () => this.checkpointListeners.delete(listener);
  }

  /** The guard behind "never sign two inconsistent heads": prove the new head extends the old. */
  private async checkExtends(last: SignedTreeHead, size: number, rootHash: Uint8Array): Promise<void> {
    if (size < last.size) {
      throw new LogError('CHECKPOINT_INCONSISTENT', `refusing to sign size ${size}: already signed the larger size ${last.size}`);
    }
    const proof = await this.reader.proof(consistencyProofPlan(last.size, size));
    try {
      verifyConsistency(last.size, size, last.rootHash, rootHash, proof);
    } catch (err) {
      if (!(err instanceof ProofError)) throw err;
      throw new LogError('CHECKPOINT_INCONSISTENT', `refusing to sign size ${size}: it does not extend the checkpoint at size ${last.size}`, {
        cause: err,
      });
    }
  }

  /** After a failed write, start again from what storage durably holds. */
  private async reload(): Promise<void> {
    const { edge, committed } = await loadTree(this.storage);
    this.edge = edge;
    this.committed = committed;
    this.needsReload = false;
  }

  private committedEdgeTile(id: TileId): Tile | undefined {
    // The edge may hold appends that are not yet durable; positions below the committed width
    // never change, and a reader only asks for nodes complete at a committed size.
    return this.needsReload ? undefined : this.edge.tile(id);
  }

  /** Root of the tree at any committed size. */
  rootAt(size: number): Promise<Uint8Array> {
    return this.reader.root(size);
  }

  /**
   * Stops taking submissions, integrates everything already accepted, and waits for the last
   * batch to be written. Nothing is acknowledged that is not durably stored and checkpointed.
   */
  async close(): Promise<void> {
    this.closing = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    while (this.running !== undefined || this.hasWork) {
      this.running ??= this.drain().finally(() => {
        this.running = undefined;
      });
      await this.running;
    }
    await this.published;
  }
}

async function loadTree(storage: LogStorage): Promise<{ edge: RightEdge; committed: TreeState }> {
  const committed = (await storage.readTreeState()) ?? { size: 0, rootHash: EMPTY_ROOT };
  const wanted = rightEdge(committed.size).filter(({ width }) => width > 0);
  const stored = await storage.readTiles(wanted.map(({ tile }) => tile));
  const tiles: (Tile | undefined)[] = [];
  wanted.forEach(({ tile, width }, i) => {
    const bytes = stored[i];
    if (bytes === undefined) throw new LogError('STORAGE_CORRUPT', `edge tile ${tile.level}/${tile.index} is missing`);
    const decoded = decodeStoredTile(tile, bytes);
    if (decoded.width !== width) {
      throw new LogError('STORAGE_CORRUPT', `edge tile ${tile.level}/${tile.index} has width ${decoded.width}, the tree needs ${width}`);
    }
    // The edge is what new appends hash against and what monitors fetch as partial tiles, so it
    // must be whole; older full tiles are checked by the audit instead.
    if (!decoded.hasConsistentInterior()) {
      throw new LogError('STORAGE_CORRUPT', `edge tile ${tile.level}/${tile.index} does not hash to its own interior nodes`);
    }
    tiles[tile.level] = decoded;
  });
  const edge = new RightEdge(committed.size, tiles);
  if (!bytesEqual(edge.root(), committed.rootHash)) {
    throw new LogError('STORAGE_CORRUPT', `the stored tiles do not give the stored root at size ${committed.size}`);
  }
  return { edge, committed };
}

function validateOptions(options: SequencerOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const min = name === 'maxBatchDelayMs' || name === 'maxEntryBytes' || name === 'recentEntries' ? 0 : 1;
    const max = name === 'maxEntryBytes' ? MAX_ENTRY_BYTES : name === 'recentEntries' ? MAX_RECENT_ENTRIES : Number.MAX_SAFE_INTEGER;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new LogError('INVALID_ARGUMENT', `sequencer option ${name} must be an integer from ${min} to ${max}`);
    }
  }
}
