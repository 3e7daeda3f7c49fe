// The result: EAR-shaped JSON that an independent validator (ajv) accepts against the published
// schema, that the appraisal's own reader accepts and refuses alike, that stays within the log's
// entry limit, and that a replay reproduces. And the incremental state always agrees with a fold
// over the whole prefix.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { MIN, Scenario, T0, AGENT, OPERATOR_A } from '../test/support/appraisal-scenarios.js';
import {
  AgentAppraisal,
  APPRAISAL_RESULT_SCHEMA,
  appraisalResult,
  appraiseLog,
  compareReplay,
  EAR_PROFILE,
  encodeResult,
  LogReplay,
  MAX_RESULT_BYTES,
  parseAppraisalResult,
  ProfileBook,
  readEvidence,
} from './index.js';

const ajv = new Ajv2020({ strict: true, validateFormats: false });
const validate = ajv.compile(APPRAISAL_RESULT_SCHEMA as object);

/** A log with a bit of everything wrong. */
function eventful(): Scenario {
  const s = new Scenario();
  s.profile({
    denied_actions: [{ action: 'tool:shell.*' }],
    rate_limits: [{ action: '*', limit: 3, window: 'PT1M', per: 'agent' }],
    human_approval: [{ when: { action: 'payments.refund' }, role: 'finance-approver', timeout: 'PT15M', on_timeout: 'deny' }],
    override: { must_honor: ['pause'] },
  });
  for (let i = 0; i < 5; i++) s.action(T0 + i * 1000);
  s.action(T0 + 2 * MIN, { action: 'tool:shell.exec' });
  s.action(T0 + 3 * MIN, { action: 'payments.refund', jti: 'refund' });
  s.issue(T0 + 4 * MIN, { action: 'approve', tasks: ['other'], role: 'finance-approver', operator: OPERATOR_A });
  s.issue(T0 + 5 * MIN, { action: 'pause', id: 'ov-1' });
  s.action(T0 + 30 * MIN);
  s.attestation({ start: T0, end: T0 + 60 * MIN }, { actions: [{ action: 'tool:crm.lookup', count: 2 }] }, { count: 2 });
  return s;
}

describe('the appraisal result', () => {
  it('is an EAR (-03 names, pinned profile) that ajv accepts against the published schema', () => {
    const replay = eventful().replay();
    const result = appraisalResult({ verdict: replay.verdict(), window: {}, treeSize: replay.treeSize, iat: T0 / 1000 + 7200 });
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(result.eat_profile).toBe(EAR_PROFILE);
    expect(result.ear_status).toBe('contraindicated');
    const submod = result.submods[AGENT]!;
    expect(submod.ear_status).toBe('contraindicated');
    expect(new Set(submod['x-atlog.findings'].map((f) => f.kind))).toEqual(
      new Set(['rate_exceeded', 'denied_action', 'missing_approval', 'override_not_honored', 'attestation_mismatch']),
    );
    expect(submod['x-atlog.window']).toEqual({});
    expect(parseAppraisalResult(encodeResult(result))).toEqual(result);

    const windowed = appraisalResult({ verdict: replay.verdict({ from: T0, to: T0 + MIN }), window: { from: T0, to: T0 + MIN }, treeSize: replay.treeSize, iat: 1 });
    expect(validate(windowed)).toBe(true);
    expect(windowed.submods[AGENT]!['x-atlog.window']).toEqual({ start: '2026-01-01T09:00:00.000Z', end: '2026-01-01T09:01:00.000Z' });

    // none: no policy ids, a vector of no claims; still valid.
    const none = appraisalResult({ verdict: new LogReplay(AGENT).verdict(), window: {}, treeSize: 0, iat: 1 });
    expect(validate(none)).toBe(true);
    expect(none.submods[AGENT]).not.toHaveProperty('ear_appraisal_policy_ids');
  });

  it('is refused alike by ajv and by parseAppraisalResult when it does not follow the schema', () => {
    const replay = eventful().replay();
    const good = appraisalResult({ verdict: replay.verdict(), window: {}, treeSize: replay.treeSize, iat: 1 }) as unknown as Record<string, any>;
    const mutations: ((r: Record<string, any>) => void)[] = [
      (r) => (r.eat_profile = 'tag:github.com,2023:veraison/ear'),
      (r) => (r.extra = 1),
      (r) => delete r['x-atlog.tree_size'],
      (r) => (r.submods = {}),
      (r) => (r.submods[AGENT].ear_status = 'fine'),
      (r) => (r.submods[AGENT]['x-atlog.findings'][0].evidence = []),
      (r) => (r.submods[AGENT]['x-atlog.findings'][0].kind = 'bad_vibes'),
      (r) => (r.submods[AGENT]['x-atlog.findings'][0].evidence[0] = 'not-an-entry-id'),
      (r) => (r.submods[AGENT].ear_trustworthiness_vector.configuration = 1.5),
      (r) => (r.submods[AGENT]['x-atlog.window'].start = '2026-01-01'),
      (r) => (r.submods['not an agent'] = r.submods[AGENT]),
    ];
    for (const mutate of mutations) {
      const bad = structuredClone(good);
      mutate(bad);
      expect(validate(bad), String(mutate)).toBe(false);
      expect(() => parseAppraisalResult(new TextEncoder().encode(JSON.stringify(bad))), String(mutate)).toThrow(/not an appraisal result/);
    }
    expect(() => parseAppraisalResult(new TextEncoder().encode('{"a":1,"a":2}'))).toThrow(/strict JSON/);
  });

  it('lists fewer findings to stay within the log entry limit, and counts the rest', () => {
    const s = new Scenario();
    s.profile({ denied_actions: [{ action: 'tool:shell.*' }] });
    for (let i = 0; i < 600; i++) s.action(T0 + i * 1000, { action: 'tool:shell.exec' });
    const replay = s.replay();
    const result = appraisalResult({ verdict: replay.verdict(), window: {}, treeSize: replay.treeSize, iat: 1 });
    expect(encodeResult(result).length).toBeLessThanOrEqual(MAX_RESULT_BYTES);
    const submod = result.submods[AGENT]!;
    expect(submod['x-atlog.findings'].length).toBeGreaterThan(50);
    expect(submod['x-atlog.findings'].length + submod['x-atlog.findings_omitted']).toBe(600);
    expect(validate(result)).toBe(true);
  });
});

describe('incremental appraisal', () => {
  it('gives after every batch exactly what a fold over the whole prefix gives', () => {
    const s = eventful();
    // More of everything, some of it out of time order.
    s.action(T0 + 10_500);
    s.action(T0 + 500);
    s.usage(T0 + 6 * MIN, { tokens: 5 });
    const entries = s.entries.map((e) => e.bytes);
    for (const batch of [1, 2, 3, 5, entries.length]) {
      const profiles = new ProfileBook();
      const state = new AgentAppraisal(AGENT, profiles);
      for (let from = 0; from < entries.length; from += batch) {
        const to = Math.min(entries.length, from + batch);
        for (let i = from; i < to; i++) {
          const evidence = readEvidence(entries[i]!, i);
          if (evidence === undefined) continue;
          if (evidence.type === 'behavior-profile') profiles.add(evidence);
          else state.add(evidence);
        }
        // Appraise after each batch (the caches must never change the answer), for two windows.
        const cold = appraiseLog(entries.slice(0, to), { agent: AGENT, iat: 1 });
        expect(appraisalResult({ verdict: state.verdict(), window: {}, treeSize: to, iat: 1 })).toEqual(cold);
        const window = { from: T0 + 2 * MIN, to: T0 + 40 * MIN };
        expect(appraisalResult({ verdict: state.verdict(window), window, treeSize: to, iat: 1 })).toEqual(appraiseLog(entries.slice(0, to), { agent: AGENT, window, iat: 1 }));
      }
    }
  });
});

describe('replay', () => {
  it('recomputes a result from the log entries below its tree size: identical, or the differences', () => {
    const s = eventful();
    const result = appraiseLog(
      s.entries.map((e) => e.bytes),
      { agent: AGENT, iat: 1_767_300_000 },
    );
    const replay = s.replay();
    expect(compareReplay(result, replay)).toMatchObject({ identical: true, differences: [] });
    const tampered = structuredClone(result) as any;
    tampered.submods[AGENT].ear_status = 'affirming';
    tampered.submods[AGENT]['x-atlog.findings'].pop();
    const outcome = compareReplay(tampered, replay);
    expect(outcome.identical).toBe(false);
    expect(outcome.differences[0]).toBe('/submods/spiffe:~1~1shop.example~1agent~1clerk/ear_status: "affirming" ≠ "contraindicated"');
    expect(outcome.differences.length).toBeGreaterThan(1);
  });
});
