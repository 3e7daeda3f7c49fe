// statements/: what the service admits. The registration policy (rules in a fixed order, each
// refusal naming its rule), its configuration (a JSON file and the serve flags), the open
// development policy, and the policy as a signed statement for the log. The agent statement
// types (their schemas, examples and the agent-statements/v1 payload check).

export {
  POLICY_ERROR_CODES,
  POLICY_RULES,
  type PolicyErrorCode,
  type PolicyRule,
  type SettingRef,
  PolicyError,
} from './errors.js';
export {
  type AdmitContext,
  type AdmittedIssuer,
  type Admission,
  type DescribedIssuerKey,
  type DescribedTrustAnchor,
  type PolicyDescription,
  type PolicyRules,
  type RegistrationPolicy,
  MAX_POLICY_DESCRIPTION_BYTES,
  POLICY_CONTENT_TYPE,
  createPolicy,
  developmentPolicy,
  policySummary,
} from './policy.js';
export {
  type AlgorithmName,
  type PayloadCheck,
  ALGORITHM_NAMES,
  DEFAULT_POLICY_ALGORITHMS,
  MAX_CONTENT_TYPES,
  MAX_LOG_ENTRY_BYTES,
  MAX_PAYLOAD_CHECKS,
} from './policy-rules.js';
export { type IssuerKeyInput, MAX_ISSUER_KEYS, MAX_KEY_FILE_BYTES } from './issuer-keys.js';
export {
  type ExtraIssuers,
  type LoadPolicyOptions,
  type PolicyOptions,
  type ReadPolicyFile,
  MAX_POLICY_CONFIG_BYTES,
  MAX_TRUST_ANCHOR_FILE_BYTES,
  MAX_TRUST_ANCHORS,
  loadPolicy,
  loadPolicyFile,
  parsePolicyConfig,
  policyFromOptions,
} from './policy-config.js';
export {
  type PolicyStatementOptions,
  POLICY_STATEMENT_SUBJECT,
  policyDigest,
  policyPayload,
  policyStatement,
} from './policy-statement.js';
export { DID_JWK_PREFIX, MAX_DID_JWK_LENGTH, didJwkFor } from './did-jwk.js';
export {
  type AgentPayload,
  type AgentPayloads,
  type AgentStatementErrorCode,
  type AgentStatementName,
  type AgentStatementType,
  AGENT_STATEMENT_ERROR_CODES,
  AGENT_STATEMENT_NAMES,
  AGENT_STATEMENT_TYPES,
  AgentStatementError,
  MAX_AGENT_PAYLOAD_BYTES,
  MAX_AGENT_PAYLOAD_DEPTH,
  agentStatementSchema,
  agentStatementSchemaNames,
  agentStatementType,
  parseAgentPayload,
  validateAgentPayload,
} from './agent-statements.js';
export {
  type Actor,
  type AgentBlock,
  type BehaviorAttestationPayload,
  type BehaviorProfilePayload,
  type CorrBlock,
  type DpBlock,
  type ExecAuditCorrBlock,
  type ExecAuditPayload,
  type FocusColumns,
  type Link,
  type Measurement,
  type OverrideEventPayload,
  type ResourceUsagePayload,
  type Submod,
  OVERRIDE_ACTIONS,
  PROFILE_IDS,
  TIERS,
  VIOLATION_KINDS,
} from './agent-types.js';
export { durationSeconds, instant } from './agent-formats.js';
export {
  AGENT_STATEMENT_EXAMPLES,
  BEHAVIOR_ATTESTATION_EXAMPLE,
  BEHAVIOR_PROFILE_EXAMPLE,
  EXEC_AUDIT_EXAMPLE,
  OVERRIDE_EVENT_EXAMPLE,
  RESOURCE_USAGE_EXAMPLE,
} from './agent-examples.js';
export { type JsonSchema, type SchemaFailure } from './schema-dsl.js';
export {
  type AgentStatementsCheckOptions,
  type AgentStatementsOptions,
  type ProfileAuthority,
  AGENT_STATEMENTS_CHECK,
  MAX_PROFILE_AUTHORITIES,
  agentStatementsCheck,
} from './agent-check.js';
