// The accountant's arithmetic: exact composition, the zCDP conversions, what each accountant can
// pay for, and the operator's budget configuration.
import { describe, expect, it } from 'vitest';
import { errorCode } from '../test/support/errors.js';
import {
  accountantView,
  addCosts,
  affordable,
  type BudgetLimit,
  budgetOf,
  costOf,
  formatRational,
  NO_COST,
  parseDecimal,
  parsePrivacyConfig,
  PrivacyError,
  type PrivacyCost,
  rational,
  readRational,
  remaining,
  zcdpEpsilon,
} from './index.js';

const r = (text: string) => readRational(text)!;
const basic = (epsilon: string, delta = '0'): BudgetLimit => ({ kind: 'basic', epsilon: r(epsilon), delta: r(delta) });
const zcdp = (rho: string, delta: string): BudgetLimit => ({ kind: 'zcdp', rho: r(rho), delta: r(delta) });

describe('exact amounts', () => {
  it('read decimals as written, and add them without rounding', () => {
    expect(parseDecimal(0.1, '/epsilon', 12)).toEqual(rational(1n, 10n));
    expect(parseDecimal(1e-9, '/delta', 15)).toEqual(rational(1n, 10n ** 9n));
    expect(parseDecimal('0.000001', '/delta', 15)).toEqual(rational(1n, 10n ** 6n));
    expect(parseDecimal(2.5e3, '/x', 0)).toEqual(rational(2500n));
    expect(() => parseDecimal(-1, '/epsilon', 12)).toThrow(/\/epsilon: a non-negative decimal/);
    expect(() => parseDecimal(1e-13, '/epsilon', 12)).toThrow(/at most 12 decimal places/);
    expect(() => parseDecimal('1/3', '/epsilon', 12)).toThrow(PrivacyError);
    // Ten releases of ε = 0.1 spend exactly 1 (in floating point, 0.9999999999999999).
    let spent: PrivacyCost = NO_COST;
    for (let i = 0; i < 10; i++) spent = addCosts(spent, costOf({ mechanism: 'laplace', epsilon: parseDecimal(0.1, '/epsilon', 12) }, 'basic'));
    expect(formatRational(spent.epsilon)).toBe('1');
    expect(affordable(basic('1'), spent, NO_COST)).toBe(true);
    expect(affordable(basic('1'), spent, costOf({ mechanism: 'laplace', epsilon: r('0.000000000001') }, 'basic'))).toBe(false);
    expect(formatRational(rational(1n, 3n))).toBe('1/3');
    expect(formatRational(rational(1n, 8n))).toBe('0.125');
    expect(readRational('0.125')).toEqual(rational(1n, 8n));
    expect(readRational('10/3')).toEqual(rational(10n, 3n));
  });
});

describe('the basic accountant', () => {
  it('composes by adding ε and δ, and pays exactly up to its total', () => {
    const limit = basic('1', '0.000001');
    const laplace = costOf({ mechanism: 'laplace', epsilon: r('0.25') }, 'basic');
    expect(laplace).toEqual({ epsilon: r('0.25'), delta: rational(0n), rho: rational(0n) });
    const selected = costOf({ mechanism: 'laplace', epsilon: r('0.25'), delta: r('0.0000005') }, 'basic');
    let spent = addCosts(addCosts(laplace, selected), laplace);
    expect(formatRational(spent.epsilon)).toBe('0.75');
    expect(formatRational(spent.delta)).toBe('0.0000005');
    expect(affordable(limit, spent, laplace)).toBe(true); // exactly 1
    expect(affordable(limit, spent, selected)).toBe(true); // exactly 1 and exactly 1e-6
    spent = addCosts(spent, selected);
    expect(affordable(limit, spent, laplace)).toBe(false);
    expect(remaining(limit, spent)).toEqual({ epsilon: rational(0n), delta: rational(0n), rho: rational(0n) });
    const view = accountantView(limit, spent);
    expect(view).toEqual({
      kind: 'basic',
      total_epsilon: '1',
      total_delta: '0.000001',
      spent_epsilon: '1',
      spent_delta: '0.000001',
      remaining_epsilon: '0',
      remaining_delta: '0',
    });
  });

  it('cannot pay for a Gaussian release', () => {
    expect(errorCode(() => costOf({ mechanism: 'gaussian', rho: r('0.1') }, 'basic'), PrivacyError)).toBe('QUERY_INVALID');
  });
});

describe('the zCDP accountant', () => {
  it('adds ρ, charges a Laplace release ε²/2, and cannot pay for δ', () => {
    expect(costOf({ mechanism: 'gaussian', rho: r('0.05') }, 'zcdp')).toEqual({ epsilon: rational(0n), delta: rational(0n), rho: r('0.05') });
    expect(formatRational(costOf({ mechanism: 'laplace', epsilon: r('0.3') }, 'zcdp').rho)).toBe('0.045');
    expect(() => costOf({ mechanism: 'laplace', epsilon: r('0.3'), delta: r('0.000001') }, 'zcdp')).toThrow(/dp_threshold spends δ/);
    const limit = zcdp('0.1', '0.000000001');
    const spent = addCosts(costOf({ mechanism: 'gaussian', rho: r('0.05') }, 'zcdp'), costOf({ mechanism: 'gaussian', rho: r('0.05') }, 'zcdp'));
    expect(affordable(limit, NO_COST, spent)).toBe(true);
    expect(affordable(limit, spent, costOf({ mechanism: 'gaussian', rho: r('0.000001') }, 'zcdp'))).toBe(false);
  });

  it('states its total as (ε, δ)-DP with ε = ρ + 2√(ρ ln(1/δ)), rounded up', () => {
    // ρ = 0.1, δ = 1e-9: 0.1 + 2·√(0.1·20.723…) = 2.979…
    const expected = 0.1 + 2 * Math.sqrt(0.1 * Math.log(1e9));
    expect(zcdpEpsilon(r('0.1'), r('0.000000001'))).toBeCloseTo(expected, 10);
    expect(zcdpEpsilon(r('0.1'), r('0.000000001'))).toBeGreaterThanOrEqual(expected);
    expect(zcdpEpsilon(rational(0n), r('0.000000001'))).toBe(0);
    const view = accountantView(zcdp('0.1', '0.000000001'), { epsilon: rational(0n), delta: rational(0n), rho: r('0.025') });
    expect(view.kind).toBe('zcdp');
    expect(view.total_rho).toBe('0.1');
    expect(view.spent_rho).toBe('0.025');
    expect(view.remaining_rho).toBe('0.075');
    expect(view.total_delta).toBe('0.000000001');
    // Rounded up at six significant digits: an upper bound on the true ε.
    expect(Number(view.total_epsilon)).toBeGreaterThanOrEqual(expected);
    expect(Number(view.total_epsilon)).toBeLessThan(expected * 1.00001);
    expect(view.total_epsilon).toBe('2.97912');
  });
});

describe('the privacy configuration', () => {
  it('gives each regulator its budget, and the default to the others', () => {
    const config = parsePrivacyConfig(
      JSON.stringify({
        budgets: { 'eu-regulator': { accountant: 'basic', epsilon: 10, delta: 1e-6 }, 'us-regulator': { accountant: 'zcdp', rho: 2, delta: 1e-9 } },
        default: { accountant: 'basic', epsilon: 1 },
      }),
    );
    expect(budgetOf(config, 'eu-regulator')).toEqual(basic('10', '0.000001'));
    expect(budgetOf(config, 'us-regulator')).toEqual(zcdp('2', '0.000000001'));
    expect(budgetOf(config, 'someone-else')).toEqual(basic('1'));
    expect(errorCode(() => budgetOf(parsePrivacyConfig('{}'), 'eu-regulator'), PrivacyError)).toBe('BUDGET_NOT_CONFIGURED');
  });

  it('refuses a configuration that is not exactly right, naming the member', () => {
    const cases: [unknown, RegExp][] = [
      [{ budgets: { a: { accountant: 'rdp', epsilon: 1 } } }, /budgets\.a\.accountant: one of basic, zcdp/],
      [{ budgets: { a: { accountant: 'basic', rho: 1 } } }, /budgets\.a\.rho: unknown member for a basic budget/],
      [{ budgets: { a: { accountant: 'zcdp', rho: 1 } } }, /budgets\.a\.delta: a zcdp budget needs δ > 0/],
      [{ budgets: { a: { accountant: 'basic', epsilon: -1 } } }, /budgets\.a\.epsilon: a non-negative decimal/],
      [{ budgets: { a: { accountant: 'basic', epsilon: 5000 } } }, /budgets\.a\.epsilon: at most 1000/],
      [{ budgets: { 'bad name!': { accountant: 'basic', epsilon: 1 } } }, /budgets\.bad name!: a regulator name/],
      [{ budget: {} }, /budget: unknown member/],
    ];
    for (const [value, message] of cases) {
      const error = (() => {
        try {
          parsePrivacyConfig(JSON.stringify(value));
        } catch (e) {
          return e as PrivacyError;
        }
        return undefined;
      })();
      expect(error?.code, JSON.stringify(value)).toBe('PRIVACY_CONFIG_INVALID');
      expect(error?.message).toMatch(message);
    }
    expect(() => parsePrivacyConfig('{"budgets": {}, "budgets": {}}')).toThrow(/not strict JSON/);
  });
});
