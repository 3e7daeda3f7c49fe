// The privacy guarantee, measured: a count released from two neighbouring datasets (one has an
// extra unit with 50 records) through the whole pipeline (row filters, contribution bounding,
// discrete Laplace noise), 25,000 times each. For every output value seen often enough in both,
// the ratio of its frequencies must be within e^ε, up to statistical error: log(p̂/p̂′) ≤ ε + 5·se
// with se = √(1/n + 1/n′) (the delta method), each check a one-sided α ≈ 2.9e-7, about 20 checks:
// a false alarm rate near 6e-6 were the seeds random. The seeds are fixed, so the test is
// deterministic. It also shows it can see a violation: without the contribution bound, the same
// check fails.
import { describe, expect, it } from 'vitest';
import { indexRecord } from '../test/support/index-records.js';
import { seededSource } from '../test/support/privacy.js';
import { aggregateEntries, computeRelease, noisePlan, planQuery, type QueryPlan, type RandomSource } from './index.js';

const RUNS = 25_000;
const MIN_SEEN = 400;

const query = (c: number) =>
  planQuery({
    statistic: 'count',
    filter: { type: 'exec-audit', dims: { outcome: 'ok' } },
    privacy_unit: 'agent',
    bounds: { max_partitions_contributed: 1, max_contributions_per_partition: c },
    epsilon: 0.5,
  });

function dataset(withExtra: boolean): ReturnType<typeof indexRecord>[] {
  const records = [];
  for (let i = 0; i < 30; i++) for (let j = 0; j < 1 + (i % 3); j++) records.push(indexRecord({ index: records.length, agent: `u${i}`, dims: { outcome: 'ok' } }));
  // Records that the filter drops, so the row filters run too.
  for (let i = 0; i < 10; i++) records.push(indexRecord({ index: records.length, agent: `u${i}`, dims: { outcome: 'error' } }));
  if (withExtra) for (let j = 0; j < 50; j++) records.push(indexRecord({ index: records.length, agent: 'the-extra-unit', dims: { outcome: 'ok' } }));
  return records;
}

/** How often each output value comes out, over RUNS full releases. */
function outputs(plan: QueryPlan, noiseFrom: QueryPlan, records: ReturnType<typeof indexRecord>[], random: RandomSource): Map<number, number> {
  const counts = new Map<number, number>();
  const noise = noisePlan(noiseFrom);
  for (let run = 0; run < RUNS; run++) {
    const aggregates = aggregateEntries(plan, records, random);
    const value = computeRelease(plan, noise, aggregates, random).results[0]!.count!.value;
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return counts;
}

/** The largest log(p̂/p̂′) − 5·se and log(p̂/p̂′) + 5·se over values seen often enough in both, either way round. */
function worstRatio(a: Map<number, number>, b: Map<number, number>): { upper: number; lower: number; checked: number } {
  let upper = Number.NEGATIVE_INFINITY;
  let lower = Number.NEGATIVE_INFINITY;
  let checked = 0;
  for (const [value, n] of a) {
    const m = b.get(value) ?? 0;
    if (n < MIN_SEEN || m < MIN_SEEN) continue;
    checked++;
    const ratio = Math.abs(Math.log(n / m));
    const se = Math.sqrt(1 / n + 1 / m);
    upper = Math.max(upper, ratio - 5 * se);
    lower = Math.max(lower, ratio + 5 * se);
  }
  return { upper, lower, checked };
}

describe('a count on neighbouring datasets', () => {
  it('has output distributions within e^ε of each other (ε = 0.5, unit bound 3)', () => {
    const plan = query(3);
    const random = seededSource('neighbours');
    const a = outputs(plan, plan, dataset(false), random);
    const b = outputs(plan, plan, dataset(true), random);
    const { upper, lower, checked } = worstRatio(a, b);
    expect(checked).toBeGreaterThanOrEqual(15);
    // No value is more than e^ε likelier under one dataset than the other…
    expect(upper, 'the smallest the worst log ratio can be').toBeLessThanOrEqual(0.5);
    // …and the bound is met, not merely respected: the mechanism spends the ε it is charged.
    expect(lower, 'the largest the worst log ratio can be').toBeGreaterThanOrEqual(0.5);
  }, 60_000);

  it('breaks e^ε when the noise is not scaled to the bound (the check can see a violation)', () => {
    // Rows bounded at 3 per unit, noise scaled as if at 1: the extra unit moves the count by 3.
    const random = seededSource('broken');
    const a = outputs(query(3), query(1), dataset(false), random);
    const b = outputs(query(3), query(1), dataset(true), random);
    expect(worstRatio(a, b).upper).toBeGreaterThan(0.5);
  }, 60_000);
});
