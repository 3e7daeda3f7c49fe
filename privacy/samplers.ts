// Exact samplers for the discrete Laplace and discrete Gaussian distributions, as Canonne, Kamath
// and Steinke give them ("The Discrete Gaussian for Differential Privacy", NeurIPS 2020, §5):
// Algorithm 1 for Bernoulli(exp(−γ)) by the alternating series, Algorithm 2 for the discrete
// Laplace (a geometric built from it), Algorithm 3 for the discrete Gaussian (rejection from a
// discrete Laplace). Every parameter is a rational in BigInt and every output an integer, so the
// distribution sampled is exactly the one the privacy proof is about: no floating point anywhere,
// hence nothing for an attacker to read in the low bits (Mironov 2012).

import { isqrt, type Rational } from './rational.js';
import type { RandomSource } from './random.js';

/** Bernoulli(n/d), 0 ≤ n ≤ d: true with probability exactly n/d. */
export function bernoulli(random: RandomSource, n: bigint, d: bigint): boolean {
  return random.below(d) < n;
}

/**
 * Bernoulli(exp(−n/d)) for n/d ≥ 0 (CKS20 Algorithm 1). For γ ≤ 1 it draws A_k ~ Bernoulli(γ/k)
 * until the first failure at k = K; P[K odd] is the alternating series of exp(−γ). For γ > 1 it
 * multiplies ⌊γ⌋ draws of Bernoulli(exp(−1)) and one of Bernoulli(exp(−(γ − ⌊γ⌋))), stopping at
 * the first failure.
 */
export function bernoulliExp(random: RandomSource, n: bigint, d: bigint): boolean {
  if (n < 0n || d <= 0n) throw new RangeError('bernoulliExp needs γ = n/d ≥ 0');
  if (n <= d) {
    let k = 1n;
    while (bernoulli(random, n, d * k)) k++;
    return k % 2n === 1n;
  }
  for (let i = n / d; i > 0n; i--) if (!bernoulliExp(random, 1n, 1n)) return false;
  return bernoulliExp(random, n % d, d);
}

/**
 * The discrete Laplace distribution with scale t/s (CKS20 Algorithm 2): P[Z = z] is proportional
 * to exp(−|z|·s/t) on the integers. With s/t = ε/Δ it is the ε-DP mechanism for an integer query
 * of L1 sensitivity Δ (the geometric mechanism).
 */
export function sampleDiscreteLaplace(random: RandomSource, scale: Rational): bigint {
  const t = scale.n;
  const s = scale.d;
  if (t <= 0n) throw new RangeError('the scale of a discrete Laplace is positive');
  for (;;) {
    const u = random.below(t);
    if (!bernoulliExp(random, u, t)) continue;
    // V ~ Geometric(1 − e^−1): the number of Bernoulli(e^−1) successes before the first failure.
    let v = 0n;
    while (bernoulliExp(random, 1n, 1n)) v++;
    // X = U + t·V is geometric with P[X = x] ∝ exp(−x/t); Y = ⌊X/s⌋ with P[Y = y] ∝ exp(−y·s/t).
    const y = (u + t * v) / s;
    const negative = random.belowNumber(2) === 1;
    // Reject −0 so that 0 is not counted twice.
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/**
 * The discrete Gaussian with parameter σ² (CKS20 Algorithm 3): P[Z = z] is proportional to
 * exp(−z²/(2σ²)) on the integers. Rejection sampling from a discrete Laplace of scale
 * t = ⌊σ⌋ + 1: accept Y with probability exp(−(|Y| − σ²/t)²/(2σ²)). With σ² = Δ²/(2ρ) it is ρ-zCDP
 * for a query of L2 sensitivity Δ (CKS20 Theorem 14, coordinates drawn independently).
 */
export function sampleDiscreteGaussian(random: RandomSource, sigma2: Rational): bigint {
  const a = sigma2.n;
  const b = sigma2.d;
  if (a <= 0n) throw new RangeError('σ² of a discrete Gaussian is positive');
  // ⌊σ⌋ = ⌊√⌊σ²⌋⌋ exactly, since (⌊σ⌋ + 1)² is an integer.
  const t = isqrt(a / b) + 1n;
  const laplace: Rational = { n: t, d: 1n };
  // (|Y| − σ²/t)² / (2σ²) = (|Y|·b·t − a)² / (2·a·b·t²), all integers.
  const denominator = 2n * a * b * t * t;
  for (;;) {
    const y = sampleDiscreteLaplace(random, laplace);
    const magnitude = y < 0n ? -y : y;
    const gap = magnitude * b * t - a;
    if (bernoulliExp(random, gap * gap, denominator)) return y;
  }
}
