// correlation/: the cross-domain DAG of agent actions over the entry index. Tasks (execution audit
// tokens) and their ECT parents and typed links, validated with the ECT DAG rules; causal order
// (topological, ties by log index, never issuer clocks across domains); cascades downstream of a
// failure and its root causes upstream; rollback plans; settlement of usage records across a
// boundary. Pure graph code (graph, order, reach, rollback, settlement, dot) apart from the I/O
// that gathers entries (source, correlator). Imports statements/, index/ and util/.

export { CorrelationError, type CorrelationErrorCode } from './errors.js';
export { type CorrelationLimits, DEFAULT_CLOCK_SKEW_MS, DEFAULT_LIMITS, correlationLimits } from './limits.js';
export {
  type AttachedRecord,
  type CorrelationEntry,
  type DanglingEdge,
  type LinkRel,
  type RecordGroup,
  type Task,
  type TaskEdge,
  type Violation,
  type ViolationKind,
  DEPENDENCY_RELS,
  FAILED_OUTCOMES,
  LINK_RELS,
  VIOLATION_KINDS,
  correlationEntry,
  isTask,
} from './types.js';
export { type GraphOptions, type GraphStats, TaskGraph, buildTaskGraph } from './graph.js';
export { type Reached, type ReachOptions, byDomainAndAgent, carriesFailure, reach, rootCauses } from './reach.js';
export { type OverridePhase, type PlanOverride, type PlanStep, type RollbackPlan, planDigest, rollbackPlan } from './rollback.js';
export { type MeasurementComparison, type PairedBy, type Settlement, type SettlementPair, type UnpairedRecord, type UsageRecord, settle } from './settlement.js';
export { toDot } from './dot.js';
export { type CorrelationSource, Snapshot } from './source.js';
export {
  type Cascade,
  type CorrelatorOptions,
  type RollbackPlanReport,
  type Scope,
  type SettlementReport,
  type WorkflowGraph,
  Correlator,
} from './correlator.js';
