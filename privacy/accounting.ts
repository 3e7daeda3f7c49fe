// The accountant, in pure arithmetic: what a budget is, what a release costs, whether a budget can
// pay, and what the total guarantee is. Two accountants, fixed per regulator by the operator:
//
//   basic  pure ε-DP and (ε, δ)-DP releases under basic composition: the costs add up, Σε ≤ ε and
//          Σδ ≤ δ of the budget. Discrete Laplace releases cost (ε, 0); releases with DP partition
//          selection cost (ε, δ).
//   zcdp   ρ-zCDP (Bun and Steinke 2016): the ρ of the releases add up, Σρ ≤ ρ of the budget.
//          Discrete Gaussian releases cost their ρ; discrete Laplace releases, being ε-DP, cost
//          ρ = ε²/2 (Bun and Steinke, Proposition 1.4). The budget's δ only says at which δ the
//          total is also stated as (ε, δ)-DP: ε = ρ + 2·√(ρ·ln(1/δ)) (their Proposition 1.3).
//
// Amounts are exact rationals, so a budget can be spent to the last digit and never beyond it.

import { PrivacyError } from './errors.js';
import { add, compare, formatRational, isZero, multiply, type Rational, rational, subtractOrZero, toNumber, ZERO } from './rational.js';

export const ACCOUNTANTS = ['basic', 'zcdp'] as const;
export type AccountantKind = (typeof ACCOUNTANTS)[number];

/** What the operator allows one regulator in total. */
export type BudgetLimit =
  | { readonly kind: 'basic'; readonly epsilon: Rational; readonly delta: Rational }
  | { readonly kind: 'zcdp'; readonly rho: Rational; readonly delta: Rational };

/** What a release costs, or what has been spent: the three currencies, each exact. */
export interface PrivacyCost {
  readonly epsilon: Rational;
  readonly delta: Rational;
  readonly rho: Rational;
}

export const NO_COST: PrivacyCost = Object.freeze({ epsilon: ZERO, delta: ZERO, rho: ZERO });

/** What a release declares it uses: its mechanism and parameters (see query.ts). */
export interface ReleaseParameters {
  readonly mechanism: 'laplace' | 'gaussian';
  /** For laplace. */
  readonly epsilon?: Rational;
  /** For gaussian. */
  readonly rho?: Rational;
  /** For DP partition selection (a basic budget only). */
  readonly delta?: Rational;
}

/** The cost of a release under `kind`, or QUERY_INVALID when that accountant cannot account for it. */
export function costOf(release: ReleaseParameters, kind: AccountantKind): PrivacyCost {
  const delta = release.delta ?? ZERO;
  if (kind === 'basic') {
    if (release.mechanism !== 'laplace' || release.epsilon === undefined) {
      throw new PrivacyError('QUERY_INVALID', '/mechanism: a basic (ε, δ) budget pays for laplace releases; gaussian needs a zcdp budget');
    }
    return { epsilon: release.epsilon, delta, rho: ZERO };
  }
  if (!isZero(delta)) {
    throw new PrivacyError('QUERY_INVALID', '/partition_selection: dp_threshold spends δ, which a zcdp budget does not account; declare the partitions (public), or use a basic budget');
  }
  if (release.mechanism === 'gaussian' && release.rho !== undefined) return { epsilon: ZERO, delta: ZERO, rho: release.rho };
  if (release.mechanism === 'laplace' && release.epsilon !== undefined) {
    // ε-DP implies (ε²/2)-zCDP.
    return { epsilon: ZERO, delta: ZERO, rho: multiply(multiply(release.epsilon, release.epsilon), rational(1n, 2n)) };
  }
  throw new PrivacyError('QUERY_INVALID', '/mechanism: laplace needs epsilon, gaussian needs rho');
}

export function addCosts(a: PrivacyCost, b: PrivacyCost): PrivacyCost {
  return { epsilon: add(a.epsilon, b.epsilon), delta: add(a.delta, b.delta), rho: add(a.rho, b.rho) };
}

/** Whether `limit` can pay `cost` on top of `spent`: every currency the accountant counts stays within. */
export function affordable(limit: BudgetLimit, spent: PrivacyCost, cost: PrivacyCost): boolean {
  const after = addCosts(spent, cost);
  if (limit.kind === 'basic') return compare(after.epsilon, limit.epsilon) <= 0 && compare(after.delta, limit.delta) <= 0 && isZero(after.rho);
  return compare(after.rho, limit.rho) <= 0 && isZero(after.epsilon) && isZero(after.delta);
}

/** What is left of `limit` after `spent`, in the accountant's own currencies. */
export function remaining(limit: BudgetLimit, spent: PrivacyCost): PrivacyCost {
  return limit.kind === 'basic'
    ? { epsilon: subtractOrZero(limit.epsilon, spent.epsilon), delta: subtractOrZero(limit.delta, spent.delta), rho: ZERO }
    : { epsilon: ZERO, delta: ZERO, rho: subtractOrZero(limit.rho, spent.rho) };
}

/**
 * ρ-zCDP implies (ε, δ)-DP for every δ > 0 with ε = ρ + 2·√(ρ·ln(1/δ)) (Bun and Steinke 2016,
 * Proposition 1.3). In floating point, rounded up: it is shown, never compared against a budget.
 */
export function zcdpEpsilon(rho: Rational, delta: Rational): number {
  const r = toNumber(rho);
  const d = toNumber(delta);
  if (r === 0) return 0;
  if (!(d > 0 && d < 1)) return Number.POSITIVE_INFINITY;
  return (r + 2 * Math.sqrt(r * Math.log(1 / d))) * (1 + 1e-12);
}

/** A positive float as a decimal string rounded up at 6 significant digits: an upper bound, shown. */
export function upperDecimal(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return 'inf';
  const exponent = Math.floor(Math.log10(x)) - 5;
  const scaled = Math.ceil(x / 10 ** exponent);
  return exponent >= 0 ? String(scaled * 10 ** exponent) : formatRational(rational(BigInt(scaled), 10n ** BigInt(-exponent)));
}

/** The accountant's state as reports and `GET /budget` show it (§4.8 names); amounts are exact decimal strings. */
export interface AccountantView {
  readonly kind: AccountantKind;
  readonly total_epsilon: string;
  readonly total_delta: string;
  readonly spent_epsilon: string;
  readonly spent_delta: string;
  readonly remaining_epsilon: string;
  readonly remaining_delta: string;
  /** zcdp only: ρ, exact. The ε above are then the (ε, δ) equivalents at total_delta, rounded up. */
  readonly total_rho?: string;
  readonly spent_rho?: string;
  readonly remaining_rho?: string;
}

export function accountantView(limit: BudgetLimit, spent: PrivacyCost): AccountantView {
  if (limit.kind === 'basic') {
    const left = remaining(limit, spent);
    return {
      kind: 'basic',
      total_epsilon: formatRational(limit.epsilon),
      total_delta: formatRational(limit.delta),
      spent_epsilon: formatRational(spent.epsilon),
      spent_delta: formatRational(spent.delta),
      remaining_epsilon: formatRational(left.epsilon),
      remaining_delta: formatRational(left.delta),
    };
  }
  const left = remaining(limit, spent);
  const delta = formatRational(limit.delta);
  return {
    kind: 'zcdp',
    total_epsilon: upperDecimal(zcdpEpsilon(limit.rho, limit.delta)),
    total_delta: delta,
    spent_epsilon: upperDecimal(zcdpEpsilon(spent.rho, limit.delta)),
    spent_delta: isZero(spent.rho) ? '0' : delta,
    remaining_epsilon: upperDecimal(zcdpEpsilon(left.rho, limit.delta)),
    remaining_delta: delta,
    total_rho: formatRational(limit.rho),
    spent_rho: formatRational(spent.rho),
    remaining_rho: formatRational(left.rho),
  };
}

export function formatCost(cost: PrivacyCost): { epsilon: string; delta: string; rho: string } {
  return { epsilon: formatRational(cost.epsilon), delta: formatRational(cost.delta), rho: formatRational(cost.rho) };
}
