import { encode as cborgEncode } from 'cborg';
import { describe, expect, it } from 'vitest';
import { CborTag, type CborValue, DEFAULT_CBOR_LIMITS, decodeCbor, encodeCbor } from './cbor.js';
import { CoseError, type CoseErrorCode } from './errors.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** Runs `action` and returns the CoseError code it threw; fails on success or any other error. */
function codeOf(action: () => unknown): CoseErrorCode {
  try {
    action();
  } catch (error) {
    if (error instanceof CoseError) return error.code;
    throw new Error(`expected a CoseError, got ${String(error)}`);
  }
  throw new Error('expected a CoseError, but nothing was thrown');
}

const decodeHex = (text: string, options?: Parameters<typeof decodeCbor>[1]) => decodeCbor(unhex(text), options);

describe('encodeCbor: RFC 8949 core deterministic encoding', () => {
  it('sorts map keys bytewise by their encoding, whatever the insertion order', () => {
    // Keys 1 (0x01), 4 (0x04), -1 (0x20), -3 (0x22), "a" (0x6161): that order, always.
    const a = new Map<number | string, CborValue>([['a', 0], [-3, 0], [4, 0], [-1, 0], [1, 0]]);
    const b = new Map<number | string, CborValue>([[1, 0], [-1, 0], [-3, 0], ['a', 0], [4, 0]]);
    expect(hex(encodeCbor(a))).toBe('a5' + '0100' + '0400' + '2000' + '2200' + '616100');
    expect(hex(encodeCbor(b))).toBe(hex(encodeCbor(a)));
  });

  it('uses minimal integer and length encodings', () => {
    expect(hex(encodeCbor(23))).toBe('17');
    expect(hex(encodeCbor(24))).toBe('1818');
    expect(hex(encodeCbor(255))).toBe('18ff');
    expect(hex(encodeCbor(256))).toBe('190100');
    expect(hex(encodeCbor(65536))).toBe('1a00010000');
    expect(hex(encodeCbor(2 ** 32))).toBe('1b0000000100000000');
    expect(hex(encodeCbor(-7))).toBe('26');
    expect(hex(encodeCbor(-35))).toBe('3822');
    expect(hex(encodeCbor(new Uint8Array(24)))).toBe('5818' + '00'.repeat(24));
  });

  it('writes floats in their shortest exact width', () => {
    expect(hex(encodeCbor(1.5))).toBe('f93e00');
    expect(hex(encodeCbor(100000.5))).toBe('fa47c35040');
    expect(hex(encodeCbor(0.1))).toBe('fb3fb999999999999a');
  });

  it('encodes tags, null, booleans', () => {
    expect(hex(encodeCbor(new CborTag(18, [null, true, false])))).toBe('d283f6f5f4');
  });

  it('refuses values outside the data model rather than guessing', () => {
    const refused: unknown[] = [
      undefined,
      { 1: 'a plain object would encode the text key "1"' },
      [undefined],
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 53,
      10n,
      () => 0,
      new Map([[new Uint8Array(1), 0]]),
      new Map([[1.5, 0]]),
      new Set([1]),
      '\uD800 lone surrogate',
      'lone \uDC00',
      new Map([['\uDBFF', 0]]),
    ];
    for (const value of refused) expect(codeOf(() => encodeCbor(value as CborValue))).toBe('CBOR_UNENCODABLE');
  });

  it('stops on a cyclic value', () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(codeOf(() => encodeCbor(cycle as CborValue))).toBe('CBOR_UNENCODABLE');
  });
});

describe('decodeCbor: accepts strict CBOR', () => {
  it('round-trips the data model', () => {
    const value = new CborTag(
      18,
      [
        0, 23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER,
        -1, -24, -25, -256, -257, -(2 ** 32), Number.MIN_SAFE_INTEGER,
        1.5, -0.25, 0.1, 100000.5, 2 ** -24, 1.5e-300,
        '', 'text', '\u{1F600}', '\uFEFFbom kept',
        new Uint8Array(0), new Uint8Array([1, 2, 3]),
        null, true, false,
        [], [[[]]],
        new Map(), new Map<number | string, CborValue>([[1, -7], [-1, 'x'], ['1', new Map([[4, new Uint8Array(2)]])]]),
      ],
    );
    const bytes = encodeCbor(value);
    const decoded = decodeCbor(bytes);
    expect(decoded).toEqual(value);
    expect(hex(encodeCbor(decoded))).toBe(hex(bytes));
  });

  it('keeps integer 1 and text "1" apart as map keys', () => {
    const decoded = decodeHex('a2 01 00 61 31 01') as Map<number | string, CborValue>;
    expect(decoded.get(1)).toBe(0);
    expect(decoded.get('1')).toBe(1);
  });

  it('accepts map keys in any order (order is not part of validity)', () => {
    expect(decodeHex('a2 20 00 01 00')).toEqual(new Map([[-1, 0], [1, 0]]));
  });

  it('accepts the largest safe integers and nothing beyond', () => {
    expect(decodeHex('1b 001fffffffffffff')).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeHex('3b 001ffffffffffffe')).toBe(Number.MIN_SAFE_INTEGER);
    expect(codeOf(() => decodeHex('1b 0020000000000000'))).toBe('CBOR_UNSUPPORTED');
    expect(codeOf(() => decodeHex('3b 001fffffffffffff'))).toBe('CBOR_UNSUPPORTED');
    expect(codeOf(() => decodeHex('3b ffffffffffffffff'))).toBe('CBOR_UNSUPPORTED');
  });

  it('returns byte strings that do not alias the input', () => {
    const input = Buffer.from('43010203', 'hex');
    const decoded = decodeCbor(input) as Uint8Array;
    input[1] = 0xff;
    expect(hex(decoded)).toBe('010203');
  });

  it('byte strings of every size are independent copies, whether on the heap, in a shared slab or on their own', () => {
    // 64 and below: the heap; 65 to 2048: views into a shared 8 KiB slab; above: a buffer each.
    // Enough of them to fill several slabs, so that some straddle a slab's end.
    const lengths = [0, 1, 63, 64, 65, 66, 100, 1000, 2047, 2048, 2049, 5000, ...Array.from({ length: 40 }, (_, i) => 65 + i * 97)];
    const strings = lengths.map((length, n) => new Uint8Array(length).map((_, i) => (i * 31 + n) & 0xff));
    const input = new Uint8Array(encodeCbor(strings));
    const decoded = decodeCbor(input) as Uint8Array[];
    input.fill(0xee); // the input changed after decoding: nothing decoded may follow it
    decoded.forEach((bytes, n) => {
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(bytes)).toBe(false);
      expect(hex(bytes)).toBe(hex(strings[n]!));
    });
    // Writing to one (up to its last byte) changes no other, in this decode or the next.
    const again = decodeCbor(encodeCbor(strings)) as Uint8Array[];
    for (const bytes of decoded) bytes.fill(0xab);
    again.forEach((bytes, n) => expect(hex(bytes)).toBe(hex(strings[n]!)));
    decoded.forEach((bytes, n) => expect(bytes.every((byte) => byte === 0xab)).toBe(bytes.length === strings[n]!.length));
  });

  it('accepts allowed tags only: 18 by default, the caller’s list otherwise', () => {
    expect(decodeHex('d2 80')).toEqual(new CborTag(18, []));
    expect(decodeHex('c1 00', { tags: [1] })).toEqual(new CborTag(1, 0));
    expect(codeOf(() => decodeHex('d2 80', { tags: [] }))).toBe('CBOR_UNKNOWN_TAG');
  });
});

describe('decodeCbor: refuses everything else, each with its code', () => {
  const cases: [string, string, CoseErrorCode][] = [
    ['empty input', '', 'CBOR_TRUNCATED'],
    ['trailing bytes', '01 02', 'CBOR_TRAILING_BYTES'],
    ['duplicate integer key', 'a2 01 01 01 02', 'CBOR_DUPLICATE_KEY'],
    ['duplicate text key', 'a2 61 61 01 61 61 02', 'CBOR_DUPLICATE_KEY'],
    ['duplicate key in a nested map', '81 a2 20 00 20 01', 'CBOR_DUPLICATE_KEY'],
    ['non-minimal uint8', '18 17', 'CBOR_NON_CANONICAL'],
    ['non-minimal uint16', '19 00ff', 'CBOR_NON_CANONICAL'],
    ['non-minimal uint32', '1a 0000ffff', 'CBOR_NON_CANONICAL'],
    ['non-minimal uint64', '1b 00000000ffffffff', 'CBOR_NON_CANONICAL'],
    ['non-minimal negative int', '38 00', 'CBOR_NON_CANONICAL'],
    ['non-minimal byte string length', '58 01 00', 'CBOR_NON_CANONICAL'],
    ['non-minimal text length', '79 0001 61', 'CBOR_NON_CANONICAL'],
    ['non-minimal array length', '98 01 00', 'CBOR_NON_CANONICAL'],
    ['non-minimal map length', 'b8 01 00 00', 'CBOR_NON_CANONICAL'],
    ['non-minimal tag number', 'd8 12 80', 'CBOR_NON_CANONICAL'],
    ['float wider than needed (1.5 as float32)', 'fa 3fc00000', 'CBOR_NON_CANONICAL'],
    ['float wider than needed (1.5 as float64)', 'fb 3ff8000000000000', 'CBOR_NON_CANONICAL'],
    ['integral float (1.0)', 'f9 3c00', 'CBOR_NON_CANONICAL'],
    ['negative zero', 'f9 8000', 'CBOR_NON_CANONICAL'],
    ['NaN', 'f9 7e00', 'CBOR_UNSUPPORTED'],
    ['infinity', 'f9 7c00', 'CBOR_UNSUPPORTED'],
    ['indefinite-length array', '9f 01 ff', 'CBOR_INDEFINITE_LENGTH'],
    ['indefinite-length map', 'bf 01 02 ff', 'CBOR_INDEFINITE_LENGTH'],
    ['indefinite-length byte string', '5f 41 00 ff', 'CBOR_INDEFINITE_LENGTH'],
    ['indefinite-length text string', '7f 61 61 ff', 'CBOR_INDEFINITE_LENGTH'],
    ['nested indefinite array', '81 9f ff', 'CBOR_INDEFINITE_LENGTH'],
    ['stray break', 'ff', 'CBOR_MALFORMED'],
    ['reserved additional information', '1c', 'CBOR_MALFORMED'],
    ['reserved additional information on a tag', 'dc', 'CBOR_MALFORMED'],
    ['indefinite integer', '1f', 'CBOR_MALFORMED'],
    ['undefined', 'f7', 'CBOR_UNSUPPORTED'],
    ['undefined in an array', '82 01 f7', 'CBOR_UNSUPPORTED'],
    ['simple value', 'e0', 'CBOR_UNSUPPORTED'],
    ['one-byte simple value', 'f8 20', 'CBOR_UNSUPPORTED'],
    ['unknown tag', 'c1 00', 'CBOR_UNKNOWN_TAG'],
    ['unknown tag inside an allowed one', 'd2 c0 60', 'CBOR_UNKNOWN_TAG'],
    ['64-bit tag number', 'db 0000000100000000 00', 'CBOR_UNKNOWN_TAG'],
    ['array as map key', 'a1 80 01', 'CBOR_UNSUPPORTED'],
    ['byte string as map key', 'a1 41 00 01', 'CBOR_UNSUPPORTED'],
    ['float as map key', 'a1 f9 3e00 01', 'CBOR_UNSUPPORTED'],
    ['invalid UTF-8', '62 c3 28', 'CBOR_INVALID_UTF8'],
    ['UTF-8 surrogate', '63 eda080', 'CBOR_INVALID_UTF8'],
    ['overlong UTF-8', '62 c0 af', 'CBOR_INVALID_UTF8'],
    ['truncated head', '19 01', 'CBOR_TRUNCATED'],
    ['truncated string', '43 0102', 'CBOR_TRUNCATED'],
    ['truncated float', 'fb 3ff8', 'CBOR_TRUNCATED'],
    ['array missing items', '83 01 02', 'CBOR_TRUNCATED'],
    ['map missing a value', 'a1 01', 'CBOR_TRUNCATED'],
    ['tag without content', 'd2', 'CBOR_TRUNCATED'],
    ['count larger than the input can hold', '99 0fff 00', 'CBOR_TRUNCATED'],
    ['absurd string length', '5b 0000000100000000', 'CBOR_TOO_LARGE'],
    ['string length beyond 2^53', '5b ffffffffffffffff', 'CBOR_TOO_LARGE'],
    ['array count over the item limit', '9a 00010000', 'CBOR_TOO_LARGE'],
  ];
  for (const [name, input, code] of cases) {
    it(`${name} → ${code}`, () => {
      expect(codeOf(() => decodeHex(input))).toBe(code);
    });
  }

  it('refuses input larger than maxBytes before reading it', () => {
    const big = new Uint8Array(DEFAULT_CBOR_LIMITS.maxBytes + 1);
    expect(codeOf(() => decodeCbor(big))).toBe('CBOR_TOO_LARGE');
    expect(codeOf(() => decodeHex('43 010203', { maxBytes: 3 }))).toBe('CBOR_TOO_LARGE');
    expect(decodeHex('43 010203', { maxBytes: 4 })).toEqual(unhex('010203'));
  });

  it('applies the string and item limits', () => {
    expect(codeOf(() => decodeHex('43 010203', { maxStringBytes: 2 }))).toBe('CBOR_TOO_LARGE');
    expect(codeOf(() => decodeHex('63 616263', { maxStringBytes: 2 }))).toBe('CBOR_TOO_LARGE');
    expect(codeOf(() => decodeHex('83 010203', { maxItems: 2 }))).toBe('CBOR_TOO_LARGE');
    expect(codeOf(() => decodeHex('a2 0101 0202', { maxItems: 1 }))).toBe('CBOR_TOO_LARGE');
    expect(decodeHex('82 0102', { maxItems: 2 })).toEqual([1, 2]);
  });

  it('refuses bad options as misuse', () => {
    expect(codeOf(() => decodeHex('00', { maxDepth: -1 }))).toBe('COSE_BAD_ARGUMENT');
    expect(codeOf(() => decodeHex('00', { tags: [1.5] }))).toBe('COSE_BAD_ARGUMENT');
    expect(codeOf(() => decodeCbor('00' as unknown as Uint8Array))).toBe('COSE_BAD_ARGUMENT');
  });
});

describe('decodeCbor: nesting depth', () => {
  const nested = (opener: string, depth: number, leaf = '00') => unhex(opener.repeat(depth) + leaf);

  it('accepts exactly maxDepth levels and refuses one more', () => {
    expect(() => decodeCbor(nested('81', 16))).not.toThrow();
    expect(codeOf(() => decodeCbor(nested('81', 17)))).toBe('CBOR_TOO_DEEP');
    expect(codeOf(() => decodeCbor(nested('81', 4), { maxDepth: 3 }))).toBe('CBOR_TOO_DEEP');
    // An empty container counts as a level too.
    expect(codeOf(() => decodeCbor(nested('81', 16, '80')))).toBe('CBOR_TOO_DEEP');
  });

  it('counts arrays, maps and tags alike', () => {
    expect(() => decodeCbor(nested('a101', 16))).not.toThrow();
    expect(codeOf(() => decodeCbor(nested('a101', 17)))).toBe('CBOR_TOO_DEEP');
    expect(codeOf(() => decodeCbor(nested('d2', 17)))).toBe('CBOR_TOO_DEEP');
    expect(codeOf(() => decodeCbor(nested('d281', 9)))).toBe('CBOR_TOO_DEEP');
  });

  it('tracks depth across siblings: a completed container gives its level back', () => {
    // [[[…15…]], [[…15…]]]: two siblings each 15 deep under one array, depth 16.
    const deep = '81'.repeat(14) + '00';
    expect(() => decodeCbor(unhex('82' + '81' + deep + '81' + deep))).not.toThrow();
  });

  it('refuses 100 000 nested arrays, maps or tags at the first level too deep, without a stack overflow', () => {
    for (const opener of ['81', 'a101', 'd2', '9f']) {
      const hostile = nested(opener, 100_000);
      let error: unknown;
      try {
        decodeCbor(hostile, { maxBytes: hostile.length });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CoseError);
      expect((error as CoseError).code).toBe(opener === '9f' ? 'CBOR_INDEFINITE_LENGTH' : 'CBOR_TOO_DEEP');
      // Refused where level 17 opens (or at the first indefinite head): the rest is never read.
      const at = opener === '9f' ? 0 : (16 * opener.length) / 2;
      expect((error as CoseError).message).toContain(`at byte ${at}`);
    }
  });

  it('lets a caller raise maxDepth, still bounded by that limit', () => {
    // The limit is the caller's to choose; with the default it is 16. A raised limit still bounds
    // recursion to that many levels, which cborg handles fine well into the thousands.
    expect(() => decodeCbor(nested('81', 1000), { maxDepth: 1000 })).not.toThrow();
  });
});

function readHalf(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const fraction = half & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

describe('decodeCbor: never leaks anything but CoseError', () => {
  // A tiny deterministic generator (xorshift32), so failures reproduce.
  function generator(seed: number) {
    let state = seed >>> 0 || 1;
    return () => {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state;
    };
  }

  it('survives random mutations of a valid item', () => {
    const valid = encodeCbor(
      new CborTag(18, [unhex('a10126'), new Map<number, CborValue>([[4, unhex('3131')], [394, [unhex('d28040f6')]]]), null, new Uint8Array(64)]),
    );
    const next = generator(0x5eed);
    for (let round = 0; round < 3000; round++) {
      const mutated = Uint8Array.from(valid);
      const flips = 1 + (next() % 4);
      for (let i = 0; i < flips; i++) mutated[next() % mutated.length] = next() & 0xff;
      try {
        decodeCbor(mutated);
      } catch (error) {
        expect(error).toBeInstanceOf(CoseError);
      }
    }
  });

  it('survives random bytes', () => {
    const next = generator(0xbadc0de);
    for (let round = 0; round < 3000; round++) {
      const bytes = Uint8Array.from({ length: 1 + (next() % 40) }, () => next() & 0xff);
      try {
        decodeCbor(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(CoseError);
      }
    }
  });

  it('agrees with cborg on the shortest width of every float it writes', () => {
    const next = generator(0xf10a7);
    const view = new DataView(new ArrayBuffer(8));
    const samples: number[] = [];
    for (let i = 0; i < 3000; i++) {
      view.setUint16(0, next() & 0xffff);
      samples.push(readHalf(view.getUint16(0)));
      view.setUint32(0, next());
      samples.push(view.getFloat32(0));
      view.setUint32(0, next());
      view.setUint32(4, next());
      samples.push(view.getFloat64(0));
    }
    let checked = 0;
    for (const value of samples) {
      if (!Number.isFinite(value) || Number.isInteger(value)) continue;
      const halfSubnormal = Math.abs(value) < 2 ** -14 && Number.isInteger(value * 2 ** 24);
      const powerOfTwo = Number.isInteger(Math.log2(Math.abs(value)));
      if (halfSubnormal && !powerOfTwo) {
        // cborg would write binary32; we refuse to encode, and accept only the binary16 form.
        expect(codeOf(() => encodeCbor(value))).toBe('CBOR_UNENCODABLE');
        expect(codeOf(() => decodeCbor(cborgEncode(value)))).toBe('CBOR_NON_CANONICAL');
      } else {
        const bytes = cborgEncode(value);
        expect(decodeCbor(bytes)).toBe(value);
        expect(hex(encodeCbor(value))).toBe(hex(bytes));
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('reads binary16 subnormals in their shortest form (which cborg cannot write)', () => {
    expect(decodeHex('f9 0003')).toBe(3 * 2 ** -24);
    expect(decodeHex('f9 0001')).toBe(2 ** -24);
    expect(hex(encodeCbor(2 ** -24))).toBe('f90001');
    expect(codeOf(() => decodeHex('fa 34400000'))).toBe('CBOR_NON_CANONICAL');
    expect(codeOf(() => encodeCbor(3 * 2 ** -24))).toBe('CBOR_UNENCODABLE');
  });

  it('agrees with cborg on everything cborg’s deterministic encoder writes', () => {
    const value = [1, -1, 'a', new Uint8Array([1]), [new Map([['k', 1.25]])], null, true];
    expect(decodeCbor(cborgEncode(value))).toEqual(value);
  });
});
