// The correlation figure: a workflow of 100 000 tasks across three domains built and validated
// (edges, ECT rules, causal order, cycle check) by the pure graph code, timed in alternation with
// the SHA-256 ceiling so that the ratio survives the machine's changes of speed during the run.
import { createHash } from 'node:crypto';
import { buildTaskGraph, type Task } from '../correlation/index.js';
import { type Figure, sha256Ceiling } from './measure.js';

const DOMAINS = ['shop.example', 'inference.example', 'logistics.example'];

/**
 * A workflow as agents log one: each task has one to three parents among the 64 before it; a
 * parent in another domain is also named by a caused-by link with its domain, as ECT callees do.
 */
export function benchWorkflow(tasks: number, seed = 1): Task[] {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const out: Task[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < tasks; i++) {
    const domain = DOMAINS[Math.floor(next() * DOMAINS.length)]!;
    const parents = new Set<number>();
    if (i > 0) for (let k = 1 + Math.floor(next() * 3); k > 0; k--) parents.add(Math.max(0, i - 1 - Math.floor(next() * 64)));
    const par = [...parents].map((p) => `task-${p}`);
    const links = [...parents].filter((p) => out[p]!.domain !== domain).map((p) => ({ rel: 'caused-by', domain: out[p]!.domain!, tid: `task-${p}` }));
    out.push({
      index: i,
      entryId: createHash('sha256').update(`bench-${i}`).digest('hex'),
      type: 'exec-audit',
      time: t0 + i * 10,
      registeredAt: t0 + i * 10 + 500,
      par,
      links,
      domain,
      agent: `spiffe://${domain}/agent/a${i % 12}`,
      wid: 'wf-bench',
      tid: `task-${i}`,
      action: 'tool:work',
      outcome: 'ok',
      traceId: createHash('sha256').update('wf-bench').digest('hex').slice(0, 32),
    });
  }
  return out;
}

export function benchCorrelation(options: { log: (line: string) => void; tasks?: number; rounds?: number }): Figure[] {
  const n = options.tasks ?? 100_000;
  const rounds = options.rounds ?? 5;
  const input = benchWorkflow(n);
  buildTaskGraph(input); // warm-up
  const rates: number[] = [];
  const ratios: number[] = [];
  let edges = 0;
  for (let round = 0; round < rounds; round++) {
    const ceiling = sha256Ceiling(0.25);
    const start = performance.now();
    const graph = buildTaskGraph(input);
    const seconds = (performance.now() - start) / 1000;
    if (graph.violationCount !== 0 || !graph.acyclic || graph.tasks.length !== n) throw new Error('bench: the workflow did not build as generated');
    edges = graph.stats.edges;
    rates.push(n / seconds);
    ratios.push(n / seconds / ceiling);
  }
  const perSecond = median(rates);
  const ratio = median(ratios);
  options.log(`correlation, ${n} tasks: ${(n / perSecond * 1000).toFixed(0)} ms a build (${(10_000 / perSecond * 1000).toFixed(0)} ms per 10k tasks)`);

  // The memory the graph holds, beyond its input: measured after a GC with the graph kept alive.
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  const kept = buildTaskGraph(input);
  globalThis.gc?.();
  const held = process.memoryUsage().heapUsed - before;
  if (kept.tasks.length !== n) throw new Error('bench: unreachable');
  return [
    {
      name: `correlation: workflow of ${n} tasks built and validated`,
      value: perSecond,
      unit: 'ops/s',
      ratio: { of: 'SHA-256/s', value: ratio },
      note: `tasks/s; ${(10_000 / perSecond * 1000).toFixed(0)} ms per 10k tasks; 3 domains, ${edges} edges (cross-domain ones with caused-by links), ECT rules, causal order, cycle check; median of ${rounds} builds, each after 0.25 s of the ceiling`,
    },
    {
      name: `correlation: heap held by a graph of ${n} tasks`,
      value: Math.max(0, held),
      unit: 'bytes',
      note: globalThis.gc === undefined ? 'without --expose-gc: not meaningful' : 'heapUsed after a GC with the graph alive, minus before; the input records excluded',
    },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
