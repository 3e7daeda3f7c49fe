import { AtlogError } from '../util/index.js';

export type ServiceErrorCode =
  /** The configuration (a key, a file, a flag) cannot be used; the message says which. */
  | 'CONFIG_INVALID'
  /** The service is starting or stopping, or lost a worker thread: retryable. */
  | 'NOT_READY'
  /** More statements are waiting for admission than the service queues: retryable. */
  | 'QUEUE_FULL';

export class ServiceError extends AtlogError<ServiceErrorCode> {}
