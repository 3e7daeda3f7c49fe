// The regulators' routes over a real service holding the demo workload: a report is charged,
// computed on a fixed tree size, signed by the service and logged (verifiable offline with the
// service's keys); refusals name what is wrong and charge nothing; a burst cannot overspend;
// releases a crash left charged are logged as abandoned, and computed ones as released, when
// the service starts again. Response shapes are checked against the OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCbor, decodeCoseKeySet, parseStatement } from '../receipts/index.js';
import { developmentPolicy } from '../statements/index.js';
import { tempDir } from '../test/support/log.js';
import { demoWorkload } from '../tools/demo/workload.js';
import { verifyTransparentStatement } from '../verifier/index.js';
import { type PrivacyConfig, parsePrivacyConfig, readRational } from '../privacy/index.js';
import { accessTokenHash, createApp, generateAccessToken, loadServiceKeys, openApiDocument, parseAccessTokens, silentLogger, TransparencyService } from './index.js';

const tokens = {
  eu: generateAccessToken(),
  zcdp: generateAccessToken(),
  small: generateAccessToken(),
  none: generateAccessToken(),
  operator: generateAccessToken(),
};
const accessTokens = parseAccessTokens(
  JSON.stringify({
    tokens: [
      { name: 'eu-regulator', role: 'regulator', sha256: accessTokenHash(tokens.eu) },
      { name: 'zcdp-regulator', role: 'regulator', sha256: accessTokenHash(tokens.zcdp) },
      { name: 'small-regulator', role: 'regulator', sha256: accessTokenHash(tokens.small) },
      { name: 'unbudgeted', role: 'regulator', sha256: accessTokenHash(tokens.none) },
      { name: 'oncall', role: 'operator', sha256: accessTokenHash(tokens.operator) },
    ],
  }),
);
const privacy: PrivacyConfig = parsePrivacyConfig(
  JSON.stringify({
    budgets: {
      'eu-regulator': { accountant: 'basic', epsilon: 20, delta: 1e-6 },
      'zcdp-regulator': { accountant: 'zcdp', rho: 1, delta: 1e-9 },
      'small-regulator': { accountant: 'basic', epsilon: 2.1 },
    },
  }),
);
const workload = demoWorkload({ seed: 'reports', start: Date.UTC(2026, 0, 1) });
const DOMAINS = ['shop.example', 'inference.example', 'logistics.example'];

const byDomain = {
  statistic: 'count',
  filter: { type: 'exec-audit', from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
  privacy_unit: 'agent',
  group_by: [{ key: 'domain', values: DOMAINS }],
  bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 10 },
  epsilon: 1,
};

let dataDir: string;
let service: TransparencyService;
let app: ReturnType<typeof createApp>;

async function open(): Promise<void> {
  service = await TransparencyService.open({
    dataDir,
    keys: loadServiceKeys({ dataDir }),
    issuer: 'https://log.example',
    origin: 'log.example',
    policy: developmentPolicy(),
    logger: silentLogger(),
    accessTokens,
    privacy,
  });
  app = createApp(service);
}

beforeAll(async () => {
  dataDir = tempDir('atlog-reports-');
  await open();
  for (const phase of ['profiles', 'activity'] as const) {
    const statements = workload.statements.filter((s) => s.phase === phase);
    for (let i = 0; i < statements.length; i += 32) {
      const results = await Promise.all(statements.slice(i, i + 32).map((s) => service.register(s.bytes)));
      for (const r of results) expect(r.status).toBe('registered');
    }
  }
  await service.index.caughtUp();
});
afterAll(async () => {
  if (service.ready) await service.close();
});

const post = (body: unknown, token: string | null = tokens.eu, type = 'application/json') =>
  app.request('/reports', {
    method: 'POST',
    headers: { 'content-type': type, ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (path: string, token: string = tokens.eu) => app.request(path, { headers: { authorization: `Bearer ${token}` } });

async function problem(response: Response): Promise<{ title: string; detail: string }> {
  const value = decodeCbor(new Uint8Array(await response.arrayBuffer())) as Map<number, string>;
  return { title: value.get(-1)!, detail: value.get(-2)! };
}

interface ReportBody {
  id: string;
  status: string;
  regulator: string;
  location: string;
  entryId: string;
  statement: string;
  report: Record<string, unknown> & { results: { partition: Record<string, unknown>; count?: { value: number; ci95: [number, number] }; mean?: { value: number; ci95: [number, number] } }[] };
}

// --- The OpenAPI shape check (as api/operations.test.ts does for the public routes).
const document = openApiDocument() as { components: { schemas: Record<string, Schema> } };
type Schema = { properties?: Record<string, Schema>; required?: string[]; items?: Schema; $ref?: string; additionalProperties?: boolean | Schema };
const resolve = (schema: Schema): Schema => (schema.$ref === undefined ? schema : document.components.schemas[schema.$ref.split('/').pop()!]!);
function checkShape(value: unknown, schema: Schema, at: string): void {
  const s = resolve(schema);
  if (Array.isArray(value)) {
    for (const item of value) checkShape(item, s.items!, `${at}[]`);
    return;
  }
  if (value === null || typeof value !== 'object' || s.properties === undefined) return;
  const keys = Object.keys(value);
  expect(s.additionalProperties, `${at} is closed`).toBe(false);
  for (const key of keys) expect(Object.keys(s.properties), `${at}.${key} is documented`).toContain(key);
  for (const key of s.required ?? []) expect(keys, `${at}.${key} is present`).toContain(key);
  for (const key of keys) checkShape((value as Record<string, unknown>)[key], s.properties[key]!, `${at}.${key}`);
}

describe('POST /reports', () => {
  it('charges, computes on a fixed tree size, and answers with a report the service signed and logged', async () => {
    const treeSize = service.index.size;
    const response = await post(byDomain);
    expect(response.status).toBe(201);
    const body = (await response.json()) as ReportBody;
    checkShape(body, { $ref: '#/components/schemas/Report' }, 'report');
    expect(response.headers.get('location')).toBe(`/reports/${body.id}`);
    expect(body).toMatchObject({ status: 'released', regulator: 'eu-regulator', location: `/reports/${body.id}` });
    const report = body.report;
    expect(report).toMatchObject({
      profile: 'tag:atlog.dev,2026:privacy-report/v1',
      query_id: body.id,
      status: 'released',
      regulator: 'eu-regulator',
      regulator_sequence: 1,
      tree_size: treeSize,
      privacy_unit: 'agent',
      mechanism: 'discrete_laplace',
      epsilon: '1',
      delta: '0',
      bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 10 },
      partition_selection: 'public',
      noise: [{ statistic: 'count', sensitivity: { l1: '10', l2_squared: '100' }, epsilon: '1', distribution: 'discrete_laplace', scale: '10' }],
      cost: { epsilon: '1', delta: '0', rho: '0' },
      spent_before: { epsilon: '0', delta: '0', rho: '0' },
      accountant: { kind: 'basic', total_epsilon: '20', spent_epsilon: '1', remaining_epsilon: '19', total_delta: '0.000001' },
      partition_keys: ['domain'],
      truncated: false,
    });
    expect(report.root_hash).toBe(Buffer.from(await service.log.rootAt(treeSize)).toString('hex'));
    // Every public partition, in the declared order, each with its interval.
    expect(report.results.map((r) => r.partition.domain)).toEqual(DOMAINS);
    for (const r of report.results) {
      expect(r.count!.ci95[0]).toBeLessThan(r.count!.value);
      expect(r.count!.ci95[1]).toBeGreaterThan(r.count!.value);
    }

    // The statement verifies offline with the service's published keys, and is the report.
    const transparent = new Uint8Array(Buffer.from(body.statement, 'base64url'));
    const keys = decodeCoseKeySet(service.keySet());
    const verdict = verifyTransparentStatement(transparent, { serviceKeys: keys, issuer: { keys } });
    expect(verdict.failures).toEqual([]);
    const signed = parseStatement(transparent);
    expect(signed.iss).toBe('https://log.example');
    expect(signed.sub).toBe(`https://log.example/reports/${body.id}`);
    expect(signed.contentType).toBe('application/vnd.atlog.privacy-report+json');
    expect(JSON.parse(Buffer.from(signed.payload!).toString())).toEqual(report);
    await service.index.caughtUp();
    const logged = await service.index.find('type', 'privacy-report');
    expect(logged.entries.map((e) => e.entryId)).toContain(body.entryId);

    // GET /reports/{id} answers the same report; GET /budget the spend.
    const again = await get(body.location);
    expect(again.status).toBe(200);
    const fetched = (await again.json()) as ReportBody;
    checkShape(fetched, { $ref: '#/components/schemas/Report' }, 'report');
    expect(fetched.report).toEqual(report);
    expect(fetched.entryId).toBe(body.entryId);
    const budget = await get('/budget');
    expect(budget.status).toBe(200);
    const status = await budget.json();
    checkShape(status, { $ref: '#/components/schemas/Budget' }, 'budget');
    expect(status).toEqual({
      regulator: 'eu-regulator',
      releases: 1,
      accountant: { kind: 'basic', total_epsilon: '20', total_delta: '0.000001', spent_epsilon: '1', spent_delta: '0', remaining_epsilon: '19', remaining_delta: '0.000001' },
    });
  });

  it('makes means of resource usage, Gaussian releases under zCDP, and data-dependent groups under δ', async () => {
    const mean = await post({
      statistic: 'mean',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      group_by: [{ key: 'dim', name: 'side', values: ['consumer', 'provider'] }],
      value: { measurement: 'gen_ai.usage.input_tokens', min: 0, max: 5000, granularity: 10 },
      bounds: { max_partitions_contributed: 2, max_contributions_per_partition: 2 },
      epsilon: 2,
    });
    expect(mean.status).toBe(201);
    const m = (await mean.json()) as ReportBody;
    checkShape(m, { $ref: '#/components/schemas/Report' }, 'mean');
    expect(m.report.results.map((r) => r.partition['dim:side'])).toEqual(['consumer', 'provider']);
    for (const r of m.report.results) {
      expect(r.mean!.value).toBeGreaterThanOrEqual(0);
      expect(r.mean!.value).toBeLessThanOrEqual(5000);
    }
    expect(m.report.bounds).toEqual({ max_partitions_contributed: 2, max_contributions_per_partition: 2, min_value: '0', max_value: '5000', granularity: '10' });

    const gaussian = await post({ ...byDomain, mechanism: 'gaussian', epsilon: undefined, rho: 0.125 }, tokens.zcdp);
    expect(gaussian.status).toBe(201);
    const g = (await gaussian.json()) as ReportBody;
    expect(g.report).toMatchObject({
      mechanism: 'discrete_gaussian',
      rho: '0.125',
      noise: [{ statistic: 'count', rho: '0.125', distribution: 'discrete_gaussian', sigma2: '400' }],
      cost: { epsilon: '0', delta: '0', rho: '0.125' },
      accountant: { kind: 'zcdp', total_rho: '1', spent_rho: '0.125', remaining_rho: '0.875', total_delta: '0.000000001' },
    });

    const selected = await post({
      statistic: 'count',
      filter: { type: 'exec-audit' },
      privacy_unit: 'agent',
      group_by: [{ key: 'dim', name: 'action_class' }],
      partition_selection: 'dp_threshold',
      bounds: { max_partitions_contributed: 3, max_contributions_per_partition: 5 },
      epsilon: 2,
      delta: 1e-7,
    });
    expect(selected.status).toBe(201);
    const s = (await selected.json()) as ReportBody;
    expect(s.report).toMatchObject({ partition_selection: 'dp_threshold', cost: { epsilon: '2', delta: '0.0000001' }, selection: { epsilon: '1', delta: '0.0000001' } });
    // Twelve agents in all: no action class has anywhere near the threshold's worth of units.
    expect(Number((s.report.selection as { threshold: string }).threshold)).toBeGreaterThan(12);
    expect(s.report.results).toEqual([]);
  });

  it('refuses what it cannot use, naming the member, and charges nothing', async () => {
    const before = await (await get('/budget')).json();
    const cases: [Response, number, string, RegExp][] = [
      [await post(byDomain, null), 401, 'Unauthorized', /needs a regulator bearer token/],
      [await post(byDomain, tokens.operator), 403, 'Forbidden', /for regulators/],
      [await post(byDomain, tokens.none), 403, 'Forbidden', /no privacy budget is configured for unbudgeted/],
      [await post({ ...byDomain, bounds: { max_partitions_contributed: 1000, max_contributions_per_partition: 1 } }), 400, 'Malformed request', /^\/bounds\/max_partitions_contributed: an integer from 1 to 100$/],
      [await post({ ...byDomain, colour: 'red' }), 400, 'Malformed request', /^\/colour: unknown member/],
      [await post({ ...byDomain, mechanism: 'gaussian', epsilon: undefined, rho: 0.1 }), 400, 'Malformed request', /a basic \(ε, δ\) budget pays for laplace releases/],
      [await post('{"statistic": "count", "statistic": "sum"}'), 400, 'Malformed request', /the query is not strict JSON/],
      [await post(byDomain, tokens.eu, 'text/plain'), 415, 'Unsupported Media Type', /application\/json/],
      [await post(`{"pad": "${'x'.repeat(20_000)}"}`), 413, 'Payload Too Large', /a query is at most 16384 bytes/],
      [await get('/reports/0'), 400, 'Malformed request', /a report id is a positive integer/],
      [await get('/reports/999999'), 404, 'Not Found', /no report has id 999999/],
    ];
    for (const [response, status, title, detail] of cases) {
      expect(response.status, title).toBe(status);
      const p = await problem(response);
      expect(p.title).toBe(title);
      expect(p.detail).toMatch(detail);
    }
    expect(await (await get('/budget')).json()).toEqual(before);
  });

  it('serves a burst one charge at a time: exactly what the budget pays, refused beyond, nothing overspent', async () => {
    // ε 2.1 in all, 0.3 each: 7 of 20 concurrent requests fit, to the last digit.
    const responses = await Promise.all(Array.from({ length: 20 }, () => post({ ...byDomain, epsilon: 0.3 }, tokens.small)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(7);
    expect(statuses.filter((s) => s === 403)).toHaveLength(13);
    for (const r of responses.filter((x) => x.status === 403)) {
      const p = await problem(r);
      expect(p.title).toBe('Budget Exhausted');
      expect(p.detail).toMatch(/the privacy budget of small-regulator cannot pay this release: this release costs ε 0\.3; 0 of ε 2\.1/);
    }
    const reports = await Promise.all(responses.filter((x) => x.status === 201).map((r) => r.json() as Promise<ReportBody>));
    expect(reports.map((r) => r.report.regulator_sequence).sort((a, b) => Number(a) - Number(b))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const budget = (await (await get('/budget', tokens.small)).json()) as { releases: number; accountant: { spent_epsilon: string } };
    expect(budget).toMatchObject({ releases: 7, accountant: { spent_epsilon: '2.1', remaining_epsilon: '0' } });
    // Each report states the totals before and after it: they chain without a gap.
    const chain = reports.map((r) => [readRational((r.report.spent_before as { epsilon: string }).epsilon)!, readRational((r.report.accountant as { spent_epsilon: string }).spent_epsilon)!] as const);
    const sorted = chain.sort((a, b) => Number(a[0].n * b[0].d - b[0].n * a[0].d));
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toEqual(sorted[i - 1]![1]);
  });
});

describe('after a crash between charge and answer', () => {
  it('logs a charged release as abandoned and a computed one as released, before any new charge', async () => {
    const ledger = service.reports.budgetLedger;
    const limit = { kind: 'basic' as const, epsilon: readRational('20')!, delta: readRational('0.000001')! };
    const cost = { epsilon: readRational('0.5')!, delta: readRational('0')!, rho: readRational('0')! };
    const query = { ...byDomain, epsilon: '0.5' };
    const { planQuery } = await import('../privacy/index.js');
    const normalized = planQuery(query).normalized;
    // What a process killed at those two points leaves behind.
    const charged = await ledger.charge({ regulator: 'eu-regulator', limit, cost, query: normalized, treeSize: service.index.size, now: Date.now() });
    const computedRecord = await ledger.charge({ regulator: 'eu-regulator', limit, cost, query: normalized, treeSize: service.index.size, now: Date.now() });
    const payload = { profile: 'tag:atlog.dev,2026:privacy-report/v1', query_id: String(computedRecord.id), status: 'released', results: [] };
    await ledger.settle(computedRecord.id, { status: 'computed', payload, now: Date.now() });
    const spent = (await (await get('/budget')).json()) as { accountant: { spent_epsilon: string } };
    // Until it is in the log, a release shows where it stands, and no results.
    const pending = (await (await get(`/reports/${computedRecord.id}`)).json()) as Partial<ReportBody>;
    expect(pending).toEqual({ id: String(computedRecord.id), status: 'computed', regulator: 'eu-regulator', location: `/reports/${computedRecord.id}` });

    await service.close();
    await open();
    await service.reports.recover();
    const abandoned = (await (await get(`/reports/${charged.id}`)).json()) as ReportBody;
    expect(abandoned).toMatchObject({ status: 'abandoned', regulator: 'eu-regulator' });
    expect(abandoned.report).toMatchObject({ status: 'abandoned', query_id: String(charged.id), cost: { epsilon: '0.5' }, results: [] });
    const released = (await (await get(`/reports/${computedRecord.id}`)).json()) as ReportBody;
    expect(released).toMatchObject({ status: 'released', report: payload });
    // Both are in the log now, once each, and the budget shows both charges and no refund.
    await service.index.caughtUp();
    const subjects = (await service.index.find('type', 'privacy-report', { limit: 1000 })).entries.map((e) => e.sub);
    expect(subjects.filter((s) => s === `https://log.example/reports/${charged.id}`)).toHaveLength(1);
    expect(subjects.filter((s) => s === `https://log.example/reports/${computedRecord.id}`)).toHaveLength(1);
    expect(await service.reports.budgetLedger.unsettled()).toEqual([]);
    expect(await (await get('/budget')).json()).toMatchObject({ accountant: { spent_epsilon: spent.accountant.spent_epsilon } });
    // And recovering again changes nothing.
    await service.close();
    await open();
    await service.reports.recover();
    await service.index.caughtUp();
    expect((await service.index.find('type', 'privacy-report', { limit: 1000 })).entries.length).toBe(subjects.length);
  });
});
