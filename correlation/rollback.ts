// The rollback plan of a task: what must be undone with it (the tasks its outcome reached, never
// the compensations already made for them), in reverse causal order, with the forced_rollback
// overrides (every phase) and compensating tasks that already happened. Pure.

import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/index.js';
import type { TaskGraph } from './graph.js';
import { type CorrelationLimits, DEFAULT_LIMITS } from './limits.js';
import { carriesFailure, type Reached, reach } from './reach.js';

/** A human override event as the plan needs it: read from its payload by the gatherer. */
export interface OverridePhase {
  readonly entryId: string;
  readonly index: number;
  readonly time: number;
  readonly overrideId: string;
  readonly action: string;
  readonly level?: string;
  readonly phase: string;
  /** `target.wid`, `target.tasks`. */
  readonly wid?: string;
  readonly tasks: readonly string[];
  /** `rollback.compensating_tasks` and `result.compensating_tasks`. */
  readonly compensatingTasks: readonly string[];
  readonly method?: string;
  readonly to?: { readonly tid?: string; readonly entry?: string };
  readonly planDigest?: string;
}

/** One override (all its phases seen), as it bears on a plan. */
export interface PlanOverride {
  readonly overrideId: string;
  readonly action: string;
  readonly level?: string;
  readonly method?: string;
  readonly to?: { readonly tid?: string; readonly entry?: string };
  /** Positions of the plan's tasks it targets. */
  readonly targets: readonly number[];
  /** Its phases in log order. */
  readonly phases: readonly OverridePhase[];
  /** The plan digest it declared (`rollback.plan_digest`), and whether it is this plan's. */
  readonly planDigest?: string;
  readonly matchesPlan?: boolean;
}

export interface PlanStep {
  readonly task: number;
  /** `undo`, or `compensated` when a compensating task already ran (or the task says it was compensated). */
  readonly status: 'undo' | 'compensated';
  /** Positions of the tasks that compensate it. */
  readonly compensatedBy: readonly number[];
  /** Ids of the forced_rollback overrides that target it. */
  readonly overrides: readonly string[];
  /** How the start's outcome reached it (absent for the start itself). */
  readonly reached?: Reached;
}

export interface RollbackPlan {
  readonly start: number;
  /** Reverse causal order: undo the first step first. */
  readonly steps: readonly PlanStep[];
  /** `sha-256:` of the canonical JSON array of the steps' entry ids, in plan order: what `rollback.plan_digest` names. */
  readonly digest: string;
  readonly overrides: readonly PlanOverride[];
  /** Compensating tasks that already ran, and what each compensates (positions), in causal order. */
  readonly compensations: readonly { readonly task: number; readonly compensates: readonly number[] }[];
}

/**
 * The plan for undoing the task at `start`. A task belongs to the plan when a failure-carrying
 * edge reaches it from a task of the plan, unless it compensates a task of the plan (a link
 * `compensates`, or named in a rollback's compensating tasks) or enforces an override
 * (`exec_act` `override:…`): those are the undoing, not what is undone.
 */
export function rollbackPlan(graph: TaskGraph, start: number, overrides: readonly OverridePhase[], options: { limits?: CorrelationLimits } = {}): RollbackPlan {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const rollbacks = overrides.filter((o) => o.action === 'forced_rollback');
  const targets = (o: OverridePhase, p: number) => {
    const task = graph.tasks[p]!;
    return o.tasks.includes(task.tid) && (o.wid === undefined || o.wid === task.wid);
  };

  // Decide membership in causal order, so a task's parents are decided before it.
  const candidates = reach(graph, start, 'downstream', { limits }).map((r) => r.task);
  const inPlan = new Uint8Array(graph.tasks.length);
  inPlan[start] = 1;
  /**
   * The compensating tasks a rollback of `p` names: each compensates what its own `compensates`
   * links say (another task of the plan, perhaps), and `p` itself only when it has no such link.
   */
  const namedCompensations = (p: number): Set<number> => {
    const out = new Set<number>();
    const task = graph.tasks[p]!;
    for (const o of rollbacks) {
      if (!targets(o, p)) continue;
      for (const tid of o.compensatingTasks) {
        const c = graph.find(task.wid, tid);
        if (c !== undefined && ![...graph.parents(c)].some((e) => e.rel === 'compensates')) out.add(c);
      }
    }
    return out;
  };
  const compensatedBy = new Map<number, Set<number>>();
  // by → the plan tasks it compensates: a candidate is a compensation if it is in here.
  const compensates = new Map<number, Set<number>>();
  const noteCompensation = (of: number, by: number) => {
    const set = compensatedBy.get(of) ?? new Set<number>();
    set.add(by);
    compensatedBy.set(of, set);
    const back = compensates.get(by) ?? new Set<number>();
    back.add(of);
    compensates.set(by, back);
  };
  for (const c of namedCompensations(start)) noteCompensation(start, c);
  for (const edge of graph.children(start)) if (edge.rel === 'compensates') noteCompensation(start, edge.to);
  for (const p of candidates) {
    const task = graph.tasks[p]!;
    let reachedFromPlan = false;
    let compensation = false;
    for (const edge of graph.parents(p)) {
      if (inPlan[edge.from] !== 1) continue;
      if (edge.rel === 'compensates') compensation = true;
      else if (carriesFailure(edge)) reachedFromPlan = true;
    }
    if (compensates.has(p)) compensation = true;
    if (!reachedFromPlan || compensation || (task.action ?? '').startsWith('override:')) continue;
    inPlan[p] = 1;
    for (const c of namedCompensations(p)) noteCompensation(p, c);
    for (const edge of graph.children(p)) if (edge.rel === 'compensates') noteCompensation(p, edge.to);
  }

  const reachedBy = new Map(reach(graph, start, 'downstream', { limits, enter: (p) => inPlan[p] === 1 }).map((r) => [r.task, r]));
  const members = [start, ...reachedBy.keys()].sort((a, b) => b - a);
  const steps: PlanStep[] = members.map((p) => {
    const by = [...(compensatedBy.get(p) ?? [])].sort((a, b) => a - b);
    const compensated = by.length > 0 || graph.tasks[p]!.outcome === 'compensated';
    const ids = [...new Set(rollbacks.filter((o) => targets(o, p)).map((o) => o.overrideId))].sort();
    const reached = reachedBy.get(p);
    return { task: p, status: compensated ? 'compensated' : 'undo', compensatedBy: by, overrides: ids, ...(reached === undefined ? {} : { reached }) };
  });
  const digest = planDigest(steps.map((s) => graph.tasks[s.task]!.entryId));

  const planOverrides = new Map<string, OverridePhase[]>();
  for (const o of rollbacks) {
    if (!members.some((p) => targets(o, p))) continue;
    planOverrides.set(o.overrideId, [...(planOverrides.get(o.overrideId) ?? []), o]);
  }
  const summaries: PlanOverride[] = [...planOverrides]
    .map(([overrideId, phases]) => {
      const sorted = [...phases].sort((a, b) => a.index - b.index);
      const first = sorted[0]!;
      const declared = sorted.map((p) => p.planDigest).filter((d): d is string => d !== undefined).at(-1);
      const last = <K extends 'level' | 'method' | 'to'>(k: K) => sorted.map((p) => p[k]).filter((v) => v !== undefined).at(-1) as OverridePhase[K];
      const level = last('level');
      const method = last('method');
      const to = last('to');
      return {
        overrideId,
        action: first.action,
        ...(level === undefined ? {} : { level }),
        ...(method === undefined ? {} : { method }),
        ...(to === undefined ? {} : { to }),
        targets: members.filter((p) => sorted.some((o) => targets(o, p))).sort((a, b) => a - b),
        phases: sorted,
        ...(declared === undefined ? {} : { planDigest: declared, matchesPlan: declared === digest }),
      };
    })
    .sort((a, b) => a.phases[0]!.index - b.phases[0]!.index);

  const compensations = new Map<number, number[]>();
  for (const [by, of] of compensates) {
    compensations.set(by, [...of]);
  }
  return {
    start,
    steps,
    digest,
    overrides: summaries,
    compensations: [...compensations].sort(([a], [b]) => a - b).map(([task, of]) => ({ task, compensates: [...of].sort((a, b) => a - b) })),
  };
}

/** `sha-256:` and the hex SHA-256 of the canonical JSON array of entry ids. */
export function planDigest(entryIds: readonly string[]): string {
  return `sha-256:${createHash('sha256').update(canonicalJson([...entryIds])).digest('hex')}`;
}
