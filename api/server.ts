// The service on a real HTTP server (@hono/node-server), with timeouts against slow clients and a
// shutdown that finishes what it accepted and acknowledges nothing it has not written.
import type { AddressInfo, Socket } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { type AppOptions, createApp } from './app.js';
import { liveness } from './health.js';
import { createLogger, type Logger } from './logging.js';
import { secondsSince } from './metrics.js';
import { type Problem, problemResponse } from './problems.js';
import type { TransparencyService } from './service.js';

export interface ServerOptions extends AppOptions {
  readonly port: number;
  readonly hostname: string;
  /** How long the whole request may take, headers and body (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** How long shutdown waits for open connections before closing them (default 5 s). */
  readonly shutdownGraceMs?: number;
  /** Where the server logs start and shutdown (default: the service's logger). */
  readonly logger?: Logger;
}

export interface RunningServer {
  /** The base URL it listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly server: Server;
  /** The service, once it is open (at once when startServer was given an open one). */
  readonly opened: Promise<TransparencyService>;
  /** Graceful stop: refuse new work, finish and write what was accepted, close the log. */
  close(): Promise<void>;
}

/** Opens the service once the server listens, knowing the address it got (port 0: the system's choice). */
export type OpenService = (address: { readonly url: string; readonly port: number }) => Promise<TransparencyService>;

/**
 * Serves a transparency service: one already open, or one `open` opens after the server listens.
 * In the second case the server answers 503 with Retry-After (liveness 200, readiness 503) until
 * the log is open and checked: clients see "starting", not a refused connection, and the service
 * can be named after the port actually bound.
 */
export async function startServer(service: TransparencyService | OpenService, options: ServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? (typeof service === 'function' ? createLogger() : service.logger);
  // The node server passes its raw request and response as a second argument (the logs count
  // bytes on them): the indirection must hand on everything it is given.
  let handle: (request: Request, env?: unknown) => Response | Promise<Response> =
    typeof service === 'function' ? startingApp().fetch : createApp(service, { ...options, logger }).fetch;
  const server = await new Promise<Server>((resolve, reject) => {
    // Node checks requestTimeout and headersTimeout only every connectionsCheckingInterval
    // (default 30 s): check every second, or a slow-headers client holds a socket 30 s longer.
    const serverOptions = { connectionsCheckingInterval: 1_000 };
    const started = serve({ fetch: (request: Request, env?: unknown) => handle(request, env), port: options.port, hostname: options.hostname, serverOptions }, () =>
      resolve(started as Server),
    ) as Server;
    started.once('error', reject);
  });
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(10_000, server.requestTimeout);
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
  // --- operations: requests node refuses before the app sees them get problem details too ---
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket));
  // --- end operations ---
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url }, 'listening');
  const opened =
    typeof service === 'function'
      ? service({ url, port: address.port }).then((open) => {
          handle = createApp(open, { ...options, logger }).fetch;
          return open;
        })
      : Promise.resolve(service);
  // A service that fails to open leaves nothing to serve: stop listening, and let the caller,
  // who awaits `opened`, report why.
  opened.catch(() => server.close());

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const started = process.hrtime.bigint();
      logger.info('shutdown: refusing new connections and registrations, finishing those accepted');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // The log integrates and writes everything already accepted before it closes, so every
      // registration in flight gets its receipt (or its 303); new requests get 503.
      const open = await opened;
      await open.close();
      logger.info({ treeSize: open.log.size }, 'shutdown: everything accepted is written; closing connections');
      const grace = setTimeout(() => {
        logger.warn('shutdown: grace period over, closing the connections still open');
        server.closeAllConnections();
      }, options.shutdownGraceMs ?? 5_000);
      server.closeIdleConnections();
      await closed;
      clearTimeout(grace);
      logger.info({ durationMs: Math.round(secondsSince(started) * 1000) }, 'shutdown: stopped');
    })());
  return { url, server, opened, close };
}

/** What a starting service answers: alive, not ready, try again shortly. */
function startingApp(): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json(liveness(), 200, { 'cache-control': 'no-store' }));
  app.all('*', () =>
    problemResponse({ status: 503, title: 'Service Unavailable', detail: 'the service is starting: the log is being opened and checked', retryAfter: 2 }),
  );
  return app;
}

/**
 * Node's own answer to a request it cannot parse (headers too large, a broken request line, a
 * request that took longer than requestTimeout) is a bare status line; this one is concise problem
 * details like every other error, then the connection is closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // Like node: answer only if nothing of a response has been sent on this connection yet.
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || (inFlight != null && inFlight.headersSent)) {
    socket.destroy();
    return;
  }
  const problem = clientErrorProblem(error.code);
  const response = problemResponse({ ...problem, close: true });
  void response.arrayBuffer().then((body) => {
    if (!socket.writable) return void socket.destroy();
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}\r\n`).join('');
    const head = `HTTP/1.1 ${problem.status} ${problem.title}\r\n${headers}content-length: ${body.byteLength}\r\n\r\n`;
    socket.end(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]), () => socket.destroy());
  });
}

function clientErrorProblem(code: string | undefined): Problem {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, title: 'Request Header Fields Too Large', detail: 'the request headers are larger than the server accepts' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, title: 'Payload Too Large', detail: 'the chunk extensions are larger than the server accepts' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, title: 'Request Timeout', detail: 'the request did not arrive in time' };
    default:
      return { status: 400, title: 'Malformed request', detail: 'The request could not be parsed' };
  }
}
