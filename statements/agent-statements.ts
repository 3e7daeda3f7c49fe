// The registry of agent statement types: for each its name, media type, profile id, schema and
// semantic rules; parsing a payload (strict JSON, then schema, then semantic rules, in one call);
// and the JSON Schema each type publishes (GET /schemas/{name}).

import { AtlogError, JsonSyntaxError, parseStrictJson } from '../util/index.js';
import {
  behaviorAttestationRules,
  behaviorProfileRules,
  execAuditRules,
  overrideEventRules,
  resourceUsageRules,
} from './agent-semantics.js';
import {
  type BehaviorAttestationPayload,
  type BehaviorProfilePayload,
  type ExecAuditPayload,
  type OverrideEventPayload,
  type ResourceUsagePayload,
  behaviorAttestationSchema,
  behaviorProfileSchema,
  execAuditSchema,
  overrideEventSchema,
  PROFILE_IDS,
  resourceUsageSchema,
} from './agent-types.js';
import { compileValidator, deepFreeze, emitJsonSchema, type JsonSchema, type Schema, type SchemaFailure } from './schema-dsl.js';

export const AGENT_STATEMENT_NAMES = ['exec-audit', 'behavior-attestation', 'resource-usage', 'override-event', 'behavior-profile'] as const;
export type AgentStatementName = (typeof AGENT_STATEMENT_NAMES)[number];

/** The payload type of each statement type. */
export interface AgentPayloads {
  'exec-audit': ExecAuditPayload;
  'behavior-attestation': BehaviorAttestationPayload;
  'resource-usage': ResourceUsagePayload;
  'override-event': OverrideEventPayload;
  'behavior-profile': BehaviorProfilePayload;
}

export type AgentPayload = AgentPayloads[AgentStatementName];

export interface AgentStatementType<N extends AgentStatementName = AgentStatementName> {
  /** The schema name, as in `GET /schemas/{name}`. */
  readonly name: N;
  /** The content type (COSE header 3) of a statement of this type. */
  readonly mediaType: string;
  /** The profile id: the payload's `profile` member and its JSON Schema's `$id`. */
  readonly profile: string;
  readonly title: string;
  /** The JSON Schema (draft 2020-12), deep-frozen. */
  readonly schema: JsonSchema;
  /** What the CWT `sub` must be, read from a valid payload. */
  readonly subject: (payload: AgentPayloads[N]) => string;
  /** Which member the subject comes from, as a JSON Pointer (`/agent/id`). */
  readonly subjectPath: string;
}

export const AGENT_STATEMENT_ERROR_CODES = [
  'STATEMENT_UNKNOWN_TYPE', // not one of the five names (misuse)
  'STATEMENT_MALFORMED', // not UTF-8, not strict JSON, too large or too deep
  'STATEMENT_INVALID', // the schema or a semantic rule refused it; `path` and `reason` say where and why
  'STATEMENT_ISSUER_MISMATCH', // payload iss ≠ CWT iss, or the certificate does not name the iss
  'STATEMENT_SUBJECT_MISMATCH', // CWT sub ≠ what the statement is about
  'STATEMENT_NOT_AUTHORIZED', // a profile's issuer may not speak for an agent it covers
] as const;
export type AgentStatementErrorCode = (typeof AGENT_STATEMENT_ERROR_CODES)[number];

/** Why an agent statement is refused: where (a JSON Pointer, `""` for the whole payload) and why. */
export class AgentStatementError extends AtlogError<AgentStatementErrorCode> {
  readonly path: string;
  readonly reason: string;
  constructor(code: AgentStatementErrorCode, path: string, reason: string, options?: { cause?: unknown }) {
    super(code, path === '' ? reason : `${shownPath(path)}: ${reason}`, options);
    this.path = path;
    this.reason = reason;
  }
}

/** A path fit for a message: each member name cut at 64 characters. */
function shownPath(path: string): string {
  return path.length <= 200 ? path : path.split('/').map((segment) => (segment.length > 64 ? `${segment.slice(0, 64)}…` : segment)).join('/').slice(0, 400);
}

/** Largest payload: the log's largest entry. */
export const MAX_AGENT_PAYLOAD_BYTES = 65_535;
/** Deepest nesting of a payload (the top-level object is depth 1). */
export const MAX_AGENT_PAYLOAD_DEPTH = 16;

const MEDIA_TYPE_PREFIX = 'application/vnd.atlog.';

interface Definition<N extends AgentStatementName> {
  readonly title: string;
  readonly description: string;
  readonly schema: Schema<AgentPayloads[N]>;
  readonly rules: (payload: AgentPayloads[N]) => SchemaFailure | undefined;
  readonly subject: (payload: AgentPayloads[N]) => string;
  readonly subjectPath: string;
}

const DEFINITIONS: { readonly [N in AgentStatementName]: Definition<N> } = {
  'exec-audit': {
    title: 'atlog execution audit token',
    description: 'One per action an agent executed; ECT-compatible.',
    schema: execAuditSchema,
    rules: execAuditRules,
    subject: (payload) => payload.agent.id,
    subjectPath: '/agent/id',
  },
  'behavior-attestation': {
    title: 'atlog behavioral attestation',
    description: 'RATS Evidence about one agent over an observation window.',
    schema: behaviorAttestationSchema,
    rules: behaviorAttestationRules,
    subject: (payload) => payload.agent.id,
    subjectPath: '/agent/id',
  },
  'resource-usage': {
    title: 'atlog resource usage record',
    description: 'What one agent consumed, per task or per metering window.',
    schema: resourceUsageSchema,
    rules: resourceUsageRules,
    subject: (payload) => payload.agent.id,
    subjectPath: '/agent/id',
  },
  'override-event': {
    title: 'atlog human override event',
    description: 'One phase of a human override; each phase a statement linked to the one before.',
    schema: overrideEventSchema,
    rules: overrideEventRules,
    subject: (payload) => payload.override_id,
    subjectPath: '/override_id',
  },
  'behavior-profile': {
    title: 'atlog behavioral profile',
    description: 'The Appraisal Policy for Evidence of the agents it covers.',
    schema: behaviorProfileSchema,
    rules: behaviorProfileRules,
    subject: (payload) => payload.id,
    subjectPath: '/id',
  },
};

interface Compiled {
  readonly type: AgentStatementType;
  readonly validate: (value: unknown) => SchemaFailure | undefined;
}

const COMPILED = new Map<AgentStatementName, Compiled>(
  AGENT_STATEMENT_NAMES.map((name) => {
    const definition = DEFINITIONS[name] as unknown as Definition<AgentStatementName>;
    const profile = PROFILE_IDS[name];
    const schemaCheck = compileValidator(definition.schema);
    const rules = definition.rules as (payload: unknown) => SchemaFailure | undefined;
    const type: AgentStatementType = Object.freeze({
      name,
      mediaType: `${MEDIA_TYPE_PREFIX}${name}+json`,
      profile,
      title: definition.title,
      schema: emitJsonSchema(definition.schema, {
        id: profile,
        title: definition.title,
        description: (definition.schema.spec.description ?? definition.description) as string,
      }),
      subject: definition.subject as (payload: AgentPayload) => string,
      subjectPath: definition.subjectPath,
    });
    return [name, { type, validate: (value: unknown) => schemaCheck(value) ?? rules(value) }];
  }),
);

/** The five types, in a fixed order. */
export const AGENT_STATEMENT_TYPES: readonly AgentStatementType[] = Object.freeze(AGENT_STATEMENT_NAMES.map((name) => COMPILED.get(name)!.type));

const BY_MEDIA_TYPE = new Map(AGENT_STATEMENT_TYPES.map((type) => [type.mediaType, type]));

/**
 * The agent statement type of a content type: type/subtype compared case-insensitively, its
 * parameters ignored (`application/vnd.atlog.exec-audit+json; charset=utf-8`). Undefined for any
 * other content type (and for CoAP content formats: none is assigned to these types).
 */
export function agentStatementType(contentType: string | number | undefined): AgentStatementType | undefined {
  if (typeof contentType !== 'string' || contentType.length > 255 + 1024) return undefined;
  const semicolon = contentType.indexOf(';');
  const bare = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return BY_MEDIA_TYPE.get(bare);
}

function typeNamed(type: AgentStatementName | AgentStatementType): Compiled {
  const name = typeof type === 'string' ? type : typeof type === 'object' && type !== null ? type.name : undefined;
  const compiled = typeof name === 'string' ? COMPILED.get(name as AgentStatementName) : undefined;
  if (compiled === undefined) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 64)) : 'that';
    throw new AgentStatementError('STATEMENT_UNKNOWN_TYPE', '', `${shown} is not an agent statement type; the types are ${AGENT_STATEMENT_NAMES.join(', ')}`);
  }
  return compiled;
}

/** The names of the published schemas, in a fixed order. */
export function agentStatementSchemaNames(): readonly AgentStatementName[] {
  return AGENT_STATEMENT_NAMES;
}

/** The JSON Schema of a type by name (deep-frozen), or undefined for another name. */
export function agentStatementSchema(name: string): JsonSchema | undefined {
  return COMPILED.get(name as AgentStatementName)?.type.schema;
}

/** Validates a parsed JSON value: the first failure (schema, then semantic rules), or undefined. */
export function validateAgentPayload(type: AgentStatementName | AgentStatementType, value: unknown): SchemaFailure | undefined {
  return typeNamed(type).validate(value);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict JSON text of a payload, or throws STATEMENT_MALFORMED. */
export function parsePayloadJson(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new AgentStatementError('STATEMENT_MALFORMED', '', 'the payload must be bytes');
  if (bytes.length > MAX_AGENT_PAYLOAD_BYTES) throw new AgentStatementError('STATEMENT_MALFORMED', '', `the payload is ${bytes.length} bytes; at most ${MAX_AGENT_PAYLOAD_BYTES}`);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new AgentStatementError('STATEMENT_MALFORMED', '', 'the payload starts with a byte order mark, which JSON text must not (RFC 8259 §8.1)');
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch (error) {
    throw new AgentStatementError('STATEMENT_MALFORMED', '', 'the payload is not UTF-8 text', { cause: error });
  }
  try {
    return parseStrictJson(text, { maxLength: MAX_AGENT_PAYLOAD_BYTES, maxDepth: MAX_AGENT_PAYLOAD_DEPTH });
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    throw new AgentStatementError('STATEMENT_MALFORMED', '', `not strict JSON: ${error.message}`, { cause: error });
  }
}

/**
 * Parses a payload of an agent statement type: at most 65 535 bytes of UTF-8 strict JSON (no
 * member twice, depth ≤ 16), then its schema, then its semantic rules. Returns the payload,
 * deep-frozen, or throws AgentStatementError (STATEMENT_MALFORMED, or STATEMENT_INVALID with the
 * first failure's `path` and `reason`).
 */
export function parseAgentPayload<N extends AgentStatementName>(type: N | AgentStatementType<N>, bytes: Uint8Array): AgentPayloads[N] {
  const compiled = typeNamed(type as AgentStatementName | AgentStatementType);
  const value = parsePayloadJson(bytes);
  const failure = compiled.validate(value);
  if (failure !== undefined) throw new AgentStatementError('STATEMENT_INVALID', failure.path, failure.reason);
  return deepFreeze(value) as AgentPayloads[N];
}
