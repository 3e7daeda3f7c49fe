// For correlation's tests: index records made from a few fields, with entry ids derived from the
// log index so that a test can name an entry by where it is in the log (the pure tests); and real
// signed statements, checked against their schemas, for scenarios registered in a real service.
import { createHash, type KeyObject } from 'node:crypto';
import type { IndexedLink } from '../../index/index.js';
import type { CorrelationEntry, Task } from '../../correlation/index.js';
import { signStatement, statementLeafHash } from '../../receipts/index.js';
import { parseAgentPayload } from '../../statements/index.js';
import { toHex } from '../../util/index.js';
import { encodePayload, execAuditPayload, PSEUDONYM } from './agent-statements.js';

export const entryIdAt = (index: number): string => createHash('sha256').update(`entry-${index}`).digest('hex');

export interface TaskSpec {
  readonly tid: string;
  readonly wid?: string;
  readonly domain?: string;
  readonly agent?: string;
  readonly par?: readonly string[];
  readonly links?: readonly IndexedLink[];
  readonly outcome?: string;
  readonly action?: string;
  /** Issuer time, ms (default: a minute per log index from 2026-01-01). */
  readonly time?: number;
  readonly txn?: string;
  readonly traceId?: string;
}

const T0 = Date.UTC(2026, 0, 1);

/** Tasks at log indices 0, 1, 2… in the order given (or from `first`). */
export function tasks(specs: readonly TaskSpec[], first = 0): Task[] {
  return specs.map((spec, i) => task(spec, first + i));
}

export function task(spec: TaskSpec, index: number): Task {
  const domain = spec.domain ?? 'a.example';
  return {
    index,
    entryId: entryIdAt(index),
    type: 'exec-audit',
    time: spec.time ?? T0 + index * 60_000,
    registeredAt: T0 + 3_600_000 + index,
    par: spec.par ?? [],
    links: spec.links ?? [],
    domain,
    agent: spec.agent ?? `spiffe://${domain}/agent/a`,
    wid: spec.wid ?? 'wf',
    tid: spec.tid,
    outcome: spec.outcome ?? 'ok',
    action: spec.action ?? 'tool:work',
    ...(spec.txn === undefined ? {} : { txn: spec.txn }),
    ...(spec.traceId === undefined ? {} : { traceId: spec.traceId }),
  };
}

/** A statement that is not a task (a usage record, an override), at log index `index`. */
export function record(index: number, fields: Partial<CorrelationEntry> & Pick<CorrelationEntry, 'type'>): CorrelationEntry {
  return { index, entryId: entryIdAt(index), time: T0 + index * 60_000, registeredAt: T0 + 3_600_000 + index, par: [], links: [], ...fields };
}

// --- Signed statements for scenarios registered in a real service ---------------------------


export const SCENARIO_ISSUER = 'https://scenario.example';

export interface Signed {
  readonly bytes: Uint8Array;
  readonly entryId: string;
}

function signed(key: KeyObject, contentType: string, sub: string, payload: unknown): Signed {
  const bytes = signStatement({ key, iss: SCENARIO_ISSUER, sub, contentType, payload: encodePayload(payload) });
  return { bytes, entryId: toHex(statementLeafHash(bytes)) };
}

export interface SignedTaskSpec {
  readonly tid: string;
  readonly wid: string;
  readonly domain: string;
  /** The agent's name in its domain. */
  readonly agent: string;
  readonly par?: readonly string[];
  readonly links?: readonly { rel: string; tid?: string; record?: string; wid?: string; domain?: string }[];
  readonly status?: 'ok' | 'error' | 'denied' | 'cancelled' | 'compensated';
  readonly action?: string;
  /** NumericDate seconds. */
  readonly iat: number;
}

/** An execution audit token, checked against its schema, signed. */
export function signedTask(key: KeyObject, spec: SignedTaskSpec): Signed {
  const agent = `spiffe://${spec.domain}/agent/${spec.agent}`;
  const payload = execAuditPayload({
    jti: spec.tid,
    iss: SCENARIO_ISSUER,
    iat: spec.iat,
    agent,
    domain: spec.domain,
    wid: spec.wid,
    par: spec.par ?? [],
    action: spec.action ?? 'tool:work',
    status: spec.status ?? 'ok',
    corr: spec.links === undefined ? {} : ({ links: spec.links } as never),
  });
  return signed(key, 'application/vnd.atlog.exec-audit+json', agent, payload);
}

/** One phase of a forced rollback of `tasks` in workflow `wid`, checked against its schema, signed. */
export function signedRollback(
  key: KeyObject,
  spec: { id: string; phase: 'issued' | 'acknowledged' | 'enforced' | 'confirmed'; prev?: Signed; domain: string; agent: string; wid: string; tasks: readonly string[]; iat: number; compensating?: readonly string[]; planDigest?: string },
): Signed {
  const agent = `spiffe://${spec.domain}/agent/${spec.agent}`;
  const agentPhase = spec.phase === 'acknowledged' || spec.phase === 'enforced';
  const at = new Date(spec.iat * 1000).toISOString();
  const payload = {
    profile: 'tag:atlog.dev,2026:override-event/v1',
    jti: `${spec.id}-${spec.phase}`,
    iss: SCENARIO_ISSUER,
    iat: spec.iat,
    domain: spec.domain,
    ...(agentPhase ? { agent: { id: agent } } : {}),
    corr: { wid: spec.wid, tid: spec.tasks[0] },
    dp: { units: { agent: PSEUDONYM } },
    override_id: spec.id,
    action: 'forced_rollback',
    level: 'emergency',
    phase: spec.phase,
    ...(spec.prev === undefined ? {} : { prev: spec.prev.entryId }),
    ...(spec.phase === 'issued' || spec.phase === 'confirmed' ? { operator: { id: PSEUDONYM, role: 'sre-oncall' } } : {}),
    target: { agents: [agent], scope: 'task', wid: spec.wid, tasks: spec.tasks },
    rollback: {
      to: { tid: spec.tasks[0] },
      method: 'compensate',
      ...(spec.planDigest === undefined ? {} : { plan_digest: spec.planDigest }),
      ...(spec.compensating === undefined ? {} : { compensating_tasks: spec.compensating }),
    },
    ...(spec.phase === 'acknowledged' ? { result: { ack_at: at } } : spec.phase === 'enforced' ? { result: { effective_at: at } } : {}),
  };
  parseAgentPayload('override-event', encodePayload(payload));
  return signed(key, 'application/vnd.atlog.override-event+json', spec.id, payload);
}

/** A resource usage record of one side of a task, checked against its schema, signed. */
export function signedUsage(
  key: KeyObject,
  spec: { jti: string; side: 'consumer' | 'provider'; wid: string; tid: string; consumer: string; provider: string; measurements: Record<string, number>; counterparty?: Signed; iat: number },
): Signed {
  const agent = `spiffe://${spec.consumer}/agent/caller`;
  const period = new Date(spec.iat * 1000).toISOString();
  const payload = {
    profile: 'tag:atlog.dev,2026:resource-usage/v1',
    jti: spec.jti,
    iss: SCENARIO_ISSUER,
    iat: spec.iat,
    domain: spec.side === 'consumer' ? spec.consumer : spec.provider,
    agent: { id: agent },
    corr: { wid: spec.wid, tid: spec.tid },
    dp: { units: { agent: PSEUDONYM } },
    scope: 'task',
    period: { start: period, end: period },
    meter: { id: `spiffe://${spec.side === 'consumer' ? spec.consumer : spec.provider}/meter/m`, kind: 'gateway', side: spec.side },
    consumer: { agent, domain: spec.consumer },
    provider: { domain: spec.provider, service: 'llm-inference' },
    measurements: Object.entries(spec.measurements).map(([name, value]) => ({ name, value, unit: '{token}' })),
    ...(spec.counterparty === undefined ? {} : { settlement: { counterparty_record: spec.counterparty.entryId } }),
  };
  parseAgentPayload('resource-usage', encodePayload(payload));
  return signed(key, 'application/vnd.atlog.resource-usage+json', agent, payload);
}
