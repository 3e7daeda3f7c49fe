// Signed notes (c2sp.org/signed-note): a text, a blank line, and signature lines
// "— <key name> <base64(key ID ‖ signature)>\n". Signing and opening are pure apart from what the
// signers and verifiers do.
import { toBase64 } from '../../util/index.js';
import { excerpt, NoteError } from './errors.js';
import {
  controlCharacterProblem,
  decodeCanonicalBase64,
  decodeUtf8,
  encodeUtf8,
  isKeyId,
  isWellFormed,
  keyIdHex,
  keyNameProblem,
  noteTextProblem,
  utf8Length,
} from './text.js';

/**
 * The largest note accepted, in bytes. The spec asks verifiers to accept at least 16 signatures
 * and warns that post-quantum ones approach 5 kB; 1 MiB holds the full {@link MAX_NOTE_SIGNATURES}
 * signatures of the largest ML-DSA parameter set (under 7 kB each in base64) with room for the
 * text, and is still small enough to read whole into memory from any peer.
 */
export const MAX_NOTE_BYTES = 1024 * 1024;

/**
 * The most signature lines a note may carry: the limit of the Go reference (golang.org/x/mod
 * sumdb/note), far above the 16 the spec requires and what a log plus its witnesses produce,
 * and low enough that a hostile note costs at most 100 signature checks.
 */
export const MAX_NOTE_SIGNATURES = 100;

/** Signs note texts under one key. `name` and `keyId` become the note's signature line. */
export interface NoteSigner {
  readonly name: string;
  /** uint32 */
  readonly keyId: number;
  sign(message: Uint8Array): Uint8Array;
}

/** Checks signatures of one key, identified by name and key ID together. */
export interface NoteVerifier {
  readonly name: string;
  /** uint32 */
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A key whose signature on the note verified. */
export interface VerifiedSignature {
  readonly name: string;
  readonly keyId: number;
}

export interface OpenedNote {
  /** The note text, including its final newline; trust it only because `signatures` is non-empty. */
  readonly text: string;
  /** Each known key that signed the note, once, in the order of its first signature line. */
  readonly signatures: readonly VerifiedSignature[];
}

const SIGNATURE_PREFIX = '\u2014 ';
const KEY_ID_BYTES = 4;

/** Signs `text` (which must end in a newline) with every signer, in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw new NoteError('NOTE_MALFORMED', `note text ${problem}`);
  if (signers.length === 0) throw new NoteError('NOTE_NO_SIGNER', 'a note needs at least one signer');
  if (signers.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError(
      'NOTE_TOO_MANY_SIGNATURES',
      `${signers.length} signers; a note may carry at most ${MAX_NOTE_SIGNATURES} signatures`,
    );
  }
  indexKeys(signers, 'signer');

  const message = encodeUtf8(text);
  const lines = signers.map((signer) => signatureLine(signer, message));
  const note = `${text}\n${lines.join('')}`;
  // Never produce a note that openNote would refuse.
  const size = utf8Length(note);
  if (size > MAX_NOTE_BYTES) {
    throw new NoteError('NOTE_TOO_LARGE', `the signed note would be ${size} bytes; the limit is ${MAX_NOTE_BYTES}`);
  }
  return note;
}

function signatureLine(signer: NoteSigner, message: Uint8Array): string {
  const signature = signer.sign(message);
  if (!(signature instanceof Uint8Array) || signature.length === 0) {
    throw new NoteError('NOTE_SIGNER_FAILED', `signer ${excerpt(signer.name)} returned no signature`);
  }
  const bytes = new Uint8Array(KEY_ID_BYTES + signature.length);
  new DataView(bytes.buffer).setUint32(0, signer.keyId);
  bytes.set(signature, KEY_ID_BYTES);
  return `${SIGNATURE_PREFIX}${signer.name} ${toBase64(bytes)}\n`;
}

/**
 * Verifies a signed note against the keys the caller trusts and returns its text. Signatures of
 * unknown keys (name and key ID not both matching a verifier) are ignored, as the spec requires;
 * a known key's signature that fails rejects the whole note (the spec's SHOULD, taken as a must);
 * and at least one known key must have signed. Every line is parsed before any signature is
 * checked, so a malformed or oversized note costs no cryptography.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const bytes = noteBytes(note);
  const { text, signatureBlock } = splitNote(bytes);
  const lines = signatureLines(signatureBlock);
  const parsed = lines.map((line, i) => parseSignatureLine(line, i + 1));
  const known = indexKeys(verifiers, 'verifier');

  const message = bytes.subarray(0, utf8Length(text));
  const verified = new Map<string, VerifiedSignature>();
  for (const signature of parsed) {
    const id = keyIdentity(signature.name, signature.keyId);
    const verifier = known.get(id);
    if (verifier === undefined) continue;
    if (verifier.verify(message, signature.signature) !== true) {
      throw new NoteError(
        'NOTE_BAD_SIGNATURE',
        `signature line ${signature.line}: the signature of known key ${excerpt(signature.name)} ` +
          `(key ID ${keyIdHex(signature.keyId)}) does not verify`,
      );
    }
    if (!verified.has(id)) verified.set(id, { name: signature.name, keyId: signature.keyId });
  }
  if (verified.size === 0) {
    throw new NoteError(
      'NOTE_UNVERIFIED',
      `none of the note's ${parsed.length} signature(s) is from one of the ${known.size} known key(s)`,
    );
  }
  return { text, signatures: [...verified.values()] };
}

/** The note as bytes, within the size limit and well-formed enough to encode. */
function noteBytes(note: string | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof note === 'string') {
    // Every UTF-16 unit needs at least one UTF-8 byte: refuse huge strings before encoding them.
    if (note.length > MAX_NOTE_BYTES) throw tooLarge(`more than ${MAX_NOTE_BYTES}`);
    if (!isWellFormed(note)) {
      throw new NoteError('NOTE_MALFORMED', 'note is not well-formed Unicode (it holds a lone surrogate)');
    }
    bytes = encodeUtf8(note);
  } else if (note instanceof Uint8Array) {
    bytes = note;
  } else {
    throw new NoteError('NOTE_MALFORMED', 'a note is a string or a Uint8Array');
  }
  if (bytes.length > MAX_NOTE_BYTES) throw tooLarge(String(bytes.length));
  return bytes;
}

function tooLarge(size: string): NoteError {
  return new NoteError('NOTE_TOO_LARGE', `note is ${size} bytes; the limit is ${MAX_NOTE_BYTES}`);
}

/**
 * Splits a note at its last blank line into the text (with its final newline) and the signature
 * block. The text may itself contain blank lines; signature lines never are blank.
 */
function splitNote(bytes: Uint8Array): { text: string; signatureBlock: string } {
  const note = decodeUtf8(bytes);
  if (note === undefined) throw new NoteError('NOTE_MALFORMED', 'note is not valid UTF-8');
  const control = controlCharacterProblem(note);
  if (control !== undefined) throw new NoteError('NOTE_MALFORMED', `note ${control}`);

  const blank = note.lastIndexOf('\n\n');
  if (blank === -1) {
    throw new NoteError('NOTE_MALFORMED', 'note has no blank line between its text and its signatures');
  }
  return { text: note.slice(0, blank + 1), signatureBlock: note.slice(blank + 2) };
}

/** The signature lines, without their newlines, within the count limit. */
function signatureLines(block: string): string[] {
  if (block.length === 0) throw new NoteError('NOTE_MALFORMED', 'note has no signature line after its last blank line');
  if (!block.endsWith('\n')) {
    throw new NoteError('NOTE_MALFORMED', 'the last signature line does not end in a newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError(
      'NOTE_TOO_MANY_SIGNATURES',
      `note has ${lines.length} signature lines; the limit is ${MAX_NOTE_SIGNATURES}`,
    );
  }
  return lines;
}

interface SignatureLine {
  /** 1-based position among the signature lines, for messages. */
  readonly line: number;
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

function parseSignatureLine(text: string, line: number): SignatureLine {
  const malformed = (what: string) => new NoteError('NOTE_MALFORMED', `signature line ${line}: ${what}`);
  if (!text.startsWith(SIGNATURE_PREFIX)) {
    throw malformed('does not start with an em dash (U+2014) and a space');
  }
  const rest = text.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space === -1) throw malformed('has no space between the key name and the signature');
  const name = rest.slice(0, space);
  const encoded = rest.slice(space + 1);
  if (encoded.includes(' ')) throw malformed('has a space inside the key name or the signature');
  const nameProblem = keyNameProblem(name);
  if (nameProblem !== undefined) throw malformed(`key name ${nameProblem}`);
  const bytes = decodeCanonicalBase64(encoded);
  if (bytes === undefined) throw malformed('signature is not canonical padded standard base64');
  // A key ID alone signs nothing: the Go reference also wants at least one signature byte.
  if (bytes.length <= KEY_ID_BYTES) {
    throw malformed(`signature is ${bytes.length} bytes; it needs a ${KEY_ID_BYTES}-byte key ID and a signature`);
  }
  const keyId = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  return { line, name, keyId, signature: bytes.subarray(KEY_ID_BYTES) };
}

interface KeyIdentity {
  readonly name: string;
  readonly keyId: number;
}

/**
 * Indexes signers or verifiers by (name, key ID), checking each identity. Two keys with the same
 * identity would make a signature line ambiguous, so that is an error rather than a guess.
 */
function indexKeys<K extends KeyIdentity>(keys: readonly K[], role: string): Map<string, K> {
  const index = new Map<string, K>();
  keys.forEach((key, i) => {
    const nameProblem = keyNameProblem(key.name);
    if (nameProblem !== undefined) throw new NoteError('KEY_MALFORMED', `${role} ${i}: key name ${nameProblem}`);
    if (!isKeyId(key.keyId)) throw new NoteError('KEY_MALFORMED', `${role} ${i}: key ID is not a uint32`);
    const id = keyIdentity(key.name, key.keyId);
    if (index.has(id)) {
      throw new NoteError(
        'KEY_AMBIGUOUS',
        `${role} ${i} has the same key name and key ID as an earlier one: ${excerpt(key.name)}+${keyIdHex(key.keyId)}`,
      );
    }
    index.set(id, key);
  });
  return index;
}

// '+' never occurs in a key name, so it cannot make two identities collide.
function keyIdentity(name: string, keyId: number): string {
  return `${name}+${keyIdHex(keyId)}`;
}
