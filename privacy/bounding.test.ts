// Contribution bounding and the sensitivity derived from it: whatever one unit writes, the
// aggregates move by at most what the bounds allow, and the noise is scaled to exactly that.
import { describe, expect, it } from 'vitest';
import { indexRecord } from '../test/support/index-records.js';
import { seededSource } from '../test/support/privacy.js';
import { aggregateEntries, computeRelease, ContributionBounder, noisePlan, partitionSelection, planQuery, rational, type PartitionAggregate } from './index.js';

const unit = (i: number) => `hmac-sha256:unit-${i}`;
const DOMAINS = ['a.example', 'b.example', 'c.example', 'd.example', 'e.example'];

const countQuery = (k: number, c: number) =>
  planQuery({
    statistic: 'count',
    filter: { type: 'exec-audit' },
    privacy_unit: 'agent',
    group_by: [{ key: 'domain', values: DOMAINS }],
    bounds: { max_partitions_contributed: k, max_contributions_per_partition: c },
    epsilon: 1,
  });

/** 40 ordinary units with a record or two each, in the five domains. */
function ordinary(): ReturnType<typeof indexRecord>[] {
  const out = [];
  for (let i = 0; i < 40; i++) {
    for (let j = 0; j <= i % 2; j++) out.push(indexRecord({ index: out.length, agent: unit(i), domain: DOMAINS[i % 5]! }));
  }
  return out;
}

/** One unit with `n` records spread over every domain. */
function heavy(n: number, first: number): ReturnType<typeof indexRecord>[] {
  return Array.from({ length: n }, (_, i) => indexRecord({ index: first + i, agent: 'hmac-sha256:the-heavy-one', domain: DOMAINS[i % 5]! }));
}

function rowsByPartition(aggregates: Map<string, PartitionAggregate>): Map<string, number> {
  return new Map([...aggregates].map(([key, a]) => [key, a.rows]));
}

describe('contribution bounding', () => {
  it('lets one unit with 10,000 records move a count by at most its bound', () => {
    for (const [k, c] of [
      [1, 1],
      [2, 3],
      [5, 10],
    ] as const) {
      const plan = countQuery(k, c);
      const random = seededSource(`heavy ${k} ${c}`);
      const without = rowsByPartition(aggregateEntries(plan, ordinary(), random));
      const base = ordinary();
      const withHeavy = rowsByPartition(aggregateEntries(plan, [...base, ...heavy(10_000, base.length)], random));
      let total = 0;
      let touched = 0;
      for (const domain of DOMAINS) {
        const key = JSON.stringify([domain]);
        const moved = (withHeavy.get(key) ?? 0) - (without.get(key) ?? 0);
        expect(moved, `${domain} with k=${k} c=${c}`).toBeGreaterThanOrEqual(0);
        expect(moved, `${domain} with k=${k} c=${c}`).toBeLessThanOrEqual(c);
        total += moved;
        if (moved > 0) touched++;
      }
      expect(touched).toBeLessThanOrEqual(k);
      // It wrote enough everywhere to use its whole bound: k·c exactly, the L1 sensitivity.
      expect(total).toBe(k * c);
      expect(noisePlan(plan).statistics[0]!.sensitivity).toEqual({ l1: BigInt(k * c), l2Squared: BigInt(k * c * c) });
    }
  });

  it('keeps a uniform sample of a unit’s rows and partitions', () => {
    // One unit, 10 rows of values 0..9 in one partition, c = 1: each value kept 1 time in 10.
    const random = seededSource('reservoir');
    const kept = new Array<number>(10).fill(0);
    for (let run = 0; run < 20_000; run++) {
      const bounder = new ContributionBounder({ maxPartitions: 1, maxPerPartition: 1 }, 'sum', random);
      for (let v = 0; v < 10; v++) bounder.add('u', 'p', v);
      kept[Number(bounder.finish().get('p')!.sum)]!++;
    }
    for (const n of kept) expect(Math.abs(n - 2000) / Math.sqrt(2000 * 0.9)).toBeLessThan(5);
    // One unit in 4 partitions, k = 1: each partition chosen 1 time in 4.
    const chosen = new Map<string, number>();
    for (let run = 0; run < 20_000; run++) {
      const bounder = new ContributionBounder({ maxPartitions: 1, maxPerPartition: 5 }, 'count', random);
      for (const p of ['a', 'b', 'c', 'd']) bounder.add('u', p);
      const [key] = [...bounder.finish().keys()];
      chosen.set(key!, (chosen.get(key!) ?? 0) + 1);
    }
    for (const p of ['a', 'b', 'c', 'd']) expect(Math.abs(chosen.get(p)! - 5000) / Math.sqrt(5000 * 0.75)).toBeLessThan(5);
  });

  it('clamps values at the declared bounds, on integers at the declared granularity', () => {
    const plan = planQuery({
      statistic: 'sum',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      value: { measurement: 'gen_ai.usage.input_tokens', min: 100, max: 1000, granularity: 50 },
      bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 10 },
      epsilon: 1,
    });
    const values = [5, 1e12, 424, 476, 1000];
    const records = values.map((v, i) => indexRecord({ index: i, type: 'resource-usage', agent: unit(i), measurements: { 'gen_ai.usage.input_tokens': v } }));
    records.push(indexRecord({ index: 9, type: 'resource-usage', agent: unit(9), measurements: { other: 7 } }));
    const aggregate = aggregateEntries(plan, records, seededSource('clamp')).get('[]')!;
    // 5 → 100 (2 units), 1e12 → 1000 (20), 424 → 400 (8), 476 → 500 (10), 1000 → 20: in units of 50.
    expect(aggregate.sum).toBe(2n + 20n + 8n + 10n + 20n);
    expect(aggregate.rows).toBe(5);
    // A sum of values in [0, 1000] at granularity 50: M = 20 units, Δ₁ = k·c·M.
    expect(noisePlan(plan).statistics[0]!.sensitivity).toEqual({ l1: 200n, l2Squared: 40000n });
  });

  it('derives every noise parameter from the bounds', () => {
    const mean = planQuery({
      statistic: 'mean',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      value: { measurement: 'x.y', min: 10, max: 30 },
      bounds: { max_partitions_contributed: 2, max_contributions_per_partition: 3 },
      epsilon: 1,
    });
    const noise = noisePlan(mean);
    // Half of ε each to the count and to the sum of (value − 20), whose reach is 10.
    expect(noise.midpoint).toBe(20n);
    expect(noise.statistics.map((s) => [s.name, s.share, s.sensitivity.l1])).toEqual([
      ['count', rational(1n, 2n), 6n],
      ['normalized_sum', rational(1n, 2n), 60n],
    ]);
    expect(noise.statistics[1]!.noise).toEqual({ kind: 'laplace', scale: rational(120n) });

    const gaussian = noisePlan({ ...countQuery(4, 5), mechanism: 'gaussian', epsilon: undefined, rho: rational(1n, 10n) });
    // σ² = Δ₂²/(2ρ) = 4·25/(0.2) = 500.
    expect(gaussian.statistics[0]!.noise).toEqual({ kind: 'gaussian', sigma2: rational(500n) });
  });

  it('sets the partition selection threshold so that δ is never exceeded', () => {
    for (const [k, epsilon, delta] of [
      [1n, rational(1n), rational(1n, 10n ** 6n)],
      [3n, rational(1n, 2n), rational(1n, 10n ** 9n)],
      [10n, rational(1n, 10n), rational(1n, 10n ** 5n)],
    ] as const) {
      const selection = partitionSelection(epsilon, delta, k);
      const p = Math.exp(-Number(epsilon.n) / Number(epsilon.d) / Number(k));
      const tau = Number(selection.threshold);
      // A partition only the extra unit has holds 1 unit and is released with P[Z ≥ τ − 1].
      const achieved = (Number(k) * p ** (tau - 1)) / (1 + p);
      expect(achieved).toBeLessThanOrEqual(Number(delta.n) / Number(delta.d));
      // And the threshold is not needlessly high: two less would break δ.
      expect((Number(k) * p ** (tau - 3)) / (1 + p)).toBeGreaterThan(Number(delta.n) / Number(delta.d));
    }
  });

  it('releases no partition held by one unit alone, and every public one, empty or not', () => {
    const selected = planQuery({
      statistic: 'count',
      filter: { type: 'exec-audit' },
      privacy_unit: 'agent',
      group_by: [{ key: 'dim', name: 'secret' }],
      partition_selection: 'dp_threshold',
      bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 1 },
      epsilon: 2,
      delta: 1e-6,
    });
    const records = [indexRecord({ index: 0, agent: 'lonely', dims: { secret: 'only-me' } })];
    for (let i = 1; i <= 300; i++) records.push(indexRecord({ index: i, agent: unit(i), dims: { secret: 'common' } }));
    const random = seededSource('selection');
    const aggregates = aggregateEntries(selected, records, random);
    const noise = noisePlan(selected);
    let lonely = 0;
    for (let run = 0; run < 2000; run++) {
      const { results } = computeRelease(selected, noise, aggregates, random);
      expect(results.map((r) => r.partition['dim:secret'])).toContain('common');
      if (results.some((r) => r.partition['dim:secret'] === 'only-me')) lonely++;
    }
    expect(lonely).toBe(0);

    const declared = countQuery(1, 1);
    const { results } = computeRelease(declared, noisePlan(declared), new Map(), random);
    expect(results.map((r) => r.partition.domain)).toEqual(DOMAINS);
  });
});
