import { describe, expect, it } from 'vitest';
import { canonicalJson, JsonSyntaxError, parseStrictJson } from './json.js';

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
