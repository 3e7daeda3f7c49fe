// Fetching a transparency service's public keys (`GET /.well-known/scitt-keys`, a COSE_KeySet as
// application/cbor), once, before verifying offline.
//
// The fetched keys become the trust for the receipts, so the fetch is careful: https anywhere;
// plain http only to a loopback address (127.0.0.0/8, ::1, localhost), or elsewhere only with
// --insecure-http, since anyone on the path could substitute keys; no redirects (a redirect could
// downgrade to http or move to another host: pass the final URL instead); no credentials in the
// URL; a timeout covering the whole exchange; and a response size limit checked while reading.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { CliError, usageError } from './errors.js';
import { formatSize, safeText } from './format.js';
import { LIMITS } from './io.js';

export const WELL_KNOWN_KEYS = '/.well-known/scitt-keys';

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
