// atlog register: registers a signed statement with a transparency service over SCRAPI and writes
// the transparent statement (the statement as given, its receipt in label 394). POST /entries
// answers 201 with the receipt, or 303 to an entry whose GET answers 302 while the receipt is
// pending and 200 with it; register follows both, honouring Retry-After, within one overall
// timeout. 429 and 503 are retried the same way. Everything else is one line and exit 1.

import type { Command } from 'commander';
import { attachReceipts, parseReceipt, type Receipt, RECEIPT_LIMITS, registeredStatement } from '../../receipts/index.js';
import { CliError, about, usageError } from '../errors.js';
import { formatSize, jsonLine, safeText } from '../format.js';
import {
  describeStatus,
  exchange,
  type HttpResponse,
  MAX_RETRY_AFTER_SECONDS,
  PROBLEM_TYPE,
  retryAfterSeconds,
  serviceBaseUrl,
} from '../http.js';
import { type Context, LIMITS, checkWritable, readInput, shownPath, writeOutput } from '../io.js';
import { parseTimeout } from '../options.js';
import type { CliCommand } from '../program.js';

interface RegisterOptions {
  readonly url: string;
  readonly out: string;
  readonly force?: boolean;
  readonly timeout: number;
  readonly json?: boolean;
  readonly insecureHttp?: boolean;
}

const COSE = 'application/cose';
/** A receipt is at most this large (the receipt decoder's own limit). */
const MAX_RECEIPT = RECEIPT_LIMITS.maxBytes;
/** Wait when a 302/303 names no Retry-After. */
const DEFAULT_POLL_SECONDS = 1;
/** Never poll faster than this, whatever Retry-After says (a `Retry-After: 0` loop is a busy loop). */
const MIN_WAIT_SECONDS = 0.2;
/** Most requests one registration makes: with the minimum wait, a 300 s timeout allows 1500. */
const MAX_REQUESTS = 2000;
/** Statuses that mean "not now": retried with Retry-After (or a doubling backoff) within the timeout. */
const RETRYABLE = new Set([429, 503]);

export const register: CliCommand = {
  name: 'register',
  register(program: Command, ctx: Context): void {
    program
      .command('register')
      .summary('register a signed statement with a transparency service (SCRAPI) and write the transparent statement')
      .description(
        'Register STATEMENT (a signed statement, or a transparent statement to register again) with the service at ' +
          '--url: POST <url>/entries as application/cose, follow 303 and 302 to the entry (same origin only, honouring ' +
          'Retry-After) until the receipt is issued, and write the transparent statement (the statement as given, the ' +
          'receipt added to label 394) to --out. Prints one line: entry id, tree size, leaf index, location.',
      )
      .argument('<statement>', 'the signed statement (COSE_Sign1), or - to read stdin')
      .requiredOption('--url <url>', 'the service: https://host[:port][/prefix] (http only on loopback)')
      .requiredOption('-o, --out <file>', 'where to write the transparent statement')
      .option('--force', 'replace the output file if it exists')
      .option('--timeout <seconds>', 'how long the whole registration may take, waits included', parseTimeout, 30)
      .option('--json', 'print the result as one line of JSON')
      .option('--insecure-http', 'allow plain http to a host that is not loopback')
      .addHelpText(
        'after',
        '\nRefusals are one line with the service’s problem details, exit 1:\n' +
          '  atlog: registration refused (400 Rejected): <detail>\n' +
          `429 and 503 are retried after Retry-After (capped at ${MAX_RETRY_AFTER_SECONDS} s; without it 1 s, doubling) ` +
          'until --timeout, then reported. A receipt not ready by --timeout is reported with its location, to fetch later.\n' +
          'Redirects: only 303 (from POST) and 302 (pending entry), only to the same origin as --url.\n' +
          `Limits: statement ${formatSize(LIMITS.statement)}; receipt ${formatSize(MAX_RECEIPT)}; ` +
          `problem details 16 KiB; the receipt must parse as an RFC 9942 receipt before anything is written.\n` +
          'The receipt is not verified here: run `atlog verify` with the service’s keys.',
      )
      .action(async (statementPath: string, options: RegisterOptions) => {
        if (options.out === '-') throw usageError('--out must be a file');
        const base = serviceBaseUrl(options.url, { option: '--url', insecureHttp: options.insecureHttp === true });
        await checkWritable(ctx, [options.out], options.force === true);
        const statement = await readInput(ctx, statementPath, 'statement', LIMITS.statement);
        // Refuse what cannot be a statement before sending it anywhere.
        about(`statement ${shownPath(statementPath)}`, () => registeredStatement(statement));

        const result = await registerStatement(ctx, base, statement, options.timeout * 1000);
        const transparent = about('cannot attach the receipt', () => attachReceipts(statement, [result.receiptBytes]));
        await writeOutput(ctx, options.out, transparent, { force: options.force === true, what: '--out' });

        const proof = result.receipt.inclusionProofs[0]!;
        const entryId = result.location === undefined ? undefined : entryIdOf(result.location);
        if (options.json === true) {
          ctx.io.stdout.write(
            `${jsonLine({
              entryId: entryId ?? null,
              treeSize: proof.treeSize,
              leafIndex: proof.leafIndex,
              location: result.location?.href ?? null,
              out: options.out,
              bytes: transparent.length,
            })}\n`,
          );
        } else {
          ctx.io.stdout.write(
            `registered: entry ${entryId === undefined ? '(no location given)' : safeText(entryId, 100)}, ` +
              `tree size ${proof.treeSize}, leaf index ${proof.leafIndex}, ` +
              `location ${result.location === undefined ? '-' : safeText(result.location.href, 200)}; ` +
              `wrote ${shownPath(options.out)} (${transparent.length} bytes)\n`,
          );
        }
      });
  },
};

export interface Registered {
  readonly receiptBytes: Uint8Array;
  readonly receipt: Receipt;
  readonly location?: URL;
}

/**
 * The SCRAPI exchange: POST, then GETs to the entry while it is pending, retries on 429 and 503,
 * all before `deadline`. Each request gets what is left of the timeout.
 */
export async function registerStatement(ctx: Context, base: URL, statement: Uint8Array, timeoutMs: number): Promise<Registered> {
  const deadline = Date.now() + timeoutMs;
  const entries = new URL('entries', base);
  let target = entries;
  let method: 'POST' | 'GET' = 'POST';
  let backoff = 1;
  let last: HttpResponse | undefined;

  for (let requests = 0; requests < MAX_REQUESTS; requests++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const response = await exchange(target, {
      method,
      timeoutMs: left,
      maxBytes: MAX_RECEIPT,
      headers:
        method === 'POST'
          ? { 'content-type': COSE, accept: `${COSE}, ${PROBLEM_TYPE}` }
          : { accept: `${COSE}, ${PROBLEM_TYPE}` },
      ...(method === 'POST' ? { body: statement } : {}),
    });
    last = response;
    let wait: number;

    if ((method === 'POST' && response.status === 201) || (method === 'GET' && response.status === 200)) {
      // The Location of a 200/201 is only shown, never followed: one that leaves the origin is ignored.
      const given = response.headers.location === undefined ? undefined : sameOriginOrUndefined(response, base);
      const location = given ?? (method === 'GET' ? target : undefined);
      return { ...receiptOf(response), ...(location === undefined ? {} : { location }) };
    } else if ((method === 'POST' && response.status === 303) || (method === 'GET' && (response.status === 302 || response.status === 303))) {
      // Pending: poll the entry. A missing Location has nowhere to go.
      if (response.headers.location === undefined) {
        throw new CliError('CLI_NETWORK', `${safeText(target.href, 200)}: HTTP ${response.status} without a Location`);
      }
      target = sameOrigin(response, base);
      method = 'GET';
      wait = retryAfterSeconds(response, ctx.now()) ?? DEFAULT_POLL_SECONDS;
    } else if (RETRYABLE.has(response.status)) {
      wait = retryAfterSeconds(response, ctx.now()) ?? Math.min(backoff, MAX_RETRY_AFTER_SECONDS);
      backoff *= 2;
    } else if (response.status >= 300 && response.status < 400) {
      throw new CliError(
        'CLI_NETWORK',
        `${safeText(target.href, 200)}: redirected (HTTP ${response.status}); atlog follows only SCRAPI's 303 (registration) and 302 (pending entry)`,
      );
    } else if (method === 'GET' && response.status >= 400) {
      // The registration was accepted; its entry is now unknown, or the service failed.
      throw new CliError('CLI_NETWORK', `the pending registration at ${safeText(target.href, 200)} failed ${describeStatus(response)}`);
    } else if (response.status >= 400 && response.status < 500) {
      throw new CliError('CLI_NETWORK', `registration refused ${describeStatus(response)}`);
    } else if (response.status >= 500) {
      throw new CliError('CLI_NETWORK', `registration failed ${describeStatus(response)}`);
    } else {
      throw new CliError('CLI_NETWORK', `${safeText(target.href, 200)}: unexpected HTTP ${response.status} ${describeStatus(response)}`);
    }

    const waitMs = Math.max(wait, MIN_WAIT_SECONDS) * 1000;
    if (Date.now() + waitMs >= deadline) break;
    await sleep(waitMs);
  }

  const seconds = timeoutMs / 1000;
  if (last !== undefined && RETRYABLE.has(last.status)) {
    throw new CliError('CLI_NETWORK', `registration failed ${describeStatus(last)}; gave up after --timeout ${seconds} s`);
  }
  if (method === 'GET') {
    throw new CliError(
      'CLI_NETWORK',
      `the receipt was not ready within --timeout ${seconds} s; the registration is pending at ${safeText(target.href, 200)}`,
    );
  }
  throw new CliError('CLI_NETWORK', `${safeText(entries.href, 200)}: no answer within --timeout`);
}

/** The receipt in a 200/201: application/cose, and an RFC 9942 receipt with an inclusion proof. */
function receiptOf(response: HttpResponse): { receiptBytes: Uint8Array; receipt: Receipt } {
  const where = safeText(response.url.href, 200);
  if (response.type !== COSE) {
    throw new CliError('CLI_NETWORK', `${where}: the response is ${response.type === '' ? 'untyped' : safeText(response.type, 60)}, not ${COSE}`);
  }
  const receipt = about(`the receipt from ${where}`, () => parseReceipt(response.body));
  if (receipt.inclusionProofs.length === 0) throw new CliError('CLI_INPUT', `the receipt from ${where} has no inclusion proof`);
  return { receiptBytes: response.body, receipt };
}

/**
 * The Location of a response, resolved against the request URL, if it stays on the origin of
 * --url (same scheme, host and port): a redirect elsewhere could send the client, or the
 * statement, to a host the user never named, or downgrade it to http.
 */
function sameOrigin(response: HttpResponse, base: URL): URL {
  const header = response.headers.location!;
  let location: URL;
  try {
    location = new URL(header, response.url);
  } catch {
    throw new CliError('CLI_NETWORK', `${safeText(response.url.href, 200)}: Location ${JSON.stringify(safeText(header, 100))} is not a URL`);
  }
  if (location.origin !== base.origin || location.username !== '' || location.password !== '') {
    throw new CliError(
      'CLI_NETWORK',
      `${safeText(response.url.href, 200)}: Location ${safeText(location.href, 200)} leaves ${safeText(base.origin, 100)}; not followed`,
    );
  }
  location.hash = '';
  return location;
}

function sameOriginOrUndefined(response: HttpResponse, base: URL): URL | undefined {
  try {
    return sameOrigin(response, base);
  } catch {
    return undefined;
  }
}

/** The entry id: the last path segment of the entry's location (SCRAPI's locator; atlog's is the leaf hash in hex). */
function entryIdOf(location: URL): string {
  const segment = location.pathname.split('/').filter((s) => s !== '').at(-1) ?? '';
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
