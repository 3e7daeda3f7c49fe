// The service on a real HTTP server (@hono/node-server), with timeouts against slow clients and a
// shutdown that finishes what it accepted and acknowledges nothing it has not written.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { type AppOptions, createApp } from './app.js';
import type { TransparencyService } from './service.js';

export interface ServerOptions extends AppOptions {
  readonly port: number;
  readonly hostname: string;
  /** How long the whole request may take, headers and body (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** How long shutdown waits for open connections before closing them (default 5 s). */
  readonly shutdownGraceMs?: number;
}

export interface RunningServer {
  /** The base URL it listens on, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly server: Server;
  /** Graceful stop: refuse new work, finish and write what was accepted, close the log. */
  close(): Promise<void>;
}

export async function startServer(service: TransparencyService, options: ServerOptions): Promise<RunningServer> {
  const app = createApp(service, options);
  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname }, () => resolve(started as Server)) as Server;
    started.once('error', reject);
  });
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(10_000, server.requestTimeout);
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 64;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // The log integrates and writes everything already accepted before it closes, so every
      // registration in flight gets its receipt (or its 303); new requests get 503.
      await service.close();
      const grace = setTimeout(() => server.closeAllConnections(), options.shutdownGraceMs ?? 5_000);
      server.closeIdleConnections();
      await closed;
      clearTimeout(grace);
    })());
  return { url: `http://${host}:${address.port}`, server, close };
}
