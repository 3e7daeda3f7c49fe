// Output helpers: text that is safe to print on a terminal, sizes, JSON with bytes as hex, and a
// short CBOR diagnostic notation for values `inspect` has no better name for.
//
// Everything printed may come from a hostile file (an issuer name, a header, a certificate
// subject), so text is shown with control, bidirectional and invisible format characters escaped
// (`\u{1b}`), and cut short: a statement cannot move the cursor, recolour the terminal or hide
// part of a line.

import { CborTag, type CborValue } from '../receipts/index.js';
import { toHex } from '../util/index.js';

// C0 and C1 controls, DEL, zero-width and bidirectional marks and overrides, line and paragraph
// separators, the BOM, and lone surrogates (which a terminal would show as garbage).
// (With the u flag a surrogate pair is one code point, so the class matches lone surrogates only.)
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/gu;

/** `text` with unsafe characters escaped as `\u{…}`, cut to `max` characters with `…`. */
export function safeText(text: string, max = 200): string {
  const escaped = text.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
  const chars = [...escaped];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : escaped;
}

/** A quoted, escaped, bounded string, for values in dumps. */
export function quoted(text: string, max = 120): string {
  const escaped = safeText(text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t'), max);
  return `"${escaped}"`;
}

/** 1 MiB, 64 KiB, 512 bytes. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Hex of at most `maxBytes` bytes, with `…` when cut. */
export function shortHex(bytes: Uint8Array, maxBytes = 32): string {
  return bytes.length > maxBytes ? `${toHex(bytes.subarray(0, maxBytes))}…` : toHex(bytes);
}

/** A NumericDate as ISO 8601, when it is a plausible one. */
export function isoTime(seconds: number): string | undefined {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 253402300799) return undefined;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Whether bytes are UTF-8 text worth showing as such: valid, and no controls but tab and newlines. */
export function printableText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u.test(text) ? undefined : text;
}

/** A JSON-ready copy: bytes as hex, Maps as objects (keys as strings), Dates as ISO, tags as {tag, value}. */
export function toJsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof CborTag) return { tag: value.tag, value: toJsonValue(value.value) };
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toJsonValue(v);
    return out;
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
    return out;
  }
  return value;
}

// JSON.stringify escapes C0 controls and lone surrogates; these are valid in JSON strings but
// still act on terminals or hide text, so they are escaped too (the result is the same JSON).
const JSON_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;

/** One line of JSON for machines, bytes as hex, terminal-safe. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(toJsonValue(value)).replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * CBOR diagnostic notation (RFC 8949 §8), bounded: long strings, byte strings, arrays and maps are
 * cut, and nesting beyond a few levels is elided. For showing values `inspect` has no name for.
 */
export function diagnostic(value: CborValue, depth = 0): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value === 'string') return quoted(value, 80);
  if (value instanceof Uint8Array) return `h'${shortHex(value, 32)}'${value.length > 32 ? ` (${value.length} bytes)` : ''}`;
  if (depth >= 4) return '…';
  if (value instanceof CborTag) return `${value.tag}(${diagnostic(value.value, depth + 1)})`;
  if (Array.isArray(value)) {
    const items = (value as readonly CborValue[]).slice(0, 8).map((v) => diagnostic(v, depth + 1));
    if (value.length > 8) items.push(`… ${value.length - 8} more`);
    return `[${items.join(', ')}]`;
  }
  if (value instanceof Map) {
    const entries = [...value].slice(0, 8).map(([k, v]) => `${diagnostic(k, depth + 1)}: ${diagnostic(v, depth + 1)}`);
    if (value.size > 8) entries.push(`… ${value.size - 8} more`);
    return `{${entries.join(', ')}}`;
  }
  return '?';
}
