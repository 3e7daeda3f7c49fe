import { AtlogError } from '../util/index.js';

export type LogErrorCode =
  /** An argument is not what the call takes (a negative index, a non-integer size). */
  | 'INVALID_ARGUMENT'
  /** A leaf index at or beyond the tree size asked about. */
  | 'INDEX_OUT_OF_RANGE'
  /** A tree size beyond what the log has checkpointed. */
  | 'TREE_SIZE_OUT_OF_RANGE'
  /** An entry larger than the log accepts. */
  | 'ENTRY_TOO_LARGE'
  /** The sequencer's queue is full; retry after a short wait. */
  | 'QUEUE_FULL'
  /** The log is closing or closed; retry against a log that is open. */
  | 'LOG_CLOSED'
  /** Stored data does not match the format or contradicts itself. Nothing was changed. */
  | 'STORAGE_CORRUPT'
  /** The storage could not be read or written. */
  | 'STORAGE_FAILURE'
  /** Another process has the database open. */
  | 'STORAGE_LOCKED'
  /** A write was based on a tree state that is no longer the stored one. */
  | 'STORAGE_CONFLICT'
  /** The checkpoint signer failed; the entries are stored and will be checkpointed on retry. */
  | 'SIGNER_FAILURE'
  /** The log refused to sign a tree head that does not extend the last one it signed. */
  | 'CHECKPOINT_INCONSISTENT';

export class LogError extends AtlogError<LogErrorCode> {}
