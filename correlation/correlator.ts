// The analyses over the log, one call each: a workflow's graph, a task's cascade (downstream) and
// root causes (upstream), its rollback plan, and the settlement of usage records in a window. Each
// call reads through one Snapshot (one tree size), gathers what it needs (source.ts), and hands it
// to the pure code (graph.ts, reach.ts, rollback.ts, settlement.ts). No state outlives a call.

import type { OverrideEventPayload, ResourceUsagePayload } from '../statements/index.js';
import { CorrelationError } from './errors.js';
import { buildTaskGraph, checkId, type TaskGraph } from './graph.js';
import { clockSkew, type CorrelationLimits, correlationLimits, limitExceeded } from './limits.js';
import { type Reached, reach, rootCauses } from './reach.js';
import { type OverridePhase, type RollbackPlan, rollbackPlan } from './rollback.js';
import { type Settlement, settle, type UsageRecord } from './settlement.js';
import { type CorrelationSource, foreignTasks, resolveTask, Snapshot } from './source.js';
import { type CorrelationEntry, correlationEntry, isTask, type Task } from './types.js';

export interface CorrelatorOptions {
  readonly limits?: Partial<CorrelationLimits>;
  /** ECT clock skew: how much later than its child's a parent's iat may be (ms; default 5 minutes). */
  readonly clockSkewMs?: number;
}

/**
 * How far an analysis of a task looks: `log` follows its edges into other workflows (foreign
 * parents' workflows upstream, children in other workflows downstream); `workflow` stays in the
 * task's own workflow (its foreign parents are still shown, but not followed further).
 */
export type Scope = 'log' | 'workflow';

export interface WorkflowGraph {
  readonly treeSize: number;
  readonly workflow: string;
  readonly graph: TaskGraph;
}

export interface Cascade {
  readonly treeSize: number;
  readonly scope: Scope;
  readonly graph: TaskGraph;
  /** The task's position in `graph`. */
  readonly start: number;
  /** The tasks its failure reached, in causal order. */
  readonly downstream: readonly Reached[];
  /** The tasks it depends on, in causal order. */
  readonly upstream: readonly Reached[];
  /** Positions of its root causes (reach.ts). */
  readonly rootCauses: readonly number[];
}

export interface RollbackPlanReport {
  readonly treeSize: number;
  readonly scope: Scope;
  readonly graph: TaskGraph;
  readonly plan: RollbackPlan;
}

export interface SettlementReport {
  readonly treeSize: number;
  /** The window (ms since the epoch) on the records' time: from inclusive, to exclusive. */
  readonly from?: number;
  readonly to?: number;
  /** Records of the window. */
  readonly records: number;
  readonly settlement: Settlement;
}

export class Correlator {
  readonly limits: CorrelationLimits;
  readonly clockSkewMs: number;

  constructor(
    private readonly source: CorrelationSource,
    options: CorrelatorOptions = {},
  ) {
    this.limits = correlationLimits(options.limits);
    this.clockSkewMs = clockSkew(options.clockSkewMs);
  }

  /** The graph of workflow `wid`: its tasks, their edges (foreign parents resolved), violations, records. */
  async graph(wid: string): Promise<WorkflowGraph> {
    checkId('workflow', wid);
    const snapshot = this.snapshot();
    const entries = await snapshot.workflow(wid);
    if (entries.length === 0) throw new CorrelationError('CORRELATION_NOT_FOUND', `no entry of workflow ${wid} under tree size ${snapshot.treeSize}`);
    const foreign = await foreignTasks(snapshot, entries);
    return { treeSize: snapshot.treeSize, workflow: wid, graph: this.build([...entries, ...foreign], [wid]) };
  }

  /** Where a task's failure went (downstream) and where it came from (upstream, with root causes). */
  async cascade(id: string, options: { wid?: string; scope?: Scope } = {}): Promise<Cascade> {
    const snapshot = this.snapshot();
    const task = await resolveTask(snapshot, id, options.wid);
    const scope = options.scope ?? 'log';
    const graph = await this.expand(snapshot, task, scope, { downstream: true, upstream: true });
    const start = graph.positionOf(task.entryId)!;
    const downstream = reach(graph, start, 'downstream', { limits: this.limits });
    const upstream = reach(graph, start, 'upstream', { limits: this.limits });
    return { treeSize: snapshot.treeSize, scope, graph, start, downstream, upstream: [...upstream], rootCauses: rootCauses(graph, start, upstream) };
  }

  /** What must be undone with a task, in reverse causal order, and what was already done about it. */
  async rollbackPlan(id: string, options: { wid?: string; scope?: Scope } = {}): Promise<RollbackPlanReport> {
    const snapshot = this.snapshot();
    const task = await resolveTask(snapshot, id, options.wid);
    const scope = options.scope ?? 'log';
    const graph = await this.expand(snapshot, task, scope, { downstream: true, upstream: false });
    const start = graph.positionOf(task.entryId)!;
    // The overrides: those in the workflows loaded, and (scope log) those that name a task of the
    // plan by corr.tid from elsewhere; then every phase of each, by its override id (the CWT sub).
    const candidates = reach(graph, start, 'downstream', { limits: this.limits }).map((r) => r.task);
    const overrideIds = new Set<string>();
    for (const record of graph.records) if (record.entry.type === 'override-event' && record.entry.overrideId !== undefined) overrideIds.add(record.entry.overrideId);
    for (const p of scope === 'log' ? [start, ...candidates] : []) {
      const t = graph.tasks[p]!;
      for (const entry of await snapshot.lookupAll('task', t.tid, 'override-event')) if (entry.overrideId !== undefined) overrideIds.add(entry.overrideId);
    }
    const phases: OverridePhase[] = [];
    for (const overrideId of [...overrideIds].sort()) {
      for (const entry of await snapshot.lookupAll('subject', overrideId, 'override-event')) {
        const payload = await snapshot.payloadOf(entry, 'override-event');
        if (payload !== undefined && payload.override_id === overrideId) phases.push(overridePhase(entry, payload));
      }
    }
    return { treeSize: snapshot.treeSize, scope, graph, plan: rollbackPlan(graph, start, phases, { limits: this.limits }) };
  }

  /** Consumer and provider usage records of the window paired, and their disagreements. */
  async settlement(window: { from?: number; to?: number } = {}): Promise<SettlementReport> {
    const { from, to } = window;
    for (const t of [from, to]) {
      if (t !== undefined && (!Number.isSafeInteger(t) || t < 0)) throw new CorrelationError('CORRELATION_BAD_QUERY', 'from and to are times in milliseconds since the epoch');
    }
    if (from !== undefined && to !== undefined && from > to) throw new CorrelationError('CORRELATION_BAD_QUERY', 'from is later than to');
    const snapshot = this.snapshot();
    const max = this.limits.maxSettlementRecords;
    const entries = await snapshot.all(
      'type',
      'resource-usage',
      { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) },
      { max, what: `the window holds more than ${max} resource usage records (maxSettlementRecords); ask for a shorter one` },
    );
    const records = new Map<string, UsageRecord>();
    for (const entry of entries) {
      const payload = await snapshot.payloadOf(entry, 'resource-usage');
      if (payload !== undefined) records.set(entry.entryId, usageRecord(entry, payload, true));
    }
    // Counterparties outside the window still settle a record inside it.
    const named = new Set<string>();
    for (const r of records.values()) {
      if (r.counterparty !== undefined) named.add(r.counterparty);
      for (const link of r.links) if (link.rel === 'bills' && link.record !== undefined) named.add(link.record);
    }
    for (const id of [...named].sort()) {
      if (records.has(id)) continue;
      const entry = await snapshot.entryById(id);
      if (entry === undefined || entry.type !== 'resource-usage') continue;
      const payload = await snapshot.payloadOf(entry, 'resource-usage');
      if (payload !== undefined) records.set(id, usageRecord(entry, payload, false));
    }
    return {
      treeSize: snapshot.treeSize,
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      records: entries.length,
      settlement: settle([...records.values()]),
    };
  }

  private snapshot(): Snapshot {
    return new Snapshot(this.source, this.limits);
  }

  private build(entries: readonly CorrelationEntry[], workflows: readonly string[]): TaskGraph {
    return buildTaskGraph(entries, { workflows, clockSkewMs: this.clockSkewMs, limits: this.limits });
  }

  /**
   * The graph around a task: its workflow, and with scope `log` the workflows its edges lead into,
   * loaded whole, round by round until nothing new is reached (at most maxWorkflows). Downstream,
   * each task reached is looked up as a parent (`par`) and as a linked entry in the index, for
   * children in workflows not yet loaded; upstream, the foreign parents reached bring their
   * workflows in.
   */
  private async expand(snapshot: Snapshot, task: Task, scope: Scope, directions: { downstream: boolean; upstream: boolean }): Promise<TaskGraph> {
    const loaded = new Map<string, CorrelationEntry[]>([[task.wid, await snapshot.workflow(task.wid)]]);
    const probed = new Set<string>();
    for (;;) {
      const entries = [...loaded.values()].flat();
      const graph = this.build([...entries, ...(await foreignTasks(snapshot, entries))], [...loaded.keys()]);
      if (scope === 'workflow') return graph;
      const start = graph.positionOf(task.entryId)!;
      const next = new Set<string>();
      if (directions.upstream) {
        for (const r of reach(graph, start, 'upstream', { limits: this.limits })) {
          const t = graph.tasks[r.task]!;
          if (!loaded.has(t.wid)) next.add(t.wid);
        }
      }
      if (directions.downstream) {
        const reached = [start, ...reach(graph, start, 'downstream', { limits: this.limits }).map((r) => r.task)];
        for (const p of reached) {
          const t = graph.tasks[p]!;
          if (probed.has(t.entryId)) continue;
          probed.add(t.entryId);
          const children = [...(await snapshot.lookupAll('parent', t.tid, 'exec-audit')), ...(await snapshot.lookupAll('reference', t.entryId, 'exec-audit'))];
          for (const child of children) {
            const c = correlationEntry(child);
            if (isTask(c) && !loaded.has(c.wid) && namesTask(c, t)) next.add(c.wid);
          }
        }
      }
      if (next.size === 0) return graph;
      if (loaded.size + next.size > this.limits.maxWorkflows) {
        throw limitExceeded(`task ${task.tid} reaches more than ${this.limits.maxWorkflows} workflows (maxWorkflows); ask with scope=workflow`);
      }
      for (const wid of [...next].sort()) loaded.set(wid, await snapshot.workflow(wid));
    }
  }
}

/** Does `child` (of another workflow) name `task` as a parent or by a link, as far as its hints say? */
function namesTask(child: Task, task: Task): boolean {
  if (child.links.some((l) => l.record === task.entryId)) return true;
  const hint = child.links.find((l) => l.tid === task.tid);
  const fits = hint === undefined || ((hint.wid === undefined || hint.wid === task.wid) && (hint.domain === undefined || hint.domain === task.domain));
  return fits && (child.par.includes(task.tid) || hint !== undefined);
}

function overridePhase(entry: { entryId: string; index: number; time: number }, p: OverrideEventPayload): OverridePhase {
  const compensating = [...(p.rollback?.compensating_tasks ?? []), ...(p.result?.compensating_tasks ?? [])];
  const to = p.rollback?.to;
  return {
    entryId: entry.entryId,
    index: entry.index,
    time: entry.time,
    overrideId: p.override_id,
    action: p.action,
    level: p.level,
    phase: p.phase,
    ...(p.target.wid === undefined ? {} : { wid: p.target.wid }),
    tasks: [...(p.target.tasks ?? [])],
    compensatingTasks: [...new Set(compensating)],
    ...(p.rollback?.method === undefined ? {} : { method: p.rollback.method }),
    ...(to === undefined ? {} : { to: { ...(to.tid === undefined ? {} : { tid: to.tid }), ...(to.entry === undefined ? {} : { entry: to.entry }) } }),
    ...(p.rollback?.plan_digest === undefined ? {} : { planDigest: p.rollback.plan_digest }),
  };
}

function usageRecord(entry: { entryId: string; index: number; time: number; iss: string; wid?: string; tid?: string; links: UsageRecord['links']; measurements: UsageRecord['measurements'] }, p: ResourceUsagePayload, inWindow: boolean): UsageRecord {
  return {
    entryId: entry.entryId,
    index: entry.index,
    time: entry.time,
    iss: entry.iss,
    domain: p.domain,
    side: p.meter.side,
    consumer: { domain: p.consumer.domain, ...(p.consumer.agent === undefined ? {} : { agent: p.consumer.agent }) },
    provider: {
      domain: p.provider.domain,
      ...(p.provider.service === undefined ? {} : { service: p.provider.service }),
      ...(p.provider.agent === undefined ? {} : { agent: p.provider.agent }),
    },
    ...(entry.wid === undefined ? {} : { wid: entry.wid }),
    ...(entry.tid === undefined ? {} : { tid: entry.tid }),
    ...(p.settlement?.counterparty_record === undefined ? {} : { counterparty: p.settlement.counterparty_record }),
    ...(p.settlement?.agreement === undefined ? {} : { agreement: p.settlement.agreement }),
    ...(p.settlement?.status === undefined ? {} : { status: p.settlement.status }),
    links: entry.links,
    // The payload's measurements, not the index's (which may be cut short).
    measurements: p.measurements.map((m) => ({ name: m.name, value: m.value, unit: m.unit })),
    inWindow,
  };
}
