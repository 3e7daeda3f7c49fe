// Rate limits over sliding windows, per agent or per workflow: an action exceeds a limit when,
// counting it, more than `limit` matching actions started in the window of that length ending at
// its start. The actions of one burst (each over the limit, each within a window of the previous)
// make one finding, whose evidence is the first action of the window and the actions over it.
//
// Per workflow counts the appraised agent's own actions in each workflow: the other agents of a
// workflow answer to their own profiles.
import type { AuditedEvidence } from './audited.js';
import { addEvidence, clip, type OpenFinding, tierOf } from './findings.js';
import { matches } from './patterns.js';
import type { Profile } from './profiles.js';
import { durationMs } from './time.js';
import { Timeline, type Timed } from './timeline.js';

interface Counted extends Timed {
  readonly entryId: string;
}

interface Series {
  readonly timeline: Timeline<Counted>;
  /** Log indices of the actions already found over the limit. */
  readonly over: Set<number>;
  burst?: { finding: OpenFinding; last: number };
  newest: number;
}

export class RateWindows {
  private readonly series = new Map<string, Series>();

  add(action: AuditedEvidence, profile: Profile): OpenFinding[] {
    if (action.exempt) return [];
    const out: OpenFinding[] = [];
    const rules = profile.payload.rate_limits ?? [];
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      if (!matches(rule.action, action.action)) return;
      // Versions of a profile usually repeat a limit: the same actions, window and unit share
      // one series, so a burst across a profile update is still one burst.
      const key = `${rule.action}\u0000${rule.window}\u0000${rule.per}${rule.per === 'workflow' ? `\u0000${action.wid}` : ''}`;
      if (seen.has(key)) return;
      seen.add(key);
      const window = durationMs(rule.window);
      const series = this.seriesOf(key);
      const position = series.timeline.insert({ at: action.at, index: action.index, entryId: action.entryId });
      series.newest = Math.max(series.newest, action.at);
      // The windows that now hold one more action: the one ending at this action and, when it
      // came late, those ending at the later actions within a window of it.
      for (let j = position; j < series.timeline.length; j++) {
        const end = series.timeline.item(j);
        if (end.at >= action.at + window) break;
        if (series.over.has(end.index)) continue;
        const first = series.timeline.upperBound(end.at - window);
        const count = series.timeline.upperBound(end.at) - first;
        if (count <= rule.limit) continue;
        series.over.add(end.index);
        const finding = this.report(series, end, series.timeline.item(first), count, rule, i, profile, action.wid, window);
        if (finding !== undefined) out.push(finding);
      }
      // Nothing older than two windows before the newest action is looked at again.
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

  /** Extends the current burst, or opens a new finding (returned). */
  private report(
    series: Series,
    end: Counted,
    first: Counted,
    count: number,
    rule: NonNullable<Profile['payload']['rate_limits']>[number],
    i: number,
    profile: Profile,
    wid: string,
    window: number,
  ): OpenFinding | undefined {
    const burst = series.burst;
    if (burst !== undefined && end.at - burst.last < window && end.at >= burst.finding.at) {
      burst.finding.count++;
      burst.last = Math.max(burst.last, end.at);
      addEvidence(burst.finding, end.entryId);
      return undefined;
    }
    const finding: OpenFinding = {
      kind: 'rate_exceeded',
      tier: tierOf(profile.payload, 'rate_exceeded'),
      rule: `/rate_limits/${i}`,
      profile: profile.entryId,
      detail: clip(`${count} actions matching ${rule.action} within ${rule.window} (limit ${rule.limit} per ${rule.per}${rule.per === 'workflow' ? ` ${wid}` : ''})`),
      at: end.at,
      count: 1,
      evidence: [first.entryId, end.entryId],
      index: end.index,
    };
    series.burst = { finding, last: end.at };
    return finding;
  }
}
