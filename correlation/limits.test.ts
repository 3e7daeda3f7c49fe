// Scale and hostile input: a workflow of 100 000 tasks is built and validated (no timing here:
// speed is `npm run bench`), cycle detection survives a cycle of 100 000 tasks without recursion,
// and a chain of a million parents, huge fan-out and self-parents end in bounded work with a clear
// error or a bounded report.
import { describe, expect, it } from 'vitest';
import { entryIdAt, task } from '../test/support/correlation.js';
import { buildTaskGraph, correlationLimits, CorrelationError, DEFAULT_LIMITS, reach, type Task } from './index.js';

const DOMAINS = ['a.example', 'b.example', 'c.example'];

/** A layered workflow: each task has one to three parents among the 64 before it, in any domain. */
function randomWorkflow(n: number, seed = 7): Task[] {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  const out: Task[] = [];
  for (let i = 0; i < n; i++) {
    const parents = new Set<string>();
    if (i > 0) for (let k = 1 + Math.floor(next() * 3); k > 0; k--) parents.add(`t${Math.max(0, i - 1 - Math.floor(next() * 64))}`);
    const domain = DOMAINS[Math.floor(next() * 3)]!;
    out.push(task({ tid: `t${i}`, domain, par: [...parents], time: Date.UTC(2026, 0, 1) + i }, i));
  }
  return out;
}

const chainTask = (i: number): Task => task({ tid: `c${i}`, par: i === 0 ? [] : [`c${i - 1}`], time: Date.UTC(2026, 0, 1) + i }, i);
const chain = (n: number): Task[] => Array.from({ length: n }, (_, i) => chainTask(i));

/** A chain of `n` tasks, made one at a time as the builder asks for them. */
function* lazyChain(n: number): Generator<Task> {
  for (let i = 0; i < n; i++) yield chainTask(i);
}

function limitError(run: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CorrelationError);
  expect((error as CorrelationError).code).toBe('CORRELATION_LIMIT_EXCEEDED');
  expect((error as Error).message).toMatch(pattern);
}

describe('scale', () => {
  it('builds and validates a workflow of 100 000 tasks across three domains', () => {
    const graph = buildTaskGraph(randomWorkflow(100_000));
    expect(graph.tasks).toHaveLength(100_000);
    expect(graph.violations).toEqual([]);
    expect(graph.acyclic).toBe(true);
    expect(graph.stats.edges).toBeGreaterThan(150_000);
    expect(graph.stats.crossDomainEdges).toBeGreaterThan(graph.stats.edges / 2);
    // The order is causal: every edge goes forward.
    expect(graph.edges.filter((edge) => edge.from >= edge.to)).toEqual([]);
  });

  it('finds one cycle of 100 000 tasks iteratively, and lists a bounded number of its entries', () => {
    const tasks = chain(100_000);
    tasks[0] = task({ tid: 'c0', par: ['c99999'], time: Date.UTC(2026, 0, 1) }, 0);
    const graph = buildTaskGraph(tasks);
    expect(graph.acyclic).toBe(false);
    expect(graph.violations).toHaveLength(1);
    expect(graph.violations[0]).toMatchObject({ kind: 'cycle', count: 100_000 });
    expect(graph.violations[0]!.entries).toHaveLength(DEFAULT_LIMITS.maxReported);
    expect(graph.violations[0]!.entries[0]).toBe(entryIdAt(0));
  });
});

describe('hostile input', () => {
  it('refuses a chain of a million parents past maxTasks, having read no more than the limit', () => {
    let made = 0;
    const counted = (function* () {
      for (const t of lazyChain(1_000_000)) {
        made++;
        yield t;
      }
    })();
    limitError(() => buildTaskGraph(counted), /more than 200000 tasks \(maxTasks\)/);
    expect(made).toBe(200_001);
  });

  it('builds the longest chain the limit allows without recursion, and refuses a path past maxDepth', () => {
    const graph = buildTaskGraph(lazyChain(200_000));
    expect(graph.stats.depth).toBe(199_999);
    expect(graph.tasks[199_999]!.tid).toBe('c199999');
    limitError(() => reach(graph, 0, 'downstream'), /task c1001 of workflow wf is reached by a path of more than 1000 edges \(maxDepth\)/);
    // Within the depth, the paths together are bounded too.
    limitError(() => reach(graph, 0, 'downstream', { limits: correlationLimits({ maxDepth: 10_000_000, maxPathSteps: 100_000 }) }), /more than 100000 steps \(maxPathSteps\)/);
  });

  it('refuses a task with more children than maxFanOut', () => {
    const tasks = [task({ tid: 'hub' }, 0), ...Array.from({ length: 10_001 }, (_, i) => task({ tid: `leaf${i}`, par: ['hub'] }, i + 1))];
    limitError(() => buildTaskGraph(tasks), /task hub of workflow wf has more than 10000 children \(maxFanOut\)/);
    expect(buildTaskGraph(tasks.slice(0, 10_001)).stats.maxFanOut).toBe(10_000);
  });

  it('counts every self-parent and lists a bounded number of them', () => {
    const tasks = Array.from({ length: 5_000 }, (_, i) => task({ tid: `s${i}`, par: [`s${i}`] }, i));
    const graph = buildTaskGraph(tasks);
    expect(graph.violationCount).toBe(5_000);
    expect(graph.violations).toHaveLength(DEFAULT_LIMITS.maxReported);
    expect(graph.edges).toEqual([]);
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => correlationLimits({ maxTasks: 0 })).toThrow(/maxTasks must be a positive integer/);
    expect(() => correlationLimits({ maxDepth: 1.5 })).toThrow(CorrelationError);
  });
});
