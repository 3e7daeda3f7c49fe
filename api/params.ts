// Query parameters as the read routes take them: one reading of a time and of a count for every
// route, so that `from=…` means the same on /agents/{id}/entries as on /settlement.

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * A time parameter in milliseconds since the epoch: an RFC 3339 date-time, or NumericDate seconds.
 * Undefined when absent, null when unreadable.
 */
export function timeParam(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  if (/^\d{1,12}$/.test(text)) return Number(text) * 1000;
  if (!RFC3339.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** A non-negative integer parameter in canonical decimal. Undefined when absent, null when unreadable. */
export function integerParam(text: string | undefined): number | undefined | null {
  if (text === undefined) return undefined;
  return /^(0|[1-9][0-9]{0,15})$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : null;
}
