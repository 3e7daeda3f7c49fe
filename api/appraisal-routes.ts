// The appraisal routes: POST /appraisals (an operator asks for an agent's appraisal; the service
// signs and logs the result and answers with it) and GET /agents/{id}/appraisal (the latest
// whole-history result of an agent, public like the log, with how stale it is).
import type { Context, Hono } from 'hono';
import { AppraisalError, type AppraisalWindow, checkAgent, instantMs, rfc3339 } from '../appraisal/index.js';
import { parseStrictJson } from '../util/index.js';
import { requireRole } from './access.js';
import type { LoggedAppraisal } from './appraisal-service.js';
import { incomingOf, readBody } from './body.js';
import { notFound, problemResponse } from './problems.js';
import type { TransparencyService } from './service.js';

/** A request body is a small JSON object: an agent id (≤ 1024 bytes) and two instants. */
export const MAX_APPRAISAL_REQUEST_BYTES = 4096;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

export function appraisalRoutes(app: Hono, service: TransparencyService, basePath: string): void {
  const paths = (entryId: string) => ({ statement: `${basePath}/entries/${entryId}/statement`, receipt: `${basePath}/entries/${entryId}` });

  const operator = requireRole(service.accessTokens, 'operator');
  app.post('/appraisals', async (c) => {
    // The role check runs inside the one handler, so the route is one route (as the OpenAPI test counts them).
    let allowed = false;
    const refusal = await operator(c as unknown as Parameters<typeof operator>[0], async () => {
      allowed = true;
    });
    if (!allowed) return refusal as Response;
    const type = c.req.header('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return problemResponse({ status: 415, title: 'Unsupported Media Type', detail: 'send the request as application/json: {"agent", "from"?, "to"?}', close: true });
    }
    const read = await readBody(c.req.raw, MAX_APPRAISAL_REQUEST_BYTES, 10_000, incomingOf(c));
    if (!read.ok) return problemResponse(read.problem);
    const request = appraisalRequest(read.body);
    const logged = await service.appraisals.appraise(request.agent, request.window);
    return c.json(
      {
        entryId: logged.entryId,
        index: logged.index,
        treeSize: logged.result['x-atlog.tree_size'],
        result: logged.result,
        transparentStatement: Buffer.from((await service.transparentStatement(logged.entryId)) ?? logged.statement).toString('base64url'),
        ...paths(logged.entryId),
      },
      201,
      { location: paths(logged.entryId).receipt, 'cache-control': 'no-store' },
    );
  });

  app.get('/agents/:id/appraisal', async (c: Context) => {
    const agent = c.req.param('id') ?? '';
    checkAgent(agent);
    const latest = await service.appraisals.latest(agent);
    if (latest === undefined) return problemResponse(notFound(`no appraisal of ${agent.slice(0, 200)} has been logged; an operator can ask for one (POST /appraisals)`));
    return c.json(await staleness(service, agent, latest, paths(latest.entryId)), 200, { 'cache-control': 'no-store' });
  });
}

/** The latest result, with how far behind the log and how old it is. */
async function staleness(service: TransparencyService, agent: string, latest: LoggedAppraisal, paths: { statement: string; receipt: string }) {
  const treeSize = latest.result['x-atlog.tree_size'];
  const logSize = service.log.size;
  // Any entry about the agent registered after the result was computed (results are not).
  const newer = treeSize >= service.index.size ? { entries: [] } : await service.index.find('agent', agent, { after: treeSize - 1, limit: 1 });
  const now = Date.now();
  return {
    entryId: latest.entryId,
    index: latest.index,
    treeSize,
    logSize,
    behind: Math.max(0, logSize - treeSize),
    newEvidence: newer.entries.length > 0,
    appraisedAt: rfc3339(latest.result.iat * 1000),
    ageSeconds: Math.max(0, Math.round(now / 1000 - latest.result.iat)),
    continuous: service.appraisals.continuousEnabled,
    result: latest.result,
    ...paths,
  };
}

/** The request body, strictly: `{"agent": id, "from"?: RFC 3339, "to"?: RFC 3339}` and nothing else. */
export function appraisalRequest(body: Uint8Array): { readonly agent: string; readonly window: AppraisalWindow } {
  let value: unknown;
  try {
    value = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(body), { maxLength: MAX_APPRAISAL_REQUEST_BYTES, maxDepth: 2 });
  } catch (error) {
    throw new AppraisalError('APPRAISAL_BAD_REQUEST', `the body is not strict JSON (${error instanceof Error ? error.message : 'unreadable'})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AppraisalError('APPRAISAL_BAD_REQUEST', 'the body is a JSON object: {"agent", "from"?, "to"?}');
  const members = value as Record<string, unknown>;
  const unknown = Object.keys(members).find((key) => !['agent', 'from', 'to'].includes(key));
  if (unknown !== undefined) throw new AppraisalError('APPRAISAL_BAD_REQUEST', `unknown member ${JSON.stringify(unknown.slice(0, 64))}; the body is {"agent", "from"?, "to"?}`);
  if (!('agent' in members)) throw new AppraisalError('APPRAISAL_BAD_REQUEST', 'missing required member "agent"');
  checkAgent(members.agent);
  const time = (name: 'from' | 'to'): number | undefined => {
    const text = members[name];
    if (text === undefined) return undefined;
    const ms = typeof text === 'string' && RFC3339.test(text) ? instantMs(text) : undefined;
    if (ms === undefined) throw new AppraisalError('APPRAISAL_BAD_REQUEST', `${name} is an RFC 3339 date-time (2026-01-01T00:00:00Z)`);
    return ms;
  };
  const from = time('from');
  const to = time('to');
  if (from !== undefined && to !== undefined && from >= to) throw new AppraisalError('APPRAISAL_BAD_REQUEST', 'from must be before to (the window is [from, to))');
  return { agent: members.agent, window: { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) } };
}
