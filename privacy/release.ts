// The noisy results of a release, from the bounded aggregates: the partitions released (all the
// public ones, including those with no data, or those DP partition selection keeps), the noise
// added to every cell, and each estimate's 95% confidence interval. Everything after the noise is
// post-processing (scaling to the measurement's unit, a mean as a ratio, quantiles from a noisy
// CDF, dropping partitions past the report's size limit in key order), which costs no privacy.

import type { PartitionAggregate } from './bounding.js';
import type { NoisePlan, NoisyStatistic } from './mechanisms.js';
import { type Noise, noiseVariance, normalQuantile } from './noise.js';
import { type KeyValue, type QueryPlan, QUERY_LIMITS } from './query.js';
import { toNumber } from './rational.js';
import type { RandomSource } from './random.js';
import { sampleDiscreteGaussian, sampleDiscreteLaplace } from './samplers.js';

/** A noisy value and an interval that covers the value before noise with probability ≥ 95%. */
export interface Estimate {
  readonly value: number;
  readonly ci95: readonly [number, number];
}

export interface QuantileEstimate {
  readonly q: number;
  readonly value: number;
  /** Approximate (see docs/privacy.md): bin resolution, normal approximation of the summed noise. */
  readonly ci95: readonly [number, number];
}

export interface ReleaseResult {
  /** The partition's key values by key name (`domain`, `month`, `action`, `outcome`, `dim:<name>`). */
  readonly partition: Readonly<Record<string, KeyValue>>;
  /** Histograms: the bin, [from, to) (the last bin includes values above it, the first those below). */
  readonly bin?: { readonly from: number; readonly to: number };
  readonly count?: Estimate;
  readonly sum?: Estimate;
  readonly mean?: Estimate;
  readonly quantiles?: readonly QuantileEstimate[];
}

export interface ReleaseOutcome {
  readonly results: readonly ReleaseResult[];
  /** dp_threshold: partitions were released beyond the report's limit and dropped (in key order). */
  readonly truncated: boolean;
}

/** The key under which a partition's rows are bounded and aggregated. */
export const partitionKey = (values: readonly KeyValue[]): string => JSON.stringify(values);

export function draw(noise: Noise, random: RandomSource): bigint {
  return noise.kind === 'laplace' ? sampleDiscreteLaplace(random, noise.scale) : sampleDiscreteGaussian(random, noise.sigma2);
}

const EMPTY: PartitionAggregate = Object.freeze({ units: 0, rows: 0, sum: 0n, bins: [] }) as PartitionAggregate;

/** Names of the partition keys, in group_by order. */
export function partitionNames(plan: QueryPlan): string[] {
  return plan.groupBy.map((g) => (g.key === 'dim' ? `dim:${g.name}` : g.key));
}

/** The results of a release: noise on every released cell, from `random` (node:crypto in the service). */
export function computeRelease(plan: QueryPlan, noise: NoisePlan, aggregates: ReadonlyMap<string, PartitionAggregate>, random: RandomSource): ReleaseOutcome {
  // Which partitions are released.
  let released: (readonly KeyValue[])[];
  let truncated = false;
  if (noise.selection === undefined) {
    released = [...plan.partitions!];
  } else {
    const { threshold } = noise.selection;
    const kept: string[] = [];
    for (const [key, aggregate] of aggregates) {
      if (BigInt(aggregate.units) + draw(noise.selection.noise, random) >= threshold) kept.push(key);
    }
    kept.sort();
    truncated = kept.length > QUERY_LIMITS.selectedPartitions;
    released = kept.slice(0, QUERY_LIMITS.selectedPartitions).map((key) => JSON.parse(key) as KeyValue[]);
  }

  const names = partitionNames(plan);
  const statistic = (name: NoisyStatistic['name']) => noise.statistics.find((s) => s.name === name)!;
  const granularity = plan.value?.granularity === undefined ? 1 : toNumber(plan.value.granularity);
  const results: ReleaseResult[] = [];

  for (const values of released) {
    const partition = Object.fromEntries(names.map((name, i) => [name, values[i]!]));
    const aggregate = aggregates.get(partitionKey(values)) ?? EMPTY;
    switch (plan.statistic) {
      case 'count': {
        const s = statistic('count');
        results.push({ partition, count: estimate(BigInt(aggregate.rows) + draw(s.noise, random), s.halfWidths.at95, 1) });
        break;
      }
      case 'sum': {
        const s = statistic('sum');
        results.push({ partition, sum: estimate(aggregate.sum + draw(s.noise, random), s.halfWidths.at95, granularity) });
        break;
      }
      case 'mean': {
        const countStat = statistic('count');
        const sumStat = statistic('normalized_sum');
        const count = BigInt(aggregate.rows) + draw(countStat.noise, random);
        const normalizedSum = aggregate.sum - BigInt(aggregate.rows) * noise.midpoint! + draw(sumStat.noise, random);
        results.push({
          partition,
          count: estimate(count, countStat.halfWidths.at95, 1),
          mean: meanEstimate(plan, noise.midpoint!, count, normalizedSum, countStat.halfWidths.at975, sumStat.halfWidths.at975),
        });
        break;
      }
      case 'histogram': {
        const s = statistic('bins');
        const edges = plan.value!.bins!;
        for (let b = 0; b < edges.length - 1; b++) {
          const n = BigInt(aggregate.bins[b] ?? 0);
          results.push({ partition, bin: { from: edges[b]!, to: edges[b + 1]! }, count: estimate(n + draw(s.noise, random), s.halfWidths.at95, 1) });
        }
        break;
      }
      case 'quantiles': {
        const s = statistic('bins');
        const resolution = plan.value!.resolution!;
        const noisy: number[] = [];
        for (let b = 0; b < resolution; b++) noisy.push(Number(BigInt(aggregate.bins[b] ?? 0) + draw(s.noise, random)));
        results.push({ partition, quantiles: quantilesOf(plan, noisy, noiseVariance(s.noise)) });
        break;
      }
    }
  }
  return { results, truncated };
}

function estimate(noisy: bigint, half: number, unit: number): Estimate {
  const value = Number(noisy);
  return { value: value * unit, ci95: [(value - half) * unit, (value + half) * unit] };
}

/**
 * mean = midpoint + (noisy normalised sum)/(noisy count), clamped to [min, max]. Its interval
 * combines the two 97.5% intervals (Bonferroni): when both hold, which is at least 95% likely,
 * the mean before noise is between the extreme ratios of their ends.
 */
function meanEstimate(plan: QueryPlan, midpoint: bigint, count: bigint, normalizedSum: bigint, countHalf: number, sumHalf: number): Estimate {
  const g = toNumber(plan.value!.granularity!);
  const min = toNumber(plan.value!.min!);
  const max = toNumber(plan.value!.max!);
  const mid = Number(midpoint);
  const clamp = (x: number) => Math.min(max, Math.max(min, x));
  const c = Number(count);
  const s = Number(normalizedSum);
  const value = c >= 1 ? clamp((mid + s / c) * g) : clamp(mid * g);
  const cLow = c - countHalf;
  if (cLow < 1) return { value, ci95: [min, max] };
  const ratios = [s - sumHalf, s + sumHalf].flatMap((sum) => [sum / cLow, sum / (c + countHalf)]);
  return { value, ci95: [clamp((mid + Math.min(...ratios)) * g), clamp((mid + Math.max(...ratios)) * g)] };
}

/**
 * Quantiles from a noisy histogram of `resolution` equal bins over [min, max]: negative counts
 * are read as 0, and the quantile is interpolated in the bin where the cumulative count passes
 * q × total. The interval is approximate: the edges where the cumulative noisy count ± 1.96
 * standard deviations of its summed noise passes q × total.
 */
function quantilesOf(plan: QueryPlan, noisy: readonly number[], variance: number): QuantileEstimate[] {
  const min = toNumber(plan.value!.min!);
  const max = toNumber(plan.value!.max!);
  const width = (max - min) / noisy.length;
  const clamped = noisy.map((n) => Math.max(0, n));
  const total = clamped.reduce((a, b) => a + b, 0);
  const z = normalQuantile(0.975);
  return plan.quantiles!.map((q) => {
    if (total <= 0) return { q, value: (min + max) / 2, ci95: [min, max] as const };
    const target = q * total;
    let before = 0;
    let value = max;
    for (let b = 0; b < clamped.length; b++) {
      const after = before + clamped[b]!;
      if (after >= target && clamped[b]! > 0) {
        value = min + (b + (target - before) / clamped[b]!) * width;
        break;
      }
      before = after;
    }
    let low = max;
    let high = max;
    let cumulative = 0;
    for (let b = 0; b < noisy.length; b++) {
      cumulative += noisy[b]!;
      const spread = z * Math.sqrt((b + 1) * variance);
      if (low === max && cumulative + spread >= target) low = min + b * width;
      if (cumulative - spread >= target) {
        high = min + (b + 1) * width;
        break;
      }
    }
    return { q, value, ci95: [Math.min(low, value), Math.max(high, value)] as const };
  });
}
