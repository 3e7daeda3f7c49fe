// Reading a request body without trusting its sender: refuse by Content-Length before reading a
// byte, stop at the limit when the length was not announced (a huge body is never buffered), and
// give up on a body that trickles in too slowly.
import type { Problem } from './problems.js';

export type BodyResult = { readonly ok: true; readonly body: Uint8Array } | { readonly ok: false; readonly problem: Problem };

export async function readBody(request: Request, limit: number, timeoutMs: number): Promise<BodyResult> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    const length = /^[0-9]{1,15}$/.test(declared) ? Number(declared) : NaN;
    if (Number.isNaN(length)) return { ok: false, problem: { status: 400, title: 'Malformed request', detail: 'Content-Length is not a number', close: true } };
    if (length > limit) return { ok: false, problem: tooLarge(limit) };
  }
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
  if (chunks.length === 1) return { ok: true, body: chunks[0]! };
  const body = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return { ok: true, body };
}

function tooLarge(limit: number): Problem {
  return { status: 413, title: 'Payload Too Large', detail: `a signed statement is at most ${limit} bytes here`, close: true };
}
