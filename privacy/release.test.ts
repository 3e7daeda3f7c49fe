// Noisy results and their intervals: each 95% interval covers the value before noise at least 95%
// of the time (checked on 4,000 releases each: coverage ≥ 0.95 − 5·se, a one-sided α ≈ 2.9e-7,
// seeded), and the histogram, mean and quantile shapes are what the report promises.
import { describe, expect, it } from 'vitest';
import { indexRecord } from '../test/support/index-records.js';
import { seededSource } from '../test/support/privacy.js';
import { aggregateEntries, computeRelease, halfWidth, noisePlan, planQuery, rational } from './index.js';

const RUNS = 4000;
const floor95 = 0.95 - 5 * Math.sqrt((0.95 * 0.05) / RUNS);

const usage = (values: number[]) =>
  values.map((v, i) => indexRecord({ index: i, type: 'resource-usage', agent: `u${i}`, domain: i % 2 === 0 ? 'a.example' : 'b.example', measurements: { 'gen_ai.usage.input_tokens': v } }));

describe('confidence intervals', () => {
  for (const mechanism of ['laplace', 'gaussian'] as const) {
    it(`of a ${mechanism} count and sum cover the bounded value at least 95% of the time`, () => {
      const parameters = mechanism === 'laplace' ? { epsilon: 0.3 } : { rho: 0.02 };
      const values = Array.from({ length: 60 }, (_, i) => (i * 37) % 500);
      const count = planQuery({ statistic: 'count', filter: { type: 'resource-usage' }, privacy_unit: 'agent', bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 1 }, mechanism, ...parameters });
      const sum = planQuery({
        statistic: 'sum',
        filter: { type: 'resource-usage' },
        privacy_unit: 'agent',
        value: { measurement: 'gen_ai.usage.input_tokens', max: 400 },
        bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 1 },
        mechanism,
        ...parameters,
      });
      const random = seededSource(`coverage ${mechanism}`);
      const records = usage(values);
      const trueSum = values.reduce((a, v) => a + Math.min(v, 400), 0);
      const countNoise = noisePlan(count);
      const sumNoise = noisePlan(sum);
      let countCovered = 0;
      let sumCovered = 0;
      for (let run = 0; run < RUNS; run++) {
        const c = computeRelease(count, countNoise, aggregateEntries(count, records, random), random).results[0]!.count!;
        if (c.ci95[0] <= 60 && 60 <= c.ci95[1]) countCovered++;
        const s = computeRelease(sum, sumNoise, aggregateEntries(sum, records, random), random).results[0]!.sum!;
        if (s.ci95[0] <= trueSum && trueSum <= s.ci95[1]) sumCovered++;
      }
      expect(countCovered / RUNS).toBeGreaterThanOrEqual(floor95);
      expect(sumCovered / RUNS).toBeGreaterThanOrEqual(floor95);
      // Not absurdly wide either: the half-width is the 95% point of the noise, no more.
      const noise = noisePlan(count).statistics[0]!.noise;
      const k = halfWidth(noise, 0.95);
      expect(halfWidth(noise, 0.9)).toBeLessThan(k);
    });
  }

  it('of a mean cover it at least 95% of the time, and stay within [min, max]', () => {
    const values = Array.from({ length: 80 }, (_, i) => 100 + ((i * 53) % 300));
    const mean = planQuery({
      statistic: 'mean',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      value: { measurement: 'gen_ai.usage.input_tokens', min: 100, max: 400 },
      bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 1 },
      epsilon: 1,
    });
    const random = seededSource('mean coverage');
    const records = usage(values);
    const truth = values.reduce((a, v) => a + v, 0) / values.length;
    const noise = noisePlan(mean);
    let covered = 0;
    for (let run = 0; run < RUNS; run++) {
      const result = computeRelease(mean, noise, aggregateEntries(mean, records, random), random).results[0]!;
      const m = result.mean!;
      expect(m.value).toBeGreaterThanOrEqual(100);
      expect(m.value).toBeLessThanOrEqual(400);
      expect(m.ci95[0]).toBeGreaterThanOrEqual(100);
      expect(m.ci95[1]).toBeLessThanOrEqual(400);
      if (m.ci95[0] <= truth && truth <= m.ci95[1]) covered++;
    }
    expect(covered / RUNS).toBeGreaterThanOrEqual(floor95);
  });
});

describe('results', () => {
  it('of a histogram have one cell per partition and bin, values outside the edges in the end bins', () => {
    const plan = planQuery({
      statistic: 'histogram',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      group_by: [{ key: 'domain', values: ['a.example', 'b.example'] }],
      value: { measurement: 'gen_ai.usage.input_tokens', bins: [0, 100, 1000, 10000] },
      bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 1 },
      epsilon: 5,
    });
    const records = usage([5, 50, 500, 5000, 50_000, 5, 5, 5]);
    const aggregates = aggregateEntries(plan, records, seededSource('histogram'));
    // a.example: 5, 500, 50000 (clamped into the last bin), 5; b.example: 50, 5000, 5, 5.
    expect(aggregates.get('["a.example"]')!.bins).toEqual([2, 1, 1]);
    expect(aggregates.get('["b.example"]')!.bins).toEqual([3, 0, 1]);
    const { results } = computeRelease(plan, noisePlan(plan), aggregates, seededSource('histogram noise'));
    expect(results.map((r) => [r.partition.domain, r.bin])).toEqual([
      ['a.example', { from: 0, to: 100 }],
      ['a.example', { from: 100, to: 1000 }],
      ['a.example', { from: 1000, to: 10000 }],
      ['b.example', { from: 0, to: 100 }],
      ['b.example', { from: 100, to: 1000 }],
      ['b.example', { from: 1000, to: 10000 }],
    ]);
  });

  it('of quantiles find the median of plenty of data within a bin or two', () => {
    const plan = planQuery({
      statistic: 'quantiles',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      value: { measurement: 'gen_ai.usage.input_tokens', min: 0, max: 1000, resolution: 100 },
      quantiles: [0.1, 0.5, 0.9],
      bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 1 },
      epsilon: 1,
    });
    // 5,000 units, values uniform on [0, 1000): quantiles near 100, 500, 900.
    const records = usage(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 1000));
    const random = seededSource('quantiles');
    const { results } = computeRelease(plan, noisePlan(plan), aggregateEntries(plan, records, random), random);
    const quantiles = results[0]!.quantiles!;
    expect(quantiles.map((q) => q.q)).toEqual([0.1, 0.5, 0.9]);
    quantiles.forEach((q, i) => {
      expect(Math.abs(q.value - [100, 500, 900][i]!)).toBeLessThan(25);
      expect(q.ci95[0]).toBeLessThanOrEqual(q.value);
      expect(q.ci95[1]).toBeGreaterThanOrEqual(q.value);
    });
  });

  it('of a Gaussian release use σ² = Δ₂²/(2ρ) exactly', () => {
    const plan = planQuery({ statistic: 'count', filter: { type: 'exec-audit' }, privacy_unit: 'agent', bounds: { max_partitions_contributed: 2, max_contributions_per_partition: 3 }, mechanism: 'gaussian', rho: 0.5 });
    expect(noisePlan(plan).statistics[0]!.noise).toEqual({ kind: 'gaussian', sigma2: rational(18n) });
  });
});
