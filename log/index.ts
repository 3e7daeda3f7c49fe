// The append-only Merkle log: RFC 9162 tree math (tree/), the C2SP tile layout (tiles/), storage
// drivers (storage/), and the sequencer that batches, integrates and checkpoints.
export type { CheckpointSigner, SignedTreeHead, TreeHead } from './checkpoint.js';
export { LogError, type LogErrorCode } from './errors.js';
export { MAX_ENTRIES_PER_READ, MerkleLog, type MerkleLogOptions } from './merkle-log.js';
export type { AppendResult, SequencerOptions, Submission } from './sequencer.js';
export {
  type Integration,
  type KeyRange,
  type CompactionPriority,
  type KeyValue,
  type KeyValueSpace,
  LevelDbStorage,
  type LevelDbStorageOptions,
  type LogStorage,
  type TreeState,
} from './storage/index.js';
export * as tiles from './tiles/index.js';
export * as tree from './tree/index.js';
export {
  type Checkpoint,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatCheckpoint,
  NoteError,
  type NoteErrorCode,
  type NoteSigner,
  type NoteVerifier,
  noteCheckpointSigner,
  noteVerifierKey,
  openCheckpoint,
  openNote,
  parseCheckpoint,
  signNote,
} from './note/index.js';
