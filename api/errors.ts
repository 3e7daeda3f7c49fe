import { AtlogError } from '../util/index.js';

export type ServiceErrorCode =
  /** The configuration (a key, a file, a flag) cannot be used; the message says which. */
  | 'CONFIG_INVALID'
  /** The service is starting or stopping. */
  | 'NOT_READY';

export class ServiceError extends AtlogError<ServiceErrorCode> {}
