// Findings: what the appraisal found wrong, each with the rule it broke, its tier and the entries
// that prove it. The kinds are the profile's violation kinds (VIOLATION_KINDS, whose tiers a
// profile's `appraisal.on_violation` sets) plus `attestation_mismatch`: the Attester's claim
// contradicts what the log observed, which no profile can make acceptable.
import { type BehaviorProfilePayload, TIERS, VIOLATION_KINDS } from '../statements/index.js';

export type ViolationKind = (typeof VIOLATION_KINDS)[number];
export const FINDING_KINDS = [...VIOLATION_KINDS, 'attestation_mismatch'] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];
export type Tier = (typeof TIERS)[number];

/**
 * The tier of each kind when the profile does not say. Contraindicated where the agent did what it
 * must never do or evaded control (a denied action, an action without its human approval, an
 * override not honoured, software that is not the approved one); warning where it went beyond a
 * limit or outside a list but within what a profile may tolerate.
 */
export const DEFAULT_TIERS: Readonly<Record<ViolationKind, Tier>> = Object.freeze({
  denied_action: 'contraindicated',
  unlisted_action: 'warning',
  target_not_allowed: 'warning',
  rate_exceeded: 'warning',
  resource_exceeded: 'warning',
  missing_approval: 'contraindicated',
  override_not_honored: 'contraindicated',
  delegation_exceeded: 'warning',
  reference_mismatch: 'contraindicated',
});

export function tierOf(profile: BehaviorProfilePayload | undefined, kind: FindingKind): Tier {
  if (kind === 'attestation_mismatch') return 'contraindicated';
  return profile?.appraisal?.on_violation[kind] ?? DEFAULT_TIERS[kind];
}

/** Most entries a finding cites; `count` says how many occurrences it stands for. */
export const MAX_EVIDENCE = 16;

export interface Finding {
  readonly kind: FindingKind;
  readonly tier: Tier;
  /** A JSON Pointer to the rule: into the profile (`/denied_actions/0`), or into the attestation for a mismatch. */
  readonly rule: string;
  /** The entry id of the profile in force, when the rule is the profile's. */
  readonly profile?: string;
  readonly detail: string;
  /** When it happened (ms): the window selects findings by it. */
  readonly at: number;
  /** How many occurrences it stands for (a burst of a rate limit is one finding). */
  readonly count: number;
  /** Entry ids, the one that breaks the rule first; at most MAX_EVIDENCE. */
  readonly evidence: readonly string[];
  /** The log index of the first evidence: findings are ordered by it. */
  readonly index: number;
}

/** A finding being built: a burst extends its count and evidence. */
export interface OpenFinding {
  kind: FindingKind;
  tier: Tier;
  rule: string;
  profile?: string;
  detail: string;
  at: number;
  count: number;
  evidence: string[];
  index: number;
}

export function addEvidence(finding: OpenFinding, ...ids: string[]): void {
  for (const id of ids) if (finding.evidence.length < MAX_EVIDENCE && !finding.evidence.includes(id)) finding.evidence.push(id);
}

/**
 * The order of a result's findings: by the log index of the entry that broke the rule, then by
 * time; findings of one entry keep the order the rules found them in (a stable sort), which is
 * fixed by the fold, so it is the same on the service and in a replay.
 */
export function compareFindings(a: Finding, b: Finding): number {
  return a.index - b.index || a.at - b.at;
}

/** Shortens text for a finding's detail (a bounded field of the result). */
export function clip(text: string, max = 240): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
