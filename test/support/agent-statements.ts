// Valid agent statement payloads for tests that need many of them: the smallest execution audit
// token the schema admits, with the members a test cares about. Checked against the schema as they
// are made, so a test never runs on a payload the service would refuse.
import { type ExecAuditPayload, parseAgentPayload } from '../../statements/index.js';

/** A keyed pseudonym of the right shape (43 base64url characters after the scheme). */
export const PSEUDONYM = 'hmac-sha256:qfcOAiJwJEY2S7fnvTTfxkkelVRUTfa2OtqwfaOVDLc';

export interface ExecAuditOptions {
  readonly jti: string;
  readonly iss: string;
  readonly agent: string;
  readonly wid: string;
  readonly par?: readonly string[];
  /** NumericDate seconds. */
  readonly iat: number;
  readonly domain?: string;
  readonly action?: string;
  readonly status?: 'ok' | 'error' | 'denied' | 'cancelled' | 'compensated';
  readonly corr?: ExecAuditPayload['corr'];
  readonly dims?: Record<string, string | number | boolean>;
}

export function execAuditPayload(o: ExecAuditOptions): ExecAuditPayload {
  const start = new Date(o.iat * 1000).toISOString();
  const payload = {
    profile: 'tag:atlog.dev,2026:exec-audit/v1',
    jti: o.jti,
    iss: o.iss,
    iat: o.iat,
    domain: o.domain ?? new URL(o.agent).host,
    agent: { id: o.agent },
    corr: o.corr ?? {},
    dp: { units: { agent: PSEUDONYM }, dims: o.dims ?? {} },
    wid: o.wid,
    exec_act: o.action ?? 'tool:sql.query',
    par: [...(o.par ?? [])],
    start,
    end: start,
    outcome: { status: o.status ?? 'ok' },
    authority: {},
  };
  return parseAgentPayload('exec-audit', new TextEncoder().encode(JSON.stringify(payload)));
}

export const encodePayload = (payload: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(payload));
