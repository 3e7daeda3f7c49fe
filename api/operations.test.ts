// Operations: liveness and readiness (also while stopping), the Prometheus metrics of one
// instance, the OpenAPI document against the routes the app really serves, and logs that hold
// no key, statement or payload.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CoseAlgorithm, decodeCbor, exportPrivateKeyPem, generateKeyPair, parseStatement, signStatement } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { encodePayload, execAuditPayload } from '../test/support/agent-statements.js';
import { tempDir } from '../test/support/log.js';
import {
  createApp,
  createLogger,
  loadServiceKeys,
  openApiDocument,
  openApiPath,
  PROBLEM_MEDIA_TYPE,
  REGISTRATION_OUTCOMES,
  startServer,
  silentLogger,
  TransparencyService,
  type Logger,
} from './index.js';

const issuer = generateKeyPair(CoseAlgorithm.ES256);
// A real policy: statements from this issuer's key are admitted, by kid.
const policy = createPolicy({ issuerKeys: [issuer.publicKey] });
const services: TransparencyService[] = [];
afterAll(async () => {
  for (const service of services) if (service.ready) await service.close();
});

/** A payload no log line may contain, in any encoding. */
const payloadOf = (n: number) => new TextEncoder().encode(JSON.stringify({ action: 'transfer', secret: `PAYLOAD-SECRET-${n}-7f3a9c` }));
// ES256 signatures are randomised: each statement is signed once, so the same n is the same bytes.
const signed = new Map<number, Uint8Array>();
const statement = (n: number): Uint8Array => {
  if (!signed.has(n)) signed.set(n, sign(n));
  return signed.get(n)!;
};
const sign = (n: number) =>
  signStatement({ key: issuer.privateKey, iss: 'https://agent.example/a', sub: `run-${n}`, contentType: 'application/json', payload: payloadOf(n) });

const AGENT = 'spiffe://ops.example/agent/a';
/** An execution audit token of the ops workflow, so the listings have something to list. */
const agentStatement = (n: number) =>
  signStatement({
    key: issuer.privateKey,
    iss: 'https://agent.example/a',
    sub: AGENT,
    contentType: 'application/vnd.atlog.exec-audit+json',
    payload: encodePayload(
      execAuditPayload({
        jti: `ops-${n}`,
        iss: 'https://agent.example/a',
        iat: 1_767_225_600 + n,
        agent: AGENT,
        wid: 'wf-ops',
        par: n === 0 ? [] : [`ops-${n - 1}`],
        action: 'tool:search',
        corr: { links: [{ rel: 'follows-from', tid: 'elsewhere' }] },
        dims: { class: 'read' },
      }),
    ),
  });

async function openService(options: { logger?: Logger; dataDir?: string } = {}): Promise<TransparencyService> {
  const dataDir = options.dataDir ?? tempDir('atlog-ops-');
  const service = await TransparencyService.open({
    dataDir,
    keys: loadServiceKeys({ dataDir }),
    issuer: 'http://localhost',
    origin: 'localhost/log',
    policy,
    logger: options.logger ?? silentLogger(),
  });
  services.push(service);
  return service;
}

const post = (body: Uint8Array, type = 'application/cose') =>
  new Request('http://localhost/entries', { method: 'POST', headers: { 'content-type': type }, body });

function problemOf(bytes: ArrayBuffer): { title: unknown; detail: unknown } {
  const value = decodeCbor(new Uint8Array(bytes));
  if (!(value instanceof Map)) throw new Error('a problem is a CBOR map');
  return { title: value.get(-1), detail: value.get(-2) };
}

/** One sample of a metric from the exposition text, e.g. `atlog_tree_size` or `x_total{outcome="a"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('health and readiness', () => {
  it('answers /healthz and /readyz, and keeps answering them while the service stops', async () => {
    const service = await openService();
    const app = createApp(service);
    const live = await app.request('/healthz');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; treeSize: number; checkpoint: { size: number; timestamp: number } };
    expect(body).toEqual({ status: 'ready', treeSize: 1, checkpoint: { size: 1, timestamp: expect.any(Number) } });
    expect(body.checkpoint.timestamp).toBe(service.log.latestCheckpoint.timestamp);

    await service.close();
    expect((await app.request('/healthz')).status).toBe(200);
    const stopping = await app.request('/readyz');
    expect(stopping.status).toBe(503);
    expect(stopping.headers.get('content-type')).toBe(PROBLEM_MEDIA_TYPE);
    expect(stopping.headers.get('retry-after')).toBe('2');
    expect(problemOf(await stopping.arrayBuffer()).title).toBe('Service Unavailable');
    // Metrics stay readable (the gauges read in-memory state); everything else is refused.
    expect((await app.request('/metrics')).status).toBe(200);
    expect((await app.request('/checkpoint')).status).toBe(503);
    expect((await app.request(post(statement(1)))).status).toBe(503);
  });
});

describe('metrics', () => {
  it('counts registrations by outcome, times them, and reads queue depth and tree size on scrape', async () => {
    const service = await openService();
    const app = createApp(service);
    for (let i = 0; i < 3; i++) expect((await app.request(post(statement(i)))).status).toBe(201);
    expect((await app.request(post(new Uint8Array([0xff, 0x00])))).status).toBe(400);
    expect((await app.request(post(statement(9), 'application/json'))).status).toBe(415);
    const id = (await app.request(post(statement(0)))).headers.get('location')!.split('/').pop()!;
    expect((await app.request(`/entries/${id}`)).status).toBe(200);
    expect((await app.request('/no/such/thing')).status).toBe(404);

    const scrape = await app.request('/metrics');
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await scrape.text();
    expect(sample(text, 'atlog_registrations_total{outcome="registered"}')).toBe(4);
    expect(sample(text, 'atlog_registrations_total{outcome="malformed"}')).toBe(1);
    expect(sample(text, 'atlog_registrations_total{outcome="unsupported_media_type"}')).toBe(1);
    // Every outcome is exported from the start.
    for (const outcome of REGISTRATION_OUTCOMES) expect(sample(text, `atlog_registrations_total{outcome="${outcome}"}`)).toBeDefined();
    expect(sample(text, 'atlog_registration_duration_seconds_count{outcome="registered"}')).toBe(4);
    // The receipt reaction runs on the sequencer's answer, before the handler's own continuation.
    expect(sample(text, 'atlog_time_to_receipt_seconds_count')).toBe(4);
    expect(sample(text, 'atlog_tree_size')).toBe(4); // the policy statement and three distinct ones
    expect(sample(text, 'atlog_queue_depth')).toBe(0);
    // Route patterns, never raw paths (the entry id would make every request a new series).
    expect(sample(text, 'atlog_http_requests_total{method="GET",route="/entries/:id",status="200"}')).toBe(1);
    expect(sample(text, 'atlog_http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
    expect(text).not.toContain(id);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_heap_size_total_bytes');
  });

  it('keeps two services in one process apart (one registry each, none global)', async () => {
    const [a, b] = [await openService(), await openService()];
    expect((await createApp(a).request(post(statement(1)))).status).toBe(201);
    const textA = await a.metrics.registry.metrics();
    const textB = await b.metrics.registry.metrics();
    expect(sample(textA, 'atlog_registrations_total{outcome="registered"}')).toBe(1);
    expect(sample(textB, 'atlog_registrations_total{outcome="registered"}')).toBe(0);
    expect(sample(textA, 'atlog_tree_size')).toBe(2);
    expect(sample(textB, 'atlog_tree_size')).toBe(1);
    const { register } = await import('prom-client');
    expect(await register.getSingleMetric('atlog_registrations_total')).toBeUndefined();
  });
});

describe('openapi', () => {
  const document = openApiDocument() as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>>;
    components: { schemas: Record<string, Schema> };
  };
  type Schema = { properties?: Record<string, Schema>; required?: string[]; items?: Schema; $ref?: string; additionalProperties?: boolean };
  const resolve = (schema: Schema): Schema => (schema.$ref === undefined ? schema : document.components.schemas[schema.$ref.split('/').pop()!]!);

  /** Checks a JSON value's top-level fields (and nested objects') against a schema: exactly the documented ones. */
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

  it('describes every route the app serves', async () => {
    const service = await openService();
    const app = createApp(service);
    const served = app.routes.filter((r) => r.method !== 'ALL');
    expect(served.length).toBeGreaterThan(10);
    for (const route of served) {
      const path = openApiPath(route.path);
      expect(Object.keys(document.paths), route.path).toContain(path);
      expect(Object.keys(document.paths[path]!), `${route.method} ${route.path}`).toContain(route.method.toLowerCase());
    }
    // And nothing that is not served.
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(served.map((r) => `${r.method} ${openApiPath(r.path)}`).sort());
    const served200 = await app.request('/openapi.json');
    expect(served200.status).toBe(200);
    expect(await served200.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('gives the JSON routes exactly the documented fields', async () => {
    const service = await openService();
    const app = createApp(service);
    for (let i = 0; i < 5; i++) await app.request(post(statement(i)));
    for (let i = 0; i < 2; i++) await app.request(post(agentStatement(i)));
    await service.index.caughtUp();
    const schemaOf = (path: string) => document.paths[path]!.get!.responses['200']!.content!['application/json']!.schema!;
    const cases: [string, string][] = [
      ['/healthz', '/healthz'],
      ['/readyz', '/readyz'],
      ['/entries', '/entries?from=0&limit=2'], // a page with next
      ['/entries', '/entries?from=2&limit=100'], // the last page, without
      ['/entries', '/entries?from=50'], // beyond the end
      ['/agents/{id}/entries', `/agents/${encodeURIComponent(AGENT)}/entries`],
      ['/agents/{id}/entries', `/agents/${encodeURIComponent(AGENT)}/entries?limit=1`], // a page with next
      ['/workflows/{wid}/entries', '/workflows/wf-ops/entries'],
      ['/schemas', '/schemas'],
    ];
    for (const [path, url] of cases) {
      const response = await app.request(url);
      expect(response.status, url).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      checkShape(await response.json(), schemaOf(path), url);
    }
    const page = (await (await app.request('/entries?from=0&limit=2')).json()) as { next?: number };
    expect(page.next).toBe(2);
  });
});

describe('logs', () => {
  it('write a line per request and per lifecycle step, and never a key, a statement or a payload', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const dataDir = tempDir('atlog-logs-');
    const service = await openService({ logger, dataDir });
    const server = await startServer(service, { port: 0, hostname: '127.0.0.1' });
    const statements = Array.from({ length: 5 }, (_, i) => statement(i));
    const ids: string[] = [];
    for (const s of statements) {
      const response = await fetch(`${server.url}/entries`, {
        method: 'POST',
        headers: { 'content-type': 'application/cose', authorization: 'Bearer TOKEN-NEVER-LOGGED-41b2' },
        body: s,
      });
      expect(response.status).toBe(201);
      ids.push(response.headers.get('location')!.split('/').pop()!);
      await response.arrayBuffer();
    }
    // Reads that return the statements and payloads in their bodies, and refusals.
    await (await fetch(`${server.url}/entries?from=0&limit=10`)).arrayBuffer();
    await (await fetch(`${server.url}/entries/${ids[0]}/statement`)).arrayBuffer();
    await (await fetch(`${server.url}/tile/entries/000.p/6`)).arrayBuffer();
    const truncated = statements[0]!.slice(0, 100);
    await (await fetch(`${server.url}/entries`, { method: 'POST', headers: { 'content-type': 'application/cose' }, body: truncated })).arrayBuffer();
    await server.close();

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const record of records) expect(record).toMatchObject({ service: 'atlog', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const messages = records.map((r) => r.msg);
    expect(messages).toContain('registration policy registered');
    expect(messages).toContain('service started');
    expect(messages).toContain('listening');
    expect(messages).toContain('log closed');
    expect(messages).toContain('shutdown: stopped');
    const requests = records.filter((r) => r.msg === 'request');
    expect(requests).toHaveLength(9);
    const registered = requests.filter((r) => r.method === 'POST' && r.status === 201);
    expect(registered.map((r) => r.entryId)).toEqual(ids);
    expect(registered[0]).toMatchObject({ route: '/entries', bytesIn: statements[0]!.length, bytesOut: expect.any(Number), durationMs: expect.any(Number) });
    const refused = requests.find((r) => r.status === 400)!;
    expect(refused).toMatchObject({ route: '/entries', bytesIn: 100, error: { code: 'POLICY_MALFORMED', rule: 'statement' } });
    expect(requests.find((r) => r.route === '/entries/:id/statement')).toMatchObject({ status: 200 });
    expect(requests.find((r) => r.route === '/tile/*')).toMatchObject({ status: 200 });

    const all = lines.join('\n');
    const forbidden: [string, string][] = [];
    const encodings = (what: string, bytes: Uint8Array, min = 16) => {
      const buffer = Buffer.from(bytes);
      // Any 16-byte window of the bytes, in every encoding a careless line could use.
      for (let at = 0; at + min <= buffer.length; at += min) {
        const window = buffer.subarray(at, at + min);
        forbidden.push([`${what} hex`, window.toString('hex')]);
      }
      forbidden.push([`${what} base64`, buffer.toString('base64').slice(4, 28)]);
      forbidden.push([`${what} base64url`, buffer.toString('base64url').slice(4, 28)]);
    };
    statements.forEach((s, i) => {
      encodings(`statement ${i}`, s);
      encodings(`payload ${i}`, payloadOf(i));
      forbidden.push([`payload ${i} text`, `PAYLOAD-SECRET-${i}`]);
    });
    const pem = readFileSync(join(dataDir, 'development-service-key.pem'), 'utf8');
    const keyBody = pem.split('\n').filter((l) => l !== '' && !l.startsWith('-----')).join('');
    forbidden.push(['service key PEM', keyBody.slice(0, 24)], ['PEM armour', 'PRIVATE KEY']);
    const raw = loadServiceKeys({ dataDir }).receiptKey.export({ format: 'jwk' }).d!;
    forbidden.push(['service key d', raw]);
    const issuerPem = exportPrivateKeyPem(issuer.privateKey).split('\n')[1]!;
    forbidden.push(['issuer key PEM', issuerPem.slice(0, 24)], ['issuer key d', issuer.privateKey.export({ format: 'jwk' }).d!]);
    forbidden.push(['authorization header', 'TOKEN-NEVER-LOGGED'], ['header name', 'authorization']);
    for (const [what, text] of forbidden) expect(all.includes(text), `the log holds ${what}`).toBe(false);
  });

  it('censor a request, response, headers, body or authorization logged by mistake as a field', () => {
    const lines: string[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void lines.push(line) } });
    const secret = 'Bearer TOKEN-NEVER-LOGGED-77c1';
    const fields = ['req', 'res', 'request', 'response', 'headers', 'body', 'authorization'];
    for (const field of fields) logger.info({ [field]: { authorization: secret, headers: { authorization: secret } }, route: '/entries' }, 'oops');
    expect(lines).toHaveLength(fields.length);
    lines.forEach((line, i) => {
      expect(line).not.toContain('TOKEN-NEVER-LOGGED');
      expect(JSON.parse(line)).toMatchObject({ [fields[i]!]: '[redacted]', route: '/entries' });
    });
  });

  it('logs a 500 with its stack, and answers it without internals', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const service = await openService({ logger });
    const broken = Object.create(service) as TransparencyService;
    Object.defineProperty(broken, 'register', {
      value: async () => {
        throw new TypeError('a bug, not input');
      },
    });
    const response = await createApp(broken, { logger }).request(post(statement(1)));
    expect(response.status).toBe(500);
    expect(problemOf(await response.arrayBuffer()).detail).not.toContain('bug');
    const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'request failed')!;
    expect(failure).toMatchObject({ level: 50, route: '/entries', status: 500, error: { type: 'TypeError', message: 'a bug, not input' } });
    expect((failure.error as { stack: string }).stack).toContain('operations.test.ts');
  });
});
