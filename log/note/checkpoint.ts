// Checkpoints (c2sp.org/tlog-checkpoint): the note text "<origin>\n<tree size>\n<root hash>\n",
// optionally followed by extension lines, signed as a note. This is what the log serves at
// /checkpoint and what monitors and witnesses follow.
import type { CheckpointSigner, TreeHead } from '../checkpoint.js';
import { HASH_SIZE, isTreeSize } from '../tree/index.js';
import { toBase64 } from '../../util/index.js';
import { excerpt, NoteError } from './errors.js';
import { type NoteSigner, type NoteVerifier, openNote, signNote, type VerifiedSignature } from './note.js';
import { decodeCanonicalBase64, encodeUtf8, keyNameProblem, noteTextProblem } from './text.js';

/** A tree head as a checkpoint states it. */
export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque extension lines after the root hash, if any; each non-empty, without its newline. */
  readonly extensions: readonly string[];
}

/** What formatCheckpoint writes: a checkpoint without extension lines. */
export type CheckpointBody = Pick<Checkpoint, 'origin' | 'size' | 'rootHash'>;

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The known keys whose signatures on the checkpoint verified. */
  readonly signatures: readonly VerifiedSignature[];
}

/**
 * The checkpoint's note text. Extension lines are never written: the spec advises against them,
 * as monitors cannot audit them. The origin must have no whitespace or '+' (the spec's SHOULD,
 * which we keep for our own logs so the origin can also be the signing key's name).
 */
export function formatCheckpoint(body: CheckpointBody): string {
  const originProblem = keyNameProblem(body.origin);
  if (originProblem !== undefined) throw malformed(`origin ${originProblem}`);
  if (!isTreeSize(body.size)) throw malformed('tree size must be a non-negative safe integer');
  if (!(body.rootHash instanceof Uint8Array) || body.rootHash.length !== HASH_SIZE) {
    throw malformed(`root hash must be ${HASH_SIZE} bytes`);
  }
  return `${body.origin}\n${body.size}\n${toBase64(body.rootHash)}\n`;
}

/**
 * Parses checkpoint note text (as openNote returns it, with its final newline). Parsing is strict
 * about size and hash, but accepts any non-empty origin: the spec tells clients not to assume
 * the recommended origin syntax, and openCheckpoint compares the origin to the expected one.
 */
export function parseCheckpoint(text: string): Checkpoint {
  const problem = noteTextProblem(text);
  if (problem !== undefined) throw malformed(`checkpoint text ${problem}`);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) {
    throw malformed(`checkpoint has ${lines.length} line(s); it needs an origin, a tree size and a root hash`);
  }
  const empty = lines.findIndex((line) => line.length === 0);
  if (empty !== -1) throw malformed(`line ${empty + 1} of the checkpoint is empty`);
  const [origin, size, rootHash, ...extensions] = lines as [string, string, string, ...string[]];
  return { origin, size: parseTreeSize(size), rootHash: parseRootHash(rootHash), extensions };
}

// Decimal without leading zeros ("0" alone for the empty tree), no sign. 16 digits is as many as
// a safe integer can have; the bound keeps the conversion below from seeing long input.
const TREE_SIZE = /^(?:0|[1-9][0-9]{0,15})$/;

function parseTreeSize(line: string): number {
  const size = TREE_SIZE.test(line) ? Number(line) : undefined;
  if (size === undefined) {
    throw malformed('line 2: tree size is not a decimal number without sign or leading zeros');
  }
  if (!Number.isSafeInteger(size)) throw malformed('line 2: tree size is larger than 2^53 - 1');
  return size;
}

function parseRootHash(line: string): Uint8Array {
  const hash = decodeCanonicalBase64(line);
  if (hash === undefined) throw malformed('line 3: root hash is not canonical padded standard base64');
  if (hash.length !== HASH_SIZE) throw malformed(`line 3: root hash is ${hash.length} bytes; expected ${HASH_SIZE}`);
  return hash;
}

function malformed(message: string): NoteError {
  return new NoteError('CHECKPOINT_MALFORMED', message);
}

/**
 * Signs tree heads as C2SP checkpoints under `origin`, for the sequencer. The head's timestamp is
 * not signed: a C2SP checkpoint has no time in it (freshness comes from witnesses' timestamped
 * cosignatures instead). The key's name should equal the origin, as the spec recommends; it is
 * not enforced, since a key name and origin may legitimately differ (key rotation, an alias).
 */
export function noteCheckpointSigner(origin: string, signer: NoteSigner): CheckpointSigner {
  // Check the configuration now rather than at the first integration.
  const originProblem = keyNameProblem(origin);
  if (originProblem !== undefined) throw malformed(`origin ${originProblem}`);
  const nameProblem = keyNameProblem(signer.name);
  if (nameProblem !== undefined) throw new NoteError('KEY_MALFORMED', `signer key name ${nameProblem}`);
  return {
    sign: async (head: TreeHead) => {
      const text = formatCheckpoint({ origin, size: head.size, rootHash: head.rootHash });
      return encodeUtf8(signNote(text, [signer]));
    },
  };
}

/**
 * Verifies a checkpoint note against trusted keys, parses it and checks it is for `origin`. The
 * signatures are checked before the text is read at all, as the note spec requires, so a note
 * from another log usually fails as NOTE_UNVERIFIED rather than CHECKPOINT_WRONG_ORIGIN.
 */
export function openCheckpoint(
  note: string | Uint8Array,
  origin: string,
  verifiers: readonly NoteVerifier[],
): OpenedCheckpoint {
  const { text, signatures } = openNote(note, verifiers);
  const checkpoint = parseCheckpoint(text);
  if (checkpoint.origin !== origin) {
    throw new NoteError(
      'CHECKPOINT_WRONG_ORIGIN',
      `checkpoint is for origin ${excerpt(checkpoint.origin)}, expected ${excerpt(origin)}`,
    );
  }
  return { checkpoint, signatures };
}
