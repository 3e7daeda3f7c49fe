// statements/: what the service admits. The registration policy (rules in a fixed order, each
// refusal naming its rule), its configuration (a JSON file and the serve flags), the open
// development policy, and the policy as a signed statement for the log. The agent statement
// profiles will join here, as payload checks.

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
