// Settlement: the consumer and the provider of a resource each log their own usage record; pairing
// the two across the boundary and comparing them measurement by measurement shows where they
// disagree. Pure: the gatherer (source.ts) reads the records' payloads.

import type { IndexedLink, IndexedMeasurement } from '../index/index.js';

/** A resource usage record as settlement reads it. */
export interface UsageRecord {
  readonly entryId: string;
  readonly index: number;
  readonly time: number;
  readonly iss?: string;
  /** The domain that logged it. */
  readonly domain?: string;
  /** `meter.side`. */
  readonly side: 'consumer' | 'provider';
  readonly consumer: { readonly domain: string; readonly agent?: string };
  readonly provider: { readonly domain: string; readonly service?: string; readonly agent?: string };
  readonly wid?: string;
  readonly tid?: string;
  /** `settlement.counterparty_record`, `settlement.agreement`, `settlement.status`. */
  readonly counterparty?: string;
  readonly agreement?: string;
  readonly status?: string;
  readonly links: readonly IndexedLink[];
  readonly measurements: readonly IndexedMeasurement[];
  /** Within the window asked about (else read only because a record in it names it). */
  readonly inWindow: boolean;
}

export type PairedBy = 'counterparty_record' | 'bills' | 'task';

export interface MeasurementComparison {
  readonly name: string;
  readonly unit: string;
  /** null when that side did not measure it. */
  readonly consumer: number | null;
  readonly provider: number | null;
  readonly agree: boolean;
  /** provider − consumer, when both measured it. */
  readonly difference?: number;
}

export interface SettlementPair {
  readonly consumer: UsageRecord;
  readonly provider: UsageRecord;
  /** What ties the two: a counterparty reference (either way), a `bills` link, or the same task. */
  readonly pairedBy: readonly PairedBy[];
  /** `agreed` when every measurement agrees, `disputed` otherwise. */
  readonly status: 'agreed' | 'disputed';
  readonly measurements: readonly MeasurementComparison[];
}

export interface UnpairedRecord {
  readonly record: UsageRecord;
  readonly reason: string;
}

export interface Settlement {
  /** In the log order of the earlier record of each pair. */
  readonly pairs: readonly SettlementPair[];
  /** Records of the window with no counterparty, in log order. */
  readonly unpaired: readonly UnpairedRecord[];
}

/**
 * Pairs consumer-side and provider-side records. Evidence, strongest first: one names the other as
 * `settlement.counterparty_record` (either way round), one links to the other with rel `bills`, or
 * (for records with neither) they are the only consumer and provider records of one task between
 * the same two domains. A pair must have one record of each side; a record is in one pair at most,
 * the pairs of the earliest records chosen first.
 */
export function settle(records: readonly UsageRecord[]): Settlement {
  const byEntry = new Map(records.map((r) => [r.entryId, r]));
  const evidence = new Map<string, { a: UsageRecord; b: UsageRecord; by: Set<PairedBy> }>();
  const note = (x: UsageRecord, y: UsageRecord, by: PairedBy) => {
    const [a, b] = x.index < y.index ? [x, y] : [y, x];
    const k = `${a.entryId}:${b.entryId}`;
    const found = evidence.get(k) ?? { a, b, by: new Set<PairedBy>() };
    found.by.add(by);
    evidence.set(k, found);
  };
  const reasons = new Map<string, string>();
  for (const r of records) {
    if (r.counterparty !== undefined) {
      const other = byEntry.get(r.counterparty);
      if (other !== undefined && other !== r) note(r, other, 'counterparty_record');
      else if (other === undefined) reasons.set(r.entryId, `its counterparty record ${r.counterparty} is not a resource usage record in the log`);
    }
    for (const link of r.links) {
      if (link.rel !== 'bills' || link.record === undefined) continue;
      const other = byEntry.get(link.record);
      if (other !== undefined && other !== r) note(r, other, 'bills');
    }
  }
  const paired = new Map<string, SettlementPair>();
  const take = (a: UsageRecord, b: UsageRecord, by: Iterable<PairedBy>) => {
    const [consumer, provider] = a.side === 'consumer' ? [a, b] : [b, a];
    const pair = compare(consumer, provider, [...by].sort(byStrength));
    paired.set(a.entryId, pair);
    paired.set(b.entryId, pair);
  };
  const candidates = [...evidence.values()].sort((x, y) => x.a.index - y.a.index || x.b.index - y.b.index);
  for (const { a, b, by } of candidates) {
    if (a.side === b.side) {
      for (const r of [a, b]) if (!paired.has(r.entryId)) reasons.set(r.entryId, `its counterparty ${(r === a ? b : a).entryId} is on the same side (${r.side})`);
      continue;
    }
    if (paired.has(a.entryId) || paired.has(b.entryId)) {
      for (const r of [a, b]) if (!paired.has(r.entryId)) reasons.set(r.entryId, `its counterparty ${(r === a ? b : a).entryId} is paired with another record`);
      continue;
    }
    take(a, b, by);
    reasons.delete(a.entryId);
    reasons.delete(b.entryId);
  }
  // The same task, between the same two domains, when that leaves exactly one record of each side.
  const byTask = new Map<string, UsageRecord[]>();
  for (const r of records) {
    if (paired.has(r.entryId) || r.tid === undefined || reasons.has(r.entryId)) continue;
    const k = [r.wid ?? '', r.tid, r.consumer.domain, r.provider.domain].join('\u0000');
    byTask.set(k, [...(byTask.get(k) ?? []), r]);
  }
  for (const group of byTask.values()) {
    const consumers = group.filter((r) => r.side === 'consumer');
    const providers = group.filter((r) => r.side === 'provider');
    if (consumers.length === 1 && providers.length === 1) take(consumers[0]!, providers[0]!, ['task']);
    else if (consumers.length > 0 && providers.length > 0) {
      for (const r of group) reasons.set(r.entryId, `task ${r.tid} has ${consumers.length} consumer and ${providers.length} provider records; name the counterparty record`);
    }
  }
  const pairs = [...new Set(paired.values())].sort((x, y) => Math.min(x.consumer.index, x.provider.index) - Math.min(y.consumer.index, y.provider.index));
  const unpaired = records
    .filter((r) => r.inWindow && !paired.has(r.entryId))
    .sort((a, b) => a.index - b.index)
    .map((record) => ({ record, reason: reasons.get(record.entryId) ?? 'no counterparty record names it or is named by it' }));
  return { pairs, unpaired };
}

const STRENGTH: readonly PairedBy[] = ['counterparty_record', 'bills', 'task'];
const byStrength = (a: PairedBy, b: PairedBy) => STRENGTH.indexOf(a) - STRENGTH.indexOf(b);

/** Both records' measurements by (name, unit): the consumer's in its order, then what only the provider measured. */
function compare(consumer: UsageRecord, provider: UsageRecord, pairedBy: readonly PairedBy[]): SettlementPair {
  const k = (m: IndexedMeasurement) => `${m.name}\u0000${m.unit}`;
  const theirs = new Map(provider.measurements.map((m) => [k(m), m]));
  const ours = new Set(consumer.measurements.map(k));
  const measurements: MeasurementComparison[] = [];
  for (const m of consumer.measurements) {
    const other = theirs.get(k(m));
    measurements.push(
      other === undefined
        ? { name: m.name, unit: m.unit, consumer: m.value, provider: null, agree: false }
        : { name: m.name, unit: m.unit, consumer: m.value, provider: other.value, agree: other.value === m.value, difference: other.value - m.value },
    );
  }
  for (const m of provider.measurements) {
    if (!ours.has(k(m))) measurements.push({ name: m.name, unit: m.unit, consumer: null, provider: m.value, agree: false });
  }
  return { consumer, provider, pairedBy, status: measurements.every((m) => m.agree) ? 'agreed' : 'disputed', measurements };
}
