// Liveness and readiness, for orchestrators and load balancers. Both are answered whatever state
// the service is in (they are registered ahead of the gate that refuses everything else while
// stopping): /healthz says the process answers, /readyz whether it takes registrations now.
import type { Hono } from 'hono';
import { problemResponse } from './problems.js';
import type { TransparencyService } from './service.js';

/** `GET /healthz`: the process is up and answering. */
export interface Liveness {
  readonly status: 'ok';
}

/** `GET /readyz` when the service takes registrations. */
export interface Readiness {
  readonly status: 'ready';
  /** Entries under the last signed checkpoint. */
  readonly treeSize: number;
  /** The last signed checkpoint: its size and when it was signed (milliseconds since the epoch). */
  readonly checkpoint: { readonly size: number; readonly timestamp: number };
}

const NO_STORE = { 'cache-control': 'no-store' };

export function liveness(): Liveness {
  return { status: 'ok' };
}

/** Readiness, or undefined while the service is not taking registrations. */
export function readiness(service: TransparencyService): Readiness | undefined {
  if (!service.ready) return undefined;
  const head = service.log.latestCheckpoint;
  return { status: 'ready', treeSize: service.log.size, checkpoint: { size: head.size, timestamp: head.timestamp } };
}

/** Adds /healthz and /readyz; call before any middleware that could refuse them. */
export function healthRoutes(app: Hono, service: TransparencyService): void {
  app.get('/healthz', (c) => c.json(liveness(), 200, NO_STORE));
  app.get('/readyz', (c) => {
    const ready = readiness(service);
    if (ready === undefined) {
      return problemResponse({ status: 503, title: 'Service Unavailable', detail: 'the service is starting or stopping; it takes no registrations now', retryAfter: 2 });
    }
    return c.json(ready, 200, NO_STORE);
  });
}
