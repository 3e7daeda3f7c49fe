// The query JSON: strict, bounded, every refusal naming its member; and the plan it becomes.
import { describe, expect, it } from 'vitest';
import { planQuery, PrivacyError, QUERY_LIMITS, rational } from './index.js';

const count = {
  statistic: 'count',
  filter: { type: 'exec-audit', from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', dims: { outcome: 'ok' } },
  privacy_unit: 'agent',
  group_by: [{ key: 'domain', values: ['shop.example', 'inference.example'] }, { key: 'month' }],
  bounds: { max_partitions_contributed: 2, max_contributions_per_partition: 10 },
  epsilon: 0.5,
};
const sum = {
  statistic: 'sum',
  filter: { type: 'resource-usage' },
  privacy_unit: 'principal',
  value: { measurement: 'gen_ai.usage.input_tokens', min: 0, max: 100_000, granularity: 10 },
  bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 5 },
  mechanism: 'gaussian',
  rho: '0.05',
};

function refusal(query: unknown): string {
  try {
    planQuery(query);
  } catch (error) {
    expect(error).toBeInstanceOf(PrivacyError);
    expect((error as PrivacyError).code).toBe('QUERY_INVALID');
    return (error as Error).message;
  }
  throw new Error('the query was accepted');
}

describe('a query', () => {
  it('becomes a plan with its public partitions enumerated and its defaults filled in', () => {
    const plan = planQuery(count);
    expect(plan.statistic).toBe('count');
    expect(plan.unit).toBe('agent');
    expect(plan.selection).toBe('public');
    expect(plan.mechanism).toBe('laplace');
    expect(plan.epsilon).toEqual(rational(1n, 2n));
    // Two domains × the two months of the window.
    expect(plan.partitions).toEqual([
      ['shop.example', '2026-01'],
      ['shop.example', '2026-02'],
      ['inference.example', '2026-01'],
      ['inference.example', '2026-02'],
    ]);
    expect(plan.filter).toMatchObject({ type: 'exec-audit', from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 2, 1), dims: [['outcome', ['ok']]] });
    expect(plan.normalized).toEqual({
      statistic: 'count',
      filter: { type: 'exec-audit', from: '2026-01-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z', dims: { outcome: 'ok' } },
      privacy_unit: 'agent',
      group_by: [
        { key: 'domain', values: ['shop.example', 'inference.example'] },
        { key: 'month', values: ['2026-01', '2026-02'] },
      ],
      partition_selection: 'public',
      bounds: { max_partitions_contributed: 2, max_contributions_per_partition: 10 },
      mechanism: 'laplace',
      epsilon: '0.5',
    });
    // The normalized query is itself a query that plans the same way (what recovery relies on).
    expect(planQuery(plan.normalized).partitions).toEqual(plan.partitions);

    const s = planQuery(sum);
    expect(s.value).toMatchObject({ measurement: 'gen_ai.usage.input_tokens', minUnits: 0n, maxUnits: 10_000n });
    expect(s.partitions).toEqual([[]]);
    expect(s.rho).toEqual(rational(1n, 20n));
  });

  it('groups by data-dependent keys only through dp_threshold, which needs δ', () => {
    const q = { ...count, group_by: [{ key: 'dim', name: 'action_class' }], partition_selection: 'dp_threshold', delta: 1e-8 };
    const plan = planQuery(q);
    expect(plan.selection).toBe('dp_threshold');
    expect(plan.partitions).toBeUndefined();
    expect(plan.delta).toEqual(rational(1n, 10n ** 8n));
    expect(refusal({ ...q, partition_selection: 'public', delta: undefined })).toMatch(/^\/group_by\/0\/values: declare the public values of this key, or set partition_selection to dp_threshold/);
    expect(refusal({ ...q, delta: undefined })).toMatch(/^\/delta: a non-negative decimal/);
    expect(refusal({ ...count, delta: 1e-9 })).toMatch(/^\/delta: only dp_threshold/);
    expect(refusal({ ...q, mechanism: 'gaussian', epsilon: undefined, rho: 0.1 })).toMatch(/^\/partition_selection: dp_threshold selects partitions with Laplace noise/);
  });

  it('is refused, naming the member, when anything is wrong', () => {
    const cases: [unknown, RegExp][] = [
      [[], /^: must be an object/],
      [{ ...count, colour: 'red' }, /^\/colour: unknown member/],
      [{ ...count, statistic: 'median' }, /^\/statistic: one of count, sum, mean, histogram, quantiles/],
      [{ ...count, privacy_unit: 'user' }, /^\/privacy_unit: one of agent, principal, workflow/],
      [{ ...count, filter: { ...count.filter, type: 'behavior-profile' } }, /^\/filter\/type: one of exec-audit/],
      [{ ...count, filter: { ...count.filter, domains: ['Shop.Example'] } }, /^\/filter\/domains\/0: a lower-case DNS name/],
      [{ ...count, filter: { ...count.filter, domains: ['a.example', 'a.example'] } }, /^\/filter\/domains\/1: "a.example" is listed twice/],
      [{ ...count, filter: { ...count.filter, from: '2026-02-30T00:00:00Z' } }, /^\/filter\/from: an RFC 3339 date-time/],
      [{ ...count, filter: { ...count.filter, to: '2025-01-01T00:00:00Z' } }, /^\/filter\/to: must be later than from/],
      [{ ...count, filter: { ...count.filter, dims: { Outcome: 'ok' } } }, /^\/filter\/dims\/Outcome: a dimension name/],
      [{ ...count, filter: { ...count.filter, dims: { outcome: { a: 1 } } } }, /^\/filter\/dims\/outcome: a string/],
      [{ ...count, group_by: [{ key: 'agent' }] }, /^\/group_by\/0\/key: one of domain, month, action, outcome, dim/],
      [{ ...count, group_by: [{ key: 'dim', values: ['x'] }] }, /^\/group_by\/0\/name: the dimension/],
      [{ ...count, group_by: [{ key: 'domain', name: 'x', values: ['a.example'] }] }, /^\/group_by\/0\/name: only a dim key has a name/],
      [{ ...count, group_by: [{ key: 'domain', values: ['a.example'] }, { key: 'domain', values: ['b.example'] }] }, /^\/group_by\/1: domain is grouped by twice/],
      [{ ...count, group_by: [{ key: 'month', values: ['2026-13'] }] }, /^\/group_by\/0\/values\/0: a month, YYYY-MM/],
      [{ ...count, filter: { type: 'exec-audit' }, group_by: [{ key: 'month' }] }, /^\/group_by\/0\/values: declare the months, or give filter.from and filter.to/],
      [
        { ...count, filter: { type: 'exec-audit', from: '2000-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, group_by: [{ key: 'month' }] },
        /^\/group_by\/0: the window spans more than 120 months/,
      ],
      [
        {
          ...count,
          group_by: [
            { key: 'dim', name: 'a', values: Array.from({ length: 20 }, (_, i) => `v${i}`) },
            { key: 'dim', name: 'b', values: Array.from({ length: 20 }, (_, i) => `v${i}`) },
          ],
        },
        /^\/group_by: the declared values make more than 256 partitions/,
      ],
      [{ ...count, bounds: { max_partitions_contributed: 0, max_contributions_per_partition: 1 } }, /^\/bounds\/max_partitions_contributed: an integer from 1 to 100/],
      [{ ...count, bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 1.5 } }, /^\/bounds\/max_contributions_per_partition: an integer from 1 to 1000/],
      [{ ...count, bounds: { max_partitions_contributed: 1 } }, /^\/bounds\/max_contributions_per_partition: an integer/],
      [{ ...count, epsilon: 0 }, /^\/epsilon: greater than 0 and at most 10/],
      [{ ...count, epsilon: 11 }, /^\/epsilon: greater than 0 and at most 10/],
      [{ ...count, epsilon: undefined }, /^\/epsilon: a non-negative decimal/],
      [{ ...count, rho: 0.1 }, /^\/rho: is for gaussian/],
      [{ ...count, mechanism: 'gaussian' }, /^\/epsilon: is for laplace/],
      [{ ...count, mechanism: 'exponential' }, /^\/mechanism: one of laplace, gaussian/],
      [{ ...count, value: { measurement: 'x' } }, /^\/value: a count has no value/],
      [{ ...sum, filter: { type: 'exec-audit' } }, /^\/filter\/type: a sum reads a measurement, which only resource-usage records carry/],
      [{ ...sum, value: { measurement: 'Tokens', max: 10 } }, /^\/value\/measurement: a measurement name/],
      [{ ...sum, value: { measurement: 'a.b' } }, /^\/value\/max: the largest value counted/],
      [{ ...sum, value: { measurement: 'a.b', min: 5, max: 5 } }, /^\/value\/max: must be larger than min/],
      [{ ...sum, value: { measurement: 'a.b', max: 25, granularity: 10 } }, /^\/value\/max: must be a multiple of the granularity 10/],
      [{ ...sum, value: { measurement: 'a.b', max: 2 ** 41 } }, /^\/value\/max: at most 2\^40 times the granularity/],
      [{ ...sum, value: { measurement: 'a.b', max: 1, bins: [1, 2] } }, /^\/value\/bins: unknown member/],
      [{ ...sum, statistic: 'histogram', value: { measurement: 'a.b', bins: [0, 10, 5] } }, /^\/value\/bins\/2: the edges must increase/],
      [{ ...sum, statistic: 'histogram', value: { measurement: 'a.b', bins: [0] } }, /^\/value\/bins: an array of 2 to 65 items/],
      [{ ...sum, statistic: 'quantiles', value: { measurement: 'a.b', max: 10 } }, /^\/quantiles: an array of 1 to 16 items/],
      [{ ...sum, statistic: 'quantiles', value: { measurement: 'a.b', max: 10 }, quantiles: [0.9, 0.5] }, /^\/quantiles\/1: the quantiles must increase/],
      [{ ...sum, statistic: 'quantiles', value: { measurement: 'a.b', max: 10 }, quantiles: [1] }, /^\/quantiles\/0: a number between 0 and 1/],
      [{ ...sum, quantiles: [0.5] }, /^\/quantiles: only a quantiles query has them/],
    ];
    for (const [query, message] of cases) expect(refusal(query), JSON.stringify(query).slice(0, 200)).toMatch(message);
  });

  it('has stated limits', () => {
    expect(QUERY_LIMITS.cells).toBe(256);
    expect(QUERY_LIMITS.maxPartitionsContributed).toBe(100);
    expect(QUERY_LIMITS.maxContributionsPerPartition).toBe(1000);
  });
});
