// The operator's privacy configuration: each regulator's budget (by the name of its bearer token)
// and an optional default for regulators not listed. Strict JSON, every member known; an error
// names the member. Read when the service starts (`atlog serve --privacy FILE`).
//
//   { "budgets": { "eu-regulator": { "accountant": "basic", "epsilon": 10, "delta": 1e-6 },
//                  "us-regulator": { "accountant": "zcdp", "rho": 2, "delta": 1e-9 } },
//     "default": { "accountant": "basic", "epsilon": 1, "delta": 0 } }

import { parseStrictJson } from '../util/index.js';
import { ACCOUNTANTS, type BudgetLimit } from './accounting.js';
import { PrivacyError } from './errors.js';
import { compare, parseDecimal, type Rational, rational } from './rational.js';

export interface PrivacyConfig {
  /** Budgets by regulator name (the `name` of its access token). */
  readonly budgets: ReadonlyMap<string, BudgetLimit>;
  /** For a regulator with no budget of its own; without one, such a regulator has no budget. */
  readonly defaultBudget?: BudgetLimit;
}

export const NO_PRIVACY_BUDGETS: PrivacyConfig = Object.freeze({ budgets: new Map<string, BudgetLimit>() });

/** Largest totals a configuration may give: beyond them the guarantee means nothing. */
const MAX_TOTAL_EPSILON = rational(1000n);
const MAX_TOTAL_RHO = rational(1000n);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const invalid = (message: string) => new PrivacyError('PRIVACY_CONFIG_INVALID', `privacy configuration: ${message}`);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `{accountant, epsilon|rho, delta}`; `at` names it in errors. */
export function parseBudget(value: unknown, at: string): BudgetLimit {
  if (!isObject(value)) throw invalid(`${at}: must be {"accountant", "epsilon" or "rho", "delta"}`);
  const kind = value.accountant;
  if (typeof kind !== 'string' || !(ACCOUNTANTS as readonly string[]).includes(kind)) throw invalid(`${at}.accountant: one of ${ACCOUNTANTS.join(', ')}`);
  const allowed = kind === 'basic' ? ['accountant', 'epsilon', 'delta'] : ['accountant', 'rho', 'delta'];
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw invalid(`${at}.${key}: unknown member for a ${kind} budget (${allowed.join(', ')})`);
  const amount = (key: string, max: Rational, digits: number): Rational => {
    try {
      const r = parseDecimal(value[key], `${at}.${key}`, digits);
      if (compare(r, max) > 0) throw invalid(`${at}.${key}: at most ${max.n}`);
      return r;
    } catch (error) {
      if (error instanceof PrivacyError && error.code === 'QUERY_INVALID') throw invalid(error.message);
      throw error;
    }
  };
  const delta = value.delta === undefined ? rational(0n) : amount('delta', rational(1n, 100n), 15);
  if (kind === 'basic') return { kind, epsilon: amount('epsilon', MAX_TOTAL_EPSILON, 12), delta };
  if (delta.n === 0n) throw invalid(`${at}.delta: a zcdp budget needs δ > 0, at which its total is stated as (ε, δ)-DP`);
  return { kind: 'zcdp', rho: amount('rho', MAX_TOTAL_RHO, 12), delta };
}

/** A privacy configuration file's text, checked (see the file comment). */
export function parsePrivacyConfig(text: string): PrivacyConfig {
  let value: unknown;
  try {
    value = parseStrictJson(text, { maxLength: 256 * 1024, maxDepth: 4 });
  } catch (error) {
    throw invalid(`not strict JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(value)) throw invalid('must be {"budgets": {…}, "default": {…}}');
  for (const key of Object.keys(value)) if (key !== 'budgets' && key !== 'default') throw invalid(`${key}: unknown member (budgets, default)`);
  const budgets = new Map<string, BudgetLimit>();
  if (value.budgets !== undefined) {
    if (!isObject(value.budgets)) throw invalid('budgets: an object of regulator name → budget');
    const names = Object.keys(value.budgets);
    if (names.length > 256) throw invalid('budgets: at most 256 regulators');
    for (const name of names) {
      if (!NAME.test(name)) throw invalid(`budgets.${name}: a regulator name is its token's name (1 to 64 of A-Z a-z 0-9 . _ @ -)`);
      budgets.set(name, parseBudget(value.budgets[name], `budgets.${name}`));
    }
  }
  return { budgets, ...(value.default === undefined ? {} : { defaultBudget: parseBudget(value.default, 'default') }) };
}

/** The budget of `regulator`, or BUDGET_NOT_CONFIGURED. */
export function budgetOf(config: PrivacyConfig, regulator: string): BudgetLimit {
  const budget = config.budgets.get(regulator) ?? config.defaultBudget;
  if (budget === undefined) {
    throw new PrivacyError('BUDGET_NOT_CONFIGURED', `no privacy budget is configured for ${regulator}; the operator gives one in the privacy configuration (serve --privacy)`);
  }
  return budget;
}
