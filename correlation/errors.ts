import { AtlogError } from '../util/index.js';

export type CorrelationErrorCode =
  /** A question correlation cannot answer as asked: a bad task id, workflow id, time range or option. */
  | 'CORRELATION_BAD_QUERY'
  /** No such workflow or task under the tree size the index reflects. */
  | 'CORRELATION_NOT_FOUND'
  /** A task id names tasks in several workflows (or twice in one): say which with a workflow or an entry id. */
  | 'CORRELATION_AMBIGUOUS'
  /** The answer would pass one of the documented limits (tasks per graph, path depth, fan-out, …). */
  | 'CORRELATION_LIMIT_EXCEEDED';

/** Correlation's typed errors; the API maps them to problem details (400, 404, 409, 422). */
export class CorrelationError extends AtlogError<CorrelationErrorCode> {}
