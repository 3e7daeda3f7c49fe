// The task graph: pure, from the entries a gatherer collected (source.ts). Nodes are tasks
// (execution audit tokens); edges are ECT parents and typed links between tasks, each pointing from
// what happened before to what followed. Other statements are attached to the tasks they are
// about, not made into tasks. The ECT DAG rules are checked as the graph is built, and every
// violation names its entries. Nothing here reads an issuer's clock for order: the causal order is
// topological, ties broken by log index (the log's own order, which every domain shares).

import { CorrelationError } from './errors.js';
import { type CorrelationLimits, DEFAULT_CLOCK_SKEW_MS, DEFAULT_LIMITS, limitExceeded } from './limits.js';
import { type Adjacency, adjacency, cycles, topologicalOrder } from './order.js';
import {
  type AttachedRecord,
  type CorrelationEntry,
  type DanglingEdge,
  isTask,
  type RecordGroup,
  type Task,
  type TaskEdge,
  VIOLATION_KINDS,
  type Violation,
  type ViolationKind,
} from './types.js';

export interface GraphOptions {
  /** The workflows the graph is of; tasks of any other workflow are foreign (default: every workflow present). */
  readonly workflows?: readonly string[];
  /** How much later than its child's a parent's iat may be (ms; default 5 minutes). */
  readonly clockSkewMs?: number;
  readonly limits?: CorrelationLimits;
}

export interface GraphStats {
  readonly tasks: number;
  readonly foreignTasks: number;
  readonly edges: number;
  readonly crossDomainEdges: number;
  readonly records: number;
  /** The most edges on one path (0 for a single task); over the ordered part when there are cycles. */
  readonly depth: number;
  /** The most children of one task. */
  readonly maxFanOut: number;
  readonly domains: readonly string[];
}

const SEP = '\u0000';

/** What a link says of the task it names, beyond its id. */
type Hint = { readonly rel?: string; readonly wid?: string; readonly domain?: string };
const matchesHint = (task: Task, hint: Hint | undefined) =>
  (hint?.wid === undefined || task.wid === hint.wid) && (hint?.domain === undefined || task.domain === hint.domain);
const key = (wid: string, tid: string) => `${wid}${SEP}${tid}`;

/** The graph of tasks with its edges, violations and attached records; tasks in causal order. */
export class TaskGraph {
  private positions: Map<string, number> | undefined;
  private firstByKey: Map<string, number> | undefined;

  constructor(
    readonly workflows: ReadonlySet<string>,
    /** In causal order: every edge goes from an earlier position to a later one, unless `acyclic` is false. */
    readonly tasks: readonly Task[],
    /** Sorted by (from, to). */
    readonly edges: readonly TaskEdge[],
    /** Out and in adjacency over positions. */
    readonly out: Adjacency,
    readonly into: Adjacency,
    readonly dangling: readonly DanglingEdge[],
    readonly danglingCount: number,
    readonly violations: readonly Violation[],
    readonly violationCount: number,
    readonly records: readonly AttachedRecord[],
    readonly groups: readonly RecordGroup[],
    readonly acyclic: boolean,
    readonly stats: GraphStats,
  ) {}

  /** The position of the task with this entry id. */
  positionOf(entryId: string): number | undefined {
    if (this.positions === undefined) {
      this.positions = new Map();
      for (let i = 0; i < this.tasks.length; i++) this.positions.set(this.tasks[i]!.entryId, i);
    }
    return this.positions.get(entryId);
  }

  /** The position of task `tid` of workflow `wid` (the first registered, if the id is used twice). */
  find(wid: string, tid: string): number | undefined {
    if (this.firstByKey === undefined) {
      const first = new Map<string, number>();
      this.tasks.forEach((task, i) => {
        const k = key(task.wid, task.tid);
        const seen = first.get(k);
        if (seen === undefined || this.tasks[seen]!.index > task.index) first.set(k, i);
      });
      this.firstByKey = first;
    }
    return this.firstByKey.get(key(wid, tid));
  }

  /** True when the task is of none of the graph's own workflows. */
  foreign(position: number): boolean {
    return !this.workflows.has(this.tasks[position]!.wid);
  }

  /** The edges out of a task (to later tasks). */
  *children(position: number): Iterable<TaskEdge> {
    for (let s = this.out.start[position]!; s < this.out.start[position + 1]!; s++) yield this.edges[this.out.edges[s]!]!;
  }

  /** The edges into a task (from earlier tasks). */
  *parents(position: number): Iterable<TaskEdge> {
    for (let s = this.into.start[position]!; s < this.into.start[position + 1]!; s++) yield this.edges[this.into.edges[s]!]!;
  }
}

/** Tasks by (workflow, task id), by task id across workflows, and by entry id; built once per graph. */
class Lookup {
  private readonly byWorkflow = new Map<string, Map<string, number>>();
  private readonly dupes: number[][] = [];
  private firstTid: Map<string, number> | undefined;
  private nextTid: Int32Array | undefined;
  private entries: Map<string, number> | undefined;

  constructor(private readonly nodes: readonly Task[]) {
    const dupeOf = new Map<number, number[]>();
    for (let v = 0; v < nodes.length; v++) {
      const { wid, tid } = nodes[v]!;
      let tids = this.byWorkflow.get(wid);
      if (tids === undefined) this.byWorkflow.set(wid, (tids = new Map()));
      const first = tids.get(tid);
      if (first === undefined) tids.set(tid, v);
      else {
        let list = dupeOf.get(first);
        if (list === undefined) {
          dupeOf.set(first, (list = [first]));
          this.dupes.push(list);
        }
        list.push(v);
      }
    }
  }

  /** The first task (by log index) of workflow `wid` with task id `tid`. */
  first(wid: string, tid: string): number | undefined {
    return this.byWorkflow.get(wid)?.get(tid);
  }

  /** The task ids of one workflow, to look up many in it. */
  workflow(wid: string): ReadonlyMap<string, number> | undefined {
    return this.byWorkflow.get(wid);
  }

  /** The first task with this task id in any workflow, or -1; then `nextWithTid` walks the others. */
  firstWithTid(tid: string): number {
    if (this.firstTid === undefined) this.chainTids();
    return this.firstTid!.get(tid) ?? -1;
  }

  nextWithTid(v: number): number {
    if (this.nextTid === undefined) this.chainTids();
    return this.nextTid![v]!;
  }

  /** Built on first use: only a parent or link that is not in its own workflow needs it. */
  private chainTids(): void {
    const first = new Map<string, number>();
    const last = new Map<string, number>();
    const next = new Int32Array(this.nodes.length).fill(-1);
    for (let v = 0; v < this.nodes.length; v++) {
      const tid = this.nodes[v]!.tid;
      const previous = last.get(tid);
      if (previous === undefined) first.set(tid, v);
      else next[previous] = v;
      last.set(tid, v);
    }
    this.firstTid = first;
    this.nextTid = next;
  }

  /** The task with this entry id (built on first use: most graphs link by task id only). */
  byEntryId(entryId: string): number | undefined {
    if (this.entries === undefined) {
      this.entries = new Map();
      for (let v = 0; v < this.nodes.length; v++) this.entries.set(this.nodes[v]!.entryId, v);
    }
    return this.entries.get(entryId);
  }

  /** Task ids used more than once in a workflow: the tasks of each, in log order. */
  duplicates(): readonly number[][] {
    return this.dupes;
  }
}

/** Collects violations and dangling edges up to the reporting limit, counting them all. */
class Report {
  readonly violations: Violation[] = [];
  readonly dangling: DanglingEdge[] = [];
  violationCount = 0;
  danglingCount = 0;

  constructor(private readonly max: number) {}

  violation(kind: ViolationKind, message: string, entries: readonly CorrelationEntry[], extra: Partial<Violation> = {}): void {
    this.violationCount++;
    if (this.violations.length >= this.max) return;
    const sorted = [...entries].sort((a, b) => a.index - b.index);
    this.violations.push({ kind, message, entries: sorted.slice(0, this.max).map((e) => e.entryId), count: entries.length, ...extra });
  }

  danglingEdge(edge: DanglingEdge): void {
    this.danglingCount++;
    if (this.dangling.length < this.max) this.dangling.push(edge);
  }
}

/**
 * Builds the graph of the tasks among `entries` (execution audit tokens with a task id and a
 * workflow), their edges and the other statements attached to them, and checks the ECT rules.
 * Entries may come in any order and more than once (by entry id). Throws
 * CORRELATION_LIMIT_EXCEEDED past `maxTasks`, `maxEntries` or `maxFanOut`; everything else wrong
 * with the graph is a violation or a dangling edge in the answer.
 */
export function buildTaskGraph(entries: Iterable<CorrelationEntry>, options: GraphOptions = {}): TaskGraph {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const report = new Report(limits.maxReported);

  // Distinct entries (by log index, which names an entry as its id does), tasks apart; bounded
  // before any work that grows with them. Node ids are ranks by log index: the causal order's tie-break.
  const seen = new Set<number>();
  const nodes: Task[] = [];
  const others: CorrelationEntry[] = [];
  for (const entry of entries) {
    if (seen.has(entry.index)) continue;
    seen.add(entry.index);
    if (isTask(entry)) {
      nodes.push(entry);
      if (nodes.length > limits.maxTasks) throw limitExceeded(`the graph has more than ${limits.maxTasks} tasks (maxTasks)`);
    } else others.push(entry);
    if (seen.size > limits.maxEntries) throw limitExceeded(`the graph has more than ${limits.maxEntries} entries (maxEntries)`);
  }
  const byIndex = (a: CorrelationEntry, b: CorrelationEntry) => a.index - b.index;
  nodes.sort(byIndex);
  others.sort(byIndex);
  const all: readonly CorrelationEntry[] = others.length === 0 ? nodes : [...nodes, ...others].sort(byIndex);
  const n = nodes.length;
  const workflows = new Set(options.workflows ?? nodes.map((t) => t.wid));
  const lookup = new Lookup(nodes);
  for (const list of lookup.duplicates()) {
    const first = nodes[list[0]!]!;
    report.violation('duplicate-task', `task id ${first.tid} is used by ${list.length} tasks of workflow ${first.wid}; its children are taken to mean the first registered`, list.map((v) => nodes[v]!), { wid: first.wid, tid: first.tid });
  }

  /** A task of another workflow with this id, matching the hints; ambiguous when several do. */
  const foreignTask = (tid: string, self: Task, hint: Hint | undefined): { found?: number; candidates?: number[] } => {
    const candidates: number[] = [];
    for (let v = lookup.firstWithTid(tid); v !== -1; v = lookup.nextWithTid(v)) if (nodes[v]!.wid !== self.wid && matchesHint(nodes[v]!, hint)) candidates.push(v);
    if (candidates.length === 1) return { found: candidates[0]! };
    return candidates.length === 0 ? {} : { candidates };
  };

  // Edges as parallel arrays. Every edge into task v is added while v is processed, so duplicates
  // (a par and a link naming the same task) are caught against v's own edges, from `childStart`.
  const edgeFrom: number[] = [];
  const edgeTo: number[] = [];
  const edgeKind: ('parent' | 'link')[] = [];
  const edgePar: boolean[] = [];
  const edgeRel: (string | undefined)[] = [];
  let childStart = 0;
  const addEdge = (from: number, to: number, kind: 'parent' | 'link', par: boolean, rel: string | undefined) => {
    for (let i = childStart; i < edgeFrom.length; i++) {
      if (edgeFrom[i] === from) {
        if (edgeRel[i] === undefined && rel !== undefined) edgeRel[i] = rel;
        return;
      }
    }
    edgeFrom.push(from);
    edgeTo.push(to);
    edgeKind.push(kind);
    edgePar.push(par);
    edgeRel.push(rel);
  };

  for (let v = 0; v < n; v++) {
    childStart = edgeFrom.length;
    const child = nodes[v]!;
    // The callee names a foreign caller twice: in `par`, and in a link with the caller's domain.
    const hintOf = (tid: string) => (child.links.length === 0 ? undefined : child.links.find((l) => l.tid === tid));
    const par = child.par;
    const own = lookup.workflow(child.wid)!;
    for (let i = 0; i < par.length; i++) {
      const parentTid = par[i]!;
      if (par.indexOf(parentTid) !== i) continue; // named twice (a schema forbids it; the index may not)
      if (parentTid === child.tid) {
        report.violation('self-parent', `task ${child.tid} names itself as its parent`, [child], { wid: child.wid, tid: child.tid });
        continue;
      }
      // A par names a task of the child's own workflow first (any domain: a workflow may cross
      // domains); else a task of another workflow, as the link that names it says if one does.
      const hint = hintOf(parentTid);
      const local = own.get(parentTid);
      let parent = local !== undefined && matchesHint(nodes[local]!, hint) ? local : undefined;
      let candidates: number[] | undefined;
      if (parent === undefined) ({ found: parent, candidates } = foreignTask(parentTid, child, hint));
      if (parent === undefined) {
        const foreign = hint !== undefined && ((hint.wid !== undefined && hint.wid !== child.wid) || (hint.domain !== undefined && hint.domain !== child.domain));
        report.danglingEdge({
          task: child.entryId,
          tid: parentTid,
          ...(hint?.wid === undefined ? {} : { wid: hint.wid }),
          ...(hint?.domain === undefined ? {} : { domain: hint.domain }),
          via: 'par',
          ...(hint === undefined ? {} : { rel: hint.rel }),
          foreign,
          ...(candidates === undefined ? {} : { candidates: candidates.map((c) => nodes[c]!.entryId) }),
        });
        if (candidates !== undefined) {
          report.violation('ambiguous-parent', `task ${child.tid} names parent ${parentTid}, which ${candidates.length} tasks of other workflows are`, [child, ...candidates.map((c) => nodes[c]!)], { wid: child.wid, tid: parentTid });
        } else if (!foreign) {
          report.violation('missing-parent', `task ${child.tid} of workflow ${child.wid} names parent ${parentTid}, which is not in the log`, [child], { wid: child.wid, tid: parentTid });
        }
        continue;
      }
      const p = nodes[parent]!;
      const crossDomain = p.domain !== child.domain;
      addEdge(parent, v, crossDomain ? 'link' : 'parent', true, hint?.rel);
      if (p.time > child.time + skew) {
        report.violation(
          'parent-after-child',
          `parent ${p.tid} is dated ${p.time - child.time} ms after its child ${child.tid}, beyond the clock skew of ${skew} ms`,
          [p, child],
          { wid: child.wid, tid: child.tid, skewMs: p.time - child.time },
        );
      }
    }
    for (const link of child.links) {
      if (link.tid !== undefined && par.includes(link.tid)) continue; // the same edge as the par
      let target: number | undefined = link.record === undefined ? undefined : lookup.byEntryId(link.record);
      let candidates: number[] | undefined;
      if (target === undefined && link.tid !== undefined) {
        target = lookup.first(link.wid ?? child.wid, link.tid);
        if (target !== undefined && !matchesHint(nodes[target]!, link)) target = undefined;
        if (target === undefined && link.wid === undefined) ({ found: target, candidates } = foreignTask(link.tid, child, link));
      }
      if (target === v) {
        report.violation('self-parent', `task ${child.tid} links to itself (${link.rel})`, [child], { wid: child.wid, tid: child.tid });
        continue;
      }
      if (target === undefined) {
        // A link by entry id alone may name a statement that is no task (a usage record): not dangling.
        if (link.tid === undefined) continue;
        report.danglingEdge({
          task: child.entryId,
          tid: link.tid,
          ...(link.wid === undefined ? {} : { wid: link.wid }),
          ...(link.domain === undefined ? {} : { domain: link.domain }),
          via: 'link',
          rel: link.rel,
          foreign: (link.wid !== undefined && link.wid !== child.wid) || (link.domain !== undefined && link.domain !== child.domain),
          ...(candidates === undefined ? {} : { candidates: candidates.map((c) => nodes[c]!.entryId) }),
        });
        continue;
      }
      addEdge(target, v, 'link', false, link.rel);
    }
  }

  // Fan-out, before any work that is quadratic in it could start.
  const m = edgeFrom.length;
  const outDegree = new Int32Array(n);
  let maxFanOut = 0;
  for (let i = 0; i < m; i++) {
    const degree = ++outDegree[edgeFrom[i]!]!;
    if (degree > maxFanOut) maxFanOut = degree;
  }
  if (maxFanOut > limits.maxFanOut) {
    const v = outDegree.findIndex((d) => d > limits.maxFanOut);
    throw limitExceeded(`task ${nodes[v]!.tid} of workflow ${nodes[v]!.wid} has more than ${limits.maxFanOut} children (maxFanOut)`);
  }

  // Causal order; whatever Kahn cannot place is on or after a cycle.
  const outById = adjacency(n, edgeFrom, edgeTo);
  const { order, ordered } = topologicalOrder(n, outById);
  const acyclic = ordered === n;
  if (!acyclic) {
    for (const component of cycles(n, outById, order.subarray(ordered))) {
      const tasks = component.map((v) => nodes[v]!);
      report.violation('cycle', `${tasks.length} tasks of workflow ${tasks[0]!.wid} are parents of one another (${tasks.slice(0, 5).map((t) => t.tid).join(' → ')}${tasks.length > 5 ? ' …' : ''})`, tasks, { wid: tasks[0]!.wid });
    }
  }

  // Positions in causal order; edges renumbered, listed by (from, to) as the adjacency's rows come.
  const position = new Int32Array(n);
  for (let k = 0; k < n; k++) position[order[k]!] = k;
  const tasks = Array.from(order, (v) => nodes[v]!);
  const fromPos = new Int32Array(m);
  const toPos = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    fromPos[i] = position[edgeFrom[i]!]!;
    toPos[i] = position[edgeTo[i]!]!;
  }
  const byPosition = adjacency(n, fromPos, toPos);
  const edges: TaskEdge[] = new Array(m);
  for (let s = 0; s < m; s++) {
    const i = byPosition.edges[s]!;
    const a = nodes[edgeFrom[i]!]!;
    const b = nodes[edgeTo[i]!]!;
    const rel = edgeRel[i];
    edges[s] =
      rel === undefined
        ? { from: fromPos[i]!, to: toPos[i]!, kind: edgeKind[i]!, par: edgePar[i]!, crossDomain: a.domain !== b.domain, crossWorkflow: a.wid !== b.wid }
        : { from: fromPos[i]!, to: toPos[i]!, kind: edgeKind[i]!, rel, par: edgePar[i]!, crossDomain: a.domain !== b.domain, crossWorkflow: a.wid !== b.wid };
  }
  const from = Int32Array.from(edges, (e) => e.from);
  const to = Int32Array.from(edges, (e) => e.to);
  const out = adjacency(n, from, to);
  const into = adjacency(n, to, from);

  // Longest path, in causal order.
  const depthOf = new Int32Array(n);
  let depth = 0;
  for (let p = 0; p < ordered; p++) {
    for (let s = out.start[p]!; s < out.start[p + 1]!; s++) {
      const w = out.targets[s]!;
      if (depthOf[p]! + 1 > depthOf[w]!) {
        depthOf[w] = depthOf[p]! + 1;
        if (depthOf[w]! > depth) depth = depthOf[w]!;
      }
    }
  }

  const records = attach(others, position, lookup);
  const groups = groupsOf(all);
  const kindRank = new Map(VIOLATION_KINDS.map((k, i) => [k, i]));
  const firstIndex = report.violations.length === 0 ? new Map<string, number>() : new Map(all.map((e) => [e.entryId, e.index]));
  const violations = report.violations.sort((a, b) => kindRank.get(a.kind)! - kindRank.get(b.kind)! || firstIndex.get(a.entries[0]!)! - firstIndex.get(b.entries[0]!)!);
  const domains = [...new Set(tasks.map((t) => t.domain).filter((d): d is string => d !== undefined))].sort();
  const stats: GraphStats = {
    tasks: n,
    foreignTasks: tasks.filter((t) => !workflows.has(t.wid)).length,
    edges: edges.length,
    crossDomainEdges: edges.filter((e) => e.crossDomain).length,
    records: records.length,
    depth,
    maxFanOut,
    domains,
  };
  return new TaskGraph(workflows, tasks, edges, out, into, report.dangling, report.danglingCount, violations, report.violationCount, records, groups, acyclic, stats);
}

/** The statements that are not tasks, and the tasks each is about: by `corr.tid`, or a typed link. */
function attach(others: readonly CorrelationEntry[], position: Int32Array, lookup: Lookup): AttachedRecord[] {
  const unique = (tid: string) => {
    const v = lookup.firstWithTid(tid);
    return v !== -1 && lookup.nextWithTid(v) === -1 ? v : undefined;
  };
  return others.map((entry) => {
    const found = new Map<number, string>();
    if (entry.tid !== undefined) {
      const v = entry.wid !== undefined ? lookup.first(entry.wid, entry.tid) : unique(entry.tid);
      if (v !== undefined) found.set(v, 'task');
    }
    for (const link of entry.links) {
      let v = link.record === undefined ? undefined : lookup.byEntryId(link.record);
      if (v === undefined && link.tid !== undefined) {
        const wid = link.wid ?? entry.wid;
        v = wid !== undefined ? lookup.first(wid, link.tid) : undefined;
        if (v === undefined) v = unique(link.tid);
      }
      if (v !== undefined && (!found.has(v) || found.get(v) === 'task')) found.set(v, link.rel);
    }
    const tasks = [...found].map(([v, rel]) => ({ task: position[v]!, rel })).sort((a, b) => a.task - b.task);
    return { entry, tasks };
  });
}

/** Entries grouped by `txn` and by trace id, each group in log order; groups by their first entry, txn first. */
function groupsOf(entries: readonly CorrelationEntry[]): RecordGroup[] {
  const txns = new Map<string, string[]>();
  const traces = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.txn !== undefined) {
      const list = txns.get(entry.txn);
      if (list === undefined) txns.set(entry.txn, [entry.entryId]);
      else list.push(entry.entryId);
    }
    if (entry.traceId !== undefined) {
      const list = traces.get(entry.traceId);
      if (list === undefined) traces.set(entry.traceId, [entry.entryId]);
      else list.push(entry.entryId);
    }
  }
  return [
    ...[...txns].map(([id, list]) => ({ kind: 'txn' as const, id, entries: list })),
    ...[...traces].map(([id, list]) => ({ kind: 'trace' as const, id, entries: list })),
  ];
}

/** Refuses what is not a workflow or task id: the formats of docs/statements.md, at most 128 characters. */
export function checkId(what: 'workflow' | 'task', id: string): string {
  if (typeof id !== 'string' || !/^[A-Za-z0-9._~:-]{1,128}$/.test(id)) {
    throw new CorrelationError('CORRELATION_BAD_QUERY', `a ${what} id is 1 to 128 of A-Z a-z 0-9 . _ ~ : -`);
  }
  return id;
}
