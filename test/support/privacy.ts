// Test helpers for privacy/: a seeded random source (so that statistical tests are reproducible:
// each either always passes or always fails), and a chi-square goodness-of-fit test with a stated
// false-alarm rate (the rate at which it would reject a correct sampler, were the seed random).
import { createCipheriv, createHash } from 'node:crypto';
import { normalQuantile, type RandomSource, UniformIntegers } from '../../privacy/index.js';

/** AES-256-CTR keystream under SHA-256(seed): reproducible, uniform bytes. For tests only. */
export function seededSource(seed: string): RandomSource {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  let zeros = Buffer.alloc(0);
  return new UniformIntegers({
    fill: (bytes) => {
      if (zeros.length !== bytes.length) zeros = Buffer.alloc(bytes.length);
      bytes.set(cipher.update(zeros));
    },
  });
}

/** The (1 − α) quantile of χ² with `df` degrees of freedom (Wilson–Hilferty; good to ~1% for df ≥ 5). */
export function chiSquareCritical(df: number, alpha: number): number {
  const z = normalQuantile(1 - alpha);
  const h = 2 / (9 * df);
  return df * (1 - h + z * Math.sqrt(h)) ** 3;
}

export interface ChiSquare {
  readonly statistic: number;
  readonly df: number;
  readonly critical: number;
}

/**
 * Pearson's χ² of integer draws against an exact PMF: one bin per value whose expected count is
 * at least 20, the two tails (below and above those) as one bin each. `alpha` is the false-alarm
 * rate.
 */
export function chiSquare(draws: readonly number[], pmf: (z: number) => number, alpha: number): ChiSquare {
  const n = draws.length;
  const observed = new Map<number, number>();
  for (const z of draws) observed.set(z, (observed.get(z) ?? 0) + 1);
  // The central values with enough expected mass, found outward from the mode 0.
  let low = 0;
  let high = 0;
  while (n * pmf(low - 1) >= 20) low--;
  while (n * pmf(high + 1) >= 20) high++;
  let statistic = 0;
  let inside = 0;
  let bins = 0;
  for (let z = low; z <= high; z++) {
    const expected = n * pmf(z);
    inside += pmf(z);
    const o = observed.get(z) ?? 0;
    statistic += (o - expected) ** 2 / expected;
    bins++;
  }
  // The tails, by symmetry each half of what is left.
  const tail = Math.max(0, 1 - inside) / 2;
  let below = 0;
  let above = 0;
  for (const [z, count] of observed) {
    if (z < low) below += count;
    else if (z > high) above += count;
  }
  for (const o of [below, above]) {
    const expected = n * tail;
    if (expected >= 5) {
      statistic += (o - expected) ** 2 / expected;
      bins++;
    } else if (o > 10 + 10 * expected) {
      // Far more in a tail than it can hold: as good as rejected.
      statistic = Number.POSITIVE_INFINITY;
    }
  }
  const df = bins - 1;
  return { statistic, df, critical: chiSquareCritical(df, alpha) };
}

/** |z| of a binomial proportion: observed k of n against probability p. */
export function binomialZ(k: number, n: number, p: number): number {
  return Math.abs(k - n * p) / Math.sqrt(n * p * (1 - p));
}
