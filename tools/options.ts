// Parsers for option values, shared by commands. A bad value is commander's InvalidArgumentError,
// which becomes a one-line usage error (exit 2).

import { InvalidArgumentError } from 'commander';

/** For repeatable options: each occurrence appends (without mutating the default). */
export function collect(value: string, previous: readonly string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A NumericDate: whole seconds since 1970, non-negative. */
export function parseSeconds(value: string): number {
  if (!/^\d{1,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('it must be a whole number of seconds since 1970-01-01T00:00:00Z.');
  }
  return Number(value);
}

// RFC 3339 date-time, with an optional fraction and a Z or numeric offset; or a bare date (midnight UTC).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 / RFC 3339 time such as 2026-03-01T12:00:00Z, or a date (2026-03-01, midnight UTC). */
export function parseIsoTime(value: string): Date {
  const time = ISO_TIME.test(value) ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) : Number.NaN;
  if (Number.isNaN(time)) throw new InvalidArgumentError('it must be an ISO 8601 time with a zone, such as 2026-03-01T12:00:00Z.');
  return new Date(time);
}

/** A media type (text) or, all digits, a CoAP content format number (RFC 7252). */
export function parseContentType(value: string): string | number {
  if (/^\d{1,5}$/.test(value)) {
    const format = Number(value);
    if (format <= 65535) return format;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:\s*;.*)?$/s.test(value) || value.length > 256) {
    throw new InvalidArgumentError('it must be a media type such as application/json (or a CoAP content format number).');
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidArgumentError('it must not contain control characters.');
  return value;
}

/** A non-empty string of at most `max` characters, without control characters. */
export function parseText(max: number, what: string): (value: string) => string {
  return (value) => {
    if (value.length === 0) throw new InvalidArgumentError(`${what} must not be empty.`);
    if (value.length > max) throw new InvalidArgumentError(`${what} must be at most ${max} characters.`);
    if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidArgumentError(`${what} must not contain control characters.`);
    return value;
  };
}

/** Seconds for a timeout: 1 to 300. */
export function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(?:\.\d+)?$/.test(value) || !(seconds > 0 && seconds <= 300)) {
    throw new InvalidArgumentError('it must be a number of seconds between 0 and 300.');
  }
  return seconds;
}
