// The noise a release adds, from its sensitivity and its privacy parameter, and what can be said
// about it: exact noise parameters as rationals (what the samplers draw with), and, in floating
// point, the probability mass function, variance, tails and confidence half-widths (what the
// reports show and the tests check the samplers against). Nothing here reads data: the figures
// depend only on public parameters, so computing them in floating point leaks nothing.

import { multiply, type Rational, rational, toNumber } from './rational.js';

/** How far one privacy unit can move a release: the L1 norm and the squared L2 norm of the change. */
export interface Sensitivity {
  readonly l1: bigint;
  readonly l2Squared: bigint;
}

/** Discrete Laplace scale Δ₁/ε: exp(−|z|·ε/Δ₁) makes an integer query of L1 sensitivity Δ₁ ε-DP. */
export function laplaceScale(l1: bigint, epsilon: Rational): Rational {
  if (epsilon.n === 0n || l1 <= 0n) throw new RangeError('a Laplace scale needs ε > 0 and Δ₁ > 0');
  return rational(l1 * epsilon.d, epsilon.n);
}

/** Discrete Gaussian σ² = Δ₂²/(2ρ): makes an integer query of L2 sensitivity Δ₂ ρ-zCDP. */
export function gaussianSigma2(l2Squared: bigint, rho: Rational): Rational {
  if (rho.n === 0n || l2Squared <= 0n) throw new RangeError('a Gaussian σ² needs ρ > 0 and Δ₂ > 0');
  return multiply(rational(l2Squared), rational(rho.d, 2n * rho.n));
}

/** The noise one release draws for each of its cells. */
export type Noise = { readonly kind: 'laplace'; readonly scale: Rational } | { readonly kind: 'gaussian'; readonly sigma2: Rational };

// --- Discrete Laplace: P[Z = z] = (1 − p)/(1 + p) · p^|z|, p = exp(−1/scale).

const laplaceP = (scale: Rational): number => Math.exp(-1 / toNumber(scale));

export function laplacePmf(scale: Rational, z: number): number {
  const p = laplaceP(scale);
  return ((1 - p) / (1 + p)) * p ** Math.abs(z);
}

/** P[|Z| > k] = 2·p^(k+1)/(1 + p). */
export function laplaceTail(scale: Rational, k: number): number {
  const p = laplaceP(scale);
  return (2 * p ** (k + 1)) / (1 + p);
}

export function laplaceVariance(scale: Rational): number {
  const p = laplaceP(scale);
  return (2 * p) / (1 - p) ** 2;
}

// --- Discrete Gaussian: P[Z = z] = exp(−z²/(2σ²)) / Σ_y exp(−y²/(2σ²)).

/** Above this σ the discrete and continuous Gaussians differ by less than e^(−2π²σ²): use the latter. */
const EXACT_GAUSSIAN_SIGMA = 10_000;

/** The probabilities of 0, 1, 2, … up to where they vanish (each of ±z has this mass). */
function gaussianMasses(sigma2: number): Float64Array {
  // Beyond 9σ the masses are below 1e-17 of the total: nothing a double can add.
  const reach = Math.ceil(9 * Math.sqrt(sigma2)) + 2;
  const masses = new Float64Array(reach + 1);
  let total = 0;
  for (let z = 0; z <= reach; z++) {
    masses[z] = Math.exp(-(z * z) / (2 * sigma2));
    total += z === 0 ? masses[z]! : 2 * masses[z]!;
  }
  for (let z = 0; z <= reach; z++) masses[z]! /= total;
  return masses;
}

export function gaussianPmf(sigma2: Rational, z: number): number {
  const masses = gaussianMasses(toNumber(sigma2));
  return masses[Math.abs(z)] ?? 0;
}

/** P[|Z| > k]. */
export function gaussianTail(sigma2: Rational, k: number): number {
  const masses = gaussianMasses(toNumber(sigma2));
  let inside = masses[0]!;
  for (let z = 1; z <= k && z < masses.length; z++) inside += 2 * masses[z]!;
  return Math.max(0, 1 - inside);
}

export function gaussianVariance(sigma2: Rational): number {
  const masses = gaussianMasses(toNumber(sigma2));
  let variance = 0;
  for (let z = 1; z < masses.length; z++) variance += 2 * z * z * masses[z]!;
  return variance;
}

export function noiseVariance(noise: Noise): number {
  return noise.kind === 'laplace' ? laplaceVariance(noise.scale) : gaussianVariance(noise.sigma2);
}

/**
 * The smallest k ≥ 0 with P[|Z| > k] ≤ 1 − confidence: the noisy value ± k covers the value
 * before noise with probability at least `confidence`. Errs wide, never narrow.
 */
export function halfWidth(noise: Noise, confidence: number): number {
  const alpha = 1 - confidence;
  if (noise.kind === 'laplace') {
    const scale = toNumber(noise.scale);
    const p = Math.exp(-1 / scale);
    // 2p^(k+1)/(1+p) ≤ α ⟺ k + 1 ≥ scale·ln(2/(α(1+p))); a hair wider for rounding.
    let k = Math.max(0, Math.ceil(scale * Math.log(2 / (alpha * (1 + p))) * (1 + 1e-12) - 1));
    while (k > 0 && laplaceTail(noise.scale, k - 1) <= alpha) k--;
    while (laplaceTail(noise.scale, k) > alpha) k++;
    return k;
  }
  const sigma2 = toNumber(noise.sigma2);
  const sigma = Math.sqrt(sigma2);
  if (sigma > EXACT_GAUSSIAN_SIGMA) return Math.ceil(normalQuantile(1 - alpha / 2) * sigma) + 1;
  const masses = gaussianMasses(sigma2);
  let inside = masses[0]!;
  let k = 0;
  while (1 - inside > alpha && k + 1 < masses.length) {
    k++;
    inside += 2 * masses[k]!;
  }
  return k;
}

/**
 * The standard normal quantile (Acklam's rational approximation, relative error below 1.2e-9),
 * for large-σ confidence intervals and the approximate quantile intervals.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('normalQuantile needs 0 < p < 1');
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
