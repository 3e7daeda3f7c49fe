// From a query's bounds to its noise, with no data in sight: the sensitivity of each noisy
// statistic is derived from the contribution bounds and the clamping bounds (never assumed), the
// query's ε or ρ is split between the statistics it releases, and each statistic gets the exact
// noise parameter that makes it private. The report states all of it, so an auditor can redo the
// arithmetic from the report alone.
//
// With k = max_partitions_contributed and c = max_contributions_per_partition, one unit moves:
//   a count in each of ≤ k partitions by ≤ c:          Δ₁ = k·c,    Δ₂² = k·c²
//   a sum of values in [0, M] likewise by ≤ c·M:        Δ₁ = k·c·M,  Δ₂² = k·c²·M²
//   the bins of a histogram in one partition by ≤ c in total (Σ and √Σ² both ≤ c), so again
//                                                      Δ₁ = k·c,    Δ₂² = k·c²
//   a mean is a noisy sum of (value − midpoint) over a noisy count (PipelineDP's normalised
//   sum): M is then max(max − mid, mid − min), about half the range.
// Partition selection (dp_threshold) counts distinct units per partition: Δ₁ = k.

import type { AggregateKind } from './bounding.js';
import { gaussianSigma2, halfWidth, laplaceScale, type Noise, type Sensitivity } from './noise.js';
import type { QueryPlan } from './query.js';
import { formatRational, multiply, type Rational, rational, toNumber } from './rational.js';

/** One noisy statistic of a release: what it measures, how sensitive it is, and its noise. */
export interface NoisyStatistic {
  readonly name: 'count' | 'sum' | 'normalized_sum' | 'bins';
  readonly sensitivity: Sensitivity;
  /** Its share of the release's ε (laplace) or ρ (gaussian). */
  readonly share: Rational;
  readonly noise: Noise;
  /** Half-widths of the noise's 95% and 97.5% intervals (computed once per release, not per cell). */
  readonly halfWidths: { readonly at95: number; readonly at975: number };
}

/** DP partition selection: Laplace noise on the units of each partition, released at or above the threshold. */
export interface PartitionSelection {
  readonly epsilon: Rational;
  readonly delta: Rational;
  readonly sensitivity: Sensitivity;
  readonly noise: Noise & { readonly kind: 'laplace' };
  /** A partition is released when its noisy unit count is at least this. */
  readonly threshold: bigint;
}

export interface NoisePlan {
  readonly aggregate: AggregateKind;
  readonly statistics: readonly NoisyStatistic[];
  readonly selection?: PartitionSelection;
  /** For a mean: the midpoint subtracted from every value (in units of the granularity). */
  readonly midpoint?: bigint;
}

const HALF = rational(1n, 2n);

export function aggregateKind(plan: QueryPlan): AggregateKind {
  return plan.statistic === 'count' ? 'count' : plan.statistic === 'sum' || plan.statistic === 'mean' ? 'sum' : 'bins';
}

/** The noise of a release: sensitivities from its bounds, its ε or ρ split between its statistics. */
export function noisePlan(plan: QueryPlan): NoisePlan {
  const k = BigInt(plan.bounds.maxPartitions);
  const c = BigInt(plan.bounds.maxPerPartition);
  const budget = plan.mechanism === 'laplace' ? plan.epsilon! : plan.rho!;
  // dp_threshold spends half of ε on choosing the partitions, half on what is released in them.
  const selected = plan.selection === 'dp_threshold';
  const forStatistics = selected ? multiply(budget, HALF) : budget;
  const sensitivity = (m: bigint): Sensitivity => ({ l1: k * c * m, l2Squared: k * c * c * m * m });
  const noisy = (name: NoisyStatistic['name'], s: Sensitivity, share: Rational): NoisyStatistic => {
    const noise: Noise =
      plan.mechanism === 'laplace' ? { kind: 'laplace', scale: laplaceScale(s.l1, share) } : { kind: 'gaussian', sigma2: gaussianSigma2(s.l2Squared, share) };
    return { name, sensitivity: s, share, noise, halfWidths: { at95: halfWidth(noise, 0.95), at975: halfWidth(noise, 0.975) } };
  };

  const statistics: NoisyStatistic[] = [];
  let midpoint: bigint | undefined;
  switch (plan.statistic) {
    case 'count':
      statistics.push(noisy('count', sensitivity(1n), forStatistics));
      break;
    case 'sum':
      statistics.push(noisy('sum', sensitivity(max1(plan.value!.maxUnits!)), forStatistics));
      break;
    case 'mean': {
      const min = plan.value!.minUnits!;
      const max = plan.value!.maxUnits!;
      midpoint = (min + max) / 2n;
      const reach = max - midpoint > midpoint - min ? max - midpoint : midpoint - min;
      const half = multiply(forStatistics, HALF);
      statistics.push(noisy('count', sensitivity(1n), half), noisy('normalized_sum', sensitivity(max1(reach)), half));
      break;
    }
    case 'histogram':
    case 'quantiles':
      statistics.push(noisy('bins', sensitivity(1n), forStatistics));
      break;
  }
  return {
    aggregate: aggregateKind(plan),
    statistics,
    ...(selected ? { selection: partitionSelection(multiply(budget, HALF), plan.delta!, k) } : {}),
    ...(midpoint === undefined ? {} : { midpoint }),
  };
}

/** A zero range still has sensitivity 1: noise is never scaled to zero. */
const max1 = (m: bigint): bigint => (m < 1n ? 1n : m);

/**
 * The selection mechanism (Korolova et al. 2009; Wilson et al. 2020): each unit is in at most k
 * partitions, so the vector of distinct-unit counts has Δ₁ = k, and discrete Laplace noise of
 * scale k/ε on it is ε-DP for the partitions both neighbours have. A partition only one of them
 * has holds the one unit that differs (its count is 1), and is released with probability
 * P[Z ≥ τ − 1] = p^(τ−1)/(1+p), p = exp(−ε/k); the unit is in at most k of them, so the
 * release of any is at most k·p^(τ−1)/(1+p) likely, which is ≤ δ as soon as
 * τ − 1 ≥ (k/ε)·ln(k/(δ(1+p))). τ is the smallest such integer, found in floating point and then
 * made one larger against rounding, which only lowers δ further.
 */
export function partitionSelection(epsilon: Rational, delta: Rational, k: bigint): PartitionSelection {
  const sensitivity: Sensitivity = { l1: k, l2Squared: k };
  const scale = laplaceScale(k, epsilon);
  const p = Math.exp(-1 / toNumber(scale));
  const needed = toNumber(scale) * Math.log(Number(k) / (toNumber(delta) * (1 + p)));
  const threshold = 2n + BigInt(Math.max(0, Math.ceil(needed)));
  return { epsilon, delta, sensitivity, noise: { kind: 'laplace', scale }, threshold };
}

/** The noise as the report states it. */
export function describeNoise(noise: Noise): Record<string, string> {
  return noise.kind === 'laplace' ? { distribution: 'discrete_laplace', scale: formatRational(noise.scale) } : { distribution: 'discrete_gaussian', sigma2: formatRational(noise.sigma2) };
}
