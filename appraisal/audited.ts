// An audited action as the rules read it: one execution audit token of the appraised agent,
// placed in time by when it started.
import type { ExecAuditPayload } from '../statements/index.js';
import type { EvidenceOf } from './evidence.js';
import type { Profile } from './profiles.js';
import type { Timed } from './timeline.js';
import { instantMs } from './time.js';

export interface AuditedAction extends Timed {
  /** When it started (ms): every rule over time reads this. */
  readonly at: number;
  readonly entryId: string;
  readonly action: string;
  readonly outcome: ExecAuditPayload['outcome']['status'];
  readonly wid: string;
  /** The ECT task id. */
  readonly jti: string;
  readonly par: readonly string[];
  readonly target?: string;
  /** The profile in force for it, if any: without one it is observed but not appraised. */
  readonly profile?: Profile;
  /**
   * An agent enforcing an override logs it as `override:<action>` (docs/statements.md): the
   * override demands it, so the action lists and a pause do not apply to it.
   */
  readonly exempt: boolean;
  readonly payload: ExecAuditPayload;
}

export function auditedAction(evidence: EvidenceOf<'exec-audit'>, profile: Profile | undefined): AuditedAction {
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
