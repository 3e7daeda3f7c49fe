// Concise problem details (RFC 9290) for every error the service answers with, as SCRAPI asks:
// `application/concise-problem-details+cbor`, `{-1: title, -2: detail}`. The titles are the
// draft's where it names one, so clients can rely on them.
import { encodeCbor } from '../receipts/index.js';
import { AtlogError } from '../util/index.js';

export const PROBLEM_MEDIA_TYPE = 'application/concise-problem-details+cbor';

export interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  /** Seconds, for 429 and 503. */
  readonly retryAfter?: number;
  /** Close the connection after answering (the request body was not read to its end). */
  readonly close?: boolean;
}

const MAX_DETAIL = 500;

/** The response for a problem: CBOR body, its media type, Retry-After and Connection as needed. */
export function problemResponse(problem: Problem): Response {
  const body = encodeCbor(
    new Map<number, string>([
      [-1, problem.title],
      [-2, problem.detail.length > MAX_DETAIL ? `${problem.detail.slice(0, MAX_DETAIL)}…` : problem.detail],
    ]),
  );
  const headers = new Headers({ 'content-type': PROBLEM_MEDIA_TYPE, 'cache-control': 'no-store' });
  if (problem.retryAfter !== undefined) headers.set('retry-after', String(problem.retryAfter));
  if (problem.close === true) headers.set('connection', 'close');
  return new Response(body, { status: problem.status, headers });
}

export const malformed = (detail: string): Problem => ({ status: 400, title: 'Malformed request', detail });
export const invalidLocator = (detail: string): Problem => ({ status: 400, title: 'Invalid locator', detail });
export const notFound = (detail: string): Problem => ({ status: 404, title: 'Not Found', detail });

/** A typed error as a problem; anything untyped is a 500 that says nothing of its internals. */
export function problemFor(error: unknown): Problem {
  if (!(error instanceof AtlogError)) {
    return { status: 500, title: 'Internal Server Error', detail: 'the service failed unexpectedly; nothing was registered by this request' };
  }
  const code = error.code;
  const rule = (error as { rule?: unknown }).rule;
  switch (code) {
    case 'QUEUE_FULL':
      return { status: 429, title: 'Too Many Requests', detail: error.message, retryAfter: 1 };
    case 'NOT_READY':
      return { status: 503, title: 'Service Unavailable', detail: 'the service is starting or stopping; retry shortly', retryAfter: 2 };
    case 'LOG_CLOSED':
    case 'STORAGE_FAILURE':
    case 'SIGNER_FAILURE':
      return { status: 503, title: 'Service Unavailable', detail: 'the log is not accepting entries right now; retry later', retryAfter: 2 };
    case 'ENTRY_TOO_LARGE':
    case 'POLICY_TOO_LARGE':
      return { status: 413, title: 'Payload Too Large', detail: error.message };
    case 'POLICY_BAD_ALGORITHM':
      return { status: 400, title: 'Bad Signature Algorithm', detail: error.message };
    case 'POLICY_MALFORMED':
      return malformed(error.message);
    case 'STORAGE_CORRUPT':
    case 'CHECKPOINT_INCONSISTENT':
    case 'STORAGE_LOCKED':
      return { status: 500, title: 'Internal Server Error', detail: 'the log needs an operator; nothing was registered by this request' };
    case 'INDEX_OUT_OF_RANGE':
    case 'TREE_SIZE_OUT_OF_RANGE':
      return notFound(error.message);
    case 'INVALID_ARGUMENT':
    case 'INDEX_BAD_QUERY':
      return malformed(error.message);
    case 'INDEX_CLOSED':
      return { status: 503, title: 'Service Unavailable', detail: 'the service is stopping; retry shortly', retryAfter: 2 };
    case 'INDEX_CORRUPT':
      return { status: 500, title: 'Internal Server Error', detail: 'the entry index needs an operator (atlog reindex); the log is not affected' };
    case 'CORRELATION_BAD_QUERY':
      return malformed(error.message);
    case 'CORRELATION_NOT_FOUND':
      return notFound(error.message);
    case 'CORRELATION_AMBIGUOUS':
      return { status: 409, title: 'Conflict', detail: error.message };
    case 'CORRELATION_LIMIT_EXCEEDED':
      return { status: 422, title: 'Limit Exceeded', detail: error.message };
    case 'APPRAISAL_BAD_REQUEST':
      return malformed(error.message);
    case 'APPRAISAL_UNKNOWN':
      return notFound(error.message);
    case 'APPRAISAL_CLOSED':
      return { status: 503, title: 'Service Unavailable', detail: 'the service is stopping; retry shortly', retryAfter: 2 };
    case 'APPRAISAL_NOT_RESULT':
      return { status: 500, title: 'Internal Server Error', detail: 'a stored appraisal result could not be read; the log is not affected' };
    // Privacy reports (privacy/errors.ts): a budget that cannot pay is final until an operator raises it, so 403, not 429.
    case 'QUERY_INVALID':
      return malformed(error.message);
    case 'BUDGET_EXHAUSTED':
      return { status: 403, title: 'Budget Exhausted', detail: error.message };
    case 'BUDGET_NOT_CONFIGURED':
      return { status: 403, title: 'Forbidden', detail: error.message };
    case 'REPORT_NOT_FOUND':
      return notFound(error.message);
    case 'PRIVACY_CONFIG_INVALID':
    case 'LEDGER_CORRUPT':
      return { status: 500, title: 'Internal Server Error', detail: 'the privacy ledger or its configuration needs an operator' };
  }
  if (code.startsWith('POLICY_')) {
    // Which rule refused the statement, and why: SCRAPI's "Rejected".
    return { status: 400, title: 'Rejected', detail: typeof rule === 'string' ? `rule ${rule}: ${error.message}` : error.message };
  }
  if (code.startsWith('CBOR_') || code.startsWith('COSE_') || code.startsWith('STATEMENT_') || code.startsWith('HASH_ENVELOPE_')) {
    return malformed(error.message);
  }
  return { status: 500, title: 'Internal Server Error', detail: 'the service failed unexpectedly; nothing was registered by this request' };
}
