import { AtlogError } from '../util/index.js';

export type PrivacyErrorCode =
  /** The query (or one of its members) cannot be used; the message names the member. */
  | 'QUERY_INVALID'
  /** The regulator's budget cannot pay for this release; nothing was charged or computed. */
  | 'BUDGET_EXHAUSTED'
  /** The operator configured no budget for this regulator. */
  | 'BUDGET_NOT_CONFIGURED'
  /** The privacy configuration (budgets file) cannot be used; the message says where. */
  | 'PRIVACY_CONFIG_INVALID'
  /** The stored ledger disagrees with the configuration (the accountant kind changed), or is unreadable. */
  | 'LEDGER_CORRUPT'
  /** No release has this id. */
  | 'REPORT_NOT_FOUND';

/** Every refusal of privacy/: stable codes, messages that name the member or the budget at stake. */
export class PrivacyError extends AtlogError<PrivacyErrorCode> {}
