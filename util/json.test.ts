import { describe, expect, it } from 'vitest';
import { canonicalJson, JsonSyntaxError, parseFully, parseStrictJson } from './json.js';

const LIMITS = { maxLength: 10_000, maxDepth: 8 };
const parse = (text: string) => parseStrictJson(text, LIMITS);

describe('parseStrictJson', () => {
  it('reads what JSON.parse reads, for well-formed input', () => {
    for (const text of ['{}', '[]', '0', '-1.5e3', '"a\\u00e9\\n"', 'true', 'null', ' {"a": [1, {"b": false}], "c": "\\ud83d\\ude00"} ']) {
      expect(parse(text)).toEqual(JSON.parse(text));
    }
  });

  it('refuses duplicate names, lone surrogates, and what RFC 8259 does not allow', () => {
    for (const text of ['{"a":1,"a":2}', '"\\ud800"', '"\\udc00x"', '[1,]', '{"a":1,}', '01', '1.', '.5', "'a'", '"\t"', 'NaN', '[1] [2]', '', '{"a"}', 'tru', '"\\x41"']) {
      expect(() => parse(text), text).toThrow(JsonSyntaxError);
    }
  });

  it('bounds depth and length without recursing', () => {
    expect(() => parse('['.repeat(9) + ']'.repeat(9))).toThrow(/nested deeper than 8/);
    expect(parse('['.repeat(8) + ']'.repeat(8))).toBeDefined();
    expect(() => parseStrictJson('['.repeat(1_000_000), { maxLength: 2_000_000, maxDepth: 8 })).toThrow(/nested deeper/);
    expect(() => parse(' '.repeat(10_001))).toThrow(/longer than/);
  });

  it('finds a repeated name wherever the fast path could lose it', () => {
    for (const text of [
      '{"a":{"b":1,"b":2},"a":3}', // the repeat is inside the value JSON.parse drops
      '[{"x":[{"k":1,"k":1}]}]',
      '{"1":1,"b":2,"1":3}', // integer-like names, which objects reorder
      '{"a\\"":1,"a\\"":2}', // escaped quotes in the name
      '{"\\u0061":1,"a":2}', // the same name spelled two ways
      '{"__proto__":1,"__proto__":2}',
    ]) {
      expect(() => parse(text), text).toThrow(/appears twice/);
    }
    expect(parse('{"a:b":"c:d","e":"\\\\"}')).toEqual({ 'a:b': 'c:d', e: '\\' });
    expect(() => parse('1e999')).toThrow(/out of range/);
    expect(() => parse('{"\\udc00":1}')).toThrow(/lone surrogate/);
    expect(() => parse('"\\\\ud800"')).not.toThrow(); // an escaped backslash, then text
  });

  it('agrees with the full parser on thousands of generated texts, well-formed and not', () => {
    // A seeded xorshift: the same texts on every run.
    let seed = 0x9e3779b9;
    const next = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const names = ['a', 'b', '1', '__proto__', 'a\\"', '\\u0061', ':', '\\ud800', '\\ud83d\\ude00'];
    const atoms = ['0', '-1.5', '1e999', 'true', 'null', '"x"', '"\\ud800"', '"a:b"', '"\\\\"'];
    const value = (depth: number): string => {
      const kind = next(depth > 4 ? 1 : 3);
      if (kind === 0) return atoms[next(atoms.length)]!;
      if (kind === 1) return `[${Array.from({ length: next(3) }, () => value(depth + 1)).join(',')}]`;
      return `{${Array.from({ length: next(4) }, () => `"${names[next(names.length)]}":${value(depth + 1)}`).join(',')}}`;
    };
    const outcome = (f: () => unknown) => {
      try {
        return { value: f() };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    let refused = 0;
    for (let i = 0; i < 5000; i++) {
      let text = value(0);
      // Damage one text in four: drop, double or swap a character.
      if (next(4) === 0 && text.length > 1) {
        const at = next(text.length);
        text = [text.slice(0, at) + text.slice(at + 1), text.slice(0, at) + text[at]! + text.slice(at), text.slice(0, at) + ',' + text.slice(at + 1)][next(3)]!;
      }
      const fast = outcome(() => parse(text));
      expect(fast, text).toEqual(outcome(() => parseFully(text, LIMITS)));
      if ('error' in fast) refused++;
    }
    // Both kinds were exercised.
    expect(refused).toBeGreaterThan(500);
    expect(refused).toBeLessThan(4500);
  });

  it('keeps a "__proto__" member as a member', () => {
    const value = parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('says where, never what', () => {
    expect.assertions(1);
    try {
      parse('{"secret-value": 1, "secret-value": 2}');
    } catch (error) {
      expect((error as Error).message).toBe('a member name appears twice in one object at character 20');
    }
  });
});

describe('canonicalJson', () => {
  it('sorts members by UTF-16 code units and writes no whitespace', () => {
    expect(canonicalJson({ b: [3, 'x', null, true], a: { d: 1, c: 2 }, '\u00e9': 0, Z: 0, '\ud83d\ude00': 0, '\uffff': 0 })).toBe(
      '{"Z":0,"a":{"c":2,"d":1},"b":[3,"x",null,true],"é":0,"😀":0,"\uffff":0}',
    );
  });

  it('holds safe integers only', () => {
    expect(() => canonicalJson(1.5)).toThrow(TypeError);
    expect(() => canonicalJson(2 ** 60)).toThrow(TypeError);
    expect(() => canonicalJson({ a: undefined } as never)).toThrow(TypeError);
  });
});
