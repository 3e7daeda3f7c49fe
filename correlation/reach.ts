// Reach over a task graph: which tasks a failure travels to (downstream), which tasks it could have
// come from (upstream), each with a shortest path, breadth first, so the work is linear in the
// tasks and edges reached. Pure; the gatherer (source.ts) decides which workflows are loaded.

import type { TaskGraph } from './graph.js';
import { type CorrelationLimits, DEFAULT_LIMITS, limitExceeded } from './limits.js';
import { DEPENDENCY_RELS, FAILED_OUTCOMES, type TaskEdge } from './types.js';

/** Does a failure of `edge.from` reach `edge.to`? A par or a dependency link does; a reaction or a description does not. */
export function carriesFailure(edge: TaskEdge): boolean {
  if (edge.rel === undefined) return edge.par;
  if (DEPENDENCY_RELS.has(edge.rel)) return true;
  return edge.par && !['compensates', 'overrides', 'attests', 'bills'].includes(edge.rel);
}

/** One task reached, and how: the edge it was first reached by and the path from the start. */
export interface Reached {
  /** Its position in the graph. */
  readonly task: number;
  /** Edges from the start (1 for a direct child or parent). */
  readonly depth: number;
  /** The edge it was reached through. */
  readonly via: TaskEdge;
  /** Positions from the start to this task (both included), in the direction of the walk. */
  readonly path: readonly number[];
}

export interface ReachOptions {
  readonly limits?: CorrelationLimits;
  /** Only walk edges this accepts (default: those that carry a failure). */
  readonly follow?: (edge: TaskEdge) => boolean;
  /** Tasks the walk may enter (default: all); a task refused is neither reported nor walked through. */
  readonly enter?: (position: number) => boolean;
}

/**
 * The tasks reached from `start` going `downstream` (to children) or upstream (to parents), in
 * causal order (upstream: the nearest ancestors last), each with a shortest path. Throws
 * CORRELATION_LIMIT_EXCEEDED when a path is longer than `maxDepth` or the paths together pass
 * `maxPathSteps`.
 */
export function reach(graph: TaskGraph, start: number, direction: 'downstream' | 'upstream', options: ReachOptions = {}): Reached[] {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const follow = options.follow ?? carriesFailure;
  const enter = options.enter ?? (() => true);
  const n = graph.tasks.length;
  const depth = new Int32Array(n).fill(-1);
  const via = new Int32Array(n).fill(-1);
  const adjacency = direction === 'downstream' ? graph.out : graph.into;
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  queue[tail++] = start;
  depth[start] = 0;
  let steps = 0;
  while (head < tail) {
    const v = queue[head++]!;
    for (let s = adjacency.start[v]!; s < adjacency.start[v + 1]!; s++) {
      const w = adjacency.targets[s]!;
      if (depth[w] !== -1) continue;
      const edge = adjacency.edges[s]!;
      if (!follow(graph.edges[edge]!) || !enter(w)) continue;
      depth[w] = depth[v]! + 1;
      if (depth[w]! > limits.maxDepth) {
        const task = graph.tasks[w]!;
        throw limitExceeded(`task ${task.tid} of workflow ${task.wid} is reached by a path of more than ${limits.maxDepth} edges (maxDepth)`);
      }
      steps += depth[w]! + 1;
      if (steps > limits.maxPathSteps) throw limitExceeded(`the paths of this answer would list more than ${limits.maxPathSteps} steps (maxPathSteps)`);
      via[w] = edge;
      queue[tail++] = w;
    }
  }
  const reached = Array.from(queue.subarray(1, tail)).sort((a, b) => a - b);
  return reached.map((task) => {
    const path = new Array<number>(depth[task]! + 1);
    let at = task;
    for (let i = path.length - 1; i >= 0; i--) {
      path[i] = at;
      if (i > 0) {
        const e = graph.edges[via[at]!]!;
        at = direction === 'downstream' ? e.from : e.to;
      }
    }
    return { task, depth: depth[task]!, via: graph.edges[via[task]!]!, path };
  });
}

/**
 * The root causes of a failure at `start`, among the tasks upstream of it (and itself): the failed
 * ones (`error`, `denied`) with no failed task upstream of them. A start that did not fail and has
 * nothing failed upstream has none.
 */
export function rootCauses(graph: TaskGraph, start: number, upstream: readonly Reached[]): number[] {
  const failed = (p: number) => FAILED_OUTCOMES.has(graph.tasks[p]!.outcome ?? '');
  const inSet = new Uint8Array(graph.tasks.length);
  for (const r of upstream) inSet[r.task] = 1;
  inSet[start] = 1;
  // In causal order every ancestor comes first, so one pass marks what a failure upstream reached.
  const members = [start, ...upstream.map((r) => r.task)].sort((a, b) => a - b);
  const tainted = new Uint8Array(graph.tasks.length);
  const causes: number[] = [];
  for (const p of members) {
    if (failed(p) && tainted[p] === 0) causes.push(p);
    if (!failed(p) && tainted[p] === 0) continue;
    for (const edge of graph.children(p)) if (inSet[edge.to] === 1 && carriesFailure(edge)) tainted[edge.to] = 1;
  }
  return causes;
}

/** Reached tasks by domain, then agent: entry ids in causal order. */
export function byDomainAndAgent(graph: TaskGraph, positions: readonly number[]): { domain: string; count: number; agents: { agent: string; tasks: string[] }[] }[] {
  const domains = new Map<string, Map<string, string[]>>();
  for (const p of [...positions].sort((a, b) => a - b)) {
    const task = graph.tasks[p]!;
    const domain = task.domain ?? '';
    const agent = task.agent ?? '';
    const agents = domains.get(domain) ?? new Map<string, string[]>();
    domains.set(domain, agents);
    const list = agents.get(agent) ?? [];
    agents.set(agent, list);
    list.push(task.entryId);
  }
  return [...domains]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([domain, agents]) => ({
      domain,
      count: [...agents.values()].reduce((sum, list) => sum + list.length, 0),
      agents: [...agents].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([agent, tasks]) => ({ agent, tasks })),
    }));
}
