// The HTTP face of the service (hono): SCRAPI registration and resolution, the key set, and the
// read API monitors and witnesses use (C2SP checkpoint and tiles, consistency receipts, paging).
// Handlers translate; the service decides. Every error is concise problem details.
import { Hono, type Context } from 'hono';
import { MAX_ENTRIES_PER_READ, tiles } from '../log/index.js';
import { HASH_SIZE, hashLeaf } from '../log/tree/index.js';
import { type CborValue, CoseError, decodeCbor, encodeCbor } from '../receipts/index.js';
import { toHex } from '../util/index.js';
import { incomingOf, readBody } from './body.js';
import { healthRoutes } from './health.js';
import { type Logger, logFailure, noteRequest, observeRequests } from './logging.js';
import { metricsRoute } from './metrics.js';
import { integerParam } from './params.js';
import { queryRoutes } from './queries.js';
import { correlationRoutes } from './correlation-routes.js';
import { appraisalRoutes } from './appraisal-routes.js';
import { reportRoutes } from './report-routes.js';
import { schemaRoutes } from './schemas.js';
import { openApiRoute } from './openapi.js';
import { invalidLocator, malformed, notFound, type Problem, problemFor, problemResponse } from './problems.js';
import { MAX_RECEIPTS_PER_REQUEST, type TransparencyService } from './service.js';
import type { CorrelatorOptions } from '../correlation/index.js';

export interface AppOptions {
  /** Largest request body read, in bytes (default 128 KiB; the policy's own limit applies after). */
  readonly maxBodyBytes?: number;
  /** Longest a request body may take to arrive (default 10 s). */
  readonly bodyTimeoutMs?: number;
  /** Retry-After for a pending registration, in seconds (default 1). */
  readonly retryAfterSeconds?: number;
  /** Where request lines go (default: the service's logger). */
  readonly logger?: Logger;
  /** Correlation's limits and ECT clock skew (correlation/limits.ts). */
  readonly correlation?: CorrelatorOptions;
}

const COSE = 'application/cose';
const CBOR = 'application/cbor';
// A POST /receipts body of the most ids: an array head (3 bytes) and 256 × (2 + 32) bytes.
const RECEIPTS_BODY_BYTES = 3 + MAX_RECEIPTS_PER_REQUEST * (2 + HASH_SIZE);
// RFC 9943 registers the SCITT media types; plain application/cose is what SCRAPI sends.
const STATEMENT_TYPES = new Set([COSE, 'application/scitt-statement+cose']);
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function createApp(service: TransparencyService, options: AppOptions = {}): Hono {
  const maxBody = options.maxBodyBytes ?? 128 * 1024;
  const bodyTimeout = options.bodyTimeoutMs ?? 10_000;
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const app = new Hono();
  const logger = options.logger ?? service.logger;
  const basePath = new URL(service.issuer).pathname.replace(/\/$/, '');
  // The request line names the entry a response points at; noted here, because reading it back
  // from the response's headers would make @hono/node-server build a Headers object for them.
  const entryUrl = (c: Context, entryId: string) => {
    noteRequest(c, { entryId });
    return entryLocation(basePath, entryId);
  };

  // Operations (logging.ts, metrics.ts, health.ts, openapi.ts).
  app.onError((error, c) => {
    const problem = problemFor(error);
    noteRequest(c, { error });
    logFailure(logger, c, error, problem.status);
    return problemResponse(problem);
  });
  // Every request is counted and logged, those the gate refuses too.
  app.use(observeRequests({ logger, metrics: service.metrics }));
  // Registered ahead of the gate: liveness, readiness and metrics are answered while stopping.
  healthRoutes(app, service);
  metricsRoute(app, service.metrics);
  openApiRoute(app);

  // Starting or stopping: the log may be closed, so answer nothing but 503.
  app.use(async (c, next) => {
    if (!service.ready) return problemResponse(unavailable());
    await next();
  });
  app.notFound((c) => problemResponse(notFound(`there is nothing at ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`)));

  // SCRAPI: register a signed statement.
  app.post('/entries', async (c) => {
    const type = mediaType(c.req.header('content-type'));
    if (type === undefined || !STATEMENT_TYPES.has(type)) {
      return problemResponse({ status: 415, title: 'Unsupported Media Type', detail: 'send the signed statement as application/cose', close: true });
    }
    const read = await readBody(c.req.raw, maxBody, bodyTimeout, incomingOf(c));
    if (!read.ok) return problemResponse(read.problem);
    noteRequest(c, { bytesIn: read.body.length });
    const registration = await service.register(read.body);
    const location = entryUrl(c, registration.entryId);
    if (registration.status === 'pending') {
      return new Response(null, { status: 303, headers: { location, 'retry-after': retryAfter } });
    }
    return new Response(registration.receipt, { status: 201, headers: { 'content-type': COSE, location } });
  });

  // SCRAPI: resolve a registration to its receipt (a fresh one, under the latest checkpoint).
  app.get('/entries/:id', async (c) => {
    const id = c.req.param('id');
    if (!/^[0-9a-fA-F]{64}$/.test(id)) return problemResponse(invalidLocator('an entry id is 64 hexadecimal digits'));
    const entry = await service.entry(id.toLowerCase());
    if (entry.status === 'pending') return new Response(null, { status: 302, headers: { location: entryUrl(c, id.toLowerCase()), 'retry-after': retryAfter } });
    if (entry.status === 'unknown') return problemResponse(notFound(`Receipt with entry ID ${id} not known to this service`));
    return new Response(entry.receipt, { status: 200, headers: { 'content-type': COSE, location: entryUrl(c, id.toLowerCase()) } });
  });

  // Receipts in bulk, for auditors and agents with many entries to check: one request, one
  // checkpoint, one shared signature. The body is a CBOR array of entry ids (32-byte bstrs).
  app.post('/receipts', async (c) => {
    if (mediaType(c.req.header('content-type')) !== CBOR) {
      return problemResponse({ status: 415, title: 'Unsupported Media Type', detail: 'send the entry ids as application/cbor', close: true });
    }
    const read = await readBody(c.req.raw, RECEIPTS_BODY_BYTES, bodyTimeout, incomingOf(c));
    if (!read.ok) return problemResponse(read.problem);
    noteRequest(c, { bytesIn: read.body.length });
    const leafHashes = entryIdList(read.body);
    if (leafHashes === undefined) {
      return problemResponse(malformed(`the body is a CBOR array of 1 to ${MAX_RECEIPTS_PER_REQUEST} entry ids, each a 32-byte byte string`));
    }
    const receipts = await service.receipts(leafHashes);
    return new Response(encodeCbor(receipts), { status: 200, headers: { 'content-type': CBOR } });
  });

  app.get('/entries/:id/statement', async (c) => {
    const id = c.req.param('id');
    if (!/^[0-9a-fA-F]{64}$/.test(id)) return problemResponse(invalidLocator('an entry id is 64 hexadecimal digits'));
    const statement = await service.transparentStatement(id.toLowerCase());
    if (statement === undefined) return problemResponse(notFound(`no registered statement has entry ID ${id}`));
    return new Response(statement, { status: 200, headers: { 'content-type': COSE } });
  });

  // Paging through the log, for auditors who replay it.
  app.get('/entries', async (c) => {
    const from = integer(c.req.query('from') ?? '0');
    const limit = integer(c.req.query('limit') ?? '100');
    if (from === undefined || limit === undefined || limit < 1 || limit > MAX_ENTRIES_PER_READ) {
      return problemResponse(malformed(`from is a leaf index and limit is 1 to ${MAX_ENTRIES_PER_READ}`));
    }
    const size = service.log.size;
    const entries = from >= size ? [] : await service.log.entries(from, Math.min(limit, size - from));
    return c.json({
      treeSize: size,
      from,
      entries: entries.map((entry, i) => ({ index: from + i, id: toHex(hashLeaf(entry)), statement: Buffer.from(entry).toString('base64url') })),
      ...(from + entries.length < size ? { next: from + entries.length } : {}),
    });
  });

  // SCRAPI: the service's keys, current and retired, as a COSE_KeySet; one by kid (base64url).
  app.get('/.well-known/scitt-keys', () => new Response(service.keySet(), { headers: { 'content-type': 'application/cbor' } }));
  app.get('/.well-known/scitt-keys/:kid', (c) => {
    const kid = c.req.param('kid');
    const bytes = /^[A-Za-z0-9_-]{1,128}$/.test(kid) ? Buffer.from(kid, 'base64url') : undefined;
    const key = bytes === undefined ? undefined : service.key(bytes);
    if (key === undefined) return problemResponse({ status: 404, title: 'No such key', detail: 'No key could be found for this kid value' });
    return new Response(key, { headers: { 'content-type': 'application/cbor' } });
  });

  // The checkpoint key (Ed25519), for monitors: C2SP leaves its discovery open, and an ECDSA
  // service's receipt keys in scitt-keys do not include it.
  app.get('/.well-known/atlog-checkpoint-keys', () => new Response(service.checkpointKeySet(), { headers: { 'content-type': 'application/cbor' } }));

  // C2SP tlog-checkpoint and tlog-tiles, for monitors and witnesses.
  app.get('/checkpoint', () =>
    new Response(service.checkpoint(), { headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' } }),
  );
  app.get('/tile/*', async (c) => {
    const path = new URL(c.req.url).pathname.slice(1);
    const parsed = tiles.parseTilePath(path);
    if (parsed === undefined) return problemResponse(notFound('not a tile path (tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])'));
    const bytes =
      parsed.kind === 'tile'
        ? await service.log.tile(parsed.tile.level, parsed.tile.index, parsed.width)
        : await service.log.entryBundle(parsed.index, parsed.width);
    if (bytes === undefined) return problemResponse(notFound(`${path} does not exist at tree size ${service.log.size}`));
    // A tile at a given width never changes: the bytes are fixed by the log's history.
    return new Response(bytes, { headers: { 'content-type': 'application/octet-stream', 'cache-control': IMMUTABLE } });
  });

  // What the entry index knows: an agent's entries, a workflow's entries.
  queryRoutes(app, service, basePath);
  // The cross-domain DAG: workflow graphs, cascades, rollback plans, settlement.
  correlationRoutes(app, service, basePath, options.correlation);
  // Appraisal: an operator asks for a verdict; anyone reads an agent's latest (appraisal-routes.ts).
  appraisalRoutes(app, service, basePath);
  // Differential-privacy reports, for regulators (bearer tokens).
  reportRoutes(app, service, basePath);
  // The JSON Schemas of the agent statement types.
  schemaRoutes(app);

  app.get('/proofs/consistency', async (c) => {
    const from = integer(c.req.query('from') ?? '');
    const toText = c.req.query('to');
    const to = toText === undefined ? service.log.size : integer(toText);
    if (from === undefined || to === undefined || from < 1 || from > to) {
      return problemResponse(malformed('from and to are tree sizes with 1 <= from <= to'));
    }
    if (to > service.log.size) return problemResponse(notFound(`the log has no checkpoint at size ${to} yet (it is at ${service.log.size})`));
    const receipt = await service.consistencyReceipt(from, to);
    if (receipt === undefined) return problemResponse(notFound(`no checkpoint was signed at size ${to}; use a size /checkpoint has shown`));
    return new Response(receipt, { headers: { 'content-type': COSE } });
  });

  return app;
}

/**
 * Where an entry lives: a path-absolute reference under the service's public URL (RFC 9110 lets
 * Location be relative). Never built from the request's Host header, which the client chooses;
 * a client resolves it against the URL it used, whatever alias of the host that was.
 */
function entryLocation(basePath: string, entryId: string): string {
  return `${basePath}/entries/${entryId}`;
}

/** A POST /receipts body: the entry ids it asks for, or undefined if it is not a list of them. */
function entryIdList(body: Uint8Array): Uint8Array[] | undefined {
  let value: CborValue;
  try {
    value = decodeCbor(body, { maxBytes: RECEIPTS_BODY_BYTES, maxDepth: 1, maxItems: MAX_RECEIPTS_PER_REQUEST, maxStringBytes: HASH_SIZE, tags: [] });
  } catch (error) {
    if (error instanceof CoseError) return undefined;
    throw error;
  }
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const ids = value as readonly CborValue[];
  for (const id of ids) if (!(id instanceof Uint8Array) || id.length !== HASH_SIZE) return undefined;
  return ids as Uint8Array[];
}

/** The media type of a Content-Type header, lower-cased, parameters (cose-type=…) dropped. */
function mediaType(header: string | undefined): string | undefined {
  return header?.split(';', 1)[0]?.trim().toLowerCase();
}

/** An integer parameter, undefined when unreadable (these routes give their defaults first). */
function integer(text: string): number | undefined {
  return integerParam(text) ?? undefined;
}

function unavailable(): Problem {
  return { status: 503, title: 'Service Unavailable', detail: 'the service is starting or stopping; retry shortly', retryAfter: 2 };
}
