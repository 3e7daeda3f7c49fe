// Structured logs: pino, one JSON line per request and per lifecycle event (start, policy
// registration, shutdown phases, failures). What a line may hold is decided here and nowhere
// else: methods, route patterns, statuses, sizes, durations, entry ids (public leaf hashes), error
// codes and messages. Never a request or response body, a header, a statement, a payload or a
// key, so the log can be shipped anywhere without a review of what it leaks.
import { writeSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { type DestinationStream, type Logger, pino } from 'pino';
import { AtlogError } from '../util/index.js';
import { registrationOutcome, secondsSince, type ServiceMetrics } from './metrics.js';

export type { Logger };

export interface LoggerOptions {
  /** pino level (default: $ATLOG_LOG_LEVEL, else info). */
  readonly level?: string;
  /** Where lines go (default stdout). Tests pass a collector. */
  readonly destination?: DestinationStream;
}

/** The service's logger: JSON lines, ISO timestamps, every line tagged `service: atlog`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? process.env.ATLOG_LOG_LEVEL ?? 'info',
    base: { service: 'atlog', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The one place an object could smuggle a field in: if anything ever logs a request or a
    // headers object by mistake as a field of its own, it is censored rather than written.
    // Top-level paths only: wildcard paths (`*.headers`) made pino walk every field of every
    // line, ~5 µs a line, a tenth of a receipt's whole cost over HTTP; the fields nested in a
    // line are built here (typedErrorFields, failureFields) and hold none of these.
    redact: { paths: ['req', 'res', 'headers', 'body', 'authorization', 'request', 'response'], censor: '[redacted]' },
  };
  return pino(settings, options.destination ?? standardOutput());
}

/**
 * Standard output, written once per turn of the event loop rather than once per line: under load
 * one write carries the request lines of a whole batch of registrations. pino's default
 * (sonic-boom, asynchronous) started a write for each line that came while none was in flight,
 * and on this machine a write finishes sooner than the next request line comes: nearly a write,
 * and a trip through libuv's threads, a line. Here a turn's lines are joined and handed to the
 * same asynchronous sonic-boom when the turn ends; lines held when the process exits are written
 * synchronously after what sonic-boom held (pino flushes that on exit first).
 */
function standardOutput(): DestinationStream {
  // One per process, as standard output is: every logger writing there shares it, so their lines
  // keep their order.
  stdout ??= endOfTurnWrites(pino.destination({ dest: 1, sync: false }), (text) => writeSync(1, text));
  return stdout;
}

let stdout: DestinationStream | undefined;

/**
 * A destination that holds the lines written in one turn and hands them to `sink` as one text when
 * the turn ends; `atExit` gets what a turn that ends the process held (default `sink`).
 */
export function endOfTurnWrites(
  sink: { write(text: string): unknown },
  atExit: (text: string) => unknown = (text) => sink.write(text),
): DestinationStream & { flush(done?: () => void): void } {
  let held: string[] = [];
  let scheduled = false;
  const take = (): string | undefined => {
    if (held.length === 0) return undefined;
    const text = held.length === 1 ? held[0]! : held.join('');
    held = [];
    return text;
  };
  const release = () => {
    scheduled = false;
    const text = take();
    if (text !== undefined) sink.write(text);
  };
  process.on('exit', () => {
    const text = take();
    if (text === undefined) return;
    try {
      atExit(text);
    } catch {
      // Exiting: a stdout that cannot take the last lines now (a closed or full pipe) loses them.
    }
  });
  return {
    write(line: string) {
      held.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(release);
      }
    },
    // pino's logger.flush(): what this turn holds, now.
    flush(done?: () => void) {
      release();
      done?.();
    },
  };
}

/** A logger that writes nothing (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

const MAX_MESSAGE = 300;

/**
 * A typed error as a log field: its code, the policy rule if it names one, and its message. Not
 * its cause, not its other properties: those may hold the input that caused it.
 */
export function typedErrorFields(error: AtlogError): { code: string; rule?: string; message: string } {
  const rule = (error as { rule?: unknown }).rule;
  return { code: error.code, ...(typeof rule === 'string' ? { rule } : {}), message: bounded(error.message) };
}

/** An unexpected error as a log field: type, message and stack (code locations, not data). */
export function failureFields(error: unknown): { type: string; code?: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: 'a non-Error value was thrown' };
  const code = (error as { code?: unknown }).code;
  return {
    type: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: bounded(error.message),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
  };
}

function bounded(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** What a handler tells the request line that the middleware cannot see. */
interface RequestNote {
  /** Bytes of request body read. */
  bytesIn?: number;
  /** The error thrown by the handler, turned into problem details by onError. */
  error?: unknown;
  /** The entry the response's Location names. */
  entryId?: string;
}

const notes = new WeakMap<Context, RequestNote>();

/** Adds to what the request line of `c` will say. */
export function noteRequest(c: Context, note: RequestNote): void {
  const existing = notes.get(c);
  if (existing === undefined) notes.set(c, { ...note });
  else Object.assign(existing, note);
}

/** The route pattern that answered (e.g. `/entries/:id`), or `unmatched`: never the raw path. */
export function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    // Middleware is registered for ALL methods; the handler that answered is the last other one.
    if (route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

/**
 * The middleware that accounts for every request: counts it (by route pattern and status), times
 * and counts registrations by outcome, and writes one log line when the response is finished (or
 * the client went away), with the bytes that went each way.
 */
export function observeRequests(options: { readonly logger: Logger; readonly metrics: ServiceMetrics }): MiddlewareHandler {
  const { logger, metrics } = options;
  return async (c, next) => {
    const start = process.hrtime.bigint();
    await next();
    const method = c.req.method;
    const route = routeOf(c);
    const status = c.res.status;
    const note = notes.get(c);
    metrics.request(method, route, status);
    if (method === 'POST' && route === '/entries') metrics.registration(registrationOutcome(status, note?.error), secondsSince(start));
    if (!logger.isLevelEnabled('info')) return;

    // One flat object for pino, absent fields undefined (pino leaves them out): spreading the
    // optional fields in cost more than the rest of the line (~4 µs of ~7).
    const bytesIn = note?.bytesIn;
    const entryId = note?.entryId;
    const error = note?.error instanceof AtlogError ? typedErrorFields(note.error) : undefined;
    const level = status >= 500 ? 'warn' : 'info';
    // On a real server, wait for the response to be written: the duration then includes sending
    // it, and bytesOut counts what went on the wire for it (status line and headers included;
    // the connection carries one response at a time).
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    const socket = outgoing?.socket;
    if (outgoing === undefined || socket == null || typeof outgoing.once !== 'function') {
      const { bytesOut } = contentLength(c.res.headers.get('content-length'));
      logger[level]({ method, route, status, bytesIn, entryId, error, durationMs: millisecondsSince(start), bytesOut }, 'request');
      return;
    }
    const before = socket.bytesWritten;
    outgoing.once('close', () => {
      const aborted = outgoing.writableFinished ? undefined : true;
      logger[level]({ method, route, status, bytesIn, entryId, error, durationMs: millisecondsSince(start), bytesOut: socket.bytesWritten - before, aborted }, 'request');
    });
  };
}

/** Milliseconds since `start`, to the microsecond. */
function millisecondsSince(start: bigint): number {
  return Math.round(secondsSince(start) * 1e6) / 1e3;
}

function contentLength(value: unknown): { bytesOut?: number } {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
  return n === undefined ? {} : { bytesOut: n };
}

/**
 * The line for a request that failed on the server's side, so an operator can act on it: a 503
 * from a typed error (storage, signer) with its code and message; a 500 (a bug, a corrupt store)
 * with its stack. Refusals of the client's input are not failures: the request line has their code.
 */
export function logFailure(logger: Logger, c: Context, error: unknown, status: number): void {
  if (status < 500) return;
  // Refusals while stopping are expected: the request line says enough.
  if (error instanceof AtlogError && (error.code === 'NOT_READY' || error.code === 'LOG_CLOSED')) return;
  const at = { method: c.req.method, route: routeOf(c), status };
  if (error instanceof AtlogError && status === 503) {
    logger.warn({ ...at, error: typedErrorFields(error) }, 'request refused: service unavailable');
    return;
  }
  logger.error({ ...at, error: failureFields(error) }, 'request failed');
}
