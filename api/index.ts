// api/: the transparency service over HTTP. The service (registration, receipts, read API) is
// usable without HTTP; createApp puts SCRAPI and the monitor routes over it; startServer runs it.
export {
  ACCESS_ROLES,
  type AccessRole,
  type AccessToken,
  accessTokenHash,
  authenticate,
  generateAccessToken,
  MAX_ACCESS_TOKENS,
  parseAccessTokens,
  type Principal,
  requireRole,
} from './access.js';
export { type AppOptions, createApp } from './app.js';
export { type AppraisalHost, type AppraisalOptions, AppraisalService, type LoggedAppraisal } from './appraisal-service.js';
export { appraisalRequest, MAX_APPRAISAL_REQUEST_BYTES } from './appraisal-routes.js';
export { type CheckpointSignatures, checkpointSignatures, receiptHead, serviceCheckpointSigner } from './checkpoints.js';
export { ServiceError, type ServiceErrorCode } from './errors.js';
export { healthRoutes, type Liveness, liveness, type Readiness, readiness } from './health.js';
export { type KeySources, loadServiceKeys, type ServiceKeys, updateKeyring } from './keys.js';
export { createLogger, type Logger, type LoggerOptions, silentLogger } from './logging.js';
export {
  type MetricsOptions,
  type MetricsSource,
  REGISTRATION_OUTCOMES,
  type RegistrationOutcome,
  registrationOutcome,
  ServiceMetrics,
} from './metrics.js';
export { API_VERSION, openApiDocument, openApiPath } from './openapi.js';
export { PROBLEM_MEDIA_TYPE, type Problem, problemFor, problemResponse } from './problems.js';
export { type OpenService, type RunningServer, type ServerOptions, startServer } from './server.js';
export {
  type EntryState,
  MAX_RECEIPTS_PER_REQUEST,
  type OwnStatement,
  parseEntryId,
  type Registration,
  type ServiceOptions,
  TransparencyService,
} from './service.js';
export {
  DEFAULT_MAX_QUEUED_STATEMENTS,
  defaultWorkerCount,
  MAX_WORKERS,
  ServiceWorkers,
  type ServiceWorkersOptions,
  type WorkerPolicyOptions,
  WorkerPoolError,
} from './workers.js';
