// Exact non-negative rationals on BigInt: privacy parameters (ε, δ, ρ), budgets and noise scales.
// A budget compared in floating point can be overspent by rounding, and a noise scale computed in
// floating point is not the one the proof is about; here both are exact. Floats appear only where
// a number is shown (confidence intervals, the (ε, δ) equivalent of a zCDP budget).

import { PrivacyError } from './errors.js';

export interface Rational {
  /** Numerator, ≥ 0. */
  readonly n: bigint;
  /** Denominator, > 0; the fraction is in lowest terms. */
  readonly d: bigint;
}

export const ZERO: Rational = Object.freeze({ n: 0n, d: 1n });

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

export function rational(n: bigint, d = 1n): Rational {
  if (d <= 0n || n < 0n) throw new RangeError('a rational here is non-negative, with a positive denominator');
  const g = gcd(n, d);
  return g === 1n ? { n, d } : { n: n / g, d: d / g };
}

export const add = (a: Rational, b: Rational): Rational => rational(a.n * b.d + b.n * a.d, a.d * b.d);
export const multiply = (a: Rational, b: Rational): Rational => rational(a.n * b.n, a.d * b.d);
/** a − b, which must not be negative. */
export function subtract(a: Rational, b: Rational): Rational {
  const n = a.n * b.d - b.n * a.d;
  if (n < 0n) throw new RangeError('a − b is negative');
  return rational(n, a.d * b.d);
}
/** a − b, or zero when b is larger. */
export const subtractOrZero = (a: Rational, b: Rational): Rational => (compare(a, b) <= 0 ? ZERO : subtract(a, b));
/** −1, 0 or 1 as a <, = or > b. */
export function compare(a: Rational, b: Rational): number {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}
export const isZero = (a: Rational): boolean => a.n === 0n;
export const toNumber = (a: Rational): number => Number(a.n) / Number(a.d);
/** ⌊a⌋. */
export const floor = (a: Rational): bigint => a.n / a.d;

/** ⌊√n⌋ for n ≥ 0, exactly (Newton's method on integers). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('isqrt of a negative number');
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // The float guess is close; Newton steps make it exact for any size.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,3}))?$/;

/**
 * The exact value of a decimal written as a JSON number or a string: `0.5`, `1e-9`, `"0.000001"`.
 * A number is read through its shortest decimal form (`String(0.1)` is `0.1`), which is what was
 * written in the JSON, so `0.1` means exactly one tenth. At most `maxDigits` decimal places.
 */
export function parseDecimal(value: unknown, at: string, maxDigits: number): Rational {
  const text = typeof value === 'number' && Number.isFinite(value) && value >= 0 ? String(value) : typeof value === 'string' ? value : undefined;
  const match = text === undefined || text.length > 64 ? null : DECIMAL.exec(text);
  if (match === null) throw new PrivacyError('QUERY_INVALID', `${at}: a non-negative decimal number (0.5, 1e-9 or "0.000001")`);
  const digits = `${match[1]}${match[2] ?? ''}`;
  const places = (match[2]?.length ?? 0) - Number(match[3] ?? 0);
  if (places > maxDigits) throw new PrivacyError('QUERY_INVALID', `${at}: at most ${maxDigits} decimal places`);
  if (places > 0) return rational(BigInt(digits), 10n ** BigInt(places));
  if (-places > 30) throw new PrivacyError('QUERY_INVALID', `${at}: too large`);
  return rational(BigInt(digits) * 10n ** BigInt(-places));
}

/**
 * The rational as an exact decimal string (`0.125`) when its denominator has no prime factor but
 * 2 and 5, which every amount the accountant adds up has; `n/d` otherwise.
 */
export function formatRational(a: Rational): string {
  let d = a.d;
  let twos = 0;
  let fives = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    twos++;
  }
  while (d % 5n === 0n) {
    d /= 5n;
    fives++;
  }
  if (d !== 1n) return `${a.n}/${a.d}`;
  const places = Math.max(twos, fives);
  const scaled = (a.n * 10n ** BigInt(places)) / a.d;
  if (places === 0) return scaled.toString();
  const text = scaled.toString().padStart(places + 1, '0');
  const whole = text.slice(0, -places);
  const fraction = text.slice(-places).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** Reads back what {@link formatRational} wrote (a ledger record). */
export function readRational(text: unknown): Rational | undefined {
  if (typeof text !== 'string') return undefined;
  const fraction = /^(\d{1,200})\/(\d{1,200})$/.exec(text);
  if (fraction !== null) return BigInt(fraction[2]!) === 0n ? undefined : rational(BigInt(fraction[1]!), BigInt(fraction[2]!));
  const decimal = /^(\d{1,200})(?:\.(\d{1,200}))?$/.exec(text);
  if (decimal === null) return undefined;
  const places = decimal[2]?.length ?? 0;
  return rational(BigInt(`${decimal[1]}${decimal[2] ?? ''}`), 10n ** BigInt(places));
}
