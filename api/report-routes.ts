// The regulators' routes: a differential-privacy report for a query, a report by id, and the
// caller's budget. Every route needs a regulator's bearer token; the regulator is the token's
// name, and its budget is the one the operator configured for that name. The handlers translate;
// privacy/ (through service.reports) decides, charges and logs.
import { type Context, Hono } from 'hono';
import { type Report } from '../privacy/index.js';
import { parseStrictJson } from '../util/index.js';
import { type Principal, requireRole } from './access.js';
import { incomingOf, readBody } from './body.js';
import { malformed, notFound, problemResponse } from './problems.js';
import type { TransparencyService } from './service.js';

/** Largest query body read, in bytes (a query is small; see privacy/query.ts for its limits). */
export const MAX_QUERY_BYTES = 16 * 1024;
const JSON_TYPE = 'application/json';

/** A report as the routes answer it. */
export interface ReportResponse {
  readonly id: string;
  readonly status: Report['status'];
  readonly regulator: string;
  /** Where to GET it again. */
  readonly location: string;
  readonly entryId?: string;
  /** The report payload, as signed. */
  readonly report?: Readonly<Record<string, unknown>>;
  /** The transparent statement (signed report with its receipt, label 394), base64url. */
  readonly statement?: string;
}

type RegulatorEnv = { Variables: { principal: Principal } };

export function reportRoutes(app: Hono, service: TransparencyService, basePath: string): void {
  const regulator = requireRole(service.accessTokens, 'regulator');
  const routes = new Hono<RegulatorEnv>();
  // As middleware (not per-route handlers), so the routes list each route once.
  for (const path of ['/reports', '/reports/*', '/budget']) routes.use(path, regulator);

  routes.post('/reports', async (c) => {
    const type = c.req.header('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
    if (type !== JSON_TYPE) return problemResponse({ status: 415, title: 'Unsupported Media Type', detail: 'send the query as application/json', close: true });
    const read = await readBody(c.req.raw, MAX_QUERY_BYTES, 10_000, incomingOf(c));
    if (!read.ok) {
      const problem = read.problem.status === 413 ? { ...read.problem, detail: `a query is at most ${MAX_QUERY_BYTES} bytes` } : read.problem;
      return problemResponse(problem);
    }
    let query: unknown;
    try {
      query = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(read.body), { maxLength: MAX_QUERY_BYTES, maxDepth: 8 });
    } catch (error) {
      return problemResponse(malformed(`the query is not strict JSON (${error instanceof Error ? error.message : 'not UTF-8'})`));
    }
    const report = await service.reports.release(c.get('principal').name, query);
    const body = await responseOf(service, report, basePath);
    return c.json(body, 201, { location: body.location, 'cache-control': 'no-store' });
  });

  routes.get('/reports/:id', async (c) => {
    const id = c.req.param('id');
    const n = /^[1-9][0-9]{0,15}$/.test(id) ? Number(id) : undefined;
    if (n === undefined || !Number.isSafeInteger(n)) return problemResponse(malformed('a report id is a positive integer (the query_id of the report)'));
    const report = await service.reports.report(n);
    if (report === undefined) return problemResponse(notFound(`no report has id ${id}`));
    return c.json(await responseOf(service, report, basePath), 200, { 'cache-control': 'no-store' });
  });

  routes.get('/budget', async (c: Context<RegulatorEnv>) => {
    return c.json(await service.reports.budget(c.get('principal').name), 200, { 'cache-control': 'no-store' });
  });

  app.route('/', routes);
}

async function responseOf(service: TransparencyService, report: Report, basePath: string): Promise<ReportResponse> {
  const statement = report.entryId === undefined ? undefined : await service.transparentStatement(report.entryId);
  return {
    id: String(report.id),
    status: report.status,
    regulator: report.regulator,
    location: `${basePath}/reports/${report.id}`,
    ...(report.entryId === undefined ? {} : { entryId: report.entryId }),
    // Shown once it is in the log: a release still being computed or registered has no report here yet.
    ...(report.payload === undefined || (report.status !== 'released' && report.status !== 'abandoned') ? {} : { report: report.payload }),
    ...(statement === undefined ? {} : { statement: Buffer.from(statement).toString('base64url') }),
  };
}
