// The OpenAPI 3.1 description of the service: the JSON routes in full (their response shapes are
// what api/openapi.test.ts checks the real responses against), and the binary SCRAPI and C2SP
// routes with their media types and statuses, so a client generator or a reviewer sees the whole
// surface in one place. Hand-written: the routes are few, and the binary bodies (COSE, CBOR,
// signed notes, tiles) are specified elsewhere (RFC 9942, RFC 9943, SCRAPI, C2SP), not by a schema.
import type { Hono } from 'hono';
import { ENTRY_TYPES, MAX_PAGE_ENTRIES } from '../index/index.js';
import { AGENT_STATEMENT_NAMES } from '../statements/index.js';
import { MAX_ENTRIES_PER_READ } from '../log/index.js';
import { PROBLEM_MEDIA_TYPE } from './problems.js';
import { MAX_RECEIPTS_PER_REQUEST } from './service.js';
import { CORRELATION_PATHS, CORRELATION_SCHEMAS } from './correlation-openapi.js';
import { APPRAISAL_RESULT_SCHEMA } from '../appraisal/index.js';
import { REPORT_PATHS, REPORT_SCHEMAS, REPORT_SECURITY_SCHEMES } from './report-openapi.js';

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

/** The version of this API description (not of the package): changes when a route or a shape does. */
export const API_VERSION = '0.3.0';

const COSE = 'application/cose';

/** The hono route pattern as an OpenAPI path: `:id` becomes `{id}`, a trailing `*` `{tilePath}`. */
export function openApiPath(route: string): string {
  return route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}').replace(/\/\*$/, '/{tilePath}');
}

const problem = (description: string): JsonObject => ({
  description,
  content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});
const withRetryAfter = (response: JsonObject): JsonObject => ({
  ...response,
  headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
});
const binary = (mediaType: string, description: string): JsonObject => ({
  description,
  content: { [mediaType]: { schema: { type: 'string', contentMediaType: mediaType } } },
});
const json = (schema: string, description: string): JsonObject => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const entryIdParameter: JsonObject = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The entry id: the leaf hash, SHA-256(0x00 ‖ registered statement), 64 hexadecimal digits',
  schema: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
};

const LISTING_PARAMETERS: readonly JsonObject[] = [
  { name: 'type', in: 'query', description: 'Only entries of this type', schema: { enum: [...ENTRY_TYPES] } },
  { name: 'from', in: 'query', description: 'Only entries whose time is at or after this (RFC 3339 date-time, or NumericDate seconds)', schema: { type: 'string' } },
  { name: 'to', in: 'query', description: 'Only entries whose time is before this (RFC 3339 date-time, or NumericDate seconds)', schema: { type: 'string' } },
  { name: 'after', in: 'query', description: 'The cursor: the next of the previous page', schema: { type: 'integer', minimum: 0 } },
  { name: 'limit', in: 'query', description: 'Most entries in the page (default 100); a filtered page may come back short, with next', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_ENTRIES, default: 100 } },
];

// Every route may meet these: the gate answers 503 while the service starts or stops, and an
// unexpected failure is a 500 that says nothing of its internals.
const COMMON: JsonObject = {
  '500': problem('Internal Server Error: nothing was registered by this request'),
  '503': withRetryAfter(problem('Service Unavailable: starting or stopping, or the log cannot write right now')),
};

export function openApiDocument(): JsonObject {
  return {
    openapi: '3.1.0',
    info: {
      title: 'atlog: the agent transparency log',
      version: API_VERSION,
      description:
        'A SCITT transparency service (SCRAPI, draft-ietf-scitt-scrapi) with a C2SP tlog-checkpoint and tlog-tiles read API. ' +
        `Every error is RFC 9290 concise problem details (${PROBLEM_MEDIA_TYPE}, {-1: title, -2: detail}).`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness: the process answers',
          operationId: 'liveness',
          responses: { '200': json('Liveness', 'Alive (answered even while stopping)') },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: the service takes registrations',
          operationId: 'readiness',
          responses: {
            '200': json('Readiness', 'Ready, with the last signed checkpoint'),
            '503': withRetryAfter(problem('Starting or stopping')),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          operationId: 'metrics',
          responses: { '200': { description: 'Prometheus text format 0.0.4', content: { 'text/plain; version=0.0.4': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          operationId: 'openapi',
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
        },
      },
      '/entries': {
        post: {
          summary: 'SCRAPI: register a signed statement',
          operationId: 'registerStatement',
          requestBody: {
            required: true,
            description: 'A COSE_Sign1 signed statement (RFC 9943); the cose-type parameter is accepted and ignored',
            content: {
              [COSE]: { schema: { type: 'string', contentMediaType: COSE } },
              'application/scitt-statement+cose': { schema: { type: 'string', contentMediaType: 'application/scitt-statement+cose' } },
            },
          },
          responses: {
            '201': {
              ...binary(COSE, 'Registered: the body is the receipt (RFC 9942), not the transparent statement'),
              headers: { Location: { $ref: '#/components/headers/Location' } },
            },
            '303': {
              description: 'Accepted, receipt not ready within the wait: poll Location',
              headers: { Location: { $ref: '#/components/headers/Location' }, 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
            },
            '400': problem('Malformed request, or refused by the registration policy ("Rejected", "Bad Signature Algorithm", "Payload Missing")'),
            '408': problem('Request Timeout: the body did not arrive in time'),
            '413': problem('Payload Too Large: answered from Content-Length before the body is read, or as soon as the limit is passed'),
            '415': problem('Unsupported Media Type: send application/cose'),
            '429': withRetryAfter(problem('Too Many Requests: the sequencer queue is full')),
            ...COMMON,
          },
        },
        get: {
          summary: 'Page through the log’s entries (for auditors who replay it)',
          operationId: 'listEntries',
          parameters: [
            { name: 'from', in: 'query', description: 'First leaf index (default 0)', schema: { type: 'integer', minimum: 0, default: 0 } },
            {
              name: 'limit',
              in: 'query',
              description: `Most entries returned (default 100)`,
              schema: { type: 'integer', minimum: 1, maximum: MAX_ENTRIES_PER_READ, default: 100 },
            },
          ],
          responses: { '200': json('EntriesPage', 'Entries under the last signed checkpoint'), '400': problem('Malformed request: bad from or limit'), ...COMMON },
        },
      },
      '/entries/{id}': {
        get: {
          summary: 'SCRAPI: resolve a registration to a fresh receipt',
          operationId: 'resolveReceipt',
          parameters: [entryIdParameter],
          responses: {
            '200': { ...binary(COSE, 'The receipt under the latest checkpoint'), headers: { Location: { $ref: '#/components/headers/Location' } } },
            '302': {
              description: 'Still pending: retry after Retry-After',
              headers: { Location: { $ref: '#/components/headers/Location' }, 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
            },
            '400': problem('Invalid locator'),
            '404': problem('Not Found'),
            ...COMMON,
          },
        },
      },
      '/entries/{id}/statement': {
        get: {
          summary: 'The transparent statement: the registered statement with its receipt (label 394)',
          operationId: 'transparentStatement',
          parameters: [entryIdParameter],
          responses: { '200': binary(COSE, 'The transparent statement'), '400': problem('Invalid locator'), '404': problem('Not Found'), ...COMMON },
        },
      },
      '/receipts': {
        post: {
          summary: 'Receipts for many entries in one request, all under the latest checkpoint (one shared signature)',
          operationId: 'receipts',
          requestBody: {
            required: true,
            description: `A CBOR array of 1 to ${MAX_RECEIPTS_PER_REQUEST} entry ids, each a 32-byte byte string (the leaf hash)`,
            content: { 'application/cbor': { schema: { type: 'string', contentMediaType: 'application/cbor' } } },
          },
          responses: {
            '200': binary('application/cbor', 'A CBOR array in the order asked: each a receipt (RFC 9942) as a byte string, or null for an entry not registered (pending or unknown)'),
            '400': problem('Malformed: not a CBOR array of entry ids, or more than the limit'),
            '408': problem('Request Timeout: the body did not arrive in time'),
            '413': problem('Payload Too Large'),
            '415': problem('Unsupported Media Type: send application/cbor'),
            ...COMMON,
          },
        },
      },
      '/.well-known/scitt-keys': {
        get: {
          summary: 'SCRAPI: the service’s receipt keys, current and retired',
          operationId: 'keySet',
          responses: { '200': binary('application/cbor', 'A COSE_KeySet'), ...COMMON },
        },
      },
      '/.well-known/atlog-checkpoint-keys': {
        get: {
          summary: 'The Ed25519 key that signs the C2SP checkpoint notes, for monitors to discover (pin it after first use)',
          operationId: 'checkpointKey',
          responses: { '200': binary('application/cbor', 'A COSE_KeySet of one Ed25519 key'), ...COMMON },
        },
      },
      '/.well-known/scitt-keys/{kid}': {
        get: {
          summary: 'SCRAPI: one receipt key by its kid',
          operationId: 'key',
          parameters: [
            {
              name: 'kid',
              in: 'path',
              required: true,
              description: 'The kid (the RFC 9679 thumbprint), base64url without padding',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$' },
            },
          ],
          responses: { '200': binary('application/cbor', 'A COSE_Key'), '404': problem('No such key'), ...COMMON },
        },
      },
      '/checkpoint': {
        get: {
          summary: 'C2SP tlog-checkpoint: the latest checkpoint as a signed note',
          operationId: 'checkpoint',
          responses: { '200': { description: 'A C2SP signed note', content: { 'text/plain; charset=utf-8': { schema: { type: 'string' } } } }, ...COMMON },
        },
      },
      '/tile/{tilePath}': {
        get: {
          summary: 'C2SP tlog-tiles: a hash tile (tile/<L>/<N>[.p/<W>]) or an entry bundle (tile/entries/<N>[.p/<W>])',
          operationId: 'tile',
          parameters: [
            {
              name: 'tilePath',
              in: 'path',
              required: true,
              description: 'The rest of the tile path, several segments (e.g. 0/x001/234.p/17): C2SP tlog-tiles',
              schema: { type: 'string' },
            },
          ],
          responses: { '200': binary('application/octet-stream', 'The tile or bundle (immutable at a given width)'), '404': problem('Not Found'), ...COMMON },
        },
      },
      '/agents/{id}/entries': {
        get: {
          summary: 'The entries about one agent, from the entry index, in log order',
          operationId: 'agentEntries',
          parameters: [
            { name: 'id', in: 'path', required: true, description: 'The agent id (its WIMSE or SPIFFE URI), percent-encoded', schema: { type: 'string', maxLength: 1024 } },
            ...LISTING_PARAMETERS,
          ],
          responses: { '200': json('EntryListing', 'A page of index records'), '400': problem('Malformed request: a bad filter, cursor or limit'), ...COMMON },
        },
      },
      '/workflows/{wid}/entries': {
        get: {
          summary: 'The entries of one workflow, from the entry index, in log order',
          operationId: 'workflowEntries',
          parameters: [
            { name: 'wid', in: 'path', required: true, description: 'The workflow id (ECT wid), percent-encoded', schema: { type: 'string', maxLength: 1024 } },
            ...LISTING_PARAMETERS,
          ],
          responses: { '200': json('EntryListing', 'A page of index records'), '400': problem('Malformed request: a bad filter, cursor or limit'), ...COMMON },
        },
      },
      '/schemas': {
        get: {
          summary: 'The agent statement types: name, media type, profile id and where each JSON Schema is',
          operationId: 'listSchemas',
          responses: { '200': json('SchemaList', 'The statement types'), ...COMMON },
        },
      },
      '/schemas/{name}': {
        get: {
          summary: 'The JSON Schema (draft 2020-12) of one agent statement type (docs/statements.md)',
          operationId: 'getSchema',
          parameters: [
            { name: 'name', in: 'path', required: true, description: 'The type name', schema: { enum: [...AGENT_STATEMENT_NAMES] } },
          ],
          responses: {
            '200': { description: 'The JSON Schema; its $id is the profile id', content: { 'application/schema+json': { schema: { type: 'object' } } } },
            '404': problem('Not Found: no such type'),
            ...COMMON,
          },
        },
      },
      '/appraisals': {
        post: {
          summary: 'Appraise an agent against its behavioral profiles; the service signs and logs the result (docs/appraisal.md)',
          operationId: 'appraise',
          security: [{ bearer: ['operator'] }],
          requestBody: {
            required: true,
            description: 'The agent, and optionally a window [from, to): strict JSON, no other member',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/AppraisalRequest' } } },
          },
          responses: {
            '201': {
              ...json('LoggedAppraisal', 'Appraised: the result as registered, with its transparent statement'),
              headers: { Location: { $ref: '#/components/headers/Location' } },
            },
            '400': problem('Malformed request: not strict JSON, an unknown member, a bad agent id or window'),
            '401': problem('Unauthorized: no valid bearer token (WWW-Authenticate: Bearer)'),
            '403': problem('Forbidden: the token is not an operator’s'),
            '413': problem('Payload Too Large: the body is at most 4 KiB'),
            '415': problem('Unsupported Media Type: send application/json'),
            ...COMMON,
          },
        },
      },
      '/agents/{id}/appraisal': {
        get: {
          summary: 'The latest whole-history appraisal result of an agent, and how stale it is',
          operationId: 'latestAppraisal',
          parameters: [{ name: 'id', in: 'path', required: true, description: 'The agent id (its WIMSE or SPIFFE URI), percent-encoded', schema: { type: 'string', maxLength: 1024 } }],
          responses: {
            '200': json('LatestAppraisal', 'The latest result, with its place in the log and its staleness'),
            '400': problem('Malformed request: not an agent id'),
            '404': problem('Not Found: no appraisal of this agent has been logged'),
            ...COMMON,
          },
        },
      },
      '/proofs/consistency': {
        get: {
          summary: 'A consistency receipt between two checkpoints',
          operationId: 'consistencyReceipt',
          parameters: [
            { name: 'from', in: 'query', required: true, description: 'The older tree size (at least 1)', schema: { type: 'integer', minimum: 1 } },
            { name: 'to', in: 'query', description: 'The newer tree size (default the latest)', schema: { type: 'integer', minimum: 1 } },
          ],
          responses: { '200': binary(COSE, 'A consistency receipt (RFC 9942, vdp -2)'), '400': problem('Malformed request'), '404': problem('Not Found'), ...COMMON },
        },
      },
      ...CORRELATION_PATHS,
      ...REPORT_PATHS,
    },
    components: {
      schemas: {
        Liveness: {
          type: 'object',
          additionalProperties: false,
          required: ['status'],
          properties: { status: { const: 'ok' } },
        },
        Readiness: {
          type: 'object',
          additionalProperties: false,
          required: ['status', 'treeSize', 'checkpoint'],
          properties: {
            status: { const: 'ready' },
            treeSize: { type: 'integer', minimum: 0, description: 'Entries under the last signed checkpoint' },
            checkpoint: {
              type: 'object',
              additionalProperties: false,
              required: ['size', 'timestamp'],
              properties: {
                size: { type: 'integer', minimum: 0 },
                timestamp: { type: 'integer', description: 'When the checkpoint was signed, milliseconds since the epoch' },
              },
            },
          },
        },
        EntriesPage: {
          type: 'object',
          additionalProperties: false,
          required: ['treeSize', 'from', 'entries'],
          properties: {
            treeSize: { type: 'integer', minimum: 0, description: 'Entries under the last signed checkpoint' },
            from: { type: 'integer', minimum: 0 },
            entries: { type: 'array', items: { $ref: '#/components/schemas/Entry' } },
            next: { type: 'integer', minimum: 1, description: 'The from of the next page; absent on the last page' },
          },
        },
        Entry: {
          type: 'object',
          additionalProperties: false,
          required: ['index', 'id', 'statement'],
          properties: {
            index: { type: 'integer', minimum: 0 },
            id: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The entry id (leaf hash)' },
            statement: { type: 'string', contentEncoding: 'base64url', description: 'The registered statement (unprotected header emptied), base64url without padding' },
          },
        },
        SchemaList: {
          type: 'object',
          additionalProperties: false,
          required: ['schemas'],
          properties: {
            schemas: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'title', 'mediaType', 'profile', 'schema'],
                properties: {
                  name: { type: 'string' },
                  title: { type: 'string' },
                  mediaType: { type: 'string', description: 'The COSE content type (3) of statements of this type' },
                  profile: { type: 'string', description: 'The profile id: the payload’s profile member and the schema’s $id' },
                  schema: { type: 'string', description: 'Path of the JSON Schema' },
                },
              },
            },
          },
        },
        EntryListing: {
          type: 'object',
          additionalProperties: false,
          required: ['treeSize', 'logSize', 'entries'],
          properties: {
            treeSize: { type: 'integer', minimum: 0, description: 'The tree size the entry index reflects: every matching entry below it is listed' },
            logSize: { type: 'integer', minimum: 0, description: 'Entries under the last signed checkpoint; above treeSize while the index catches up' },
            entries: { type: 'array', items: { $ref: '#/components/schemas/EntrySummary' } },
            next: { type: 'integer', minimum: 0, description: 'Pass as after for the next page; absent when there is nothing further' },
          },
        },
        EntrySummary: {
          type: 'object',
          additionalProperties: false,
          description: 'What the entry index records of one entry (index/records.ts); the statement itself is at `statement`',
          required: ['index', 'entryId', 'registeredAt', 'time', 'type', 'payload', 'iss', 'sub', 'agents', 'par', 'links', 'refs', 'dims', 'units', 'measurements', 'statement', 'receipt'],
          properties: {
            index: { type: 'integer', minimum: 0 },
            entryId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            registeredAt: { type: 'string', format: 'date-time', description: 'When the log registered it: the time of the first checkpoint that includes it' },
            time: { type: 'string', format: 'date-time', description: 'When the issuer says it happened: the payload iat, else the CWT iat, else registeredAt' },
            type: { enum: [...ENTRY_TYPES] },
            payload: { enum: ['valid', 'invalid', 'envelope', 'opaque'], description: 'How much of the payload the index could read' },
            contentType: { type: ['string', 'integer'] },
            iss: { type: 'string' },
            sub: { type: 'string' },
            domain: { type: 'string' },
            agent: { type: 'string' },
            agents: { type: 'array', items: { type: 'string' }, description: 'Every agent the entry concerns' },
            wid: { type: 'string' },
            tid: { type: 'string' },
            par: { type: 'array', items: { type: 'string' } },
            txn: { type: 'string' },
            traceId: { type: 'string' },
            links: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['rel'],
                properties: { rel: { type: 'string' }, record: { type: 'string' }, tid: { type: 'string' }, wid: { type: 'string' }, domain: { type: 'string' } },
              },
            },
            refs: { type: 'array', items: { type: 'string', pattern: '^[0-9a-f]{64}$' }, description: 'Entry ids this entry refers to' },
            action: { type: 'string' },
            outcome: { type: 'string' },
            overrideId: { type: 'string' },
            level: { type: 'string' },
            phase: { type: 'string' },
            profileId: { type: 'string' },
            profileVersion: { type: 'string' },
            dims: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
            units: { type: 'object', additionalProperties: false, properties: { agent: { type: 'string' }, principal: { type: 'string' }, workflow: { type: 'string' } } },
            measurements: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'value', 'unit'],
                properties: { name: { type: 'string' }, value: { type: 'number' }, unit: { type: 'string' } },
              },
            },
            statement: { type: 'string', description: 'Path of the transparent statement (GET)' },
            receipt: { type: 'string', description: 'Path of the entry’s receipt (GET)' },
          },
        },
        AppraisalRequest: {
          type: 'object',
          additionalProperties: false,
          required: ['agent'],
          properties: {
            agent: { type: 'string', maxLength: 1024, pattern: '^(?:spiffe|wimse)://', description: 'The agent id' },
            from: { type: 'string', format: 'date-time', description: 'Window start, inclusive (RFC 3339); absent: from the beginning' },
            to: { type: 'string', format: 'date-time', description: 'Window end, exclusive (RFC 3339); absent: up to the tree size' },
          },
        },
        LoggedAppraisal: {
          type: 'object',
          additionalProperties: false,
          required: ['entryId', 'index', 'treeSize', 'result', 'transparentStatement', 'statement', 'receipt'],
          properties: {
            entryId: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The result’s entry id' },
            index: { type: 'integer', minimum: 0, description: 'Its log index' },
            treeSize: { type: 'integer', minimum: 0, description: 'The tree size the result was computed on (x-atlog.tree_size)' },
            result: { $ref: '#/components/schemas/AppraisalResult' },
            transparentStatement: { type: 'string', contentEncoding: 'base64url', description: 'The signed result with its receipt (label 394), for offline verification and replay' },
            statement: { type: 'string', description: 'Path of the transparent statement (GET)' },
            receipt: { type: 'string', description: 'Path of the entry’s receipt (GET)' },
          },
        },
        LatestAppraisal: {
          type: 'object',
          additionalProperties: false,
          required: ['entryId', 'index', 'treeSize', 'logSize', 'behind', 'newEvidence', 'appraisedAt', 'ageSeconds', 'continuous', 'result', 'statement', 'receipt'],
          properties: {
            entryId: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            index: { type: 'integer', minimum: 0 },
            treeSize: { type: 'integer', minimum: 0, description: 'The tree size the result reflects' },
            logSize: { type: 'integer', minimum: 0, description: 'The log’s size under its last checkpoint' },
            behind: { type: 'integer', minimum: 0, description: 'logSize − treeSize: entries the result does not reflect (of any agent)' },
            newEvidence: { type: 'boolean', description: 'Whether the index holds entries about this agent that the result does not reflect' },
            appraisedAt: { type: 'string', format: 'date-time', description: 'When the result was signed (its iat)' },
            ageSeconds: { type: 'integer', minimum: 0 },
            continuous: { type: 'boolean', description: 'Whether the service re-appraises agents as entries arrive' },
            result: { $ref: '#/components/schemas/AppraisalResult' },
            statement: { type: 'string', description: 'Path of the transparent statement (GET)' },
            receipt: { type: 'string', description: 'Path of the entry’s receipt (GET)' },
          },
        },
        ...appraisalResultSchemas(),
        Problem: {
          type: 'object',
          description: 'RFC 9290 concise problem details: a CBOR map with integer keys -1 (title) and -2 (detail)',
          required: ['-1', '-2'],
          properties: { '-1': { type: 'string', description: 'title' }, '-2': { type: 'string', description: 'detail' } },
        },
        ...CORRELATION_SCHEMAS,
        ...REPORT_SCHEMAS,
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token of the role named (atlog token; docs/operations.md)' },
        ...REPORT_SECURITY_SCHEMES,
      },
      headers: {
        Location: { description: 'The entry’s URL, /entries/{id}', schema: { type: 'string', format: 'uri' } },
        'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
      },
    },
  };
}

/**
 * The appraisal result's JSON Schema (appraisal/result-schema.ts) as OpenAPI components: its
 * `$defs` become components of their own, so the references resolve within this document.
 */
function appraisalResultSchemas(): Record<string, JsonObject> {
  const names: Record<string, string> = { agent: 'AppraisalAgent', finding: 'AppraisalFinding' };
  const text = JSON.stringify(APPRAISAL_RESULT_SCHEMA).replace(/"#\/\$defs\/([a-z]+)"/g, (_, name: string) => JSON.stringify(`#/components/schemas/${names[name]}`));
  const { $schema: _schema, $defs, ...result } = JSON.parse(text) as JsonObject & { $defs: Record<string, JsonObject> };
  return { AppraisalResult: result, AppraisalAgent: $defs.agent!, AppraisalFinding: $defs.finding! };
}

/** Adds `GET /openapi.json`; the document is built once. */
export function openApiRoute(app: Hono): void {
  const body = JSON.stringify(openApiDocument());
  app.get('/openapi.json', () => new Response(body, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
}
