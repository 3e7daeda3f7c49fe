// The budget ledger on a real LevelDB: a charge and its release record in one durable write,
// refusal at exhaustion with nothing written, a concurrent burst that tries to overspend, the
// state surviving a reopen, and an accountant that cannot be switched once spent.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelDbStorage } from '../log/index.js';
import { tempDir } from '../test/support/log.js';
import { type BudgetLimit, BudgetLedger, costOf, formatRational, PrivacyError, readRational } from './index.js';

const r = (text: string) => readRational(text)!;
const basic = (epsilon: string): BudgetLimit => ({ kind: 'basic', epsilon: r(epsilon), delta: r('0') });
const laplace = (epsilon: string) => costOf({ mechanism: 'laplace', epsilon: r(epsilon) }, 'basic');
const open: LevelDbStorage[] = [];

async function storage(dir = join(tempDir('atlog-ledger-'), 'db')): Promise<{ dir: string; db: LevelDbStorage }> {
  const db = await LevelDbStorage.open(dir);
  open.push(db);
  return { dir, db };
}
afterEach(async () => {
  for (const db of open.splice(0)) await db.close();
});

const request = (regulator: string, limit: BudgetLimit, epsilon: string, treeSize = 10) => ({
  regulator,
  limit,
  cost: laplace(epsilon),
  query: { statistic: 'count', epsilon },
  treeSize,
  now: 1_767_225_600_000,
});

async function refusal(promise: Promise<unknown>): Promise<PrivacyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PrivacyError) return error;
    throw error;
  }
  throw new Error('the charge was accepted');
}

describe('the budget ledger', () => {
  it('writes the charge, the release record and its pending mark together, and settles them', async () => {
    const { db } = await storage();
    const ledger = new BudgetLedger(db.space('privacy'));
    const first = await ledger.charge(request('eu', basic('1'), '0.25'));
    expect(first).toMatchObject({ id: 1, regulator: 'eu', regulatorSequence: 1, status: 'charged', cost: { epsilon: '0.25', delta: '0', rho: '0' }, spentBefore: { epsilon: '0' }, treeSize: 10 });
    const second = await ledger.charge(request('us', basic('1'), '0.5'));
    expect(second).toMatchObject({ id: 2, regulator: 'us', regulatorSequence: 1 });
    expect((await ledger.account('eu')).spent.epsilon).toEqual(r('0.25'));
    expect((await ledger.unsettled()).map((x) => x.id)).toEqual([1, 2]);
    await ledger.settle(1, { status: 'computed', payload: { results: [] }, now: 1 });
    expect((await ledger.unsettled()).map((x) => x.status)).toEqual(['computed', 'charged']);
    const released = await ledger.settle(1, { status: 'released', entryId: 'ab'.repeat(32), now: 2 });
    expect(released).toMatchObject({ status: 'released', entryId: 'ab'.repeat(32), payload: { results: [] }, settledAt: 2 });
    expect((await ledger.unsettled()).map((x) => x.id)).toEqual([2]);
  });

  it('refuses a charge the budget cannot pay, writing nothing, and pays exactly to the last digit', async () => {
    const { db } = await storage();
    const space = db.space('privacy');
    const ledger = new BudgetLedger(space);
    for (let i = 0; i < 10; i++) await ledger.charge(request('eu', basic('1'), '0.1'));
    const before = await space.range({ limit: 1000 });
    const error = await refusal(ledger.charge(request('eu', basic('1'), '0.000000000001')));
    expect(error.code).toBe('BUDGET_EXHAUSTED');
    expect(error.message).toMatch(/the privacy budget of eu cannot pay this release: this release costs ε 0\.000000000001; 0 of ε 1 and 0 of δ 0 are left; nothing was charged/);
    expect(await space.range({ limit: 1000 })).toEqual(before);
    expect(formatRational((await ledger.account('eu')).spent.epsilon)).toBe('1');
    // Another regulator's budget is its own.
    await ledger.charge(request('us', basic('1'), '1'));
  });

  it('charges a concurrent burst one at a time: never past the budget, and every charge durable', async () => {
    const { dir, db } = await storage();
    const ledger = new BudgetLedger(db.space('privacy'));
    // 40 requests of ε 0.3 against ε 10: exactly 33 fit (9.9), whatever the interleaving.
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => ledger.charge(request('eu', basic('10'), '0.3'))));
    const accepted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(accepted).toHaveLength(33);
    expect(refused.map((o) => (o.reason as PrivacyError).code)).toEqual(new Array(7).fill('BUDGET_EXHAUSTED'));
    const ids = accepted.map((o) => (o as PromiseFulfilledResult<{ id: number; regulatorSequence: number }>).value);
    expect(ids.map((x) => x.id).sort((a, b) => a - b)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
    expect(ids.map((x) => x.regulatorSequence).sort((a, b) => a - b)).toEqual(Array.from({ length: 33 }, (_, i) => i + 1));
    await db.close();
    open.splice(open.indexOf(db), 1);

    // After a restart the stored state is the authority: the same totals, and the ids go on.
    const again = await storage(dir);
    const reopened = new BudgetLedger(again.db.space('privacy'));
    const account = await reopened.account('eu');
    expect(formatRational(account.spent.epsilon)).toBe('9.9');
    expect(account.releases).toBe(33);
    expect((await reopened.releases()).map((x) => x.cost.epsilon)).toEqual(new Array(33).fill('0.3'));
    expect((await refusal(reopened.charge(request('eu', basic('10'), '0.3')))).code).toBe('BUDGET_EXHAUSTED');
    expect((await reopened.charge(request('eu', basic('10'), '0.1'))).id).toBe(34);
  });

  it('keeps a regulator on the accountant it has spent under', async () => {
    const { db } = await storage();
    const ledger = new BudgetLedger(db.space('privacy'));
    await ledger.charge(request('eu', basic('1'), '0.1'));
    const zcdp: BudgetLimit = { kind: 'zcdp', rho: r('1'), delta: r('0.000001') };
    const error = await refusal(ledger.charge({ ...request('eu', zcdp, '0.1'), cost: costOf({ mechanism: 'gaussian', rho: r('0.1') }, 'zcdp') }));
    expect(error.code).toBe('PRIVACY_CONFIG_INVALID');
    expect(error.message).toMatch(/an accountant cannot change once spent/);
  });
});
