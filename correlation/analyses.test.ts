// Cascades, root causes, rollback plans and settlement on graphs with known answers (pure; the same
// over a real service is in correlation.test.ts).
import { describe, expect, it } from 'vitest';
import { entryIdAt, tasks } from '../test/support/correlation.js';
import { buildTaskGraph, byDomainAndAgent, type OverridePhase, planDigest, reach, rollbackPlan, rootCauses, settle, type TaskGraph, type UsageRecord } from './index.js';

const at = (graph: TaskGraph, tid: string) => graph.find('wf', tid)!;
const named = (graph: TaskGraph, positions: readonly number[]) => positions.map((p) => graph.tasks[p]!.tid);

/** A failure in the first agent's task reaches three more agents in two more domains; a compensation and a bill do not carry it. */
function fourAgents(): TaskGraph {
  return buildTaskGraph(
    tasks([
      { tid: 'order', domain: 'shop.example', agent: 'spiffe://shop.example/agent/planner' },
      { tid: 'ship', domain: 'logistics.example', agent: 'spiffe://logistics.example/agent/shipping', par: ['order'], outcome: 'error', links: [{ rel: 'caused-by', domain: 'shop.example', tid: 'order' }] },
      { tid: 'route', domain: 'logistics.example', agent: 'spiffe://logistics.example/agent/routing', par: ['ship'], outcome: 'cancelled' },
      { tid: 'invoice', domain: 'logistics.example', agent: 'spiffe://logistics.example/agent/billing', par: ['ship'], outcome: 'error' },
      { tid: 'notify', domain: 'shop.example', agent: 'spiffe://shop.example/agent/support', par: ['invoice'], links: [{ rel: 'caused-by', domain: 'logistics.example', tid: 'invoice' }] },
      { tid: 'undo', domain: 'logistics.example', agent: 'spiffe://logistics.example/agent/shipping', par: ['ship'], links: [{ rel: 'compensates', tid: 'ship' }] },
      { tid: 'audit', domain: 'logistics.example', agent: 'spiffe://logistics.example/agent/billing', links: [{ rel: 'attests', tid: 'ship' }] },
      { tid: 'unrelated', domain: 'shop.example', par: ['order'] },
    ]),
  );
}

describe('cascades', () => {
  it('reaches the tasks downstream through four agents and two domains, each with its shortest path', () => {
    const graph = fourAgents();
    const reached = reach(graph, at(graph, 'ship'), 'downstream');
    expect(named(graph, reached.map((r) => r.task))).toEqual(['route', 'invoice', 'notify']);
    expect(reached.map((r) => [graph.tasks[r.task]!.tid, r.depth, named(graph, r.path)])).toEqual([
      ['route', 1, ['ship', 'route']],
      ['invoice', 1, ['ship', 'invoice']],
      ['notify', 2, ['ship', 'invoice', 'notify']],
    ]);
    expect(reached[2]!.via).toMatchObject({ kind: 'link', rel: 'caused-by', crossDomain: true });
    expect(byDomainAndAgent(graph, reached.map((r) => r.task))).toEqual([
      {
        domain: 'logistics.example',
        count: 2,
        agents: [
          { agent: 'spiffe://logistics.example/agent/billing', tasks: [entryIdAt(3)] },
          { agent: 'spiffe://logistics.example/agent/routing', tasks: [entryIdAt(2)] },
        ],
      },
      { domain: 'shop.example', count: 1, agents: [{ agent: 'spiffe://shop.example/agent/support', tasks: [entryIdAt(4)] }] },
    ]);
  });

  it('finds the root cause upstream: the first failure, not what it made fail', () => {
    const graph = fourAgents();
    const start = at(graph, 'notify');
    const upstream = reach(graph, start, 'upstream');
    expect(named(graph, upstream.map((r) => r.task))).toEqual(['order', 'ship', 'invoice']);
    expect(named(graph, upstream.map((r) => r.task).filter((p) => p === at(graph, 'order')).flatMap((p) => upstream.find((r) => r.task === p)!.path))).toEqual(['notify', 'invoice', 'ship', 'order']);
    expect(named(graph, rootCauses(graph, start, upstream))).toEqual(['ship']);
    // A failure with nothing failed upstream is its own root cause; an ok task with none has none.
    expect(named(graph, rootCauses(graph, at(graph, 'ship'), reach(graph, at(graph, 'ship'), 'upstream')))).toEqual(['ship']);
    expect(rootCauses(graph, at(graph, 'unrelated'), reach(graph, at(graph, 'unrelated'), 'upstream'))).toEqual([]);
  });
});

describe('rollback plans', () => {
  /** An order in shop.example, fulfilled in warehouse.example; the reservation was already compensated. */
  function twoDomains(): TaskGraph {
    return buildTaskGraph(
      tasks([
        { tid: 'pay', domain: 'shop.example' },
        { tid: 'reserve', domain: 'warehouse.example', par: ['pay'], links: [{ rel: 'caused-by', domain: 'shop.example', tid: 'pay' }] },
        { tid: 'pick', domain: 'warehouse.example', par: ['reserve'] },
        { tid: 'label', domain: 'warehouse.example', par: ['reserve'] },
        { tid: 'release', domain: 'warehouse.example', par: ['reserve'], links: [{ rel: 'compensates', tid: 'reserve' }] },
        { tid: 'after-release', domain: 'warehouse.example', par: ['release'] },
        { tid: 'mail', domain: 'shop.example', par: ['pick'], links: [{ rel: 'caused-by', domain: 'warehouse.example', tid: 'pick' }] },
        { tid: 'override:forced_rollback', domain: 'shop.example', par: ['mail'], action: 'override:forced_rollback' },
      ]),
    );
  }
  const phase = (index: number, phaseName: string, extra: Partial<OverridePhase> = {}): OverridePhase => ({
    entryId: entryIdAt(100 + index),
    index: 100 + index,
    time: 0,
    overrideId: 'ov-1',
    action: 'forced_rollback',
    level: 'emergency',
    phase: phaseName,
    wid: 'wf',
    tasks: ['pay'],
    compensatingTasks: [],
    method: 'compensate',
    ...extra,
  });

  it('undoes what a task reached across two domains, in reverse causal order, without the compensations already made', () => {
    const graph = twoDomains();
    const overrides = [phase(0, 'issued'), phase(1, 'acknowledged'), phase(2, 'enforced'), phase(3, 'issued', { overrideId: 'ov-other', tasks: ['elsewhere'] })];
    const plan = rollbackPlan(graph, at(graph, 'pay'), overrides);
    expect(plan.steps.map((s) => [graph.tasks[s.task]!.tid, s.status, named(graph, s.compensatedBy), s.overrides])).toEqual([
      ['mail', 'undo', [], []],
      ['label', 'undo', [], []],
      ['pick', 'undo', [], []],
      ['reserve', 'compensated', ['release'], []],
      ['pay', 'undo', [], ['ov-1']],
    ]);
    expect(named(graph, plan.steps[0]!.reached!.path)).toEqual(['pay', 'reserve', 'pick', 'mail']);
    expect(plan.compensations.map((c) => [graph.tasks[c.task]!.tid, named(graph, c.compensates)])).toEqual([['release', ['reserve']]]);
    expect(plan.overrides).toHaveLength(1);
    expect(plan.overrides[0]).toMatchObject({ overrideId: 'ov-1', action: 'forced_rollback', level: 'emergency', method: 'compensate', targets: [at(graph, 'pay')] });
    expect(plan.overrides[0]!.phases.map((p) => p.phase)).toEqual(['issued', 'acknowledged', 'enforced']);
    expect(plan.digest).toBe(planDigest(plan.steps.map((s) => graph.tasks[s.task]!.entryId)));
    expect(plan.overrides[0]!.matchesPlan).toBeUndefined();
  });

  it('says whether an override’s plan digest is this plan', () => {
    const graph = twoDomains();
    const digest = rollbackPlan(graph, at(graph, 'pay'), []).digest;
    const right = rollbackPlan(graph, at(graph, 'pay'), [phase(0, 'issued', { planDigest: digest })]);
    expect(right.overrides[0]).toMatchObject({ planDigest: digest, matchesPlan: true });
    const wrong = rollbackPlan(graph, at(graph, 'pay'), [phase(0, 'issued', { planDigest: `sha-256:${'0'.repeat(64)}` })]);
    expect(wrong.overrides[0]!.matchesPlan).toBe(false);
  });

  it('names a compensating task by the override that ran it, even without a link', () => {
    const graph = buildTaskGraph(tasks([{ tid: 'refund', domain: 'shop.example' }, { tid: 'claw-back', domain: 'shop.example', par: ['refund'] }]));
    const plan = rollbackPlan(graph, at(graph, 'refund'), [phase(0, 'enforced', { tasks: ['refund'], compensatingTasks: ['claw-back'] })]);
    expect(plan.steps.map((s) => [graph.tasks[s.task]!.tid, s.status])).toEqual([['refund', 'compensated']]);
  });
});

describe('settlement', () => {
  const usage = (index: number, side: 'consumer' | 'provider', values: Record<string, number>, extra: Partial<UsageRecord> = {}): UsageRecord => ({
    entryId: entryIdAt(index),
    index,
    time: index,
    side,
    consumer: { domain: 'shop.example' },
    provider: { domain: 'inference.example' },
    wid: 'wf',
    tid: `t-${index}`,
    links: [],
    measurements: Object.entries(values).map(([name, value]) => ({ name, value, unit: '{token}' })),
    inWindow: true,
    ...extra,
  });

  it('pairs by counterparty record, by bills link and by task, and compares measurement by measurement', () => {
    const records = [
      usage(0, 'consumer', { in: 10, out: 5 }),
      usage(1, 'provider', { in: 10, out: 5 }, { counterparty: entryIdAt(0) }),
      usage(2, 'consumer', { in: 10, out: 5 }),
      usage(3, 'provider', { in: 10, out: 6, extra: 1 }, { links: [{ rel: 'bills', record: entryIdAt(2) }] }),
      usage(4, 'consumer', { in: 7 }, { tid: 'same' }),
      usage(5, 'provider', { in: 7 }, { tid: 'same' }),
      usage(6, 'consumer', { in: 1 }),
      usage(7, 'consumer', { in: 1 }, { counterparty: entryIdAt(6) }),
    ];
    const { pairs, unpaired } = settle(records);
    expect(pairs.map((p) => [p.consumer.index, p.provider.index, p.pairedBy, p.status])).toEqual([
      [0, 1, ['counterparty_record'], 'agreed'],
      [2, 3, ['bills'], 'disputed'],
      [4, 5, ['task'], 'agreed'],
    ]);
    expect(pairs[1]!.measurements).toEqual([
      { name: 'in', unit: '{token}', consumer: 10, provider: 10, agree: true, difference: 0 },
      { name: 'out', unit: '{token}', consumer: 5, provider: 6, agree: false, difference: 1 },
      { name: 'extra', unit: '{token}', consumer: null, provider: 1, agree: false },
    ]);
    expect(unpaired.map((u) => [u.record.index, u.reason])).toEqual([
      [6, `its counterparty ${entryIdAt(7)} is on the same side (consumer)`],
      [7, `its counterparty ${entryIdAt(6)} is on the same side (consumer)`],
    ]);
  });

  it('keeps a record in one pair, the earliest first, and says why the others are left', () => {
    const { pairs, unpaired } = settle([
      usage(0, 'consumer', { in: 1 }),
      usage(1, 'provider', { in: 1 }, { counterparty: entryIdAt(0) }),
      usage(2, 'provider', { in: 1 }, { counterparty: entryIdAt(0) }),
      usage(3, 'consumer', { in: 2 }, { counterparty: entryIdAt(99) }),
      usage(4, 'provider', { in: 3 }, { inWindow: false }),
    ]);
    expect(pairs.map((p) => [p.consumer.index, p.provider.index])).toEqual([[0, 1]]);
    expect(unpaired.map((u) => [u.record.index, u.reason])).toEqual([
      [2, `its counterparty ${entryIdAt(0)} is paired with another record`],
      [3, `its counterparty record ${entryIdAt(99)} is not a resource usage record in the log`],
    ]);
  });
});
