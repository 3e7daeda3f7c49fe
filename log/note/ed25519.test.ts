// Ed25519 note keys, checked against the known answers of the Go reference implementation.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { errorCode } from '../../test/support/errors.js';
import {
  ed25519KeyId,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  NoteError,
  noteVerifierKey,
  openNote,
  signNote,
} from './index.js';

/** The NoteError code a call throws, or 'ok'. */
const outcome = (run: () => unknown): string => errorCode(run, NoteError);

// Known answers from golang.org/x/mod sumdb/note/note_test.go (commit 02c9913, BSD-3-Clause):
// the signer key string there is "PRIVATE+KEY+PeterNeumann+c74f20a3+" + base64(0x01 ‖ seed).
const PETER_SEED = Buffer.from('AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz', 'base64').subarray(1);
const PETER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const ENOCH_KEY = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_SIG =
  '— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const ENOCH_SIG =
  '— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

/** An Ed25519 private KeyObject from its 32-byte seed (PKCS #8 is a fixed header plus the seed). */
function privateKeyFromSeed(seed: Uint8Array) {
  const header = Buffer.from('302e020100300506032b657004220420', 'hex');
  return createPrivateKey({ key: Buffer.concat([header, seed]), format: 'der', type: 'pkcs8' });
}

describe('Ed25519 note keys: known answers from the Go reference', () => {
  const peterPrivate = privateKeyFromSeed(PETER_SEED);

  it('derives the verifier key and key ID', () => {
    expect(noteVerifierKey('PeterNeumann', createPublicKey(peterPrivate))).toBe(PETER_KEY);
    const signer = ed25519NoteSigner('PeterNeumann', peterPrivate);
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(ed25519NoteVerifier(PETER_KEY).keyId).toBe(0xc74f20a3);
    expect(ed25519NoteVerifier(ENOCH_KEY).keyId).toBe(0xaf0cfe78);
  });

  it('signs exactly as Go does (Ed25519 is deterministic)', () => {
    expect(signNote(GO_TEXT, [ed25519NoteSigner('PeterNeumann', peterPrivate)])).toBe(`${GO_TEXT}\n${PETER_SIG}`);
  });

  it("opens Go's notes: one key known, both known, none known", () => {
    const note = `${GO_TEXT}\n${PETER_SIG}${ENOCH_SIG}`;
    const peter = ed25519NoteVerifier(PETER_KEY);
    const enoch = ed25519NoteVerifier(ENOCH_KEY);
    expect(openNote(note, [peter]).signatures).toEqual([{ name: 'PeterNeumann', keyId: 0xc74f20a3 }]);
    expect(openNote(note, [peter, enoch]).signatures).toHaveLength(2);
    expect(outcome(() => openNote(note, []))).toBe('NOTE_UNVERIFIED');
    // Go's "invalid signature" case: four characters spliced into Peter's signature.
    const spliced = `${GO_TEXT}\n${PETER_SIG.slice(0, 60)}ABCD${PETER_SIG.slice(60)}`;
    expect(outcome(() => openNote(spliced, [peter]))).toBe('NOTE_BAD_SIGNATURE');
  });
});

describe('ed25519NoteVerifier parses verifier keys strictly', () => {
  it('round-trips a generated key', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const key = noteVerifierKey('example.com/log', publicKey);
    expect(key).toMatch(/^example\.com\/log\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
    const verifier = ed25519NoteVerifier(key);
    const signer = ed25519NoteSigner('example.com/log', privateKey);
    expect(verifier.keyId).toBe(signer.keyId);
    const message = new TextEncoder().encode('hi\n');
    const signature = signer.sign(message);
    expect(verifier.verify(message, signature)).toBe(true);
    expect(verifier.verify(message, signature.map((b, i) => (i === 0 ? b ^ 1 : b)))).toBe(false);
    expect(verifier.verify(new TextEncoder().encode('hj\n'), signature)).toBe(false);
    expect(verifier.verify(message, signature.subarray(0, 63))).toBe(false);
  });

  it('computes the key ID over name, newline, type byte and key', () => {
    const raw = Buffer.from(PETER_KEY.split('+')[2]!, 'base64').subarray(1);
    expect(ed25519KeyId('PeterNeumann', raw)).toBe(0xc74f20a3);
    expect(ed25519KeyId('PeterNeumann2', raw)).not.toBe(0xc74f20a3);
  });

  it.each([
    ['', 'KEY_MALFORMED'],
    ['PeterNeumann', 'KEY_MALFORMED'],
    ['PeterNeumann+c74f20a3', 'KEY_MALFORMED'],
    ['+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_MALFORMED'],
    ['Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_MALFORMED'],
    ['PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_MALFORMED'],
    ['PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_MALFORMED'],
    ['PeterNeumann+0c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_MALFORMED'],
    ['PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T', 'KEY_MALFORMED'],
    ['PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW ', 'KEY_MALFORMED'],
    ['PeterNeumann+c74f20a3+', 'KEY_MALFORMED'],
    // Go's own mangled keys: a wrong-length key and an unknown type, each with a matching key ID.
    ['PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==', 'KEY_MALFORMED'],
    ['PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_UNSUPPORTED'],
    // Right shape, wrong key ID: for another name, or one bit off.
    ['PeterNeumann+af0cfe78+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_ID_MISMATCH'],
    ['PeterNeumann+c74f20a2+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_ID_MISMATCH'],
    ['PeterNeumanN+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'KEY_ID_MISMATCH'],
  ])('%j', (key, code) => {
    expect(outcome(() => ed25519NoteVerifier(key))).toBe(code);
  });

  it('refuses every truncation and every one-character change of a valid key', () => {
    // The Go reference's mangling test: no prefix, suffix or infix of a key is itself a key, and
    // bumping any one character breaks it.
    for (let i = 0; i <= PETER_KEY.length; i++) {
      for (let j = i + 1; j <= PETER_KEY.length; j++) {
        if (i === 0 && j === PETER_KEY.length) continue;
        expect(outcome(() => ed25519NoteVerifier(PETER_KEY.slice(i, j))), `[${i}, ${j})`).not.toBe('ok');
      }
    }
    for (let i = 0; i < PETER_KEY.length; i++) {
      const bumped = PETER_KEY.slice(0, i) + String.fromCharCode(PETER_KEY.charCodeAt(i) + 1) + PETER_KEY.slice(i + 1);
      expect(outcome(() => ed25519NoteVerifier(bumped)), bumped).not.toBe('ok');
    }
  });

  it('keeps key material out of error messages', () => {
    const body = 'ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
    for (const key of [`PeterNeumann+c74f20a2+${body}`, `PeterNeumann+c74f20a3+${body.slice(0, -2)}`]) {
      try {
        ed25519NoteVerifier(key);
        expect.unreachable();
      } catch (err) {
        expect((err as Error).message).not.toContain(body.slice(0, 12));
      }
    }
  });
});

describe('Ed25519 signers', () => {
  it('refuses keys of the wrong kind or type, and bad names', () => {
    const ed = generateKeyPairSync('ed25519');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(outcome(() => ed25519NoteSigner('log', ed.publicKey))).toBe('KEY_MALFORMED');
    expect(outcome(() => ed25519NoteSigner('log', ec.privateKey))).toBe('KEY_MALFORMED');
    expect(outcome(() => noteVerifierKey('log', ed.privateKey))).toBe('KEY_MALFORMED');
    expect(outcome(() => noteVerifierKey('log', ec.publicKey))).toBe('KEY_MALFORMED');
    for (const name of ['', 'a b', 'a+b', 'a\nb']) {
      expect(outcome(() => ed25519NoteSigner(name, ed.privateKey))).toBe('KEY_MALFORMED');
      expect(outcome(() => noteVerifierKey(name, ed.publicKey))).toBe('KEY_MALFORMED');
    }
  });
});
