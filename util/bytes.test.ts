import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/support/naive-tree.js';
import { fromBase64, fromHex, readUint64BE, toBase64, toHex, writeUint64BE } from './index.js';

describe('bytes', () => {
  it('writes and reads 64-bit big-endian integers like DataView, up to 2^53 - 1', () => {
    const random = seededRandom(1);
    const values = [0, 1, 255, 256, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER];
    for (let i = 0; i < 2000; i++) values.push(random(2 ** 21) * 2 ** 32 + random(2 ** 32));
    for (const n of values) {
      const ours = new Uint8Array(10);
      writeUint64BE(ours, 1, n);
      const theirs = new Uint8Array(10);
      new DataView(theirs.buffer).setBigUint64(1, BigInt(n));
      expect(toHex(ours)).toBe(toHex(theirs));
      expect(readUint64BE(ours, 1)).toBe(n);
    }
    const tooBig = new Uint8Array(8);
    new DataView(tooBig.buffer).setBigUint64(0, 2n ** 53n);
    expect(readUint64BE(tooBig, 0)).toBeUndefined();
  });

  it('decodes hex and base64 strictly', () => {
    expect(fromHex('00ff')).toEqual(Uint8Array.of(0, 255));
    for (const bad of ['0', '0g', ' 00', '00 ']) expect(fromHex(bad)).toBeUndefined();
    expect(toBase64(fromBase64('AAE=')!)).toBe('AAE=');
    for (const bad of ['AAE', 'AA E=', 'AAE=\n', '-_8=']) expect(fromBase64(bad)).toBeUndefined();
  });
});
