// The JSON Schema (draft 2020-12) of an appraisal result, the payload of an
// `application/vnd.atlog.appraisal-result+json` statement: the EAR of draft-ietf-rats-ear-03 with
// its JSON names (pinned by `eat_profile`), one submodule per appraised agent, and atlog's
// extensions (`x-atlog.*`). `parseAppraisalResult` checks a result against this very object (see
// json-schema.ts), so the published schema and what is accepted cannot drift apart.
import { FINDING_KINDS } from './findings.js';

export const EAR_PROFILE = 'tag:ietf.org,2026:rats/ear#03';
export const APPRAISAL_RESULT_MEDIA_TYPE = 'application/vnd.atlog.appraisal-result+json';
/** The rules a result was computed with: a replay must use the same. */
export const APPRAISAL_RULES = 'tag:atlog.dev,2026:appraisal-rules/v1';
export const APPRAISAL_RESULT_SCHEMA_ID = 'tag:atlog.dev,2026:appraisal-result/v1';

const ENTRY_ID = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const INSTANT = { type: 'string', format: 'date-time', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$', description: 'RFC 3339, UTC, milliseconds' } as const;
const COUNT = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;
const STATUS = { enum: ['none', 'affirming', 'warning', 'contraindicated'] } as const;
const CLAIM = { type: 'integer', minimum: -128, maximum: 127 } as const;
const AGENT_ID = { type: 'string', minLength: 1, maxLength: 1024, pattern: '^(?:spiffe|wimse)://' } as const;

export const APPRAISAL_RESULT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: APPRAISAL_RESULT_SCHEMA_ID,
  title: 'atlog appraisal result (EAR, draft-ietf-rats-ear-03)',
  description: 'An EAR-shaped attestation result for one agent: its status, trustworthiness vector, the profiles it was appraised against, and findings that point to the entries proving them.',
  type: 'object',
  additionalProperties: false,
  required: ['eat_profile', 'iat', 'ear_verifier_id', 'ear_status', 'submods', 'x-atlog.rules', 'x-atlog.tree_size'],
  properties: {
    eat_profile: { const: EAR_PROFILE, description: 'The EAR profile: draft-ietf-rats-ear-03 JSON names.' },
    iat: { type: 'integer', minimum: 0, maximum: 253402300799, description: 'When the service signed the result (NumericDate).' },
    ear_verifier_id: {
      type: 'object',
      additionalProperties: false,
      required: ['developer', 'build'],
      properties: { developer: { type: 'string', minLength: 1, maxLength: 256 }, build: { type: 'string', minLength: 1, maxLength: 256 } },
    },
    ear_status: { ...STATUS, description: 'The worst status of the submodules.' },
    submods: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      propertyNames: AGENT_ID,
      additionalProperties: { $ref: '#/$defs/agent' },
      description: 'One submodule: the appraised agent, by its id.',
    },
    'x-atlog.rules': { const: APPRAISAL_RULES, description: 'The appraisal rules the result was computed with.' },
    'x-atlog.tree_size': { ...COUNT, description: 'The tree size computed on: the result is a function of the log entries below it.' },
  },
  $defs: {
    agent: {
      type: 'object',
      additionalProperties: false,
      required: ['ear_status', 'ear_trustworthiness_vector', 'x-atlog.findings', 'x-atlog.findings_omitted', 'x-atlog.window', 'x-atlog.evidence'],
      properties: {
        ear_status: { ...STATUS, description: 'none when evidence is missing; else the worst tier of the findings, affirming without any.' },
        ear_trustworthiness_vector: {
          type: 'object',
          additionalProperties: false,
          required: ['instance-identity', 'configuration', 'executables', 'sourced-data'],
          properties: { 'instance-identity': CLAIM, configuration: CLAIM, executables: CLAIM, 'sourced-data': CLAIM },
        },
        ear_appraisal_policy_ids: {
          type: 'array',
          minItems: 1,
          maxItems: 256,
          uniqueItems: true,
          items: { type: 'string', minLength: 1, maxLength: 2200 },
          description: 'The profiles in force for the evidence appraised: <profile id>#<version>@<entry id>; absent when there were none.',
        },
        'x-atlog.findings': { type: 'array', maxItems: 1024, items: { $ref: '#/$defs/finding' } },
        'x-atlog.findings_omitted': { ...COUNT, description: 'Findings not listed, to keep the result within the log entry limit; the status counts them.' },
        'x-atlog.window': {
          type: 'object',
          additionalProperties: false,
          properties: { start: { ...INSTANT, description: 'Inclusive; absent: from the beginning.' }, end: { ...INSTANT, description: 'Exclusive; absent: up to the tree size.' } },
        },
        'x-atlog.evidence': {
          type: 'object',
          additionalProperties: false,
          required: ['actions', 'unappraised', 'attestations', 'usage', 'overrides', 'gated', 'pending'],
          properties: {
            actions: COUNT,
            unappraised: { ...COUNT, description: 'Actions with no profile in force.' },
            attestations: COUNT,
            usage: COUNT,
            overrides: COUNT,
            gated: { ...COUNT, description: 'Actions a human approval rule gates.' },
            pending: { ...COUNT, description: 'Overrides to honour whose deadline the log does not yet show passed.' },
            latest: { ...INSTANT, description: 'The evidence clock: the latest issuer time of a statement about the agent.' },
          },
        },
      },
    },
    finding: {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'tier', 'rule', 'detail', 'at', 'count', 'evidence'],
      properties: {
        kind: { enum: [...FINDING_KINDS] },
        tier: { enum: ['warning', 'contraindicated'] },
        rule: { type: 'string', maxLength: 512, pattern: '^(?:/(?:[^~/]|~[01])*)*$', description: 'A JSON Pointer to the rule, into the profile (or the attestation, for a mismatch).' },
        profile: { ...ENTRY_ID, description: 'The entry id of the profile in force, when the rule is the profile’s.' },
        detail: { type: 'string', minLength: 1, maxLength: 256 },
        at: { ...INSTANT, description: 'When it happened.' },
        count: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Occurrences it stands for (one burst is one finding).' },
        evidence: { type: 'array', minItems: 1, maxItems: 16, uniqueItems: true, items: ENTRY_ID, description: 'The entries that prove it, the one breaking the rule first.' },
      },
    },
  },
} as const;
