// Checkpoints: formatting, strict parsing, the sequencer's signer and openCheckpoint.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorCode } from '../../test/support/errors.js';
import { EMPTY_ROOT, hashLeaf } from '../tree/index.js';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatCheckpoint,
  NoteError,
  noteCheckpointSigner,
  noteVerifierKey,
  openCheckpoint,
  parseCheckpoint,
  signNote,
} from './index.js';

/** The NoteError code a call throws, or 'ok'. */
const outcome = (run: () => unknown): string => errorCode(run, NoteError);

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (err instanceof NoteError) return err.code;
    throw err;
  }
}

const ORIGIN = 'example.com/atlog';
// A plain Uint8Array, as parseCheckpoint returns (hashLeaf hands back a Buffer).
const ROOT = new Uint8Array(hashLeaf(new TextEncoder().encode('root')));
const ROOT_B64 = Buffer.from(ROOT).toString('base64');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = ed25519NoteSigner(ORIGIN, privateKey);
const verifier = ed25519NoteVerifier(noteVerifierKey(ORIGIN, publicKey));

describe('formatCheckpoint', () => {
  it('writes origin, size and root, one per line, and no extensions', () => {
    expect(formatCheckpoint({ origin: ORIGIN, size: 20852163, rootHash: ROOT })).toBe(`${ORIGIN}\n20852163\n${ROOT_B64}\n`);
    expect(formatCheckpoint({ origin: ORIGIN, size: 0, rootHash: EMPTY_ROOT })).toBe(
      `${ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n`,
    );
    expect(formatCheckpoint({ origin: ORIGIN, size: Number.MAX_SAFE_INTEGER, rootHash: ROOT })).toContain('\n9007199254740991\n');
  });

  it.each([
    ['an empty origin', { origin: '', size: 1, rootHash: ROOT }],
    ['an origin with a space', { origin: 'a b', size: 1, rootHash: ROOT }],
    ['an origin with a plus', { origin: 'a+b', size: 1, rootHash: ROOT }],
    ['an origin with a newline', { origin: 'a\nb', size: 1, rootHash: ROOT }],
    ['a negative size', { origin: ORIGIN, size: -1, rootHash: ROOT }],
    ['a fractional size', { origin: ORIGIN, size: 1.5, rootHash: ROOT }],
    ['an unsafe size', { origin: ORIGIN, size: 2 ** 53, rootHash: ROOT }],
    ['a 31-byte root', { origin: ORIGIN, size: 1, rootHash: ROOT.subarray(1) }],
    ['a 33-byte root', { origin: ORIGIN, size: 1, rootHash: new Uint8Array(33) }],
  ])('refuses %s', (_, body) => {
    expect(outcome(() => formatCheckpoint(body))).toBe('CHECKPOINT_MALFORMED');
  });
});

describe('parseCheckpoint', () => {
  it('reads what formatCheckpoint writes', () => {
    for (const size of [0, 1, 10, 20852163, Number.MAX_SAFE_INTEGER]) {
      const parsed = parseCheckpoint(formatCheckpoint({ origin: ORIGIN, size, rootHash: ROOT }));
      expect(parsed).toEqual({ origin: ORIGIN, size, rootHash: ROOT, extensions: [] });
    }
  });

  it('returns extension lines, and accepts an origin outside the recommended syntax', () => {
    const parsed = parseCheckpoint(`my log+v2\n5\n${ROOT_B64}\nextension one\n— looks like a signature\n`);
    expect(parsed.origin).toBe('my log+v2');
    expect(parsed.extensions).toEqual(['extension one', '— looks like a signature']);
  });

  const valid = (size: string, root = ROOT_B64) => `${ORIGIN}\n${size}\n${root}\n`;
  const b64Of = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');

  it.each([
    ['an empty text', '', /empty/],
    ['only an origin', `${ORIGIN}\n`, /1 line/],
    ['no root hash', `${ORIGIN}\n5\n`, /2 line/],
    ['no final newline', valid('5').slice(0, -1), /newline/],
    ['an empty origin', `\n5\n${ROOT_B64}\n`, /line 1 .*empty/],
    ['an empty size line', `${ORIGIN}\n\n${ROOT_B64}\n`, /line 2 .*empty/],
    ['an empty extension line', `${valid('5')}\next\n`, /line 4 .*empty/],
    ['a trailing blank line', `${valid('5')}\n`, /line 4 .*empty/],
    ['a CR line end', valid('5').replaceAll('\n', '\r\n'), /U\+000D/],
    ['leading zeros', valid('05'), /leading zeros/],
    ['a zero with a leading zero', valid('00'), /leading zeros/],
    ['a plus sign', valid('+5'), /sign/],
    ['a minus sign', valid('-1'), /sign/],
    ['a hex size', valid('0x10'), /decimal/],
    ['an exponent', valid('1e3'), /decimal/],
    ['a fraction', valid('1.0'), /decimal/],
    ['a space in the size', valid(' 5'), /decimal/],
    ['non-ASCII digits', valid('٥'), /decimal/],
    ['an unsafe size', valid('9007199254740992'), /2\^53/],
    ['a 17-digit size', valid('10000000000000000'), /decimal/],
    ['a 31-byte root', valid('5', b64Of(31)), /31 bytes; expected 32/],
    ['a 33-byte root', valid('5', b64Of(33)), /33 bytes; expected 32/],
    ['an empty root line', valid('0', ''), /line 3 .*empty/],
    ['an unpadded root', valid('5', ROOT_B64.slice(0, -1)), /base64/],
    ['a base64url root', valid('5', Buffer.alloc(32, 0xfb).toString('base64url') + '='), /base64/],
    ['a root with a space', valid('5', ` ${ROOT_B64}`), /base64/],
    ['a root with non-zero padding bits', valid('5', `${ROOT_B64.slice(0, 42)}${flip(ROOT_B64[42]!)}=`), /base64/],
  ])('refuses %s', (_, text, why) => {
    expect(outcome(() => parseCheckpoint(text))).toBe('CHECKPOINT_MALFORMED');
    try {
      parseCheckpoint(text);
    } catch (err) {
      expect((err as Error).message).toMatch(why);
    }
  });
});

describe('noteCheckpointSigner and openCheckpoint', () => {
  const head = { size: 42, rootHash: ROOT, timestamp: 1_700_000_000_000 };

  it('signs a head as a checkpoint note that openCheckpoint accepts', async () => {
    const bytes = await noteCheckpointSigner(ORIGIN, signer).sign(head);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const note = new TextDecoder().decode(bytes);
    expect(note.startsWith(`${ORIGIN}\n42\n${ROOT_B64}\n\n— ${ORIGIN} `)).toBe(true);
    const opened = openCheckpoint(bytes, ORIGIN, [verifier]);
    expect(opened.checkpoint).toEqual({ origin: ORIGIN, size: 42, rootHash: ROOT, extensions: [] });
    expect(opened.signatures).toEqual([{ name: ORIGIN, keyId: signer.keyId }]);
  });

  it('leaves the timestamp out: heads that differ only in time sign the same text', async () => {
    const a = await noteCheckpointSigner(ORIGIN, signer).sign(head);
    const b = await noteCheckpointSigner(ORIGIN, signer).sign({ ...head, timestamp: head.timestamp + 1 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('refuses a bad origin or signer when it is built, and a bad head when it signs', async () => {
    expect(outcome(() => noteCheckpointSigner('bad origin', signer))).toBe('CHECKPOINT_MALFORMED');
    expect(outcome(() => noteCheckpointSigner(ORIGIN, { ...signer, name: 'a+b' }))).toBe('KEY_MALFORMED');
    const cp = noteCheckpointSigner(ORIGIN, signer);
    expect(await rejection(cp.sign({ ...head, size: -1 }))).toBe('CHECKPOINT_MALFORMED');
    expect(await rejection(cp.sign({ ...head, rootHash: new Uint8Array(31) }))).toBe('CHECKPOINT_MALFORMED');
  });

  it('refuses a checkpoint for another origin', async () => {
    const other = await noteCheckpointSigner('example.com/other', signer).sign(head);
    expect(outcome(() => openCheckpoint(other, ORIGIN, [verifier]))).toBe('CHECKPOINT_WRONG_ORIGIN');
  });

  it('names the wrong origin without echoing all of it', async () => {
    const long = `example.com/${'a'.repeat(10_000)}`;
    const note = await noteCheckpointSigner(long, signer).sign(head);
    try {
      openCheckpoint(note, ORIGIN, [verifier]);
      expect.unreachable();
    } catch (err) {
      expect((err as NoteError).code).toBe('CHECKPOINT_WRONG_ORIGIN');
      expect((err as NoteError).message).toContain(`expected "${ORIGIN}"`);
      expect((err as NoteError).message.length).toBeLessThan(250);
    }
  });

  it('verifies before parsing: an unsigned or badly signed checkpoint is a note error', async () => {
    const note = new TextDecoder().decode(await noteCheckpointSigner(ORIGIN, signer).sign(head));
    expect(outcome(() => openCheckpoint(note, ORIGIN, []))).toBe('NOTE_UNVERIFIED');
    expect(outcome(() => openCheckpoint(note.replace('\n42\n', '\n43\n'), ORIGIN, [verifier]))).toBe('NOTE_BAD_SIGNATURE');
  });

  it('refuses a well-signed note that is not a checkpoint', () => {
    for (const text of ['hello\n', `${ORIGIN}\n042\n${ROOT_B64}\n`, `${ORIGIN}\n42\n${b64(31)}\n`]) {
      expect(outcome(() => openCheckpoint(signNote(text, [signer]), ORIGIN, [verifier]))).toBe('CHECKPOINT_MALFORMED');
    }
  });
});

function b64(bytes: number): string {
  return Buffer.alloc(bytes, 1).toString('base64');
}

/** The base64 character with its lowest bit set, which only ever lands in the padding bits here. */
function flip(char: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  return alphabet[alphabet.indexOf(char) ^ 1]!;
}
