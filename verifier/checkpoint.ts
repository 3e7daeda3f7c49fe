// Consistency between two checkpoints of a log, as a monitor or auditor checks it: both notes
// signed by a key it trusts, for the log it follows, and a consistency proof from the older tree
// to the newer one. Pure: the caller fetches the notes and the proof.
import { type Checkpoint, type NoteVerifier, openCheckpoint } from '../log/note/index.js';
import { ProofError, verifyConsistency } from '../log/tree/index.js';
import { VerifierError } from './transparent-statement.js';

export interface CheckpointConsistency {
  readonly older: Checkpoint;
  readonly newer: Checkpoint;
}

/**
 * Opens both checkpoint notes (signed by one of `verifiers`, for `origin`) and checks that the
 * newer tree extends the older one. A newer checkpoint of the same size must have the same root;
 * an older one of a larger size, or roots the proof does not join, is a split view: the log has
 * shown two histories, and that is what CHECKPOINT_INCONSISTENT reports. Bad notes keep their own
 * codes (NOTE_*, CHECKPOINT_*); malformed proofs their PROOF_* code.
 */
export function verifyCheckpointConsistency(
  olderNote: string | Uint8Array,
  newerNote: string | Uint8Array,
  proof: readonly Uint8Array[],
  trust: { readonly origin: string; readonly verifiers: readonly NoteVerifier[] },
): CheckpointConsistency {
  const older = openCheckpoint(olderNote, trust.origin, trust.verifiers).checkpoint;
  const newer = openCheckpoint(newerNote, trust.origin, trust.verifiers).checkpoint;
  if (older.size > newer.size) {
    throw new VerifierError('CHECKPOINT_INCONSISTENT', `the "older" checkpoint is larger (${older.size}) than the newer (${newer.size})`);
  }
  // Every tree extends the empty one; nothing to prove.
  if (older.size === 0) {
    if (proof.length > 0) throw new VerifierError('VERIFY_BAD_ARGUMENT', 'a consistency proof from the empty tree must be empty');
    return { older, newer };
  }
  try {
    verifyConsistency(older.size, newer.size, older.rootHash, newer.rootHash, proof);
  } catch (error) {
    if (error instanceof ProofError && error.code === 'PROOF_ROOT_MISMATCH') {
      throw new VerifierError(
        'CHECKPOINT_INCONSISTENT',
        `the checkpoints at sizes ${older.size} and ${newer.size} are not consistent: the log has shown two histories`,
        { cause: error },
      );
    }
    throw error;
  }
  return { older, newer };
}
