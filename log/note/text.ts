// The text-level rules that signed notes and checkpoints share: strict UTF-8, the control
// characters a note may not hold, key names, and canonical base64. Each check returns what is
// wrong (or undefined), so that every caller can raise it under its own error code.
import { fromBase64, toBase64 } from '../../util/index.js';

// fatal: invalid UTF-8 is refused, never replaced by U+FFFD. ignoreBOM: a leading U+FEFF is kept,
// so the decoded text is exactly the signed bytes.
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** Strict UTF-8 decoding: undefined for any invalid sequence. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-8 encoding of a string that {@link isWellFormed} accepted. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Byte length of the UTF-8 encoding of a well-formed string, without encoding it. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// In a /u regex a lone surrogate is a code point of category Cs; a proper pair is one code point.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * False when the string holds a lone surrogate: it has no UTF-8 encoding, and TextEncoder would
 * silently turn it into U+FFFD, so the signed bytes would not be the text we were given.
 */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

// c2sp.org/signed-note forbids the ASCII control characters below U+0020 except newline; DEL and
// the C1 controls are not ASCII controls in its sense and stay allowed, as in the Go reference.
const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

/** Where the first forbidden control character is, for a precise message; undefined if none. */
export function controlCharacterProblem(text: string): string | undefined {
  const match = FORBIDDEN_CONTROL.exec(text);
  if (match === null) return undefined;
  const line = lineNumberAt(text, match.index);
  const code = match[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase();
  const name = code === '000D' ? ' (carriage return; lines end in a bare newline)' : '';
  return `line ${line} contains the control character U+${code}${name}`;
}

/** 1-based number of the line that holds the character at `index`. */
export function lineNumberAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * What makes `text` unusable as the text of a signed note: it must be non-empty, end in a
 * newline, be well-formed Unicode and hold no control character but newline.
 */
export function noteTextProblem(text: string): string | undefined {
  if (text.length === 0) return 'is empty';
  if (!text.endsWith('\n')) return 'does not end in a newline';
  if (!isWellFormed(text)) return 'is not well-formed Unicode (it holds a lone surrogate)';
  return controlCharacterProblem(text);
}

// Unicode White_Space is the set Go's unicode.IsSpace tests, which the reference note code uses.
const NAME_WHITESPACE = /\p{White_Space}/u;

/**
 * What makes `name` unusable as a key name (c2sp.org/signed-note): non-empty, no Unicode spaces,
 * no '+' (the verifier key string uses it as the separator). Control characters and lone
 * surrogates could never appear in a valid note, so a name holding one could never match.
 */
export function keyNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'is empty';
  if (NAME_WHITESPACE.test(name)) return 'contains whitespace';
  if (name.includes('+')) return 'contains "+"';
  if (!isWellFormed(name)) return 'is not well-formed Unicode';
  if (FORBIDDEN_CONTROL.test(name)) return 'contains a control character';
  return undefined;
}

/** True for an integer in [0, 2^32): the key ID of a note signature. */
export function isKeyId(keyId: unknown): keyId is number {
  return typeof keyId === 'number' && Number.isInteger(keyId) && keyId >= 0 && keyId <= 0xffff_ffff;
}

/** A key ID as the 8 lowercase hex digits of the verifier key string. */
export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/**
 * Standard padded base64 (RFC 4648 §4) in its one canonical spelling. Beyond the shape checks of
 * fromBase64 this refuses non-zero bits in the padding, which decoders drop silently, so two
 * different strings can never stand for the same bytes.
 */
export function decodeCanonicalBase64(text: string): Uint8Array | undefined {
  const bytes = fromBase64(text);
  if (bytes === undefined || toBase64(bytes) !== text) return undefined;
  return bytes;
}
