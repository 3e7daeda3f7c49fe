// The appraisal's typed errors. Codes are stable (the API maps them to problem details, the CLI to
// one line and an exit status); messages may change.
import { AtlogError } from '../util/index.js';

export const APPRAISAL_ERROR_CODES = [
  'APPRAISAL_BAD_REQUEST', // the agent or the window asked for cannot be appraised (misuse, bad input)
  'APPRAISAL_UNKNOWN', // no appraisal result exists for that agent (or at that entry)
  'APPRAISAL_NOT_RESULT', // the statement is not an appraisal result, or does not follow its schema
  'APPRAISAL_CLOSED', // the appraiser is stopping
] as const;
export type AppraisalErrorCode = (typeof APPRAISAL_ERROR_CODES)[number];

export class AppraisalError extends AtlogError<AppraisalErrorCode> {}
