// atlog demo: a realistic multi-domain agent workload (tools/demo/workload.ts), signed, registered
// with a transparency service over SCRAPI with a progress bar, and every receipt verified offline
// against the service's published keys. Against --url it leaves the data in that service; without,
// it runs an embedded service in a temporary folder, with a closed policy that knows the demo's
// issuers, and removes it at the end.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadServiceKeys, type RunningServer, silentLogger, startServer, TransparencyService } from '../../api/index.js';
import { attachReceipts, decodeCoseKeySet } from '../../receipts/index.js';
import { createPolicy } from '../../statements/index.js';
import { verifyTransparentStatement } from '../../verifier/index.js';
import { demoWorkload, type DemoStatement, type DemoType, type DemoWorkload } from '../demo/workload.js';
import { about, CliError, usageError } from '../errors.js';
import { jsonLine, safeText } from '../format.js';
import { fetchCbor, keySetUrl, serviceBaseUrl } from '../http.js';
import type { Context } from '../io.js';
import { parseTimeout } from '../options.js';
import { progressBar } from '../progress.js';
import type { CliCommand } from '../program.js';
import { registerStatement } from './register.js';

interface DemoOptions {
  readonly url?: string;
  readonly seed?: string;
  readonly start?: string;
  readonly concurrency: string;
  readonly timeout: number;
  readonly json?: boolean;
  readonly insecureHttp?: boolean;
}

/** How long before now the demo's activity starts: it spans two hours and ends in the past. */
const START_BEFORE_NOW_MS = 2 * 60 * 60 * 1000 + 5 * 60 * 1000;
const TYPE_NAMES: Record<DemoType, string> = {
  'behavior-profile': 'behavioral profiles',
  'exec-audit': 'execution audit tokens',
  'override-event': 'human override events',
  'resource-usage': 'resource usage records',
  'behavior-attestation': 'behavioral attestations',
};

export const demo: CliCommand = {
  name: 'demo',
  register(program: Command, ctx: Context): void {
    program
      .command('demo')
      .summary('register a realistic multi-domain agent workload and verify every receipt')
      .description(
        'Generate a workload of three domains and a dozen agents (keys, behavioral profiles, workflows that cross\n' +
          'domains, resource usage metered on both sides, an override that pauses an agent and rolls back its refund,\n' +
          'and one agent that breaks its profile), sign it, register it with the service at --url (or with an embedded\n' +
          'service in a temporary folder), verify every receipt and signature offline, and say what to look at next.',
      )
      .option('--url <url>', 'the service to register with (default: an embedded service, removed at the end)')
      .option('--seed <text>', 'the same seed (and --start) give the same keys and statements (default: random)')
      .option('--start <time>', 'when the two hours of activity begin, RFC 3339 (default: just over two hours ago)')
      .option('--concurrency <n>', 'registrations in flight', '8')
      .option('--timeout <seconds>', 'how long one registration may take, waits included', parseTimeout, 30)
      .option('--json', 'print the summary as one line of JSON')
      .option('--insecure-http', 'allow plain http to a host that is not loopback')
      .action(async (options: DemoOptions) => {
        await run(options, ctx);
      });
  },
};

async function run(options: DemoOptions, ctx: Context): Promise<void> {
  const concurrency = /^[0-9]{1,3}$/.test(options.concurrency) ? Number(options.concurrency) : NaN;
  if (!(concurrency >= 1 && concurrency <= 256)) throw usageError('--concurrency must be a whole number from 1 to 256');
  if (options.seed !== undefined && (options.seed.length === 0 || options.seed.length > 256)) throw usageError('--seed is 1 to 256 characters');
  const seed = options.seed ?? randomBytes(8).toString('hex');
  const say = (line: string) => ctx.io.stderr.write(`atlog: ${line}\n`);

  const start = options.start === undefined ? ctx.now().getTime() - START_BEFORE_NOW_MS : startTime(options.start);
  const workload = demoWorkload({ seed, start });
  const embedded = options.url === undefined ? await startEmbedded(workload) : undefined;
  try {
    const base = embedded?.base ?? serviceBaseUrl(options.url!, { option: '--url', insecureHttp: options.insecureHttp === true });
    if (embedded !== undefined) say(`started an embedded service at ${embedded.base.href} (data in a temporary folder)`);
    const started = Date.now();
    const receipts = await registerAll(ctx, base, workload, { concurrency, timeoutMs: options.timeout * 1000 });
    const seconds = (Date.now() - started) / 1000;
    const keySet = await fetchCbor(keySetUrl(base.href, { insecureHttp: options.insecureHttp === true }), { timeoutMs: options.timeout * 1000, maxBytes: 64 * 1024 });
    const serviceKeys = about('the service key set', () => decodeCoseKeySet(keySet));
    const verified = verifyAll(workload, receipts, serviceKeys);
    const treeSize = Math.max(...verified.treeSizes);
    print(ctx, options, { workload, seed, base, seconds, treeSize, embedded: embedded !== undefined });
  } finally {
    await embedded?.close();
  }
}

function startTime(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/i.test(text) ? Date.parse(text) : NaN;
  // The profiles are dated ten minutes before the start: keep every time a valid NumericDate.
  if (!(ms >= Date.UTC(2000, 0, 1) && ms <= Date.UTC(9000, 0, 1))) throw usageError('--start is an RFC 3339 date-time, e.g. 2026-01-01T00:00:00Z');
  return ms;
}

interface Embedded {
  readonly base: URL;
  close(): Promise<void>;
}

/** A service on 127.0.0.1 in a temporary folder, whose closed policy trusts the demo's issuers. */
async function startEmbedded(workload: DemoWorkload): Promise<Embedded> {
  const dataDir = mkdtempSync(join(tmpdir(), 'atlog-demo-'));
  let server: RunningServer | undefined;
  try {
    // Closed, as a real deployment's: the demo's keys, and each domain's authority over its agents.
    const policy = createPolicy({
      issuerKeys: workload.identities.map((identity) => identity.publicKey),
      agentStatements: {
        profileAuthorities: workload.identities
          .filter((identity) => identity.role === 'authority')
          .map((authority) => ({ iss: authority.iss, agents: [`spiffe://${authority.domain}/*`] })),
      },
    });
    server = await startServer(
      ({ url }) =>
        TransparencyService.open({ dataDir, keys: loadServiceKeys({ dataDir }), issuer: url, origin: `${new URL(url).host}/demo`, policy, logger: silentLogger() }),
      { port: 0, hostname: '127.0.0.1', logger: silentLogger() },
    );
    await server.opened;
  } catch (error) {
    await server?.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const running = server;
  return {
    base: new URL(`${running.url}/`),
    async close() {
      try {
        await running.close();
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Registers the profiles, then the activity in causal order, `concurrency` at a time; the receipts by entry id. */
async function registerAll(
  ctx: Context,
  base: URL,
  workload: DemoWorkload,
  options: { concurrency: number; timeoutMs: number },
): Promise<Map<string, Uint8Array>> {
  const receipts = new Map<string, Uint8Array>();
  const bar = progressBar(ctx.io.stderr as { write(text: string): unknown; isTTY?: boolean }, 'registering', workload.statements.length);
  // A profile must be in the log before the activity it governs: the appraisal uses the profile in
  // force when each statement was registered.
  for (const phase of ['profiles', 'activity'] as const) {
    const queue = workload.statements.filter((s) => s.phase === phase);
    let next = 0;
    const worker = async () => {
      while (next < queue.length) {
        const statement = queue[next++]!;
        const registered = await registerOne(ctx, base, statement, options.timeoutMs);
        receipts.set(statement.entryId, registered);
        bar.tick();
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, worker));
  }
  bar.done();
  return receipts;
}

async function registerOne(ctx: Context, base: URL, statement: DemoStatement, timeoutMs: number): Promise<Uint8Array> {
  try {
    return (await registerStatement(ctx, base, statement.bytes, timeoutMs)).receiptBytes;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    throw new CliError(error.code, `the ${statement.type} ${safeText(String(statement.payload.jti), 80)} from ${statement.signer}: ${error.message}`, { cause: error });
  }
}

/** Every statement with its receipt, verified offline: the receipt against the service's keys and the issuer's signature. */
function verifyAll(workload: DemoWorkload, receipts: Map<string, Uint8Array>, serviceKeys: ReturnType<typeof decodeCoseKeySet>): { treeSizes: number[] } {
  const issuerKeys = workload.identities.map((identity) => identity.publicKey);
  const treeSizes: number[] = [];
  for (const statement of workload.statements) {
    const transparent = attachReceipts(statement.bytes, [receipts.get(statement.entryId)!]);
    const verdict = verifyTransparentStatement(transparent, { serviceKeys, issuer: { keys: issuerKeys } });
    if (!verdict.verified) {
      const reasons = verdict.failures.map((f) => `${f.part}: ${f.message}`).join('; ');
      throw new CliError('CLI_INPUT', `the receipt of ${statement.type} ${safeText(String(statement.payload.jti), 80)} does not verify: ${safeText(reasons, 400)}`);
    }
    treeSizes.push(verdict.receipts.find((r) => r.status === 'verified')?.treeSize ?? 0);
  }
  return { treeSizes };
}

function print(
  ctx: Context,
  options: DemoOptions,
  run: { workload: DemoWorkload; seed: string; base: URL; seconds: number; treeSize: number; embedded: boolean },
): void {
  const { workload, base } = run;
  const { facts } = workload;
  const counts = new Map<DemoType, number>();
  for (const s of workload.statements) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
  const url = base.href.replace(/\/$/, '');
  const agentPath = (agent: string) => `${url}/agents/${encodeURIComponent(agent)}/entries`;
  const next = [
    `curl -s '${agentPath(facts.misbehaving.agent)}'            # the agent that broke its profile`,
    `curl -s '${agentPath(facts.misbehaving.agent)}?type=override-event'   # paused, its refund rolled back`,
    `curl -s '${url}/workflows/${facts.crossDomainWorkflow}/entries'   # one order across three domains`,
    `curl -s '${url}/workflows/${facts.failedWorkflow}/entries'   # the order whose shipment failed`,
    `npx atlog trace ${facts.failedWorkflow} --url ${url}   # its task tree across domains, receipts verified`,
    `curl -s '${url}/tasks/${facts.failedTask}/cascade?wid=${facts.failedWorkflow}'   # what the failure reached`,
    `npx atlog appraise '${facts.misbehaving.agent}' --url ${url} --token $OPERATOR_TOKEN   # contraindicated (atlog token --role operator)`,
  ];
  if (options.json === true) {
    ctx.io.stdout.write(
      `${jsonLine({
        seed: run.seed,
        url: run.embedded ? null : url,
        statements: workload.statements.length,
        verified: workload.statements.length,
        treeSize: run.treeSize,
        seconds: Math.round(run.seconds * 1000) / 1000,
        types: Object.fromEntries(counts),
        domains: facts.domains,
        agents: facts.agents.length,
        misbehaving: facts.misbehaving.agent,
        failedTask: facts.failedTask,
        crossDomainWorkflow: facts.crossDomainWorkflow,
        failedWorkflow: facts.failedWorkflow,
      })}\n`,
    );
    return;
  }
  const lines = [
    `registered ${workload.statements.length} statements from ${facts.agents.length} agents in ${facts.domains.length} domains in ${run.seconds.toFixed(1)} s (tree size ${run.treeSize}); ` +
      `verified all ${workload.statements.length} receipts and issuer signatures offline`,
    `  ${[...counts].map(([type, n]) => `${n} ${TYPE_NAMES[type]}`).join(', ')} (seed ${run.seed})`,
    'in it:',
    `  ${facts.crossDomainWorkflow}: an order from ${facts.domains.join(' to ')}, completed`,
    `  ${facts.failedWorkflow}: the shipment ${facts.failedTask} fails; ${facts.cascade.length} tasks downstream are cancelled, fail or compensate`,
    `  ${facts.misbehaving.agent} breaks its profile (${facts.misbehaving.violations.join(', ')}); ${facts.pauseOverride} pauses it, ${facts.rollbackOverride} rolls back ${facts.rolledBackTask}`,
    '  usage of inference.example metered on both sides: one pair agrees, one disagrees',
  ];
  if (run.embedded) {
    lines.push('the embedded service has stopped and its folder is removed; to explore the data, run the service and the demo against it:');
    lines.push('  npm start            # in one terminal');
    lines.push('  npx atlog demo --url http://localhost:8080');
    lines.push('then, for example:');
    lines.push(...next.map((line) => `  ${line.replace(url, 'http://localhost:8080')}`));
  } else {
    lines.push('look next:');
    lines.push(...next.map((line) => `  ${line}`));
  }
  ctx.io.stdout.write(`${lines.join('\n')}\n`);
}
