// The five agent statement payloads: execution audit token, behavioral attestation, resource
// usage record, human override event and behavioral profile. Each is one schema (schema-dsl.ts)
// built from the common blocks (agent-formats.ts); the payload types are inferred from it, so the
// TypeScript types and the published JSON Schemas cannot drift apart.

import {
  action,
  actionPattern,
  agentBlock,
  agentId,
  agentPattern,
  commonMembers,
  corrBlock,
  count,
  currency,
  dateTime,
  digest,
  dnsName,
  dpBlock,
  duration,
  ectHash,
  entryId,
  execAuditCorrBlock,
  freeText,
  genAiAttributes,
  link,
  measurementName,
  milliseconds,
  name,
  otelAttributes,
  pseudonym,
  recordId,
  roleName,
  scalar,
  sequence,
  taskId,
  tctx,
  tctxKey,
  targetPattern,
  unit,
  uri,
  version,
  workflowId,
} from './agent-formats.js';
import {
  anyOf,
  boolean,
  type Extensions,
  forbidden,
  type Infer,
  integer,
  json,
  list,
  literal,
  map,
  never,
  number,
  object,
  oneOf,
  opt,
  req,
  type Schema,
  text,
} from './schema-dsl.js';

export const PROFILE_IDS = {
  'exec-audit': 'tag:atlog.dev,2026:exec-audit/v1',
  'behavior-attestation': 'tag:atlog.dev,2026:behavior-attestation/v1',
  'resource-usage': 'tag:atlog.dev,2026:resource-usage/v1',
  'override-event': 'tag:atlog.dev,2026:override-event/v1',
  'behavior-profile': 'tag:atlog.dev,2026:behavior-profile/v1',
} as const;

// ---------------------------------------------------------------------------------------------
// Shared pieces

export const measurement = object(
  {
    name: req(measurementName, 'What was measured: the OpenTelemetry name, or x-<domain>.<name>.'),
    value: req(number({ min: 0, max: Number.MAX_SAFE_INTEGER }), 'The amount: a finite number from 0 to 2^53 − 1.'),
    unit: req(unit, 'The unit, UCUM / OpenTelemetry (`{token}`, `s`, `By`).'),
  },
  { def: 'measurement', description: 'One measured quantity: an OpenTelemetry-named amount with its unit.' },
);

export const VIOLATION_KINDS = [
  'denied_action',
  'unlisted_action',
  'target_not_allowed',
  'rate_exceeded',
  'resource_exceeded',
  'missing_approval',
  'override_not_honored',
  'delegation_exceeded',
  'reference_mismatch',
] as const;

export const TIERS = ['warning', 'contraindicated'] as const;

const period = (what: string) =>
  object(
    {
      start: req(dateTime, `When ${what} started (RFC 3339).`),
      end: req(dateTime, `When ${what} ended (RFC 3339); not before start.`),
    },
    { comment: 'start ≤ end, checked beyond JSON Schema.' },
  );

// ---------------------------------------------------------------------------------------------
// Execution audit token

/** An RFC 8693 actor: who acted, and on whose behalf (nested). */
export type Actor = { readonly sub: string; readonly iss?: string; readonly act?: Actor } & Extensions;

export const MAX_ACTOR_DEPTH = 8;

function actor(level: number): Schema<Actor> {
  return object(
    {
      sub: req(text({ max: 1024 }), 'The actor: an agent id, a service URI or a principal’s pseudonym.'),
      iss: opt(text({ max: 1024 }), 'Who vouches for the actor’s identity, when not the statement’s issuer.'),
      act:
        level < MAX_ACTOR_DEPTH
          ? opt(actor(level + 1), 'The actor this one acts for (RFC 8693 nesting).')
          : opt(never(`an actor chain is at most ${MAX_ACTOR_DEPTH} actors deep`), 'The chain ends here: at most 8 actors.'),
    },
    {
      def: `actor-${level}`,
      description: `An RFC 8693 actor (level ${level} of at most ${MAX_ACTOR_DEPTH}): \`sub\` acted; \`act\` nests whoever it acted for.`,
    },
  ) as unknown as Schema<Actor>;
}

export const OUTCOME_STATUSES = ['ok', 'error', 'denied', 'cancelled', 'compensated'] as const;

export const execAuditSchema = object(
  {
    ...commonMembers(PROFILE_IDS['exec-audit']),
    agent: req(agentBlock, 'The agent that executed the action; the CWT `sub` must be its id.'),
    corr: req(execAuditCorrBlock, 'Correlation beyond the ECT claims: transaction, trace context, links.'),
    dp: req(dpBlock, 'The privacy block.'),
    wid: req(workflowId, 'ECT `wid`: the workflow this task belongs to. `jti` is the task id.'),
    exec_act: req(action, 'ECT `exec_act`: the action performed. Overrides enforced by the agent are `override:<action>`.'),
    par: req(list(taskId, { max: 64, unique: true }), 'ECT `par`: the parent task ids (possibly empty; at most 64, distinct, never the task itself).'),
    inp_hash: opt(ectHash, 'ECT `inp_hash`: SHA-256 of the action’s input.'),
    out_hash: opt(ectHash, 'ECT `out_hash`: SHA-256 of the action’s output.'),
    ect: opt(
      object(
        {
          hash: req(digest, 'Digest of the original ECT JWS (its compact serialization).'),
          typ: opt(literal('wimse-exec+jwt'), 'The JWS `typ`: wimse-exec+jwt.'),
        },
        { description: 'The original Execution Context Token, when one was emitted.' },
      ),
      'The original ECT, when one was emitted.',
    ),
    target: opt(uri, 'What the action acted on (a URI); profiles match it against target patterns.'),
    start: req(dateTime, 'When the action started (RFC 3339).'),
    end: req(dateTime, 'When the action ended (RFC 3339); not before `start`.'),
    outcome: req(
      object(
        {
          status: req(oneOf(OUTCOME_STATUSES), 'ok, error, denied (refused by policy), cancelled, or compensated (undone by a compensating task).'),
          error_type: opt(text({ max: 128 }), 'The error class (OpenTelemetry `error.type`); only when status is not ok.'),
          detail: opt(freeText(1024), 'A human-readable detail, at most 1024 characters.'),
        },
        { when: [{ member: 'status', in: ['ok'], forbid: ['error_type'] }], description: 'How the action ended.' },
      ),
      'How the action ended.',
    ),
    authority: req(
      object(
        {
          act: opt(actor(1), 'RFC 8693 `act`: the delegation chain the action ran under, at most 8 actors deep.'),
          scope: opt(text({ max: 1024 }), 'The OAuth / Txn-Token `scope` (space-separated), at most 1024 characters.'),
          tctx: opt(tctx, 'The Txn-Token `tctx`: authorization details the approval predicates read.'),
          tctx_hash: opt(digest, 'Digest of the `tctx` when its values stay in the domain.'),
          wth: opt(ectHash, 'WIMSE `wth`: SHA-256 of the Workload Identity Token in use (base64url).'),
          delegation_depth: opt(integer({ min: 0, max: 64 }), 'How many delegations separate the agent from the principal: 0 to 64.'),
          approval_refs: opt(list(entryId, { max: 16, unique: true }), 'The approval override events that authorised a gated action, by entry id: at most 16.'),
        },
        { def: 'authority', description: 'The authority the action ran under.' },
      ),
      'The authority the action ran under: delegation chain, scope, transaction context, approvals.',
    ),
    pol: opt(text({ max: 256 }), 'ECT `pol`: the policy rule that decided.'),
    pol_decision: opt(oneOf(['approved', 'rejected', 'pending_human_review']), 'ECT `pol_decision`: approved, rejected or pending_human_review.'),
    pol_enforcer: opt(uri, 'ECT `pol_enforcer`: who enforced the decision.'),
    otel: opt(otelAttributes, 'OpenTelemetry attributes of the operation (`gen_ai.operation.name`, `gen_ai.tool.name`, …).'),
    usage_ref: opt(entryId, 'The resource usage record of this task, by entry id.'),
  },
  {
    description:
      'An execution audit token: one per action, ECT-compatible. The ECT claims keep their names (`jti` is the task id, `wid`, `par`, `exec_act`, `inp_hash`, `out_hash`), so the ECT DAG rules apply.',
    comment: 'Beyond JSON Schema: start ≤ end; jti is not one of par.',
  },
);

// ---------------------------------------------------------------------------------------------
// Behavioral attestation

const observedAction = object(
  {
    action: req(action, 'The action.'),
    count: req(count, 'How many times it was attempted.'),
    denied: opt(count, 'How many of those were denied; at most `count`.'),
    failed: opt(count, 'How many of those failed; at most `count`.'),
  },
  { def: 'observed-action', description: 'How often one action was seen.' },
);

export const MAX_SUBMOD_DEPTH = 2;

const measurementsList = list(
  object(
    {
      name: req(name, 'What is measured: `model`, `system-prompt`, `toolset`, `config`, …; each name once.'),
      digest: req(digest, 'Its digest, compared with the profile’s reference values.'),
    },
    { def: 'measured-component', description: 'A measured component of the agent (EAT `measurements`, by name).' },
  ),
  { max: 64 },
);

const observedBlock = object(
  {
    actions: opt(list(observedAction, { max: 256 }), 'Actions and how often each was seen: at most 256 entries, each action once.'),
    rates: opt(
      list(
        object(
          {
            action: req(actionPattern, 'The actions counted.'),
            max_per_window: req(count, 'The most seen within any one window.'),
            window: req(duration, 'The sliding window.'),
          },
          { description: 'The peak rate observed.' },
        ),
      ),
      'Peak rates observed.',
    ),
    resources: opt(list(measurement), 'Resources consumed in the window.'),
    approvals: opt(
      object(
        {
          required: req(count, 'Actions that needed a human approval.'),
          obtained: req(count, 'Approvals obtained.'),
          refs: opt(list(entryId, { unique: true }), 'The approval override events, by entry id.'),
        },
        { description: 'Human approvals in the window.' },
      ),
      'Human approvals in the window.',
    ),
    delegation: opt(
      object(
        {
          max_depth: req(integer({ min: 0, max: 64 }), 'The deepest delegation seen.'),
          domains: opt(list(dnsName, { unique: true }), 'The domains delegated to.'),
        },
        { description: 'Delegation seen in the window.' },
      ),
      'Delegation seen in the window.',
    ),
    overrides_honored: opt(
      list(
        object(
          {
            ref: req(entryId, 'The override event, by entry id.'),
            ack_latency_ms: req(milliseconds, 'How long the agent took to acknowledge it.'),
          },
          { description: 'An override the agent honoured.' },
        ),
      ),
      'Overrides honoured in the window.',
    ),
  },
  { def: 'observed', description: 'What the attester observed in the window.' },
);

const deviation = object(
  {
    rule: req(text({ max: 128 }), 'The profile rule at stake (`rate.global`).'),
    kind: req(oneOf(VIOLATION_KINDS), 'The kind of deviation.'),
    severity: req(oneOf(TIERS), 'warning or contraindicated (EAR tiers).'),
    count: req(integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), 'How many times (at least 1).'),
    tasks: opt(list(taskId, { unique: true }), 'The tasks involved.'),
    entries: opt(list(entryId, { unique: true }), 'The entries that show it.'),
  },
  { def: 'deviation', description: 'A deviation from the profile the attester itself reports.' },
);

/** A sub-agent's or tool's attestation, nested (EAT `submods`). */
export type Submod = {
  readonly agent?: Infer<typeof agentBlock>;
  readonly measurements?: Infer<typeof measurementsList>;
  readonly observed?: Infer<typeof observedBlock>;
  readonly deviations?: readonly Infer<typeof deviation>[];
  readonly submods?: { readonly [name: string]: Submod };
} & Extensions;

const SUBMOD_KEY = {
  keyWhat: 'a submodule name: a lower-case letter, then up to 63 of a-z 0-9 . _ -',
  keyPattern: '^[a-z][a-z0-9._-]{0,63}$',
  keyMaxLength: 64,
  max: 16,
};

function submods(level: number): Schema<{ readonly [name: string]: Submod }> {
  const submod = object(
    {
      agent: opt(agentBlock, 'The sub-agent, when the submodule is an agent.'),
      measurements: opt(measurementsList, 'Its measured components.'),
      observed: opt(observedBlock, 'What was observed of it.'),
      deviations: opt(list(deviation), 'Its deviations.'),
      submods:
        level < MAX_SUBMOD_DEPTH
          ? opt(submods(level + 1), 'Its own submodules.')
          : opt(never(`submodules nest at most ${MAX_SUBMOD_DEPTH} levels deep`), `Submodules nest at most ${MAX_SUBMOD_DEPTH} levels.`),
    },
    { def: `submod-${level}`, description: `A submodule's attestation (EAT \`submods\`, level ${level} of at most ${MAX_SUBMOD_DEPTH}).` },
  );
  return map(submod, { ...SUBMOD_KEY, def: `submods-${level}`, description: 'Submodules by name: at most 16.' }) as unknown as Schema<{ readonly [name: string]: Submod }>;
}

export const behaviorAttestationSchema = object(
  {
    ...commonMembers(PROFILE_IDS['behavior-attestation']),
    agent: req(agentBlock, 'The attested agent; the CWT `sub` must be its id.'),
    corr: req(corrBlock, 'The correlation block.'),
    dp: req(dpBlock, 'The privacy block.'),
    eat_nonce: opt(
      text({ max: 88, min: 8, pattern: '^[A-Za-z0-9_-]{8,88}$', what: 'an EAT nonce: 8 to 88 base64url characters' }),
      'EAT `eat_nonce`: the Verifier’s freshness challenge, when there is one.',
    ),
    window: req(period('the observation window'), 'The observation window; start ≤ end.'),
    observer: req(
      object(
        {
          kind: req(oneOf(['self', 'sidecar', 'gateway', 'monitor']), 'Who observed: the agent itself, a sidecar, a gateway or a monitor.'),
          id: req(uri, 'The observer’s identifier (its agent id or URI).'),
        },
        { description: 'Who observed (the RATS Attester).' },
      ),
      'The Attester.',
    ),
    covered: req(
      object(
        {
          count: req(count, 'How many execution audit tokens the window covers.'),
          first_seq: opt(sequence, 'The `seq` of the first one.'),
          last_seq: opt(sequence, 'The `seq` of the last one; not below `first_seq`.'),
          entries_root: opt(digest, 'RFC 9162 Merkle tree hash over the covered entry ids (32 bytes each) in `seq` order.'),
        },
        { description: 'The audited records the attestation covers.' },
      ),
      'The execution audit tokens this attestation commits to.',
    ),
    measurements: opt(measurementsList, 'Measured components (model, system prompt, toolset digests): at most 64, each name once.'),
    observed: req(observedBlock, 'What was observed in the window.'),
    deviations: opt(list(deviation), 'Deviations the attester reports: at most 64.'),
    submods: opt(submods(1), 'Sub-agents and tools, each a nested attestation (at most 2 levels).'),
  },
  {
    description: 'A behavioral attestation: RATS Evidence about one agent over an observation window.',
    comment:
      'Beyond JSON Schema: window.start ≤ window.end; covered.first_seq ≤ covered.last_seq; measurement names distinct; each observed action once, its denied and failed at most its count.',
  },
);

// ---------------------------------------------------------------------------------------------
// Resource usage record

const money = number({ min: -1e15, max: 1e15, description: 'A decimal amount, from −10^15 to 10^15.' });
const quantity = number({ min: -1e15, max: 1e15, description: 'A quantity, from −10^15 to 10^15.' });

export const focusBlock = object(
  {
    BilledCost: opt(money, 'FOCUS BilledCost.'),
    EffectiveCost: opt(money, 'FOCUS EffectiveCost.'),
    ListCost: opt(money, 'FOCUS ListCost.'),
    ContractedCost: opt(money, 'FOCUS ContractedCost.'),
    BillingCurrency: opt(currency, 'FOCUS BillingCurrency (ISO 4217); required with any cost column.'),
    BillingAccountId: opt(text({ max: 256 }), 'FOCUS BillingAccountId.'),
    SubAccountId: opt(text({ max: 256 }), 'FOCUS SubAccountId.'),
    ChargePeriodStart: opt(dateTime, 'FOCUS ChargePeriodStart (inclusive).'),
    ChargePeriodEnd: opt(dateTime, 'FOCUS ChargePeriodEnd (exclusive); not before the start.'),
    BillingPeriodStart: opt(dateTime, 'FOCUS BillingPeriodStart (inclusive).'),
    BillingPeriodEnd: opt(dateTime, 'FOCUS BillingPeriodEnd (exclusive).'),
    ChargeCategory: opt(oneOf(['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment']), 'FOCUS ChargeCategory.'),
    ChargeClass: opt(literal('Correction'), 'FOCUS ChargeClass: Correction, or absent.'),
    ChargeDescription: opt(text({ max: 1024 }), 'FOCUS ChargeDescription.'),
    ChargeFrequency: opt(oneOf(['One-Time', 'Recurring', 'Usage-Based']), 'FOCUS ChargeFrequency.'),
    ConsumedQuantity: opt(quantity, 'FOCUS ConsumedQuantity.'),
    ConsumedUnit: opt(text({ max: 64 }), 'FOCUS ConsumedUnit.'),
    PricingQuantity: opt(quantity, 'FOCUS PricingQuantity.'),
    PricingUnit: opt(text({ max: 64 }), 'FOCUS PricingUnit.'),
    ProviderName: opt(text({ max: 256 }), 'FOCUS ProviderName (FOCUS 1.0; later versions rename it).'),
    RegionId: opt(text({ max: 128 }), 'FOCUS RegionId.'),
    ResourceId: opt(text({ max: 1024 }), 'FOCUS ResourceId.'),
    ResourceName: opt(text({ max: 256 }), 'FOCUS ResourceName.'),
    ResourceType: opt(text({ max: 128 }), 'FOCUS ResourceType.'),
    ServiceCategory: opt(text({ max: 64 }), 'FOCUS ServiceCategory (`AI and Machine Learning`, …).'),
    ServiceName: opt(text({ max: 256 }), 'FOCUS ServiceName.'),
    SkuId: opt(text({ max: 256 }), 'FOCUS SkuId.'),
    Tags: opt(
      map(text({ min: 0, max: 256 }), {
        keyWhat: 'a tag name: 1 to 128 characters, no control characters',
        keyPattern: '^[^\\u0000-\\u001f\\u007f]{1,128}$',
        keyMaxLength: 128,
        max: 32,
      }),
      'FOCUS Tags: at most 32, string values.',
    ),
  },
  {
    def: 'focus',
    description: 'FOCUS (FinOps Open Cost & Usage Spec) columns with their exact names, for billing export and settlement; FOCUS `x_` custom columns are allowed.',
    comment: 'Beyond JSON Schema: ChargePeriodStart ≤ ChargePeriodEnd; a cost column needs BillingCurrency.',
    patternMembers: {
      pattern: '^x_[A-Za-z0-9_]{1,63}$',
      schema: scalar,
      description: 'A FOCUS custom column (`x_` prefix): a scalar.',
    },
  },
);

export const resourceUsageSchema = object(
  {
    ...commonMembers(PROFILE_IDS['resource-usage']),
    agent: req(agentBlock, 'The metered agent; the CWT `sub` must be its id.'),
    corr: req(corrBlock, 'The correlation block; `corr.tid` is the task when scope is task.'),
    dp: req(dpBlock, 'The privacy block.'),
    scope: req(oneOf(['task', 'window']), 'One record per task (then `corr.tid` is required) or per metering window.'),
    period: req(period('the metering period'), 'The metering period; start ≤ end.'),
    meter: req(
      object(
        {
          id: req(uri, 'The meter (its agent id or URI).'),
          kind: req(oneOf(['self', 'gateway', 'sidecar', 'provider', 'billing']), 'What meters: the agent itself, a gateway, a sidecar, the provider, a billing system.'),
          side: req(oneOf(['consumer', 'provider']), 'Which side of the exchange the meter is on; settlement pairs a consumer record with a provider record.'),
        },
        { description: 'Who measured, on which side.' },
      ),
      'The metering point.',
    ),
    consumer: req(
      object(
        {
          agent: opt(agentId, 'The consuming agent.'),
          domain: req(dnsName, 'The consuming domain.'),
        },
        { description: 'Who consumed.' },
      ),
      'Who consumed.',
    ),
    provider: req(
      object(
        {
          domain: req(dnsName, 'The providing domain.'),
          service: opt(text({ max: 128 }), 'The service (`llm-inference`).'),
          agent: opt(agentId, 'The providing agent, when an agent provides.'),
        },
        { description: 'Who provided.' },
      ),
      'Who provided.',
    ),
    measurements: req(list(measurement, { min: 1, max: 64 }), 'What was consumed: 1 to 64 measurements, each name once.'),
    model: opt(genAiAttributes, 'The model that served, as OpenTelemetry GenAI attributes (`gen_ai.response.model`).'),
    focus: opt(focusBlock, 'FOCUS cost columns.'),
    settlement: opt(
      object(
        {
          counterparty_record: opt(entryId, 'The other side’s record of the same usage, by entry id.'),
          agreement: opt(uri, 'The agreement the usage is billed under.'),
          status: opt(oneOf(['pending', 'agreed', 'disputed']), 'pending, agreed or disputed.'),
        },
        { description: 'Settlement between consumer and provider.' },
      ),
      'Settlement: the counterparty’s record and the agreement.',
    ),
  },
  {
    description: 'A resource usage record: what one agent consumed, per task or per metering window, measured by one side; each side logs its own.',
    comment: 'Beyond JSON Schema: period.start ≤ period.end; scope task needs corr.tid; measurement names distinct.',
  },
);

// ---------------------------------------------------------------------------------------------
// Human override event

export const OVERRIDE_ACTIONS = ['emergency_stop', 'pause', 'resume', 'modify_parameters', 'forced_rollback', 'takeover', 'approve', 'deny'] as const;
export const OVERRIDE_LEVELS = ['advisory', 'mandatory', 'emergency'] as const;
export const OVERRIDE_PHASES = ['issued', 'acknowledged', 'enforced', 'confirmed', 'reverted', 'failed', 'expired'] as const;
/** The phases the overridden agent signs: they evidence that it honoured the override. */
export const AGENT_PHASES = ['acknowledged', 'enforced', 'reverted', 'failed'] as const;

const jsonPointer = text({
  min: 0,
  max: 1024,
  pattern: '^(?:/(?:[^~/]|~[01])*)*$',
  what: 'a JSON Pointer (RFC 6901): empty, or /-separated with ~0 and ~1 escapes',
});

const patchOperation = object(
  {
    op: req(oneOf(['add', 'remove', 'replace', 'move', 'copy', 'test']), 'The JSON Patch operation.'),
    path: req(jsonPointer, 'The target location (JSON Pointer).'),
    from: opt(jsonPointer, 'The source location, for move and copy.'),
    value: opt(json(), 'The value, for add, replace and test.'),
  },
  {
    def: 'patch-operation',
    description: 'One JSON Patch (RFC 6902) operation.',
    when: [
      { member: 'op', in: ['add', 'replace', 'test'], require: ['value'] },
      { member: 'op', in: ['move', 'copy'], require: ['from'] },
    ],
  },
);

const operator = object(
  {
    id: req(pseudonym, 'The operator, pseudonymised.'),
    role: req(roleName, 'The operator’s role (`sre-oncall`, `finance-approver`).'),
    amr: opt(list(text({ max: 32, pattern: '^[a-z0-9_-]{1,32}$', what: 'an authentication method (RFC 8176): 1 to 32 of a-z 0-9 _ -' }), { max: 16, unique: true }), 'RFC 8176 authentication methods (`hwk`, `mfa`).'),
    co_signers: opt(
      list(
        object({ id: req(pseudonym, 'The co-signer, pseudonymised.'), role: req(roleName, 'The co-signer’s role.') }, { description: 'A co-signing operator.' }),
        { max: 16 },
      ),
      'Operators who co-signed: at most 16.',
    ),
  },
  { def: 'operator', description: 'The human operator who issued the override.' },
);

export const overrideEventSchema = object(
  {
    ...commonMembers(PROFILE_IDS['override-event']),
    agent: opt(agentBlock, 'The agent that signs an agent phase (acknowledged, enforced, reverted, failed): one of `target.agents`.'),
    corr: req(corrBlock, 'The correlation block.'),
    dp: req(dpBlock, 'The privacy block.'),
    override_id: req(recordId, 'The override, the same in every phase; the CWT `sub` must be it.'),
    action: req(oneOf(OVERRIDE_ACTIONS), 'What the override does. approve and deny answer a human-approval gate.'),
    level: req(oneOf(OVERRIDE_LEVELS), 'advisory, mandatory or emergency.'),
    phase: req(oneOf(OVERRIDE_PHASES), 'The lifecycle phase this statement records: issued → acknowledged → enforced → confirmed | reverted | failed | expired.'),
    prev: opt(entryId, 'The previous phase’s statement, by entry id: required in every phase but issued, absent in issued.'),
    operator: opt(operator, 'The operator; required when issued.'),
    target: req(
      object(
        {
          agents: req(list(agentId, { min: 1, max: 64, unique: true }), 'The agents the override applies to: 1 to 64.'),
          scope: req(oneOf(['agent', 'workflow', 'task', 'request']), 'What is overridden: the agents as a whole, one workflow, some tasks, or one request.'),
          wid: opt(workflowId, 'The workflow; required when scope is workflow.'),
          tasks: opt(list(taskId, { max: 64, unique: true }), 'The tasks (interrupted, rolled back, or gated by an approval); required when scope is task.'),
          request: opt(entryId, 'The request an approval answers (an execution audit token pending human review), by entry id; required when scope is request.'),
        },
        {
          def: 'override-target',
          description: 'What the override applies to.',
          when: [
            { member: 'scope', in: ['workflow'], require: ['wid'] },
            { member: 'scope', in: ['task'], require: ['tasks'] },
            { member: 'scope', in: ['request'], require: ['request'] },
          ],
        },
      ),
      'What the override applies to.',
    ),
    reason: opt(
      object(
        {
          code: req(name, 'A reason code (`policy_violation`).'),
          text: opt(freeText(1024), 'Why, in words: at most 1024 characters.'),
          evidence: opt(list(entryId, { unique: true }), 'The entries that motivated it.'),
        },
        { description: 'Why the override was issued.' },
      ),
      'Why.',
    ),
    params: opt(
      object(
        {
          patch: req(list(patchOperation, { min: 1, max: 64 }), 'The change, as JSON Patch: 1 to 64 operations.'),
          before: opt(digest, 'Digest of the configuration before.'),
          after: opt(digest, 'Digest of the configuration after.'),
        },
        { description: 'A parameter change.' },
      ),
      'The parameter change; required for modify_parameters.',
    ),
    rollback: opt(
      object(
        {
          to: req(
            object({ tid: opt(taskId, 'The last task to keep.'), entry: opt(entryId, 'The last entry to keep.') }, { atLeastOne: ['tid', 'entry'], description: 'The state to return to.' }),
            'The state to return to.',
          ),
          method: req(oneOf(['compensate', 'restore']), 'compensate (run compensating tasks) or restore (restore saved state).'),
          plan_digest: opt(digest, 'Digest of the rollback plan (the tasks to undo, in order) followed.'),
          compensating_tasks: opt(list(taskId, { unique: true }), 'The compensating tasks, by task id.'),
        },
        { description: 'A rollback.' },
      ),
      'The rollback; required for forced_rollback.',
    ),
    confirm: opt(
      object(
        {
          timeout_s: req(integer({ min: 1, max: 86_400 }), 'Seconds until the change reverts unless confirmed (NETCONF confirm-timeout; 1 to 86400).'),
          persist_id: req(recordId, 'The token that links the confirming or reverting phase (NETCONF persist-id).'),
        },
        { description: 'A provisional change (NETCONF confirmed commit).' },
      ),
      'Makes the change provisional: enforced, then confirmed or reverted.',
    ),
    deadline: opt(
      object(
        {
          ack_within_ms: opt(milliseconds, 'The agent must acknowledge within this many milliseconds.'),
          effective_by: opt(dateTime, 'The override must be in effect by then.'),
        },
        { description: 'Deadlines for the agent.' },
      ),
      'Deadlines.',
    ),
    result: opt(
      object(
        {
          ack_at: opt(dateTime, 'When the agent acknowledged; required when acknowledged.'),
          effective_at: opt(dateTime, 'When the override took effect; required when enforced.'),
          latency_ms: opt(milliseconds, 'The agent’s latency from issue to this phase.'),
          detail: opt(freeText(1024), 'Detail, at most 1024 characters.'),
          compensating_tasks: opt(list(taskId, { unique: true }), 'Compensating tasks run, by task id.'),
        },
        { description: 'What the agent did.' },
      ),
      'What the agent did: required in the agent phases, absent when issued.',
    ),
  },
  {
    description:
      'A human override event: one statement per lifecycle phase, each linked to the one before by `prev`. The operator’s console signs issued; the agent signs acknowledged, enforced, reverted and failed.',
    when: [
      { member: 'phase', in: ['issued'], require: ['operator'], forbid: ['prev', 'result'] },
      { member: 'phase', notIn: ['issued'], require: ['prev'] },
      { member: 'phase', in: AGENT_PHASES, require: ['agent', 'result'] },
      { member: 'action', in: ['modify_parameters'], require: ['params'] },
      { member: 'action', in: ['forced_rollback'], require: ['rollback'] },
    ],
    comment:
      'Beyond JSON Schema: approve and deny name what they answer (target.tasks or target.request); agent.id is one of target.agents; result.ack_at when acknowledged, result.effective_at when enforced.',
  },
);

// ---------------------------------------------------------------------------------------------
// Behavioral profile

export const PREDICATE_OPS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'in'] as const;

const tctxCondition = object(
  {
    path: req(tctxKey, 'The `authority.tctx` member compared.'),
    op: req(oneOf(PREDICATE_OPS), 'eq, ne, gt, ge, lt, le, or in (one of a list).'),
    value: req(
      anyOf(
        [text({ min: 0, max: 256 }), number({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), boolean(), list(scalar, { min: 1, max: 64 })],
        'a string, a number, true/false or a list of 1 to 64 of them',
      ),
      'The value compared with: a number for gt, ge, lt and le; a list for in; a scalar for eq and ne.',
    ),
  },
  { def: 'tctx-condition', description: 'A condition on the transaction context; absent members never match.', comment: 'Beyond JSON Schema: the value fits the op.' },
);

const violationTiers = object(
  Object.fromEntries(VIOLATION_KINDS.map((kind) => [kind, opt(oneOf(TIERS), `The tier of a ${kind} finding.`)])) as Record<
    (typeof VIOLATION_KINDS)[number],
    ReturnType<typeof opt<(typeof TIERS)[number]>>
  >,
  { description: 'The EAR tier each kind of violation yields.' },
);

export const behaviorProfileSchema = object(
  {
    ...commonMembers(PROFILE_IDS['behavior-profile']),
    agent: forbidden('a behavioral profile names the agents it covers in applies_to.agents, not in agent'),
    corr: opt(corrBlock, 'The correlation block (optional for a profile).'),
    dp: opt(dpBlock, 'The privacy block (optional for a profile).'),
    id: req(uri, 'The profile’s id, the same in every version; the CWT `sub` must be it.'),
    version: req(version, 'This version.'),
    supersedes: opt(entryId, 'The version this one replaces, by entry id.'),
    applies_to: req(
      object(
        {
          agents: req(list(agentPattern, { min: 1, max: 64, unique: true }), 'The agents covered: 1 to 64 agent patterns (exact, or a prefix and one *).'),
          swname: opt(text({ max: 128 }), 'Only agents of this software name.'),
        },
        { description: 'Which agents the profile covers.' },
      ),
      'Which agents the profile covers; its issuer must be allowed to speak for all of them.',
    ),
    reference_values: opt(
      map(list(digest, { min: 1, max: 16, unique: true }), {
        keyWhat: 'a measurement name: a lower-case letter, then up to 63 of a-z 0-9 . _ -',
        keyPattern: '^[a-z][a-z0-9._-]{0,63}$',
        keyMaxLength: 64,
        max: 32,
        description: 'Accepted digests per measured component.',
      }),
      'Reference values: for each measured component (`model`, `system-prompt`, `toolset`), the accepted digests (1 to 16); at most 32 components.',
    ),
    allowed_actions: opt(
      list(
        object(
          {
            action: req(actionPattern, 'The actions allowed.'),
            targets: opt(list(targetPattern, { unique: true }), 'On these targets only (absent: any).'),
            data_classes: opt(list(name, { max: 16, unique: true }), 'Data classes the action may touch.'),
            max_per_task: opt(integer({ min: 1, max: 1_000_000 }), 'At most this many times per task.'),
          },
          { def: 'allowed-action', description: 'An allowed action.' },
        ),
        { max: 256 },
      ),
      'Allowed actions (absent: any action not denied): at most 256.',
    ),
    denied_actions: opt(
      list(
        object(
          {
            action: req(actionPattern, 'The actions denied.'),
            targets: opt(list(targetPattern, { unique: true }), 'On these targets only (absent: any).'),
          },
          { def: 'denied-action', description: 'A denied action; denial wins over allowance.' },
        ),
        { max: 256 },
      ),
      'Denied actions: at most 256; a denial wins over an allowance.',
    ),
    rate_limits: opt(
      list(
        object(
          {
            action: req(actionPattern, 'The actions counted.'),
            limit: req(integer({ min: 1, max: 1_000_000_000 }), 'At most this many.'),
            window: req(duration, 'Within any sliding window this long.'),
            per: req(oneOf(['agent', 'workflow']), 'Counted per agent or per workflow.'),
          },
          { def: 'rate-limit', description: 'A rate limit.' },
        ),
      ),
      'Rate limits.',
    ),
    resource_limits: opt(
      list(
        object(
          {
            name: req(measurementName, 'The measurement limited, or `cost` (the sum of FOCUS BilledCost).'),
            max: req(number({ min: 0, max: Number.MAX_SAFE_INTEGER }), 'The most allowed.'),
            window: req(duration, 'Within any sliding window this long.'),
            currency: opt(currency, 'The currency, for `cost`.'),
            per: opt(oneOf(['agent', 'workflow']), 'Per agent (default) or per workflow.'),
          },
          { def: 'resource-limit', description: 'A resource limit.', when: [{ member: 'name', in: ['cost'], require: ['currency'] }] },
        ),
      ),
      'Resource limits.',
    ),
    human_approval: opt(
      list(
        object(
          {
            when: req(
              object(
                {
                  action: req(actionPattern, 'The actions gated.'),
                  target: opt(targetPattern, 'Only on these targets.'),
                  tctx: opt(list(tctxCondition, { max: 8 }), 'Only when all these conditions on `authority.tctx` hold: at most 8.'),
                },
                { def: 'approval-predicate', description: 'Which actions need approval: all the given conditions hold.' },
              ),
              'Which actions need approval.',
            ),
            role: req(roleName, 'The approver role.'),
            min_approvers: opt(integer({ min: 1, max: 16 }), 'Distinct approvers needed (default 1).'),
            timeout: req(duration, 'How long an approval stays valid before the action.'),
            on_timeout: req(oneOf(['deny', 'allow']), 'What happens without an approval in time.'),
          },
          { def: 'approval-rule', description: 'A human approval gate.' },
        ),
      ),
      'Human approval gates.',
    ),
    delegation: opt(
      object(
        {
          max_depth: req(integer({ min: 0, max: 64 }), 'The deepest delegation allowed.'),
          allowed_domains: opt(list(dnsName, { unique: true }), 'Domains the agent may delegate to.'),
        },
        { description: 'Delegation limits.' },
      ),
      'Delegation limits.',
    ),
    override: opt(
      object(
        {
          must_honor: req(list(oneOf(OVERRIDE_ACTIONS), { min: 1, max: 8, unique: true }), 'Override actions the agent must honour.'),
          max_ack_latency_ms: opt(milliseconds, 'Acknowledge within this many milliseconds.'),
          max_enforce_latency_ms: opt(milliseconds, 'Enforce within this many milliseconds.'),
        },
        { description: 'Overrides that must be honoured.' },
      ),
      'Overrides that must be honoured.',
    ),
    appraisal: opt(
      object({ on_violation: req(violationTiers, 'The tier of each kind of violation.') }, { description: 'Appraisal policy.' }),
      'Appraisal policy: the EAR tier of each violation kind.',
    ),
  },
  {
    description:
      'A behavioral profile: the Appraisal Policy for Evidence of some agents (allowed and denied actions, rate and resource limits, human approval gates, delegation, overrides, reference values). It is versioned in the log; its issuer must be allowed to speak for every agent it covers.',
    comment: 'Beyond JSON Schema: a tctx condition’s value fits its op. Who may register a profile is an admission rule (docs/statements.md).',
  },
);

export type ExecAuditPayload = Infer<typeof execAuditSchema>;
export type BehaviorAttestationPayload = Infer<typeof behaviorAttestationSchema>;
export type ResourceUsagePayload = Infer<typeof resourceUsageSchema>;
export type OverrideEventPayload = Infer<typeof overrideEventSchema>;
export type BehaviorProfilePayload = Infer<typeof behaviorProfileSchema>;

export type AgentBlock = Infer<typeof agentBlock>;
export type CorrBlock = Infer<typeof corrBlock>;
export type ExecAuditCorrBlock = Infer<typeof execAuditCorrBlock>;
export type DpBlock = Infer<typeof dpBlock>;
export type Link = Infer<typeof link>;
export type Measurement = Infer<typeof measurement>;
export type FocusColumns = Infer<typeof focusBlock>;
