// The task graph with known answers: edges, causal order, and each ECT rule's violation with the
// entries that show it. Index records are made by hand (test/support/correlation.ts); the graphs
// of real signed statements in a real service are in correlation.test.ts.
import { describe, expect, it } from 'vitest';
import { entryIdAt, record, task, tasks } from '../test/support/correlation.js';
import { buildTaskGraph, type TaskGraph } from './index.js';

const tids = (graph: TaskGraph) => graph.tasks.map((t) => t.tid);
const edgeList = (graph: TaskGraph) =>
  graph.edges.map((e) => `${graph.tasks[e.from]!.tid}→${graph.tasks[e.to]!.tid} ${e.kind}${e.rel === undefined ? '' : `:${e.rel}`}${e.crossDomain ? ' cross-domain' : ''}${e.crossWorkflow ? ' cross-workflow' : ''}`);

describe('the task graph', () => {
  it('orders a diamond topologically, ties broken by log index and not by the issuers’ clocks', () => {
    // C is registered before B but its issuer dates it after B (and after D, within the skew):
    // clocks are not used for order.
    const graph = buildTaskGraph(
      tasks([
        { tid: 'A' },
        { tid: 'C', par: ['A'], time: Date.UTC(2026, 0, 1, 0, 4) },
        { tid: 'B', par: ['A'] },
        { tid: 'D', par: ['B', 'C'] },
      ]),
    );
    expect(tids(graph)).toEqual(['A', 'C', 'B', 'D']);
    expect(edgeList(graph)).toEqual(['A→C parent', 'A→B parent', 'C→D parent', 'B→D parent']);
    expect(graph.acyclic).toBe(true);
    expect(graph.violations).toEqual([]);
    expect(graph.stats).toMatchObject({ tasks: 4, edges: 4, depth: 2, maxFanOut: 2, crossDomainEdges: 0 });
    // Every edge goes forward in the order.
    for (const e of graph.edges) expect(e.from).toBeLessThan(e.to);
  });

  it('makes fan-in across three domains one parent edge and two cross-domain links, never parent/child', () => {
    const graph = buildTaskGraph(
      tasks([
        { tid: 'x', domain: 'a.example' },
        { tid: 'y', domain: 'b.example' },
        { tid: 'z', domain: 'c.example' },
        {
          tid: 'w',
          domain: 'a.example',
          par: ['x', 'y', 'z'],
          // The ECT callee names its foreign callers in par and in a link with their domain.
          links: [{ rel: 'caused-by', domain: 'b.example', tid: 'y' }, { rel: 'delegated-by', domain: 'c.example', tid: 'z', record: entryIdAt(2) }],
        },
      ]),
    );
    expect(edgeList(graph)).toEqual(['x→w parent', 'y→w link:caused-by cross-domain', 'z→w link:delegated-by cross-domain']);
    expect(graph.stats.domains).toEqual(['a.example', 'b.example', 'c.example']);
    expect(graph.stats.crossDomainEdges).toBe(2);
    expect(graph.violations).toEqual([]);
  });

  it('reports a cycle with every task on it, and still orders every task', () => {
    const graph = buildTaskGraph(
      tasks([
        { tid: 'root' },
        { tid: 'a', par: ['root', 'c'] },
        { tid: 'b', par: ['a'] },
        { tid: 'c', par: ['b'] },
        { tid: 'after', par: ['c'] },
      ]),
    );
    expect(graph.acyclic).toBe(false);
    expect(graph.violations).toHaveLength(1);
    expect(graph.violations[0]).toMatchObject({ kind: 'cycle', entries: [entryIdAt(1), entryIdAt(2), entryIdAt(3)], count: 3, wid: 'wf' });
    // What Kahn could order first, then the rest by log index.
    expect(tids(graph)).toEqual(['root', 'a', 'b', 'c', 'after']);
  });

  it('reports a missing foreign parent as a dangling edge only, and a missing local parent as a violation too', () => {
    const graph = buildTaskGraph(
      tasks([
        { tid: 'p' },
        { tid: 'c1', par: ['p', 'far'], links: [{ rel: 'caused-by', domain: 'b.example', tid: 'far' }] },
        { tid: 'c2', par: ['gone'] },
      ]),
    );
    expect(edgeList(graph)).toEqual(['p→c1 parent']);
    expect(graph.dangling).toEqual([
      { task: entryIdAt(1), tid: 'far', domain: 'b.example', via: 'par', rel: 'caused-by', foreign: true },
      { task: entryIdAt(2), tid: 'gone', via: 'par', foreign: false },
    ]);
    expect(graph.violations.map((v) => [v.kind, v.entries, v.tid])).toEqual([['missing-parent', [entryIdAt(2)], 'gone']]);
  });

  it('resolves a parent in another workflow, and says when several could be meant', () => {
    const graph = buildTaskGraph(
      tasks([
        { tid: 'up', wid: 'other', domain: 'b.example' },
        { tid: 'twin', wid: 'w1', domain: 'b.example' },
        { tid: 'twin', wid: 'w2', domain: 'c.example' },
        { tid: 'child', wid: 'wf', par: ['up', 'twin'] },
        { tid: 'pinned', wid: 'wf', par: ['twin'], links: [{ rel: 'caused-by', wid: 'w2', tid: 'twin' }] },
      ]),
      { workflows: ['wf'] },
    );
    expect(edgeList(graph)).toEqual(['up→child link cross-domain cross-workflow', 'twin→pinned link:caused-by cross-domain cross-workflow']);
    expect(graph.tasks[graph.edges[1]!.from]!.wid).toBe('w2');
    expect(graph.dangling).toEqual([{ task: entryIdAt(3), tid: 'twin', via: 'par', foreign: false, candidates: [entryIdAt(1), entryIdAt(2)] }]);
    expect(graph.violations.map((v) => [v.kind, v.entries])).toEqual([['ambiguous-parent', [entryIdAt(1), entryIdAt(2), entryIdAt(3)]]]);
    expect(graph.stats.foreignTasks).toBe(3);
    expect(graph.foreign(graph.positionOf(entryIdAt(0))!)).toBe(true);
    expect(graph.foreign(graph.positionOf(entryIdAt(3))!)).toBe(false);
  });

  it('reports a parent dated later than its child beyond the clock skew', () => {
    const t = Date.UTC(2026, 0, 1);
    const build = (lateByMs: number, clockSkewMs?: number) =>
      buildTaskGraph(tasks([{ tid: 'p', time: t + lateByMs }, { tid: 'c', par: ['p'], time: t }]), clockSkewMs === undefined ? {} : { clockSkewMs });
    expect(build(4 * 60_000).violations).toEqual([]);
    expect(build(5 * 60_000).violations).toEqual([]);
    const late = build(5 * 60_000 + 1).violations;
    expect(late).toEqual([
      { kind: 'parent-after-child', message: 'parent p is dated 300001 ms after its child c, beyond the clock skew of 300000 ms', entries: [entryIdAt(0), entryIdAt(1)], count: 2, wid: 'wf', tid: 'c', skewMs: 300_001 },
    ]);
    expect(build(4 * 60_000, 60_000).violations.map((v) => v.kind)).toEqual(['parent-after-child']);
    // The edge stays: the clock is wrong, not the parent.
    expect(build(10 * 60_000).edges).toHaveLength(1);
  });

  it('reports a task id used twice in a workflow, and a task that names itself', () => {
    const graph = buildTaskGraph(
      tasks([
        { tid: 'dup' },
        { tid: 'dup' },
        { tid: 'child', par: ['dup'] },
        { tid: 'me', par: ['me'] },
        { tid: 'loop', links: [{ rel: 'follows-from', tid: 'loop' }] },
      ]),
    );
    expect(graph.violations.map((v) => [v.kind, v.entries])).toEqual([
      ['duplicate-task', [entryIdAt(0), entryIdAt(1)]],
      ['self-parent', [entryIdAt(3)]],
      ['self-parent', [entryIdAt(4)]],
    ]);
    // The child's parent is the first registered of the two.
    expect(graph.edges.map((e) => [graph.tasks[e.from]!.entryId, graph.tasks[e.to]!.tid])).toEqual([[entryIdAt(0), 'child']]);
    expect(graph.find('wf', 'dup')).toBe(graph.positionOf(entryIdAt(0)));
  });

  it('attaches other statements to their tasks, and groups records by txn and trace', () => {
    const graph = buildTaskGraph([
      ...tasks([
        { tid: 'a', txn: 'txn-1', traceId: 'ab'.repeat(16) },
        { tid: 'b', par: ['a'], txn: 'txn-1' },
      ]),
      record(2, { type: 'resource-usage', wid: 'wf', tid: 'b', links: [{ rel: 'bills', record: entryIdAt(1) }], txn: 'txn-1' }),
      record(3, { type: 'override-event', wid: 'wf', tid: 'a', overrideId: 'ov-1', action: 'pause', phase: 'issued' }),
      record(4, { type: 'behavior-attestation', wid: 'wf', traceId: 'ab'.repeat(16) }),
    ]);
    expect(graph.tasks).toHaveLength(2);
    expect(graph.records.map((r) => [r.entry.entryId, r.tasks.map((t) => [graph.tasks[t.task]!.tid, t.rel])])).toEqual([
      [entryIdAt(2), [['b', 'bills']]],
      [entryIdAt(3), [['a', 'task']]],
      [entryIdAt(4), []],
    ]);
    expect(graph.groups).toEqual([
      { kind: 'txn', id: 'txn-1', entries: [entryIdAt(0), entryIdAt(1), entryIdAt(2)] },
      { kind: 'trace', id: 'ab'.repeat(16), entries: [entryIdAt(0), entryIdAt(4)] },
    ]);
  });

  it('takes each entry once however often it is given', () => {
    const list = tasks([{ tid: 'a' }, { tid: 'b', par: ['a'] }]);
    const graph = buildTaskGraph([...list, ...list, task({ tid: 'b', par: ['a'] }, 1)]);
    expect(tids(graph)).toEqual(['a', 'b']);
    expect(graph.violations).toEqual([]);
  });
});
