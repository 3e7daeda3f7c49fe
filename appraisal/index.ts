// appraisal/: atlog as the RATS Verifier. Appraises each agent's observed behavior (execution audit
// tokens, resource usage, override phases) and its Attester's claims (behavioral attestations)
// against the behavioral profile in force, and states the verdict as an EAR (draft-ietf-rats-ear-03)
// that the service signs and logs. The appraisal is a pure fold over the log (agent-appraisal.ts);
// the appraiser (appraiser.ts) feeds it incrementally from the index, a replay from the log alone.
// Imports statements/, index/, receipts/ and util/.

export { AgentAppraisal, type AgentVerdict, type AppraisalWindow, type EvidenceSummary, MAX_KEPT_FINDINGS, type Status, type TrustworthinessVector } from './agent-appraisal.js';
export { appraiseLog, compareReplay, LogReplay, type ReplayOutcome } from './appraise.js';
export { Appraiser, type AppraiserOptions, checkAgent, EVIDENCE_TYPES, type EvidenceStore, MAX_AGENT_ID_BYTES } from './appraiser.js';
export { ContinuousAppraisal, type ContinuousOptions, type ResultPublisher, verdictKey } from './continuous.js';
export { APPRAISAL_ERROR_CODES, AppraisalError, type AppraisalErrorCode } from './errors.js';
export { concerns, entryIdOf, type Evidence, type EvidenceOf, readEvidence } from './evidence.js';
export { DEFAULT_TIERS, type Finding, FINDING_KINDS, type FindingKind, MAX_EVIDENCE, type Tier } from './findings.js';
export { DEFAULT_ACK_LATENCY_MS, DEFAULT_ENFORCE_LATENCY_MS } from './overrides.js';
export { covers, policyId, type Profile, ProfileBook } from './profiles.js';
export {
  type AgentResultJson,
  type AppraisalResult,
  appraisalResult,
  encodeResult,
  type FindingJson,
  MAX_RESULT_BYTES,
  parseAppraisalResult,
  resultAgent,
  resultDifferences,
  resultWindow,
  type ResultInput,
  VERIFIER_ID,
} from './result.js';
export { APPRAISAL_RESULT_MEDIA_TYPE, APPRAISAL_RESULT_SCHEMA, APPRAISAL_RESULT_SCHEMA_ID, APPRAISAL_RULES, EAR_PROFILE } from './result-schema.js';
export { instantMs, rfc3339 } from './time.js';
