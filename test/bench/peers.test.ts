// The peer bench on toy trees and slices of milliseconds: it runs, checks every implementation's
// answers against the others (it throws when they differ), and reports every figure it promises.
import { describe, expect, it } from 'vitest';
import { benchPeers } from '../../bench/peers.js';

describe('benchPeers', () => {
  it('reports a positive rate for every implementation, with its ratios', async () => {
    const lines: string[] = [];
    const figures = await benchPeers({ log: (line) => lines.push(line), sizes: [5, 37], slice: 0.01, rounds: 1 });
    for (const f of figures) {
      expect(f.unit).toBe('ops/s');
      expect(Number.isFinite(f.value) && f.value > 0, f.name).toBe(true);
      if (f.ratio !== undefined) expect(f.ratio.value, f.name).toBeGreaterThan(0);
      if (f.versus !== undefined) expect(f.versus.value, f.name).toBeGreaterThan(0);
    }
    const names = figures.map((f) => f.name);
    for (const n of [5, 37]) {
      for (const impl of ['atlog', '@transmute/rfc9162', 'merkletreejs']) {
        for (const what of [`root of ${n} leaves`, `inclusion proofs made, ${n} leaves`, `inclusion proofs verified, ${n} leaves`]) {
          expect(names).toContain(`${what}: ${impl}`);
        }
      }
      for (const impl of ['atlog', '@transmute/rfc9162']) {
        for (const what of [`consistency proofs made, ${n} leaves`, `consistency proofs verified, ${n} leaves`]) expect(names).toContain(`${what}: ${impl}`);
      }
      // merkletreejs has no consistency proofs: nothing may pretend otherwise.
      expect(names.some((name) => name.startsWith(`consistency proofs`) && name.endsWith('merkletreejs'))).toBe(false);
    }
    // Every peer figure carries atlog's rate divided by its own; atlog's own figures do not.
    for (const f of figures.filter((f) => f.name.includes('@transmute') || f.name.includes('merkletreejs'))) expect(f.versus, f.name).toBeDefined();
    for (const f of figures.filter((f) => f.name.endsWith(': atlog'))) expect(f.versus, f.name).toBeUndefined();
    expect(names).toContain('COSE_Sign1 ES256 verified: @transmute/cose attached.verifier');
    expect(names).toContain('inclusion receipts verified, tree of 37: @transmute/cose receipt.inclusion.verify');
    expect(lines.some((line) => line.includes('agree across implementations'))).toBe(true);
  });
});
