// Correlation routes over the entry index: a workflow's graph (JSON, or Graphviz DOT), a task's
// cascade and root causes, its rollback plan, and the settlement of usage records in a window.
// Public and read-only. Each answer is about one prefix of the log and says which (`treeSize`), as
// the query routes do; correlation/ decides, this module only translates.
import { timeParam } from './params.js';
import type { Context, Hono } from 'hono';
import {
  byDomainAndAgent,
  type Cascade,
  Correlator,
  type CorrelatorOptions,
  type CorrelationSource,
  type DanglingEdge,
  type Reached,
  type RollbackPlanReport,
  type Scope,
  type SettlementReport,
  type TaskEdge,
  type TaskGraph,
  toDot,
  type UsageRecord,
  type Violation,
} from '../correlation/index.js';
import { parseStatement } from '../receipts/index.js';
import { fromHex } from '../util/index.js';
import { malformed, problemResponse } from './problems.js';
import type { TransparencyService } from './service.js';

export const DOT_MEDIA_TYPE = 'text/vnd.graphviz';
const NO_STORE = { 'cache-control': 'no-store' };

/** What correlation reads, from the service: its entry index, and its log for payloads. */
export function serviceCorrelationSource(service: TransparencyService): CorrelationSource {
  return {
    index: service.index,
    indexOf: (entryId) => {
      const hash = fromHex(entryId);
      return hash === undefined ? Promise.resolve(undefined) : service.log.indexOf(hash);
    },
    payload: async (index) => parseStatement(await service.log.entry(index)).payload ?? undefined,
  };
}

export function correlationRoutes(app: Hono, service: TransparencyService, basePath: string, options: CorrelatorOptions = {}): void {
  // One correlator per request: it holds no state, and the limits are checked once here.
  const correlator = () => new Correlator(serviceCorrelationSource(service), options);
  correlator();
  const json = new Json(basePath);

  app.get('/workflows/:wid/graph', async (c) => {
    const format = c.req.query('format');
    if (format !== undefined && format !== 'json' && format !== 'dot') return problemResponse(malformed('format is json or dot'));
    const dot = format === 'dot' || (format === undefined && (c.req.header('accept') ?? '').toLowerCase().includes(DOT_MEDIA_TYPE));
    const wid = c.req.param('wid');
    const { treeSize, graph } = await correlator().graph(wid);
    if (dot) {
      const body = toDot(graph, { title: `workflow ${wid} (tree size ${treeSize})` });
      return new Response(body, { headers: { 'content-type': `${DOT_MEDIA_TYPE}; charset=utf-8`, ...NO_STORE } });
    }
    return c.json({ treeSize, logSize: service.log.size, workflow: wid, ...json.graph(graph) }, 200, NO_STORE);
  });

  app.get('/tasks/:id/cascade', async (c) => {
    const query = taskQuery(c);
    if (typeof query === 'string') return problemResponse(malformed(query));
    const cascade = await correlator().cascade(c.req.param('id'), query);
    return c.json({ ...json.cascade(cascade), logSize: service.log.size }, 200, NO_STORE);
  });

  app.get('/tasks/:id/rollback-plan', async (c) => {
    const query = taskQuery(c);
    if (typeof query === 'string') return problemResponse(malformed(query));
    const report = await correlator().rollbackPlan(c.req.param('id'), query);
    return c.json({ ...json.rollback(report), logSize: service.log.size }, 200, NO_STORE);
  });

  app.get('/settlement', async (c) => {
    const from = timeParam(c.req.query('from'));
    const to = timeParam(c.req.query('to'));
    if (from === null || to === null) return problemResponse(malformed('from and to are RFC 3339 date-times (2026-01-01T00:00:00Z) or NumericDate seconds'));
    const report = await correlator().settlement({ ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
    return c.json({ ...json.settlement(report), logSize: service.log.size }, 200, NO_STORE);
  });
}

function taskQuery(c: Context): { wid?: string; scope?: Scope } | string {
  const wid = c.req.query('wid');
  const scope = c.req.query('scope');
  if (wid !== undefined && !/^[A-Za-z0-9._~:-]{1,128}$/.test(wid)) return 'wid is a workflow id: 1 to 128 of A-Z a-z 0-9 . _ ~ : -';
  if (scope !== undefined && scope !== 'log' && scope !== 'workflow') return 'scope is log (follow edges into other workflows) or workflow';
  return { ...(wid === undefined ? {} : { wid }), ...(scope === undefined ? {} : { scope: scope as Scope }) };
}


const iso = (ms: number) => new Date(ms).toISOString();

/** The JSON shapes of the answers (api/openapi.ts describes them): entries by entry id, times in RFC 3339. */
class Json {
  constructor(private readonly basePath: string) {}

  private links(entryId: string) {
    return { statement: `${this.basePath}/entries/${entryId}/statement`, receipt: `${this.basePath}/entries/${entryId}` };
  }

  task(graph: TaskGraph, p: number) {
    const t = graph.tasks[p]!;
    return {
      entryId: t.entryId,
      index: t.index,
      tid: t.tid,
      wid: t.wid,
      ...defined({ domain: t.domain, agent: t.agent, action: t.action, outcome: t.outcome, txn: t.txn, traceId: t.traceId }),
      time: iso(t.time),
      registeredAt: iso(t.registeredAt),
      foreign: graph.foreign(p),
      ...this.links(t.entryId),
    };
  }

  edge(graph: TaskGraph, e: TaskEdge) {
    return {
      from: graph.tasks[e.from]!.entryId,
      to: graph.tasks[e.to]!.entryId,
      kind: e.kind,
      ...(e.rel === undefined ? {} : { rel: e.rel }),
      par: e.par,
      crossDomain: e.crossDomain,
      crossWorkflow: e.crossWorkflow,
    };
  }

  graph(graph: TaskGraph) {
    return {
      acyclic: graph.acyclic,
      stats: graph.stats,
      tasks: graph.tasks.map((_, p) => this.task(graph, p)),
      edges: graph.edges.map((e) => this.edge(graph, e)),
      dangling: graph.dangling.map((d: DanglingEdge) => ({ ...d })),
      danglingCount: graph.danglingCount,
      violations: graph.violations.map((v: Violation) => ({ ...v })),
      violationCount: graph.violationCount,
      records: graph.records.map((r) => ({
        entryId: r.entry.entryId,
        index: r.entry.index,
        type: r.entry.type,
        ...defined({ wid: r.entry.wid, tid: r.entry.tid, action: r.entry.action, phase: r.entry.phase, overrideId: r.entry.overrideId }),
        time: iso(r.entry.time),
        tasks: r.tasks.map((t) => ({ task: graph.tasks[t.task]!.entryId, rel: t.rel })),
        ...this.links(r.entry.entryId),
      })),
      groups: graph.groups,
    };
  }

  reached(graph: TaskGraph, r: Reached) {
    return { task: this.task(graph, r.task), depth: r.depth, via: this.edge(graph, r.via), path: r.path.map((p) => graph.tasks[p]!.entryId) };
  }

  cascade(c: Cascade) {
    const { graph } = c;
    return {
      treeSize: c.treeSize,
      scope: c.scope,
      task: this.task(graph, c.start),
      workflows: [...graph.workflows].sort(),
      downstream: {
        tasks: c.downstream.map((r) => this.reached(graph, r)),
        byDomain: byDomainAndAgent(graph, c.downstream.map((r) => r.task)),
      },
      upstream: {
        tasks: c.upstream.map((r) => this.reached(graph, r)),
        rootCauses: c.rootCauses.map((p) => graph.tasks[p]!.entryId),
      },
    };
  }

  rollback(report: RollbackPlanReport) {
    const { graph, plan } = report;
    const id = (p: number) => graph.tasks[p]!.entryId;
    return {
      treeSize: report.treeSize,
      scope: report.scope,
      task: this.task(graph, plan.start),
      digest: plan.digest,
      steps: plan.steps.map((s) => ({
        task: this.task(graph, s.task),
        status: s.status,
        compensatedBy: s.compensatedBy.map(id),
        overrides: s.overrides,
        ...(s.reached === undefined ? {} : { depth: s.reached.depth, path: s.reached.path.map(id) }),
      })),
      overrides: plan.overrides.map((o) => ({
        overrideId: o.overrideId,
        action: o.action,
        ...defined({ level: o.level, method: o.method }),
        ...(o.to === undefined ? {} : { to: o.to }),
        targets: o.targets.map(id),
        ...(o.planDigest === undefined ? {} : { planDigest: o.planDigest, matchesPlan: o.matchesPlan === true }),
        phases: o.phases.map((p) => ({ phase: p.phase, entryId: p.entryId, index: p.index, time: iso(p.time), ...this.links(p.entryId) })),
      })),
      compensations: plan.compensations.map((c) => ({ task: this.task(graph, c.task), compensates: c.compensates.map(id) })),
    };
  }

  usage(r: UsageRecord) {
    return {
      entryId: r.entryId,
      index: r.index,
      time: iso(r.time),
      ...defined({ iss: r.iss, domain: r.domain }),
      side: r.side,
      consumer: r.consumer,
      provider: r.provider,
      ...defined({ wid: r.wid, tid: r.tid, counterparty: r.counterparty, agreement: r.agreement, status: r.status }),
      inWindow: r.inWindow,
      ...this.links(r.entryId),
    };
  }

  settlement(report: SettlementReport) {
    const { pairs, unpaired } = report.settlement;
    return {
      treeSize: report.treeSize,
      ...(report.from === undefined ? {} : { from: iso(report.from) }),
      ...(report.to === undefined ? {} : { to: iso(report.to) }),
      records: report.records,
      summary: {
        pairs: pairs.length,
        agreed: pairs.filter((p) => p.status === 'agreed').length,
        disputed: pairs.filter((p) => p.status === 'disputed').length,
        unpaired: unpaired.length,
      },
      pairs: pairs.map((p) => ({ consumer: this.usage(p.consumer), provider: this.usage(p.provider), pairedBy: p.pairedBy, status: p.status, measurements: p.measurements })),
      unpaired: unpaired.map((u) => ({ record: this.usage(u.record), reason: u.reason })),
    };
  }
}

function defined<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = v;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
