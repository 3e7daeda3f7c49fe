// The `atlog demo` workload: three administrative domains, a dozen agents with their keys and
// behavioral profiles, workflows that cross domains, resource usage metered on both sides of a
// boundary, an override that pauses an agent and rolls back what it did, and one agent that breaks
// its profile. Everything is signed here, in causal order, so that statements can refer to one
// another by entry id (the leaf hash, known as soon as a statement is signed).
//
// Deterministic: the keys are Ed25519 keys derived from the seed (Ed25519 signatures are
// deterministic too), and every time is an offset from `start`, so the same seed and start give
// the same statements byte for byte. The `facts` say what the workload contains, for the demo's
// summary and for tests of the analyses that read it.

import { createHmac, createPrivateKey, createPublicKey, hash, type KeyObject } from 'node:crypto';
import { signStatement, statementLeafHash } from '../../receipts/index.js';
import { didJwkFor } from '../../statements/index.js';
import { toHex } from '../../util/index.js';

export const DEMO_MEDIA_TYPES = {
  'exec-audit': 'application/vnd.atlog.exec-audit+json',
  'behavior-attestation': 'application/vnd.atlog.behavior-attestation+json',
  'resource-usage': 'application/vnd.atlog.resource-usage+json',
  'override-event': 'application/vnd.atlog.override-event+json',
  'behavior-profile': 'application/vnd.atlog.behavior-profile+json',
} as const;
export type DemoType = keyof typeof DEMO_MEDIA_TYPES;

const PROFILE_IDS: Record<DemoType, string> = {
  'exec-audit': 'tag:atlog.dev,2026:exec-audit/v1',
  'behavior-attestation': 'tag:atlog.dev,2026:behavior-attestation/v1',
  'resource-usage': 'tag:atlog.dev,2026:resource-usage/v1',
  'override-event': 'tag:atlog.dev,2026:override-event/v1',
  'behavior-profile': 'tag:atlog.dev,2026:behavior-profile/v1',
};

/** Someone who signs statements in the demo: an agent, a domain's profile authority, an operator console, a meter. */
export interface DemoIdentity {
  readonly name: string;
  readonly role: 'agent' | 'authority' | 'console' | 'meter';
  readonly domain: string;
  /** The agent's WIMSE id (spiffe://…), for agents. */
  readonly agentId?: string;
  /** The issuer: the did:jwk of its key. */
  readonly iss: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export interface DemoStatement {
  readonly type: DemoType;
  /** The signed statement, ready to register. */
  readonly bytes: Uint8Array;
  /** Its entry id: hex of SHA-256(0x00 ‖ registered statement). */
  readonly entryId: string;
  readonly signer: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** Profiles are registered before the activity they govern. */
  readonly phase: 'profiles' | 'activity';
}

/** What the workload holds, for the summary and for tests of appraisal and correlation. */
export interface DemoFacts {
  readonly domains: readonly string[];
  readonly agents: readonly string[];
  /** The agent that breaks its profile, and how. */
  readonly misbehaving: { readonly agent: string; readonly violations: readonly string[] };
  /** The workflow that crosses all three domains and completes. */
  readonly crossDomainWorkflow: string;
  /** Its parent → child edges that cross a domain boundary, as task ids. */
  readonly crossDomainEdges: readonly (readonly [string, string])[];
  /** The workflow with the injected failure, the failed task, and every task downstream of it. */
  readonly failedWorkflow: string;
  readonly failedTask: string;
  readonly cascade: readonly string[];
  /** The override that paused the misbehaving agent, and the one that rolled its refund back. */
  readonly pauseOverride: string;
  readonly rollbackOverride: string;
  readonly rolledBackTask: string;
  /** Resource usage record pairs (consumer, provider entry ids): one agrees, one does not. */
  readonly settlement: { readonly agreed: readonly [string, string]; readonly disputed: readonly [string, string] };
}

export interface DemoWorkload {
  readonly identities: readonly DemoIdentity[];
  readonly statements: readonly DemoStatement[];
  readonly facts: DemoFacts;
  /** The time span the activity covers (ms since the epoch). */
  readonly window: { readonly start: number; readonly end: number };
}

export interface DemoOptions {
  /** Any text; the same seed and start give the same workload. */
  readonly seed: string;
  /** When the activity begins (ms since the epoch); it spans two hours from there. */
  readonly start: number;
}

const SHOP = 'shop.example';
const INFERENCE = 'inference.example';
const LOGISTICS = 'logistics.example';
export const DEMO_DOMAINS = [SHOP, INFERENCE, LOGISTICS] as const;

const AGENTS: readonly { name: string; domain: string; actions: readonly string[] }[] = [
  { name: 'planner', domain: SHOP, actions: ['plan.order', 'tool:catalog.search', 'llm.invoke'] },
  { name: 'catalog', domain: SHOP, actions: ['tool:catalog.search', 'tool:catalog.update'] },
  { name: 'payments', domain: SHOP, actions: ['payments.transfer', 'payments.refund'] },
  { name: 'support', domain: SHOP, actions: ['tool:crm.lookup', 'customer.notify', 'payments.refund'] },
  { name: 'summarizer', domain: INFERENCE, actions: ['llm.summarize'] },
  { name: 'retriever', domain: INFERENCE, actions: ['tool:vector.search'] },
  { name: 'moderator', domain: INFERENCE, actions: ['llm.moderate'] },
  { name: 'translator', domain: INFERENCE, actions: ['llm.translate'] },
  { name: 'shipping', domain: LOGISTICS, actions: ['ship.create', 'ship.cancel'] },
  { name: 'inventory', domain: LOGISTICS, actions: ['inventory.reserve', 'inventory.release'] },
  { name: 'routing', domain: LOGISTICS, actions: ['route.plan'] },
  { name: 'billing', domain: LOGISTICS, actions: ['billing.invoice', 'billing.void'] },
];

const agentId = (name: string) => {
  const agent = AGENTS.find((a) => a.name === name)!;
  return `spiffe://${agent.domain}/agent/${name}`;
};

const MINUTE = 60_000;
const sha256 = (text: string) => `sha-256:${hash('sha256', text, 'hex')}`;

/** An Ed25519 key from 32 seed bytes (RFC 8410 PKCS#8 wrapping of the private key seed). */
function ed25519From(seed: Uint8Array): { privateKey: KeyObject; publicKey: KeyObject } {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

class Builder {
  readonly identities = new Map<string, DemoIdentity>();
  readonly statements: DemoStatement[] = [];
  private readonly jtis = new Map<string, number>();

  constructor(private readonly seed: string) {}

  identity(name: string, role: DemoIdentity['role'], domain: string, agent?: string): DemoIdentity {
    const keys = ed25519From(new Uint8Array(createHmac('sha256', `atlog-demo:${this.seed}`).update(`key:${name}`).digest()));
    const identity: DemoIdentity = { name, role, domain, ...(agent === undefined ? {} : { agentId: agent }), iss: didJwkFor(keys.publicKey), ...keys };
    this.identities.set(name, identity);
    return identity;
  }

  /** A keyed pseudonym for a privacy unit: HMAC-SHA-256 under the domain's secret, never the raw id. */
  pseudonym(domain: string, id: string): string {
    const secret = createHmac('sha256', `atlog-demo:${this.seed}`).update(`pseudonym:${domain}`).digest();
    return `hmac-sha256:${createHmac('sha256', secret).update(id).digest('base64url')}`;
  }

  /** A record id, unique in the workload and readable: `<prefix>-<n>`. */
  jti(prefix: string): string {
    const n = (this.jtis.get(prefix) ?? 0) + 1;
    this.jtis.set(prefix, n);
    return `${prefix}-${n}`;
  }

  sign(type: DemoType, signer: DemoIdentity, sub: string, payload: Record<string, unknown>, phase: DemoStatement['phase'] = 'activity'): DemoStatement {
    const body = { profile: PROFILE_IDS[type], ...payload, iss: signer.iss };
    const bytes = signStatement({
      key: signer.privateKey,
      iss: signer.iss,
      sub,
      iat: Math.floor(payload.iat as number),
      contentType: DEMO_MEDIA_TYPES[type],
      payload: new TextEncoder().encode(JSON.stringify(body)),
    });
    const statement: DemoStatement = { type, bytes, entryId: toHex(statementLeafHash(bytes)), signer: signer.name, payload: body, phase };
    this.statements.push(statement);
    return statement;
  }
}

/** The most actions that started within one sliding minute (t − 60 s, t]: what an honest attestation reports. */
function peakPerMinute(starts: readonly number[]): number {
  // In whole milliseconds, as the starts are written (RFC 3339 with milliseconds).
  const sorted = starts.map((s) => Math.round(s * 1000)).sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    while (sorted[first]! <= sorted[last]! - 60_000) first++;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

/** The demo workload (see the file comment). */
export function demoWorkload(options: DemoOptions): DemoWorkload {
  const b = new Builder(options.seed);
  const t0 = Math.floor(options.start / 1000) * 1000;
  const at = (minutes: number) => Math.round(t0 + minutes * MINUTE) / 1000;
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

  // --- Identities: a profile authority and an operator console per domain, an agent each, a meter.
  for (const domain of DEMO_DOMAINS) {
    b.identity(`authority@${domain}`, 'authority', domain);
    b.identity(`console@${domain}`, 'console', domain);
  }
  for (const agent of AGENTS) b.identity(agent.name, 'agent', agent.domain, agentId(agent.name));
  const meter = b.identity(`meter@${INFERENCE}`, 'meter', INFERENCE);
  const id = (name: string) => b.identities.get(name)!;

  const model = (name: string) => sha256(`model:${name}:2026-04`);
  const prompt = (name: string) => sha256(`system-prompt:${name}:v3`);
  const toolset = (name: string) => sha256(`toolset:${name}:v5`);

  // --- Behavioral profiles, one per agent, signed by its domain's authority.
  const profiles = new Map<string, DemoStatement>();
  for (const agent of AGENTS) {
    const gated = agent.actions.filter((a) => a === 'payments.transfer' || a === 'payments.refund');
    const profile = b.sign(
      'behavior-profile',
      id(`authority@${agent.domain}`),
      `urn:atlog-demo:profile:${agent.name}`,
      {
        jti: b.jti(`profile-${agent.name}`),
        iat: at(-10),
        domain: agent.domain,
        id: `urn:atlog-demo:profile:${agent.name}`,
        version: '1',
        applies_to: { agents: [agentId(agent.name)] },
        reference_values: { model: [model(agent.name)], 'system-prompt': [prompt(agent.name)], toolset: [toolset(agent.name)] },
        allowed_actions: agent.actions.map((action) => ({ action })),
        denied_actions: [{ action: 'tool:shell.*' }, { action: 'tool:fs.delete' }],
        rate_limits: [{ action: '*', limit: 60, window: 'PT1M', per: 'agent' }],
        resource_limits: [{ name: 'gen_ai.usage.input_tokens', max: 2_000_000, window: 'P1D' }],
        human_approval: gated.map((action) => ({
          when: { action, tctx: [{ path: 'amount', op: 'gt', value: 1000 }] },
          role: 'finance-approver',
          min_approvers: 2,
          timeout: 'PT15M',
          on_timeout: 'deny',
        })),
        delegation: { max_depth: 3, allowed_domains: DEMO_DOMAINS.filter((d) => d !== agent.domain) },
        override: { must_honor: ['emergency_stop', 'pause', 'forced_rollback'], max_ack_latency_ms: 1000 },
      },
      'profiles',
    );
    profiles.set(agent.name, profile);
  }

  // --- What each agent did, for its attestation at the end.
  const audited = new Map<string, { actions: Map<string, { count: number; denied: number }>; tokens: number; first: number; last: number; starts: number[] }>();

  interface Task {
    readonly jti: string;
    readonly entryId: string;
    readonly agent: string;
    readonly domain: string;
  }
  const audit = (
    agentName: string,
    minute: number,
    spec: {
      wid: string;
      action: string;
      par?: readonly Task[];
      status?: 'ok' | 'error' | 'denied' | 'cancelled' | 'compensated';
      error?: string;
      target?: string;
      amount?: number;
      approvals?: readonly DemoStatement[];
      links?: readonly Record<string, unknown>[];
      durationMs?: number;
      principal?: string;
      /** A task id reserved earlier (an approval names the task it approves before it runs). */
      jti?: string;
    },
  ): Task => {
    const agent = AGENTS.find((a) => a.name === agentName)!;
    const signer = id(agentName);
    const jti = spec.jti ?? b.jti(`task-${agentName}`);
    const iat = at(minute);
    const par = spec.par ?? [];
    const foreign = par.filter((p) => p.domain !== agent.domain);
    const links = [
      ...foreign.map((p) => ({ rel: 'caused-by', domain: p.domain, tid: p.jti, record: p.entryId })),
      ...(spec.links ?? []),
    ];
    const statement = b.sign('exec-audit', signer, agentId(agentName), {
      jti,
      iat,
      domain: agent.domain,
      agent: { id: agentId(agentName), swname: agentName, swversion: '2.4.1', profile_ref: { id: `urn:atlog-demo:profile:${agentName}`, version: '1', entry: profiles.get(agentName)!.entryId } },
      wid: spec.wid,
      par: par.map((p) => p.jti),
      exec_act: spec.action,
      ...(spec.target === undefined ? {} : { target: spec.target }),
      start: iso(iat),
      end: iso(iat + (spec.durationMs ?? 400) / 1000),
      outcome: { status: spec.status ?? 'ok', ...(spec.error === undefined ? {} : { error_type: spec.error }) },
      authority: {
        act: { sub: agentId(agentName), ...(spec.principal === undefined ? {} : { act: { sub: spec.principal } }) },
        scope: spec.action.split(/[.:]/)[0],
        ...(spec.amount === undefined ? {} : { tctx: { amount: spec.amount, currency: 'EUR' } }),
        delegation_depth: foreign.length > 0 ? 1 : 0,
        ...(spec.approvals === undefined ? {} : { approval_refs: spec.approvals.map((s) => s.entryId) }),
      },
      corr: {
        traceparent: `00-${hash('sha256', spec.wid, 'hex').slice(0, 32)}-${hash('sha256', jti, 'hex').slice(0, 16)}-01`,
        ...(links.length === 0 ? {} : { links }),
      },
      dp: {
        units: { agent: b.pseudonym(agent.domain, agentId(agentName)), ...(spec.principal === undefined ? {} : { principal: b.pseudonym(agent.domain, spec.principal) }) },
        dims: { action_class: spec.action.split(/[.:]/).slice(0, 2).join('.'), outcome: spec.status ?? 'ok' },
      },
    });
    const seen = audited.get(agentName) ?? { actions: new Map(), tokens: 0, first: iat, last: iat, starts: [] as number[] };
    seen.starts.push(iat);
    const counts = seen.actions.get(spec.action) ?? { count: 0, denied: 0 };
    counts.count++;
    if (spec.status === 'denied') counts.denied++;
    seen.actions.set(spec.action, counts);
    seen.first = Math.min(seen.first, iat);
    seen.last = Math.max(seen.last, iat);
    audited.set(agentName, seen);
    return { jti, entryId: statement.entryId, agent: agentName, domain: agent.domain };
  };

  /** One lifecycle phase of an override; every phase after `issued` links to the one before. */
  const override = (
    signer: DemoIdentity,
    minute: number,
    spec: {
      id: string;
      action: string;
      level: string;
      phase: string;
      prev?: DemoStatement;
      targets: readonly string[];
      wid?: string;
      tasks?: readonly string[];
      reason?: { code: string; text: string; evidence?: readonly string[] };
      operator?: { id: string; role: string };
      rollback?: Record<string, unknown>;
      confirm?: Record<string, unknown>;
      result?: Record<string, unknown>;
      domain: string;
    },
  ): DemoStatement =>
    b.sign('override-event', signer, spec.id, {
      jti: b.jti(`${spec.id}-${spec.phase}`),
      iat: at(minute),
      domain: spec.domain,
      ...(signer.agentId === undefined ? {} : { agent: { id: signer.agentId } }),
      override_id: spec.id,
      action: spec.action,
      level: spec.level,
      phase: spec.phase,
      ...(spec.prev === undefined ? {} : { prev: spec.prev.entryId }),
      ...(spec.operator === undefined ? {} : { operator: { id: b.pseudonym(spec.domain, spec.operator.id), role: spec.operator.role, amr: ['hwk', 'mfa'] } }),
      target: { agents: spec.targets, ...(spec.wid === undefined ? {} : { wid: spec.wid }), ...(spec.tasks === undefined ? {} : { tasks: spec.tasks }), scope: spec.tasks === undefined ? 'agent' : 'task' },
      ...(spec.reason === undefined ? {} : { reason: spec.reason }),
      ...(spec.rollback === undefined ? {} : { rollback: spec.rollback }),
      ...(spec.confirm === undefined ? {} : { confirm: spec.confirm }),
      ...(spec.phase === 'issued' ? { deadline: { ack_within_ms: 1000 } } : {}),
      ...(spec.result === undefined ? {} : { result: spec.result }),
      corr: { ...(spec.wid === undefined ? {} : { wid: spec.wid }), ...(spec.tasks === undefined ? {} : { tid: spec.tasks[0] }) },
      dp: { units: { agent: b.pseudonym(spec.domain, spec.targets[0]!) }, dims: { override: spec.action, level: spec.level } },
    });

  const usage = (
    signer: DemoIdentity,
    minute: number,
    spec: { side: 'consumer' | 'provider'; consumer: string; task: Task; input: number; output: number; counterparty?: DemoStatement; wid: string },
  ): DemoStatement => {
    const consumerAgent = AGENTS.find((a) => a.name === spec.consumer)!;
    const iat = at(minute);
    const record = b.sign('resource-usage', signer, agentId(spec.consumer), {
      jti: b.jti(`usage-${spec.side}`),
      iat,
      domain: signer.domain,
      agent: { id: agentId(spec.consumer), model: { 'gen_ai.provider.name': 'inference.example', 'gen_ai.request.model': 'atlas-2' } },
      scope: 'task',
      period: { start: iso(iat - 60), end: iso(iat) },
      meter: { id: spec.side === 'provider' ? `spiffe://${INFERENCE}/meter/gateway` : `spiffe://${SHOP}/meter/egress`, kind: 'gateway', side: spec.side },
      consumer: { agent: agentId(spec.consumer), domain: consumerAgent.domain },
      provider: { domain: INFERENCE, service: 'llm-inference', agent: agentId(spec.task.agent) },
      measurements: [
        { name: 'gen_ai.usage.input_tokens', value: spec.input, unit: '{token}' },
        { name: 'gen_ai.usage.output_tokens', value: spec.output, unit: '{token}' },
      ],
      focus: {
        BilledCost: Math.round((spec.input * 0.000002 + spec.output * 0.000008) * 1e6) / 1e6,
        BillingCurrency: 'EUR',
        ChargeCategory: 'Usage',
        ConsumedQuantity: spec.input + spec.output,
        ConsumedUnit: 'Tokens',
        ServiceName: 'llm-inference',
      },
      ...(spec.counterparty === undefined ? {} : { settlement: { counterparty_record: spec.counterparty.entryId, agreement: 'urn:atlog-demo:sla:inference-2026' } }),
      corr: {
        wid: spec.wid,
        tid: spec.task.jti,
        links: [{ rel: 'bills', tid: spec.task.jti, domain: spec.task.domain, record: spec.task.entryId }, ...(spec.counterparty === undefined ? [] : [{ rel: 'bills', record: spec.counterparty.entryId }])],
      },
      dp: { units: { agent: b.pseudonym(consumerAgent.domain, agentId(spec.consumer)) }, dims: { service: 'llm-inference', side: spec.side } },
    });
    const seen = audited.get(spec.consumer);
    if (seen !== undefined && spec.side === 'consumer') seen.tokens += spec.input;
    return record;
  };

  // --- Workflow 1: an order that crosses all three domains and completes.
  const wf1 = 'wf-order-1001';
  const customer1 = 'user:alice@shop.example';
  const plan1 = audit('planner', 5, { wid: wf1, action: 'plan.order', principal: customer1 });
  const search1 = audit('catalog', 6, { wid: wf1, action: 'tool:catalog.search', par: [plan1], target: 'https://catalog.shop.example/items' });
  const summary1 = audit('summarizer', 7, { wid: wf1, action: 'llm.summarize', par: [search1], durationMs: 1800 });
  const retrieve1 = audit('retriever', 8, { wid: wf1, action: 'tool:vector.search', par: [summary1] });
  const consumed1 = usage(id('planner'), 9, { side: 'consumer', consumer: 'planner', task: summary1, input: 1200, output: 310, wid: wf1 });
  const provided1 = usage(meter, 9, { side: 'provider', consumer: 'planner', task: summary1, input: 1200, output: 310, counterparty: consumed1, wid: wf1 });
  /** Two finance approvers approve a gated payment task before it runs. */
  const approveTwice = (minute: number, wid: string, task: string) =>
    ['user:frank@shop.example', 'user:grace@shop.example'].map((who, i) =>
      override(id(`console@${SHOP}`), minute + i * 0.2, {
        id: b.jti('approval'),
        action: 'approve',
        level: 'mandatory',
        phase: 'issued',
        targets: [agentId('payments')],
        wid,
        tasks: [task],
        operator: { id: who, role: 'finance-approver' },
        reason: { code: 'approval_request', text: 'payment above 1000 EUR' },
        domain: SHOP,
      }),
    );
  const transferJti = b.jti('task-payments');
  const transfer1 = audit('payments', 12, {
    jti: transferJti,
    wid: wf1,
    action: 'payments.transfer',
    par: [retrieve1],
    amount: 1500,
    approvals: approveTwice(10, wf1, transferJti),
    target: 'https://pay.shop.example/transfers',
  });
  const ship1 = audit('shipping', 14, { wid: wf1, action: 'ship.create', par: [transfer1] });
  const reserve1 = audit('inventory', 15, { wid: wf1, action: 'inventory.reserve', par: [ship1] });
  const invoice1 = audit('billing', 16, { wid: wf1, action: 'billing.invoice', par: [ship1, reserve1] });

  // --- Workflow 2: an order whose shipment fails in logistics; the failure cascades back to the shop.
  const wf2 = 'wf-order-1002';
  const plan2 = audit('planner', 30, { wid: wf2, action: 'plan.order', principal: 'user:bob@shop.example' });
  const translate2 = audit('translator', 31, { wid: wf2, action: 'llm.translate', par: [plan2], durationMs: 900 });
  const consumed2 = usage(id('planner'), 32, { side: 'consumer', consumer: 'planner', task: translate2, input: 640, output: 900, wid: wf2 });
  const provided2 = usage(meter, 32, { side: 'provider', consumer: 'planner', task: translate2, input: 640, output: 960, counterparty: consumed2, wid: wf2 });
  const transfer2 = audit('payments', 33, { wid: wf2, action: 'payments.transfer', par: [plan2], amount: 240, target: 'https://pay.shop.example/transfers' });
  const ship2 = audit('shipping', 35, { wid: wf2, action: 'ship.create', par: [transfer2], status: 'error', error: 'carrier_timeout', durationMs: 30_000 });
  const route2 = audit('routing', 36, { wid: wf2, action: 'route.plan', par: [ship2], status: 'cancelled', error: 'upstream_failed' });
  const invoice2 = audit('billing', 37, { wid: wf2, action: 'billing.invoice', par: [ship2], status: 'error', error: 'no_shipment' });
  const notify2 = audit('support', 38, { wid: wf2, action: 'customer.notify', par: [invoice2], principal: 'user:bob@shop.example' });
  const refund2 = audit('payments', 40, {
    wid: wf2,
    action: 'payments.refund',
    par: [notify2],
    amount: 240,
    target: 'https://pay.shop.example/refunds',
    links: [{ rel: 'compensates', tid: transfer2.jti, record: transfer2.entryId }],
  });

  // --- The misbehaving agent: a burst over its rate limit, a denied tool, an unapproved refund.
  const wf3 = 'wf-support-77';
  const lookups: Task[] = [];
  for (let i = 0; i < 75; i++) lookups.push(audit('support', 50 + i / 80, { wid: wf3, action: 'tool:crm.lookup', par: i === 0 ? [] : [lookups[0]!], target: 'https://crm.shop.example/customers' }));
  const shell = audit('support', 52, { wid: wf3, action: 'tool:shell.exec', par: [lookups[0]!], target: 'file:///etc/passwd' });
  const refund3 = audit('support', 53, { wid: wf3, action: 'payments.refund', par: [shell], amount: 5000, target: 'https://pay.shop.example/refunds' });

  // The operator pauses it (the agent acknowledges and enforces within its deadline), rolls the
  // refund back (provisional, then confirmed, NETCONF-style), and resumes it.
  const support = id('support');
  const opsConsole = id(`console@${SHOP}`);
  const ops = { id: 'user:oncall@shop.example', role: 'sre-oncall' };
  const evidence = [lookups[74]!.entryId, shell.entryId, refund3.entryId];
  const pauseId = 'ov-pause-support';
  const pauseIssued = override(opsConsole, 54, { id: pauseId, action: 'pause', level: 'mandatory', phase: 'issued', targets: [agentId('support')], operator: ops, reason: { code: 'policy_violation', text: 'denied tool and unapproved refund', evidence }, domain: SHOP });
  const pauseAck = override(support, 54.005, { id: pauseId, action: 'pause', level: 'mandatory', phase: 'acknowledged', prev: pauseIssued, targets: [agentId('support')], result: { ack_at: iso(at(54.005)), latency_ms: 300 }, domain: SHOP });
  override(support, 54.01, { id: pauseId, action: 'pause', level: 'mandatory', phase: 'enforced', prev: pauseAck, targets: [agentId('support')], result: { effective_at: iso(at(54.01)), latency_ms: 600 }, domain: SHOP });

  const rollbackId = 'ov-rollback-refund';
  // Provisional, NETCONF-style: enforced, then confirmed within the timeout, linked by persist id.
  const rollback = { to: { tid: shell.jti }, method: 'compensate' };
  const confirm = { timeout_s: 600, persist_id: 'rb-77' };
  const rbIssued = override(opsConsole, 56, { id: rollbackId, action: 'forced_rollback', level: 'emergency', phase: 'issued', targets: [agentId('support')], wid: wf3, tasks: [refund3.jti], operator: ops, reason: { code: 'unapproved_refund', text: 'refund above 1000 EUR without approval', evidence: [refund3.entryId] }, rollback, confirm, domain: SHOP });
  const rbAck = override(support, 56.005, { id: rollbackId, action: 'forced_rollback', level: 'emergency', phase: 'acknowledged', prev: rbIssued, targets: [agentId('support')], wid: wf3, tasks: [refund3.jti], rollback, confirm, result: { ack_at: iso(at(56.005)), latency_ms: 300 }, domain: SHOP });
  const compensationJti = b.jti('task-payments');
  const compensation = audit('payments', 57, {
    jti: compensationJti,
    wid: wf3,
    action: 'payments.transfer',
    par: [refund3],
    amount: 5000,
    target: 'https://pay.shop.example/transfers',
    links: [{ rel: 'compensates', tid: refund3.jti, record: refund3.entryId }],
    approvals: approveTwice(56.1, wf3, compensationJti),
  });
  const rbEnforced = override(support, 57.5, { id: rollbackId, action: 'forced_rollback', level: 'emergency', phase: 'enforced', prev: rbAck, targets: [agentId('support')], wid: wf3, tasks: [refund3.jti], rollback: { ...rollback, compensating_tasks: [compensation.jti] }, confirm, result: { effective_at: iso(at(57.5)), latency_ms: 90_000, compensating_tasks: [compensation.jti] }, domain: SHOP });
  override(opsConsole, 60, { id: rollbackId, action: 'forced_rollback', level: 'emergency', phase: 'confirmed', prev: rbEnforced, targets: [agentId('support')], wid: wf3, tasks: [refund3.jti], operator: ops, rollback: { ...rollback, compensating_tasks: [compensation.jti] }, confirm, domain: SHOP });

  const resumeId = 'ov-resume-support';
  const resumeIssued = override(opsConsole, 70, { id: resumeId, action: 'resume', level: 'advisory', phase: 'issued', targets: [agentId('support')], operator: ops, reason: { code: 'remediated', text: 'refund reversed' }, domain: SHOP });
  const resumeAck = override(support, 70.005, { id: resumeId, action: 'resume', level: 'advisory', phase: 'acknowledged', prev: resumeIssued, targets: [agentId('support')], result: { ack_at: iso(at(70.005)), latency_ms: 300 }, domain: SHOP });
  override(support, 70.01, { id: resumeId, action: 'resume', level: 'advisory', phase: 'enforced', prev: resumeAck, targets: [agentId('support')], result: { effective_at: iso(at(70.01)), latency_ms: 600 }, domain: SHOP });

  // --- Routine work of every well-behaved agent, inside its limits.
  AGENTS.filter((agent) => agent.name !== 'support').forEach((agent, a) => {
    const wid = `wf-routine-${agent.name}`;
    let previous: Task | undefined;
    for (let i = 0; i < 8; i++) {
      const action = agent.actions.filter((x) => x !== 'payments.refund')[i % agent.actions.filter((x) => x !== 'payments.refund').length]!;
      const task = audit(agent.name, 75 + a * 3 + i * 0.3, {
        wid,
        action,
        ...(previous === undefined ? {} : { par: [previous] }),
        ...(action === 'payments.transfer' ? { amount: 50 + i * 10 } : {}),
      });
      previous = task;
    }
  });

  // --- Each agent attests to what it did over the window; the misbehaving one under-reports.
  const windowStart = at(0);
  const windowEnd = at(120);
  for (const agent of AGENTS) {
    const seen = audited.get(agent.name) ?? { actions: new Map(), tokens: 0, first: windowStart, last: windowStart, starts: [] as number[] };
    const lying = agent.name === 'support';
    const actions = [...seen.actions]
      .filter(([action]) => !(lying && action === 'tool:shell.exec'))
      .map(([action, c]) => ({ action, count: lying && action === 'tool:crm.lookup' ? 40 : c.count, denied: c.denied }));
    const total = actions.reduce((sum, a) => sum + a.count, 0);
    b.sign('behavior-attestation', id(agent.name), agentId(agent.name), {
      jti: b.jti(`attestation-${agent.name}`),
      iat: at(121),
      domain: agent.domain,
      agent: { id: agentId(agent.name), swname: agent.name, swversion: '2.4.1', profile_ref: { id: `urn:atlog-demo:profile:${agent.name}`, version: '1', entry: profiles.get(agent.name)!.entryId } },
      window: { start: iso(windowStart), end: iso(windowEnd) },
      observer: { kind: 'self', id: agentId(agent.name) },
      covered: { count: total },
      measurements: [
        { name: 'model', digest: model(agent.name) },
        { name: 'system-prompt', digest: prompt(agent.name) },
        { name: 'toolset', digest: toolset(agent.name) },
      ],
      observed: {
        actions,
        rates: [{ action: '*', max_per_window: lying ? 40 : peakPerMinute(seen.starts), window: 'PT1M' }],
        resources: seen.tokens > 0 ? [{ name: 'gen_ai.usage.input_tokens', value: seen.tokens, unit: '{token}' }] : [],
      },
      deviations: [],
      corr: {},
      dp: { units: { agent: b.pseudonym(agent.domain, agentId(agent.name)) }, dims: { swname: agent.name } },
    });
  }

  return {
    identities: [...b.identities.values()],
    statements: b.statements,
    window: { start: windowStart * 1000, end: windowEnd * 1000 },
    facts: {
      domains: DEMO_DOMAINS,
      agents: AGENTS.map((a) => agentId(a.name)),
      misbehaving: { agent: agentId('support'), violations: ['rate_exceeded', 'denied_action', 'missing_approval', 'attestation_mismatch'] },
      crossDomainWorkflow: wf1,
      crossDomainEdges: [
        [search1.jti, summary1.jti],
        [retrieve1.jti, transfer1.jti],
        [transfer1.jti, ship1.jti],
      ],
      failedWorkflow: wf2,
      failedTask: ship2.jti,
      cascade: [route2.jti, invoice2.jti, notify2.jti, refund2.jti],
      pauseOverride: pauseId,
      rollbackOverride: rollbackId,
      rolledBackTask: refund3.jti,
      settlement: { agreed: [consumed1.entryId, provided1.entryId], disputed: [consumed2.entryId, provided2.entryId] },
    },
  };
}
