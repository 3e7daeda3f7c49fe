// Overrides the agent must honour: for each override aimed at it whose action its profile lists in
// `override.must_honor` (approve and deny answer approval gates: see approvals.ts), the agent itself
// must sign an `acknowledged` phase within `max_ack_latency_ms` of the issue and an `enforced`
// phase within `max_enforce_latency_ms`, each linked back to the issue by `prev`; a `failed` phase
// is a finding. Without a bound in the profile the defaults below apply.
//
// The appraisal reads no clock. A phase that has not arrived is missing only once the log shows
// that its deadline passed: some statement about the agent dated after it (the evidence clock).
// Until then the override is pending, which the result counts. An agent that falls silent after a
// pause has, as far as the log can tell, stopped.
//
// While a pause or emergency stop it must honour is in force (from its enforcement, or from the
// enforcement deadline if that came first, until a resume is issued) no action of the agent may
// start, but those enforcing an override (`override:*`).
import type { AuditedAction } from './audited.js';
import type { EvidenceOf } from './evidence.js';
import { addEvidence, clip, type OpenFinding, tierOf } from './findings.js';
import type { Profile } from './profiles.js';
import { instantMs, rfc3339 } from './time.js';
import type { Timeline } from './timeline.js';

/** Acknowledge within a minute when the profile gives no bound. */
export const DEFAULT_ACK_LATENCY_MS = 60_000;
/** Enforce within ten minutes (NETCONF's default confirm timeout) when the profile gives no bound. */
export const DEFAULT_ENFORCE_LATENCY_MS = 600_000;

const HALTS = new Set(['pause', 'emergency_stop']);
const ANSWERS = new Set(['approve', 'deny']);

interface Issued {
  readonly evidence: EvidenceOf<'override-event'>;
  readonly at: number;
  readonly profile?: Profile;
}

interface Phase {
  readonly entryId: string;
  readonly index: number;
  readonly phase: string;
  readonly prev?: string;
  readonly agent?: string;
  /** ack_at when acknowledged, effective_at when enforced. */
  readonly at?: number;
}

export class OverrideLedger {
  private readonly issued = new Map<string, Issued>();
  private readonly phases = new Map<string, Phase[]>();
  private readonly resumes: { at: number; index: number; entryId: string }[] = [];

  constructor(private readonly agent: string) {}

  add(evidence: EvidenceOf<'override-event'>, profile: Profile | undefined): void {
    const p = evidence.payload;
    const at = Math.round(p.iat * 1000);
    if (p.phase === 'issued') {
      if (p.action === 'resume') this.resumes.push({ at, index: evidence.index, entryId: evidence.entryId });
      // One override, one issue: a second `issued` under the same id is not a new override.
      if (!this.issued.has(p.override_id)) this.issued.set(p.override_id, { evidence, at, ...(profile === undefined ? {} : { profile }) });
      return;
    }
    const time = p.phase === 'acknowledged' ? p.result?.ack_at : p.phase === 'enforced' ? p.result?.effective_at : undefined;
    const phaseAt = time === undefined ? undefined : instantMs(time);
    const phase: Phase = {
      entryId: evidence.entryId,
      index: evidence.index,
      phase: p.phase,
      ...(p.prev === undefined ? {} : { prev: p.prev }),
      ...(p.agent === undefined ? {} : { agent: p.agent.id }),
      ...(phaseAt === undefined ? {} : { at: phaseAt }),
    };
    const list = this.phases.get(p.override_id);
    if (list === undefined) this.phases.set(p.override_id, [phase]);
    else list.push(phase);
  }

  /** Overrides to honour issued in the window whose deadlines the evidence clock has not passed. */
  pending(inWindow: (at: number) => boolean, clock: number): number {
    let count = 0;
    for (const override of this.mustHonour()) {
      if (!inWindow(override.issued.at)) continue;
      const { ack, enforced, failed } = this.agentPhases(override.issued);
      if (failed !== undefined) continue;
      if ((ack === undefined && clock < override.issued.at + override.ackLimit) || (enforced === undefined && clock < override.issued.at + override.enforceLimit)) count++;
    }
    return count;
  }

  findings(inWindow: (at: number) => boolean, clock: number, actions: Timeline<AuditedAction>): OpenFinding[] {
    const out: OpenFinding[] = [];
    for (const override of this.mustHonour()) {
      const { issued, profile, honourIndex, ackLimit, enforceLimit } = override;
      const p = issued.evidence.payload;
      const { ack, enforced, failed } = this.agentPhases(issued);
      const finding = (rule: string, detail: string, ...evidence: string[]): OpenFinding => ({
        kind: 'override_not_honored',
        tier: tierOf(profile.payload, 'override_not_honored'),
        rule,
        profile: profile.entryId,
        detail: clip(`${p.action} ${p.override_id}: ${detail}`),
        at: issued.at,
        count: 1,
        evidence: [issued.evidence.entryId, ...evidence],
        index: issued.evidence.index,
      });
      const bound = (limit: number | undefined, fallback: number) => (limit === undefined ? `${fallback} ms (the default; the profile sets none)` : `${limit} ms`);
      if (inWindow(issued.at)) {
        const ackRule = '/override/max_ack_latency_ms';
        const enforceRule = '/override/max_enforce_latency_ms';
        const limits = profile.payload.override;
        if (failed !== undefined) out.push(finding(`/override/must_honor/${honourIndex}`, 'the agent reported that it failed', failed.entryId));
        // An agent that reports failure has answered: the finding is the failure, not the silence.
        if (ack === undefined) {
          if (failed === undefined && clock >= issued.at + ackLimit) out.push(finding(ackRule, `not acknowledged by the agent within ${bound(limits?.max_ack_latency_ms, DEFAULT_ACK_LATENCY_MS)}`));
        } else if (ack.at !== undefined && ack.at - issued.at > ackLimit) {
          out.push(finding(ackRule, `acknowledged after ${ack.at - issued.at} ms (at most ${bound(limits?.max_ack_latency_ms, DEFAULT_ACK_LATENCY_MS)})`, ack.entryId));
        }
        if (failed === undefined && enforced === undefined) {
          if (clock >= issued.at + enforceLimit) out.push(finding(enforceRule, `not enforced by the agent within ${bound(limits?.max_enforce_latency_ms, DEFAULT_ENFORCE_LATENCY_MS)}`));
        } else if (enforced?.at !== undefined && enforced.at - issued.at > enforceLimit) {
          out.push(finding(enforceRule, `enforced after ${enforced.at - issued.at} ms (at most ${bound(limits?.max_enforce_latency_ms, DEFAULT_ENFORCE_LATENCY_MS)})`, enforced.entryId));
        }
      }
      if (!HALTS.has(p.action)) continue;
      // The halt: from its enforcement (or its deadline, if that came first) until a resume.
      const start = Math.min(enforced?.at ?? Infinity, issued.at + enforceLimit);
      const end = Math.min(...this.resumes.filter((r) => r.at > issued.at).map((r) => r.at), Infinity);
      const ran = [...actions.range(start, end)].filter((action) => !action.exempt && inWindow(action.at));
      if (ran.length === 0) continue;
      const halt: OpenFinding = {
        ...finding(`/override/must_honor/${honourIndex}`, `${ran.length} action${ran.length === 1 ? '' : 's'} started while it was in force (from ${rfc3339(start)}${end === Infinity ? '' : ` until ${rfc3339(end)}`})`),
        at: ran[0]!.at,
        count: ran.length,
        index: ran[0]!.index,
      };
      addEvidence(halt, ...ran.map((action) => action.entryId));
      out.push(halt);
    }
    return out;
  }

  /** The issued overrides the profile in force at their issue says must be honoured, in log order. */
  private *mustHonour(): Generator<{ issued: Issued; profile: Profile; honourIndex: number; ackLimit: number; enforceLimit: number }> {
    const all = [...this.issued.values()].sort((a, b) => a.evidence.index - b.evidence.index);
    for (const issued of all) {
      const profile = issued.profile;
      const action = issued.evidence.payload.action;
      const honourIndex = profile?.payload.override?.must_honor.indexOf(action) ?? -1;
      if (profile === undefined || honourIndex === -1 || ANSWERS.has(action)) continue;
      const limits = profile.payload.override;
      yield {
        issued,
        profile,
        honourIndex,
        ackLimit: limits?.max_ack_latency_ms ?? DEFAULT_ACK_LATENCY_MS,
        enforceLimit: limits?.max_enforce_latency_ms ?? DEFAULT_ENFORCE_LATENCY_MS,
      };
    }
  }

  /** The agent's own phases of an override, linked to its issue through `prev`, first of each kind. */
  private agentPhases(issued: Issued): { ack?: Phase; enforced?: Phase; failed?: Phase } {
    const phases = [...(this.phases.get(issued.evidence.payload.override_id) ?? [])].sort((a, b) => a.index - b.index);
    const linked = new Set([issued.evidence.entryId]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const phase of phases) {
        if (!linked.has(phase.entryId) && phase.prev !== undefined && linked.has(phase.prev)) {
          linked.add(phase.entryId);
          grew = true;
        }
      }
    }
    const own = phases.filter((phase) => linked.has(phase.entryId) && phase.agent === this.agent);
    const first = (name: string) => own.find((phase) => phase.phase === name);
    const ack = first('acknowledged');
    const enforced = first('enforced');
    const failed = first('failed');
    return { ...(ack === undefined ? {} : { ack }), ...(enforced === undefined ? {} : { enforced }), ...(failed === undefined ? {} : { failed }) };
  }
}
