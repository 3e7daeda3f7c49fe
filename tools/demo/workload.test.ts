import { describe, expect, it } from 'vitest';
import { parseStatement } from '../../receipts/index.js';
import { demoWorkload } from './workload.js';

const start = Date.UTC(2026, 0, 1);

describe('the demo workload', () => {
  it('is the same, byte for byte, for the same seed and start, and another for another seed', () => {
    const a = demoWorkload({ seed: 'one', start });
    const b = demoWorkload({ seed: 'one', start });
    expect(b.statements.map((s) => s.entryId)).toEqual(a.statements.map((s) => s.entryId));
    const c = demoWorkload({ seed: 'two', start });
    expect(c.statements[0]!.entryId).not.toBe(a.statements[0]!.entryId);
    expect(c.statements.length).toBe(a.statements.length);
  });

  it('has three domains, twelve agents with a profile each, and statements that fit the log', () => {
    const { statements, facts, identities } = demoWorkload({ seed: 'shape', start });
    expect(facts.domains).toHaveLength(3);
    expect(facts.agents).toHaveLength(12);
    const profiles = statements.filter((s) => s.type === 'behavior-profile');
    expect(profiles.flatMap((p) => (p.payload.applies_to as { agents: string[] }).agents).sort()).toEqual([...facts.agents].sort());
    expect(profiles.every((p) => p.phase === 'profiles')).toBe(true);
    for (const s of statements) {
      expect(s.bytes.length).toBeLessThan(65_535);
      const parsed = parseStatement(s.bytes);
      const signer = identities.find((i) => i.name === s.signer)!;
      expect(parsed.iss).toBe(signer.iss);
      expect(s.payload.iss).toBe(signer.iss);
    }
  });

  it('refers only to statements signed before, and approves gated payments before they run', () => {
    const { statements } = demoWorkload({ seed: 'refs', start });
    const seen = new Set<string>();
    for (const s of statements) {
      const text = JSON.stringify(s.payload);
      for (const ref of text.match(/"[0-9a-f]{64}"/g) ?? []) expect(seen.has(JSON.parse(ref)), `${s.type} ${String(s.payload.jti)} refers ahead`).toBe(true);
      seen.add(s.entryId);
    }
    const byId = new Map(statements.map((s) => [s.entryId, s]));
    const gated = statements.filter((s) => s.type === 'exec-audit' && ((s.payload.authority as { tctx?: { amount?: number } }).tctx?.amount ?? 0) > 1000);
    expect(gated.length).toBe(3); // two approved payments, and the misbehaving agent's refund
    const unapproved = gated.filter((s) => (s.payload.authority as { approval_refs?: string[] }).approval_refs === undefined);
    expect(unapproved.map((s) => s.payload.exec_act)).toEqual(['payments.refund']);
    for (const s of gated.filter((g) => !unapproved.includes(g))) {
      const refs = (s.payload.authority as { approval_refs: string[] }).approval_refs;
      expect(refs).toHaveLength(2);
      for (const ref of refs) {
        const approval = byId.get(ref)!;
        expect(approval.payload.action).toBe('approve');
        expect((approval.payload.target as { tasks: string[] }).tasks).toEqual([s.payload.jti]);
        expect(approval.payload.iat as number).toBeLessThan(s.payload.iat as number);
      }
    }
  });

  it('puts the misbehaving agent over its rate limit in one minute, and no one else', () => {
    const { statements, facts } = demoWorkload({ seed: 'rates', start });
    const perAgentMinute = new Map<string, number>();
    for (const s of statements.filter((x) => x.type === 'exec-audit')) {
      const agent = (s.payload.agent as { id: string }).id;
      const times = statements
        .filter((x) => x.type === 'exec-audit' && (x.payload.agent as { id: string }).id === agent)
        .map((x) => x.payload.iat as number);
      const t = s.payload.iat as number;
      perAgentMinute.set(agent, Math.max(perAgentMinute.get(agent) ?? 0, times.filter((u) => u >= t && u < t + 60).length));
    }
    for (const [agent, max] of perAgentMinute) {
      if (agent === facts.misbehaving.agent) expect(max).toBeGreaterThan(60);
      else expect(max, agent).toBeLessThanOrEqual(60);
    }
  });
});
