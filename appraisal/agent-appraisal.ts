// One agent's appraisal as a fold over the log: `add` takes the log's entries in log order (only
// those about the agent change anything) and keeps what the rules need; `verdict` reads that
// state for a window. Nothing here reads a clock, the network or storage, and nothing depends on
// how the entries were batched: adding entries one at a time or all at once, on the service or in
// a replay, gives the same verdict. That is what lets the service appraise incrementally (keep the
// state, add each new batch) and an auditor replay a result from the log alone.
import { actionFindings, TaskCounts } from './actions.js';
import { ApprovalLedger } from './approvals.js';
import { type AuditedAction, auditedAction, slim } from './audited.js';
import { ClaimChecks } from './claims.js';
import { delegationFindings } from './delegation.js';
import { concerns, type Evidence, type EvidenceOf } from './evidence.js';
import { clip, compareFindings, type Finding, type FindingKind, type OpenFinding, type Tier, tierOf } from './findings.js';
import { OverrideLedger } from './overrides.js';
import { policyId, type Profile, type ProfileBook } from './profiles.js';
import { RateWindows } from './rates.js';
import { type MeteredUsage, meteredUsage, ResourceWindows } from './resources.js';
import { Timeline, type Timed } from './timeline.js';

/** The window appraised: findings and evidence whose time is in [from, to) (ms; either open). */
export interface AppraisalWindow {
  readonly from?: number;
  readonly to?: number;
}

export type Status = 'none' | 'affirming' | 'warning' | 'contraindicated';

/** AR4SI trustworthiness claims, with the agent meanings of §4.6. */
export interface TrustworthinessVector {
  /** The agent's statements were admitted under the log's policy (2); its Attester's claims contradict the log (96). */
  readonly 'instance-identity': number;
  /** Its behavior against its profile: actions, rates, resources, approvals, overrides. */
  readonly configuration: number;
  /** Model, prompt and toolset digests against the reference values. */
  readonly executables: number;
  /** Inputs and delegations from allowed domains. */
  readonly 'sourced-data': number;
}

export interface EvidenceSummary {
  /** Execution audit tokens of the agent in the window, and how many had no profile in force. */
  readonly actions: number;
  readonly unappraised: number;
  readonly attestations: number;
  readonly usage: number;
  /** Override events aimed at the agent, every phase. */
  readonly overrides: number;
  /** Actions a human approval rule gates. */
  readonly gated: number;
  /** Overrides to honour whose deadlines the log does not yet show passed. */
  readonly pending: number;
  /** The evidence clock: the latest issuer time of any statement about the agent (ms), if any. */
  readonly latest?: number;
}

export interface AgentVerdict {
  readonly agent: string;
  readonly status: Status;
  readonly vector: TrustworthinessVector;
  /** The profiles in force for the evidence appraised, `<id>#<version>@<entry id>`, in log order. */
  readonly policyIds: readonly string[];
  /** Every finding in the window, in order (findings.ts). */
  readonly findings: readonly Finding[];
  /** Findings the state no longer lists (beyond MAX_KEPT_FINDINGS), counted in the status. */
  readonly unlisted: number;
  readonly evidence: EvidenceSummary;
}

/** Most findings an agent's state keeps one by one; past it, only their kinds and tiers. */
export const MAX_KEPT_FINDINGS = 10_000;

/** Which trustworthiness claim each kind of finding lowers. */
const DIMENSION: Readonly<Record<FindingKind, keyof TrustworthinessVector>> = {
  denied_action: 'configuration',
  unlisted_action: 'configuration',
  target_not_allowed: 'configuration',
  rate_exceeded: 'configuration',
  resource_exceeded: 'configuration',
  missing_approval: 'configuration',
  override_not_honored: 'configuration',
  delegation_exceeded: 'sourced-data',
  reference_mismatch: 'executables',
  attestation_mismatch: 'instance-identity',
};

const TIER_RANK: Readonly<Record<Tier, number>> = { warning: 1, contraindicated: 2 };

export class AgentAppraisal {
  /** Every audited action of the agent, by start. */
  private readonly actions = new Timeline<AuditedAction>();
  private readonly usage = new Timeline<MeteredUsage>();
  /** Markers of the evidence a profile was in force for: "evidence is missing" is none of these. */
  private readonly appraised = new Timeline<Timed>();
  private readonly unappraised = new Timeline<Timed>();
  private readonly attested = new Timeline<Timed>();
  /** Attestations that measured a component the profile has reference values for. */
  private readonly measured = new Timeline<Timed>();
  private readonly overrideEvents = new Timeline<Timed>();
  private readonly profilesUsed = new Map<number, { profile: Profile; first: number; last: number }>();
  private readonly found: OpenFinding[] = [];
  private readonly overflow: { at: number; kind: FindingKind; tier: Tier }[] = [];
  private readonly taskCounts = new TaskCounts();
  private readonly rates = new RateWindows();
  private readonly resources = new ResourceWindows();
  private readonly approvals = new ApprovalLedger();
  private readonly overrides: OverrideLedger;
  private readonly claims = new ClaimChecks();
  /** One copy of each action name the timeline holds (audited.ts: `slim`). */
  private readonly actionNames = new Map<string, string>();
  private latest: number | undefined;
  private next = 0;

  constructor(
    readonly agent: string,
    private readonly profiles: ProfileBook,
  ) {
    this.overrides = new OverrideLedger(agent);
  }

  /** The log index after the last entry added: entries must come in log order, from here on. */
  get nextIndex(): number {
    return this.next;
  }

  /** Notes that the log up to `size` was read (entries about others need not be added). */
  advanceTo(size: number): void {
    this.next = Math.max(this.next, size);
  }

  add(evidence: Evidence): void {
    if (evidence.index < this.next) throw new Error(`evidence must come in log order: ${evidence.index} after ${this.next - 1}`);
    this.next = evidence.index + 1;
    if (!concerns(evidence, this.agent)) return;
    const iat = Math.round(evidence.payload.iat * 1000);
    this.latest = this.latest === undefined ? iat : Math.max(this.latest, iat);
    switch (evidence.type) {
      case 'exec-audit':
        return this.addAction(evidence);
      case 'behavior-attestation':
        return this.addAttestation(evidence, iat);
      case 'resource-usage':
        return this.addUsage(evidence);
      case 'override-event':
        return this.addOverride(evidence, iat);
      case 'behavior-profile':
        return;
    }
  }

  private addAction(evidence: EvidenceOf<'exec-audit'>): void {
    const profile = this.profiles.inForce(this.agent, evidence.index, evidence.payload.agent.swname);
    const action = auditedAction(evidence, profile);
    this.actions.insert(slim(action, this.actionNames));
    if (profile === undefined) {
      this.unappraised.insert({ at: action.at, index: action.index });
      return;
    }
    this.noteAppraised(profile, action.at, action.index);
    this.keep(actionFindings(action, profile));
    this.keep(this.taskCounts.add(action, profile));
    this.keep(this.rates.add(action, profile));
    this.keep(delegationFindings(action, profile));
    this.approvals.addAction(action, profile);
  }

  private addAttestation(evidence: EvidenceOf<'behavior-attestation'>, at: number): void {
    // The claims are compared with the log whatever the profile: a contradiction needs no policy.
    this.claims.add(evidence);
    this.attested.insert({ at, index: evidence.index });
    const profile = this.profiles.inForce(this.agent, evidence.index, evidence.payload.agent.swname);
    if (profile === undefined) return;
    this.noteAppraised(profile, at, evidence.index);
    const references = profile.payload.reference_values ?? {};
    let measuredAny = false;
    for (const measurement of evidence.payload.measurements ?? []) {
      const accepted = references[measurement.name];
      if (accepted === undefined) continue;
      measuredAny = true;
      if (accepted.includes(measurement.digest)) continue;
      this.keep([
        {
          kind: 'reference_mismatch',
          tier: tierOf(profile.payload, 'reference_mismatch'),
          rule: `/reference_values/${pointerToken(measurement.name)}`,
          profile: profile.entryId,
          detail: clip(`${measurement.name} ${measurement.digest} is not one of the profile's reference values`),
          at,
          count: 1,
          evidence: [evidence.entryId],
          index: evidence.index,
        },
      ]);
    }
    if (measuredAny) this.measured.insert({ at, index: evidence.index });
  }

  private addUsage(evidence: EvidenceOf<'resource-usage'>): void {
    const profile = this.profiles.inForce(this.agent, evidence.index, evidence.payload.agent.swname);
    const usage = meteredUsage(evidence, profile);
    this.usage.insert(usage);
    if (profile === undefined) return;
    this.noteAppraised(profile, usage.at, usage.index);
    this.keep(this.resources.add(usage, profile));
  }

  private addOverride(evidence: EvidenceOf<'override-event'>, at: number): void {
    const profile = this.profiles.inForce(this.agent, evidence.index, evidence.payload.agent?.swname);
    this.overrideEvents.insert({ at, index: evidence.index });
    this.approvals.addAnswer(evidence);
    this.overrides.add(evidence, profile);
    // The agent's own phases are behavior of the agent; the operators' are not.
    if (profile !== undefined && evidence.payload.agent?.id === this.agent) this.noteAppraised(profile, at, evidence.index);
  }

  private noteAppraised(profile: Profile, at: number, index: number): void {
    this.appraised.insert({ at, index });
    const used = this.profilesUsed.get(profile.index);
    if (used === undefined) this.profilesUsed.set(profile.index, { profile, first: at, last: at });
    else {
      used.first = Math.min(used.first, at);
      used.last = Math.max(used.last, at);
    }
  }

  private keep(findings: readonly OpenFinding[]): void {
    for (const finding of findings) {
      if (this.found.length < MAX_KEPT_FINDINGS) this.found.push(finding);
      else this.overflow.push({ at: finding.at, kind: finding.kind, tier: finding.tier });
    }
  }

  /** The verdict on the evidence so far, for a window. Reads the state; changes only caches. */
  verdict(window: AppraisalWindow = {}): AgentVerdict {
    const from = window.from ?? -Infinity;
    const to = window.to ?? Infinity;
    const inWindow = (at: number) => at >= from && at < to;
    const clock = this.latest ?? -Infinity;
    const open: OpenFinding[] = [
      ...this.found.filter((f) => inWindow(f.at)),
      ...this.approvals.findings(inWindow),
      ...this.overrides.findings(inWindow, clock, this.actions),
      ...this.claims.findings(inWindow, this.actions, this.usage),
    ];
    const findings = open.map(freeze).sort(compareFindings);
    const overflow = this.overflow.filter((o) => inWindow(o.at));

    const worst = new Map<keyof TrustworthinessVector, Tier>();
    let status: Tier | undefined;
    for (const { kind, tier } of [...findings, ...overflow]) {
      const dimension = DIMENSION[kind];
      if (worse(tier, worst.get(dimension))) worst.set(dimension, tier);
      if (worse(tier, status)) status = tier;
    }
    const appraised = this.appraised.count(from, to) > 0;
    const actions = this.actions.count(from, to);
    const unappraised = this.unappraised.count(from, to);
    const present = {
      'instance-identity': this.actions.count(from, to) + this.attested.count(from, to) + this.usage.count(from, to) + this.overrideEvents.count(from, to) > 0,
      configuration: appraised,
      executables: this.measured.count(from, to) > 0,
      'sourced-data': actions - unappraised > 0,
    } as const;
    const claim = (dimension: keyof TrustworthinessVector): number => {
      const tier = worst.get(dimension);
      if (tier === 'contraindicated') return 96;
      if (tier === 'warning') return dimension === 'executables' ? 33 : 32;
      return present[dimension] ? 2 : 0;
    };
    // Never affirming without evidence: with no finding and nothing a profile was in force for,
    // there is nothing to vouch for, and the status is none (the vector then claims nothing).
    const none = status === undefined && !appraised;
    const vector: TrustworthinessVector = none
      ? { 'instance-identity': 0, configuration: 0, executables: 0, 'sourced-data': 0 }
      : { 'instance-identity': claim('instance-identity'), configuration: claim('configuration'), executables: claim('executables'), 'sourced-data': claim('sourced-data') };
    const policyIds = [...this.profilesUsed.values()]
      .filter((used) => used.first < to && used.last >= from)
      .sort((a, b) => a.profile.index - b.profile.index)
      .map((used) => policyId(used.profile));
    return {
      agent: this.agent,
      status: none ? 'none' : (status ?? 'affirming'),
      vector,
      policyIds,
      findings,
      unlisted: overflow.length,
      evidence: {
        actions,
        unappraised,
        attestations: this.attested.count(from, to),
        usage: this.usage.count(from, to),
        overrides: this.overrideEvents.count(from, to),
        gated: this.approvals.gatedIn(inWindow),
        pending: this.overrides.pending(inWindow, clock),
        ...(this.latest === undefined ? {} : { latest: this.latest }),
      },
    };
  }
}

function worse(tier: Tier, than: Tier | undefined): boolean {
  return than === undefined || TIER_RANK[tier] > TIER_RANK[than];
}

function freeze(finding: OpenFinding): Finding {
  return Object.freeze({ ...finding, evidence: Object.freeze([...finding.evidence]) });
}

/** A member name as a JSON Pointer token (RFC 6901). */
function pointerToken(name: string): string {
  return name.replaceAll('~', '~0').replaceAll('/', '~1');
}
