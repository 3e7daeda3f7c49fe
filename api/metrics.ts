// Prometheus metrics for one service instance. The registry belongs to the instance, never to
// prom-client's global default: two services in one process (tests, a blue/green restart) must
// not share or collide on counters. Gauges that mirror the log are read when scraped, so the
// log's hot path does no metrics work at all.
import type { Hono } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AtlogError } from '../util/index.js';

/**
 * What became of a `POST /entries`, as the client saw it. A small fixed set, so the label's
 * cardinality is bounded whatever clients send:
 *
 * - `registered`: 201, the receipt was returned;
 * - `pending`: 303, accepted, the receipt was not ready within the wait;
 * - `rejected`: 400, refused by the registration policy (a named rule, e.g. SCRAPI "Rejected",
 *   "Bad Signature Algorithm");
 * - `malformed`: 400, not a signed statement (CBOR, COSE, headers) or an unreadable body;
 * - `too_large`: 413, over the body limit or the policy's size limit;
 * - `unsupported_media_type`: 415;
 * - `timeout`: 408, the body did not arrive in time;
 * - `overloaded`: 429, the sequencer's queue is full;
 * - `unavailable`: 503, starting, stopping, or the log cannot write right now;
 * - `error`: anything else (a 500: a bug or a corrupt store).
 *
 * A duplicate registration is not an outcome of its own: the client gets the same 201 or 303, and
 * the sequencer cannot tell a duplicate still in its queue from a fresh entry.
 */
export const REGISTRATION_OUTCOMES = [
  'registered',
  'pending',
  'rejected',
  'malformed',
  'too_large',
  'unsupported_media_type',
  'timeout',
  'overloaded',
  'unavailable',
  'error',
] as const;

export type RegistrationOutcome = (typeof REGISTRATION_OUTCOMES)[number];

/** What the gauges read from the service when scraped. */
export interface MetricsSource {
  /** Entries waiting for the sequencer. */
  queueDepth(): number;
  /** Entries under the last signed checkpoint. */
  treeSize(): number;
  /** Entries the entry index has indexed. */
  indexedSize(): number;
}

export interface MetricsOptions {
  /** Register prom-client's default process and Node.js metrics on this registry (default true). */
  readonly processMetrics?: boolean;
}

// HTTP methods the service answers; anything else is counted as OTHER (the label stays bounded).
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly registrations: Counter<'outcome'>;
  private readonly registrationSeconds: Histogram<'outcome'>;
  private readonly receiptSeconds: Histogram;
  private readonly requests: Counter<'method' | 'route' | 'status'>;

  constructor(source: MetricsSource, options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.registrations = new Counter({
      name: 'atlog_registrations_total',
      help: 'POST /entries by outcome (registered, pending, rejected, malformed, too_large, unsupported_media_type, timeout, overloaded, unavailable, error)',
      labelNames: ['outcome'],
      registers,
    });
    // Every outcome is exported from the start, at zero, so rates and alerts need no absent().
    for (const outcome of REGISTRATION_OUTCOMES) this.registrations.inc({ outcome }, 0);
    this.registrationSeconds = new Histogram({
      name: 'atlog_registration_duration_seconds',
      help: 'Time to answer POST /entries, from the request to the response, by outcome',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.receiptSeconds = new Histogram({
      name: 'atlog_time_to_receipt_seconds',
      help: 'Time from accepting a statement until its entry is durable under a signed checkpoint (answered 201 or 303)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.requests = new Counter({
      name: 'atlog_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern (unmatched for none) and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    new Gauge({
      name: 'atlog_queue_depth',
      help: 'Entries accepted and waiting for the sequencer',
      registers,
      collect() {
        this.set(source.queueDepth());
      },
    });
    new Gauge({
      name: 'atlog_tree_size',
      help: 'Entries in the log under its last signed checkpoint',
      registers,
      collect() {
        this.set(source.treeSize());
      },
    });
    new Gauge({
      name: 'atlog_index_tree_size',
      help: 'Entries the entry index has indexed (the log size it answers queries for); atlog_tree_size minus this is its lag',
      registers,
      collect() {
        this.set(source.indexedSize());
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** One answered POST /entries. */
  registration(outcome: RegistrationOutcome, seconds: number): void {
    this.registrations.inc({ outcome });
    this.registrationSeconds.observe({ outcome }, seconds);
  }

  /** A statement accepted `seconds` ago is now durable under a signed checkpoint. */
  receipt(seconds: number): void {
    this.receiptSeconds.observe(seconds);
  }

  /** One answered HTTP request; `route` is the route pattern, never the raw path. */
  request(method: string, route: string, status: number): void {
    this.requests.inc({ method: METHODS.has(method) ? method : 'OTHER', route, status: String(status) });
  }

  /** The exposition text, and its media type (`text/plain; version=0.0.4`). */
  async exposition(): Promise<{ readonly contentType: string; readonly text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}

/** The outcome of a POST /entries from its status and, when one was thrown, the error behind it. */
export function registrationOutcome(status: number, error?: unknown): RegistrationOutcome {
  switch (status) {
    case 201:
      return 'registered';
    case 303:
      return 'pending';
    case 400:
      // A policy rule's refusal; a statement the policy could not even parse is malformed.
      return error instanceof AtlogError && error.code.startsWith('POLICY_') && error.code !== 'POLICY_MALFORMED' ? 'rejected' : 'malformed';
    case 408:
      return 'timeout';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'overloaded';
    case 503:
      return 'unavailable';
    default:
      return 'error';
  }
}

/** Seconds since `start` (a `process.hrtime.bigint()` reading). */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Adds `GET /metrics` (Prometheus text format 0.0.4); call before the gate, so a stopping service still reports. */
export function metricsRoute(app: Hono, metrics: ServiceMetrics): void {
  app.get('/metrics', async () => {
    const { contentType, text } = await metrics.exposition();
    return new Response(text, { headers: { 'content-type': contentType, 'cache-control': 'no-store' } });
  });
}
