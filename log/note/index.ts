// C2SP signed notes and tlog checkpoints: what the log serves at /checkpoint, and how monitors,
// witnesses and auditors check it. Pure apart from node:crypto.
export { type NoteErrorCode, NoteError } from './errors.js';
export {
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  type VerifiedSignature,
  openNote,
  signNote,
} from './note.js';
export { ED25519_SIGNATURE_TYPE, ed25519KeyId, ed25519NoteSigner, ed25519NoteVerifier, noteVerifierKey } from './ed25519.js';
export {
  type Checkpoint,
  type CheckpointBody,
  type OpenedCheckpoint,
  formatCheckpoint,
  noteCheckpointSigner,
  openCheckpoint,
  parseCheckpoint,
} from './checkpoint.js';
