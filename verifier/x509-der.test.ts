import { describe, expect, it } from 'vitest';
import { CertificateError } from './errors.js';
import { Tag, checkStrictDer, decodeOid, readElement, readTime } from './x509-der.js';

const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const time = (tag: number, text: string) => readTime({ tag, bytes: new Uint8Array(), content: new Uint8Array(Buffer.from(text, 'latin1')) }, 'a time');

function reason(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof CertificateError && error.code === 'CERT_MALFORMED') return error.message;
    throw error;
  }
  throw new Error('expected CERT_MALFORMED');
}

describe('strict DER framing', () => {
  it('reads one definite-length element and refuses trailing bytes', () => {
    expect(readElement(hex('3003 020101')).content).toEqual(hex('020101'));
    expect(reason(() => readElement(hex('3003 020101 00')))).toMatch(/bytes follow/);
    expect(reason(() => readElement(hex('3004 020101')))).toMatch(/truncated/);
  });

  it('refuses indefinite and non-minimal lengths and high tag numbers', () => {
    expect(reason(() => readElement(hex('3080 020101 0000')))).toMatch(/indefinite/);
    expect(reason(() => readElement(hex('308103 020101')))).toMatch(/shortest form/);
    expect(reason(() => readElement(hex('1f8101 00')))).toMatch(/high tag/);
  });

  it('refuses what DER forbids inside: constructed strings, odd BOOLEANs, padded INTEGERs, dirty BIT STRING padding', () => {
    const strict = (text: string) => checkStrictDer(readElement(hex(text)));
    expect(() => strict('3006 0101ff 020180')).not.toThrow();
    expect(() => strict('3007 0101ff 02020080')).not.toThrow();
    expect(reason(() => strict('3007 0101ff 0202ff80'))).toMatch(/shortest form/);
    expect(reason(() => strict('3003 010101'))).toMatch(/BOOLEAN/);
    expect(reason(() => strict('3004 02020001'))).toMatch(/INTEGER/);
    expect(reason(() => strict('3005 2403 040100'))).toMatch(/constructed/);
    expect(reason(() => strict('3004 03020701'))).toMatch(/padding/);
    expect(reason(() => strict('3003 050100'))).toMatch(/NULL/);
  });
});

describe('OIDs', () => {
  it('decodes dotted form and refuses non-minimal sub-identifiers', () => {
    expect(decodeOid(hex('2a8648ce3d040302'))).toBe('1.2.840.10045.4.3.2');
    expect(decodeOid(hex('551d13'))).toBe('2.5.29.19');
    expect(decodeOid(hex('8837'))).toBe('2.999');
    expect(reason(() => decodeOid(hex('2a808648')))).toMatch(/shortest form/);
    expect(reason(() => decodeOid(hex('2a86')))).toMatch(/ends inside/);
  });
});

describe('validity times (RFC 5280 §4.1.2.5)', () => {
  it('reads UTCTime with the 1950–2049 window and GeneralizedTime', () => {
    expect(time(Tag.UTC_TIME, '260301120000Z').toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(time(Tag.UTC_TIME, '500101000000Z').toISOString()).toBe('1950-01-01T00:00:00.000Z');
    expect(time(Tag.GENERALIZED_TIME, '99991231235959Z').toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });

  it('refuses impossible dates, fractions, offsets and missing seconds', () => {
    for (const [tag, text] of [
      [Tag.UTC_TIME, '260230120000Z'],
      [Tag.UTC_TIME, '261301120000Z'],
      [Tag.UTC_TIME, '260301246000Z'],
      [Tag.UTC_TIME, '2603011200Z'],
      [Tag.UTC_TIME, '260301120000+0100'],
      [Tag.GENERALIZED_TIME, '20260301120000.5Z'],
      [Tag.GENERALIZED_TIME, '20260301120000'],
      [Tag.OCTET_STRING, '260301120000Z'],
    ] as const) {
      expect(() => time(tag, text), text).toThrow(CertificateError);
    }
  });
});
