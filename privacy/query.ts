// A regulator's query, checked strictly before anything is charged: every member is known, every
// value in range, every limit stated, and every refusal names the member (`/bounds/max_partitions_
// contributed: an integer from 1 to 100`). The result is a plan: the same query with its defaults
// filled in and its partitions enumerated when they are public, ready to be costed, bounded and
// noised, and written into the report exactly as it was run.

import { PrivacyError } from './errors.js';
import { compare, formatRational, multiply, parseDecimal, type Rational, rational, toNumber } from './rational.js';

export const STATISTICS = ['count', 'sum', 'mean', 'histogram', 'quantiles'] as const;
export type Statistic = (typeof STATISTICS)[number];

export const PRIVACY_UNITS = ['agent', 'principal', 'workflow'] as const;
export type PrivacyUnit = (typeof PRIVACY_UNITS)[number];

/** The statement types a report may read: those whose payload carries the privacy block. */
export const REPORTABLE_TYPES = ['exec-audit', 'behavior-attestation', 'resource-usage', 'override-event'] as const;
export type ReportableType = (typeof REPORTABLE_TYPES)[number];

export const GROUP_KEYS = ['domain', 'month', 'action', 'outcome', 'dim'] as const;
export type GroupKeyName = (typeof GROUP_KEYS)[number];

export type KeyValue = string | number | boolean;

/** One key of the grouping, with its declared (public) values when there are any. */
export interface GroupKey {
  readonly key: GroupKeyName;
  /** The dimension, for `dim`. */
  readonly name?: string;
  /** The public values; absent when the partitions are selected from the data (dp_threshold). */
  readonly values?: readonly KeyValue[];
}

export interface QueryValue {
  readonly measurement: string;
  /** Clamping bounds and granularity (sum, mean, quantiles). */
  readonly min?: Rational;
  readonly max?: Rational;
  readonly granularity?: Rational;
  /** min and max in units of the granularity, exact. */
  readonly minUnits?: bigint;
  readonly maxUnits?: bigint;
  /** Histogram bin edges, increasing. */
  readonly bins?: readonly number[];
  /** Quantiles: how many equal bins between min and max the noisy CDF is built on. */
  readonly resolution?: number;
}

export interface QueryPlan {
  readonly statistic: Statistic;
  readonly filter: {
    readonly type: ReportableType;
    readonly domains?: readonly string[];
    /** Entry time window, ms since the epoch: from inclusive, to exclusive. */
    readonly from?: number;
    readonly to?: number;
    readonly dims: readonly (readonly [string, readonly KeyValue[]])[];
  };
  readonly unit: PrivacyUnit;
  readonly groupBy: readonly GroupKey[];
  readonly selection: 'public' | 'dp_threshold';
  /** The public partitions, each a tuple of key values in group_by order (one empty tuple when not grouped). */
  readonly partitions?: readonly (readonly KeyValue[])[];
  readonly value?: QueryValue;
  readonly quantiles?: readonly number[];
  readonly bounds: { readonly maxPartitions: number; readonly maxPerPartition: number };
  readonly mechanism: 'laplace' | 'gaussian';
  readonly epsilon?: Rational;
  readonly rho?: Rational;
  readonly delta?: Rational;
  /** The query as it is run: canonical members, defaults filled in (what the report shows). */
  readonly normalized: Readonly<Record<string, unknown>>;
}

/** Limits of one query; a report has to fit in one log entry (64 KiB). */
export const QUERY_LIMITS = Object.freeze({
  /** Of the JSON text. */
  bytes: 16 * 1024,
  domains: 64,
  dimFilters: 16,
  valuesPerKey: 256,
  groupKeys: 3,
  /** Public partitions × histogram bins: what one report may hold. */
  cells: 256,
  /** Partitions a dp_threshold report may release (the rest are dropped in key order). */
  selectedPartitions: 256,
  months: 120,
  maxPartitionsContributed: 100,
  maxContributionsPerPartition: 1000,
  bins: 64,
  quantiles: 16,
  resolution: 1024,
  /** max / granularity. */
  valueUnits: 2n ** 40n,
  maxEpsilon: rational(10n),
  maxRho: rational(10n),
  maxDelta: rational(1n, 1000n),
  /** Decimal places of ε and ρ, and of δ. */
  parameterDigits: 12,
  deltaDigits: 15,
});

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const DIM_NAME = /^[a-z][a-z0-9_.]{0,63}$/;
const MEASUREMENT = /^(?:[a-z][a-z0-9._-]{0,127}|x-[a-z0-9.-]{1,253}\.[a-z0-9._-]{1,128})$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

const invalid = (at: string, message: string) => new PrivacyError('QUERY_INVALID', `${at}: ${message}`);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, at: string, members: readonly string[]): Record<string, unknown> {
  if (!isObject(value)) throw invalid(at, 'must be an object');
  for (const key of Object.keys(value)) if (!members.includes(key)) throw invalid(`${at}/${key}`, `unknown member; the members are ${members.join(', ')}`);
  return value;
}

function oneOf<T extends string>(value: unknown, at: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) throw invalid(at, `one of ${choices.join(', ')}`);
  return value as T;
}

function integer(value: unknown, at: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) throw invalid(at, `an integer from ${min} to ${max}`);
  return value;
}

function array(value: unknown, at: string, min: number, max: number): unknown[] {
  if (!Array.isArray(value) || value.length < min || value.length > max) throw invalid(at, `an array of ${min} to ${max} items`);
  return value;
}

function keyValue(value: unknown, at: string, kinds: 'text' | 'dim'): KeyValue {
  if (typeof value === 'string' && value.length >= 1 && value.length <= 256 && !/[\u0000-\u001f]/.test(value)) return value;
  if (kinds === 'dim' && (typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value)))) return value;
  throw invalid(at, kinds === 'dim' ? 'a string (1 to 256 characters), an integer or true/false' : 'a string of 1 to 256 characters');
}

function distinct(values: readonly KeyValue[], at: string): void {
  const seen = new Set<string>();
  values.forEach((v, i) => {
    const id = JSON.stringify(v);
    if (seen.has(id)) throw invalid(`${at}/${i}`, `${id} is listed twice`);
    seen.add(id);
  });
}

/** An RFC 3339 date-time as ms since the epoch, with the day checked to exist. */
function time(value: unknown, at: string): number {
  const match = typeof value === 'string' ? RFC3339.exec(value) : null;
  const ms = match === null ? Number.NaN : Date.parse(value as string);
  const [, y, mo, d] = match ?? [];
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (!Number.isFinite(ms) || ms < 0 || day.getUTCDate() !== Number(d) || day.getUTCMonth() !== Number(mo) - 1) {
    throw invalid(at, 'an RFC 3339 date-time such as 2026-01-01T00:00:00Z');
  }
  return ms;
}

/** The UTC month of a time: `2026-01`. */
export function monthOf(ms: number): string {
  const date = new Date(ms);
  return `${date.getUTCFullYear().toString().padStart(4, '0')}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Every UTC month that overlaps [from, to), in order. */
function monthsBetween(from: number, to: number, at: string): string[] {
  const months: string[] = [];
  const start = new Date(from);
  let year = start.getUTCFullYear();
  let month = start.getUTCMonth();
  while (Date.UTC(year, month, 1) < to) {
    months.push(monthOf(Date.UTC(year, month, 1)));
    if (months.length > QUERY_LIMITS.months) throw invalid(at, `the window spans more than ${QUERY_LIMITS.months} months`);
    month++;
    if (month === 12) {
      month = 0;
      year++;
    }
  }
  return months;
}

function positive(value: unknown, at: string, max: Rational, digits: number): Rational {
  const r = parseDecimal(value, at, digits);
  if (r.n === 0n || compare(r, max) > 0) throw invalid(at, `greater than 0 and at most ${formatRational(max)}`);
  return r;
}

/** The plan of a query, or QUERY_INVALID naming the member that is wrong. */
export function planQuery(input: unknown): QueryPlan {
  const q = object(input, '', [
    'statistic',
    'filter',
    'privacy_unit',
    'group_by',
    'partition_selection',
    'value',
    'quantiles',
    'bounds',
    'mechanism',
    'epsilon',
    'rho',
    'delta',
  ]);
  const statistic = oneOf(q.statistic, '/statistic', STATISTICS);
  const unit = oneOf(q.privacy_unit, '/privacy_unit', PRIVACY_UNITS);

  // --- filter
  const f = object(q.filter, '/filter', ['type', 'domains', 'from', 'to', 'dims']);
  const type = oneOf(f.type, '/filter/type', REPORTABLE_TYPES);
  const domains =
    f.domains === undefined
      ? undefined
      : array(f.domains, '/filter/domains', 1, QUERY_LIMITS.domains).map((d, i) => {
          if (typeof d !== 'string' || !DOMAIN.test(d)) throw invalid(`/filter/domains/${i}`, 'a lower-case DNS name');
          return d;
        });
  if (domains !== undefined) distinct(domains, '/filter/domains');
  const from = f.from === undefined ? undefined : time(f.from, '/filter/from');
  const to = f.to === undefined ? undefined : time(f.to, '/filter/to');
  if (from !== undefined && to !== undefined && from >= to) throw invalid('/filter/to', 'must be later than from');
  const dims: [string, KeyValue[]][] = [];
  if (f.dims !== undefined) {
    if (!isObject(f.dims)) throw invalid('/filter/dims', 'an object of dimension name → value or [values]');
    const names = Object.keys(f.dims);
    if (names.length > QUERY_LIMITS.dimFilters) throw invalid('/filter/dims', `at most ${QUERY_LIMITS.dimFilters} dimensions`);
    for (const name of names.sort()) {
      const at = `/filter/dims/${name}`;
      if (!DIM_NAME.test(name)) throw invalid(at, 'a dimension name: a lower-case letter, then up to 63 of a-z 0-9 _ .');
      const raw = f.dims[name];
      const values = Array.isArray(raw) ? array(raw, at, 1, QUERY_LIMITS.valuesPerKey).map((v, i) => keyValue(v, `${at}/${i}`, 'dim')) : [keyValue(raw, at, 'dim')];
      distinct(values, at);
      dims.push([name, values]);
    }
  }

  // --- grouping and partitions
  const selection = q.partition_selection === undefined ? 'public' : oneOf(q.partition_selection, '/partition_selection', ['public', 'dp_threshold'] as const);
  const rawGroups = q.group_by === undefined ? [] : array(q.group_by, '/group_by', 0, QUERY_LIMITS.groupKeys);
  const seenKeys = new Set<string>();
  const groupBy: GroupKey[] = rawGroups.map((raw, i) => {
    const at = `/group_by/${i}`;
    const g = object(raw, at, ['key', 'name', 'values']);
    const key = oneOf(g.key, `${at}/key`, GROUP_KEYS);
    let name: string | undefined;
    if (key === 'dim') {
      if (typeof g.name !== 'string' || !DIM_NAME.test(g.name)) throw invalid(`${at}/name`, 'the dimension: a lower-case letter, then up to 63 of a-z 0-9 _ .');
      name = g.name;
    } else if (g.name !== undefined) {
      throw invalid(`${at}/name`, 'only a dim key has a name');
    }
    const id = key === 'dim' ? `dim:${name}` : key;
    if (seenKeys.has(id)) throw invalid(at, `${id} is grouped by twice`);
    seenKeys.add(id);
    let values: KeyValue[] | undefined;
    if (g.values !== undefined) {
      values = array(g.values, `${at}/values`, 1, QUERY_LIMITS.valuesPerKey).map((v, j) => {
        const value = keyValue(v, `${at}/values/${j}`, key === 'dim' ? 'dim' : 'text');
        if (key === 'domain' && !DOMAIN.test(value as string)) throw invalid(`${at}/values/${j}`, 'a lower-case DNS name');
        if (key === 'month' && !MONTH.test(value as string)) throw invalid(`${at}/values/${j}`, 'a month, YYYY-MM');
        return value;
      });
      distinct(values, `${at}/values`);
    } else if (key === 'month' && from !== undefined && to !== undefined) {
      // The months of a declared window are public: they follow from the query, not the data.
      values = monthsBetween(from, to, `${at}`);
    } else if (key === 'domain' && domains !== undefined) {
      values = [...domains];
    }
    if (values === undefined && selection === 'public') {
      throw invalid(
        `${at}/values`,
        key === 'month'
          ? 'declare the months, or give filter.from and filter.to, or set partition_selection to dp_threshold'
          : 'declare the public values of this key, or set partition_selection to dp_threshold (which spends δ)',
      );
    }
    return { key, ...(name === undefined ? {} : { name }), ...(values === undefined ? {} : { values }) };
  });
  const hasBins = statistic === 'histogram';

  // --- the value
  let value: QueryValue | undefined;
  if (statistic === 'count') {
    if (q.value !== undefined) throw invalid('/value', 'a count has no value; remove it');
  } else {
    if (type !== 'resource-usage') throw invalid('/filter/type', `a ${statistic} reads a measurement, which only resource-usage records carry`);
    const members = statistic === 'histogram' ? ['measurement', 'bins'] : statistic === 'quantiles' ? ['measurement', 'min', 'max', 'resolution'] : ['measurement', 'min', 'max', 'granularity'];
    const v = object(q.value, '/value', members);
    if (typeof v.measurement !== 'string' || !MEASUREMENT.test(v.measurement)) throw invalid('/value/measurement', 'a measurement name (gen_ai.usage.input_tokens)');
    if (statistic === 'histogram') {
      const bins = array(v.bins, '/value/bins', 2, QUERY_LIMITS.bins + 1).map((e, i) => {
        if (typeof e !== 'number' || !Number.isFinite(e) || e < 0) throw invalid(`/value/bins/${i}`, 'a non-negative number');
        return e;
      });
      bins.forEach((e, i) => {
        if (i > 0 && e <= bins[i - 1]!) throw invalid(`/value/bins/${i}`, 'the edges must increase');
      });
      value = { measurement: v.measurement, bins };
    } else {
      const min = parseDecimal(v.min ?? 0, '/value/min', QUERY_LIMITS.parameterDigits);
      if (v.max === undefined) throw invalid('/value/max', 'the largest value counted: larger ones are clamped to it');
      const max = parseDecimal(v.max, '/value/max', QUERY_LIMITS.parameterDigits);
      if (compare(min, max) >= 0) throw invalid('/value/max', 'must be larger than min');
      const granularity = statistic === 'quantiles' ? rational(1n) : parseDecimal(v.granularity ?? 1, '/value/granularity', QUERY_LIMITS.parameterDigits);
      if (granularity.n === 0n) throw invalid('/value/granularity', 'greater than 0');
      const inUnits = (r: Rational, at: string): bigint => {
        const units = multiply(r, rational(granularity.d, granularity.n));
        if (units.d !== 1n) throw invalid(at, `must be a multiple of the granularity ${formatRational(granularity)}`);
        if (units.n > QUERY_LIMITS.valueUnits) throw invalid(at, `at most 2^40 times the granularity`);
        return units.n;
      };
      const resolution = statistic === 'quantiles' ? (v.resolution === undefined ? 64 : integer(v.resolution, '/value/resolution', 2, QUERY_LIMITS.resolution)) : undefined;
      value = {
        measurement: v.measurement,
        min,
        max,
        granularity,
        minUnits: inUnits(min, '/value/min'),
        maxUnits: inUnits(max, '/value/max'),
        ...(resolution === undefined ? {} : { resolution }),
      };
    }
  }
  let quantiles: number[] | undefined;
  if (statistic === 'quantiles') {
    quantiles = array(q.quantiles, '/quantiles', 1, QUERY_LIMITS.quantiles).map((x, i) => {
      if (typeof x !== 'number' || !(x > 0 && x < 1)) throw invalid(`/quantiles/${i}`, 'a number between 0 and 1 (0.5 is the median)');
      return x;
    });
    quantiles.forEach((x, i) => {
      if (i > 0 && x <= quantiles![i - 1]!) throw invalid(`/quantiles/${i}`, 'the quantiles must increase');
    });
  } else if (q.quantiles !== undefined) {
    throw invalid('/quantiles', 'only a quantiles query has them');
  }

  // --- contribution bounds
  const b = object(q.bounds, '/bounds', ['max_partitions_contributed', 'max_contributions_per_partition']);
  const bounds = {
    maxPartitions: integer(b.max_partitions_contributed, '/bounds/max_partitions_contributed', 1, QUERY_LIMITS.maxPartitionsContributed),
    maxPerPartition: integer(b.max_contributions_per_partition, '/bounds/max_contributions_per_partition', 1, QUERY_LIMITS.maxContributionsPerPartition),
  };

  // --- mechanism and parameters
  const mechanism = q.mechanism === undefined ? 'laplace' : oneOf(q.mechanism, '/mechanism', ['laplace', 'gaussian'] as const);
  let epsilon: Rational | undefined;
  let rho: Rational | undefined;
  if (mechanism === 'laplace') {
    if (q.rho !== undefined) throw invalid('/rho', 'is for gaussian; laplace takes epsilon');
    epsilon = positive(q.epsilon, '/epsilon', QUERY_LIMITS.maxEpsilon, QUERY_LIMITS.parameterDigits);
  } else {
    if (q.epsilon !== undefined) throw invalid('/epsilon', 'is for laplace; gaussian takes rho');
    rho = positive(q.rho, '/rho', QUERY_LIMITS.maxRho, QUERY_LIMITS.parameterDigits);
  }
  let delta: Rational | undefined;
  if (selection === 'dp_threshold') {
    if (mechanism !== 'laplace') throw invalid('/partition_selection', 'dp_threshold selects partitions with Laplace noise: use mechanism laplace');
    delta = positive(q.delta, '/delta', QUERY_LIMITS.maxDelta, QUERY_LIMITS.deltaDigits);
  } else if (q.delta !== undefined) {
    throw invalid('/delta', 'only dp_threshold partition selection spends δ; remove it');
  }

  // --- public partitions: the cartesian product of the declared values
  let partitions: KeyValue[][] | undefined;
  const bins = value?.bins === undefined ? 1 : value.bins.length - 1;
  if (selection === 'public') {
    partitions = [[]];
    for (const g of groupBy) {
      const next: KeyValue[][] = [];
      for (const p of partitions) for (const v of g.values!) next.push([...p, v]);
      partitions = next;
      if (partitions.length * bins > QUERY_LIMITS.cells) break;
    }
    if (partitions.length * bins > QUERY_LIMITS.cells) {
      throw invalid('/group_by', `the declared values make more than ${QUERY_LIMITS.cells} ${hasBins ? 'partition × bin cells' : 'partitions'}; declare fewer`);
    }
  }

  const normalized: Record<string, unknown> = {
    statistic,
    filter: {
      type,
      ...(domains === undefined ? {} : { domains }),
      ...(f.from === undefined ? {} : { from: new Date(from!).toISOString() }),
      ...(f.to === undefined ? {} : { to: new Date(to!).toISOString() }),
      ...(dims.length === 0 ? {} : { dims: Object.fromEntries(dims.map(([n, vs]) => [n, vs.length === 1 ? vs[0] : vs])) }),
    },
    privacy_unit: unit,
    group_by: groupBy.map((g) => ({ key: g.key, ...(g.name === undefined ? {} : { name: g.name }), ...(g.values === undefined ? {} : { values: g.values }) })),
    partition_selection: selection,
    ...(value === undefined
      ? {}
      : {
          value: {
            measurement: value.measurement,
            ...(value.bins === undefined ? {} : { bins: value.bins }),
            ...(value.min === undefined ? {} : { min: toNumber(value.min), max: toNumber(value.max!) }),
            ...(value.granularity === undefined || statistic === 'quantiles' ? {} : { granularity: toNumber(value.granularity) }),
            ...(value.resolution === undefined ? {} : { resolution: value.resolution }),
          },
        }),
    ...(quantiles === undefined ? {} : { quantiles }),
    bounds: { max_partitions_contributed: bounds.maxPartitions, max_contributions_per_partition: bounds.maxPerPartition },
    mechanism,
    ...(epsilon === undefined ? {} : { epsilon: formatRational(epsilon) }),
    ...(rho === undefined ? {} : { rho: formatRational(rho) }),
    ...(delta === undefined ? {} : { delta: formatRational(delta) }),
  };

  return {
    statistic,
    filter: { type, ...(domains === undefined ? {} : { domains }), ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }), dims },
    unit,
    groupBy,
    selection,
    ...(partitions === undefined ? {} : { partitions }),
    ...(value === undefined ? {} : { value }),
    ...(quantiles === undefined ? {} : { quantiles }),
    bounds,
    mechanism,
    ...(epsilon === undefined ? {} : { epsilon }),
    ...(rho === undefined ? {} : { rho }),
    ...(delta === undefined ? {} : { delta }),
    normalized,
  };
}
