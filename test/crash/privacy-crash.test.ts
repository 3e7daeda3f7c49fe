// Privacy reports after kill -9: a real child process makes reports as fast as it can (four in
// flight) on a real LevelDB, and is killed at random, sometimes before it is ready (during the
// recovery of what the last kill left). After each kill, before anything recovers: every charge
// is in the ledger whole (the totals are the sum of the release records, ids and sequences have
// no gap, nothing is over budget), and every answer the child gave has its charge, released with
// the very entry it answered. Then the service recovers: every release is settled, logged exactly
// once, and no charge was refunded.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadServiceKeys, silentLogger, TransparencyService } from '../../api/index.js';
import { LevelDbStorage } from '../../log/index.js';
import { add, compare, rational, ZERO } from '../../privacy/rational.js';
import { BudgetLedger, parsePrivacyConfig, readRational, type ReleaseRecord } from '../../privacy/index.js';
import { createPolicy } from '../../statements/index.js';
import { tempDir } from '../support/log.js';
import { seededRandom } from '../support/naive-tree.js';
import { requireFreshBuild } from '../support/built.js';
import { REPO_ROOT } from '../support/vectors.js';

const ROUNDS = Number(process.env.ATLOG_PRIVACY_CRASH_ROUNDS ?? 8);
const CHILD = join(REPO_ROOT, 'test/crash/privacy-child.mjs');
const CONFIG = JSON.stringify({
  budgets: { 'crash-regulator': { accountant: 'basic', epsilon: 5 }, 'tiny-regulator': { accountant: 'basic', epsilon: 0.05 } },
});
const BUDGETS = { 'crash-regulator': rational(5n), 'tiny-regulator': rational(5n, 100n) } as const;
const QUERY = JSON.stringify({
  statistic: 'count',
  filter: { type: 'exec-audit' },
  privacy_unit: 'agent',
  group_by: [{ key: 'domain', values: ['d0.example', 'd1.example', 'd2.example'] }],
  bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 3 },
  epsilon: '0.01',
});


interface Answer {
  readonly regulator: string;
  readonly id: number;
  readonly entryId: string;
}

async function runAndKill(dataDir: string, env: Record<string, string>, killAfterMs: number, beforeReady: boolean): Promise<{ answers: Answer[]; errors: string[] }> {
  const child: ChildProcess = spawn(process.execPath, [CHILD, dataDir], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const answers: Answer[] = [];
  const errors: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const closed = new Promise((resolve) => lines.once('close', resolve));
  const ready = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      const [kind, ...rest] = line.split(' ');
      if (kind === 'ready') resolve();
      else if (kind === 'answer') answers.push({ regulator: rest[0]!, id: Number(rest[1]), entryId: rest[2]! });
      else if (kind !== 'exhausted') errors.push(line);
    });
  });
  if (!beforeReady) await Promise.race([ready, exited]);
  await new Promise((r) => setTimeout(r, killAfterMs));
  child.kill('SIGKILL');
  const code = await exited;
  await closed;
  if (code !== null) errors.push(`child exited by itself with ${code}: ${stderr.slice(0, 500)}`);
  return { answers, errors };
}

const sum = (records: readonly ReleaseRecord[]) => records.reduce((total, r) => add(total, readRational(r.cost.epsilon)!), ZERO);

describe('privacy reports crash safety', () => {
  beforeAll(() => requireFreshBuild('dist/privacy/index.js', ['privacy', 'api', 'log', 'index']));

  it(`loses no charge and gives no answer without one, over ${ROUNDS} kill -9s`, async () => {
    const dataDir = tempDir('atlog-privacy-crash-');
    const random = seededRandom(Number(process.env.ATLOG_CRASH_SEED ?? 20261201));
    const issuerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const env = {
      ATLOG_PRIVACY_ISSUER_KEY: issuerKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      ATLOG_PRIVACY_CONFIG: CONFIG,
      ATLOG_PRIVACY_QUERY: QUERY,
    };
    const answered: Answer[] = [];
    let interrupted = 0;
    let abandoned = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Round 0 must get ready (it seeds the log); later ones are sometimes killed while recovering.
      const beforeReady = round > 0 && random(4) === 0;
      const run = await runAndKill(dataDir, env, beforeReady ? 300 + random(600) : 100 + random(500), beforeReady);
      expect(run.errors, `round ${round}`).toEqual([]);
      answered.push(...run.answers);

      // 1. The store as the kill left it, read directly, before anything recovers.
      const storage = await LevelDbStorage.open(join(dataDir, 'log'));
      try {
        const ledger = new BudgetLedger(storage.space('privacy'));
        const records = await ledger.releases();
        expect(records.map((r) => r.id), `round ${round}: release ids`).toEqual(records.map((_, i) => i + 1));
        for (const regulator of ['crash-regulator', 'tiny-regulator'] as const) {
          const own = records.filter((r) => r.regulator === regulator);
          const account = await ledger.account(regulator);
          expect(account.releases, `round ${round}: ${regulator}'s releases`).toBe(own.length);
          expect(own.map((r) => r.regulatorSequence)).toEqual(own.map((_, i) => i + 1));
          // The totals are exactly the charges recorded: no charge lost, none counted twice…
          expect(compare(account.spent.epsilon, sum(own)), `round ${round}: ${regulator}'s total`).toBe(0);
          // …and never beyond the budget.
          expect(compare(account.spent.epsilon, BUDGETS[regulator])).toBeLessThanOrEqual(0);
        }
        // Every answer given has its charge, settled with the entry it answered.
        const byId = new Map(records.map((r) => [r.id, r]));
        for (const a of answered) {
          const record = byId.get(a.id);
          expect(record?.regulator, `answer ${a.id}`).toBe(a.regulator);
          expect(record?.status).toBe('released');
          expect(record?.entryId).toBe(a.entryId);
        }
        interrupted += (await ledger.unsettled()).length;
      } finally {
        await storage.close();
      }

      // 2. The service recovers: everything settled, each release logged exactly once.
      const service = await TransparencyService.open({
        dataDir,
        keys: loadServiceKeys({ dataDir }),
        issuer: 'https://privacy-crash.test',
        origin: 'privacy-crash.test/log',
        policy: createPolicy({ issuerKeys: [issuerKey.publicKey] }),
        logger: silentLogger(),
        privacy: parsePrivacyConfig(CONFIG),
      });
      try {
        await service.reports.recover();
        await service.index.caughtUp();
        const ledger = service.reports.budgetLedger;
        expect(await ledger.unsettled()).toEqual([]);
        const records = await ledger.releases();
        const logged = (await service.index.find('type', 'privacy-report', { limit: 1000 })).entries;
        expect(logged.length, `round ${round}: one report statement per release`).toBe(records.length);
        expect(new Set(logged.map((e) => e.sub)).size).toBe(records.length);
        const entries = new Set(logged.map((e) => e.entryId));
        for (const r of records) {
          expect(['released', 'abandoned']).toContain(r.status);
          expect(entries.has(r.entryId!), `release ${r.id} is in the log`).toBe(true);
        }
        abandoned = records.filter((r) => r.status === 'abandoned').length;
        for (const regulator of ['crash-regulator', 'tiny-regulator'] as const) {
          expect(compare((await ledger.account(regulator)).spent.epsilon, sum(records.filter((r) => r.regulator === regulator)))).toBe(0);
        }
      } finally {
        await service.close();
      }
    }
    expect(answered.length, 'the child got reports out between kills').toBeGreaterThan(ROUNDS);
    expect(interrupted, 'some kills landed between a charge and its answer').toBeGreaterThan(0);
    // Only a release interrupted before it was computed is abandoned; the others were released.
    expect(abandoned).toBeLessThanOrEqual(interrupted);
    // The small budget ran out and stayed out: 5 releases of 0.01 at most.
    expect(answered.filter((a) => a.regulator === 'tiny-regulator').length).toBeLessThanOrEqual(5);
  }, 240_000);
});
