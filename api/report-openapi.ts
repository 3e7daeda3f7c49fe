// The OpenAPI description of the regulators' routes (report-routes.ts), spread into openapi.ts:
// the paths, the query a regulator posts, and the shapes of the answers, which
// api/report-routes.test.ts checks the real responses against.
import { PRIVACY_UNITS, QUERY_LIMITS, REPORTABLE_TYPES, STATISTICS } from '../privacy/index.js';
import { PROBLEM_MEDIA_TYPE } from './problems.js';
import { MAX_QUERY_BYTES } from './report-routes.js';

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

const problem = (description: string): JsonObject => ({
  description,
  content: { [PROBLEM_MEDIA_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
});
const json = (schema: string, description: string): JsonObject => ({
  description,
  content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } } },
});
const COMMON: JsonObject = {
  '401': problem('Unauthorized: no valid bearer token (WWW-Authenticate: Bearer)'),
  '403': problem('Forbidden: a token of another role, or no budget configured for this regulator'),
  '500': problem('Internal Server Error'),
  '503': problem('Service Unavailable: starting or stopping'),
};
const security = [{ regulator: [] }];
const amount = { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(/[0-9]+)?$', description: 'An exact decimal (or n/d) string' };
const decimal = { type: ['number', 'string'], description: 'A decimal number, or a decimal string for exactness' };
const estimate = {
  type: 'object',
  additionalProperties: false,
  required: ['value', 'ci95'],
  properties: { value: { type: 'number' }, ci95: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2, description: 'Covers the value before noise with probability ≥ 95%' } },
};

export const REPORT_PATHS: JsonObject = {
  '/reports': {
    post: {
      summary: 'A differential-privacy report: charge the caller’s budget, compute, sign and log the release (regulators)',
      operationId: 'createReport',
      security,
      requestBody: {
        required: true,
        description: `The query (application/json, strict: no member twice, none unknown; at most ${MAX_QUERY_BYTES} bytes). See docs/privacy.md.`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ReportQuery' } } },
      },
      responses: {
        '201': { ...json('Report', 'Released: the signed report, logged; Location is where to GET it again'), headers: { Location: { description: '/reports/{id}', schema: { type: 'string' } } } },
        '400': problem('Malformed request: the query is not strict JSON, or a member is wrong (the detail names it, /bounds/max_partitions_contributed: …); nothing was charged'),
        '403': problem('Forbidden: another role’s token, no budget configured, or "Budget Exhausted": the budget cannot pay this release; nothing was charged'),
        '413': problem('Payload Too Large'),
        '415': problem('Unsupported Media Type: send application/json'),
        '401': COMMON['401']!,
        '500': COMMON['500']!,
        '503': COMMON['503']!,
      },
    },
  },
  '/reports/{id}': {
    get: {
      summary: 'A report by id (regulators; reports are also public statements in the log)',
      operationId: 'getReport',
      security,
      parameters: [{ name: 'id', in: 'path', required: true, description: 'The report id (its query_id)', schema: { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } }],
      responses: { '200': json('Report', 'The report and where it stands'), '400': problem('Malformed request: not a report id'), '404': problem('Not Found'), ...COMMON },
    },
  },
  '/budget': {
    get: {
      summary: 'The caller’s privacy budget: configured total, spent and left (regulators)',
      operationId: 'getBudget',
      security,
      responses: { '200': json('Budget', 'The budget of the regulator the token names'), ...COMMON },
    },
  },
};

const accountant = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'total_epsilon', 'total_delta', 'spent_epsilon', 'spent_delta', 'remaining_epsilon', 'remaining_delta'],
  description: 'basic: exact ε and δ. zcdp: exact ρ, and the ε values are (ε, δ)-DP equivalents at total_delta, rounded up',
  properties: {
    kind: { enum: ['basic', 'zcdp'] },
    total_epsilon: amount,
    total_delta: amount,
    spent_epsilon: amount,
    spent_delta: amount,
    remaining_epsilon: amount,
    remaining_delta: amount,
    total_rho: amount,
    spent_rho: amount,
    remaining_rho: amount,
  },
};

export const REPORT_SCHEMAS: JsonObject = {
  ReportQuery: {
    type: 'object',
    additionalProperties: false,
    required: ['statistic', 'filter', 'privacy_unit', 'bounds'],
    properties: {
      statistic: { enum: [...STATISTICS] },
      filter: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { enum: [...REPORTABLE_TYPES] },
          domains: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: QUERY_LIMITS.domains },
          from: { type: 'string', format: 'date-time', description: 'Entry time (the issuer’s iat), inclusive' },
          to: { type: 'string', format: 'date-time', description: 'Exclusive' },
          dims: { type: 'object', description: 'dimension → value or [values]', additionalProperties: { type: ['string', 'integer', 'boolean', 'array'] } },
        },
      },
      privacy_unit: { enum: [...PRIVACY_UNITS] },
      group_by: {
        type: 'array',
        maxItems: QUERY_LIMITS.groupKeys,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['key'],
          properties: {
            key: { enum: ['domain', 'month', 'action', 'outcome', 'dim'] },
            name: { type: 'string', description: 'The dimension, for key dim' },
            values: { type: 'array', maxItems: QUERY_LIMITS.valuesPerKey, description: 'The public values; without them, partition_selection must be dp_threshold' },
          },
        },
      },
      partition_selection: { enum: ['public', 'dp_threshold'], default: 'public' },
      value: {
        type: 'object',
        additionalProperties: false,
        required: ['measurement'],
        properties: {
          measurement: { type: 'string' },
          min: decimal,
          max: decimal,
          granularity: decimal,
          bins: { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: QUERY_LIMITS.bins + 1 },
          resolution: { type: 'integer', minimum: 2, maximum: QUERY_LIMITS.resolution, default: 64 },
        },
      },
      quantiles: { type: 'array', items: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 }, maxItems: QUERY_LIMITS.quantiles },
      bounds: {
        type: 'object',
        additionalProperties: false,
        required: ['max_partitions_contributed', 'max_contributions_per_partition'],
        properties: {
          max_partitions_contributed: { type: 'integer', minimum: 1, maximum: QUERY_LIMITS.maxPartitionsContributed },
          max_contributions_per_partition: { type: 'integer', minimum: 1, maximum: QUERY_LIMITS.maxContributionsPerPartition },
        },
      },
      mechanism: { enum: ['laplace', 'gaussian'], default: 'laplace' },
      epsilon: decimal,
      rho: decimal,
      delta: decimal,
    },
  },
  Report: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'status', 'regulator', 'location'],
    properties: {
      id: { type: 'string', description: 'The report id: the payload’s query_id' },
      status: { enum: ['charged', 'computed', 'released', 'abandoned'], description: 'released; abandoned when the service stopped between charge and answer (the cost is spent, no results)' },
      regulator: { type: 'string' },
      location: { type: 'string' },
      entryId: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The report statement’s entry id in the log' },
      report: { $ref: '#/components/schemas/PrivacyReport' },
      statement: { type: 'string', contentEncoding: 'base64url', description: 'The transparent statement: the signed report with its receipt (label 394)' },
    },
  },
  PrivacyReport: {
    type: 'object',
    additionalProperties: false,
    description: `The payload of the report statement (${'application/vnd.atlog.privacy-report+json'}); docs/privacy.md`,
    required: [
      'profile',
      'query_id',
      'status',
      'regulator',
      'regulator_sequence',
      'tree_size',
      'root_hash',
      'computed_at',
      'query',
      'privacy_unit',
      'mechanism',
      'delta',
      'bounds',
      'partition_selection',
      'noise',
      'cost',
      'spent_before',
      'accountant',
      'partition_keys',
      'results',
      'truncated',
    ],
    properties: {
      profile: { const: 'tag:atlog.dev,2026:privacy-report/v1' },
      query_id: { type: 'string' },
      status: { enum: ['released', 'abandoned'] },
      regulator: { type: 'string' },
      regulator_sequence: { type: 'integer', minimum: 1, description: 'This regulator’s n-th release: no gaps, so a missing one shows' },
      tree_size: { type: 'integer', minimum: 0, description: 'Computed on the log’s first tree_size entries' },
      root_hash: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'The log’s root at tree_size' },
      computed_at: { type: 'string', format: 'date-time' },
      query: { type: 'object', description: 'The query as run, defaults filled in' },
      privacy_unit: { enum: [...PRIVACY_UNITS] },
      mechanism: { enum: ['discrete_laplace', 'discrete_gaussian'] },
      epsilon: amount,
      rho: amount,
      delta: amount,
      bounds: {
        type: 'object',
        additionalProperties: false,
        required: ['max_partitions_contributed', 'max_contributions_per_partition'],
        properties: {
          max_partitions_contributed: { type: 'integer' },
          max_contributions_per_partition: { type: 'integer' },
          min_value: amount,
          max_value: amount,
          granularity: amount,
        },
      },
      partition_selection: { enum: ['public', 'dp_threshold'] },
      selection: { type: 'object', description: 'dp_threshold: its ε, δ, sensitivity, noise and threshold' },
      noise: { type: 'array', items: { type: 'object' }, description: 'Per noisy statistic: sensitivity (l1, l2_squared), its share of ε or ρ, distribution and scale or sigma2' },
      cost: { type: 'object', additionalProperties: false, required: ['epsilon', 'delta', 'rho'], properties: { epsilon: amount, delta: amount, rho: amount } },
      spent_before: { type: 'object', additionalProperties: false, required: ['epsilon', 'delta', 'rho'], properties: { epsilon: amount, delta: amount, rho: amount } },
      accountant,
      partition_keys: { type: 'array', items: { type: 'string' } },
      results: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['partition'],
          properties: {
            partition: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
            bin: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: { type: 'number' }, to: { type: 'number' } } },
            count: estimate,
            sum: estimate,
            mean: estimate,
            quantiles: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['q', 'value', 'ci95'],
                properties: { q: { type: 'number' }, value: { type: 'number' }, ci95: { type: 'array', items: { type: 'number' }, description: 'Approximate' } },
              },
            },
          },
        },
      },
      truncated: { type: 'boolean', description: 'dp_threshold: more partitions passed the threshold than one report holds; the rest were dropped in key order' },
    },
  },
  Budget: {
    type: 'object',
    additionalProperties: false,
    required: ['regulator', 'releases', 'accountant'],
    properties: { regulator: { type: 'string' }, releases: { type: 'integer', minimum: 0 }, accountant },
  },
};

export const REPORT_SECURITY_SCHEMES: JsonObject = {
  regulator: { type: 'http', scheme: 'bearer', description: 'A regulator’s bearer token (atlog token --role regulator); the budget is the one configured for its name' },
};
