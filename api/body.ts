// Reading a request body without trusting its sender: refuse by Content-Length before reading a
// byte, stop at the limit when the length was not announced (a huge body is never buffered), and
// give up on a body that trickles in too slowly.
import type { IncomingMessage } from 'node:http';
import type { Problem } from './problems.js';

export type BodyResult = { readonly ok: true; readonly body: Uint8Array } | { readonly ok: false; readonly problem: Problem };

/**
 * The request body, within `limit` bytes and `timeoutMs`. Under the Node server, pass its
 * IncomingMessage (`c.env.incoming`): the body is then read from the socket's chunks as they come,
 * without the WHATWG Request and stream the server would otherwise build for it, which on the
 * registration path costs more than the read itself.
 */
export async function readBody(request: Request, limit: number, timeoutMs: number, incoming?: IncomingMessage): Promise<BodyResult> {
  const declared = incoming === undefined ? request.headers.get('content-length') : (incoming.headers['content-length'] ?? null);
  if (declared !== null) {
    const length = /^[0-9]{1,15}$/.test(declared) ? Number(declared) : NaN;
    if (Number.isNaN(length)) return { ok: false, problem: { status: 400, title: 'Malformed request', detail: 'Content-Length is not a number', close: true } };
    if (length > limit) return { ok: false, problem: tooLarge(limit) };
  }
  if (incoming !== undefined) return readIncoming(incoming, limit, timeoutMs);
  if (request.body === null) return { ok: true, body: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === 'timeout') {
        return { ok: false, problem: { status: 408, title: 'Request Timeout', detail: `the request body did not arrive within ${timeoutMs} ms`, close: true } };
      }
      if (next.done) break;
      size += next.value.length;
      // Stop here: the rest is never read, and the connection is closed after the answer.
      if (size > limit) return { ok: false, problem: tooLarge(limit) };
      chunks.push(next.value);
    }
  } catch {
    return { ok: false, problem: { status: 400, title: 'Malformed request', detail: 'the request body could not be read', close: true } };
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return { ok: true, body: joined(chunks, size) };
}

function joined(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** The same rules as the stream above, on the Node request itself. */
function readIncoming(incoming: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyResult> {
  if (incoming.readableEnded) return Promise.resolve({ ok: true, body: new Uint8Array(0) });
  return new Promise<BodyResult>((resolve) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const finish = (result: BodyResult) => {
      clearTimeout(timer);
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('aborted', onError);
      // Stop here: the rest is never read, and the connection is closed after the answer.
      if (!result.ok) incoming.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish({ ok: false, problem: tooLarge(limit) });
      else chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, body: joined(chunks, size) });
    const onError = () => finish({ ok: false, problem: { status: 400, title: 'Malformed request', detail: 'the request body could not be read', close: true } });
    const timer = setTimeout(
      () => finish({ ok: false, problem: { status: 408, title: 'Request Timeout', detail: `the request body did not arrive within ${timeoutMs} ms`, close: true } }),
      timeoutMs,
    );
    incoming.on('data', onData);
    incoming.once('end', onEnd);
    incoming.once('error', onError);
    incoming.once('aborted', onError);
  });
}

/** The Node server's IncomingMessage behind a request, when there is one (not under app.request()). */
export function incomingOf(c: { readonly env: unknown }): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return typeof incoming === 'object' && incoming !== null && typeof (incoming as IncomingMessage).on === 'function' ? (incoming as IncomingMessage) : undefined;
}

function tooLarge(limit: number): Problem {
  return { status: 413, title: 'Payload Too Large', detail: `a signed statement is at most ${limit} bytes here`, close: true };
}
