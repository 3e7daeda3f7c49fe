// atlog serve: the transparency service on an embedded LevelDB. With no configuration it is a
// development service (a generated key, the open policy) and says so loudly; keys, issuer keys,
// trust anchors and a policy file make it a real one.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  ACCESS_ROLES,
  type AccessToken,
  defaultWorkerCount,
  loadServiceKeys,
  MAX_WORKERS,
  parseAccessTokens,
  startServer,
  TransparencyService,
  type WorkerPolicyOptions,
} from '../../api/index.js';
import { parsePrivacyConfig, type PrivacyConfig } from '../../privacy/index.js';
import { policyFromOptions } from '../../statements/index.js';
import { CliError, usageError } from '../errors.js';
import { safeText } from '../format.js';
import type { Context } from '../io.js';
import type { CliCommand } from '../program.js';

interface ServeOptions {
  readonly data: string;
  readonly port: string;
  readonly host: string;
  readonly url?: string;
  readonly origin?: string;
  readonly config?: string;
  readonly issuerKey: string[];
  readonly trustAnchor: string[];
  readonly serviceKey?: string;
  readonly checkpointKey?: string;
  readonly receiptWait: string;
  readonly tokens?: string;
  readonly continuousAppraisal?: boolean;
  readonly appraisalInterval: string;
  readonly appraisalStaleness: string;
  readonly privacy?: string;
  readonly workers?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export const serve: CliCommand = {
  name: 'serve',
  register(program: Command, ctx: Context): void {
    program
      .command('serve')
      .summary('run the transparency service (SCRAPI over HTTP) on an embedded LevelDB')
      .description(
        'Run the transparency service. With no --config, --issuer-key or --trust-anchor it runs the open\n' +
          'development policy (any issuer whose key the statement itself carries: an x5chain or a did:jwk\n' +
          'issuer); with no --service-key (or ATLOG_SERVICE_KEY) it generates a development key in the data\n' +
          'directory. Both are announced at start. SIGTERM or SIGINT stops it gracefully: everything accepted\n' +
          'is written and answered before it exits.',
      )
      .option('--data <dir>', 'data directory: the log, the key ring, a development key', 'data')
      .option('--port <n>', 'TCP port', '8080')
      .option('--host <address>', 'address to listen on (0.0.0.0 for every interface)', '127.0.0.1')
      .option('--url <url>', 'the public URL of the service, its issuer in receipts (default http://localhost:<port>)')
      .option('--origin <origin>', 'the log’s checkpoint origin and receipt subject (default: host[:port] of --url)')
      .option('--config <file>', 'registration policy (JSON; see statements/README.md)')
      .option('--issuer-key <file>', 'trust this issuer public key (PEM, JWK or COSE_Key); repeatable', collect, [])
      .option('--trust-anchor <file>', 'trust issuer certificate chains to this CA (PEM); repeatable', collect, [])
      .option('--service-key <file>', 'the service signing key (PKCS#8 PEM; or the PEM in ATLOG_SERVICE_KEY)')
      .option('--checkpoint-key <file>', 'an Ed25519 key for C2SP checkpoints, when the service key is ECDSA (or ATLOG_CHECKPOINT_KEY)')
      .option('--receipt-wait <ms>', 'how long POST /entries waits for the receipt before answering 303', '1000')
      .option('--tokens <file>', 'bearer tokens for the operator and regulator routes (JSON of SHA-256 hashes; atlog token makes them)')
      .option('--continuous-appraisal', 're-appraise agents as their entries arrive and log the results (default: only on demand, POST /appraisals)')
      .option('--appraisal-interval <seconds>', 'continuous appraisal: least time between two passes (each appraises at most 64 agents)', '10')
      .option('--appraisal-staleness <seconds>', 'continuous appraisal: log an unchanged verdict again once the latest is this old', '3600')
      .option('--privacy <file>', 'regulators’ privacy budgets (JSON; see docs/privacy.md); without it no report can be made')
      .option('--workers <n>', `worker threads that admit statements and make index records; 0 runs both on the event loop (default: one per core beyond the first, here ${defaultWorkerCount()})`)
      .action(async (options: ServeOptions) => {
        await run(options, ctx);
      });
  },
};

async function run(options: ServeOptions, ctx: Context): Promise<void> {
  const requestedPort = integerOption(options.port, '--port', 0, 65_535);
  const receiptWaitMs = integerOption(options.receiptWait, '--receipt-wait', 0, 60_000);
  const appraisal = {
    continuous: options.continuousAppraisal === true,
    intervalMs: integerOption(options.appraisalInterval, '--appraisal-interval', 1, 86_400) * 1000,
    maxStalenessMs: integerOption(options.appraisalStaleness, '--appraisal-staleness', 1, 7 * 86_400) * 1000,
  };
  const dataDir = resolve(options.data);
  const say = (line: string) => ctx.io.stderr.write(`atlog: ${line}\n`);

  const workerCount = options.workers === undefined ? defaultWorkerCount() : integerOption(options.workers, '--workers', 0, MAX_WORKERS);
  const policyOptions = policyOptionsOf(options);
  const policy = policyFromOptions(policyOptions);
  const workers = workerCount === 0 ? undefined : { size: workerCount, policyOptions };
  const accessTokens = options.tokens === undefined ? [] : loadAccessTokens(options.tokens);
  const privacy = options.privacy === undefined ? undefined : loadPrivacyConfig(options.privacy);
  const keys = loadServiceKeys({
    dataDir,
    ...(options.serviceKey === undefined ? {} : { receiptKeyFile: options.serviceKey }),
    ...(process.env.ATLOG_SERVICE_KEY === undefined ? {} : { receiptKeyPem: process.env.ATLOG_SERVICE_KEY }),
    ...(options.checkpointKey === undefined ? {} : { checkpointKeyFile: options.checkpointKey }),
    ...(process.env.ATLOG_CHECKPOINT_KEY === undefined ? {} : { checkpointKeyPem: process.env.ATLOG_CHECKPOINT_KEY }),
  });
  if (options.url !== undefined) publicUrl(options.url);
  // The server listens first (answering 503 while the log opens); the service is named after the
  // port actually bound, which with --port 0 is the system's choice.
  let url = new URL('http://localhost');
  let origin = '';
  const server = await startServer(
    ({ port }) => {
      url = publicUrl(options.url ?? `http://localhost:${port}`);
      origin = options.origin ?? `${url.host}${url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '')}`;
      return TransparencyService.open({ dataDir, keys, issuer: url.href.replace(/\/$/, ''), origin, policy, receiptWaitMs,
        accessTokens,
        appraisal,
        ...(privacy === undefined ? {} : { privacy }),
        ...(workers === undefined ? {} : { workers }),
      });
    },
    { port: requestedPort, hostname: options.host },
  );
  const service = await server.opened;

  if (keys.development) {
    say(`WARNING: using a DEVELOPMENT service key, generated at ${safeText(keys.developmentKeyPath ?? dataDir, 200)}`);
    say('         configure --service-key (or ATLOG_SERVICE_KEY) for anything but development');
  }
  if (policy.open) {
    say('WARNING: the registration policy is OPEN (development): any issuer whose key the statement carries');
    say('         (an x5chain or a did:jwk issuer) is admitted; give --issuer-key, --trust-anchor or --config');
  }
  say(`serving ${safeText(url.href, 200)} on ${server.url} (origin ${safeText(origin, 120)})`);
  say(`log in ${safeText(dataDir, 200)}: ${service.log.size} entries; keys at ${server.url}/.well-known/scitt-keys, checkpoint at ${server.url}/checkpoint`);
  say(`checkpoint verifier key (pin it in monitors): ${service.checkpointVerifierKey()}`);
  say(workerCount === 0 ? 'admission and index records on the event loop (--workers 0)' : `admission and index records in ${workerCount} worker thread${workerCount === 1 ? '' : 's'}`);
  const semiSpace = semiSpaceOf(process.execArgv, process.env.NODE_OPTIONS);
  say(
    semiSpace === undefined
      ? "node's default young generation: under load the service admits ~15% more with node --max-semi-space-size=64 (npm start passes it; docs/operations.md)"
      : `young generation: semi-spaces of ${semiSpace} MiB`,
  );
  if (appraisal.continuous) say(`continuous appraisal: every ${appraisal.intervalMs / 1000} s at most, results in the log (GET /agents/{id}/appraisal)`);
  if (accessTokens.length > 0) {
    const roles = ACCESS_ROLES.map((role) => `${accessTokens.filter((t) => t.role === role).length} ${role}`).join(', ');
    say(`access tokens: ${roles}`);
  }
  if (privacy !== undefined) say(`privacy budgets: ${privacy.budgets.size} regulator${privacy.budgets.size === 1 ? '' : 's'}${privacy.defaultBudget === undefined ? '' : ', and a default'}`);

  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals) => {
      say(`${signal}: finishing accepted registrations, then stopping`);
      server.close().then(done, (error: unknown) => {
        say(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
        done();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  say('stopped; everything acknowledged is written');
}

/**
 * The semi-space node was started with (`--max-semi-space-size`, MiB), from NODE_OPTIONS and its
 * own flags (which win, coming later); undefined for node's default. V8 reads it once, when the
 * heap is made, so the service can only say what it runs with.
 */
export function semiSpaceOf(execArgv: readonly string[], nodeOptions: string | undefined): number | undefined {
  const flags = [...(nodeOptions ?? '').split(/\s+/), ...execArgv];
  let mib: number | undefined;
  for (let i = 0; i < flags.length; i++) {
    // V8 takes `--name=value` and `--name value`, with dashes or underscores.
    const flag = /^--max[-_]semi[-_]space[-_]size(?:=(.*))?$/.exec(flags[i]!);
    if (flag === null) continue;
    const value = flag[1] ?? flags[++i];
    if (value !== undefined && /^[0-9]{1,6}$/.test(value)) mib = Number(value);
  }
  return mib;
}

/**
 * The policy's configuration (file and flags combined; neither: the open development policy), as
 * file names resolved against this directory, so that worker threads read the same files.
 */
function policyOptionsOf(options: ServeOptions): WorkerPolicyOptions {
  return {
    ...(options.config === undefined ? {} : { policyFile: options.config }),
    issuerKeys: options.issuerKey,
    trustAnchors: options.trustAnchor,
    cwd: process.cwd(),
  };
}

/** The access tokens file: at most 64 KiB of JSON; a bad entry stops the service before it starts. */
function loadAccessTokens(file: string): AccessToken[] {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > 64 * 1024) throw usageError(`--tokens ${safeText(file, 200)}: larger than 64 KiB`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('CLI_FILE', `--tokens ${safeText(file, 200)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return parseAccessTokens(text);
  } catch (error) {
    throw new CliError('CLI_INPUT', `--tokens ${safeText(file, 200)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The privacy budgets file: at most 256 KiB of JSON; a bad entry stops the service before it starts. */
function loadPrivacyConfig(file: string): PrivacyConfig {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > 256 * 1024) throw usageError(`--privacy ${safeText(file, 200)}: larger than 256 KiB`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('CLI_FILE', `--privacy ${safeText(file, 200)}: cannot read it (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return parsePrivacyConfig(text);
  } catch (error) {
    throw new CliError('CLI_INPUT', `--privacy ${safeText(file, 200)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function integerOption(value: string, name: string, min: number, max: number): number {
  const n = /^[0-9]{1,6}$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw usageError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function publicUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`--url ${safeText(text, 200)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError('--url must be http or https');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw usageError('--url is the service’s base URL: no credentials, query or fragment');
  }
  return url;
}
