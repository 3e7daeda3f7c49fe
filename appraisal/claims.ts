// Claim against observation: a behavioral attestation says what its Attester saw in a window; the
// log holds the execution audit tokens and usage records of that window. Each disagreement is a
// finding (`attestation_mismatch`, contraindicated: evidence that contradicts the log cannot be
// relied on). Compared, for the window [start, end): `covered.count` with the audited actions;
// each `observed.actions` count, and its `denied` (outcome denied) and `failed` (outcome error)
// when given, and any audited action it leaves out; each `observed.rates` peak with the most
// matching actions that started in one sliding window; each `observed.resources` total with the
// sum of that measurement over the records whose period ended in the window, on either side (a
// self-observer meters as the consumer, a gateway may be the provider's: one side must agree).
// Approvals, delegation and overrides honoured are not compared here: their own rules appraise them.
import type { AuditedAction } from './audited.js';
import type { EvidenceOf } from './evidence.js';
import { addEvidence, clip, type OpenFinding, tierOf } from './findings.js';
import { matches } from './patterns.js';
import { measured, type MeteredUsage, round } from './resources.js';
import { durationMs, instantMs } from './time.js';
import type { Timeline } from './timeline.js';

interface Attestation {
  readonly evidence: EvidenceOf<'behavior-attestation'>;
  /** Its iat (ms): the window selects attestations by it. */
  readonly at: number;
  readonly start: number;
  readonly end: number;
  /** What was found at the counts of audits and usage records last seen in the window. */
  cache?: { readonly key: string; readonly findings: readonly OpenFinding[] };
}

export class ClaimChecks {
  private readonly attestations: Attestation[] = [];

  add(evidence: EvidenceOf<'behavior-attestation'>): void {
    const p = evidence.payload;
    this.attestations.push({
      evidence,
      at: Math.round(p.iat * 1000),
      start: instantMs(p.window.start) ?? 0,
      end: instantMs(p.window.end) ?? 0,
    });
  }

  findings(inWindow: (at: number) => boolean, actions: Timeline<AuditedAction>, usage: Timeline<MeteredUsage>): OpenFinding[] {
    const out: OpenFinding[] = [];
    for (const attestation of this.attestations) {
      if (!inWindow(attestation.at)) continue;
      // Records are only ever added: the same counts in the window are the same records, so an
      // attestation is compared again only when something new fell in its window.
      const key = `${actions.count(attestation.start, attestation.end)}/${usage.count(attestation.start, attestation.end)}`;
      if (attestation.cache?.key !== key) attestation.cache = { key, findings: compare(attestation, actions, usage) };
      // Copies: a finding handed out must not change under a later appraisal.
      out.push(...attestation.cache.findings.map((f) => ({ ...f, evidence: [...f.evidence] })));
    }
    return out;
  }
}

function compare(attestation: Attestation, actions: Timeline<AuditedAction>, usage: Timeline<MeteredUsage>): OpenFinding[] {
  const { evidence, start, end } = attestation;
  const p = evidence.payload;
  const audited = [...actions.range(start, end)];
  const out: OpenFinding[] = [];
  const mismatch = (rule: string, detail: string, entries: readonly string[]) => {
    const finding: OpenFinding = {
      kind: 'attestation_mismatch',
      tier: tierOf(undefined, 'attestation_mismatch'),
      rule,
      detail: clip(detail),
      at: attestation.at,
      count: 1,
      evidence: [evidence.entryId],
      index: evidence.index,
    };
    addEvidence(finding, ...entries);
    out.push(finding);
  };

  if (p.covered.count !== audited.length) {
    mismatch('/covered/count', `claims ${p.covered.count} audited actions in its window; the log holds ${audited.length}`, audited.map((a) => a.entryId));
  }

  const byAction = new Map<string, AuditedAction[]>();
  for (const action of audited) {
    const list = byAction.get(action.action);
    if (list === undefined) byAction.set(action.action, [action]);
    else list.push(action);
  }
  const listed = p.observed.actions;
  if (listed !== undefined) {
    listed.forEach((claim, i) => {
      const seen = byAction.get(claim.action) ?? [];
      const ids = seen.map((a) => a.entryId);
      if (claim.count !== seen.length) mismatch(`/observed/actions/${i}/count`, `claims ${claim.count} ${claim.action}; the log holds ${seen.length}`, ids);
      const denied = seen.filter((a) => a.outcome === 'denied');
      if (claim.denied !== undefined && claim.denied !== denied.length) {
        mismatch(`/observed/actions/${i}/denied`, `claims ${claim.denied} ${claim.action} denied; the log holds ${denied.length}`, denied.map((a) => a.entryId));
      }
      const failed = seen.filter((a) => a.outcome === 'error');
      if (claim.failed !== undefined && claim.failed !== failed.length) {
        mismatch(`/observed/actions/${i}/failed`, `claims ${claim.failed} ${claim.action} failed; the log holds ${failed.length}`, failed.map((a) => a.entryId));
      }
    });
    const names = new Set(listed.map((claim) => claim.action));
    for (const [action, seen] of [...byAction].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!names.has(action)) mismatch('/observed/actions', `leaves out ${action}, audited ${seen.length} time${seen.length === 1 ? '' : 's'} in its window`, seen.map((a) => a.entryId));
    }
  }

  (p.observed.rates ?? []).forEach((claim, i) => {
    const matching = audited.filter((a) => matches(claim.action, a.action));
    const peak = peakWindow(matching, durationMs(claim.window));
    if (claim.max_per_window !== peak.count) {
      mismatch(`/observed/rates/${i}/max_per_window`, `claims at most ${claim.max_per_window} ${claim.action} per ${claim.window}; the log holds ${peak.count} in one window`, peak.entries);
    }
  });

  (p.observed.resources ?? []).forEach((claim, i) => {
    const records = [...usage.range(start, end)].map((record) => ({ record, value: measured(record.payload, claim.name) })).filter((r) => r.value !== undefined);
    const sum = (side: string) => records.filter((r) => r.record.side === side).reduce((total, r) => total + r.value!, 0);
    const consumer = sum('consumer');
    const provider = sum('provider');
    if (!near(claim.value, consumer) && !near(claim.value, provider)) {
      mismatch(
        `/observed/resources/${i}/value`,
        `claims ${claim.name} ${claim.value}; the log's records in its window sum to ${round(consumer)} (consumer side) and ${round(provider)} (provider side)`,
        records.map((r) => r.record.entryId),
      );
    }
  });
  return out;
}

/** The most actions that started within one sliding window (t − window, t], and which. */
function peakWindow(actions: readonly AuditedAction[], window: number): { count: number; entries: string[] } {
  let best = 0;
  let bestEnd = -1;
  let first = 0;
  for (let last = 0; last < actions.length; last++) {
    while (actions[first]!.at <= actions[last]!.at - window) first++;
    if (last - first + 1 > best) {
      best = last - first + 1;
      bestEnd = last;
    }
  }
  const entries = bestEnd === -1 ? [] : actions.slice(bestEnd - best + 1, bestEnd + 1).map((a) => a.entryId);
  return { count: best, entries };
}

/** Equal up to floating-point noise: totals are sums of decimals. */
function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}
