// Resource limits over sliding windows: the sum of a measurement (or of FOCUS BilledCost in the
// limit's currency, for `cost`) over the usage records of the agent whose metering period ended
// in the window. Each side of an exchange meters it (consumer and provider each log a record), so
// the sides are summed apart and either one over the limit is a finding: adding them would count
// one use twice.
import type { ResourceUsagePayload } from '../statements/index.js';
import type { EvidenceOf } from './evidence.js';
import { addEvidence, clip, type OpenFinding, tierOf } from './findings.js';
import type { Profile } from './profiles.js';
import { durationMs, instantMs } from './time.js';
import { Timeline, type Timed } from './timeline.js';

export interface MeteredUsage extends Timed {
  /** When its metering period ended (ms). */
  readonly at: number;
  readonly entryId: string;
  readonly side: ResourceUsagePayload['meter']['side'];
  readonly wid?: string;
  readonly payload: ResourceUsagePayload;
  readonly profile?: Profile;
}

export function meteredUsage(evidence: EvidenceOf<'resource-usage'>, profile: Profile | undefined): MeteredUsage {
  const p = evidence.payload;
  return {
    at: instantMs(p.period.end) ?? Math.round(p.iat * 1000),
    index: evidence.index,
    entryId: evidence.entryId,
    side: p.meter.side,
    ...(p.corr.wid === undefined ? {} : { wid: p.corr.wid }),
    payload: p,
    ...(profile === undefined ? {} : { profile }),
  };
}

/** The amount of `name` a record measured (`cost`: its BilledCost in `currency`), or undefined. */
export function measured(p: ResourceUsagePayload, name: string, currency?: string): number | undefined {
  if (name === 'cost') {
    const focus = p.focus;
    return focus?.BilledCost !== undefined && focus.BillingCurrency === currency ? focus.BilledCost : undefined;
  }
  return p.measurements.find((m) => m.name === name)?.value;
}

interface Amount extends Timed {
  readonly entryId: string;
  readonly value: number;
}

interface Series {
  readonly timeline: Timeline<Amount>;
  readonly over: Set<number>;
  burst?: { finding: OpenFinding; last: number };
  newest: number;
}

export class ResourceWindows {
  private readonly series = new Map<string, Series>();

  add(usage: MeteredUsage, profile: Profile): OpenFinding[] {
    const out: OpenFinding[] = [];
    (profile.payload.resource_limits ?? []).forEach((rule, i) => {
      const value = measured(usage.payload, rule.name, rule.currency);
      if (value === undefined) return;
      const per = rule.per ?? 'agent';
      const key = `${rule.name}\u0000${rule.currency ?? ''}\u0000${rule.window}\u0000${per}\u0000${usage.side}${per === 'workflow' ? `\u0000${usage.wid ?? ''}` : ''}`;
      const window = durationMs(rule.window);
      const series = this.seriesOf(key);
      const position = series.timeline.insert({ at: usage.at, index: usage.index, entryId: usage.entryId, value });
      series.newest = Math.max(series.newest, usage.at);
      for (let j = position; j < series.timeline.length; j++) {
        const end = series.timeline.item(j);
        if (end.at >= usage.at + window) break;
        if (series.over.has(end.index)) continue;
        let sum = 0;
        const summed: string[] = [];
        for (const item of series.timeline.range(end.at - window + 1, end.at + 1)) {
          sum += item.value;
          summed.push(item.entryId);
        }
        if (sum <= rule.max) continue;
        series.over.add(end.index);
        const burst = series.burst;
        if (burst !== undefined && end.at - burst.last < window && end.at >= burst.finding.at) {
          burst.finding.count++;
          burst.last = Math.max(burst.last, end.at);
          addEvidence(burst.finding, end.entryId);
          continue;
        }
        const finding: OpenFinding = {
          kind: 'resource_exceeded',
          tier: tierOf(profile.payload, 'resource_exceeded'),
          rule: `/resource_limits/${i}`,
          profile: profile.entryId,
          detail: clip(
            `${rule.name} ${round(sum)}${rule.currency === undefined ? '' : ` ${rule.currency}`} within ${rule.window} (max ${rule.max}), metered on the ${usage.side} side${per === 'workflow' ? ` in workflow ${usage.wid ?? '(none)'}` : ''}`,
          ),
          at: end.at,
          count: 1,
          evidence: [end.entryId],
          index: end.index,
        };
        // The record that went over first, then the others summed with it.
        addEvidence(finding, ...summed);
        series.burst = { finding, last: end.at };
        out.push(finding);
      }
      series.timeline.prune(series.newest - 2 * window);
    });
    return out;
  }

  private seriesOf(key: string): Series {
    let series = this.series.get(key);
    if (series === undefined) {
      series = { timeline: new Timeline(), over: new Set(), newest: -Infinity };
      this.series.set(key, series);
    }
    return series;
  }
}

/** A sum as a finding shows it: at most 6 decimals, so float noise does not reach the text. */
export function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
