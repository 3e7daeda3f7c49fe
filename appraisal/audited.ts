// An audited action as the rules read it: one execution audit token of the appraised agent,
// placed in time by when it started.
import type { ExecAuditPayload } from '../statements/index.js';
import type { EvidenceOf } from './evidence.js';
import type { Profile } from './profiles.js';
import type { Timed } from './timeline.js';
import { instantMs } from './time.js';

/** An audited action as the timeline keeps it, for the rules that look back (pauses, claims). */
export interface AuditedAction extends Timed {
  /** When it started (ms): every rule over time reads this. */
  readonly at: number;
  readonly entryId: string;
  readonly action: string;
  readonly outcome: ExecAuditPayload['outcome']['status'];
  /**
   * An agent enforcing an override logs it as `override:<action>` (docs/statements.md): the
   * override demands it, so the action lists and a pause do not apply to it.
   */
  readonly exempt: boolean;
}

/**
 * The action as the rules read it when it is added: with its place in the workflow, its target,
 * the profile in force and its whole payload (approval predicates, delegation). The timeline keeps
 * only the AuditedAction: a long history must not hold every payload in memory.
 */
export interface AuditedEvidence extends AuditedAction {
  readonly wid: string;
  /** The ECT task id. */
  readonly jti: string;
  readonly par: readonly string[];
  readonly target?: string;
  /** The profile in force for it, if any: without one it is observed but not appraised. */
  readonly profile?: Profile;
  readonly payload: ExecAuditPayload;
}

/**
 * What the timeline keeps of an action. Its action name goes through `names`: an agent repeats a
 * few names many times, and a name read from a payload may be a slice of the payload's whole text,
 * which it would keep alive; one copy per name keeps one payload's text, not every one.
 */
export function slim(action: AuditedEvidence, names: Map<string, string>): AuditedAction {
  let name = names.get(action.action);
  if (name === undefined) {
    name = action.action;
    names.set(name, name);
  }
  return { at: action.at, index: action.index, entryId: action.entryId, action: name, outcome: action.outcome, exempt: action.exempt };
}

export function auditedAction(evidence: EvidenceOf<'exec-audit'>, profile: Profile | undefined): AuditedEvidence {
  const p = evidence.payload;
  return {
    at: instantMs(p.start) ?? Math.round(p.iat * 1000),
    index: evidence.index,
    entryId: evidence.entryId,
    action: p.exec_act,
    outcome: p.outcome.status,
    wid: p.wid,
    jti: p.jti,
    par: p.par,
    ...(p.target === undefined ? {} : { target: p.target }),
    ...(profile === undefined ? {} : { profile }),
    exempt: p.exec_act.startsWith('override:'),
    payload: p,
  };
}
