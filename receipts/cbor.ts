// Strict, bounded CBOR (RFC 8949): encoding on cborg, decoding our own.
//
// Encoding is RFC 8949 §4.2.1 core deterministic encoding (cborg's `rfc8949EncodeOptions`), so a
// value has exactly one encoding: what we sign and hash is reproducible by anyone.
//
// Decoding is strict because every byte we accept may be signed, hashed or logged: two encodings
// of "the same" value must not both be accepted, and hostile input must not cost more than its
// size. Our tokeniser reads every data item head itself, so it can refuse non-minimal heads,
// indefinite lengths, unknown tags, oversized strings and collections, bad UTF-8 and duplicate map
// keys with precise codes, and it builds the values as it goes (it used to hand its tokens to
// cborg's decoder, whose machinery was most of a small decode's cost). It refuses nesting beyond
// the depth limit *before* reading a container's items, and it recurses once per level, so that
// bound is what keeps a 100 000-deep input from overflowing the stack; no RangeError is ever
// caught and hoped about.

import { encode, rfc8949EncodeOptions, Tagged } from 'cborg';
import { CoseError } from './errors.js';

/** A CBOR map key in atlog's data model: an integer or a text string (as COSE labels are). */
export type CborMapKey = number | string;

/**
 * The values atlog encodes and decodes. Integers are safe JS integers; floats are finite and
 * non-integral; maps are `Map`s; byte strings are `Uint8Array`s; tags are {@link CborTag}s.
 * There is no `undefined`, no bigint and no plain object (see {@link encodeCbor}).
 */
export type CborValue =
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | readonly CborValue[]
  | ReadonlyMap<CborMapKey, CborValue>
  | CborTag;

/**
 * A tagged data item, e.g. `new CborTag(18, [...])` for a tagged COSE_Sign1. It is cborg's
 * `Tagged`, so cborg encodes it natively; the subclass only narrows the value's type.
 */
export class CborTag extends Tagged {
  declare readonly tag: number;
  declare readonly value: CborValue;

  constructor(tag: number, value: CborValue) {
    super(tag, value);
  }
}

/** Tag number of a tagged COSE_Sign1 (RFC 9052 §4.2). */
export const COSE_SIGN1_TAG = 18;

/** Resource limits on a decode. Every decode has them; see {@link DEFAULT_CBOR_LIMITS}. */
export interface CborLimits {
  /** Largest input accepted, in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of arrays, maps and tags; a top-level scalar has depth 0, `[]` depth 1. */
  readonly maxDepth: number;
  /** Most entries in one array, or pairs in one map. */
  readonly maxItems: number;
  /** Longest byte or text string, in bytes. */
  readonly maxStringBytes: number;
}

/**
 * The limits used unless a caller passes its own.
 *
 * - `maxBytes` 1 MiB: a signed statement carries its payload inline only up to a modest size
 *   (larger artefacts go through the hash envelope, and tlog-tiles entries stop at 64 KiB), while a
 *   statement with an x5chain of a few certificates is still a few KiB; 1 MiB leaves a wide margin
 *   and keeps the worst-case decode in the low milliseconds.
 * - `maxDepth` 16: the deepest COSE structure atlog handles is a receipt inside a transparent
 *   statement (tag, array, map, map, array: 5); headers with CWT claims add one or two. 16 is
 *   three times that, and far below what cborg's recursion could overflow.
 * - `maxItems` 4096: the largest legitimate collections are key sets and x5chains (tens of
 *   entries) and Merkle paths (at most 64 hashes). Callers decoding application payloads with
 *   bigger arrays pass their own limit.
 * - `maxStringBytes` 1 MiB: a payload may be one byte string as large as the input.
 */
export const DEFAULT_CBOR_LIMITS: CborLimits = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 16,
  maxItems: 4096,
  maxStringBytes: 1024 * 1024,
});

/** Options of {@link decodeCbor}: any limit to override, and the tags the caller accepts. */
export interface DecodeCborOptions extends Partial<CborLimits> {
  /** Tag numbers accepted anywhere in the item; any other tag is refused. Default: `[18]`. */
  readonly tags?: readonly number[];
}

const DEFAULT_TAGS: readonly number[] = Object.freeze([COSE_SIGN1_TAG]);

/**
 * Decodes exactly one CBOR data item, strictly (RFC 8949 §4.2.1 heads and §5.3.1 validity):
 * minimal integer and length encodings, definite lengths only, no duplicate map keys, map keys that
 * are integers or text, valid UTF-8, no `undefined` or other simple values, floats only finite,
 * non-integral and in their shortest form, no tags except those allowed, no trailing bytes, and
 * within the limits. Map key *order* is not checked: encoders in the wild (cbor-web's default,
 * used by @transmute/cose for protected headers) emit insertion order, and the signature covers
 * the bytes as received anyway.
 *
 * @throws CoseError with a `CBOR_*` code for every refusal; never a raw cborg error.
 */
export function decodeCbor(bytes: Uint8Array, options: DecodeCborOptions = {}): CborValue {
  if (!(bytes instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'CBOR input must be a Uint8Array');
  }
  const limits = resolveLimits(options);
  const allowedTags = resolveTags(options.tags);
  if (bytes.length > limits.maxBytes) {
    throw new CoseError('CBOR_TOO_LARGE', `input of ${bytes.length} bytes exceeds the limit of ${limits.maxBytes}`);
  }
  // A plain Uint8Array view: slices of it are copies, so decoded byte strings never alias a
  // caller's Buffer (whose slice() would be a view).
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new StrictDecoder(data, limits, allowedTags);
  let value: CborValue;
  try {
    value = decoder.item(0);
  } catch (error) {
    if (error instanceof CoseError) throw error;
    // The decoder checks everything; this is a backstop so that nothing but a CoseError ever
    // leaves a decode. The original error stays as the cause, for debugging.
    throw new CoseError('CBOR_MALFORMED', 'malformed CBOR', { cause: error });
  }
  const remainder = data.length - decoder.pos();
  if (remainder > 0) {
    throw new CoseError('CBOR_TRAILING_BYTES', `${remainder} bytes follow the CBOR item`);
  }
  return value;
}

/**
 * Encodes a value with RFC 8949 core deterministic encoding: map keys sorted bytewise by their
 * encoding, integers and lengths minimal, floats shortest.
 *
 * Only atlog's data model is accepted ({@link CborValue}); anything else is refused rather than
 * guessed at. In particular plain objects are refused: `{1: x}` would silently encode the text key
 * "1" where COSE needs the integer label 1, the classic COSE bug. Use a `Map`.
 *
 * @throws CoseError `CBOR_UNENCODABLE` for a value outside the data model.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  checkEncodable(value, 0);
  try {
    return encode(value, rfc8949EncodeOptions);
  } catch (error) {
    throw new CoseError('CBOR_UNENCODABLE', 'value cannot be encoded as CBOR', { cause: error });
  }
}

// Deep enough for any real structure, shallow enough to stop a cyclic value quickly.
const MAX_ENCODE_DEPTH = 256;

function checkEncodable(value: unknown, depth: number): void {
  if (depth > MAX_ENCODE_DEPTH) {
    throw new CoseError('CBOR_UNENCODABLE', `value nests deeper than ${MAX_ENCODE_DEPTH} levels (or is cyclic)`);
  }
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'string') {
    checkWellFormed(value);
    return;
  }
  if (typeof value === 'number') {
    // The decoder refuses these, so the encoder must not produce them: an unsafe integer would be
    // written as a float, NaN and infinities have no place in anything atlog signs.
    if (!Number.isFinite(value)) throw new CoseError('CBOR_UNENCODABLE', 'NaN and infinities are not encoded');
    if (Number.isInteger(value)) {
      if (!Number.isSafeInteger(value)) {
        throw new CoseError('CBOR_UNENCODABLE', 'integers beyond ±(2^53 - 1) are not encoded');
      }
      return;
    }
    // cborg 6 writes binary16 subnormals other than powers of two as binary32, which is not the
    // shortest form and which decodeCbor rightly refuses. Rather than emit bytes we would not
    // accept, refuse those few values (multiples of 2^-24 below 2^-14); floats are rare here.
    if (cborgFloatWidth(value) !== shortestFloatWidth(value)) {
      throw new CoseError('CBOR_UNENCODABLE', 'this binary16 subnormal cannot be encoded in its shortest form');
    }
    return;
  }
  if (value instanceof Uint8Array) return;
  if (Array.isArray(value)) {
    for (const item of value) checkEncodable(item, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const [key, item] of value) {
      if (typeof key === 'string') {
        checkWellFormed(key);
      } else if (typeof key !== 'number' || !Number.isSafeInteger(key)) {
        throw new CoseError('CBOR_UNENCODABLE', 'map keys must be safe integers or text strings');
      }
      checkEncodable(item, depth + 1);
    }
    return;
  }
  if (value instanceof Tagged) {
    checkEncodable(value.value, depth + 1);
    return;
  }
  throw new CoseError(
    'CBOR_UNENCODABLE',
    `cannot encode ${value === undefined ? 'undefined' : `a ${typeof value === 'object' ? 'plain object or unknown class' : typeof value}`} (maps must be Map instances)`,
  );
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// A lone surrogate has no UTF-8 encoding: TextEncoder would quietly write U+FFFD, and we would
// sign a different string from the one we were given.
function checkWellFormed(text: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw new CoseError('CBOR_UNENCODABLE', 'text contains a lone UTF-16 surrogate');
  }
}

function resolveLimits(options: DecodeCborOptions): CborLimits {
  // Most decodes use the defaults: skip building and checking a limits object for them.
  if (options.maxBytes === undefined && options.maxDepth === undefined && options.maxItems === undefined && options.maxStringBytes === undefined) {
    return DEFAULT_CBOR_LIMITS;
  }
  const limits: CborLimits = {
    maxBytes: options.maxBytes ?? DEFAULT_CBOR_LIMITS.maxBytes,
    maxDepth: options.maxDepth ?? DEFAULT_CBOR_LIMITS.maxDepth,
    maxItems: options.maxItems ?? DEFAULT_CBOR_LIMITS.maxItems,
    maxStringBytes: options.maxStringBytes ?? DEFAULT_CBOR_LIMITS.maxStringBytes,
  };
  // Field by field, not over Object.entries: the policy decodes every statement with its own limits.
  checkLimit('maxBytes', limits.maxBytes);
  checkLimit('maxDepth', limits.maxDepth);
  checkLimit('maxItems', limits.maxItems);
  checkLimit('maxStringBytes', limits.maxStringBytes);
  return limits;
}

function checkLimit(name: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new CoseError('COSE_BAD_ARGUMENT', `CBOR limit ${name} must be a non-negative safe integer`);
  }
}

function resolveTags(tags: readonly number[] | undefined): readonly number[] {
  if (tags === undefined) return DEFAULT_TAGS;
  for (const tag of tags) {
    if (!Number.isSafeInteger(tag) || tag < 0) {
      throw new CoseError('COSE_BAD_ARGUMENT', 'allowed tags must be non-negative safe integers');
    }
  }
  return tags;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_POW_32 = 0x1_0000_0000;

// What the head just read was (StrictDecoder.kind): its major type (0-6: unsigned, negative,
// bytes, text, array, map, tag), or SIMPLE for false, true, null and floats.
const UNSIGNED = 0;
const NEGATIVE = 1;
const TEXT = 3;
const ARRAY = 4;
const MAP = 5;
const SIMPLE = 7;

/**
 * Reads data items from the raw bytes and builds their values, recursively. Every check happens
 * on a head (and a string's content) as it is read, in one pass, before anything is built from
 * it; a container's depth is checked before its items are read, which is what bounds the
 * recursion (one call per level).
 */
class StrictDecoder {
  private position = 0;
  /** The kind of the head the last readToken read. */
  private kind = UNSIGNED;

  constructor(
    private readonly data: Uint8Array,
    private readonly limits: CborLimits,
    private readonly allowedTags: readonly number[],
  ) {}

  pos(): number {
    return this.position;
  }

  /** The next data item, whole, inside `depth` containers: its value in atlog's data model. */
  item(depth: number): CborValue {
    const start = this.position;
    if (start >= this.data.length) throw truncated(start);
    const value = this.readToken(start);
    const kind = this.kind;
    if (kind < ARRAY || kind === SIMPLE) return value as CborValue;
    if (depth + 1 > this.limits.maxDepth) {
      throw new CoseError('CBOR_TOO_DEEP', `nesting at byte ${start} exceeds the depth limit of ${this.limits.maxDepth}`);
    }
    const count = value as number;
    if (kind === ARRAY) {
      const items = new Array<CborValue>(count);
      for (let i = 0; i < count; i++) items[i] = this.item(depth + 1);
      return items;
    }
    if (kind === MAP) {
      const map = new Map<CborMapKey, CborValue>();
      for (let i = 0; i < count; i++) {
        const keyStart = this.position;
        const key = this.mapKey(keyStart);
        if (map.has(key)) throw new CoseError('CBOR_DUPLICATE_KEY', `map key at byte ${keyStart} repeats an earlier key`);
        map.set(key, this.item(depth + 1));
      }
      return map;
    }
    return new CborTag(count, this.item(depth + 1));
  }

  /** A map key at `start`: an integer or a text string, refused as soon as its head says otherwise. */
  private mapKey(start: number): CborMapKey {
    if (start >= this.data.length) throw truncated(start);
    const key = this.readToken(start);
    const kind = this.kind;
    if (kind !== UNSIGNED && kind !== NEGATIVE && kind !== TEXT) {
      throw new CoseError('CBOR_UNSUPPORTED', `map key at byte ${start} is not an integer or a text string`);
    }
    return key as CborMapKey;
  }

  /**
   * Reads one head (and a string's content) at `start` and advances past it; sets `kind`. The
   * value is the item's for scalars and strings, the count for arrays and maps, the number for tags.
   */
  private readToken(start: number): unknown {
    const data = this.data;
    const initial = data[start] as number;
    const major = initial >>> 5;
    const info = initial & 0x1f;

    if (major === 7) {
      this.kind = SIMPLE;
      return this.readSimpleOrFloat(start, info);
    }
    if (info === 31) {
      if (major >= 2 && major <= 5) {
        throw new CoseError('CBOR_INDEFINITE_LENGTH', `indefinite-length item at byte ${start}`);
      }
      throw new CoseError('CBOR_MALFORMED', `reserved additional information 31 at byte ${start}`);
    }
    if (info >= 28) {
      throw new CoseError('CBOR_MALFORMED', `reserved additional information ${info} at byte ${start}`);
    }

    const argumentBytes = info < 24 ? 0 : 1 << (info - 24);
    const headLength = 1 + argumentBytes;
    if (start + headLength > data.length) {
      throw new CoseError('CBOR_TRUNCATED', `input ends inside the head at byte ${start}`);
    }
    const argument = this.readArgument(start, info);
    if (argument === undefined) {
      if (major === 0 || major === 1) {
        throw new CoseError('CBOR_UNSUPPORTED', `integer at byte ${start} is beyond ±(2^53 - 1)`);
      }
      if (major === 6) throw new CoseError('CBOR_UNKNOWN_TAG', `tag number at byte ${start} is not allowed`);
      throw new CoseError('CBOR_TOO_LARGE', `length at byte ${start} is beyond any limit`);
    }
    this.position = start + headLength;

    this.kind = major;
    switch (major) {
      case 0:
        return argument;
      case 1:
        // -1 - argument must stay a safe integer: argument <= 2^53 - 2.
        if (argument > Number.MAX_SAFE_INTEGER - 1) {
          throw new CoseError('CBOR_UNSUPPORTED', `integer at byte ${start} is beyond ±(2^53 - 1)`);
        }
        return -1 - argument;
      case 2:
      case 3:
        return this.readString(start, major, argument, headLength);
      case 4:
      case 5:
        return this.readCollectionHead(start, major, argument);
      default: {
        if (!this.allowedTags.includes(argument)) {
          throw new CoseError('CBOR_UNKNOWN_TAG', `tag ${argument} at byte ${start} is not allowed here`);
        }
        return argument;
      }
    }
  }

  /**
   * The argument of a head whose additional information is `info` (< 28), checked for minimal
   * encoding (RFC 8949 §4.2.1); undefined when it is beyond Number.MAX_SAFE_INTEGER.
   */
  private readArgument(start: number, info: number): number | undefined {
    const data = this.data;
    let value: number;
    let smallest: number;
    switch (info) {
      case 24:
        value = data[start + 1] as number;
        smallest = 24;
        break;
      case 25:
        value = ((data[start + 1] as number) << 8) | (data[start + 2] as number);
        smallest = 0x100;
        break;
      case 26:
        value = readUint32(data, start + 1);
        smallest = 0x1_0000;
        break;
      case 27: {
        const high = readUint32(data, start + 1);
        const low = readUint32(data, start + 5);
        if (high === 0) throw nonMinimal(start);
        if (high > 0x1f_ffff) return undefined;
        return high * TWO_POW_32 + low;
      }
      default:
        return info;
    }
    if (value < smallest) throw nonMinimal(start);
    return value;
  }

  private readString(start: number, major: 2 | 3, length: number, headLength: number): Uint8Array | string {
    if (length > this.limits.maxStringBytes) {
      throw new CoseError(
        'CBOR_TOO_LARGE',
        `string of ${length} bytes at byte ${start} exceeds the limit of ${this.limits.maxStringBytes}`,
      );
    }
    const contentStart = start + headLength;
    const end = contentStart + length;
    if (end > this.data.length) {
      throw new CoseError('CBOR_TRUNCATED', `input ends inside the ${length}-byte string at byte ${start}`);
    }
    this.position = end;
    if (major === 2) return copyOut(this.data, contentStart, end);
    let text: string;
    try {
      // fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a leading U+FEFF is kept, not
      // silently dropped, so two different encodings never decode to the same string.
      text = utf8.decode(this.data.subarray(contentStart, end));
    } catch {
      throw new CoseError('CBOR_INVALID_UTF8', `text string at byte ${start} is not valid UTF-8`);
    }
    return text;
  }

  private readCollectionHead(start: number, major: 4 | 5, count: number): number {
    if (count > this.limits.maxItems) {
      throw new CoseError(
        'CBOR_TOO_LARGE',
        `${major === 4 ? 'array' : 'map'} of ${count} ${major === 4 ? 'items' : 'pairs'} at byte ${start} exceeds the limit of ${this.limits.maxItems}`,
      );
    }
    // Every item takes at least one byte: a count the rest of the input cannot hold is truncated
    // input, and saying so now spares cborg a long loop over nothing.
    const minimumBytes = major === 4 ? count : 2 * count;
    if (minimumBytes > this.data.length - this.position) {
      throw new CoseError('CBOR_TRUNCATED', `input ends before the ${count} declared items at byte ${start}`);
    }
    return count;
  }

  private readSimpleOrFloat(start: number, info: number): boolean | null | number {
    const data = this.data;
    switch (info) {
      case 20:
        this.position = start + 1;
        return false;
      case 21:
        this.position = start + 1;
        return true;
      case 22:
        this.position = start + 1;
        return null;
      case 23:
        throw new CoseError('CBOR_UNSUPPORTED', `undefined at byte ${start} is not accepted`);
      case 25:
      case 26:
      case 27: {
        const width = 1 << (info - 24); // 2, 4 or 8 bytes
        if (start + 1 + width > data.length) {
          throw new CoseError('CBOR_TRUNCATED', `input ends inside the float at byte ${start}`);
        }
        const view = new DataView(data.buffer, data.byteOffset + start + 1, width);
        const value = width === 2 ? readFloat16(view) : width === 4 ? view.getFloat32(0) : view.getFloat64(0);
        checkFloat(value, width, start);
        this.position = start + 1 + width;
        return value;
      }
      case 31:
        throw new CoseError('CBOR_MALFORMED', `unexpected break at byte ${start}`);
      case 28:
      case 29:
      case 30:
        throw new CoseError('CBOR_MALFORMED', `reserved additional information ${info} at byte ${start}`);
      default:
        // 0..19 and 24: simple values with no meaning in atlog's data model.
        throw new CoseError('CBOR_UNSUPPORTED', `simple value at byte ${start} is not accepted`);
    }
  }
}

// Decoded byte strings are copies, never views of the input. V8 keeps a typed array of up to 64
// bytes on the heap, which is cheap; a longer one gets a buffer of its own outside the heap (~0.3
// µs to allocate, more for the collector to track), and a statement has two (its protected
// header and its payload). So copies of 65 bytes to 2 KiB are views into a shared 8 KiB slab, as
// Node's Buffer pool does: the slab lives as long as any of them, which bounds what a kept byte
// string can hold on to at 8 KiB.
const ON_HEAP_MAX = 64;
const SLAB_BYTES = 8192;
const SLAB_MAX_STRING = 2048;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function copyOut(data: Uint8Array, start: number, end: number): Uint8Array {
  const length = end - start;
  if (length <= ON_HEAP_MAX || length > SLAB_MAX_STRING) return data.slice(start, end);
  if (slabUsed + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, length);
  out.set(data.subarray(start, end));
  slabUsed += (length + 7) & ~7; // the next one 8-byte aligned
  return out;
}

function truncated(at: number): CoseError {
  return new CoseError('CBOR_TRUNCATED', `input ends at byte ${at} inside an unfinished item`);
}

function nonMinimal(start: number): CoseError {
  return new CoseError('CBOR_NON_CANONICAL', `head at byte ${start} is not in its shortest form`);
}

function readUint32(data: Uint8Array, offset: number): number {
  return (
    (data[offset] as number) * 0x100_0000 +
    (((data[offset + 1] as number) << 16) | ((data[offset + 2] as number) << 8) | (data[offset + 3] as number))
  );
}

/** IEEE 754 binary16 → number (exact: every half is a double). */
function readFloat16(view: DataView): number {
  const half = view.getUint16(0);
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (0x400 + fraction) * 2 ** (exponent - 25);
}

/** True when `value` (finite) is exactly representable as a binary16. */
function fitsFloat16(value: number): boolean {
  const magnitude = Math.abs(value);
  if (magnitude > 65504) return false;
  // Below 2^-14 halves are subnormal: multiples of 2^-24. Above, 11 significant bits.
  if (magnitude < 2 ** -14) return Number.isInteger(magnitude * 2 ** 24);
  let exponent = Math.floor(Math.log2(magnitude));
  if (2 ** exponent > magnitude) exponent -= 1; // log2 may round up at the edges
  if (2 ** (exponent + 1) <= magnitude) exponent += 1;
  return Number.isInteger(magnitude * 2 ** (10 - exponent));
}

/**
 * Floats must be finite, non-integral (JS cannot tell 1.0 from 1, so an integral float would
 * decode to a number that re-encodes as an integer: RFC 8949 §4.2.2 lets a protocol require
 * integers there, and we do) and in the shortest width that holds them exactly.
 */
function checkFloat(value: number, width: number, start: number): void {
  if (!Number.isFinite(value)) {
    throw new CoseError('CBOR_UNSUPPORTED', `NaN or infinity at byte ${start} is not accepted`);
  }
  if (Number.isInteger(value)) {
    throw new CoseError('CBOR_NON_CANONICAL', `float at byte ${start} has an integral value; use an integer`);
  }
  if (width !== shortestFloatWidth(value)) {
    throw new CoseError('CBOR_NON_CANONICAL', `float at byte ${start} is not in its shortest form`);
  }
}

/** Bytes after the initial byte in the shortest IEEE 754 form that holds `value` exactly. */
function shortestFloatWidth(value: number): number {
  return fitsFloat16(value) ? 2 : Math.fround(value) === value ? 4 : 8;
}

function cborgFloatWidth(value: number): number {
  return encode(value, rfc8949EncodeOptions).length - 1;
}
