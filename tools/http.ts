// Fetching a transparency service's public keys (`GET /.well-known/scitt-keys`, a COSE_KeySet as
// application/cbor), once, before verifying offline.
//
// The fetched keys become the trust for the receipts, so the fetch is careful: https anywhere;
// plain http only to a loopback address (127.0.0.0/8, ::1, localhost), or elsewhere only with
// --insecure-http, since anyone on the path could substitute keys; no redirects (a redirect could
// downgrade to http or move to another host: pass the final URL instead); no credentials in the
// URL; a timeout covering the whole exchange; and a response size limit checked while reading.
// Below it, `exchange`: the same care for the requests `register` and `monitor` make.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { decodeCbor } from '../receipts/index.js';
import { CliError, usageError } from './errors.js';
import { formatSize, safeText } from './format.js';
import { LIMITS } from './io.js';

export const WELL_KNOWN_KEYS = '/.well-known/scitt-keys';
/** Where atlog publishes its checkpoint (C2SP note) key, as a COSE_KeySet of one Ed25519 key. */
export const CHECKPOINT_KEYS = '/.well-known/atlog-checkpoint-keys';

export interface FetchOptions {
  readonly timeoutMs: number;
  readonly maxBytes?: number;
  /** Allow plain http to a host that is not loopback. */
  readonly insecureHttp?: boolean;
}

/**
 * The key set URL for a service URL: `https://host[:port][/]` gives
 * `https://host[:port]/.well-known/scitt-keys` (RFC 8615: well-known paths are at the root); the
 * full well-known URL is accepted as it is. Usage errors for anything else.
 */
export function keySetUrl(service: string, options: Pick<FetchOptions, 'insecureHttp'> = {}): URL {
  let url: URL;
  try {
    url = new URL(service);
  } catch {
    throw usageError(`--service must be a URL such as https://atlog.example, not ${JSON.stringify(safeText(service, 80))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError('--service must be an https:// (or loopback http://) URL');
  if (url.username !== '' || url.password !== '') throw usageError('--service must not carry credentials');
  if (url.search !== '' || url.hash !== '') throw usageError('--service must not have a query or a fragment');
  if (url.pathname !== '/' && url.pathname !== WELL_KNOWN_KEYS) {
    throw usageError(`--service is the service's base URL (its key set is at ${WELL_KNOWN_KEYS} under the root), without a path`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && options.insecureHttp !== true) {
    throw usageError('--service over plain http is allowed only to a loopback address; use https, or add --insecure-http');
  }
  return new URL(WELL_KNOWN_KEYS, url);
}

function isLoopback(hostname: string): boolean {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

/** GETs `url`, expecting a 200 CBOR body; returns its bytes. CLI_NETWORK for everything that goes wrong. */
export function fetchCbor(url: URL, options: FetchOptions): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? LIMITS.keySetResponse;
  const shown = safeText(url.href, 200);
  const fail = (message: string) => new CliError('CLI_NETWORK', `${shown}: ${message}`);
  return new Promise<Uint8Array>((resolve, reject) => {
    let settled = false;
    const finish = (error: CliError | undefined, body?: Uint8Array) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      if (error === undefined) resolve(body!);
      else reject(error);
    };
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      agent: false, // no pooled connection outlives the command
      headers: { accept: 'application/cbor, application/cose-key-set', 'user-agent': 'atlog-cli' },
    });
    const timer = setTimeout(() => finish(fail(`no complete response within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish(fail(`request failed (${error.code ?? error.message})`)));
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        finish(fail(`redirected (HTTP ${status}); atlog does not follow redirects, pass the final URL`));
        return;
      }
      if (status !== 200) {
        finish(fail(`HTTP ${status}${response.statusMessage ? ` ${safeText(response.statusMessage, 60)}` : ''}`));
        return;
      }
      const type = (response.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/cbor' && type !== 'application/cose-key-set') {
        finish(fail(`the response is ${type === '' ? 'untyped' : safeText(type, 60)}, not application/cbor`));
        return;
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        finish(fail(`the response is larger than the limit of ${formatSize(maxBytes)}`));
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBytes) finish(fail(`the response is larger than the limit of ${formatSize(maxBytes)}`));
        else chunks.push(chunk);
      });
      response.on('error', () => finish(fail('the response was cut off')));
      response.on('aborted', () => finish(fail('the response was cut off')));
      response.on('end', () => finish(undefined, new Uint8Array(Buffer.concat(chunks, total))));
    });
    request.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Talking to a service: `register` (SCRAPI POST /entries and GET /entries/{id}) and `monitor`
// (the C2SP checkpoint and tiles). Same rules as the key set fetch above: https, or plain http to
// loopback (or with --insecure-http); no credentials, query or fragment; a timeout and a size
// limit on every response, checked while reading. Redirects are never followed here: the caller
// sees every 3xx and decides (register follows SCRAPI's 303 and 302, on the same origin only).

/** Problem details (RFC 9290, CBOR), as SCRAPI sends them on every 4xx and 5xx. */
export const PROBLEM_TYPE = 'application/concise-problem-details+cbor';

/** Most bytes read of an error response (problem details); a larger one is reported without its detail. */
export const MAX_ERROR_BODY = 16 * 1024;

/**
 * A service's base URL from `--url`: the same rules as {@link keySetUrl}, but a path is allowed as
 * a prefix (tlog-tiles serves under a prefix; SCRAPI routes sit under the service's base). The
 * result ends in `/`, so `new URL('entries', base)` is the endpoint under the prefix.
 */
export function serviceBaseUrl(text: string, options: { readonly option: string; readonly insecureHttp?: boolean }): URL {
  const { option } = options;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${option} must be a URL such as https://atlog.example, not ${JSON.stringify(safeText(text, 80))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw usageError(`${option} must be an https:// (or loopback http://) URL`);
  if (url.username !== '' || url.password !== '') throw usageError(`${option} must not carry credentials`);
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    throw usageError(`${option} must not have a query or a fragment`);
  }
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && options.insecureHttp !== true) {
    throw usageError(`${option} over plain http is allowed only to a loopback address; use https, or add --insecure-http`);
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

export interface HttpResponse {
  readonly url: URL;
  readonly status: number;
  /** The reason phrase, escaped and bounded. */
  readonly statusText: string;
  /** The media type of Content-Type, lower-cased, without parameters ('' when absent). */
  readonly type: string;
  readonly headers: IncomingMessage['headers'];
  /** The body: up to `maxBytes` for a 2xx; up to {@link MAX_ERROR_BODY} (else empty) for any other status. */
  readonly body: Uint8Array;
}

export interface ExchangeOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Largest 2xx body accepted; a larger one is a CLI_NETWORK error. */
  readonly maxBytes: number;
}

/**
 * One HTTP request, no redirect followed, nothing pooled. Resolves with any status (the caller
 * reads problem details and redirects); rejects with CLI_NETWORK for the connection, the timeout
 * (covering the whole exchange) and a 2xx body over `maxBytes`.
 */
export function exchange(url: URL, options: ExchangeOptions): Promise<HttpResponse> {
  const shown = safeText(url.href, 200);
  const fail = (message: string) => new CliError('CLI_NETWORK', `${shown}: ${message}`);
  const method = options.method ?? 'GET';
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (error: CliError | undefined, response?: HttpResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      if (error === undefined) resolve(response!);
      else reject(error);
    };
    const headers: Record<string, string> = { 'user-agent': 'atlog-cli', ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(options.body.length);
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, agent: false, headers });
    const timer = setTimeout(() => finish(fail(`no complete response within ${Math.round(options.timeoutMs / 100) / 10} s`)), options.timeoutMs);
    // An error status already received is the answer, even if the connection then breaks: a
    // service refusing a large body (413) may close it while the body is still being sent.
    let refusal: Omit<HttpResponse, 'body'> | undefined;
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (refusal !== undefined) finish(undefined, { ...refusal, body: new Uint8Array(0) });
      else finish(fail(`request failed (${safeText(error.code ?? error.message, 80)})`));
    });
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const success = status >= 200 && status < 300;
      const limit = success ? options.maxBytes : MAX_ERROR_BODY;
      const base = {
        url,
        status,
        statusText: safeText(response.statusMessage ?? '', 60),
        type: mediaTypeOf(response.headers['content-type']),
        headers: response.headers,
      };
      if (status >= 400) refusal = base;
      const tooLarge = () => {
        if (success) finish(fail(`the response is larger than the limit of ${formatSize(limit)}`));
        // An error whose body is too large is still the error: report it without its detail.
        else finish(undefined, { ...base, body: new Uint8Array(0) });
      };
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > limit) {
        tooLarge();
        return;
      }
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > limit) tooLarge();
        else chunks.push(chunk);
      });
      const cutOff = () => (refusal !== undefined ? finish(undefined, { ...base, body: new Uint8Array(0) }) : finish(fail('the response was cut off')));
      response.on('error', cutOff);
      response.on('aborted', cutOff);
      response.on('end', () => finish(undefined, { ...base, body: new Uint8Array(Buffer.concat(chunks, total)) }));
    });
    request.end(options.body === undefined ? undefined : Buffer.from(options.body.buffer, options.body.byteOffset, options.body.byteLength));
  });
}

function mediaTypeOf(header: string | undefined): string {
  return (header ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * `(400 Rejected): <detail>` for a response with problem details; `(HTTP 404 Not Found)` for one
 * without (or with a body that is not problem details). Title and detail are escaped and bounded.
 */
export function describeStatus(response: HttpResponse): string {
  const problem = response.type === PROBLEM_TYPE ? problemDetails(response.body) : undefined;
  if (problem === undefined) return `(HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`})`;
  const title = problem.title === undefined ? `HTTP ${response.status}` : `${response.status} ${safeText(problem.title, 80)}`;
  return problem.detail === undefined ? `(${title})` : `(${title}): ${safeText(problem.detail, 300)}`;
}

/** Title (-1) and detail (-2) of concise problem details, when the body is a CBOR map holding them. */
export function problemDetails(body: Uint8Array): { title?: string; detail?: string } | undefined {
  let value: unknown;
  try {
    value = decodeCbor(body, { maxBytes: MAX_ERROR_BODY, maxDepth: 4, maxItems: 32, maxStringBytes: 4096, tags: [] });
  } catch {
    return undefined;
  }
  if (!(value instanceof Map)) return undefined;
  const title = value.get(-1);
  const detail = value.get(-2);
  return {
    ...(typeof title === 'string' ? { title } : {}),
    ...(typeof detail === 'string' ? { detail } : {}),
  };
}

/** Most seconds a Retry-After is honoured for: a longer one is waited this long. */
export const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * Retry-After in seconds (RFC 9110 §10.2.3: delta-seconds or an HTTP-date), capped at
 * {@link MAX_RETRY_AFTER_SECONDS}; undefined when absent or unreadable.
 */
export function retryAfterSeconds(response: HttpResponse, now: Date): number | undefined {
  const header = response.headers['retry-after'];
  const text = (Array.isArray(header) ? header[0] : header)?.trim();
  if (text === undefined || text === '') return undefined;
  if (/^\d{1,10}$/.test(text)) return Math.min(Number(text), MAX_RETRY_AFTER_SECONDS);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, (date - now.getTime()) / 1000), MAX_RETRY_AFTER_SECONDS);
}
