// Contribution bounding: before any noise, each privacy unit's rows are cut down to what the
// query's bounds allow, so that removing the unit changes the aggregates by a known amount at
// most, whatever the unit did. Per unit: at most `maxPerPartition` rows in each partition (a
// uniform random sample of its rows there) and at most `maxPartitions` partitions (a uniform
// random sample of its partitions). A unit that wrote 10,000 records moves a count by at most
// maxPartitions × maxPerPartition, which is the bound the noise is scaled to.
//
// The cut depends only on the unit's own rows (and on fresh randomness), never on other units',
// so the aggregates of two neighbouring datasets differ only in the one unit's bounded rows.
// Values are clamped and made integers (in units of the granularity) before they get here.

import type { RandomSource } from './random.js';

/** What the aggregate of one partition needs from its rows. */
export type AggregateKind = 'count' | 'sum' | 'bins';

export interface ContributionBounds {
  /** Most partitions one unit contributes to. */
  readonly maxPartitions: number;
  /** Most rows one unit contributes to one partition. */
  readonly maxPerPartition: number;
}

/** One partition after bounding. */
export interface PartitionAggregate {
  /** Units whose rows were kept here (what DP partition selection thresholds). */
  units: number;
  /** Rows kept. */
  rows: number;
  /** Σ of the kept rows' items (kind sum): values in units of the granularity. */
  sum: bigint;
  /** Kept rows per bin (kind bins). */
  bins: number[];
}

interface Reservoir {
  /** Rows of this unit seen in this partition. */
  seen: number;
  /** A uniform sample of at most maxPerPartition of their items (kinds sum and bins). */
  items: number[];
}

export class ContributionBounder {
  /** unit → partition → reservoir. */
  private readonly units = new Map<string, Map<string, Reservoir>>();

  constructor(
    private readonly bounds: ContributionBounds,
    private readonly kind: AggregateKind,
    private readonly random: RandomSource,
    /** Bins per partition (kind bins). */
    private readonly binCount = 0,
  ) {}

  /**
   * One row: its unit, its partition (any string that identifies it), and its item: the value in
   * units of the granularity (sum; |item| ≤ 2^40), its bin (bins), or anything (count).
   */
  add(unit: string, partition: string, item = 0): void {
    let partitions = this.units.get(unit);
    if (partitions === undefined) {
      partitions = new Map();
      this.units.set(unit, partitions);
    }
    let reservoir = partitions.get(partition);
    if (reservoir === undefined) {
      reservoir = { seen: 0, items: [] };
      partitions.set(partition, reservoir);
    }
    reservoir.seen++;
    if (this.kind === 'count') return;
    // Algorithm R: after n rows, each is in the sample with probability c/n.
    const c = this.bounds.maxPerPartition;
    if (reservoir.items.length < c) reservoir.items.push(item);
    else {
      const j = reservoir.seen <= 0x1_0000_0000 ? this.random.belowNumber(reservoir.seen) : Number(this.random.below(BigInt(reservoir.seen)));
      if (j < c) reservoir.items[j] = item;
    }
  }

  /** How many units have been seen. */
  get unitCount(): number {
    return this.units.size;
  }

  /** The bounded aggregates, by partition. Only partitions some unit kept appear. */
  finish(): Map<string, PartitionAggregate> {
    const out = new Map<string, PartitionAggregate>();
    const { maxPartitions, maxPerPartition } = this.bounds;
    for (const partitions of this.units.values()) {
      let chosen = [...partitions.keys()];
      if (chosen.length > maxPartitions) chosen = sample(chosen, maxPartitions, this.random);
      for (const key of chosen) {
        const reservoir = partitions.get(key)!;
        let aggregate = out.get(key);
        if (aggregate === undefined) {
          aggregate = { units: 0, rows: 0, sum: 0n, bins: this.kind === 'bins' ? new Array<number>(this.binCount).fill(0) : [] };
          out.set(key, aggregate);
        }
        aggregate.units++;
        if (this.kind === 'count') {
          aggregate.rows += Math.min(reservoir.seen, maxPerPartition);
          continue;
        }
        aggregate.rows += reservoir.items.length;
        if (this.kind === 'sum') {
          // At most 1000 items of at most 2^40: exact as a double, then one BigInt add per unit.
          let sum = 0;
          for (const item of reservoir.items) sum += item;
          aggregate.sum += BigInt(sum);
        } else {
          for (const bin of reservoir.items) aggregate.bins[bin]!++;
        }
      }
    }
    return out;
  }
}

/** A uniform random k-subset of `items` (a partial Fisher–Yates shuffle), k < items.length. */
function sample<T>(items: T[], k: number, random: RandomSource): T[] {
  for (let i = 0; i < k; i++) {
    const j = i + random.belowNumber(items.length - i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items.slice(0, k);
}
