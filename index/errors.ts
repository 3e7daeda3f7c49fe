import { AtlogError } from '../util/index.js';

export type IndexErrorCode =
  /** A query the index cannot answer as asked: a bad filter, cursor or limit. */
  | 'INDEX_BAD_QUERY'
  /** The index's own records contradict themselves or the log; rebuild it (`atlog reindex`). */
  | 'INDEX_CORRUPT'
  /** The index is closed. */
  | 'INDEX_CLOSED';

export class IndexError extends AtlogError<IndexErrorCode> {}
