// The I/O that gathers what the pure graph code works on: entries from the entry index, payloads
// from the log, all under one tree size. A `Snapshot` pins the index's size when it is made and
// ignores anything registered after, so every answer is about one prefix of the log and says
// which; it also counts what it reads, so an analysis stops at its limits.

import type { EntryIndex, EntryQuery, EntryType, Field, IndexedEntry } from '../index/index.js';
import { type AgentPayloads, AgentStatementError, parseAgentPayload } from '../statements/index.js';
import { CorrelationError } from './errors.js';
import { type CorrelationLimits, limitExceeded } from './limits.js';
import { type CorrelationEntry, correlationEntry, isTask, type Task } from './types.js';

/** What correlation reads: the entry index, and the log for what the index does not keep. */
export interface CorrelationSource {
  readonly index: Pick<EntryIndex, 'find' | 'entry' | 'size'>;
  /** The log index of the entry with this id (hex leaf hash), if the log has it. */
  indexOf(entryId: string): Promise<number | undefined>;
  /** The payload of the entry at `index` (the JSON of an agent statement), undefined when it has none inline. */
  payload(index: number): Promise<Uint8Array | undefined>;
}

const PAGE = 1000;
const ENTRY_ID = /^[0-9a-f]{64}$/;

/** Reads of one analysis, all under the tree size the index had when it started. */
export class Snapshot {
  /** The tree size every read reflects. */
  readonly treeSize: number;
  private entriesRead = 0;
  private lookups = 0;
  private readonly tasksById = new Map<string, Task[]>();
  private readonly entriesById = new Map<string, IndexedEntry | null>();

  constructor(
    private readonly source: CorrelationSource,
    readonly limits: CorrelationLimits,
  ) {
    this.treeSize = source.index.size;
  }

  /**
   * Every entry found by `field` = `value` below the tree size, in log order; at most `max` (else
   * CORRELATION_LIMIT_EXCEEDED, naming `what`). Counted against maxEntries.
   */
  async all(field: Field, value: string, query: Omit<EntryQuery, 'after' | 'limit'> = {}, bound?: { max: number; what: string }): Promise<IndexedEntry[]> {
    const out: IndexedEntry[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await this.source.index.find(field, value, { ...query, limit: PAGE, ...(after === undefined ? {} : { after }) });
      let beyond = false;
      for (const entry of page.entries) {
        if (entry.index >= this.treeSize) {
          beyond = true;
          break;
        }
        out.push(entry);
        if (bound !== undefined && out.length > bound.max) throw limitExceeded(bound.what);
        if (++this.entriesRead > this.limits.maxEntries) throw limitExceeded(`the answer needs more than ${this.limits.maxEntries} entries (maxEntries)`);
      }
      if (beyond || page.next === undefined || page.next + 1 >= this.treeSize) return out;
      after = page.next;
    }
  }

  /** Every entry of a workflow, as correlation reads them. */
  async workflow(wid: string): Promise<CorrelationEntry[]> {
    const entries = await this.all('workflow', wid);
    let tasks = 0;
    for (const entry of entries) if (entry.type === 'exec-audit' && ++tasks > this.limits.maxTasks) throw limitExceeded(`workflow ${wid} has more than ${this.limits.maxTasks} tasks (maxTasks)`);
    return entries.map(correlationEntry);
  }

  /** The tasks (execution audit tokens) with this task id, in any workflow. One lookup. */
  async tasksWithId(tid: string): Promise<Task[]> {
    const known = this.tasksById.get(tid);
    if (known !== undefined) return known;
    this.lookup();
    const tasks = (await this.all('task', tid, { type: 'exec-audit' })).map(correlationEntry).filter(isTask);
    this.tasksById.set(tid, tasks);
    return tasks;
  }

  /** Entries of a type found by a field (children by `parent`, referrers by `reference`…). One lookup. */
  async lookupAll(field: Field, value: string, type?: EntryType): Promise<IndexedEntry[]> {
    this.lookup();
    return this.all(field, value, type === undefined ? {} : { type });
  }

  /** The entry with this id, if it is in the log below the tree size. One lookup. */
  async entryById(entryId: string): Promise<IndexedEntry | undefined> {
    if (!ENTRY_ID.test(entryId)) return undefined;
    const known = this.entriesById.get(entryId);
    if (known !== undefined) return known ?? undefined;
    this.lookup();
    const index = await this.source.indexOf(entryId);
    const entry = index === undefined || index >= this.treeSize ? undefined : await this.source.index.entry(index);
    this.entriesById.set(entryId, entry ?? null);
    return entry;
  }

  /** The payload of an agent statement of type `name`, read from the log; undefined if it cannot be read. */
  async payloadOf<N extends keyof AgentPayloads>(entry: Pick<IndexedEntry, 'index' | 'type' | 'payload'>, name: N): Promise<AgentPayloads[N] | undefined> {
    if (entry.type !== name || entry.payload !== 'valid') return undefined;
    const bytes = await this.source.payload(entry.index);
    if (bytes === undefined) return undefined;
    try {
      return parseAgentPayload(name, bytes);
    } catch (error) {
      // The index read it as valid; a payload that no longer parses means another schema version.
      if (error instanceof AgentStatementError) return undefined;
      throw error;
    }
  }

  private lookup(): void {
    if (++this.lookups > this.limits.maxLookups) {
      throw limitExceeded(`the answer needs more than ${this.limits.maxLookups} index lookups beyond the workflows loaded (maxLookups)`);
    }
  }
}

/**
 * The tasks outside `entries` that their parents and links name: each task id not found among
 * them is looked up in the index (any workflow), each linked entry id not among them too. The
 * pure graph decides which of the candidates is the parent (graph.ts).
 */
export async function foreignTasks(snapshot: Snapshot, entries: readonly CorrelationEntry[]): Promise<Task[]> {
  const keys = new Set<string>();
  const ids = new Set<string>();
  for (const e of entries) {
    ids.add(e.entryId);
    if (isTask(e)) keys.add(`${e.wid}\u0000${e.tid}`);
  }
  const tids = new Set<string>();
  const records = new Set<string>();
  for (const e of entries) {
    if (isTask(e)) for (const p of e.par) if (!keys.has(`${e.wid}\u0000${p}`)) tids.add(p);
    for (const link of e.links) {
      if (link.record !== undefined && ids.has(link.record)) continue;
      const wid = link.wid ?? e.wid;
      if (link.tid !== undefined && (wid === undefined || !keys.has(`${wid}\u0000${link.tid}`))) tids.add(link.tid);
      else if (link.tid === undefined && link.record !== undefined && isTask(e)) records.add(link.record);
    }
  }
  const found = new Map<string, Task>();
  for (const tid of [...tids].sort()) for (const task of await snapshot.tasksWithId(tid)) if (!ids.has(task.entryId)) found.set(task.entryId, task);
  for (const record of [...records].sort()) {
    const entry = await snapshot.entryById(record);
    if (entry !== undefined && !ids.has(entry.entryId)) {
      const e = correlationEntry(entry);
      if (isTask(e)) found.set(e.entryId, e);
    }
  }
  return [...found.values()];
}

/** A task named by entry id or task id (in workflow `wid` when given); NOT_FOUND or AMBIGUOUS otherwise. */
export async function resolveTask(snapshot: Snapshot, id: string, wid?: string): Promise<Task> {
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) throw new CorrelationError('CORRELATION_BAD_QUERY', 'a task is named by its entry id (64 hex) or its task id (1 to 128 characters)');
  if (ENTRY_ID.test(id)) {
    const entry = await snapshot.entryById(id);
    if (entry !== undefined) {
      const e = correlationEntry(entry);
      if (!isTask(e)) throw new CorrelationError('CORRELATION_BAD_QUERY', `entry ${id} is ${entry.type === 'other' ? 'not an agent statement' : `a ${entry.type}`}, not an execution audit token`);
      if (wid !== undefined && e.wid !== wid) throw new CorrelationError('CORRELATION_NOT_FOUND', `entry ${id} is a task of workflow ${e.wid}, not ${wid}`);
      return e;
    }
    // A task id may be 64 hex digits too: fall through.
  }
  if (!/^[A-Za-z0-9._~:-]{1,128}$/.test(id)) throw new CorrelationError('CORRELATION_BAD_QUERY', 'a task id is 1 to 128 of A-Z a-z 0-9 . _ ~ : -');
  const tasks = (await snapshot.tasksWithId(id)).filter((t) => wid === undefined || t.wid === wid);
  if (tasks.length === 0) {
    throw new CorrelationError('CORRELATION_NOT_FOUND', `no task ${id}${wid === undefined ? '' : ` in workflow ${wid}`} under tree size ${snapshot.treeSize}`);
  }
  if (tasks.length > 1) {
    const workflows = [...new Set(tasks.map((t) => t.wid))];
    if (workflows.length > 1) {
      const shown = workflows.slice(0, 10).join(', ');
      throw new CorrelationError('CORRELATION_AMBIGUOUS', `task id ${id} is used in ${workflows.length} workflows (${shown}${workflows.length > 10 ? ', …' : ''}); say which with wid, or name the task by its entry id`);
    }
    const shown = tasks.slice(0, 10).map((t) => t.entryId).join(', ');
    throw new CorrelationError('CORRELATION_AMBIGUOUS', `task id ${id} is used by ${tasks.length} tasks of workflow ${workflows[0]} (entries ${shown}); name the task by its entry id`);
  }
  return tasks[0]!;
}
