// The bounds every correlation answer stays within. A workflow is whatever its agents logged, so
// each analysis does work proportional to these limits at most, and says which one it would pass
// (CORRELATION_LIMIT_EXCEEDED) rather than running long or answering in part without saying so.

import { CorrelationError } from './errors.js';

export interface CorrelationLimits {
  /** Most tasks (execution audit tokens) in one graph, foreign parents and other workflows loaded included. */
  readonly maxTasks: number;
  /** Most entries read for one analysis: the tasks and the statements attached to them. */
  readonly maxEntries: number;
  /** Longest path (in edges) a cascade, root-cause search or rollback plan reports. */
  readonly maxDepth: number;
  /** Most steps in all the paths of one answer together (a path of n tasks is n steps). */
  readonly maxPathSteps: number;
  /** Most children of one task. */
  readonly maxFanOut: number;
  /** Most index lookups for tasks outside the workflows loaded (foreign parents, children in other workflows). */
  readonly maxLookups: number;
  /** Most workflows one cascade, root-cause search or rollback plan loads. */
  readonly maxWorkflows: number;
  /** Most resource usage records in one settlement window. */
  readonly maxSettlementRecords: number;
  /** Most violations, dangling edges and entries per violation listed (the counts are always exact). */
  readonly maxReported: number;
}

export const DEFAULT_LIMITS: CorrelationLimits = Object.freeze({
  maxTasks: 200_000,
  maxEntries: 500_000,
  maxDepth: 1_000,
  maxPathSteps: 1_000_000,
  maxFanOut: 10_000,
  maxLookups: 20_000,
  maxWorkflows: 64,
  maxSettlementRecords: 10_000,
  maxReported: 1_000,
});

/** ECT: a parent's iat may be later than its child's by at most this much (issuer clocks drift). */
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The limits with `overrides` applied; each must be a positive safe integer. */
export function correlationLimits(overrides: Partial<CorrelationLimits> = {}): CorrelationLimits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new CorrelationError('CORRELATION_BAD_QUERY', `the limit ${name} must be a positive integer`);
  }
  return Object.freeze(limits);
}

/** The clock skew to use; a whole number of milliseconds from 0 to a day. */
export function clockSkew(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_CLOCK_SKEW_MS;
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > 86_400_000) throw new CorrelationError('CORRELATION_BAD_QUERY', 'the clock skew is 0 to 86400000 milliseconds');
  return ms;
}

export function limitExceeded(message: string): CorrelationError {
  return new CorrelationError('CORRELATION_LIMIT_EXCEEDED', message);
}
