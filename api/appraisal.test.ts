// Appraisal on the service: POST /appraisals (operator only, strict bodies) signs and logs an
// EAR result that verifies offline; GET /agents/{id}/appraisal gives the latest with its
// staleness; the demo workload gets its verdicts; replays from the log's entries agree; and
// continuous appraisal follows the index, logging only verdicts that changed.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { APPRAISAL_RESULT_SCHEMA, type AppraisalResult, compareReplay, LogReplay, parseAppraisalResult } from '../appraisal/index.js';
import { decodeCoseKeySet, parseStatement } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { AGENT, MIN, OTHER, Scenario, T0 } from '../test/support/appraisal-scenarios.js';
import { tempDir } from '../test/support/log.js';
import { demoWorkload } from '../tools/demo/workload.js';
import { fromHex } from '../util/index.js';
import { verifyTransparentStatement } from '../verifier/index.js';
import {
  type AccessToken,
  accessTokenHash,
  createApp,
  generateAccessToken,
  loadServiceKeys,
  openApiDocument,
  PROBLEM_MEDIA_TYPE,
  type ServiceOptions,
  silentLogger,
  TransparencyService,
} from './index.js';

const ajv = new Ajv2020({ strict: true, validateFormats: false });
const validResult = ajv.compile(APPRAISAL_RESULT_SCHEMA as object);
const operatorToken = generateAccessToken();
const regulatorToken = generateAccessToken();
const tokens: AccessToken[] = [
  { name: 'ops', role: 'operator', sha256: fromHex(accessTokenHash(operatorToken))! },
  { name: 'reg', role: 'regulator', sha256: fromHex(accessTokenHash(regulatorToken))! },
];
const services: TransparencyService[] = [];
const SCENARIO = new Scenario();
afterAll(async () => {
  for (const service of services) if (service.ready) await service.close();
});

async function openService(options: Partial<ServiceOptions> = {}): Promise<TransparencyService> {
  const dataDir = tempDir('atlog-appraisal-');
  const service = await TransparencyService.open({
    dataDir,
    keys: loadServiceKeys({ dataDir }),
    issuer: 'http://localhost',
    origin: 'localhost/log',
    logger: silentLogger(),
    accessTokens: tokens,
    receiptWaitMs: 5000,
    ...options,
    // The scenarios' issuer, allowed to register profiles for the shop's agents.
    policy: options.policy ?? createPolicy({ issuerKeys: [SCENARIO.key.publicKey], agentStatements: { profileAuthorities: [{ iss: SCENARIO.iss, agents: ['spiffe://shop.example/*'] }] } }),
  });
  services.push(service);
  return service;
}

/** Registers a scenario's statements in order, each under a checkpoint before the next. */
async function registerAll(service: TransparencyService, s: Scenario, from = 0): Promise<void> {
  for (const entry of s.entries.slice(from)) expect((await service.register(entry.statement)).status).toBe('registered');
  await service.index.caughtUp();
}

const post = (body: unknown, options: { token?: string; type?: string } = {}) =>
  new Request('http://localhost/appraisals', {
    method: 'POST',
    headers: {
      'content-type': options.type ?? 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function problem(response: Response): Promise<{ status: number; detail: string }> {
  expect(response.headers.get('content-type')).toBe(PROBLEM_MEDIA_TYPE);
  const { decodeCbor } = await import('../receipts/index.js');
  const map = decodeCbor(new Uint8Array(await response.arrayBuffer())) as Map<number, string>;
  return { status: response.status, detail: map.get(-2)! };
}

/** A small log: a profile, and an agent that runs a denied tool once. */
function misbehaving(): Scenario {
  const s = new Scenario();
  s.profile({ denied_actions: [{ action: 'tool:shell.*' }] });
  s.action(T0);
  s.action(T0 + MIN, { action: 'tool:shell.exec' });
  return s;
}

describe('POST /appraisals', () => {
  it('needs an operator token: 401 without one, 403 with another role', async () => {
    const service = await openService();
    const app = createApp(service);
    const none = await app.request(post({ agent: AGENT }));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="atlog", scope="operator"');
    expect((await app.request(post({ agent: AGENT }, { token: 'atlog_not-a-real-token' }))).status).toBe(401);
    const regulator = await app.request(post({ agent: AGENT }, { token: regulatorToken }));
    expect(regulator.status).toBe(403);
    expect((await problem(regulator)).detail).toMatch(/operators/);
    // Nothing was logged by the refusals.
    expect(service.log.size).toBe(1);
  });

  it('refuses bodies that are not exactly {agent, from?, to?}', async () => {
    const service = await openService();
    const app = createApp(service);
    const cases: [string | Record<string, unknown>, number, RegExp][] = [
      ['{"agent": "spiffe://a.example/agent/x"', 400, /strict JSON/],
      ['{"agent": "spiffe://a.example/agent/x", "agent": "spiffe://a.example/agent/y"}', 400, /strict JSON/],
      ['[]', 400, /JSON object/],
      [{}, 400, /missing required member "agent"/],
      [{ agent: AGENT, window: 1 }, 400, /unknown member "window"/],
      [{ agent: 'https://a.example/agent' }, 400, /WIMSE or SPIFFE id/],
      [{ agent: 42 }, 400, /WIMSE or SPIFFE id/],
      [{ agent: `spiffe://a.example/${'x'.repeat(1100)}` }, 400, /longer than 1024 bytes/],
      [{ agent: AGENT, from: 'yesterday' }, 400, /from is an RFC 3339/],
      [{ agent: AGENT, to: 1767225600 }, 400, /to is an RFC 3339/],
      [{ agent: AGENT, from: '2026-01-01T01:00:00Z', to: '2026-01-01T00:00:00Z' }, 400, /from must be before to/],
      [{ agent: AGENT, from: '2026-02-30T00:00:00Z' }, 400, /from is an RFC 3339/],
      [{ agent: AGENT, pad: 'x'.repeat(5000) }, 413, /at most/],
    ];
    for (const [body, status, detail] of cases) {
      const response = await app.request(post(body, { token: operatorToken }));
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect((await problem(response)).detail).toMatch(detail);
    }
    const json = await app.request(post({ agent: AGENT }, { token: operatorToken, type: 'text/plain' }));
    expect(json.status).toBe(415);
    expect(service.log.size).toBe(1);
  });

  it('signs and logs the result: an EAR that verifies offline, with the documented shape', async () => {
    const service = await openService();
    const app = createApp(service);
    const s = misbehaving();
    await registerAll(service, s);
    const response = await app.request(post({ agent: AGENT }, { token: operatorToken }));
    expect(response.status).toBe(201);
    const body = (await response.json()) as { entryId: string; index: number; treeSize: number; result: AppraisalResult; transparentStatement: string; statement: string; receipt: string };
    expect(response.headers.get('location')).toBe(`/entries/${body.entryId}`);
    checkShape(body, 'LoggedAppraisal');
    expect(validResult(body.result), JSON.stringify(validResult.errors)).toBe(true);
    expect(body.treeSize).toBe(s.entries.length + 1);
    expect(body.index).toBe(body.treeSize);
    expect(body.result.ear_status).toBe('contraindicated');
    const submod = body.result.submods[AGENT]!;
    expect(submod['x-atlog.findings'].map((f) => [f.kind, f.evidence])).toEqual([['denied_action', [s.entries[2]!.entryId]]]);

    // The transparent statement: signed by the service key, its receipt verifies, its payload is the result.
    const transparent = new Uint8Array(Buffer.from(body.transparentStatement, 'base64url'));
    const keys = decodeCoseKeySet(service.keySet());
    const verdict = verifyTransparentStatement(transparent, { serviceKeys: keys, issuer: { keys } });
    expect(verdict.verified, JSON.stringify(verdict.failures)).toBe(true);
    const statement = parseStatement(transparent);
    expect(statement.contentType).toBe('application/vnd.atlog.appraisal-result+json');
    expect(statement.sub).toBe(AGENT);
    expect(statement.iss).toBe('http://localhost');
    expect(parseAppraisalResult(statement.payload!)).toEqual(body.result);
    // The index knows it as an appraisal result, not as evidence about the agent.
    await service.index.caughtUp();
    const indexed = await service.index.find('type', 'appraisal-result');
    expect(indexed.entries.map((e) => [e.entryId, e.sub, e.agents])).toEqual([[body.entryId, AGENT, []]]);

    // A replay from the log's entries below the tree size gives identical findings.
    const replay = new LogReplay(AGENT);
    for (const entry of await service.log.entries(0, body.treeSize)) replay.add(entry);
    expect(compareReplay(body.result, replay)).toMatchObject({ identical: true });
  });
});

describe('GET /agents/{id}/appraisal', () => {
  it('is 404 before any appraisal, then the latest whole-history result and how stale it is', async () => {
    const service = await openService();
    const app = createApp(service);
    const url = `/agents/${encodeURIComponent(AGENT)}/appraisal`;
    expect((await app.request(url)).status).toBe(404);
    expect((await app.request(`/agents/${encodeURIComponent('not-an-agent')}/appraisal`)).status).toBe(400);

    const s = misbehaving();
    await registerAll(service, s);
    const first = (await (await app.request(post({ agent: AGENT }, { token: operatorToken }))).json()) as { entryId: string; treeSize: number };
    // A windowed appraisal answers its question but is not the agent's latest verdict.
    const windowed = await app.request(post({ agent: AGENT, from: '2026-01-01T09:00:30Z' }, { token: operatorToken }));
    expect(windowed.status).toBe(201);
    expect(((await windowed.json()) as { result: AppraisalResult }).result.submods[AGENT]!['x-atlog.window']).toEqual({ start: '2026-01-01T09:00:30.000Z' });

    const latest = await app.request(url);
    expect(latest.status).toBe(200);
    const body = (await latest.json()) as Record<string, unknown>;
    checkShape(body, 'LatestAppraisal');
    expect(body).toMatchObject({ entryId: first.entryId, treeSize: first.treeSize, logSize: service.log.size, behind: 2, newEvidence: false, continuous: false });
    expect(validResult(body.result)).toBe(true);

    // New evidence about the agent: the result is now behind it.
    s.action(T0 + 2 * MIN);
    await registerAll(service, s, s.entries.length - 1);
    expect((await (await app.request(url)).json()) as Record<string, unknown>).toMatchObject({ entryId: first.entryId, newEvidence: true, behind: 3 });
    // Evidence about someone else does not make it stale for this agent.
    const other = await app.request(`/agents/${encodeURIComponent(OTHER)}/appraisal`);
    expect(other.status).toBe(404);
  });
});

describe('the demo workload on the service', () => {
  it('is contraindicated for the misbehaving agent with exactly its violations, affirming for the others; replays agree', async () => {
    const workload = demoWorkload({ seed: 'appraisal', start: Date.UTC(2026, 0, 1) });
    const service = await openService({
      policy: createPolicy({
        issuerKeys: workload.identities.map((i) => i.publicKey),
        agentStatements: { profileAuthorities: workload.identities.filter((i) => i.role === 'authority').map((a) => ({ iss: a.iss, agents: [`spiffe://${a.domain}/*`] })) },
      }),
    });
    const app = createApp(service);
    // As `atlog demo` registers it: the profiles first, then the activity, 8 at a time (so
    // neighbouring statements reach the log in either order).
    for (const phase of ['profiles', 'activity'] as const) {
      const queue = workload.statements.filter((s) => s.phase === phase);
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < queue.length) expect((await service.register(queue[next++]!.bytes)).status).toBe('registered');
        }),
      );
    }
    await service.index.caughtUp();
    const results: AppraisalResult[] = [];
    for (const agent of workload.facts.agents) {
      const response = await app.request(post({ agent }, { token: operatorToken }));
      expect(response.status).toBe(201);
      const { result } = (await response.json()) as { result: AppraisalResult };
      results.push(result);
      const submod = result.submods[agent]!;
      const kinds = new Set(submod['x-atlog.findings'].map((f) => f.kind));
      if (agent === workload.facts.misbehaving.agent) {
        expect(result.ear_status).toBe('contraindicated');
        expect([...kinds].sort()).toEqual([...workload.facts.misbehaving.violations].sort());
        expect(submod['x-atlog.findings_omitted']).toBe(0);
      } else {
        expect(submod['x-atlog.findings'], agent).toEqual([]);
        expect(result.ear_status, agent).toBe('affirming');
        expect(submod.ear_trustworthiness_vector).toEqual({ 'instance-identity': 2, configuration: 2, executables: 2, 'sourced-data': 2 });
      }
      expect(submod.ear_appraisal_policy_ids).toHaveLength(1);
    }
    // Replays from GET /entries pages (the results themselves are in the log by now).
    const entries: Uint8Array[] = [];
    for (let from = 0; from < service.log.size; ) {
      const page = (await (await app.request(`/entries?from=${from}&limit=1000`)).json()) as { entries: { statement: string }[]; next?: number };
      entries.push(...page.entries.map((e) => new Uint8Array(Buffer.from(e.statement, 'base64url'))));
      from = page.next ?? service.log.size;
    }
    for (const result of results) {
      const agent = Object.keys(result.submods)[0]!;
      const replay = new LogReplay(agent);
      for (const entry of entries.slice(0, result['x-atlog.tree_size'])) replay.add(entry);
      expect(compareReplay(result, replay).differences, agent).toEqual([]);
    }
  });
});

describe('continuous appraisal', () => {
  it('re-appraises agents with new entries and logs a result only when the verdict changed', async () => {
    const service = await openService({ appraisal: { continuous: true, intervalMs: 20 } });
    const follower = service.appraisals.follower!;
    const app = createApp(service);
    const s = new Scenario();
    s.profile({ denied_actions: [{ action: 'tool:shell.*' }] });
    s.action(T0);
    await registerAll(service, s);
    await follower.settled();
    const results = async () => {
      await service.index.caughtUp();
      return (await service.index.find('type', 'appraisal-result')).entries;
    };
    const first = await results();
    expect(first).toHaveLength(1);
    const latest = async () => (await (await app.request(`/agents/${encodeURIComponent(AGENT)}/appraisal`)).json()) as { entryId: string; result: AppraisalResult; continuous: boolean };
    expect((await latest()).result.ear_status).toBe('affirming');
    expect((await latest()).continuous).toBe(true);

    // More of the same: the verdict is unchanged, nothing new is logged.
    s.action(T0 + MIN);
    await registerAll(service, s, s.entries.length - 1);
    await follower.settled();
    expect(await results()).toHaveLength(1);

    // A violation: a new verdict, logged, and the latest.
    const shell = s.action(T0 + 2 * MIN, { action: 'tool:shell.exec' });
    await registerAll(service, s, s.entries.length - 1);
    await follower.settled();
    const now = await results();
    expect(now).toHaveLength(2);
    const changed = await latest();
    expect(changed.entryId).toBe(now[1]!.entryId);
    expect(changed.result.ear_status).toBe('contraindicated');
    expect(changed.result.submods[AGENT]!['x-atlog.findings'][0]!.evidence).toEqual([shell.entryId]);
    // The incremental verdict is the one a replay over the same prefix gives.
    const replay = new LogReplay(AGENT);
    for (const entry of await service.log.entries(0, changed.result['x-atlog.tree_size'])) replay.add(entry);
    expect(compareReplay(changed.result, replay).identical).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------

type Schema = { properties?: Record<string, Schema>; required?: string[]; items?: Schema; $ref?: string; additionalProperties?: boolean | Schema };
const components = (openApiDocument() as unknown as { components: { schemas: Record<string, Schema> } }).components.schemas;
const resolve = (schema: Schema): Schema => (schema.$ref === undefined ? schema : components[schema.$ref.split('/').pop()!]!);

/** Every member of the answer is documented, every required one present, objects closed (maps aside). */
function checkShape(value: unknown, name: string): void {
  const walk = (v: unknown, schema: Schema, at: string): void => {
    const s = resolve(schema);
    if (Array.isArray(v)) {
      for (const item of v) walk(item, s.items!, `${at}[]`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const keys = Object.keys(v);
    if (typeof s.additionalProperties === 'object') {
      for (const key of keys) walk((v as Record<string, unknown>)[key], s.additionalProperties, `${at}.${key}`);
      return;
    }
    if (s.properties === undefined) return;
    expect(s.additionalProperties, `${at} is closed`).toBe(false);
    for (const key of keys) expect(Object.keys(s.properties), `${at}.${key} is documented`).toContain(key);
    for (const key of s.required ?? []) expect(keys, `${at}.${key} is present`).toContain(key);
    for (const key of keys) walk((v as Record<string, unknown>)[key], s.properties[key]!, `${at}.${key}`);
  };
  walk(value, { $ref: `#/components/schemas/${name}` }, name);
}
