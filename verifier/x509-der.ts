// A small, strict DER reader: just enough to frame an X.509 certificate, take out the exact bytes
// a signature covers (tbsCertificate), the names and the key as received, and refuse anything that
// is not DER before a lenient parser sees it. @peculiar/x509 parses with asn1js, which accepts BER
// (indefinite lengths, long-form small lengths, constructed strings), ignores trailing bytes, and
// when the bytes do not start with a SEQUENCE even tries them as PEM, hex or base64 text. One
// certificate must have one reading, so the framing and the strictness are ours.

import { CertificateError } from './errors.js';

/** One tag-length-value element, as slices of the input (no copies). */
export interface DerElement {
  /** The identifier octet: class, constructed bit and a tag number below 31. */
  readonly tag: number;
  /** The whole element: identifier, length and content. */
  readonly bytes: Uint8Array;
  /** The content octets. */
  readonly content: Uint8Array;
}

/** Identifier octets used in certificates. */
export const Tag = Object.freeze({
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const);

const CONSTRUCTED = 0x20;
const CLASS_MASK = 0xc0;
const UNIVERSAL = 0x00;
const HIGH_TAG_NUMBER = 0x1f;
/** Certificates nest about ten levels; anything deeper is not a certificate. */
const MAX_DEPTH = 32;

function malformed(reason: string): CertificateError {
  return new CertificateError('CERT_MALFORMED', reason);
}

/** `[0]`, `[3]`, … : a context-specific constructed tag (EXPLICIT tagging, as X.509 uses). */
export function contextTag(number: number, constructed = true): number {
  return 0x80 | (constructed ? CONSTRUCTED : 0) | number;
}

/** The element starting at `offset`; its length must be definite, minimal and inside `source`. */
export function readElementAt(source: Uint8Array, offset: number): DerElement {
  const tag = source[offset];
  if (tag === undefined) throw malformed('the input ends where an element should start');
  // X.509 never uses tag numbers of 31 or more, so the multi-octet identifier form is refused.
  if ((tag & HIGH_TAG_NUMBER) === HIGH_TAG_NUMBER) throw malformed('an element uses the high tag number form');
  const first = source[offset + 1];
  if (first === undefined) throw malformed('the input ends inside a length');
  let length: number;
  let headerLength: number;
  if (first < 0x80) {
    length = first;
    headerLength = 2;
  } else {
    const octets = first & 0x7f;
    if (octets === 0) throw malformed('an element has an indefinite length (BER, not DER)');
    if (octets > 3) throw malformed('an element has a length beyond 16 MiB');
    length = 0;
    for (let i = 0; i < octets; i++) {
      const octet = source[offset + 2 + i];
      if (octet === undefined) throw malformed('the input ends inside a length');
      length = length * 256 + octet;
    }
    // DER: the shortest form, so no long form below 128 and no leading zero octet.
    if (length < 0x80 || source[offset + 2] === 0) throw malformed('an element length is not in its shortest form');
    headerLength = 2 + octets;
  }
  const end = offset + headerLength + length;
  if (end > source.length) throw malformed('the input ends inside an element (truncated)');
  return {
    tag,
    bytes: source.subarray(offset, end),
    content: source.subarray(offset + headerLength, end),
  };
}

/** Exactly one element spanning all of `source`: no trailing bytes. */
export function readElement(source: Uint8Array): DerElement {
  const element = readElementAt(source, 0);
  if (element.bytes.length !== source.length) throw malformed('bytes follow the end of the element');
  return element;
}

/** The elements inside a constructed element, which must fill its content exactly. */
export function readChildren(parent: DerElement): DerElement[] {
  if ((parent.tag & CONSTRUCTED) === 0) throw malformed('a primitive element where a constructed one belongs');
  const children: DerElement[] = [];
  let offset = 0;
  while (offset < parent.content.length) {
    const child = readElementAt(parent.content, offset);
    children.push(child);
    offset += child.bytes.length;
  }
  return children;
}

/** The element, after checking that its tag is the expected one. */
export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element === undefined) throw malformed(`${what} is missing`);
  if (element.tag !== tag) throw malformed(`${what} has the wrong type`);
  return element;
}

/**
 * Walks a whole element tree and refuses what DER forbids: constructed forms of universal types
 * other than SEQUENCE and SET (BER's chunked strings), non-canonical BOOLEANs and INTEGERs, bad
 * BIT STRING padding, NULL with content, malformed OIDs. Lengths are checked as the tree is read.
 */
export function checkStrictDer(element: DerElement, depth = 0): void {
  if (depth > MAX_DEPTH) throw malformed('elements are nested too deeply');
  const isUniversal = (element.tag & CLASS_MASK) === UNIVERSAL;
  if ((element.tag & CONSTRUCTED) !== 0) {
    if (isUniversal && element.tag !== Tag.SEQUENCE && element.tag !== Tag.SET) {
      throw malformed('a universal type other than SEQUENCE or SET is in constructed form (BER, not DER)');
    }
    for (const child of readChildren(element)) checkStrictDer(child, depth + 1);
    return;
  }
  if (isUniversal) checkPrimitive(element);
}

function checkPrimitive(element: DerElement): void {
  const { tag, content } = element;
  switch (tag) {
    case Tag.BOOLEAN:
      if (content.length !== 1 || (content[0] !== 0x00 && content[0] !== 0xff)) throw malformed('a BOOLEAN is not 00 or FF');
      return;
    case Tag.INTEGER:
      checkMinimalInteger(content);
      return;
    case Tag.BIT_STRING:
      checkBitString(content);
      return;
    case Tag.NULL:
      if (content.length !== 0) throw malformed('a NULL has content');
      return;
    case Tag.OID:
      decodeOid(content);
      return;
    default:
      return;
  }
}

function checkMinimalInteger(content: Uint8Array): void {
  const [first, second] = content;
  if (first === undefined) throw malformed('an INTEGER is empty');
  if (second === undefined) return;
  if ((first === 0x00 && second < 0x80) || (first === 0xff && second >= 0x80)) {
    throw malformed('an INTEGER is not in its shortest form');
  }
}

function checkBitString(content: Uint8Array): void {
  const unused = content[0];
  if (unused === undefined) throw malformed('a BIT STRING is empty');
  if (unused > 7 || (content.length === 1 && unused !== 0)) throw malformed('a BIT STRING has an invalid unused-bit count');
  const last = content[content.length - 1] ?? 0;
  if ((last & ((1 << unused) - 1)) !== 0) throw malformed('a BIT STRING has non-zero padding bits');
}

/** Dotted-decimal form of an OID's content octets; minimal base-128 sub-identifiers only. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw malformed('an OID is empty');
  if (content.length > 64) throw malformed('an OID is longer than 64 octets');
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (const octet of content) {
    if (fresh && octet === 0x80) throw malformed('an OID sub-identifier is not in its shortest form');
    // 64 octets and a 2^53 bound keep every arc exact; real OIDs stay far below it.
    if (value > Number.MAX_SAFE_INTEGER / 128) throw malformed('an OID arc is too large');
    value = value * 128 + (octet & 0x7f);
    fresh = (octet & 0x80) === 0;
    if (fresh) {
      arcs.push(value);
      value = 0;
    }
  }
  if (!fresh) throw malformed('an OID ends inside a sub-identifier');
  const [head = 0, ...rest] = arcs;
  const first = head < 40 ? 0 : head < 80 ? 1 : 2;
  return [first, head - first * 40, ...rest].join('.');
}

/** The OID an element holds. */
export function readOid(element: DerElement | undefined, what: string): string {
  return decodeOid(expectTag(element, Tag.OID, what).content);
}

/** A non-negative INTEGER small enough for a JS number (versions, salt lengths). */
export function readSmallInteger(element: DerElement | undefined, what: string): number {
  const { content } = expectTag(element, Tag.INTEGER, what);
  checkMinimalInteger(content);
  if ((content[0] ?? 0) >= 0x80) throw malformed(`${what} is negative`);
  if (content.length > 6) throw malformed(`${what} is too large`);
  let value = 0;
  for (const octet of content) value = value * 256 + octet;
  return value;
}

/** The content of a BIT STRING that must be whole octets (signatures, keys). */
export function readOctetAlignedBits(element: DerElement | undefined, what: string): Uint8Array {
  const { content } = expectTag(element, Tag.BIT_STRING, what);
  checkBitString(content);
  if (content[0] !== 0) throw malformed(`${what} is not a whole number of octets`);
  return content.subarray(1);
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/**
 * A validity time as RFC 5280 §4.1.2.5 allows it: UTCTime `YYMMDDHHMMSSZ` (years 50–99 are
 * 19xx) or GeneralizedTime `YYYYMMDDHHMMSSZ`, always UTC with seconds and no fractions. Every
 * field is range-checked, so 20250231… is refused rather than rolled over into March.
 */
export function readTime(element: DerElement | undefined, what: string): Date {
  if (element === undefined) throw malformed(`${what} is missing`);
  // Both forms are 13 or 15 characters; anything longer is refused before it is turned into text.
  if (element.content.length > 15) throw malformed(`${what} is too long to be a certificate time`);
  const text = String.fromCharCode(...element.content);
  let match: RegExpExecArray | null;
  let year: number;
  if (element.tag === Tag.UTC_TIME && (match = UTC_TIME.exec(text)) !== null) {
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (element.tag === Tag.GENERALIZED_TIME && (match = GENERALIZED_TIME.exec(text)) !== null) {
    year = Number(match[1]);
  } else {
    throw malformed(`${what} is not a UTCTime or GeneralizedTime in the form RFC 5280 requires`);
  }
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(millis);
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!roundTrips) throw malformed(`${what} is not a real date and time`);
  return date;
}
