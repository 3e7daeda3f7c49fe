// Signed notes: round trips, the spec's rules for known and unknown keys, and hostile input.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorCode } from '../../test/support/errors.js';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  NoteError,
  type NoteSigner,
  type NoteVerifier,
  noteVerifierKey,
  openNote,
  signNote,
} from './index.js';

/** The NoteError code a call throws, or 'ok'. */
const outcome = (run: () => unknown): string => errorCode(run, NoteError);

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof NoteError) return err.message;
    throw err;
  }
  throw new Error('expected a NoteError');
}

function keyPair(name: string): { signer: NoteSigner; verifier: NoteVerifier } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: ed25519NoteSigner(name, privateKey), verifier: ed25519NoteVerifier(noteVerifierKey(name, publicKey)) };
}

const alice = keyPair('example.com/alice');
const bob = keyPair('example.com/bob');
const carol = keyPair('example.com/carol');
const TEXT = 'If you think cryptography is the answer to your problem,\nthen you do not know what your problem is.\n';

/** A signer whose signature never verifies, under the identity of `of`. */
function forger(of: NoteSigner): NoteSigner {
  return { name: of.name, keyId: of.keyId, sign: () => new Uint8Array(64).fill(7) };
}

describe('signNote and openNote', () => {
  it('round-trips one signer', () => {
    const note = signNote(TEXT, [alice.signer]);
    expect(note.startsWith(`${TEXT}\n— example.com/alice `)).toBe(true);
    expect(note.endsWith('\n')).toBe(true);
    const opened = openNote(note, [alice.verifier]);
    expect(opened.text).toBe(TEXT);
    expect(opened.signatures).toEqual([{ name: alice.signer.name, keyId: alice.signer.keyId }]);
  });

  it('opens bytes as well as strings', () => {
    const note = new TextEncoder().encode(signNote('é ü 🌍\n', [alice.signer]));
    expect(openNote(note, [alice.verifier]).text).toBe('é ü 🌍\n');
  });

  it('round-trips several signers and reports each known one', () => {
    const note = signNote(TEXT, [alice.signer, bob.signer, carol.signer]);
    const opened = openNote(note, [carol.verifier, alice.verifier]);
    expect(opened.signatures.map((s) => s.name)).toEqual(['example.com/alice', 'example.com/carol']);
  });

  it('keeps blank lines inside the text: the last blank line is the separator', () => {
    for (const text of ['a\n\nb\n', 'a\n\n', '\n', 'a\n\n\n']) {
      expect(openNote(signNote(text, [alice.signer]), [alice.verifier]).text).toBe(text);
    }
  });

  it('ignores signatures of unknown keys, even sharing a name or a key ID with a known one', () => {
    const sameName = keyPair(alice.signer.name).signer;
    const sameId: NoteSigner = { ...forger(alice.signer), name: 'example.com/mallory' };
    const note = signNote(TEXT, [sameName, sameId, bob.signer, alice.signer]);
    expect(openNote(note, [alice.verifier]).signatures).toEqual([{ name: alice.signer.name, keyId: alice.signer.keyId }]);
  });

  it('rejects a note signed only by unknown keys', () => {
    const note = signNote(TEXT, [bob.signer, carol.signer]);
    expect(outcome(() => openNote(note, [alice.verifier]))).toBe('NOTE_UNVERIFIED');
    expect(outcome(() => openNote(note, []))).toBe('NOTE_UNVERIFIED');
  });

  it('rejects a note where a known key fails, even when another known key verifies', () => {
    for (const order of [[alice.signer, forger(bob.signer)], [forger(bob.signer), alice.signer]]) {
      const note = signNote(TEXT, order);
      expect(outcome(() => openNote(note, [alice.verifier]))).toBe('ok');
      expect(outcome(() => openNote(note, [alice.verifier, bob.verifier]))).toBe('NOTE_BAD_SIGNATURE');
    }
  });

  it('checks every signature of a known key, not only its first', () => {
    const good = signNote(TEXT, [alice.signer]);
    const bad = signNote(TEXT, [forger(alice.signer)]);
    const twice = good + bad.slice(TEXT.length + 1);
    expect(outcome(() => openNote(twice, [alice.verifier]))).toBe('NOTE_BAD_SIGNATURE');
    const repeated = good + good.slice(TEXT.length + 1);
    expect(openNote(repeated, [alice.verifier]).signatures).toHaveLength(1);
  });

  it('rejects a tampered text', () => {
    const note = signNote(TEXT, [alice.signer]);
    expect(outcome(() => openNote(note.replace('answer', 'Answer'), [alice.verifier]))).toBe('NOTE_BAD_SIGNATURE');
  });

  it('accepts 16 signatures and the maximum number', () => {
    const many = Array.from({ length: MAX_NOTE_SIGNATURES }, (_, i) => keyPair(`example.com/w${i}`));
    const note16 = signNote(TEXT, many.slice(0, 16).map((k) => k.signer));
    expect(openNote(note16, many.slice(0, 16).map((k) => k.verifier)).signatures).toHaveLength(16);
    const noteMax = signNote(TEXT, many.map((k) => k.signer));
    expect(openNote(noteMax, [many[MAX_NOTE_SIGNATURES - 1]!.verifier]).signatures).toHaveLength(1);
  });

  it('refuses ambiguous verifiers and signers', () => {
    const note = signNote(TEXT, [alice.signer]);
    expect(outcome(() => openNote(note, [alice.verifier, alice.verifier]))).toBe('KEY_AMBIGUOUS');
    expect(outcome(() => signNote(TEXT, [alice.signer, alice.signer]))).toBe('KEY_AMBIGUOUS');
  });
});

describe('signNote refuses what it must not sign', () => {
  it.each([
    ['', 'NOTE_MALFORMED'],
    ['no final newline', 'NOTE_MALFORMED'],
    ['carriage return\r\n', 'NOTE_MALFORMED'],
    ['tab\there\n', 'NOTE_MALFORMED'],
    ['lone surrogate \ud800\n', 'NOTE_MALFORMED'],
  ])('text %j', (text, code) => {
    expect(outcome(() => signNote(text, [alice.signer]))).toBe(code);
  });

  it('needs a signer, at most the maximum', () => {
    expect(outcome(() => signNote(TEXT, []))).toBe('NOTE_NO_SIGNER');
    const signers = Array.from({ length: MAX_NOTE_SIGNATURES + 1 }, (_, i) => ({ ...alice.signer, keyId: i }));
    expect(outcome(() => signNote(TEXT, signers))).toBe('NOTE_TOO_MANY_SIGNATURES');
  });

  it.each(['', 'a b', 'a+b', 'a\tb', 'a\u00a0b', 'a\u3000b'])('signer name %j', (name) => {
    expect(outcome(() => signNote(TEXT, [{ ...alice.signer, name }]))).toBe('KEY_MALFORMED');
  });

  it.each([-1, 2 ** 32, 1.5, Number.NaN])('signer key ID %d', (keyId) => {
    expect(outcome(() => signNote(TEXT, [{ ...alice.signer, keyId }]))).toBe('KEY_MALFORMED');
  });

  it('a signer that returns nothing', () => {
    expect(outcome(() => signNote(TEXT, [{ ...alice.signer, sign: () => new Uint8Array(0) }]))).toBe('NOTE_SIGNER_FAILED');
  });

  it('a note larger than openNote accepts', () => {
    expect(outcome(() => signNote(`${'x'.repeat(MAX_NOTE_BYTES)}\n`, [alice.signer]))).toBe('NOTE_TOO_LARGE');
  });
});

describe('openNote refuses hostile input', () => {
  const note = signNote(TEXT, [alice.signer]);
  const sigLine = note.slice(TEXT.length + 1);
  const [, name, b64] = /^— (\S+) (\S+)\n$/.exec(sigLine)!;
  const open = (n: string | Uint8Array) => outcome(() => openNote(n, [alice.verifier]));

  it.each([
    ['truncated to the text', TEXT, /no blank line/],
    ['truncated in the signature', note.slice(0, note.length - 10), /last signature line does not end in a newline/],
    ['truncated to the blank line', `${TEXT}\n`, /no signature line/],
    ['without the blank line', TEXT + sigLine, /no blank line/],
    ['without the final newline', note.slice(0, -1), /last signature line does not end in a newline/],
    ['with a blank line after the signatures', `${note}\n`, /no signature line/],
    ['with an empty string', '', /no blank line/],
    ['with CRLF line ends', note.replaceAll('\n', '\r\n'), /line 1 .*U\+000D/],
    ['with a CR in the text', `x\r${note}`, /line 1 .*U\+000D/],
    ['with a NUL', `\u0000${note}`, /line 1 .*U\+0000/],
    ['with an escape character', `${TEXT.slice(0, 5)}\u001b[31m${note.slice(5)}`, /line 1 .*U\+001B/],
    ['with a tab in the signature line', note.replace(`— ${name} `, `— ${name}\t`), /line 4 .*U\+0009/],
    ['with a hyphen instead of the em dash', note.replace('— ', '- '), /line 1: does not start with an em dash/],
    ['with no space after the em dash', note.replace('— ', '—'), /line 1: does not start with an em dash/],
    ['with no space before the signature', note.replace(`${name} `, name!), /line 1: has no space/],
    ['with two spaces before the signature', note.replace(`${name} `, `${name}  `), /line 1: has a space inside/],
    ['with a trailing space', note.replace(/\n$/, ' \n'), /line 1: has a space inside/],
    ['with a name containing +', note.replace(`— ${name}`, `— ${name}+x`), /line 1: key name contains "\+"/],
    ['with a name containing a space', note.replace(`— ${name}`, `— a b`), /line 1: has a space inside/],
    ['with a name containing U+3000', note.replace(`— ${name}`, `— a\u3000b`), /line 1: key name contains whitespace/],
    ['with an empty name', note.replace(`— ${name}`, '— '), /line 1: key name is empty/],
    ['with a line that is not a signature', `${note}Unexpected line.\n`, /line 2: does not start with an em dash/],
    ['with unpadded base64', note.replace(b64!, b64!.replace(/=+$/, '')), /line 1: .*base64/],
    ['with base64url', base64url(note), /line 2: .*base64/],
    ['with a non-base64 character', note.replace(b64!, `*${b64!.slice(1)}`), /line 1: .*base64/],
    ['with non-canonical base64 padding bits', note.replace(b64!, nonCanonical(b64!)), /line 1: .*base64/],
    ['with a signature shorter than 4 bytes', note.replace(b64!, 'AAAA'), /line 1: signature is 3 bytes/],
    ['with a key ID and no signature', note.replace(b64!, 'AAAAAA=='), /line 1: signature is 4 bytes/],
    ['with a lone surrogate', `\ud800${note}`, /lone surrogate/],
  ])('a note %s', (_, bad, why) => {
    expect(open(bad)).toBe('NOTE_MALFORMED');
    expect(messageOf(() => openNote(bad, [alice.verifier]))).toMatch(why);
  });

  it.each([
    ['a bare continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x80]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['0xFF', [0xff]],
  ])('a note with %s (invalid UTF-8)', (_, bytes) => {
    const encoded = new TextEncoder().encode(note);
    const bad = new Uint8Array([...bytes, ...encoded]);
    expect(open(bad)).toBe('NOTE_MALFORMED');
  });

  it('keeps a leading byte order mark as part of the signed text', () => {
    expect(open(`\ufeff${note}`)).toBe('NOTE_BAD_SIGNATURE');
    const withBom = signNote(`\ufeff${TEXT}`, [alice.signer]);
    expect(openNote(new TextEncoder().encode(withBom), [alice.verifier]).text).toBe(`\ufeff${TEXT}`);
  });

  it('refuses an oversized note before parsing it, as bytes or as a string', () => {
    const huge = `${'x'.repeat(MAX_NOTE_BYTES)}\n\n${sigLine}`;
    expect(open(huge)).toBe('NOTE_TOO_LARGE');
    expect(open(new TextEncoder().encode(huge))).toBe('NOTE_TOO_LARGE');
    // Fewer UTF-16 units than the limit, more UTF-8 bytes.
    const wide = `${'é'.repeat(MAX_NOTE_BYTES / 2)}\n\n${sigLine}`;
    expect(wide.length).toBeLessThan(MAX_NOTE_BYTES);
    expect(open(wide)).toBe('NOTE_TOO_LARGE');
  });

  it('refuses too many signature lines before verifying any', () => {
    let verified = 0;
    const counting: NoteVerifier = { ...alice.verifier, verify: (m, s) => (verified++, alice.verifier.verify(m, s)) };
    const tooMany = TEXT + '\n' + sigLine.repeat(MAX_NOTE_SIGNATURES + 1);
    expect(outcome(() => openNote(tooMany, [counting]))).toBe('NOTE_TOO_MANY_SIGNATURES');
    expect(verified).toBe(0);
    expect(open(TEXT + '\n' + sigLine.repeat(MAX_NOTE_SIGNATURES))).toBe('ok');
  });

  it('refuses a malformed line anywhere, before verifying any signature', () => {
    let verified = 0;
    const counting: NoteVerifier = { ...alice.verifier, verify: (m, s) => (verified++, alice.verifier.verify(m, s)) };
    expect(outcome(() => openNote(`${note}— bad\n`, [counting]))).toBe('NOTE_MALFORMED');
    expect(verified).toBe(0);
  });

  it('treats a key ID that matches no verifier as an unknown key', () => {
    const sig = Buffer.from(b64!, 'base64');
    sig.writeUInt32BE((alice.signer.keyId + 1) >>> 0, 0);
    expect(open(note.replace(b64!, sig.toString('base64')))).toBe('NOTE_UNVERIFIED');
  });

  it('treats a wrong-length signature from a known key as a bad signature', () => {
    const sig = Buffer.from(b64!, 'base64');
    expect(open(note.replace(b64!, sig.subarray(0, 40).toString('base64')))).toBe('NOTE_BAD_SIGNATURE');
    expect(open(note.replace(b64!, Buffer.concat([sig, Buffer.of(0)]).toString('base64')))).toBe('NOTE_BAD_SIGNATURE');
  });

  it('says where the problem is without echoing the input', () => {
    expect(messageOf(() => openNote(`ab\ncd\r\n\n${sigLine}`, [alice.verifier]))).toMatch(/line 2 .*U\+000D/);
    const long = `${'x'.repeat(10_000)}`;
    const message = messageOf(() => openNote(`${note}— ${long}\n`, [alice.verifier]));
    expect(message).toMatch(/^signature line 2:/);
    expect(message.length).toBeLessThan(200);
  });

  it('refuses a note that is neither string nor bytes', () => {
    expect(outcome(() => openNote(42 as unknown as string, [alice.verifier]))).toBe('NOTE_MALFORMED');
  });
});

/** A note whose signature, in base64url, holds both '-' and '_'. */
function base64url(note: string): string {
  const signature = Buffer.from(new Uint8Array(64).fill(0xfb).fill(0xff, 32));
  const unpadded = Buffer.concat([Buffer.of(0xfb, 0xef, 0xbe, 0xff), signature]).toString('base64url');
  const padded = unpadded.padEnd(Math.ceil(unpadded.length / 4) * 4, '=');
  expect(padded).toMatch(/-.*_/);
  return `${note}— example.com/alice ${padded}\n`;
}

/** The same bytes in base64 with non-zero padding bits, which lax decoders accept. */
function nonCanonical(b64: string): string {
  const i = b64.indexOf('=') - 1;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return b64.slice(0, i) + alphabet[alphabet.indexOf(b64[i]!) | 1] + b64.slice(i + 1);
}
