// Each rule of the appraisal, from real signed statements: a scenario that passes (affirming, no
// finding) and one that fails, with the finding's kind, rule and evidence entry ids asserted.
import { describe, expect, it } from 'vitest';
import { AGENT, DIGEST, MIN, OPERATOR_A, OPERATOR_B, OTHER, Scenario, T0 } from '../test/support/appraisal-scenarios.js';
import type { AgentVerdict } from './index.js';

const kinds = (verdict: AgentVerdict) => verdict.findings.map((f) => f.kind);

function affirming(verdict: AgentVerdict): void {
  expect(verdict.findings).toEqual([]);
  expect(verdict.status).toBe('affirming');
}

describe('evidence', () => {
  it('gives none, never affirming, when there is no evidence or no profile in force for it', () => {
    const empty = new Scenario();
    empty.profile();
    const verdict = empty.replay().verdict();
    expect(verdict.status).toBe('none');
    expect(verdict.vector).toEqual({ 'instance-identity': 0, configuration: 0, executables: 0, 'sourced-data': 0 });

    // Actions before any profile, and a profile for someone else: observed, not appraised.
    const unprofiled = new Scenario();
    unprofiled.action(T0);
    unprofiled.profile({}, { agents: [OTHER] });
    unprofiled.action(T0 + MIN);
    const seen = unprofiled.replay().verdict();
    expect(seen.status).toBe('none');
    expect(seen.evidence).toMatchObject({ actions: 2, unappraised: 2 });
    expect(seen.policyIds).toEqual([]);

    // A window with nothing in it is none too, even when the agent is fine elsewhere.
    const s = new Scenario();
    const profile = s.profile();
    s.action(T0);
    const replay = s.replay();
    affirming(replay.verdict());
    expect(replay.verdict().policyIds).toEqual([`urn:test:profile:clerk#1@${profile.entryId}`]);
    expect(replay.verdict({ from: T0 + MIN }).status).toBe('none');
  });

  it('uses the latest profile covering the agent registered before each entry, by exact id or pattern', () => {
    const s = new Scenario();
    const first = s.profile({ denied_actions: [{ action: 'tool:shell.*' }] });
    const early = s.action(T0, { action: 'tool:crm.lookup' });
    // A pattern profile registered later replaces it from its own index on.
    const second = s.profile({ denied_actions: [{ action: 'tool:crm.*' }] }, { id: 'urn:test:profile:all', agents: ['spiffe://shop.example/agent/*'] });
    const late = s.action(T0 + MIN, { action: 'tool:crm.lookup' });
    const verdict = s.replay().verdict();
    expect(verdict.findings).toHaveLength(1);
    expect(verdict.findings[0]).toMatchObject({ kind: 'denied_action', rule: '/denied_actions/0', profile: second.entryId, evidence: [late.entryId] });
    expect(verdict.findings[0]!.evidence).not.toContain(early.entryId);
    expect(verdict.policyIds).toEqual([`urn:test:profile:clerk#1@${first.entryId}`, `urn:test:profile:all#1@${second.entryId}`]);
    // A profile limited to another software does not cover an entry that names its software.
    const sw = new Scenario();
    sw.profile({ applies_to: { agents: [AGENT], swname: 'clerk' } } as never);
    sw.action(T0, { swname: 'other-software' });
    expect(sw.replay().verdict().status).toBe('none');
  });
});

describe('actions', () => {
  const rules = {
    allowed_actions: [{ action: 'tool:crm.*' }, { action: 'payments.refund', targets: ['https://pay.example/*'] }],
    denied_actions: [{ action: 'tool:crm.delete' }],
  };

  it('passes allowed actions on allowed targets', () => {
    const s = new Scenario();
    s.profile(rules);
    s.action(T0, { action: 'tool:crm.lookup' });
    s.action(T0 + 1000, { action: 'payments.refund', target: 'https://pay.example/refunds' });
    // An agent enforcing an override logs override:<action>: never unlisted.
    s.action(T0 + 2000, { action: 'override:pause' });
    affirming(s.replay().verdict());
  });

  it('finds a denied action (denial wins over an allowance), an unlisted one and one on a target not allowed', () => {
    const s = new Scenario();
    const profile = s.profile(rules);
    const denied = s.action(T0, { action: 'tool:crm.delete', status: 'denied' });
    const unlisted = s.action(T0 + 1000, { action: 'tool:shell.exec' });
    const offTarget = s.action(T0 + 2000, { action: 'payments.refund', target: 'https://evil.example/x' });
    const noTarget = s.action(T0 + 3000, { action: 'payments.refund' });
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.kind, f.tier, f.rule, f.evidence])).toEqual([
      ['denied_action', 'contraindicated', '/denied_actions/0', [denied.entryId]],
      ['unlisted_action', 'warning', '/allowed_actions', [unlisted.entryId]],
      ['target_not_allowed', 'warning', '/allowed_actions/1/targets', [offTarget.entryId]],
      ['target_not_allowed', 'warning', '/allowed_actions/1/targets', [noTarget.entryId]],
    ]);
    expect(verdict.findings.every((f) => f.profile === profile.entryId)).toBe(true);
    expect(verdict.status).toBe('contraindicated');
    expect(verdict.vector.configuration).toBe(96);
  });

  it('takes the tiers from appraisal.on_violation', () => {
    const s = new Scenario();
    s.profile({ ...rules, appraisal: { on_violation: { denied_action: 'warning', unlisted_action: 'contraindicated' } } });
    s.action(T0, { action: 'tool:crm.delete' });
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => f.tier)).toEqual(['warning']);
    expect(verdict.status).toBe('warning');
    expect(verdict.vector.configuration).toBe(32);
  });

  it('counts max_per_task among the children of one task', () => {
    const s = new Scenario();
    s.profile({ allowed_actions: [{ action: 'tool:crm.lookup', max_per_task: 2 }, { action: 'plan' }] });
    s.action(T0, { action: 'plan', jti: 'root' });
    s.action(T0 + 1, { par: ['root'] });
    s.action(T0 + 2, { par: ['root'] });
    affirming(s.replay().verdict());
    const third = s.action(T0 + 3, { par: ['root'] });
    const fourth = s.action(T0 + 4, { par: ['root'] });
    const verdict = s.replay().verdict();
    expect(verdict.findings).toHaveLength(1);
    expect(verdict.findings[0]).toMatchObject({ kind: 'rate_exceeded', rule: '/allowed_actions/0/max_per_task', count: 2, evidence: [third.entryId, fourth.entryId] });
  });
});

describe('rates', () => {
  const profile = { rate_limits: [{ action: '*', limit: 3, window: 'PT1M', per: 'agent' }, { action: 'payments.*', limit: 1, window: 'PT1H', per: 'workflow' }] };

  it('passes actions within the sliding windows', () => {
    // At most 3 in any minute, and one payment per workflow per hour.
    const spaced = new Scenario();
    spaced.profile(profile);
    for (let i = 0; i < 6; i++) spaced.action(T0 + i * 21_000);
    spaced.action(T0 + 10 * MIN, { action: 'payments.refund', wid: 'a' });
    spaced.action(T0 + 12 * MIN, { action: 'payments.refund', wid: 'b' });
    affirming(spaced.replay().verdict());
  });

  it('finds a burst over a per-agent limit as one finding, and a per-workflow one', () => {
    const s = new Scenario();
    s.profile(profile);
    const burst = Array.from({ length: 5 }, (_, i) => s.action(T0 + i * 1000));
    const pay1 = s.action(T0 + 30 * MIN, { action: 'payments.refund', wid: 'a' });
    s.action(T0 + 31 * MIN, { action: 'payments.refund', wid: 'b' });
    const pay2 = s.action(T0 + 40 * MIN, { action: 'payments.refund', wid: 'a' });
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.kind, f.rule, f.count, f.evidence])).toEqual([
      ['rate_exceeded', '/rate_limits/0', 2, [burst[0]!.entryId, burst[3]!.entryId, burst[4]!.entryId]],
      ['rate_exceeded', '/rate_limits/1', 1, [pay1.entryId, pay2.entryId]],
    ]);
    expect(verdict.status).toBe('warning');
  });

  it('counts an action that reaches the log late where its time puts it', () => {
    const s = new Scenario();
    s.profile(profile);
    const a = s.action(T0 + 3000);
    s.action(T0 + 4000);
    s.action(T0 + 5000);
    // Registered last, started first: it is the fourth in the minute ending at the third.
    const late = s.action(T0);
    const verdict = s.replay().verdict();
    expect(verdict.findings).toHaveLength(1);
    expect(verdict.findings[0]!.evidence[0]).toBe(late.entryId);
    expect(verdict.findings[0]!.evidence).not.toContain(a.entryId);
  });
});

describe('resources', () => {
  const profile = {
    resource_limits: [
      { name: 'gen_ai.usage.input_tokens', max: 1000, window: 'PT1H' },
      { name: 'cost', max: 5, currency: 'EUR', window: 'P1D' },
    ],
  };

  it('passes usage within the limits, summing each meter side apart', () => {
    const s = new Scenario();
    s.profile(profile);
    // 700 tokens metered by both sides: one use, not 1400.
    s.usage(T0, { side: 'consumer', tokens: 700, cost: 2 });
    s.usage(T0, { side: 'provider', tokens: 700, cost: 2 });
    s.usage(T0 + 2 * 60 * MIN, { tokens: 700 });
    affirming(s.replay().verdict());
  });

  it('finds a sum over the limit in a sliding window, with the records summed', () => {
    const s = new Scenario();
    s.profile(profile);
    const a = s.usage(T0, { tokens: 600, cost: 3 });
    const b = s.usage(T0 + 10 * MIN, { tokens: 600, cost: 3 });
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.kind, f.rule, f.evidence])).toEqual([
      ['resource_exceeded', '/resource_limits/0', [b.entryId, a.entryId]],
      ['resource_exceeded', '/resource_limits/1', [b.entryId, a.entryId]],
    ]);
  });
});

describe('human approval', () => {
  const gate = {
    allowed_actions: [{ action: 'payments.refund' }],
    human_approval: [{ when: { action: 'payments.refund', tctx: [{ path: 'amount', op: 'gt', value: 1000 }] }, role: 'finance-approver', min_approvers: 2, timeout: 'PT15M', on_timeout: 'deny' }],
  };

  it('passes a gated action approved by two operators of the role before it, within the timeout; and an ungated one', () => {
    const s = new Scenario();
    s.profile(gate);
    s.issue(T0 - 5 * MIN, { action: 'approve', tasks: ['refund-1'], role: 'finance-approver', operator: OPERATOR_A });
    s.issue(T0 - 4 * MIN, { action: 'approve', tasks: ['refund-1'], role: 'finance-approver', operator: OPERATOR_B });
    s.action(T0, { action: 'payments.refund', jti: 'refund-1', tctx: { amount: 5000 } });
    s.action(T0, { action: 'payments.refund', jti: 'refund-2', tctx: { amount: 50 } });
    s.action(T0, { action: 'payments.refund', jti: 'refund-3' }); // no amount: the condition does not hold
    // One approval with a co-signer of the role is two operators too; a request approval counts.
    const request = s.action(T0 + MIN, { action: 'payments.refund', jti: 'refund-4', tctx: { amount: 2000 } });
    s.issue(T0, { action: 'approve', request: request.entryId, role: 'finance-approver', coSigners: [{ id: OPERATOR_B, role: 'finance-approver' }] });
    const verdict = s.replay().verdict();
    affirming(verdict);
    expect(verdict.evidence.gated).toBe(2);
  });

  it('finds a gated action without approval, with too few, too late, of another role, or denied', () => {
    const s = new Scenario();
    s.profile(gate);
    const none = s.action(T0, { action: 'payments.refund', jti: 'r-none', tctx: { amount: 5000 } });
    const one = s.issue(T0 - MIN, { action: 'approve', tasks: ['r-one'], role: 'finance-approver', operator: OPERATOR_A });
    const sameTwice = s.issue(T0 - MIN, { action: 'approve', tasks: ['r-one'], role: 'finance-approver', operator: OPERATOR_A });
    const withOne = s.action(T0, { action: 'payments.refund', jti: 'r-one', tctx: { amount: 5000 } });
    const old1 = s.issue(T0 - 30 * MIN, { action: 'approve', tasks: ['r-old'], role: 'finance-approver', operator: OPERATOR_A });
    const old2 = s.issue(T0 - 30 * MIN, { action: 'approve', tasks: ['r-old'], role: 'finance-approver', operator: OPERATOR_B });
    const stale = s.action(T0, { action: 'payments.refund', jti: 'r-old', tctx: { amount: 5000 } });
    const after1 = s.issue(T0 + MIN, { action: 'approve', tasks: ['r-after'], role: 'finance-approver', operator: OPERATOR_A });
    const after2 = s.issue(T0 + MIN, { action: 'approve', tasks: ['r-after'], role: 'finance-approver', operator: OPERATOR_B });
    const before = s.action(T0, { action: 'payments.refund', jti: 'r-after', tctx: { amount: 5000 } });
    const ops1 = s.issue(T0 - MIN, { action: 'approve', tasks: ['r-role'], role: 'sre-oncall', operator: OPERATOR_A });
    const ops2 = s.issue(T0 - MIN, { action: 'approve', tasks: ['r-role'], role: 'sre-oncall', operator: OPERATOR_B });
    const wrongRole = s.action(T0, { action: 'payments.refund', jti: 'r-role', tctx: { amount: 5000 } });
    s.issue(T0 - 2 * MIN, { action: 'approve', tasks: ['r-deny'], role: 'finance-approver', operator: OPERATOR_A });
    s.issue(T0 - 2 * MIN, { action: 'approve', tasks: ['r-deny'], role: 'finance-approver', operator: OPERATOR_B });
    const deny = s.issue(T0 - MIN, { action: 'deny', tasks: ['r-deny'], role: 'finance-approver', operator: OPERATOR_B });
    const denied = s.action(T0, { action: 'payments.refund', jti: 'r-deny', tctx: { amount: 5000 } });
    const verdict = s.replay().verdict();
    expect(kinds(verdict)).toEqual(Array(6).fill('missing_approval'));
    expect(verdict.findings.map((f) => f.evidence)).toEqual([
      [none.entryId],
      [withOne.entryId, one.entryId, sameTwice.entryId],
      [stale.entryId, old1.entryId, old2.entryId],
      [before.entryId, after1.entryId, after2.entryId],
      [wrongRole.entryId, ops1.entryId, ops2.entryId],
      [denied.entryId, deny.entryId],
    ]);
    expect(verdict.findings.every((f) => f.rule === '/human_approval/0' && f.tier === 'contraindicated')).toBe(true);
    expect(verdict.status).toBe('contraindicated');
  });

  it('counts an approval registered after the action when the operator issued it before', () => {
    const s = new Scenario();
    s.profile({ human_approval: [{ ...gate.human_approval[0]!, min_approvers: 1 }] });
    s.action(T0, { action: 'payments.refund', jti: 'r', tctx: { amount: 5000 } });
    expect(kinds(s.replay().verdict())).toEqual(['missing_approval']);
    s.issue(T0 - MIN, { action: 'approve', tasks: ['r'], role: 'finance-approver' });
    affirming(s.replay().verdict());
  });
});

describe('overrides', () => {
  const profile = { override: { must_honor: ['pause', 'emergency_stop', 'forced_rollback'], max_ack_latency_ms: 1000, max_enforce_latency_ms: 5000 } };

  it('passes overrides acknowledged and enforced in time, with no action while paused', () => {
    const s = new Scenario();
    s.profile(profile);
    s.action(T0 - MIN);
    const pause = s.issue(T0, { action: 'pause', id: 'ov-p' });
    const ack = s.phase(pause, pause, 'acknowledged', T0 + 300);
    s.phase(pause, ack, 'enforced', T0 + 600);
    // Enforcing an override is not acting while paused.
    s.action(T0 + 2000, { action: 'override:pause' });
    s.issue(T0 + 10 * MIN, { action: 'resume', id: 'ov-r' });
    s.action(T0 + 11 * MIN);
    // A resume it need not honour, an approval, and an override for another agent.
    s.issue(T0 + 12 * MIN, { action: 'pause', id: 'ov-other', targets: [OTHER] });
    const verdict = s.replay().verdict();
    affirming(verdict);
    expect(verdict.evidence.pending).toBe(0);
  });

  it('finds an override acknowledged late, one never enforced, a failed one, and actions while paused', () => {
    const s = new Scenario();
    s.profile(profile);
    const stop = s.issue(T0, { action: 'emergency_stop', id: 'ov-stop' });
    const lateAck = s.phase(stop, stop, 'acknowledged', T0 + 2500);
    const ran = s.action(T0 + 7000);
    const rollback = s.issue(T0 + MIN, { action: 'forced_rollback', id: 'ov-rb' });
    const failed = s.phase(rollback, rollback, 'failed', T0 + MIN + 100);
    // A later statement of the agent shows that the enforcement deadline passed.
    const later = s.action(T0 + 10 * MIN);
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.kind, f.rule, f.evidence])).toEqual([
      ['override_not_honored', '/override/max_ack_latency_ms', [stop.entryId, lateAck.entryId]],
      ['override_not_honored', '/override/max_enforce_latency_ms', [stop.entryId]],
      ['override_not_honored', '/override/must_honor/1', [stop.entryId, ran.entryId, later.entryId]],
      ['override_not_honored', '/override/must_honor/2', [rollback.entryId, failed.entryId]],
    ]);
    expect(verdict.findings[2]!.count).toBe(2);
  });

  it('waits for the evidence clock: a missing phase is pending until the log shows its deadline passed', () => {
    const s = new Scenario();
    s.profile(profile);
    const pause = s.issue(T0, { action: 'pause', id: 'ov-p' });
    const pending = s.replay().verdict();
    expect(pending.findings).toEqual([]);
    expect(pending.evidence.pending).toBe(1);
    // Acknowledgements must link back to the issue: one pointing elsewhere is not the agent's answer.
    const stray = s.issue(T0 + 100, { action: 'pause', id: 'ov-stray' });
    s.phase(pause, stray, 'acknowledged', T0 + 200);
    s.action(T0 + 3 * MIN, { action: 'override:pause' });
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.rule, f.evidence])).toEqual([
      ['/override/max_ack_latency_ms', [pause.entryId]],
      ['/override/max_enforce_latency_ms', [pause.entryId]],
      ['/override/max_ack_latency_ms', [stray.entryId]],
      ['/override/max_enforce_latency_ms', [stray.entryId]],
    ]);
  });
});

describe('delegation', () => {
  const profile = { delegation: { max_depth: 1, allowed_domains: ['inference.example'] } };

  it('passes delegation within depth from allowed domains', () => {
    const s = new Scenario();
    s.profile(profile);
    s.action(T0, { depth: 1, links: [{ rel: 'caused-by', domain: 'inference.example', tid: 'x' }] });
    s.action(T0, { act: { sub: AGENT, act: { sub: 'spiffe://inference.example/agent/planner' } } });
    s.action(T0, { links: [{ rel: 'follows-from', domain: 'evil.example', tid: 'y' }] }); // not a delegation
    affirming(s.replay().verdict());
  });

  it('finds delegation too deep, and work from a domain not allowed', () => {
    const s = new Scenario();
    s.profile(profile);
    const deep = s.action(T0, { depth: 2 });
    const foreign = s.action(T0 + 1, { links: [{ rel: 'delegated-by', domain: 'evil.example', tid: 'x' }] });
    const actor = s.action(T0 + 2, { act: { sub: AGENT, act: { sub: 'spiffe://evil.example/agent/boss' } } });
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.kind, f.rule, f.evidence])).toEqual([
      ['delegation_exceeded', '/delegation/max_depth', [deep.entryId]],
      ['delegation_exceeded', '/delegation/allowed_domains', [foreign.entryId]],
      ['delegation_exceeded', '/delegation/allowed_domains', [actor.entryId]],
    ]);
    expect(verdict.vector['sourced-data']).toBe(32);
    expect(verdict.vector.configuration).toBe(2);
  });
});

describe('reference values', () => {
  const profile = { reference_values: { model: [DIGEST('model-a')], toolset: [DIGEST('tools-1'), DIGEST('tools-2')] } };
  const window = { start: T0, end: T0 + 60 * MIN };

  it('passes measurements that are reference values', () => {
    const s = new Scenario();
    s.profile(profile);
    s.attestation(window, {}, { count: 0, measurements: [{ name: 'model', digest: DIGEST('model-a') }, { name: 'toolset', digest: DIGEST('tools-2') }, { name: 'config', digest: DIGEST('any') }] });
    const verdict = s.replay().verdict();
    affirming(verdict);
    expect(verdict.vector.executables).toBe(2);
  });

  it('finds a measured digest that is not one', () => {
    const s = new Scenario();
    s.profile(profile);
    const att = s.attestation(window, {}, { count: 0, measurements: [{ name: 'model', digest: DIGEST('model-b') }] });
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.kind, f.rule, f.evidence])).toEqual([['reference_mismatch', '/reference_values/model', [att.entryId]]]);
    expect(verdict.vector.executables).toBe(96);
  });
});

describe('claim against observation', () => {
  const window = { start: T0, end: T0 + 60 * MIN };

  function observedLog(s: Scenario) {
    s.profile({});
    const a = s.action(T0, { action: 'tool:crm.lookup' });
    const b = s.action(T0 + 10_000, { action: 'tool:crm.lookup', status: 'denied' });
    const c = s.action(T0 + 20 * MIN, { action: 'tool:mail.send', status: 'error' });
    s.action(T0 + 2 * 60 * MIN); // outside the window
    const u1 = s.usage(T0 + 5 * MIN, { side: 'consumer', tokens: 300 });
    const u2 = s.usage(T0 + 5 * MIN, { side: 'provider', tokens: 310 });
    return { a, b, c, u1, u2 };
  }

  it('passes an attestation whose counts, peaks and totals agree with the log', () => {
    const s = new Scenario();
    observedLog(s);
    s.attestation(
      window,
      {
        actions: [
          { action: 'tool:crm.lookup', count: 2, denied: 1 },
          { action: 'tool:mail.send', count: 1, failed: 1 },
        ],
        rates: [{ action: 'tool:crm.*', max_per_window: 2, window: 'PT1M' }],
        resources: [{ name: 'gen_ai.usage.input_tokens', value: 310, unit: '{token}' }],
      },
      { count: 3 },
    );
    affirming(s.replay().verdict());
  });

  it('finds each claim the log contradicts, with the attestation and the audited entries', () => {
    const s = new Scenario();
    const { a, b, c, u1, u2 } = observedLog(s);
    const att = s.attestation(
      window,
      {
        actions: [{ action: 'tool:crm.lookup', count: 1, denied: 0 }],
        rates: [{ action: '*', max_per_window: 1, window: 'PT1M' }],
        resources: [{ name: 'gen_ai.usage.input_tokens', value: 200, unit: '{token}' }],
      },
      { count: 1 },
    );
    const verdict = s.replay().verdict();
    expect(verdict.findings.map((f) => [f.kind, f.rule, f.evidence])).toEqual([
      ['attestation_mismatch', '/covered/count', [att.entryId, a.entryId, b.entryId, c.entryId]],
      ['attestation_mismatch', '/observed/actions/0/count', [att.entryId, a.entryId, b.entryId]],
      ['attestation_mismatch', '/observed/actions/0/denied', [att.entryId, b.entryId]],
      ['attestation_mismatch', '/observed/actions', [att.entryId, c.entryId]],
      ['attestation_mismatch', '/observed/rates/0/max_per_window', [att.entryId, a.entryId, b.entryId]],
      ['attestation_mismatch', '/observed/resources/0/value', [att.entryId, u1.entryId, u2.entryId]],
    ]);
    expect(verdict.status).toBe('contraindicated');
    expect(verdict.vector['instance-identity']).toBe(96);
  });

  it('compares again when an audited action of the window reaches the log after the attestation', () => {
    const s = new Scenario();
    s.profile({});
    s.action(T0);
    s.attestation(window, {}, { count: 2 });
    const replay = s.replay();
    expect(kinds(replay.verdict())).toEqual(['attestation_mismatch']);
    const s2 = new Scenario();
    s2.profile({});
    s2.action(T0);
    s2.attestation(window, {}, { count: 2 });
    s2.action(T0 + MIN);
    affirming(s2.replay().verdict());
  });
});

describe('windows', () => {
  it('selects findings and evidence by when they happened', () => {
    const s = new Scenario();
    s.profile({ denied_actions: [{ action: 'tool:shell.*' }] });
    const first = s.action(T0, { action: 'tool:shell.exec' });
    s.action(T0 + 30 * MIN);
    const second = s.action(T0 + 60 * MIN, { action: 'tool:shell.exec' });
    const replay = s.replay();
    expect(replay.verdict().findings.map((f) => f.evidence[0])).toEqual([first.entryId, second.entryId]);
    expect(replay.verdict({ from: T0 + MIN }).findings.map((f) => f.evidence[0])).toEqual([second.entryId]);
    const middle = replay.verdict({ from: T0 + MIN, to: T0 + 59 * MIN });
    expect(middle.findings).toEqual([]);
    expect(middle.status).toBe('affirming');
    expect(middle.evidence.actions).toBe(1);
  });
});
