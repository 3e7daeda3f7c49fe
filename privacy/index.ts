// privacy/: differential-privacy reports for regulators. Exact discrete Laplace and Gaussian
// samplers over node:crypto (BigInt, no floating point), contribution bounding per privacy unit,
// sensitivity derived from the bounds, an accountant per regulator (basic ε/δ or zCDP ρ) kept in
// a durable ledger that is charged before anything is computed, and releases signed and logged by
// the service. Pure math (random, rational, samplers, noise, accounting, query, bounding,
// mechanisms, release) is apart from I/O (scan, ledger, reports). Imports statements/ (through
// index/), index/, log/ (the KeyValueSpace type) and util/ only. See docs/privacy.md.

export { PrivacyError, type PrivacyErrorCode } from './errors.js';
export { cryptoRandom, type ByteSource, type RandomSource, UniformIntegers } from './random.js';
export { formatRational, parseDecimal, type Rational, rational, readRational } from './rational.js';
export { bernoulli, bernoulliExp, sampleDiscreteGaussian, sampleDiscreteLaplace } from './samplers.js';
export {
  gaussianPmf,
  gaussianSigma2,
  gaussianTail,
  gaussianVariance,
  halfWidth,
  laplacePmf,
  laplaceScale,
  laplaceTail,
  laplaceVariance,
  type Noise,
  noiseVariance,
  normalQuantile,
  type Sensitivity,
} from './noise.js';
export {
  ACCOUNTANTS,
  type AccountantKind,
  type AccountantView,
  accountantView,
  addCosts,
  affordable,
  type BudgetLimit,
  costOf,
  NO_COST,
  type PrivacyCost,
  type ReleaseParameters,
  remaining,
  zcdpEpsilon,
} from './accounting.js';
export {
  GROUP_KEYS,
  type GroupKey,
  type KeyValue,
  planQuery,
  PRIVACY_UNITS,
  type PrivacyUnit,
  QUERY_LIMITS,
  type QueryPlan,
  REPORTABLE_TYPES,
  STATISTICS,
  type Statistic,
} from './query.js';
export { type AggregateKind, type ContributionBounds, ContributionBounder, type PartitionAggregate } from './bounding.js';
export { type NoisePlan, type NoisyStatistic, noisePlan, type PartitionSelection, partitionSelection } from './mechanisms.js';
export { computeRelease, type Estimate, type QuantileEstimate, type ReleaseOutcome, type ReleaseResult } from './release.js';
export { aggregateEntries, type IndexReader, rowsOf, scanAggregates } from './scan.js';
export { type Account, BudgetLedger, type ReleaseRecord, type ReleaseStatus } from './ledger.js';
export { budgetOf, NO_PRIVACY_BUDGETS, parseBudget, parsePrivacyConfig, type PrivacyConfig } from './config.js';
export {
  type BudgetStatus,
  MAX_REPORT_PAYLOAD_BYTES,
  PRIVACY_REPORT_MEDIA_TYPE,
  PRIVACY_REPORT_PROFILE,
  PrivacyReports,
  type PrivacyReportsOptions,
  type Report,
  type ReportHost,
} from './reports.js';
