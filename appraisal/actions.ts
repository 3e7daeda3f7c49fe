// Actions against the profile's lists: a denied action (a denial wins over an allowance), an
// action the allow-list does not name, an allowed action on a target its entry does not allow,
// and more than `max_per_task` of one allowed action among the children of one task.
//
// Every audited attempt counts, whatever its outcome: "none is denied" is about what the agent
// tried, and an attempt its enforcer refused still shows the agent reaching for a denied tool.
import type { AuditedEvidence } from './audited.js';
import { addEvidence, clip, type OpenFinding, tierOf } from './findings.js';
import { matches, matchesAny } from './patterns.js';
import type { Profile } from './profiles.js';

type AllowedAction = NonNullable<Profile['payload']['allowed_actions']>[number];

export function actionFindings(action: AuditedEvidence, profile: Profile): OpenFinding[] {
  if (action.exempt) return [];
  const p = profile.payload;
  const base = { profile: profile.entryId, at: action.at, count: 1, evidence: [action.entryId], index: action.index };
  const denied = (p.denied_actions ?? []).findIndex(
    (rule) => matches(rule.action, action.action) && (rule.targets === undefined || (action.target !== undefined && matchesAny(rule.targets, action.target))),
  );
  if (denied !== -1) {
    return [
      {
        ...base,
        kind: 'denied_action',
        tier: tierOf(p, 'denied_action'),
        rule: `/denied_actions/${denied}`,
        detail: clip(`${action.action}${onTarget(action)} is denied (${p.denied_actions![denied]!.action}); outcome ${action.outcome}`),
      },
    ];
  }
  const allowed = p.allowed_actions;
  if (allowed === undefined) return [];
  const named = allowed.map((rule, i) => [rule, i] as const).filter(([rule]) => matches(rule.action, action.action));
  if (named.length === 0) {
    return [{ ...base, kind: 'unlisted_action', tier: tierOf(p, 'unlisted_action'), rule: '/allowed_actions', detail: clip(`${action.action} is not an allowed action`) }];
  }
  if (allowedEntry(named, action) === undefined) {
    const [, first] = named[0]!;
    return [
      {
        ...base,
        kind: 'target_not_allowed',
        tier: tierOf(p, 'target_not_allowed'),
        rule: `/allowed_actions/${first}/targets`,
        detail: clip(action.target === undefined ? `${action.action} names no target, and its allowed targets are restricted` : `${action.action} on ${action.target} is not on an allowed target`),
      },
    ];
  }
  return [];
}

/** The first allow-list entry naming the action whose targets admit the action's target. */
function allowedEntry(named: readonly (readonly [AllowedAction, number])[], action: AuditedEvidence): readonly [AllowedAction, number] | undefined {
  return named.find(([rule]) => rule.targets === undefined || (action.target !== undefined && matchesAny(rule.targets, action.target)));
}

function onTarget(action: AuditedEvidence): string {
  return action.target === undefined ? '' : ` on ${action.target}`;
}

/**
 * `max_per_task`: at most N actions of an allowed entry among the children of one task (the
 * actions whose ECT `par` names it). Each action is its own ECT task, so "per task" can only mean
 * per parent; an action without parents is a root and counts under no task. One finding per
 * parent task, counting every action beyond the limit.
 */
export class TaskCounts {
  private readonly counts = new Map<string, number>();
  private readonly open = new Map<string, OpenFinding>();

  add(action: AuditedEvidence, profile: Profile): OpenFinding[] {
    const allowed = profile.payload.allowed_actions;
    if (action.exempt || allowed === undefined || action.par.length === 0) return [];
    const named = allowed.map((rule, i) => [rule, i] as const).filter(([rule]) => matches(rule.action, action.action));
    const entry = allowedEntry(named, action);
    if (entry === undefined) return [];
    const [rule, i] = entry;
    if (rule.max_per_task === undefined) return [];
    const out: OpenFinding[] = [];
    for (const parent of action.par) {
      const key = `${profile.index}\u0000${i}\u0000${action.wid}\u0000${parent}`;
      const count = (this.counts.get(key) ?? 0) + 1;
      this.counts.set(key, count);
      if (count <= rule.max_per_task) continue;
      const open = this.open.get(key);
      if (open !== undefined) {
        open.count++;
        addEvidence(open, action.entryId);
        continue;
      }
      const finding: OpenFinding = {
        kind: 'rate_exceeded',
        tier: tierOf(profile.payload, 'rate_exceeded'),
        rule: `/allowed_actions/${i}/max_per_task`,
        profile: profile.entryId,
        detail: clip(`more than ${rule.max_per_task} ${rule.action} actions under task ${parent} of workflow ${action.wid}`),
        at: action.at,
        count: 1,
        evidence: [action.entryId],
        index: action.index,
      };
      this.open.set(key, finding);
      out.push(finding);
    }
    return out;
  }
}
