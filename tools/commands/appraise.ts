// atlog appraise: ask a service to appraise an agent (POST /appraisals, an operator's token), or
// replay a logged appraisal result: verify it (the service's signature and receipt), fetch the log's
// entries below the tree size it names (GET /entries), check that they are the log's (their root,
// and a consistency receipt to the checkpoint the result's receipt is under), recompute the
// appraisal from them alone and say whether it is identical (exit 0) or how it differs (exit 1).
import type { Command } from 'commander';
import { type AppraisalResult, APPRAISAL_RESULT_MEDIA_TYPE, compareReplay, LogReplay, parseAppraisalResult, resultAgent } from '../../appraisal/index.js';
import { tree } from '../../log/index.js';
import { type CoseKey, decodeCoseKeySet, extractReceipts, parseStatement, registeredStatement } from '../../receipts/index.js';
import { bytesEqual, toHex } from '../../util/index.js';
import { about, aboutAsync, CliError, usageError } from '../errors.js';
import { jsonLine, safeText } from '../format.js';
import { describeStatus, exchange, fetchCbor, keySetUrl, PROBLEM_TYPE, serviceBaseUrl } from '../http.js';
import { loadPublicKeys } from '../keys.js';
import { type Context, LIMITS, checkWritable, readInput, shownPath, writeOutput } from '../io.js';
import { parseTimeout } from '../options.js';
import type { CliCommand, RunState } from '../program.js';

interface AppraiseOptions {
  readonly url: string;
  readonly token?: string;
  readonly from?: string;
  readonly to?: string;
  readonly out?: string;
  readonly force?: boolean;
  readonly replay?: string;
  readonly serviceKeys?: string;
  readonly timeout: number;
  readonly json?: boolean;
  readonly insecureHttp?: boolean;
}

/** Largest answer to POST /appraisals: a result (< 64 KiB) twice, as JSON and inside the statement. */
const MAX_ANSWER = 512 * 1024;
/** Entries per GET /entries page, and the most bytes a page may take (entries are ≤ 64 KiB). */
const PAGE = 500;
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
const ENTRY_ID = /^[0-9a-f]{64}$/;

export const appraise: CliCommand = {
  name: 'appraise',
  register(program: Command, ctx: Context, state: RunState): void {
    program
      .command('appraise')
      .summary('appraise an agent against its behavioral profiles (the service logs the result), or replay a result')
      .description(
        'With AGENT: ask the service at --url to appraise it (POST <url>/appraisals with an operator token), print\n' +
          'the verdict and its findings, and with -o write the signed result with its receipt (a transparent statement).\n' +
          'With --replay RESULT (such a file, or an entry id to fetch from --url): verify the result with the service keys,\n' +
          'fetch the log’s entries below the tree size it was computed on, check they are the log’s (their root, and a\n' +
          'consistency receipt to the result’s checkpoint), recompute the appraisal from them alone, and compare.',
      )
      .argument('[agent]', 'the agent id (spiffe://… or wimse://…) to appraise')
      .requiredOption('--url <url>', 'the service: https://host[:port][/prefix] (http only on loopback)')
      .option('--token <token>', 'an operator bearer token (default: $ATLOG_TOKEN)')
      .option('--from <time>', 'window start, inclusive (RFC 3339)')
      .option('--to <time>', 'window end, exclusive (RFC 3339)')
      .option('-o, --out <file>', 'write the signed result with its receipt (transparent statement) here')
      .option('--force', 'replace --out if it exists')
      .option('--replay <result>', 'replay a result: a transparent statement file, or its entry id (64 hex) on --url')
      .option('--service-keys <file>', 'replay: the service keys to trust (default: fetched from --url)')
      .option('--timeout <seconds>', 'how long each request may take', parseTimeout, 30)
      .option('--json', 'print one line of JSON')
      .option('--insecure-http', 'allow plain http to a host that is not loopback')
      .addHelpText(
        'after',
        '\nExit status: 0 appraised, or a replay identical to the result; 1 a replay that differs (each difference\n' +
          'printed as "path: logged ≠ recomputed"), a refusal (the service’s problem details), a result that does not\n' +
          'verify, entries that are not the log’s; 2 usage. The replay compares everything in the result but its iat.\n' +
          'Trust: without --service-keys the keys are those the service serves now (trust on use).',
      )
      .action(async (agent: string | undefined, options: AppraiseOptions) => {
        const base = serviceBaseUrl(options.url, { option: '--url', insecureHttp: options.insecureHttp === true });
        if (options.replay !== undefined) {
          if (agent !== undefined || options.from !== undefined || options.to !== undefined || options.out !== undefined || options.token !== undefined) {
            throw usageError('--replay takes a result, not an agent, window, --out or --token');
          }
          await replay(ctx, state, base, options);
          return;
        }
        if (agent === undefined) throw usageError('give the AGENT to appraise, or --replay RESULT');
        if (options.serviceKeys !== undefined) throw usageError('--service-keys is for --replay');
        await appraiseAgent(ctx, base, agent, options);
      });
  },
};

async function appraiseAgent(ctx: Context, base: URL, agent: string, options: AppraiseOptions): Promise<void> {
  const token = options.token ?? process.env.ATLOG_TOKEN;
  if (token === undefined || token === '') throw usageError('appraising needs an operator token: --token or $ATLOG_TOKEN (atlog token makes one)');
  if (options.out !== undefined) await checkWritable(ctx, [options.out], options.force === true);
  const body = new TextEncoder().encode(JSON.stringify({ agent, ...(options.from === undefined ? {} : { from: options.from }), ...(options.to === undefined ? {} : { to: options.to }) }));
  const response = await exchange(new URL('appraisals', base), {
    method: 'POST',
    body,
    timeoutMs: options.timeout * 1000,
    maxBytes: MAX_ANSWER,
    headers: { 'content-type': 'application/json', accept: `application/json, ${PROBLEM_TYPE}`, authorization: `Bearer ${token}` },
  });
  if (response.status !== 201) throw new CliError('CLI_NETWORK', `appraisal refused ${describeStatus(response)}`);
  const answer = about('the service’s answer', () => JSON.parse(Buffer.from(response.body).toString('utf8')) as { entryId: string; index: number; transparentStatement: string; result: unknown });
  const result = about('the result in the answer', () => parseAppraisalResult(new TextEncoder().encode(JSON.stringify(answer.result))));
  const transparent = new Uint8Array(Buffer.from(String(answer.transparentStatement), 'base64url'));
  if (options.out !== undefined) await writeOutput(ctx, options.out, transparent, { force: options.force === true, what: '--out' });
  if (options.json === true) {
    ctx.io.stdout.write(`${jsonLine({ entryId: answer.entryId, index: answer.index, treeSize: result['x-atlog.tree_size'], status: result.ear_status, result, out: options.out ?? null })}\n`);
    return;
  }
  ctx.io.stdout.write(verdictLines(result, `entry ${safeText(String(answer.entryId), 64)} (index ${Number(answer.index)})`).join('\n') + '\n');
  if (options.out !== undefined) ctx.io.stdout.write(`wrote ${shownPath(options.out)} (${transparent.length} bytes)\n`);
}

/** The verdict as text: a headline, the vector and profiles, one line per finding. */
function verdictLines(result: AppraisalResult, where: string): string[] {
  const { agent, submod } = resultAgent(result);
  const window = submod['x-atlog.window'];
  const lines = [
    `appraised ${safeText(agent, 200)} at tree size ${result['x-atlog.tree_size']}${window.start === undefined && window.end === undefined ? '' : ` for [${window.start ?? '…'}, ${window.end ?? '…'})`}: ${result.ear_status}; ${where}`,
    `  vector: ${Object.entries(submod.ear_trustworthiness_vector).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  profiles: ${(submod.ear_appraisal_policy_ids ?? ['(none in force)']).map((id) => safeText(id, 200)).join(', ')}`,
  ];
  for (const f of submod['x-atlog.findings']) {
    lines.push(`  ${f.tier} ${f.kind} ${f.rule}${f.count > 1 ? ` ×${f.count}` : ''}: ${safeText(f.detail, 240)} (evidence ${f.evidence.map((e) => e.slice(0, 12)).join(' ')})`);
  }
  if (submod['x-atlog.findings_omitted'] > 0) lines.push(`  … and ${submod['x-atlog.findings_omitted']} more findings not listed in the result`);
  return lines;
}

async function replay(ctx: Context, state: RunState, base: URL, options: AppraiseOptions): Promise<void> {
  const timeoutMs = options.timeout * 1000;
  const given = options.replay!;
  const transparent = ENTRY_ID.test(given) ? await fetchStatement(base, given, timeoutMs) : await readInput(ctx, given, '--replay', LIMITS.statement);
  const what = ENTRY_ID.test(given) ? `the result ${given}` : `--replay ${shownPath(given)}`;
  const keys: CoseKey[] =
    options.serviceKeys !== undefined
      ? await loadPublicKeys(ctx, options.serviceKeys, '--service-keys')
      : await aboutAsync('the service key set', async () =>
          decodeCoseKeySet(await fetchCbor(keySetUrl(`${base.protocol}//${base.host}`, { insecureHttp: options.insecureHttp === true }), { timeoutMs, insecureHttp: options.insecureHttp === true })),
        );

  // The result: the service's own statement, its signature and receipt verified with its keys.
  const { verifyInclusionReceipt, verifyConsistencyReceipt, verifyTransparentStatement } = await import('../../verifier/index.js');
  const verdict = about(what, () => verifyTransparentStatement(transparent, { serviceKeys: keys, issuer: { keys } }));
  if (!verdict.verified) throw new CliError('CLI_INPUT', `${what} does not verify: ${safeText(verdict.failures.map((f) => `${f.part}: ${f.message}`).join('; '), 400)}`);
  const statement = about(what, () => parseStatement(transparent));
  if (statement.contentType !== APPRAISAL_RESULT_MEDIA_TYPE || statement.payload === null) {
    throw new CliError('CLI_INPUT', `${what} is not an appraisal result (content type ${safeText(String(statement.contentType), 80)})`);
  }
  const result = about(what, () => parseAppraisalResult(statement.payload!));
  const { agent } = resultAgent(result);
  if (statement.sub !== agent) throw new CliError('CLI_INPUT', `${what}: its subject ${safeText(statement.sub, 200)} is not the agent it appraises`);
  const entry = registeredStatement(transparent);
  const receipt = extractReceipts(transparent)
    .map((r) => {
      try {
        return verifyInclusionReceipt(r, entry, keys);
      } catch {
        return undefined;
      }
    })
    .find((r) => r !== undefined)!;
  const treeSize = result['x-atlog.tree_size'];
  if (treeSize > receipt.leafIndex) throw new CliError('CLI_INPUT', `${what} claims tree size ${treeSize} but is itself entry ${receipt.leafIndex}`);

  // The log's entries below the tree size, checked to be the log's.
  const appraisal = new LogReplay(agent);
  const leaves: Uint8Array[] = [];
  while (leaves.length < treeSize) {
    const from = leaves.length;
    const response = await exchange(new URL(`entries?from=${from}&limit=${Math.min(PAGE, treeSize - from)}`, base), { timeoutMs, maxBytes: MAX_PAGE_BYTES, headers: { accept: 'application/json' } });
    if (response.status !== 200) throw new CliError('CLI_NETWORK', `GET /entries?from=${from} failed ${describeStatus(response)}`);
    const page = about(`GET /entries?from=${from}`, () => JSON.parse(Buffer.from(response.body).toString('utf8')) as { entries?: { index?: unknown; id?: unknown; statement?: unknown }[] });
    const entries = Array.isArray(page.entries) ? page.entries : [];
    if (entries.length === 0) throw new CliError('CLI_NETWORK', `the log has no entry ${from}, below the result's tree size ${treeSize}`);
    for (const item of entries.slice(0, treeSize - from)) {
      const index = leaves.length;
      const bytes = typeof item.statement === 'string' ? new Uint8Array(Buffer.from(item.statement, 'base64url')) : undefined;
      if (item.index !== index || bytes === undefined) throw new CliError('CLI_NETWORK', `GET /entries: entry ${index} is missing or out of order`);
      const leaf = tree.hashLeaf(bytes);
      if (item.id !== toHex(leaf)) throw new CliError('CLI_INPUT', `GET /entries: entry ${index} does not hash to its id`);
      leaves.push(leaf);
      appraisal.add(bytes);
    }
  }
  const root = merkleRoot(leaves);
  if (treeSize < receipt.treeSize) {
    const proof = await exchange(new URL(`proofs/consistency?from=${treeSize}&to=${receipt.treeSize}`, base), { timeoutMs, maxBytes: 64 * 1024, headers: { accept: 'application/cose' } });
    if (proof.status !== 200) throw new CliError('CLI_NETWORK', `the consistency receipt from ${treeSize} to ${receipt.treeSize} could not be fetched ${describeStatus(proof)}`);
    const consistency = about('the consistency receipt', () => verifyConsistencyReceipt(proof.body, { treeSize, root }, keys));
    if (consistency.treeSize2 !== receipt.treeSize || !bytesEqual(consistency.root, receipt.root)) {
      throw new CliError('CLI_INPUT', `the entries fetched are not the log's: their root at ${treeSize} does not lead to the result's checkpoint at ${receipt.treeSize}`);
    }
  }

  const outcome = compareReplay(result, appraisal);
  const findings = resultAgent(result).submod['x-atlog.findings'].length;
  if (options.json === true) {
    ctx.io.stdout.write(`${jsonLine({ identical: outcome.identical, agent, treeSize, checkpoint: receipt.treeSize, status: result.ear_status, findings, differences: outcome.differences })}\n`);
  } else if (outcome.identical) {
    ctx.io.stdout.write(
      `identical: the appraisal of ${safeText(agent, 200)} (entry index ${receipt.leafIndex}) recomputed from the log's ${treeSize} entries, checked against the checkpoint of size ${receipt.treeSize}: ${result.ear_status}, ${findings} finding${findings === 1 ? '' : 's'}\n`,
    );
  } else {
    ctx.io.stdout.write(`different: the appraisal of ${safeText(agent, 200)} (entry index ${receipt.leafIndex}) recomputed from the log's ${treeSize} entries differs (logged ≠ recomputed):\n`);
    for (const line of outcome.differences) ctx.io.stdout.write(`  ${safeText(line, 400)}\n`);
  }
  if (!outcome.identical) state.exitCode = 1;
}

async function fetchStatement(base: URL, entryId: string, timeoutMs: number): Promise<Uint8Array> {
  const response = await exchange(new URL(`entries/${entryId}/statement`, base), { timeoutMs, maxBytes: LIMITS.statement, headers: { accept: `application/cose, ${PROBLEM_TYPE}` } });
  if (response.status !== 200) throw new CliError('CLI_NETWORK', `the result ${entryId} could not be fetched ${describeStatus(response)}`);
  return response.body;
}

/** The RFC 9162 root of leaf hashes: perfect subtrees kept on a stack, folded right to left. */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return tree.EMPTY_ROOT;
  const stack: { hash: Uint8Array; size: number }[] = [];
  for (const leaf of leaves) {
    let node = { hash: leaf, size: 1 };
    while (stack.length > 0 && stack.at(-1)!.size === node.size) {
      const left = stack.pop()!;
      node = { hash: tree.hashChildren(left.hash, node.hash), size: left.size * 2 };
    }
    stack.push(node);
  }
  let root = stack.pop()!.hash;
  while (stack.length > 0) root = tree.hashChildren(stack.pop()!.hash, root);
  return root;
}
