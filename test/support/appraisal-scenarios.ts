// Appraisal scenarios from real signed statements: each helper makes a payload the schema admits
// (checked as it is made), signs it with an Ed25519 key as its issuer and returns the log entry it
// becomes (the registered statement) with its entry id. A scenario is the log in order; feed it to
// a LogReplay, or register it with a service.
import { createPrivateKey, createPublicKey, createHash, type KeyObject } from 'node:crypto';
import { registeredStatement, signStatement } from '../../receipts/index.js';
import { type AgentStatementName, parseAgentPayload } from '../../statements/index.js';
import { LogReplay } from '../../appraisal/index.js';
import { PSEUDONYM } from './agent-statements.js';

export const AGENT = 'spiffe://shop.example/agent/clerk';
export const OTHER = 'spiffe://shop.example/agent/other';
export const T0 = Date.UTC(2026, 0, 1, 9, 0, 0);
export const MIN = 60_000;
export const OPERATOR_A = 'hmac-sha256:AxtqbRUsNr-MjALwIRq-XqbOEcipTWIQdDo5jiq9--Q';
export const OPERATOR_B = 'hmac-sha256:zJmofMif8_1U9qA6-w1pnAR0wuCGcQXHQnyfRZhYG1Q';
export const DIGEST = (text: string) => `sha-256:${createHash('sha256').update(text).digest('hex')}`;

const MEDIA: Record<AgentStatementName, string> = {
  'exec-audit': 'application/vnd.atlog.exec-audit+json',
  'behavior-attestation': 'application/vnd.atlog.behavior-attestation+json',
  'resource-usage': 'application/vnd.atlog.resource-usage+json',
  'override-event': 'application/vnd.atlog.override-event+json',
  'behavior-profile': 'application/vnd.atlog.behavior-profile+json',
};
const PROFILE: Record<AgentStatementName, string> = {
  'exec-audit': 'tag:atlog.dev,2026:exec-audit/v1',
  'behavior-attestation': 'tag:atlog.dev,2026:behavior-attestation/v1',
  'resource-usage': 'tag:atlog.dev,2026:resource-usage/v1',
  'override-event': 'tag:atlog.dev,2026:override-event/v1',
  'behavior-profile': 'tag:atlog.dev,2026:behavior-profile/v1',
};

function ed25519(seed: string): { privateKey: KeyObject; publicKey: KeyObject } {
  const bytes = createHash('sha256').update(seed).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), bytes]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

export interface Entry {
  readonly type: AgentStatementName;
  /** The signed statement, as an issuer would register it. */
  readonly statement: Uint8Array;
  /** The log entry it becomes (unprotected header emptied). */
  readonly bytes: Uint8Array;
  readonly entryId: string;
  readonly payload: Record<string, unknown>;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A log in the making: statements in the order they are registered. */
export class Scenario {
  readonly entries: Entry[] = [];
  private n = 0;
  readonly key = ed25519('appraisal-scenarios');
  readonly iss = 'https://issuer.shop.example';

  private sign(type: AgentStatementName, sub: string, payload: Record<string, unknown>): Entry {
    const body = { profile: PROFILE[type], iss: this.iss, ...payload };
    // Made to pass the schema: a scenario never runs on what the service would refuse.
    parseAgentPayload(type, new TextEncoder().encode(JSON.stringify(body)));
    const statement = signStatement({
      key: this.key.privateKey,
      iss: this.iss,
      sub,
      iat: Math.floor((body as unknown as { iat: number }).iat),
      contentType: MEDIA[type],
      payload: new TextEncoder().encode(JSON.stringify(body)),
    });
    const bytes = registeredStatement(statement);
    const entry: Entry = { type, statement, bytes, entryId: createHash('sha256').update(Uint8Array.of(0)).update(bytes).digest('hex'), payload: body };
    this.entries.push(entry);
    return entry;
  }

  private jti(prefix: string): string {
    return `${prefix}-${++this.n}`;
  }

  profile(rules: Record<string, unknown> = {}, options: { agents?: string[]; id?: string; version?: string; at?: number } = {}): Entry {
    const id = options.id ?? 'urn:test:profile:clerk';
    return this.sign('behavior-profile', id, {
      jti: this.jti('profile'),
      iat: (options.at ?? T0 - 10 * MIN) / 1000,
      domain: 'shop.example',
      id,
      version: options.version ?? '1',
      applies_to: { agents: options.agents ?? [AGENT] },
      ...rules,
    });
  }

  action(
    at: number,
    options: {
      agent?: string;
      action?: string;
      jti?: string;
      wid?: string;
      par?: string[];
      target?: string;
      status?: 'ok' | 'error' | 'denied' | 'cancelled' | 'compensated';
      tctx?: Record<string, string | number | boolean>;
      depth?: number;
      links?: Record<string, unknown>[];
      act?: Record<string, unknown>;
      swname?: string;
    } = {},
  ): Entry {
    const agent = options.agent ?? AGENT;
    const status = options.status ?? 'ok';
    return this.sign('exec-audit', agent, {
      jti: options.jti ?? this.jti('task'),
      iat: Math.floor(at) / 1000,
      domain: new URL(agent).host,
      agent: { id: agent, ...(options.swname === undefined ? {} : { swname: options.swname }) },
      corr: options.links === undefined ? {} : { links: options.links },
      dp: { units: { agent: PSEUDONYM }, dims: {} },
      wid: options.wid ?? 'wf-1',
      exec_act: options.action ?? 'tool:crm.lookup',
      par: options.par ?? [],
      ...(options.target === undefined ? {} : { target: options.target }),
      start: iso(at),
      end: iso(at + 100),
      outcome: status === 'ok' ? { status } : { status, error_type: 'x' },
      authority: {
        ...(options.act === undefined ? {} : { act: options.act }),
        ...(options.tctx === undefined ? {} : { tctx: options.tctx }),
        ...(options.depth === undefined ? {} : { delegation_depth: options.depth }),
      },
    });
  }

  attestation(
    window: { start: number; end: number },
    observed: Record<string, unknown>,
    options: { count: number; at?: number; measurements?: { name: string; digest: string }[]; agent?: string } = { count: 0 },
  ): Entry {
    const agent = options.agent ?? AGENT;
    return this.sign('behavior-attestation', agent, {
      jti: this.jti('attestation'),
      iat: (options.at ?? window.end + MIN) / 1000,
      domain: 'shop.example',
      agent: { id: agent },
      corr: {},
      dp: { units: { agent: PSEUDONYM } },
      window: { start: iso(window.start), end: iso(window.end) },
      observer: { kind: 'self', id: agent },
      covered: { count: options.count },
      ...(options.measurements === undefined ? {} : { measurements: options.measurements }),
      observed,
    });
  }

  usage(end: number, options: { side?: 'consumer' | 'provider'; tokens?: number; cost?: number; wid?: string; agent?: string } = {}): Entry {
    const agent = options.agent ?? AGENT;
    return this.sign('resource-usage', agent, {
      jti: this.jti('usage'),
      iat: end / 1000,
      domain: 'shop.example',
      agent: { id: agent },
      corr: options.wid === undefined ? {} : { wid: options.wid },
      dp: { units: { agent: PSEUDONYM } },
      scope: 'window',
      period: { start: iso(end - MIN), end: iso(end) },
      meter: { id: 'spiffe://shop.example/meter/gw', kind: 'gateway', side: options.side ?? 'consumer' },
      consumer: { agent, domain: 'shop.example' },
      provider: { domain: 'inference.example' },
      measurements: [{ name: 'gen_ai.usage.input_tokens', value: options.tokens ?? 100, unit: '{token}' }],
      ...(options.cost === undefined ? {} : { focus: { BilledCost: options.cost, BillingCurrency: 'EUR' } }),
    });
  }

  /** The operator's issue of an override (or an approve / deny answering a gate). */
  issue(
    at: number,
    options: { id?: string; action: string; targets?: string[]; tasks?: string[]; request?: string; role?: string; operator?: string; coSigners?: { id: string; role: string }[]; wid?: string },
  ): Entry {
    const id = options.id ?? this.jti('ov');
    const scope = options.request !== undefined ? 'request' : options.tasks !== undefined ? 'task' : 'agent';
    return this.sign('override-event', id, {
      jti: this.jti(`${id}-issued`),
      iat: at / 1000,
      domain: 'shop.example',
      corr: {},
      dp: { units: { agent: PSEUDONYM } },
      override_id: id,
      action: options.action,
      level: 'mandatory',
      phase: 'issued',
      operator: { id: options.operator ?? OPERATOR_A, role: options.role ?? 'sre-oncall', ...(options.coSigners === undefined ? {} : { co_signers: options.coSigners }) },
      target: {
        agents: options.targets ?? [AGENT],
        scope,
        ...(options.tasks === undefined ? {} : { tasks: options.tasks }),
        ...(options.request === undefined ? {} : { request: options.request }),
        ...(options.wid === undefined ? {} : { wid: options.wid }),
      },
      ...(options.action === 'forced_rollback' ? { rollback: { to: { tid: 'x' }, method: 'compensate' } } : {}),
    });
  }

  /** The agent's phase of an override: acknowledged (at = ack_at), enforced (at = effective_at), failed. */
  phase(issued: Entry, prev: Entry, phase: 'acknowledged' | 'enforced' | 'failed', at: number, options: { agent?: string } = {}): Entry {
    const agent = options.agent ?? AGENT;
    const p = issued.payload as { override_id: string; action: string; target: Record<string, unknown> };
    return this.sign('override-event', p.override_id, {
      jti: this.jti(`${p.override_id}-${phase}`),
      iat: at / 1000,
      domain: 'shop.example',
      agent: { id: agent },
      corr: {},
      dp: { units: { agent: PSEUDONYM } },
      override_id: p.override_id,
      action: p.action,
      level: 'mandatory',
      phase,
      prev: prev.entryId,
      target: p.target,
      ...(p.action === 'forced_rollback' ? { rollback: { to: { tid: 'x' }, method: 'compensate' } } : {}),
      result: phase === 'acknowledged' ? { ack_at: iso(at) } : phase === 'enforced' ? { effective_at: iso(at) } : { detail: 'could not' },
    });
  }

  /** The appraisal of `agent` over this log so far, fed from its first entry. */
  replay(agent = AGENT): LogReplay {
    const replay = new LogReplay(agent);
    for (const entry of this.entries) replay.add(entry.bytes);
    return replay;
  }
}
