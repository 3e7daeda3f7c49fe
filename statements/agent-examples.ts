// One valid, realistic payload of each agent statement type: a planner agent in domain-a queries
// an orders database, calls an LLM gateway in domain-b (both sides meter it), is paused by an
// operator, and runs under a behavioral profile. The docs, the tests and `atlog demo` use them.
// Entry ids here are made up; a real one is the leaf hash of the referenced registered statement.

import type { AgentPayloads, AgentStatementName } from './agent-statements.js';
import { deepFreeze } from './schema-dsl.js';

const PLANNER = 'spiffe://domain-a.example/agent/planner';
const WORKFLOW = '6a1f2b3c-9d4e-4f50-8a61-72b3c4d5e6f7';

const DP = {
  units: {
    agent: 'hmac-sha256:qfcOAiJwJEY2S7fnvTTfxkkelVRUTfa2OtqwfaOVDLc',
    principal: 'hmac-sha256:AxtqbRUsNr-MjALwIRq-XqbOEcipTWIQdDo5jiq9--Q',
    workflow: 'hmac-sha256:zJmofMif8_1U9qA6-w1pnAR0wuCGcQXHQnyfRZhYG1Q',
  },
} as const;

const AGENT = {
  id: PLANNER,
  swname: 'planner',
  swversion: '2.4.1',
  model: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4.1' },
  profile_ref: { id: 'urn:example:profile:planner', version: '7', entry: 'cef7fc13a38180936ffa2635489088778e059f07a5d1beda53f1719d35577631' },
} as const;

export const EXEC_AUDIT_EXAMPLE: AgentPayloads['exec-audit'] = {
  profile: 'tag:atlog.dev,2026:exec-audit/v1',
  jti: '1b0c5a1e-7c1e-4f52-9d0b-3a7b1c2d4e5f',
  iss: PLANNER,
  iat: 1767225600.48,
  domain: 'domain-a.example',
  seq: 48213,
  agent: AGENT,
  corr: {
    txn: '97053963-771d-49cc-a4e3-20aad399c312',
    traceparent: '00-6a1f2b3c9d4e4f508a6172b3c4d5e6f7-00f067aa0ba902b7-01',
    links: [{ rel: 'caused-by', domain: 'domain-b.example', tid: 'c3d4e5f6-0a1b-4c2d-8e3f-405162738495' }],
  },
  dp: { ...DP, dims: { action_class: 'db.read', outcome: 'ok' } },
  wid: WORKFLOW,
  exec_act: 'tool:sql.query',
  par: ['0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b'],
  inp_hash: 'KanndYCsha2JZULUWuUuIYQou-mwx1K8J4XtIqbsoBo',
  out_hash: 'diBpvAem4bXfEjpa572RwQ2qBGlPuqF_ugzWqNzOjyI',
  ect: { hash: 'sha-256:2fdc47fcb84133270819595b3fa838db78bb37abe902eb324a7b76c63328b41c', typ: 'wimse-exec+jwt' },
  target: 'https://db.domain-a.example/orders',
  start: '2026-01-01T00:00:00.120Z',
  end: '2026-01-01T00:00:00.480Z',
  outcome: { status: 'ok' },
  authority: {
    act: { sub: PLANNER, act: { sub: 'hmac-sha256:AxtqbRUsNr-MjALwIRq-XqbOEcipTWIQdDo5jiq9--Q' } },
    scope: 'orders.read',
    tctx: { action: 'READ', table: 'orders', rows: 20 },
    wth: 'k530pyYGY2xfagAP_2Mlqx_wbg5oSAiU5y4Dd6BYAqc',
    delegation_depth: 1,
  },
  pol: 'orders_access_v3',
  pol_decision: 'approved',
  pol_enforcer: 'spiffe://domain-a.example/pdp',
  otel: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'sql.query', 'gen_ai.tool.call.id': 'call_123' },
  usage_ref: 'ac0f09c0f8bf5e7a4b063d863255f16d8ce9abe600e288d934cf313bcbff63eb',
};

export const BEHAVIOR_ATTESTATION_EXAMPLE: AgentPayloads['behavior-attestation'] = {
  profile: 'tag:atlog.dev,2026:behavior-attestation/v1',
  jti: 'att-planner-2026-01-01T00',
  iss: 'spiffe://domain-a.example/monitor/gw1',
  iat: 1767229260,
  domain: 'domain-a.example',
  seq: 902,
  agent: AGENT,
  corr: { wid: WORKFLOW },
  dp: { units: { agent: DP.units.agent }, dims: { observer: 'sidecar' } },
  eat_nonce: 'k3GqZ0n5c2VlZC1ub25jZQ',
  window: { start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z' },
  observer: { kind: 'sidecar', id: 'spiffe://domain-a.example/monitor/gw1' },
  covered: { count: 412, first_seq: 48001, last_seq: 48412, entries_root: 'sha-256:4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2' },
  measurements: [
    { name: 'model', digest: 'sha-256:9372c470eeadd5ecd9c3c74c2b3cb633f8e2f2fad799250a0f70d652b6b825e4' },
    { name: 'system-prompt', digest: 'sha-256:cf07194ee232eb531e15f690000d19846dea69cf05504782658afcfacb9228a2' },
    { name: 'toolset', digest: 'sha-256:5598149567a46bd3164b1d42e871b4d65cf49b78dd8b4547436efd1784b533c6' },
  ],
  observed: {
    actions: [
      { action: 'tool:sql.query', count: 380, denied: 2 },
      { action: 'payments.transfer', count: 3 },
      { action: 'llm:chat', count: 29, failed: 1 },
    ],
    rates: [{ action: '*', max_per_window: 41, window: 'PT1M' }],
    resources: [{ name: 'gen_ai.usage.input_tokens', value: 912345, unit: '{token}' }],
    approvals: { required: 3, obtained: 3, refs: ['449777124b1466a8ed667d0dd4c0620993f59e20fb27b3fa8894e957f8762353'] },
    delegation: { max_depth: 2, domains: ['domain-b.example'] },
    overrides_honored: [{ ref: '43700797e2f9d4ad38ccf1355df3233453396bfcc8db8e424486e37bae42a9ec', ack_latency_ms: 140 }],
  },
  deviations: [{ rule: 'rate.global', kind: 'rate_exceeded', severity: 'warning', count: 1, tasks: ['a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'] }],
  submods: {
    retriever: {
      agent: { id: 'spiffe://domain-a.example/agent/retriever', swname: 'retriever', swversion: '1.2.0' },
      measurements: [{ name: 'model', digest: 'sha-256:9372c470eeadd5ecd9c3c74c2b3cb633f8e2f2fad799250a0f70d652b6b825e4' }],
      observed: { actions: [{ action: 'tool:vector.search', count: 57 }] },
    },
  },
};

export const RESOURCE_USAGE_EXAMPLE: AgentPayloads['resource-usage'] = {
  profile: 'tag:atlog.dev,2026:resource-usage/v1',
  jti: 'usage-b-2026-01-01-000001',
  iss: 'spiffe://domain-b.example/meter/llm-gw',
  iat: 1767225661,
  domain: 'domain-b.example',
  seq: 77120,
  agent: { id: PLANNER },
  corr: {
    wid: WORKFLOW,
    tid: 'c3d4e5f6-0a1b-4c2d-8e3f-405162738495',
    traceparent: '00-6a1f2b3c9d4e4f508a6172b3c4d5e6f7-b7ad6b7169203331-01',
    links: [{ rel: 'bills', record: 'f33422b95e3b98310adedc93655de579f6e311120ea0c27c3e2317b5116d6afb' }],
  },
  dp: { units: { agent: DP.units.agent, workflow: DP.units.workflow }, dims: { service: 'llm-inference', side: 'provider' } },
  scope: 'task',
  period: { start: '2026-01-01T00:00:00Z', end: '2026-01-01T00:01:00Z' },
  meter: { id: 'spiffe://domain-b.example/meter/llm-gw', kind: 'gateway', side: 'provider' },
  consumer: { agent: PLANNER, domain: 'domain-a.example' },
  provider: { domain: 'domain-b.example', service: 'llm-inference' },
  measurements: [
    { name: 'gen_ai.usage.input_tokens', value: 1200, unit: '{token}' },
    { name: 'gen_ai.usage.cache_read.input_tokens', value: 800, unit: '{token}' },
    { name: 'gen_ai.usage.output_tokens', value: 310, unit: '{token}' },
    { name: 'process.cpu.time', value: 0.82, unit: 's' },
    { name: 'x-domain-b.example.tool.calls', value: 4, unit: '{call}' },
  ],
  model: { 'gen_ai.provider.name': 'openai', 'gen_ai.response.model': 'gpt-4.1-2026-04-14' },
  focus: {
    BilledCost: 0.0123,
    EffectiveCost: 0.0123,
    BillingCurrency: 'EUR',
    ChargeCategory: 'Usage',
    ConsumedQuantity: 1510,
    ConsumedUnit: 'Tokens',
    ServiceName: 'llm-inference',
    SkuId: 'gpt-4.1-io',
    ChargePeriodStart: '2026-01-01T00:00:00Z',
    ChargePeriodEnd: '2026-01-01T00:01:00Z',
  },
  settlement: { counterparty_record: 'f33422b95e3b98310adedc93655de579f6e311120ea0c27c3e2317b5116d6afb', agreement: 'urn:example:sla:42', status: 'pending' },
};

/** The `issued` phase of a pause; the agent's `acknowledged` phase would follow with `prev`. */
export const OVERRIDE_EVENT_EXAMPLE: AgentPayloads['override-event'] = {
  profile: 'tag:atlog.dev,2026:override-event/v1',
  jti: 'ov-2026-0001-issued',
  iss: 'spiffe://domain-a.example/console/ops',
  iat: 1767226500,
  domain: 'domain-a.example',
  seq: 311,
  corr: { wid: WORKFLOW, tid: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d' },
  dp: { units: { agent: DP.units.agent }, dims: { action: 'pause', level: 'mandatory' } },
  override_id: 'ov-2026-0001',
  action: 'pause',
  level: 'mandatory',
  phase: 'issued',
  operator: {
    id: 'hmac-sha256:Y4E5094jloyB1IzxwC8qJVz6nA8kblK9nhXHERhX7O8',
    role: 'sre-oncall',
    amr: ['hwk', 'mfa'],
    co_signers: [{ id: 'hmac-sha256:CDN3tKQcmDsuhSZe0LQ9-3M0YUmJohqxycrUxgv3CYw', role: 'safety-officer' }],
  },
  target: { agents: [PLANNER], scope: 'workflow', wid: WORKFLOW },
  reason: { code: 'policy_violation', text: 'unapproved transfer burst', evidence: ['8b5cc4df7eec7d32a7814eca4af047ae33b2d52342667715682e19c25b0b9faa'] },
  deadline: { ack_within_ms: 1000, effective_by: '2026-01-01T00:16:00Z' },
};

export const BEHAVIOR_PROFILE_EXAMPLE: AgentPayloads['behavior-profile'] = {
  profile: 'tag:atlog.dev,2026:behavior-profile/v1',
  jti: 'profile-planner-7',
  iss: 'spiffe://domain-a.example/policy/admin',
  iat: 1767139200,
  domain: 'domain-a.example',
  id: 'urn:example:profile:planner',
  version: '7',
  supersedes: 'f3e2e400523c506868ca413bc55dc213c38e7084caeb10f6f629d8bf5ee9a160',
  applies_to: { agents: [PLANNER, 'spiffe://domain-a.example/agent/planner-canary/*'], swname: 'planner' },
  reference_values: {
    model: ['sha-256:9372c470eeadd5ecd9c3c74c2b3cb633f8e2f2fad799250a0f70d652b6b825e4'],
    'system-prompt': ['sha-256:cf07194ee232eb531e15f690000d19846dea69cf05504782658afcfacb9228a2'],
    toolset: ['sha-256:5598149567a46bd3164b1d42e871b4d65cf49b78dd8b4547436efd1784b533c6'],
  },
  allowed_actions: [
    { action: 'tool:sql.query', targets: ['https://db.domain-a.example/*'], data_classes: ['internal'], max_per_task: 20 },
    { action: 'payments.transfer', targets: ['https://pay.example/*'] },
    { action: 'llm:*' },
  ],
  denied_actions: [{ action: 'tool:shell.*' }],
  rate_limits: [
    { action: '*', limit: 60, window: 'PT1M', per: 'agent' },
    { action: 'payments.transfer', limit: 5, window: 'PT1H', per: 'workflow' },
  ],
  resource_limits: [
    { name: 'gen_ai.usage.input_tokens', max: 2000000, window: 'P1D' },
    { name: 'cost', max: 50, currency: 'EUR', window: 'P1D' },
  ],
  human_approval: [
    {
      when: { action: 'payments.transfer', tctx: [{ path: 'amount', op: 'gt', value: 1000 }] },
      role: 'finance-approver',
      min_approvers: 2,
      timeout: 'PT15M',
      on_timeout: 'deny',
    },
  ],
  delegation: { max_depth: 3, allowed_domains: ['domain-b.example'] },
  override: { must_honor: ['emergency_stop', 'pause', 'forced_rollback'], max_ack_latency_ms: 1000 },
  appraisal: {
    on_violation: {
      denied_action: 'contraindicated',
      rate_exceeded: 'warning',
      resource_exceeded: 'warning',
      missing_approval: 'contraindicated',
      override_not_honored: 'contraindicated',
    },
  },
};

/** The examples by type name, deep-frozen. */
export const AGENT_STATEMENT_EXAMPLES: { readonly [N in AgentStatementName]: AgentPayloads[N] } = deepFreeze({
  'exec-audit': EXEC_AUDIT_EXAMPLE,
  'behavior-attestation': BEHAVIOR_ATTESTATION_EXAMPLE,
  'resource-usage': RESOURCE_USAGE_EXAMPLE,
  'override-event': OVERRIDE_EVENT_EXAMPLE,
  'behavior-profile': BEHAVIOR_PROFILE_EXAMPLE,
});
