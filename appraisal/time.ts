// Instants and durations as the appraisal compares them: integer milliseconds since the epoch.
// Every instant of an agent statement is RFC 3339 (docs/decisions.md) and is read exactly
// (sub-millisecond digits are dropped, never rounded, so the same text is always the same number);
// `iat` is a NumericDate of at most millisecond precision.
import { durationSeconds, instant } from '../statements/index.js';

/** An RFC 3339 date-time in milliseconds, or undefined when it is not one. */
export function instantMs(text: string): number | undefined {
  const value = instant(text);
  return value === undefined ? undefined : value.seconds * 1000 + Math.floor(value.nanos / 1_000_000);
}

/** A NumericDate (seconds) in milliseconds. */
export function numericDateMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** A duration of atlog's ISO 8601 subset in milliseconds (the schemas admit only those). */
export function durationMs(text: string): number {
  const seconds = durationSeconds(text);
  if (seconds === undefined) throw new Error(`not a duration: ${text}`);
  return seconds * 1000;
}

/** Milliseconds as an RFC 3339 date-time in UTC, as the results write every instant. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
