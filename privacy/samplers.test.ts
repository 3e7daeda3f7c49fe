// The samplers against their exact distributions. Every statistical check has a fixed false-alarm
// rate: α = 1e-6 for each χ² test, and |z| ≤ 5 (two-sided α ≈ 5.7e-7) for each proportion, mean
// and variance. The draws come from seeded sources (AES-CTR keystreams), so each test either
// always passes or always fails; one test runs node:crypto itself, with the same α, and so
// raises a false alarm about once in a million runs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binomialZ, chiSquare, chiSquareCritical, seededSource } from '../test/support/privacy.js';
import { REPO_ROOT } from '../test/support/vectors.js';
import {
  bernoulliExp,
  cryptoRandom,
  gaussianPmf,
  gaussianTail,
  gaussianVariance,
  laplacePmf,
  laplaceTail,
  laplaceVariance,
  type RandomSource,
  type Rational,
  rational,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  UniformIntegers,
} from './index.js';

const ALPHA = 1e-6;
const Z = 5;
const DRAWS = 100_000;

function draws(n: number, sample: () => bigint): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Number(sample());
  return out;
}

/** Sample variance against the exact variance, with the standard error from the exact 4th moment. */
function checkVariance(values: readonly number[], variance: number, fourthMoment: number): void {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const s2 = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const standardError = Math.sqrt((fourthMoment - variance ** 2) / n);
  expect(Math.abs(mean) / Math.sqrt(variance / n), 'mean').toBeLessThan(Z);
  expect(Math.abs(s2 - variance) / standardError, `variance ${s2} against ${variance}`).toBeLessThan(Z);
}

function fourthMoment(pmf: (z: number) => number, reach: number): number {
  let m = 0;
  for (let z = 1; z <= reach; z++) m += 2 * z ** 4 * pmf(z);
  return m;
}

function checkTails(values: readonly number[], tail: (k: number) => number, ks: readonly number[]): void {
  for (const k of ks) {
    const p = tail(k);
    const count = values.filter((v) => Math.abs(v) > k).length;
    expect(binomialZ(count, values.length, p), `P[|Z| > ${k}] = ${p}: ${count} of ${values.length}`).toBeLessThan(Z);
  }
}

describe('uniform integers', () => {
  it('are uniform on small and large ranges, with no modulo bias (χ², α = 1e-6)', () => {
    const random = seededSource('uniform');
    // 2^31 + 2^30 is where a modulo of a 32-bit word would favour the lower third twice over.
    for (const n of [2, 7, 10, 3 * 2 ** 30]) {
      const buckets = 12;
      const counts = new Array<number>(n < buckets ? n : buckets).fill(0);
      for (let i = 0; i < 60_000; i++) {
        const x = random.belowNumber(n);
        expect(x >= 0 && x < n).toBe(true);
        counts[n < buckets ? x : Math.floor((x / n) * buckets)]!++;
      }
      const expected = 60_000 / counts.length;
      const statistic = counts.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
      expect(statistic, `n = ${n}`).toBeLessThan(chiSquareCritical(counts.length - 1, ALPHA));
    }
    // Beyond 2^53, in BigInt: thirds of 3·2^60 equally often.
    const big = 3n * 2n ** 60n;
    const thirds = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const x = random.below(big);
      expect(x >= 0n && x < big).toBe(true);
      thirds[Number(x / 2n ** 60n)]!++;
    }
    expect(thirds.reduce((s, o) => s + (o - 10_000) ** 2 / 10_000, 0)).toBeLessThan(chiSquareCritical(2, ALPHA));
  });

  it('refuse empty ranges', () => {
    const random = seededSource('edges');
    expect(random.below(1n)).toBe(0n);
    expect(random.belowNumber(1)).toBe(0);
    expect(() => random.below(0n)).toThrow(RangeError);
    expect(() => random.belowNumber(0)).toThrow(RangeError);
    expect(() => random.belowNumber(2 ** 32 + 1)).toThrow(RangeError);
  });
});

describe('Bernoulli(exp(−γ))', () => {
  it('is true with probability exp(−γ) for γ below, at and above 1 (|z| ≤ 5)', () => {
    const random = seededSource('bernoulli-exp');
    const n = 40_000;
    for (const [num, den] of [
      [0n, 1n],
      [3n, 10n],
      [1n, 1n],
      [5n, 2n],
      [7n, 3n],
    ] as const) {
      let hits = 0;
      for (let i = 0; i < n; i++) if (bernoulliExp(random, num, den)) hits++;
      const p = Math.exp(-Number(num) / Number(den));
      if (p === 1) expect(hits).toBe(n);
      else expect(binomialZ(hits, n, p), `γ = ${num}/${den}`).toBeLessThan(Z);
    }
  });
});

describe('discrete Laplace', () => {
  const scales: [string, Rational][] = [
    ['1 (ε = 1, Δ = 1)', rational(1n)],
    ['10/3 (ε = 0.3)', rational(10n, 3n)],
    ['1/2 (ε = 2)', rational(1n, 2n)],
    ['25 (ε = 0.2, Δ = 5)', rational(25n)],
  ];
  for (const [name, scale] of scales) {
    it(`of scale ${name} has the exact PMF, variance and tails on ${DRAWS} draws`, () => {
      const random = seededSource(`laplace ${name}`);
      const values = draws(DRAWS, () => sampleDiscreteLaplace(random, scale));
      const fit = chiSquare(values, (z) => laplacePmf(scale, z), ALPHA);
      expect(fit.df).toBeGreaterThanOrEqual(2);
      expect(fit.statistic, `χ² with ${fit.df} df`).toBeLessThan(fit.critical);
      const variance = laplaceVariance(scale);
      checkVariance(values, variance, fourthMoment((z) => laplacePmf(scale, z), 2000));
      const s = Number(scale.n) / Number(scale.d);
      checkTails(values, (k) => laplaceTail(scale, k), [Math.round(2 * s), Math.round(4 * s)]);
    });
  }
});

describe('the χ² test itself', () => {
  it('has the power to see a scale 10% off, or a Gaussian passed off as a Laplace', () => {
    const random = seededSource('power');
    const laplace = draws(DRAWS, () => sampleDiscreteLaplace(random, rational(11n, 10n)));
    const wrong = chiSquare(laplace, (z) => laplacePmf(rational(1n), z), ALPHA);
    expect(wrong.statistic).toBeGreaterThan(wrong.critical);
    const gaussian = draws(DRAWS, () => sampleDiscreteGaussian(random, rational(2n)));
    const mismatch = chiSquare(gaussian, (z) => laplacePmf(rational(1n), z), ALPHA);
    expect(mismatch.statistic).toBeGreaterThan(mismatch.critical);
  });
});

describe('discrete Gaussian', () => {
  const parameters: [string, Rational][] = [
    ['σ² = 1', rational(1n)],
    ['σ² = 1/4 (below 1)', rational(1n, 4n)],
    ['σ² = 25/2', rational(25n, 2n)],
    ['σ² = 400 (ρ = 1/800, Δ = 1)', rational(400n)],
  ];
  for (const [name, sigma2] of parameters) {
    it(`with ${name} has the exact PMF, variance and tails on ${DRAWS} draws`, () => {
      const random = seededSource(`gaussian ${name}`);
      const values = draws(DRAWS, () => sampleDiscreteGaussian(random, sigma2));
      const fit = chiSquare(values, (z) => gaussianPmf(sigma2, z), ALPHA);
      expect(fit.df).toBeGreaterThanOrEqual(2);
      expect(fit.statistic, `χ² with ${fit.df} df`).toBeLessThan(fit.critical);
      const variance = gaussianVariance(sigma2);
      // CKS20: the variance is below σ², and within a hair of it once σ ≥ 1.
      expect(variance).toBeLessThanOrEqual((Number(sigma2.n) / Number(sigma2.d)) * (1 + 1e-9));
      checkVariance(values, variance, fourthMoment((z) => gaussianPmf(sigma2, z), 1000));
      const sigma = Math.sqrt(Number(sigma2.n) / Number(sigma2.d));
      checkTails(values, (k) => gaussianTail(sigma2, k), [Math.max(1, Math.round(2 * sigma)), Math.max(2, Math.round(3 * sigma))]);
    });
  }
});

describe('the service’s randomness', () => {
  it('drives the samplers through node:crypto to the same distributions (χ², α = 1e-6: a false alarm once in a million runs)', () => {
    const random: RandomSource = cryptoRandom();
    expect(random).toBeInstanceOf(UniformIntegers);
    const scale = rational(3n);
    const laplace = chiSquare(draws(50_000, () => sampleDiscreteLaplace(random, scale)), (z) => laplacePmf(scale, z), ALPHA);
    expect(laplace.statistic).toBeLessThan(laplace.critical);
    const sigma2 = rational(9n);
    const gaussian = chiSquare(draws(50_000, () => sampleDiscreteGaussian(random, sigma2)), (z) => gaussianPmf(sigma2, z), ALPHA);
    expect(gaussian.statistic).toBeLessThan(gaussian.critical);
  });

  it('privacy/ never uses Math.random or a float Laplace', () => {
    const dir = join(REPO_ROOT, 'privacy');
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = readFileSync(join(dir, name), 'utf8').replace(/\/\/.*$/gm, '');
      expect(text, name).not.toMatch(/Math\.random/);
      // A float Laplace is −b·ln(U): no logarithm of anything random in the samplers.
      if (name === 'samplers.ts' || name === 'random.ts') expect(text, name).not.toMatch(/Math\.(log|exp)/);
    }
  });
});
