// atlog report: a regulator's differential-privacy report from a service. POST <url>/reports with
// the query (a JSON file), and print the report as a table: what was released, its parameters
// and bounds, the budget spent and left, and each partition's noisy values with their 95%
// intervals. Also: --budget for the budget alone, --id N for a report made before. The bearer
// token comes from ATLOG_TOKEN (so it stays out of shell history) or --token; it is sent only
// in the Authorization header and never printed, logged or put in an error.

import type { Command } from 'commander';
import { CliError, usageError } from '../errors.js';
import { jsonLine, safeText } from '../format.js';
import { describeStatus, exchange, type HttpResponse, serviceBaseUrl } from '../http.js';
import { type Context, readInput, shownPath, utf8, writeOutput } from '../io.js';
import { parseTimeout } from '../options.js';
import type { CliCommand } from '../program.js';

interface ReportOptions {
  readonly url: string;
  readonly token?: string;
  readonly budget?: boolean;
  readonly id?: string;
  readonly out?: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly timeout: number;
  readonly insecureHttp?: boolean;
}

/** The environment variable the token is read from. */
export const TOKEN_VARIABLE = 'ATLOG_TOKEN';
const MAX_QUERY = 16 * 1024;
/** A report (the payload and its transparent statement, base64url) is well under this. */
const MAX_RESPONSE = 512 * 1024;

type Estimate = { value: number; ci95: [number, number] };
interface Result {
  partition: Record<string, string | number | boolean>;
  bin?: { from: number; to: number };
  count?: Estimate;
  sum?: Estimate;
  mean?: Estimate;
  quantiles?: { q: number; value: number; ci95: [number, number] }[];
}
interface Accountant {
  kind: string;
  total_epsilon: string;
  total_delta: string;
  spent_epsilon: string;
  spent_delta: string;
  remaining_epsilon: string;
  remaining_delta: string;
  total_rho?: string;
  spent_rho?: string;
  remaining_rho?: string;
}
interface ReportPayload {
  query_id: string;
  status: string;
  tree_size: number;
  root_hash: string;
  query: { statistic: string; filter: { type: string }; value?: { measurement: string } };
  privacy_unit: string;
  mechanism: string;
  epsilon?: string;
  rho?: string;
  delta: string;
  bounds: { max_partitions_contributed: number; max_contributions_per_partition: number; min_value?: string; max_value?: string; granularity?: string };
  partition_selection: string;
  cost: { epsilon: string; delta: string; rho: string };
  accountant: Accountant;
  partition_keys: string[];
  results: Result[];
  truncated: boolean;
}
interface ReportResponse {
  id: string;
  status: string;
  entryId?: string;
  report?: ReportPayload;
  statement?: string;
}

export const report: CliCommand = {
  name: 'report',
  register(program: Command, ctx: Context): void {
    program
      .command('report')
      .summary('a differential-privacy report from a service (regulators): post a query, print the noisy results')
      .description(
        'POST the query in QUERY (JSON; docs/privacy.md) to <url>/reports with a regulator’s bearer token, and print the ' +
          'signed report as a table: the release, its mechanism, parameters and bounds, the budget spent and left, and each ' +
          'partition’s noisy values with their 95% confidence intervals. The release is charged to the budget of the ' +
          'token’s regulator before it is computed, and logged by the service. --budget prints the budget instead; ' +
          '--id N a report made before. --out writes the report’s transparent statement (atlog verify checks it with ' +
          'the service’s key as the issuer key).',
      )
      .argument('[query]', 'the query, a JSON file (or - for stdin)')
      .requiredOption('--url <url>', 'the service: https://host[:port][/prefix] (http only on loopback)')
      .option('--token <token>', `the regulator’s bearer token (better: the ${TOKEN_VARIABLE} environment variable, kept out of shell history)`)
      .option('--budget', 'print the budget of the token’s regulator, and make no report')
      .option('--id <n>', 'print report n, made before (no charge)')
      .option('-o, --out <file>', 'write the report’s transparent statement (COSE) here')
      .option('--force', 'replace --out if it exists')
      .option('--json', 'print the service’s answer as one line of JSON instead of a table')
      .option('--timeout <seconds>', 'how long the request may take', parseTimeout, 60)
      .option('--insecure-http', 'allow plain http to a host that is not loopback')
      .addHelpText(
        'after',
        `\nThe token: ${TOKEN_VARIABLE}, else --token. Refusals are one line with the service’s problem details, exit 1:\n` +
          '  atlog: report refused (403 Budget Exhausted): the privacy budget of … cannot pay this release: …\n' +
          '  atlog: report refused (400 Malformed request): /bounds/max_partitions_contributed: an integer from 1 to 100\n' +
          `Limits: query ${MAX_QUERY / 1024} KiB; answer ${MAX_RESPONSE / 1024} KiB.`,
      )
      .action(async (queryPath: string | undefined, options: ReportOptions) => {
        const modes = [queryPath !== undefined, options.budget === true, options.id !== undefined].filter(Boolean).length;
        if (modes !== 1) throw usageError('give exactly one of QUERY, --budget or --id');
        if (options.id !== undefined && !/^[1-9][0-9]{0,15}$/.test(options.id)) throw usageError('--id is a report id, a positive integer');
        if (options.out === '-') throw usageError('--out must be a file');
        if (options.out !== undefined && options.budget === true) throw usageError('--out writes a report; --budget makes none');
        const token = process.env[TOKEN_VARIABLE] ?? options.token;
        if (token === undefined || token === '') throw usageError(`give the regulator’s token in ${TOKEN_VARIABLE} (or --token)`);
        if (!/^[\x21-\x7e]{1,512}$/.test(token)) throw usageError(`the token (${TOKEN_VARIABLE} or --token) is not a bearer token`);
        const base = serviceBaseUrl(options.url, { option: '--url', insecureHttp: options.insecureHttp === true });
        const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
        const timeoutMs = options.timeout * 1000;

        let response: HttpResponse;
        if (queryPath !== undefined) {
          const query = await readInput(ctx, queryPath, 'query', MAX_QUERY);
          // Checked here only as JSON; the service checks the rest and names what is wrong.
          try {
            JSON.parse(utf8(query, `query ${shownPath(queryPath)}`));
          } catch (error) {
            if (error instanceof CliError) throw error;
            throw new CliError('CLI_INPUT', `query ${shownPath(queryPath)} is not JSON`);
          }
          response = await exchange(new URL('reports', base), { method: 'POST', body: query, headers: { ...headers, 'content-type': 'application/json' }, timeoutMs, maxBytes: MAX_RESPONSE });
        } else {
          const path = options.budget === true ? 'budget' : `reports/${options.id}`;
          response = await exchange(new URL(path, base), { headers, timeoutMs, maxBytes: MAX_RESPONSE });
        }
        const expected = queryPath !== undefined ? 201 : 200;
        if (response.status !== expected) {
          throw new CliError(response.status >= 400 && response.status < 500 ? 'CLI_INPUT' : 'CLI_NETWORK', `${options.budget === true ? 'budget' : 'report'} refused ${describeStatus(response)}`);
        }
        if (response.type !== 'application/json') throw new CliError('CLI_NETWORK', `the answer is ${safeText(response.type || 'untyped', 60)}, not application/json`);
        let answer: unknown;
        try {
          answer = JSON.parse(utf8(response.body, 'the answer'));
        } catch {
          throw new CliError('CLI_NETWORK', 'the answer is not JSON');
        }
        if (options.json === true) ctx.io.stdout.write(`${jsonLine(answer)}\n`);
        else if (options.budget === true) ctx.io.stdout.write(budgetText(answer as { regulator: string; releases: number; accountant: Accountant }));
        else ctx.io.stdout.write(reportText(answer as ReportResponse));
        if (options.out !== undefined) {
          const statement = (answer as ReportResponse).statement;
          if (typeof statement !== 'string') throw new CliError('CLI_NETWORK', 'the answer holds no transparent statement to write');
          await writeOutput(ctx, options.out, new Uint8Array(Buffer.from(statement, 'base64url')), { force: options.force === true, what: '--out' });
        }
      });
  },
};

/** A number as the table shows it: integers whole, others to 6 significant digits. */
function num(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return Number(x.toPrecision(6)).toString();
}

const interval = (e: { ci95: [number, number] }) => `[${num(e.ci95[0])}, ${num(e.ci95[1])}]`;

function budgetLines(a: Accountant): string[] {
  if (a.kind === 'zcdp') {
    return [
      `budget (zcdp): spent ρ ${a.spent_rho} of ${a.total_rho}, ${a.remaining_rho} left; ` +
        `as (ε, δ)-DP at δ ${a.total_delta}: spent ε ≤ ${a.spent_epsilon} of ${a.total_epsilon}`,
    ];
  }
  return [`budget (basic): spent ε ${a.spent_epsilon} of ${a.total_epsilon}, ${a.remaining_epsilon} left; δ ${a.spent_delta} of ${a.total_delta}, ${a.remaining_delta} left`];
}

function budgetText(b: { regulator: string; releases: number; accountant: Accountant }): string {
  return [`regulator ${safeText(b.regulator, 64)}: ${b.releases} release${b.releases === 1 ? '' : 's'}`, ...budgetLines(b.accountant)].join('\n') + '\n';
}

function reportText(answer: ReportResponse): string {
  const r = answer.report;
  const head = `report ${safeText(answer.id, 20)}: ${safeText(answer.status, 20)}${answer.entryId === undefined ? '' : `, entry ${safeText(answer.entryId, 64)}`}`;
  if (r === undefined) return `${head} (not computed yet)\n`;
  const q = r.query;
  const parameter = r.epsilon !== undefined ? `ε ${r.epsilon}` : `ρ ${r.rho ?? '?'}`;
  const value = q.value === undefined ? '' : ` of ${safeText(q.value.measurement, 128)}`;
  const clamp = r.bounds.max_value === undefined ? '' : `, values in [${r.bounds.min_value}, ${r.bounds.max_value}]${r.bounds.granularity === undefined ? '' : ` at ${r.bounds.granularity}`}`;
  const lines = [
    `${head}, computed on tree size ${r.tree_size} (root ${safeText(r.root_hash, 64).slice(0, 16)}…)`,
    `${safeText(q.statistic, 20)}${value} over ${safeText(q.filter.type, 40)} records, privacy unit ${safeText(r.privacy_unit, 20)}, ${safeText(r.mechanism, 40)} ${parameter}` +
      `${r.partition_selection === 'dp_threshold' ? `, partitions selected with δ ${r.delta}` : ''}`,
    `bounds: at most ${r.bounds.max_partitions_contributed} partition${r.bounds.max_partitions_contributed === 1 ? '' : 's'} and ${r.bounds.max_contributions_per_partition} record${r.bounds.max_contributions_per_partition === 1 ? '' : 's'} per partition per unit${clamp}`,
    ...budgetLines(r.accountant),
  ];
  if (r.status === 'abandoned') lines.push('abandoned: the service stopped between charge and answer; the cost is spent, there are no results');
  const rows = tableRows(r);
  if (rows.length > 1) lines.push('', ...formatTable(rows));
  else if (r.status !== 'abandoned') lines.push('', 'no partition released');
  if (r.truncated) lines.push(`(truncated: more partitions were released than one report holds; the rest were dropped in key order)`);
  return `${lines.join('\n')}\n`;
}

/** The header row and one row per result (or per quantile). */
function tableRows(r: ReportPayload): string[][] {
  const keys = r.partition_keys;
  const key = (result: Result) => keys.map((k) => safeText(String(result.partition[k]), 64));
  const statistic = r.query.statistic;
  if (statistic === 'quantiles') {
    const rows = [[...keys, 'q', 'value', 'ci95 (approx.)']];
    for (const result of r.results) for (const q of result.quantiles ?? []) rows.push([...key(result), num(q.q), num(q.value), interval(q)]);
    return rows;
  }
  const header = [...keys, ...(statistic === 'histogram' ? ['bin'] : [])];
  const columns: ('count' | 'sum' | 'mean')[] = statistic === 'sum' ? ['sum'] : statistic === 'mean' ? ['count', 'mean'] : ['count'];
  const rows = [[...header, ...columns.flatMap((c) => [c, 'ci95'])]];
  for (const result of r.results) {
    const bin = result.bin === undefined ? [] : [`[${num(result.bin.from)}, ${num(result.bin.to)})`];
    rows.push([...key(result), ...bin, ...columns.flatMap((c) => (result[c] === undefined ? ['-', '-'] : [num(result[c]!.value), interval(result[c]!)]))]);
  }
  return rows;
}

function formatTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => [...(row[i] ?? '')].length)));
  const numeric = rows[0]!.map((_, i) => rows.slice(1).every((row) => /^-?[0-9.e+-]+$/.test(row[i] ?? '')));
  return rows.map((row) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
