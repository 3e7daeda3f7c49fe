// Strict JSON in and canonical JSON out. JSON.parse takes the last of two equal member names
// silently and nests without limit; a policy file or a did:jwk key read that way could mean two
// things to two readers. So input is parsed here: RFC 8259 grammar only, no duplicate names, no
// lone surrogates, bounded depth and length. Output (the policy description, which is signed and
// hashed) is canonical: members sorted, no whitespace, integers only, so equal data gives equal
// bytes whatever order it was configured in.

/** Why a text is not strict JSON, and where (a character offset, never the text itself). */
export class JsonSyntaxError extends Error {
  readonly offset: number;
  constructor(reason: string, offset: number) {
    super(`${reason} at character ${offset}`);
    this.name = 'JsonSyntaxError';
    this.offset = offset;
  }
}

export interface StrictJsonLimits {
  /** Most characters. */
  readonly maxLength: number;
  /** Deepest nesting of arrays and objects (the top-level value is depth 1). */
  readonly maxDepth: number;
}

// A string token: no raw control characters, only the escapes RFC 8259 defines.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;
// What the fast path of a string leaves to the full grammar: escapes and raw control characters.
const NEEDS_FULL_PARSE = /[\\\u0000-\u001f]/;
const SURROGATE = /[\ud800-\udfff]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Parses strict JSON (see the file comment). Objects come back as plain objects.
 *
 * Every payload of a registration is parsed here twice (the policy, the index), so the common
 * case is fast: one scan of the text counts its object members and bounds its depth, then the
 * native JSON.parse (the same RFC 8259 grammar) builds the value, and a walk of the value counts
 * its members again. JSON.parse keeps the last of two equal names and drops the first with its
 * whole value, so the value has fewer members than the text exactly when a name repeats. Any
 * text that fails a check is parsed again by the full parser below, which says what is wrong and
 * where.
 */
export function parseStrictJson(text: string, limits: StrictJsonLimits): unknown {
  if (typeof text !== 'string') throw new JsonSyntaxError('not text', 0);
  if (text.length > limits.maxLength) throw new JsonSyntaxError(`longer than ${limits.maxLength} characters`, limits.maxLength);
  const members = countMembers(text, limits.maxDepth);
  if (members >= 0) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    if (value !== undefined) {
      // indexOf finds no `\u` in most texts at a tenth of the regex's cost.
      const checkSurrogates = SURROGATE.test(text) || (text.indexOf('\\u') !== -1 && ESCAPED_SURROGATE.test(text));
      if (walkMembers(value, checkSurrogates) === members) return value;
    }
  }
  return parseFully(text, limits);
}

// An escaped UTF-16 surrogate (\uD800 to \uDFFF), which JSON.parse accepts alone.
const ESCAPED_SURROGATE = /\\u[dD][89a-fA-F]/;
const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;

/**
 * The number of object members in a text (its colons outside strings), or -1 when it nests deeper
 * than `maxDepth` or a string does not close (the full parser then says so).
 */
function countMembers(text: string, maxDepth: number): number {
  let members = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // To the closing quote: the next one not escaped by an odd run of backslashes.
      let close = text.indexOf('"', i + 1);
      for (;;) {
        if (close === -1) return -1;
        let slashes = 0;
        while (text.charCodeAt(close - 1 - slashes) === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
        close = text.indexOf('"', close + 1);
      }
      i = close;
    } else if (c === COLON) members++;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return -1;
    } else if (c === 125 || c === 93) depth--;
  }
  return members;
}

/**
 * The number of object members in a parsed value, or -1 when it holds a number JSON.parse made
 * infinite or (when `checkSurrogates`) a string or name with a lone surrogate.
 */
function walkMembers(value: unknown, checkSurrogates: boolean): number {
  if (typeof value === 'number') return Number.isFinite(value) ? 0 : -1;
  if (typeof value === 'string') return checkSurrogates && LONE_SURROGATE.test(value) ? -1 : 0;
  if (typeof value !== 'object' || value === null) return 0;
  let members = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = walkMembers(item, checkSurrogates);
      if (inner < 0) return -1;
      members += inner;
    }
    return members;
  }
  for (const name of Object.keys(value)) {
    if (checkSurrogates && LONE_SURROGATE.test(name)) return -1;
    const inner = walkMembers((value as Record<string, unknown>)[name], checkSurrogates);
    if (inner < 0) return -1;
    members += 1 + inner;
  }
  return members;
}

/**
 * @internal The full grammar, character by character: the reference the fast path is tested
 * against, and the source of every error.
 */
export function parseFully(text: string, limits: StrictJsonLimits): unknown {
  const parser = new Parser(text, limits.maxDepth);
  parser.skipWhitespace();
  const value = parser.value(1);
  parser.skipWhitespace();
  if (parser.at < text.length) throw new JsonSyntaxError('unexpected text after the value', parser.at);
  return value;
}

class Parser {
  at = 0;
  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  skipWhitespace(): void {
    WHITESPACE.lastIndex = this.at;
    WHITESPACE.exec(this.text);
    this.at = WHITESPACE.lastIndex;
  }

  value(depth: number): unknown {
    const c = this.text[this.at];
    if (c === '{' || c === '[') {
      if (depth > this.maxDepth) throw new JsonSyntaxError(`nested deeper than ${this.maxDepth} levels`, this.at);
      return c === '{' ? this.object(depth) : this.array(depth);
    }
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    throw new JsonSyntaxError(c === undefined ? 'unexpected end of text' : 'unexpected character', this.at);
  }

  object(depth: number): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    const names = new Set<string>();
    this.at++; // {
    this.skipWhitespace();
    if (this.text[this.at] === '}') {
      this.at++;
      return object;
    }
    for (;;) {
      if (this.text[this.at] !== '"') throw new JsonSyntaxError('expected a member name', this.at);
      const nameAt = this.at;
      const name = this.string();
      if (names.has(name)) throw new JsonSyntaxError('a member name appears twice in one object', nameAt);
      names.add(name);
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      // A member named "__proto__" must stay a member: assignment would set the prototype, so it
      // alone is defined (defineProperty on every member would make each object a slow dictionary).
      const member = this.value(depth + 1);
      if (name === '__proto__') Object.defineProperty(object, name, { value: member, enumerable: true, writable: true, configurable: true });
      else object[name] = member;
      this.skipWhitespace();
      if (this.text[this.at] === '}') {
        this.at++;
        return object;
      }
      this.expect(',');
      this.skipWhitespace();
    }
  }

  array(depth: number): unknown[] {
    const array: unknown[] = [];
    this.at++; // [
    this.skipWhitespace();
    if (this.text[this.at] === ']') {
      this.at++;
      return array;
    }
    for (;;) {
      array.push(this.value(depth + 1));
      this.skipWhitespace();
      if (this.text[this.at] === ']') {
        this.at++;
        return array;
      }
      this.expect(',');
      this.skipWhitespace();
    }
  }

  string(): string {
    // Fast path: no escape and no control character before the closing quote, so the text
    // between the quotes is the value (the common case; the full grammar below otherwise).
    const close = this.text.indexOf('"', this.at + 1);
    if (close !== -1) {
      const raw = this.text.slice(this.at + 1, close);
      if (!NEEDS_FULL_PARSE.test(raw)) {
        if (SURROGATE.test(raw) && LONE_SURROGATE.test(raw)) throw new JsonSyntaxError('a string holds a lone surrogate', this.at);
        this.at = close + 1;
        return raw;
      }
    }
    STRING.lastIndex = this.at;
    const match = STRING.exec(this.text);
    if (match === null) throw new JsonSyntaxError('malformed string', this.at);
    const value = JSON.parse(match[0]) as string;
    if (LONE_SURROGATE.test(value)) throw new JsonSyntaxError('a string holds a lone surrogate', this.at);
    this.at = STRING.lastIndex;
    return value;
  }

  number(): number {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (match === null) throw new JsonSyntaxError('malformed number', this.at);
    const value = Number(match[0]);
    if (!Number.isFinite(value)) throw new JsonSyntaxError('a number out of range', this.at);
    this.at = NUMBER.lastIndex;
    return value;
  }

  expect(c: string): void {
    if (this.text[this.at] !== c) throw new JsonSyntaxError(`expected "${c}"`, this.at);
    this.at++;
  }
}

const LITERALS: readonly (readonly [string, unknown])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** JSON data the canonical encoder accepts: no floats, no undefined, plain objects only. */
export type CanonicalJson = null | boolean | number | string | readonly CanonicalJson[] | { readonly [name: string]: CanonicalJson };

/**
 * Canonical JSON: object members sorted by name (UTF-16 code units, as RFC 8785), no whitespace,
 * strings as JSON.stringify writes them, numbers safe integers only. For integers and strings
 * this is RFC 8785 (JCS) output, so any JCS implementation reproduces the bytes.
 */
export function canonicalJson(value: CanonicalJson): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('canonical JSON holds safe integers only');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${(value as readonly CanonicalJson[]).map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const object = value as { readonly [name: string]: CanonicalJson };
    const names = Object.keys(object).sort();
    return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalJson(object[name] as CanonicalJson)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}
