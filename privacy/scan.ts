// Reading a release's rows from the entry index: the records of the query's type (or of each of
// its domains), in its time window, in log order, below one tree size fixed before the release was
// charged, so the answer is about one prefix of the log and says which. Each record becomes at
// most one row: its privacy unit, its partition and its item (the clamped value in units of the
// granularity, or its bin), fed straight into contribution bounding; no row is kept after.

import { type EntryPage, type EntryQuery, type Field, type IndexedEntry, MAX_PAGE_ENTRIES } from '../index/index.js';
import { ContributionBounder, type PartitionAggregate } from './bounding.js';
import { aggregateKind } from './mechanisms.js';
import { type KeyValue, monthOf, type QueryPlan } from './query.js';
import { toNumber } from './rational.js';
import type { RandomSource } from './random.js';
import { partitionKey } from './release.js';

/** What a scan needs of the entry index (EntryIndex has it). */
export interface IndexReader {
  /** The tree size indexed so far. */
  readonly size: number;
  find(field: Field, value: string, query?: EntryQuery): Promise<EntryPage>;
  scan(field: Field, value: string, query?: Omit<EntryQuery, 'after'> & { readonly below?: number }): AsyncIterable<readonly IndexedEntry[]>;
}

export interface ScanOutcome {
  readonly aggregates: Map<string, PartitionAggregate>;
  /** Records read (before the unit, dimension, key and value filters). Never released. */
  readonly scanned: number;
}

/** A record's row: undefined when it has no unit, fails a filter or has no value to aggregate. */
export type RowOf = (entry: IndexedEntry) => { unit: string; partition: string; item: number } | undefined;

/** The function from an index record to its row under `plan` (pure; the tests use it without an index). */
export function rowsOf(plan: QueryPlan): RowOf {
  const domains = plan.filter.domains === undefined ? undefined : new Set(plan.filter.domains);
  const dims = plan.filter.dims.map(([name, values]) => [name, new Set<KeyValue>(values)] as const);
  const keys = plan.groupBy.map((g) => {
    const declared = g.values === undefined ? undefined : new Set<KeyValue>(g.values);
    const read = (e: IndexedEntry): KeyValue | undefined => {
      switch (g.key) {
        case 'domain':
          return e.domain;
        case 'month':
          return monthOf(e.time);
        case 'action':
          return e.action;
        case 'outcome':
          return e.outcome;
        case 'dim':
          return e.dims[g.name!];
      }
    };
    return { declared, read };
  });
  const item = itemOf(plan);
  return (e) => {
    const unit = e.units[plan.unit];
    if (unit === undefined || e.payload !== 'valid' || e.type !== plan.filter.type) return undefined;
    if (domains !== undefined && (e.domain === undefined || !domains.has(e.domain))) return undefined;
    for (const [name, values] of dims) {
      const v = e.dims[name];
      if (v === undefined || !values.has(v)) return undefined;
    }
    const values: KeyValue[] = [];
    for (const key of keys) {
      const v = key.read(e);
      if (v === undefined || (key.declared !== undefined && !key.declared.has(v))) return undefined;
      values.push(v);
    }
    const x = item(e);
    if (x === undefined) return undefined;
    return { unit, partition: partitionKey(values), item: x };
  };
}

/** The item of a record: 0 for a count; else from its measurement, clamped, or undefined without one. */
function itemOf(plan: QueryPlan): (e: IndexedEntry) => number | undefined {
  const v = plan.value;
  if (v === undefined) return () => 0;
  const measure = (e: IndexedEntry) => e.measurements.find((m) => m.name === v.measurement)?.value;
  if (v.bins !== undefined) {
    const edges = v.bins;
    return (e) => {
      const x = measure(e);
      if (x === undefined) return undefined;
      // The bin whose [from, to) holds x; values outside the edges go to the first or last bin.
      let low = 0;
      let high = edges.length - 2;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if (edges[mid]! <= x) low = mid;
        else high = mid - 1;
      }
      return low;
    };
  }
  const min = toNumber(v.min!);
  const max = toNumber(v.max!);
  if (v.resolution !== undefined) {
    const width = (max - min) / v.resolution;
    return (e) => {
      const x = measure(e);
      if (x === undefined) return undefined;
      return Math.min(v.resolution! - 1, Math.max(0, Math.floor((x - min) / width)));
    };
  }
  const g = toNumber(v.granularity!);
  const lowest = Number(v.minUnits!);
  const highest = Number(v.maxUnits!);
  // Clamped after rounding, so the item is within [min, max] exactly, whatever the float did.
  return (e) => {
    const x = measure(e);
    return x === undefined ? undefined : Math.min(highest, Math.max(lowest, Math.round(x / g)));
  };
}

/**
 * Scans the index below `treeSize` for `plan` and bounds every unit's contribution. Reads the
 * type's records, or each domain's when the query names domains (their keys are disjoint).
 */
export async function scanAggregates(index: IndexReader, plan: QueryPlan, treeSize: number, random: RandomSource): Promise<ScanOutcome> {
  const bounder = new ContributionBounder(plan.bounds, aggregateKind(plan), random, binCount(plan));
  const row = rowsOf(plan);
  const sources: [Field, string][] = plan.filter.domains === undefined ? [['type', plan.filter.type]] : plan.filter.domains.map((d) => ['domain', d]);
  let scanned = 0;
  for (const [field, value] of sources) {
    const pages = index.scan(field, value, {
      type: plan.filter.type,
      ...(plan.filter.from === undefined ? {} : { from: plan.filter.from }),
      ...(plan.filter.to === undefined ? {} : { to: plan.filter.to }),
      below: treeSize,
      limit: MAX_PAGE_ENTRIES,
    });
    for await (const page of pages) {
      for (const entry of page) {
        scanned++;
        const r = row(entry);
        if (r !== undefined) bounder.add(r.unit, r.partition, r.item);
      }
    }
  }
  return { aggregates: bounder.finish(), scanned };
}

export function binCount(plan: QueryPlan): number {
  return plan.value?.bins !== undefined ? plan.value.bins.length - 1 : (plan.value?.resolution ?? 0);
}

/** Bounds the rows of `entries` under `plan`: the scan without the index (tests, benchmarks). */
export function aggregateEntries(plan: QueryPlan, entries: Iterable<IndexedEntry>, random: RandomSource): Map<string, PartitionAggregate> {
  const bounder = new ContributionBounder(plan.bounds, aggregateKind(plan), random, binCount(plan));
  const row = rowsOf(plan);
  for (const entry of entries) {
    const r = row(entry);
    if (r !== undefined) bounder.add(r.unit, r.partition, r.item);
  }
  return bounder.finish();
}
