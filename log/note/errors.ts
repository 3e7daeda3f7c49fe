import { AtlogError } from '../../util/index.js';

/**
 * Why a note, a checkpoint or a key was refused. Notes and checkpoints arrive from anyone (a log
 * being monitored, a witness, a client), so each code names one precise failure and the API and
 * CLI can map it without reading the message.
 */
export type NoteErrorCode =
  /** The note is not a well-formed signed note (encoding, layout or a signature line). */
  | 'NOTE_MALFORMED'
  /** The note is larger than MAX_NOTE_BYTES. */
  | 'NOTE_TOO_LARGE'
  /** The note has more signature lines than MAX_NOTE_SIGNATURES. */
  | 'NOTE_TOO_MANY_SIGNATURES'
  /** No signature from a known key: the note text must be ignored. */
  | 'NOTE_UNVERIFIED'
  /** A signature from a known key (name and key ID both match) failed to verify. */
  | 'NOTE_BAD_SIGNATURE'
  /** signNote was given no signer. */
  | 'NOTE_NO_SIGNER'
  /** A signer returned no signature bytes. */
  | 'NOTE_SIGNER_FAILED'
  /** The note text is not a checkpoint, or a checkpoint to format is invalid. */
  | 'CHECKPOINT_MALFORMED'
  /** The checkpoint verifies but belongs to another log. */
  | 'CHECKPOINT_WRONG_ORIGIN'
  /** A key, key name, key ID or verifier key string is malformed. */
  | 'KEY_MALFORMED'
  /** A verifier key names a key ID that is not the one its name and public key produce. */
  | 'KEY_ID_MISMATCH'
  /** A verifier key of a signature type this module does not implement (only Ed25519, 0x01). */
  | 'KEY_UNSUPPORTED'
  /** Two signers or verifiers share both key name and key ID, so a signature line is ambiguous. */
  | 'KEY_AMBIGUOUS';

export class NoteError extends AtlogError<NoteErrorCode> {}

const EXCERPT_LENGTH = 64;

/**
 * A string from a note, quoted and cut short for an error message: notes come from anyone, and a
 * message must not carry unbounded input into logs.
 */
export function excerpt(value: string): string {
  // A code point is at most two UTF-16 units, so this slice holds every code point we may show.
  const head = Array.from(value.slice(0, 2 * EXCERPT_LENGTH));
  if (head.length <= EXCERPT_LENGTH && value.length <= 2 * EXCERPT_LENGTH) return JSON.stringify(value);
  return `${JSON.stringify(head.slice(0, EXCERPT_LENGTH).join(''))}…`;
}
