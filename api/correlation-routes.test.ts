// The correlation routes over a real service on loopback, on real signed statements: the demo
// workload (its cross-domain workflow, its injected failure's cascade, its rollback and its
// settlement pairs, exactly as its facts say) and graph scenarios with known answers (a diamond,
// fan-in across three domains, a cycle, a dangling foreign parent, a skewed clock, a cascade
// through four agents into another workflow, a rollback across two domains). Every JSON answer is
// checked against the OpenAPI document; refusals are concise problem details.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planDigest } from '../correlation/index.js';
import { CoseAlgorithm, decodeCbor, generateKeyPair } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { type Signed, signedRollback, signedTask, signedUsage } from '../test/support/correlation.js';
import { startTestServer, type TestServer } from '../test/support/service.js';
import { demoWorkload, type DemoWorkload } from '../tools/demo/workload.js';
import { createApp, openApiDocument, type TransparencyService } from './index.js';

const issuerKey = generateKeyPair(CoseAlgorithm.ES256);
const demo: DemoWorkload = demoWorkload({ seed: 'correlation', start: Date.UTC(2026, 0, 1) });
const T = Date.UTC(2026, 2, 1) / 1000;

let server: TestServer;
let service: TransparencyService;

beforeAll(async () => {
  // Closed, as the demo's embedded service: the demo's keys (and each domain's authority over its
  // agents' profiles), and the scenarios' key.
  const policy = createPolicy({
    issuerKeys: [issuerKey.publicKey, ...demo.identities.map((identity) => identity.publicKey)],
    agentStatements: {
      profileAuthorities: demo.identities.filter((i) => i.role === 'authority').map((a) => ({ iss: a.iss, agents: [`spiffe://${a.domain}/*`] })),
    },
  });
  server = await startTestServer({ policy });
  service = server.service;
  // In the workload's order (profiles first, then the activity in causal order), one at a time, so
  // that log order, the causal order's tie-break, is the workload's.
  for (const phase of ['profiles', 'activity'] as const) {
    for (const statement of demo.statements.filter((s) => s.phase === phase)) expect((await service.register(statement.bytes)).status).toBe('registered');
  }
  for (const statement of scenarios()) expect((await service.register(statement.bytes)).status).toBe('registered');
  await service.index.caughtUp();
}, 120_000);

afterAll(async () => {
  await server.close();
});

// --- the scenarios, as signed statements ---------------------------------------------------

const K = issuerKey.privateKey;
const t = (n: number) => T + n * 60;
const named = new Map<string, Signed>();
const remember = (name: string, s: Signed) => {
  named.set(name, s);
  return s;
};
const id = (name: string) => named.get(name)!.entryId;

function scenarios(): Signed[] {
  const out: Signed[] = [];
  const task = (spec: Parameters<typeof signedTask>[1]) => out.push(remember(`${spec.wid}/${spec.tid}`, signedTask(K, spec)));
  // A diamond; c is registered before b.
  task({ wid: 'wf-diamond', tid: 'a', domain: 'a.example', agent: 'one', iat: t(0) });
  task({ wid: 'wf-diamond', tid: 'c', domain: 'a.example', agent: 'one', par: ['a'], iat: t(1) });
  task({ wid: 'wf-diamond', tid: 'b', domain: 'a.example', agent: 'two', par: ['a'], iat: t(2) });
  task({ wid: 'wf-diamond', tid: 'd', domain: 'a.example', agent: 'two', par: ['b', 'c'], iat: t(3) });
  // Fan-in across three domains: the callee names its foreign callers in par and in links.
  task({ wid: 'wf-fanin', tid: 'x', domain: 'a.example', agent: 'planner', iat: t(0) });
  task({ wid: 'wf-fanin', tid: 'y', domain: 'b.example', agent: 'searcher', iat: t(0) });
  task({ wid: 'wf-fanin', tid: 'z', domain: 'c.example', agent: 'pricer', iat: t(0) });
  task({
    wid: 'wf-fanin',
    tid: 'w',
    domain: 'a.example',
    agent: 'planner',
    par: ['x', 'y', 'z'],
    links: [
      { rel: 'caused-by', domain: 'b.example', tid: 'y' },
      { rel: 'caused-by', domain: 'c.example', tid: 'z' },
    ],
    iat: t(1),
  });
  // A cycle (each names the next as its parent), a dangling foreign parent, a skewed clock.
  task({ wid: 'wf-cycle', tid: 'c1', domain: 'a.example', agent: 'one', par: ['c3'], iat: t(0) });
  task({ wid: 'wf-cycle', tid: 'c2', domain: 'a.example', agent: 'one', par: ['c1'], iat: t(1) });
  task({ wid: 'wf-cycle', tid: 'c3', domain: 'a.example', agent: 'one', par: ['c2'], iat: t(2) });
  task({ wid: 'wf-dangling', tid: 'g1', domain: 'a.example', agent: 'one', par: ['remote-9'], links: [{ rel: 'caused-by', domain: 'remote.example', tid: 'remote-9' }], iat: t(0) });
  task({ wid: 'wf-skew', tid: 'sp', domain: 'b.example', agent: 'one', iat: t(10) });
  task({ wid: 'wf-skew', tid: 'sc', domain: 'a.example', agent: 'two', par: ['sp'], links: [{ rel: 'caused-by', domain: 'b.example', tid: 'sp' }], iat: t(0) });
  // A cascade through four agents, across two domains and into another workflow.
  task({ wid: 'wf-cascade', tid: 'k1', domain: 'shop.example', agent: 'planner', iat: t(0) });
  task({ wid: 'wf-cascade', tid: 'k2', domain: 'logistics.example', agent: 'shipping', par: ['k1'], status: 'error', links: [{ rel: 'caused-by', domain: 'shop.example', tid: 'k1' }], iat: t(1) });
  task({ wid: 'wf-cascade', tid: 'k3', domain: 'logistics.example', agent: 'routing', par: ['k2'], status: 'cancelled', iat: t(2) });
  task({ wid: 'wf-cascade', tid: 'k4', domain: 'logistics.example', agent: 'billing', par: ['k2'], status: 'error', iat: t(3) });
  task({ wid: 'wf-cascade', tid: 'k5', domain: 'shop.example', agent: 'support', par: ['k4'], links: [{ rel: 'caused-by', domain: 'logistics.example', tid: 'k4' }], iat: t(4) });
  task({ wid: 'wf-claims', tid: 'k6', domain: 'inference.example', agent: 'translator', par: ['k2'], links: [{ rel: 'caused-by', wid: 'wf-cascade', domain: 'logistics.example', tid: 'k2' }], iat: t(5) });
  // A rollback across two domains: the reservation was compensated already.
  task({ wid: 'wf-rollback', tid: 'r-pay', domain: 'shop.example', agent: 'payments', iat: t(0) });
  task({ wid: 'wf-rollback', tid: 'r-reserve', domain: 'warehouse.example', agent: 'stock', par: ['r-pay'], links: [{ rel: 'caused-by', domain: 'shop.example', tid: 'r-pay' }], iat: t(1) });
  task({ wid: 'wf-rollback', tid: 'r-pick', domain: 'warehouse.example', agent: 'picker', par: ['r-reserve'], iat: t(2) });
  task({ wid: 'wf-rollback', tid: 'r-mail', domain: 'shop.example', agent: 'support', par: ['r-pick'], links: [{ rel: 'caused-by', domain: 'warehouse.example', tid: 'r-pick' }], iat: t(3) });
  task({ wid: 'wf-rollback', tid: 'r-release', domain: 'warehouse.example', agent: 'stock', par: ['r-reserve'], links: [{ rel: 'compensates', tid: 'r-reserve' }], iat: t(4) });
  const plan = planDigest(['wf-rollback/r-mail', 'wf-rollback/r-pick', 'wf-rollback/r-reserve', 'wf-rollback/r-pay'].map(id));
  const phase = (p: 'issued' | 'acknowledged' | 'enforced' | 'confirmed', prev: Signed | undefined, n: number, extra: { compensating?: string[]; planDigest?: string } = {}) =>
    remember(`ov-r/${p}`, signedRollback(K, { id: 'ov-r', phase: p, ...(prev === undefined ? {} : { prev }), domain: 'shop.example', agent: 'payments', wid: 'wf-rollback', tasks: ['r-pay'], iat: t(n), ...extra }));
  const issued = phase('issued', undefined, 5);
  const acknowledged = phase('acknowledged', issued, 6);
  const enforced = phase('enforced', acknowledged, 7, { compensating: ['r-release'] });
  const confirmed = phase('confirmed', enforced, 8, { planDigest: plan });
  out.push(issued, acknowledged, enforced, confirmed);
  // One task id in two workflows.
  task({ wid: 'wf-amb-1', tid: 'twice', domain: 'a.example', agent: 'one', iat: t(0) });
  task({ wid: 'wf-amb-2', tid: 'twice', domain: 'a.example', agent: 'one', iat: t(0) });
  // A usage record, to name an entry that is no task.
  out.push(remember('usage', signedUsage(K, { jti: 'u-1', side: 'consumer', wid: 'wf-cascade', tid: 'k1', consumer: 'shop.example', provider: 'inference.example', measurements: { 'gen_ai.usage.input_tokens': 5 }, iat: t(0) })));
  return out;
}

// --- HTTP ---------------------------------------------------------------------------------

async function get<T = Record<string, unknown>>(path: string, status = 200): Promise<T> {
  const response = await fetch(`${server.url}${path}`);
  expect(response.status, path).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = (await response.json()) as T;
  checkShape(body, schemaFor(path), path);
  return body;
}

async function problem(path: string, init?: RequestInit): Promise<{ status: number; title: string; detail: string }> {
  const response = await fetch(`${server.url}${path}`, init);
  expect(response.headers.get('content-type'), path).toBe('application/concise-problem-details+cbor');
  const body = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;
  return { status: response.status, title: body.get(-1)!, detail: body.get(-2)! };
}

// --- the OpenAPI document, checked deeply ---------------------------------------------------

type Schema = { properties?: Record<string, Schema>; required?: string[]; items?: Schema; $ref?: string; additionalProperties?: boolean; enum?: unknown[]; type?: string | string[] };
const document = openApiDocument() as unknown as {
  paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema: Schema }> }> } }>;
  components: { schemas: Record<string, Schema> };
};
const resolve = (schema: Schema): Schema => (schema.$ref === undefined ? schema : document.components.schemas[schema.$ref.split('/').pop()!]!);
function schemaFor(path: string): Schema {
  const route = path.split('?')[0]!.replace(/^\/workflows\/[^/]+\/graph$/, '/workflows/{wid}/graph').replace(/^\/tasks\/[^/]+\//, '/tasks/{id}/');
  return document.paths[route]!.get.responses['200']!.content!['application/json']!.schema;
}
/** Exactly the documented members at every level, the required ones present, enums respected. */
function checkShape(value: unknown, schema: Schema, at: string): void {
  const s = resolve(schema);
  if (s.enum !== undefined) expect(s.enum, at).toContain(value);
  if (Array.isArray(value)) {
    if (s.items !== undefined) value.forEach((item, i) => checkShape(item, s.items!, `${at}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object' || s.properties === undefined) return;
  expect(s.additionalProperties, `${at} is closed`).toBe(false);
  for (const k of Object.keys(value)) expect(Object.keys(s.properties), `${at}.${k} is documented`).toContain(k);
  for (const k of s.required ?? []) expect(Object.keys(value), `${at}.${k} is present`).toContain(k);
  for (const [k, v] of Object.entries(value)) checkShape(v, s.properties[k]!, `${at}.${k}`);
}

// --- shapes of the answers, as far as the tests read them ---------------------------------

interface TaskJson {
  entryId: string;
  tid: string;
  wid: string;
  domain: string;
  agent: string;
  outcome: string;
  foreign: boolean;
}
interface EdgeJson {
  from: string;
  to: string;
  kind: string;
  rel?: string;
  crossDomain: boolean;
  crossWorkflow: boolean;
}
interface GraphJson {
  treeSize: number;
  acyclic: boolean;
  tasks: TaskJson[];
  edges: EdgeJson[];
  dangling: Record<string, unknown>[];
  violations: { kind: string; entries: string[] }[];
  records: { entryId: string; type: string; tasks: { task: string; rel: string }[] }[];
  stats: Record<string, unknown>;
}
interface ReachedJson {
  task: TaskJson;
  depth: number;
  path: string[];
  via: EdgeJson;
}
interface CascadeJson {
  treeSize: number;
  task: TaskJson;
  workflows: string[];
  downstream: { tasks: ReachedJson[]; byDomain: { domain: string; count: number; agents: { agent: string; tasks: string[] }[] }[] };
  upstream: { tasks: ReachedJson[]; rootCauses: string[] };
}
interface PlanJson {
  digest: string;
  task: TaskJson;
  steps: { task: TaskJson; status: string; compensatedBy: string[]; overrides: string[]; path?: string[] }[];
  overrides: { overrideId: string; action: string; phases: { phase: string; entryId: string }[]; targets: string[]; planDigest?: string; matchesPlan?: boolean }[];
  compensations: { task: TaskJson; compensates: string[] }[];
}

const tidOf = (graph: GraphJson, entryId: string) => graph.tasks.find((task) => task.entryId === entryId)!.tid;

describe('the demo workload', () => {
  const { facts } = demo;

  it('reconstructs the cross-domain workflow with exactly the expected cross-domain edges, as links', async () => {
    const graph = await get<GraphJson>(`/workflows/${facts.crossDomainWorkflow}/graph`);
    expect(graph.treeSize).toBe(service.index.size);
    const crossDomain = graph.edges.filter((e) => e.crossDomain);
    expect(crossDomain.map((e) => [tidOf(graph, e.from), tidOf(graph, e.to)])).toEqual(facts.crossDomainEdges.map(([p, c]) => [p, c]));
    expect(new Set(crossDomain.map((e) => `${e.kind}:${e.rel}`))).toEqual(new Set(['link:caused-by']));
    expect(graph.edges.filter((e) => !e.crossDomain).every((e) => e.kind === 'parent')).toBe(true);
    expect(graph.violations).toEqual([]);
    expect(graph.dangling).toEqual([]);
    expect(new Set(graph.tasks.map((task) => task.domain))).toEqual(new Set(facts.domains));
    // The approvals and the usage records are attached to their tasks, not made tasks.
    expect(graph.tasks.every((task) => task.wid === facts.crossDomainWorkflow && !task.foreign)).toBe(true);
    const attached = graph.records.filter((r) => r.tasks.length > 0).map((r) => `${r.type}→${tidOf(graph, r.tasks[0]!.task)}`);
    expect(attached.filter((a) => a.startsWith('override-event'))).toHaveLength(2);
    expect(attached.filter((a) => a.startsWith('resource-usage'))).toHaveLength(2);
  });

  it('reports the cascade of the injected failure exactly, and its root cause upstream', async () => {
    const cascade = await get<CascadeJson>(`/tasks/${facts.failedTask}/cascade?wid=${facts.failedWorkflow}`);
    expect(cascade.task.tid).toBe(facts.failedTask);
    expect(cascade.downstream.tasks.map((r) => r.task.tid)).toEqual([...facts.cascade]);
    expect(cascade.upstream.rootCauses).toEqual([cascade.task.entryId]);
    // From the last task of the cascade, the root cause is the failure, not what it made fail.
    const last = cascade.downstream.tasks.at(-1)!;
    const back = await get<CascadeJson>(`/tasks/${last.task.entryId}/cascade`);
    expect(back.upstream.rootCauses).toEqual([cascade.task.entryId]);
    expect(back.downstream.tasks).toEqual([]);
  });

  it('plans the rollback of the refund with the override that did it, every phase, and its compensation', async () => {
    const plan = await get<PlanJson>(`/tasks/${facts.rolledBackTask}/rollback-plan`);
    expect(plan.steps.map((s) => [s.task.tid, s.status])).toEqual([[facts.rolledBackTask, 'compensated']]);
    expect(plan.overrides.map((o) => [o.overrideId, o.action, o.phases.map((p) => p.phase)])).toEqual([[facts.rollbackOverride, 'forced_rollback', ['issued', 'acknowledged', 'enforced', 'confirmed']]]);
    expect(plan.compensations).toHaveLength(1);
    expect(plan.compensations[0]!.compensates).toEqual([plan.task.entryId]);
    expect(plan.steps[0]!.compensatedBy).toEqual([plan.compensations[0]!.task.entryId]);
  });

  it('settles the usage records: the agreeing pair agrees, the other is disputed measurement by measurement', async () => {
    const from = new Date(demo.window.start).toISOString();
    const to = new Date(demo.window.end).toISOString();
    const settlement = await get<{
      summary: Record<string, number>;
      pairs: { consumer: { entryId: string }; provider: { entryId: string }; status: string; pairedBy: string[]; measurements: { name: string; agree: boolean; consumer: number; provider: number }[] }[];
    }>(`/settlement?from=${from}&to=${to}`);
    expect(settlement.summary).toEqual({ pairs: 2, agreed: 1, disputed: 1, unpaired: 0 });
    const pair = (ids: readonly [string, string]) => settlement.pairs.find((p) => p.consumer.entryId === ids[0] && p.provider.entryId === ids[1])!;
    expect(pair(facts.settlement.agreed).status).toBe('agreed');
    expect(pair(facts.settlement.disputed).status).toBe('disputed');
    expect(pair(facts.settlement.disputed).pairedBy).toEqual(['counterparty_record', 'bills']);
    expect(pair(facts.settlement.disputed).measurements.filter((m) => !m.agree).map((m) => [m.name, m.consumer, m.provider])).toEqual([['gen_ai.usage.output_tokens', 900, 960]]);
  });
});

describe('graph scenarios', () => {
  it('orders a diamond topologically, ties by log index', async () => {
    const graph = await get<GraphJson>('/workflows/wf-diamond/graph');
    expect(graph.tasks.map((task) => task.tid)).toEqual(['a', 'c', 'b', 'd']);
    expect(graph.edges.map((e) => `${tidOf(graph, e.from)}→${tidOf(graph, e.to)}`)).toEqual(['a→c', 'a→b', 'c→d', 'b→d']);
    expect(graph).toMatchObject({ acyclic: true, violations: [], stats: { tasks: 4, edges: 4, depth: 2 } });
  });

  it('makes fan-in across three domains a parent and two cross-domain links', async () => {
    const graph = await get<GraphJson>('/workflows/wf-fanin/graph');
    expect(graph.edges.map((e) => [tidOf(graph, e.from), tidOf(graph, e.to), e.kind, e.rel ?? null, e.crossDomain])).toEqual([
      ['x', 'w', 'parent', null, false],
      ['y', 'w', 'link', 'caused-by', true],
      ['z', 'w', 'link', 'caused-by', true],
    ]);
    expect(graph.stats.domains).toEqual(['a.example', 'b.example', 'c.example']);
  });

  it('reports a cycle, a dangling foreign parent and a skewed clock with their entries', async () => {
    const cycle = await get<GraphJson>('/workflows/wf-cycle/graph');
    expect(cycle.acyclic).toBe(false);
    expect(cycle.violations.map((v) => [v.kind, v.entries])).toEqual([['cycle', ['c1', 'c2', 'c3'].map((n) => id(`wf-cycle/${n}`))]]);
    const dangling = await get<GraphJson>('/workflows/wf-dangling/graph');
    expect(dangling.dangling).toEqual([{ task: id('wf-dangling/g1'), tid: 'remote-9', domain: 'remote.example', via: 'par', rel: 'caused-by', foreign: true }]);
    expect(dangling.violations).toEqual([]);
    const skew = await get<GraphJson>('/workflows/wf-skew/graph');
    expect(skew.violations).toEqual([
      expect.objectContaining({ kind: 'parent-after-child', entries: [id('wf-skew/sp'), id('wf-skew/sc')], skewMs: 600_000 }),
    ]);
  });

  it('follows a cascade through four agents into another workflow, and stays in the workflow when asked', async () => {
    const cascade = await get<CascadeJson>('/tasks/k2/cascade');
    expect(cascade.workflows).toEqual(['wf-cascade', 'wf-claims']);
    expect(cascade.downstream.tasks.map((r) => [r.task.tid, r.depth, r.path.length])).toEqual([
      ['k3', 1, 2],
      ['k4', 1, 2],
      ['k5', 2, 3],
      ['k6', 1, 2],
    ]);
    expect(cascade.downstream.tasks.find((r) => r.task.tid === 'k5')!.path).toEqual(['k2', 'k4', 'k5'].map((n) => id(`wf-cascade/${n}`)));
    expect(cascade.downstream.tasks.find((r) => r.task.tid === 'k6')!.via).toMatchObject({ kind: 'link', rel: 'caused-by', crossDomain: true, crossWorkflow: true });
    expect(cascade.downstream.byDomain).toEqual([
      { domain: 'inference.example', count: 1, agents: [{ agent: 'spiffe://inference.example/agent/translator', tasks: [id('wf-claims/k6')] }] },
      {
        domain: 'logistics.example',
        count: 2,
        agents: [
          { agent: 'spiffe://logistics.example/agent/billing', tasks: [id('wf-cascade/k4')] },
          { agent: 'spiffe://logistics.example/agent/routing', tasks: [id('wf-cascade/k3')] },
        ],
      },
      { domain: 'shop.example', count: 1, agents: [{ agent: 'spiffe://shop.example/agent/support', tasks: [id('wf-cascade/k5')] }] },
    ]);
    expect(cascade.upstream.tasks.map((r) => r.task.tid)).toEqual(['k1']);
    const inWorkflow = await get<CascadeJson>('/tasks/k2/cascade?scope=workflow');
    expect(inWorkflow.downstream.tasks.map((r) => r.task.tid)).toEqual(['k3', 'k4', 'k5']);
    // Upstream from the other workflow: k6's root cause is k2, in wf-cascade.
    const fromClaims = await get<CascadeJson>('/tasks/k6/cascade');
    expect(fromClaims.upstream.tasks.map((r) => r.task.tid)).toEqual(['k1', 'k2']);
    expect(fromClaims.upstream.rootCauses).toEqual([id('wf-cascade/k2')]);
  });

  it('plans a rollback across two domains in reverse causal order, with the override’s phases and the compensation', async () => {
    const plan = await get<PlanJson>('/tasks/r-pay/rollback-plan');
    expect(plan.steps.map((s) => [s.task.tid, s.task.domain, s.status])).toEqual([
      ['r-mail', 'shop.example', 'undo'],
      ['r-pick', 'warehouse.example', 'undo'],
      ['r-reserve', 'warehouse.example', 'compensated'],
      ['r-pay', 'shop.example', 'undo'],
    ]);
    expect(plan.steps[2]!.compensatedBy).toEqual([id('wf-rollback/r-release')]);
    expect(plan.steps[0]!.path).toEqual(['r-pay', 'r-reserve', 'r-pick', 'r-mail'].map((n) => id(`wf-rollback/${n}`)));
    expect(plan.overrides).toEqual([
      expect.objectContaining({
        overrideId: 'ov-r',
        action: 'forced_rollback',
        targets: [id('wf-rollback/r-pay')],
        planDigest: plan.digest,
        matchesPlan: true,
        phases: ['issued', 'acknowledged', 'enforced', 'confirmed'].map((p) => expect.objectContaining({ phase: p, entryId: id(`ov-r/${p}`) })),
      }),
    ]);
    expect(plan.compensations.map((c) => [c.task.tid, c.compensates])).toEqual([['r-release', [id('wf-rollback/r-reserve')]]]);
  });

  it('answers in DOT with ?format=dot or Accept: text/vnd.graphviz', async () => {
    for (const init of [{ path: '/workflows/wf-fanin/graph?format=dot' }, { path: '/workflows/wf-fanin/graph', headers: { accept: 'text/vnd.graphviz' } }]) {
      const response = await fetch(`${server.url}${init.path}`, { headers: init.headers ?? {} });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/vnd.graphviz; charset=utf-8');
      const dot = await response.text();
      expect(dot).toMatch(new RegExp(`^digraph "workflow wf-fanin \\(tree size ${service.index.size}\\)" \\{\\n`));
      expect(dot.match(/ -> /g)).toHaveLength(3);
      expect(dot.match(/label="caused-by"/g)).toHaveLength(2);
      for (const domain of ['a.example', 'b.example', 'c.example']) expect(dot).toContain(`label="${domain}";`);
      expect(dot.trimEnd().endsWith('}')).toBe(true);
    }
  });
});

describe('naming a task', () => {
  it('takes an entry id or a task id; a task id in several workflows needs wid (409 without)', async () => {
    const ambiguous = await problem('/tasks/twice/cascade');
    expect(ambiguous).toMatchObject({ status: 409, title: 'Conflict' });
    expect(ambiguous.detail).toMatch(/^task id twice is used in 2 workflows \(wf-amb-1, wf-amb-2\); say which with wid/);
    expect((await get<CascadeJson>('/tasks/twice/cascade?wid=wf-amb-2')).task.entryId).toBe(id('wf-amb-2/twice'));
    expect((await get<CascadeJson>(`/tasks/${id('wf-amb-1/twice')}/rollback-plan`)).task.wid).toBe('wf-amb-1');
    expect(await problem(`/tasks/${id('wf-amb-1/twice')}/cascade?wid=wf-amb-2`)).toMatchObject({ status: 404 });
  });

  it('refuses what names no task, with problem details', async () => {
    expect(await problem('/tasks/nothing-here/cascade')).toMatchObject({ status: 404, title: 'Not Found', detail: expect.stringMatching(/^no task nothing-here under tree size \d+$/) });
    expect(await problem('/workflows/wf-nothing/graph')).toMatchObject({ status: 404, detail: expect.stringMatching(/^no entry of workflow wf-nothing under tree size \d+$/) });
    expect(await problem(`/tasks/${id('usage')}/rollback-plan`)).toMatchObject({ status: 400, detail: `entry ${id('usage')} is a resource-usage, not an execution audit token` });
    expect(await problem('/tasks/not%20a%20task/cascade')).toMatchObject({ status: 400, title: 'Malformed request' });
    expect(await problem('/tasks/k2/cascade?scope=everything')).toMatchObject({ status: 400 });
    expect(await problem('/tasks/k2/cascade?wid=bad%20wid')).toMatchObject({ status: 400 });
    expect(await problem('/workflows/wf-fanin/graph?format=svg')).toMatchObject({ status: 400, detail: 'format is json or dot' });
    expect(await problem('/workflows/bad%20wid/graph')).toMatchObject({ status: 400 });
    expect(await problem('/settlement?from=yesterday')).toMatchObject({ status: 400 });
    expect(await problem('/settlement?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')).toMatchObject({ status: 400, detail: 'from is later than to' });
  });
});

describe('limits', () => {
  it('answers 422 with the limit’s name past it', async () => {
    const app = createApp(service, { correlation: { limits: { maxTasks: 3 } } });
    const response = await app.request('/workflows/wf-diamond/graph');
    expect(response.status).toBe(422);
    const body = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;
    expect([body.get(-1), body.get(-2)]).toEqual(['Limit Exceeded', 'workflow wf-diamond has more than 3 tasks (maxTasks)']);
    const shallow = createApp(service, { correlation: { limits: { maxDepth: 1 } } });
    expect((await shallow.request('/tasks/k2/cascade')).status).toBe(422);
    expect((await shallow.request('/tasks/k2/cascade?scope=workflow')).status).toBe(422);
  });
});
