// The shapes correlation works on: what it reads of an entry (a part of its index record), and the
// graph it builds of them. Positions are indices into a graph's tasks, which are in causal order.

import type { IndexedEntry } from '../index/index.js';

/** The typed link relations of the correlation block (docs/statements.md). */
export const LINK_RELS = ['caused-by', 'follows-from', 'delegated-by', 'overrides', 'compensates', 'attests', 'bills'] as const;
export type LinkRel = (typeof LINK_RELS)[number];

/**
 * The relations along which a failure travels downstream: what was caused by, follows from or was
 * delegated by a failed task depends on it. `compensates` and `overrides` are reactions to a task,
 * and `attests` and `bills` describe it; they order the tasks but do not carry a failure.
 */
export const DEPENDENCY_RELS: ReadonlySet<string> = new Set(['caused-by', 'follows-from', 'delegated-by']);

/** The outcomes that make a task a possible root cause; `cancelled` is what a failure upstream leaves. */
export const FAILED_OUTCOMES: ReadonlySet<string> = new Set(['error', 'denied']);

/** What correlation reads of an entry: the part of its index record about its place among others. */
export type CorrelationEntry = Pick<IndexedEntry, 'index' | 'entryId' | 'type' | 'time' | 'registeredAt' | 'par' | 'links'> &
  Partial<Pick<IndexedEntry, 'domain' | 'agent' | 'wid' | 'tid' | 'txn' | 'traceId' | 'action' | 'outcome' | 'overrideId' | 'phase' | 'level'>>;

/** A task: an execution audit token, whose `jti` is the task id (`tid`) within its workflow (`wid`). */
export type Task = CorrelationEntry & { readonly tid: string; readonly wid: string };

/** Copies what correlation needs of an index record, so that graphs of many entries stay small. */
export function correlationEntry(entry: IndexedEntry): CorrelationEntry {
  const out: Record<string, unknown> = {
    index: entry.index,
    entryId: entry.entryId,
    type: entry.type,
    time: entry.time,
    registeredAt: entry.registeredAt,
    par: entry.par,
    links: entry.links,
  };
  for (const key of ['domain', 'agent', 'wid', 'tid', 'txn', 'traceId', 'action', 'outcome', 'overrideId', 'phase', 'level'] as const) {
    if (entry[key] !== undefined) out[key] = entry[key];
  }
  return out as CorrelationEntry;
}

export function isTask(entry: CorrelationEntry): entry is Task {
  return entry.type === 'exec-audit' && entry.tid !== undefined && entry.wid !== undefined;
}

/**
 * A happens-before edge between two tasks: `from` was before `to`. `parent` is an ECT `par` within
 * one domain; `link` a typed link, or a `par` that crosses a domain boundary (a cross-domain edge is
 * a link, never assumed parent/child; `rel` is the link's relation when the child names one).
 */
export interface TaskEdge {
  readonly from: number;
  readonly to: number;
  readonly kind: 'parent' | 'link';
  readonly rel?: string;
  /** From the child's ECT `par` (else only from its links). */
  readonly par: boolean;
  readonly crossDomain: boolean;
  readonly crossWorkflow: boolean;
}

/** A parent or linked task the graph could not find: reported, never an error (ECT partial verification). */
export interface DanglingEdge {
  /** The entry id of the task that names it. */
  readonly task: string;
  /** The task id it names. */
  readonly tid: string;
  readonly wid?: string;
  readonly domain?: string;
  readonly via: 'par' | 'link';
  readonly rel?: string;
  /** Named as a task of another domain or workflow (a foreign parent), so its absence is allowed. */
  readonly foreign: boolean;
  /** When several tasks of other workflows have that id and nothing says which: their entry ids. */
  readonly candidates?: readonly string[];
}

export const VIOLATION_KINDS = ['duplicate-task', 'self-parent', 'missing-parent', 'ambiguous-parent', 'parent-after-child', 'cycle'] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** A breach of the ECT DAG rules, with the entries that show it. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** The entries involved, in log order (at most the reporting limit; `count` says how many in all). */
  readonly entries: readonly string[];
  readonly count: number;
  readonly wid?: string;
  readonly tid?: string;
  /** parent-after-child: how much later the parent's iat is than the child's (ms). */
  readonly skewMs?: number;
}

/** A statement that is not a task, and the tasks it is about (by `corr.tid` or a typed link). */
export interface AttachedRecord {
  readonly entry: CorrelationEntry;
  /** Positions of the tasks, with the link relation (`task` when by `corr.tid`). */
  readonly tasks: readonly { readonly task: number; readonly rel: string }[];
}

/** Entries that share an OAuth Txn-Token `txn` or a W3C trace id. */
export interface RecordGroup {
  readonly kind: 'txn' | 'trace';
  readonly id: string;
  /** Entry ids, in log order. */
  readonly entries: readonly string[];
}
