// atlog trace: a workflow as an indented tree of tasks, with each task's domain, agent, action,
// outcome, entry id and receipt. The graph comes from the service (GET /workflows/{wid}/graph);
// every task's transparent statement is then fetched and verified offline against the service's
// published key set, and checked to be the task the graph says (the entry id is its leaf hash, the
// receipt's leaf index its index, its payload's jti and wid the task id and workflow), so the tree
// shows which tasks the log proves and which it does not.

import type { Command } from 'commander';
import { type CoseKey, decodeCoseKeySet, parseStatement, statementLeafHash } from '../../receipts/index.js';
import { parseAgentPayload } from '../../statements/index.js';
import { toHex } from '../../util/index.js';
import { about, CliError, EXIT, usageError } from '../errors.js';
import { jsonLine, safeText } from '../format.js';
import { describeStatus, exchange, fetchCbor, keySetUrl, serviceBaseUrl } from '../http.js';
import { type Context, LIMITS } from '../io.js';
import { parseTimeout } from '../options.js';
import type { CliCommand, RunState } from '../program.js';

interface TraceOptions {
  readonly url: string;
  readonly timeout: number;
  readonly concurrency: string;
  readonly json?: boolean;
  readonly insecureHttp?: boolean;
}

/** Most bytes of a graph read; most tasks traced (each is a request). */
export const TRACE_LIMITS = Object.freeze({ graphBytes: 64 * 1024 * 1024, tasks: 10_000, indent: 40 });

interface GraphTask {
  readonly entryId: string;
  readonly index: number;
  readonly tid: string;
  readonly wid: string;
  readonly domain?: string;
  readonly agent?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly foreign: boolean;
}
interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  readonly rel?: string;
  readonly crossDomain: boolean;
  readonly crossWorkflow: boolean;
}
interface Graph {
  readonly treeSize: number;
  readonly tasks: readonly GraphTask[];
  readonly edges: readonly GraphEdge[];
  readonly violations: readonly { readonly kind: string; readonly message: string; readonly entries: readonly string[] }[];
  readonly violationCount: number;
  readonly dangling: readonly { readonly task: string; readonly tid: string; readonly foreign: boolean; readonly domain?: string; readonly via: string }[];
  readonly danglingCount: number;
  readonly stats: { readonly domains: readonly string[] };
}

type ReceiptCheck = { readonly verified: true; readonly treeSize: number; readonly leafIndex: number } | { readonly verified: false; readonly reason: string };

export const trace: CliCommand = {
  name: 'trace',
  register(program: Command, ctx: Context, state: RunState): void {
    program
      .command('trace')
      .summary('print a workflow as a tree of tasks across domains, each receipt verified offline')
      .description(
        'Fetch the graph of workflow <wid> from the service at --url (GET /workflows/<wid>/graph) and print it as an\n' +
          'indented tree: each task with its domain, agent, action, outcome and entry id, cross-domain edges marked,\n' +
          'then the ECT violations and dangling parents. Every task’s transparent statement is fetched and its receipt\n' +
          'verified offline against the service’s key set, and the statement checked to be that task; each line says\n' +
          'whether it verified. Exit 0 when every receipt verified, 1 otherwise.',
      )
      .argument('<wid>', 'the workflow id (ECT wid)')
      .requiredOption('--url <url>', 'the service (https, or http on loopback)')
      .option('--timeout <seconds>', 'how long each request may take', parseTimeout, 30)
      .option('--concurrency <n>', 'statements fetched at once', '8')
      .option('--json', 'print the graph and each task’s receipt check as one line of JSON')
      .option('--insecure-http', 'allow plain http to a host that is not loopback')
      .addHelpText('after', `\nLimits: the graph ${TRACE_LIMITS.graphBytes / 2 ** 20} MiB and ${TRACE_LIMITS.tasks} tasks; each statement ${LIMITS.statement / 2 ** 20} MiB.`)
      .action(async (wid: string, options: TraceOptions) => {
        state.exitCode = await run(wid, options, ctx);
      });
  },
};

async function run(wid: string, options: TraceOptions, ctx: Context): Promise<number> {
  if (!/^[A-Za-z0-9._~:-]{1,128}$/.test(wid)) throw usageError('the workflow id is 1 to 128 of A-Z a-z 0-9 . _ ~ : -');
  const concurrency = /^[0-9]{1,3}$/.test(options.concurrency) ? Number(options.concurrency) : NaN;
  if (!(concurrency >= 1 && concurrency <= 64)) throw usageError('--concurrency must be a whole number from 1 to 64');
  const insecureHttp = options.insecureHttp === true;
  const base = serviceBaseUrl(options.url, { option: '--url', insecureHttp });
  const timeoutMs = options.timeout * 1000;

  const graph = await fetchGraph(base, wid, timeoutMs);
  const keysUrl = keySetUrl(new URL('/', base).href, { insecureHttp });
  const keySet = await fetchCbor(keysUrl, { timeoutMs, insecureHttp });
  const serviceKeys = about(`the key set from ${safeText(keysUrl.href, 200)}`, () => decodeCoseKeySet(keySet, { maxBytes: LIMITS.keySetResponse }));
  if (serviceKeys.length === 0) throw new CliError('CLI_NETWORK', `the key set from ${safeText(keysUrl.href, 200)} is empty`);

  const { verifyTransparentStatement } = await import('../../verifier/index.js');
  const checks = new Map<string, ReceiptCheck>();
  let next = 0;
  const worker = async () => {
    while (next < graph.tasks.length) {
      const task = graph.tasks[next++]!;
      checks.set(task.entryId, await checkTask(base, task, serviceKeys, timeoutMs, verifyTransparentStatement));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, graph.tasks.length) }, worker));
  const verified = [...checks.values()].filter((c) => c.verified).length;

  if (options.json === true) {
    ctx.io.stdout.write(
      `${jsonLine({
        workflow: wid,
        treeSize: graph.treeSize,
        keySet: keysUrl.href,
        verified,
        tasks: graph.tasks.map((task) => ({ ...task, receipt: checks.get(task.entryId)! })),
        edges: graph.edges,
        violations: graph.violations,
        violationCount: graph.violationCount,
        dangling: graph.dangling,
        danglingCount: graph.danglingCount,
      })}\n`,
    );
  } else {
    ctx.io.stdout.write(`${render(wid, graph, checks, keysUrl).join('\n')}\n`);
  }
  return verified === graph.tasks.length ? EXIT.OK : EXIT.FAILURE;
}

async function fetchGraph(base: URL, wid: string, timeoutMs: number): Promise<Graph> {
  const url = new URL(`workflows/${encodeURIComponent(wid)}/graph`, base);
  const response = await exchange(url, { headers: { accept: 'application/json' }, timeoutMs, maxBytes: TRACE_LIMITS.graphBytes });
  const shown = safeText(url.href, 200);
  if (response.status !== 200) throw new CliError('CLI_NETWORK', `the graph of workflow ${wid} at ${shown}: ${describeStatus(response)}`);
  if (response.type !== 'application/json') throw new CliError('CLI_NETWORK', `${shown}: the response is ${safeText(response.type || 'untyped', 60)}, not application/json`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(response.body).toString('utf8'));
  } catch {
    throw new CliError('CLI_NETWORK', `${shown}: the response is not JSON`);
  }
  const graph = readGraph(value);
  if (graph === undefined) throw new CliError('CLI_NETWORK', `${shown}: the response is not a workflow graph`);
  if (graph.tasks.length > TRACE_LIMITS.tasks) throw new CliError('CLI_INPUT', `workflow ${wid} has ${graph.tasks.length} tasks; atlog trace shows at most ${TRACE_LIMITS.tasks}`);
  return graph;
}

/** The graph, if the answer has the members trace reads, of the types it reads them as. */
function readGraph(value: unknown): Graph | undefined {
  const g = value as Graph;
  const text = (v: unknown) => typeof v === 'string';
  const id = (v: unknown) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
  const optional = (v: unknown) => v === undefined || typeof v === 'string';
  if (typeof g !== 'object' || g === null || !Number.isSafeInteger(g.treeSize) || !Array.isArray(g.tasks) || !Array.isArray(g.edges)) return undefined;
  if (!Array.isArray(g.violations) || !Array.isArray(g.dangling) || !Number.isSafeInteger(g.violationCount) || !Number.isSafeInteger(g.danglingCount)) return undefined;
  if (!g.tasks.every((t) => typeof t === 'object' && t !== null && id(t.entryId) && Number.isSafeInteger(t.index) && text(t.tid) && text(t.wid) && optional(t.domain) && optional(t.agent) && optional(t.action) && optional(t.outcome))) return undefined;
  const ids = new Set(g.tasks.map((t) => t.entryId));
  if (!g.edges.every((e) => typeof e === 'object' && e !== null && ids.has(e.from) && ids.has(e.to) && text(e.kind) && optional(e.rel))) return undefined;
  if (!g.violations.every((v) => typeof v === 'object' && v !== null && text(v.kind) && text(v.message))) return undefined;
  if (!g.dangling.every((d) => typeof d === 'object' && d !== null && id(d.task) && text(d.tid))) return undefined;
  return g;
}

/** Fetches the task's transparent statement and verifies that it is that task, in the log at its index. */
async function checkTask(
  base: URL,
  task: GraphTask,
  serviceKeys: readonly CoseKey[],
  timeoutMs: number,
  verify: (typeof import('../../verifier/index.js'))['verifyTransparentStatement'],
): Promise<ReceiptCheck> {
  const url = new URL(`entries/${task.entryId}/statement`, base);
  let bytes: Uint8Array;
  try {
    const response = await exchange(url, { timeoutMs, maxBytes: LIMITS.statement });
    if (response.status !== 200) return { verified: false, reason: `the statement could not be fetched ${describeStatus(response)}` };
    bytes = response.body;
  } catch (error) {
    if (error instanceof CliError) return { verified: false, reason: error.message };
    throw error;
  }
  try {
    const verdict = verify(bytes, { serviceKeys });
    if (!verdict.verified) return { verified: false, reason: verdict.failures.map((f) => `${f.part}: ${f.code}`).join('; ') };
    const receipt = verdict.receipts.find((r) => r.status === 'verified')!;
    if (toHex(statementLeafHash(bytes)) !== task.entryId) return { verified: false, reason: 'the statement is not this entry (its leaf hash differs)' };
    if (receipt.leafIndex !== task.index) return { verified: false, reason: `the receipt proves leaf index ${receipt.leafIndex}, not ${task.index}` };
    const payload = parseStatement(bytes).payload;
    const ect = payload === null ? undefined : parseAgentPayload('exec-audit', payload);
    if (ect === undefined || ect.jti !== task.tid || ect.wid !== task.wid) return { verified: false, reason: 'the statement is not this task (its jti or wid differs)' };
    return { verified: true, treeSize: receipt.treeSize!, leafIndex: receipt.leafIndex! };
  } catch (error) {
    return { verified: false, reason: safeText(error instanceof Error ? error.message : String(error), 200) };
  }
}

/** The tree: roots first, each task under the first parent it is reached from; later parents point back to it. */
function render(wid: string, graph: Graph, checks: ReadonlyMap<string, ReceiptCheck>, keysUrl: URL): string[] {
  const byId = new Map(graph.tasks.map((t) => [t.entryId, t]));
  const children = new Map<string, GraphEdge[]>();
  const hasParent = new Set<string>();
  const position = new Map(graph.tasks.map((t, i) => [t.entryId, i]));
  for (const edge of graph.edges) {
    children.set(edge.from, [...(children.get(edge.from) ?? []), edge]);
    hasParent.add(edge.to);
  }
  for (const list of children.values()) list.sort((a, b) => position.get(a.to)! - position.get(b.to)!);
  const crossDomain = graph.edges.filter((e) => e.crossDomain).length;
  const lines = [
    `workflow ${safeText(wid, 128)}: ${graph.tasks.length} task${graph.tasks.length === 1 ? '' : 's'} in ${graph.stats.domains.length} domain${graph.stats.domains.length === 1 ? '' : 's'} (${graph.stats.domains.map((d) => safeText(d, 100)).join(', ')}), ` +
      `${graph.edges.length} edges (${crossDomain} cross-domain), tree size ${graph.treeSize}`,
  ];
  const printed = new Set<string>();
  const line = (task: GraphTask, depth: number, edge: GraphEdge | undefined, again: boolean) => {
    const indent = '  '.repeat(Math.min(depth, TRACE_LIMITS.indent)) + (depth > TRACE_LIMITS.indent ? `(depth ${depth}) ` : '');
    const via = edge === undefined ? '' : edge.kind === 'parent' ? '└─ ' : `└┄ [${[edge.rel ?? 'par', edge.crossDomain ? 'cross-domain' : '', edge.crossWorkflow ? 'cross-workflow' : ''].filter((p) => p !== '').join(', ')}] `;
    if (again) return `${indent}${via}${safeText(task.tid, 128)} (shown above)`;
    const check = checks.get(task.entryId)!;
    const receipt = check.verified ? `receipt verified (tree size ${check.treeSize}, leaf ${check.leafIndex})` : `receipt NOT VERIFIED: ${safeText(check.reason, 200)}`;
    const parts = [
      safeText(task.tid, 128),
      task.foreign ? `(workflow ${safeText(task.wid, 128)})` : '',
      safeText(task.domain ?? '-', 100),
      safeText(task.agent ?? '-', 200),
      safeText(task.action ?? '-', 100),
      safeText(task.outcome ?? '-', 20),
      `entry ${task.entryId}`,
      receipt,
    ].filter((p) => p !== '');
    return `${indent}${via}${parts.join('  ')}`;
  };
  // Depth first with an explicit stack: a chain of thousands of tasks must not exhaust the call stack.
  const walk = (root: GraphTask) => {
    const stack: { task: GraphTask; depth: number; edge?: GraphEdge }[] = [{ task: root, depth: 0 }];
    while (stack.length > 0) {
      const { task, depth, edge } = stack.pop()!;
      if (printed.has(task.entryId)) {
        lines.push(line(task, depth, edge, true));
        continue;
      }
      printed.add(task.entryId);
      lines.push(line(task, depth, edge, false));
      const out = children.get(task.entryId) ?? [];
      for (let i = out.length - 1; i >= 0; i--) stack.push({ task: byId.get(out[i]!.to)!, depth: depth + 1, edge: out[i]! });
    }
  };
  for (const task of graph.tasks) if (!hasParent.has(task.entryId)) walk(task);
  // What no root reaches lies on a cycle: start from its first task in causal order.
  for (const task of graph.tasks) if (!printed.has(task.entryId)) walk(task);

  const failed = graph.tasks.filter((t) => !checks.get(t.entryId)!.verified);
  lines.push(
    `receipts: ${graph.tasks.length - failed.length} of ${graph.tasks.length} verified offline against the key set of ${safeText(keysUrl.href, 200)}` +
      (failed.length === 0 ? '' : `; NOT VERIFIED: ${failed.map((t) => safeText(t.tid, 128)).join(', ')}`),
  );
  if (graph.violationCount > 0) {
    lines.push(`violations (${graph.violationCount}):`);
    for (const v of graph.violations) lines.push(`  ${safeText(v.kind, 40)}: ${safeText(v.message, 300)}`);
  }
  if (graph.danglingCount > 0) {
    lines.push(`dangling (${graph.danglingCount}):`);
    for (const d of graph.dangling) {
      const child = byId.get(d.task);
      lines.push(`  ${safeText(child?.tid ?? d.task, 128)} names ${d.via === 'par' ? 'parent' : 'linked task'} ${safeText(d.tid, 128)}${d.domain === undefined ? '' : ` of ${safeText(d.domain, 100)}`}: not in the log${d.foreign ? ' (foreign: allowed)' : ''}`);
    }
  }
  return lines;
}
