// Human approval gates. An action a `human_approval` rule gates (its action and target patterns
// and every `tctx` condition hold) needs, before it started and no longer ago than the rule's
// timeout, `approve` events from at least `min_approvers` distinct operators of the rule's role
// (an issuer's co-signers of that role count as operators too) naming the action: its task in
// `target.tasks`, or its entry in `target.request`. A `deny` of that role naming it before it
// started is a finding whatever the approvals. With `on_timeout: allow` an action may run without
// approval, so only a deny is a finding.
//
// "Before" is by the issuers' times (the approval's iat against the action's start), not by log
// order: statements registered concurrently reach the log in any order (§4.7: registration time is
// only an upper bound). So an approval registered after the action still counts, and a later
// appraisal can withdraw a missing-approval finding once the approval is in the log.
import type { ExecAuditPayload } from '../statements/index.js';
import type { AuditedEvidence } from './audited.js';
import type { EvidenceOf } from './evidence.js';
import { addEvidence, clip, type OpenFinding, tierOf } from './findings.js';
import { matches } from './patterns.js';
import type { Profile } from './profiles.js';
import { durationMs, rfc3339 } from './time.js';

type ApprovalRule = NonNullable<Profile['payload']['human_approval']>[number];
type Condition = NonNullable<ApprovalRule['when']['tctx']>[number];

interface Answer {
  readonly entryId: string;
  readonly index: number;
  readonly at: number;
  readonly action: 'approve' | 'deny';
  readonly wid?: string;
  readonly approvers: readonly { readonly id: string; readonly role: string }[];
}

interface Gate {
  /** Gated actions are few: they keep their payload. */
  readonly action: AuditedEvidence;
  readonly rule: ApprovalRule;
  readonly ruleIndex: number;
  readonly profile: Profile;
}

export class ApprovalLedger {
  private readonly byTask = new Map<string, Answer[]>();
  private readonly byRequest = new Map<string, Answer[]>();
  private readonly gates: Gate[] = [];

  /** An operator's answer to a gate (an issued approve or deny). */
  addAnswer(evidence: EvidenceOf<'override-event'>): void {
    const p = evidence.payload;
    if (p.phase !== 'issued' || (p.action !== 'approve' && p.action !== 'deny') || p.operator === undefined) return;
    const answer: Answer = {
      entryId: evidence.entryId,
      index: evidence.index,
      at: Math.round(p.iat * 1000),
      action: p.action,
      ...(p.target.wid === undefined ? {} : { wid: p.target.wid }),
      approvers: [{ id: p.operator.id, role: p.operator.role }, ...(p.operator.co_signers ?? []).map((c) => ({ id: c.id, role: c.role }))],
    };
    for (const task of p.target.tasks ?? []) push(this.byTask, task, answer);
    if (p.target.request !== undefined) push(this.byRequest, p.target.request, answer);
  }

  addAction(action: AuditedEvidence, profile: Profile): void {
    if (action.exempt) return;
    (profile.payload.human_approval ?? []).forEach((rule, ruleIndex) => {
      if (gates(rule, action)) this.gates.push({ action, rule, ruleIndex, profile });
    });
  }

  /** How many gated actions fall in the window (for the result's evidence summary). */
  gatedIn(inWindow: (at: number) => boolean): number {
    return this.gates.filter((gate) => inWindow(gate.action.at)).length;
  }

  findings(inWindow: (at: number) => boolean): OpenFinding[] {
    const out: OpenFinding[] = [];
    for (const gate of this.gates) {
      if (!inWindow(gate.action.at)) continue;
      const finding = this.check(gate);
      if (finding !== undefined) out.push(finding);
    }
    return out;
  }

  private check({ action, rule, ruleIndex, profile }: Gate): OpenFinding | undefined {
    const answers = [...(this.byTask.get(action.jti) ?? []).filter((a) => a.wid === undefined || a.wid === action.wid), ...(this.byRequest.get(action.entryId) ?? [])]
      .filter((a, i, all) => all.findIndex((b) => b.entryId === a.entryId) === i)
      .sort((a, b) => a.index - b.index);
    const ofRole = (a: Answer) => a.approvers.filter((who) => who.role === rule.role).map((who) => who.id);
    const base = {
      kind: 'missing_approval' as const,
      tier: tierOf(profile.payload, 'missing_approval'),
      rule: `/human_approval/${ruleIndex}`,
      profile: profile.entryId,
      at: action.at,
      count: 1,
      evidence: [action.entryId],
      index: action.index,
    };
    const deny = answers.find((a) => a.action === 'deny' && a.at <= action.at && ofRole(a).length > 0);
    if (deny !== undefined) {
      const finding: OpenFinding = { ...base, evidence: [action.entryId, deny.entryId], detail: clip(`${action.action} ran after a ${rule.role} denied it at ${rfc3339(deny.at)}`) };
      return finding;
    }
    if (rule.on_timeout === 'allow') return undefined;
    const timeout = durationMs(rule.timeout);
    const valid = answers.filter((a) => a.action === 'approve' && a.at <= action.at && action.at - a.at <= timeout);
    const approvers = new Set(valid.flatMap(ofRole));
    const needed = rule.min_approvers ?? 1;
    if (approvers.size >= needed) return undefined;
    const finding: OpenFinding = {
      ...base,
      detail: clip(`${action.action}${amount(action.payload)} ran with ${approvers.size} of ${needed} approvals from ${rule.role} within ${rule.timeout} before it started`),
    };
    // The approvals there are (too few, too late, too early or of another role) prove it too.
    addEvidence(finding, ...answers.map((a) => a.entryId));
    return finding;
  }
}

/** Whether a rule's `when` holds for an action: all of its conditions (absent tctx members never match). */
export function gates(rule: ApprovalRule, action: AuditedEvidence): boolean {
  const when = rule.when;
  if (!matches(when.action, action.action)) return false;
  if (when.target !== undefined && (action.target === undefined || !matches(when.target, action.target))) return false;
  const tctx = action.payload.authority.tctx;
  return (when.tctx ?? []).every((condition) => holds(condition, tctx?.[condition.path]));
}

function holds(condition: Condition, value: string | number | boolean | undefined): boolean {
  if (value === undefined) return false;
  const expected = condition.value;
  switch (condition.op) {
    case 'eq':
      return value === expected;
    case 'ne':
      return value !== expected;
    case 'in':
      return Array.isArray(expected) && (expected as readonly unknown[]).includes(value);
    case 'gt':
      return typeof value === 'number' && typeof expected === 'number' && value > expected;
    case 'ge':
      return typeof value === 'number' && typeof expected === 'number' && value >= expected;
    case 'lt':
      return typeof value === 'number' && typeof expected === 'number' && value < expected;
    case 'le':
      return typeof value === 'number' && typeof expected === 'number' && value <= expected;
  }
}

function amount(p: ExecAuditPayload): string {
  const value = p.authority.tctx?.amount;
  const currency = p.authority.tctx?.currency;
  return typeof value === 'number' ? ` of ${value}${typeof currency === 'string' ? ` ${currency}` : ''}` : '';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
