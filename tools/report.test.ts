// `atlog report` in process (main(argv, io)) against a real service on loopback: the table, the
// JSON, the budget, a report by id written out as a transparent statement, and refusals in one
// line. The token comes from ATLOG_TOKEN or --token and appears in no output, ever.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessTokenHash, generateAccessToken, loadServiceKeys, parseAccessTokens, type RunningServer, silentLogger, startServer, TransparencyService } from '../api/index.js';
import { parsePrivacyConfig } from '../privacy/index.js';
import { decodeCoseKeySet, encodeCoseKey, parseStatement } from '../receipts/index.js';
import { developmentPolicy } from '../statements/index.js';
import { outputLines } from '../test/support/cli.js';
import { tempDir } from '../test/support/log.js';
import { TOKEN_VARIABLE } from './commands/report.js';
import { demoWorkload } from './demo/workload.js';
import { main } from './index.js';

const token = generateAccessToken();
const poor = generateAccessToken();
let dir: string;
let server: RunningServer;
let service: TransparencyService;
const seen: string[] = [];

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function atlog(args: readonly string[], env: string | null = token): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = process.env[TOKEN_VARIABLE];
  if (env === null) delete process.env[TOKEN_VARIABLE];
  else process.env[TOKEN_VARIABLE] = env;
  try {
    const code = await main(args, { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, cwd: dir });
    const run = { code, stdout: out.join(''), stderr: err.join('') };
    seen.push(run.stdout, run.stderr);
    return run;
  } finally {
    if (saved === undefined) delete process.env[TOKEN_VARIABLE];
    else process.env[TOKEN_VARIABLE] = saved;
  }
}

const query = {
  statistic: 'count',
  filter: { type: 'exec-audit' },
  privacy_unit: 'agent',
  group_by: [{ key: 'domain', values: ['shop.example', 'inference.example', 'logistics.example'] }],
  bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 5 },
  epsilon: 0.5,
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atlog-report-cli-'));
  const dataDir = tempDir('atlog-report-cli-data-');
  server = await startServer(
    ({ url }) =>
      TransparencyService.open({
        dataDir,
        keys: loadServiceKeys({ dataDir }),
        issuer: url,
        origin: 'report.test/log',
        policy: developmentPolicy(),
        logger: silentLogger(),
        accessTokens: parseAccessTokens(
          JSON.stringify({
            tokens: [
              { name: 'eu-regulator', role: 'regulator', sha256: accessTokenHash(token) },
              { name: 'poor-regulator', role: 'regulator', sha256: accessTokenHash(poor) },
            ],
          }),
        ),
        privacy: parsePrivacyConfig(JSON.stringify({ budgets: { 'eu-regulator': { accountant: 'basic', epsilon: 5 }, 'poor-regulator': { accountant: 'basic', epsilon: 0.1 } } })),
      }),
    { port: 0, hostname: '127.0.0.1' },
  );
  service = await server.opened;
  const workload = demoWorkload({ seed: 'report-cli', start: Date.UTC(2026, 0, 1) });
  for (const phase of ['profiles', 'activity'] as const) {
    const statements = workload.statements.filter((s) => s.phase === phase);
    for (let i = 0; i < statements.length; i += 32) await Promise.all(statements.slice(i, i + 32).map((s) => service.register(s.bytes)));
  }
  await service.index.caughtUp();
  writeFileSync(join(dir, 'query.json'), JSON.stringify(query));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  // Whatever ran, the token was never printed.
  for (const text of seen) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(poor);
    expect(text).not.toContain(token.slice(6, 30));
  }
});

describe('atlog report', () => {
  it('posts the query and prints the report as a table', async () => {
    const run = await atlog(['report', 'query.json', '--url', server.url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = outputLines(run.stdout);
    expect(lines[0]).toMatch(/^report 1: released, entry [0-9a-f]{64}, computed on tree size \d+ \(root [0-9a-f]{16}…\)$/);
    expect(lines[1]).toBe('count over exec-audit records, privacy unit agent, discrete_laplace ε 0.5');
    expect(lines[2]).toBe('bounds: at most 1 partition and 5 records per partition per unit');
    expect(lines[3]).toBe('budget (basic): spent ε 0.5 of 5, 4.5 left; δ 0 of 0, 0 left');
    expect(lines[4]).toMatch(/^domain\s+count\s+ci95$/);
    expect(lines.slice(5).map((l) => l.split(/\s+/)[0])).toEqual(['shop.example', 'inference.example', 'logistics.example']);
    for (const line of lines.slice(5)) expect(line).toMatch(/^\S+\s+-?\d+\s+\[-?\d+, -?\d+\]$/);
  });

  it('prints the answer as JSON, the budget, and a report by id, written out for atlog verify', async () => {
    const json = await atlog(['report', 'query.json', '--url', server.url, '--json']);
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as { id: string; report: { regulator_sequence: number } };
    expect(answer).toMatchObject({ id: '2', status: 'released', report: { regulator_sequence: 2 } });

    const budget = await atlog(['report', '--budget', '--url', server.url]);
    expect(budget.code).toBe(0);
    expect(outputLines(budget.stdout)).toEqual(['regulator eu-regulator: 2 releases', 'budget (basic): spent ε 1 of 5, 4 left; δ 0 of 0, 0 left']);

    const byId = await atlog(['report', '--id', '1', '--url', server.url, '--out', 'report-1.cose']);
    expect(byId.code).toBe(0);
    expect(outputLines(byId.stdout)[0]).toMatch(/^report 1: released/);
    const statement = parseStatement(new Uint8Array(readFileSync(join(dir, 'report-1.cose'))));
    expect(statement.contentType).toBe('application/vnd.atlog.privacy-report+json');
    expect(statement.sub).toBe(`${server.url}/reports/1`);
    // The service signed it: its own key, as the issuer key, verifies it offline.
    writeFileSync(join(dir, 'service-key.cbor'), encodeCoseKey(decodeCoseKeySet(service.keySet())[0]!));
    writeFileSync(join(dir, 'service-keys.cbor'), service.keySet());
    const verified = await atlog(['verify', 'report-1.cose', '--service-keys', 'service-keys.cbor', '--issuer-key', 'service-key.cbor']);
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toMatch(/^verified: issuer .*, subject .*reports\/1, .*issuer signature checked by kid with --issuer-key$/m);
  });

  it('takes --token when the environment has none', async () => {
    const run = await atlog(['report', '--budget', '--url', server.url, '--token', poor], null);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^regulator poor-regulator: 0 releases/);
  });

  it('refuses in one line, with the service’s problem details, and never shows the token', async () => {
    const cases: [string[], string | null, number, RegExp][] = [
      [['report', 'query.json', '--url', server.url], null, 2, /^atlog: give the regulator’s token in ATLOG_TOKEN \(or --token\)$/],
      [['report', 'query.json', '--budget', '--url', server.url], token, 2, /^atlog: give exactly one of QUERY, --budget or --id$/],
      [['report', '--id', 'x', '--url', server.url], token, 2, /^atlog: --id is a report id/],
      [['report', 'query.json', '--url', server.url], generateAccessToken(), 1, /^atlog: report refused \(401 Unauthorized\): this route needs a regulator bearer token$/],
      [['report', 'query.json', '--url', server.url], poor, 1, /^atlog: report refused \(403 Budget Exhausted\): the privacy budget of poor-regulator cannot pay this release: this release costs ε 0\.5; 0\.1 of ε 0\.1/],
      [['report', 'bad.json', '--url', server.url], token, 1, /^atlog: report refused \(400 Malformed request\): \/bounds\/max_partitions_contributed: an integer from 1 to 100$/],
      [['report', 'not-json.json', '--url', server.url], token, 1, /^atlog: query not-json\.json is not JSON$/],
      [['report', '--id', '99', '--url', server.url], token, 1, /^atlog: report refused \(404 Not Found\): no report has id 99$/],
    ];
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...query, bounds: { max_partitions_contributed: 101, max_contributions_per_partition: 1 } }));
    writeFileSync(join(dir, 'not-json.json'), '{"statistic": ');
    for (const [args, env, code, message] of cases) {
      const run = await atlog(args, env);
      expect(run.code, args.join(' ')).toBe(code);
      expect(run.stdout).toBe('');
      expect(outputLines(run.stderr)).toHaveLength(1);
      expect(run.stderr.trimEnd()).toMatch(message);
    }
  });

  it('is served only from budgets serve can read: a bad --privacy file stops it before it starts', async () => {
    writeFileSync(join(dir, 'privacy.json'), JSON.stringify({ budgets: { 'eu-regulator': { accountant: 'basic', epsilon: -1 } } }));
    // serve reads its files from the process's directory: give whole paths.
    const run = await atlog(['serve', '--data', join(dir, 'never'), '--port', '0', '--privacy', join(dir, 'privacy.json')]);
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd()).toMatch(/^atlog: --privacy \S*privacy\.json: privacy configuration: budgets\.eu-regulator\.epsilon: a non-negative decimal/);
    const missing = await atlog(['serve', '--data', join(dir, 'never'), '--port', '0', '--privacy', join(dir, 'missing.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trimEnd()).toMatch(/^atlog: --privacy \S*missing\.json: cannot read it \(ENOENT\)$/);
  });
});
