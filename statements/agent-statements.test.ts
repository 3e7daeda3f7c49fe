// The five agent statement schemas, each against its example and against every mutation of it
// the schema can name: each required member removed, each member of the wrong JSON type, each
// string and array over its limit, each enum and pattern broken, an unknown member in every
// object and an x- member beside it. Our validator must refuse each with the exact path and
// reason; ajv, given the published JSON Schema, must agree on valid and invalid every time.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  AGENT_STATEMENT_EXAMPLES,
  AGENT_STATEMENT_NAMES,
  AGENT_STATEMENT_TYPES,
  type AgentStatementName,
  AgentStatementError,
  agentStatementSchema,
  agentStatementSchemaNames,
  agentStatementType,
  parseAgentPayload,
  validateAgentPayload,
} from './index.js';
import {
  behaviorAttestationSchema,
  behaviorProfileSchema,
  execAuditSchema,
  overrideEventSchema,
  resourceUsageSchema,
} from './agent-types.js';
import { type Spec } from './schema-dsl.js';

const SPECS: Record<AgentStatementName, Spec> = {
  'exec-audit': execAuditSchema.spec,
  'behavior-attestation': behaviorAttestationSchema.spec,
  'resource-usage': resourceUsageSchema.spec,
  'override-event': overrideEventSchema.spec,
  'behavior-profile': behaviorProfileSchema.spec,
};

type Json = null | boolean | number | string | Json[] | { [name: string]: Json };
type Path = (string | number)[];

const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: false, validateFormats: false });
const ajvValidators = new Map(AGENT_STATEMENT_TYPES.map((type) => [type.name, ajv.compile(type.schema as object)]));
const ajvAccepts = (name: AgentStatementName, value: unknown) => ajvValidators.get(name)!(value) as boolean;

const clone = <T>(value: T): T => structuredClone(value) as T;
const example = (name: AgentStatementName) => clone(AGENT_STATEMENT_EXAMPLES[name]) as unknown as { [name: string]: Json };
const escape = (segment: string | number) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (path: Path) => path.map((segment) => `/${escape(segment)}`).join('');

function get(root: Json, path: Path): Json {
  return path.reduce<Json>((value, segment) => (value as Record<string, Json>)[segment as string] as Json, root);
}

/** A copy of the root with the value at `path` changed. */
function mutate(root: { [name: string]: Json }, path: Path, change: (parent: Record<string | number, Json>, key: string | number) => void) {
  const copy = clone(root);
  const parent = get(copy, path.slice(0, -1)) as Record<string | number, Json>;
  change(parent, path[path.length - 1]!);
  return copy;
}

interface Visited {
  readonly path: Path;
  readonly value: Json;
  readonly spec: Spec;
}

/** Every value of an example with the schema node that applies to it, in document order. */
function* walk(value: Json, spec: Spec, path: Path = []): Generator<Visited> {
  yield { path, value, spec };
  if (spec.kind === 'object' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [name, member] of Object.entries(value)) {
      const known = spec.members[name];
      if (known !== undefined) yield* walk(member, known.spec, [...path, name]);
    }
  } else if (spec.kind === 'map' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, member] of Object.entries(value)) yield* walk(member, spec.values, [...path, key]);
  } else if (spec.kind === 'array' && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* walk(value[i]!, spec.items, [...path, i]);
  } else if (spec.kind === 'anyOf') {
    const option = spec.options.find((candidate) => jsonKind(candidate) === jsonKindOf(value));
    if (option !== undefined && option.kind !== 'anyOf') yield* [...walk(value, option, path)].slice(1);
  }
}

const jsonKind = (spec: Spec) => (spec.kind === 'integer' ? 'number' : spec.kind === 'map' ? 'object' : spec.kind);
const jsonKindOf = (value: Json) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value);

interface Mutation {
  readonly what: string;
  readonly payload: unknown;
  readonly path: string;
  readonly reason: string;
}

const typeReason = (spec: Spec): string => {
  switch (spec.kind) {
    case 'string':
      return spec.pattern !== undefined || spec.values !== undefined ? `must be ${spec.what}` : 'must be a string';
    case 'integer':
      return 'must be an integer';
    case 'number':
      return 'must be a number';
    case 'boolean':
      return 'must be true or false';
    case 'array':
      return 'must be an array';
    case 'anyOf':
      return `must be ${spec.what}`;
    default:
      return 'must be an object';
  }
};

const wrongValue = (spec: Spec): Json => (spec.kind === 'string' ? 42 : spec.kind === 'array' ? { items: [] } : spec.kind === 'object' || spec.kind === 'map' ? ['not', 'an', 'object'] : spec.kind === 'anyOf' ? null : 'not a number');

function mutations(name: AgentStatementName, root: { [name: string]: Json } = example(name)): Mutation[] {
  const out: Mutation[] = [];
  for (const { path, value, spec } of walk(root, SPECS[name])) {
    const at = pointer(path);
    if (spec.kind !== 'json' && path.length > 0) {
      out.push({ what: `${at} of the wrong type`, payload: mutate(root, path, (parent, key) => (parent[key] = wrongValue(spec))), path: at, reason: typeReason(spec) });
    }
    if (spec.kind === 'object') {
      for (const [member, memberSpec] of Object.entries(spec.members)) {
        if (memberSpec.required && Object.hasOwn(value as object, member)) {
          const payload = path.length === 0 ? (({ [member]: _, ...rest }) => rest)(root) : mutate(root, path, (parent, key) => delete (parent[key] as Record<string, Json>)[member]);
          out.push({ what: `${at} without ${member}`, payload, path: at, reason: `missing required member "${member}"` });
        }
      }
      const withUnknown = clone(root);
      (get(withUnknown, path) as Record<string, Json>).color = 'blue';
      out.push({ what: `${at} with an unknown member`, payload: withUnknown, path: `${at}/color`, reason: 'unknown member; only x- extension members may be added' });
      const badExtension = clone(root);
      (get(badExtension, path) as Record<string, Json>)['x-Acme'] = 1;
      out.push({ what: `${at} with a badly named extension`, payload: badExtension, path: `${at}/x-Acme`, reason: 'unknown member; only x- extension members may be added' });
    }
    if (spec.kind === 'map') {
      const badKey = clone(root);
      (get(badKey, path) as Record<string, Json>)['Bad\u0007Key'] = (Object.values(value as object)[0] ?? 'x') as Json;
      out.push({ what: `${at} with a bad key`, payload: badKey, path: `${at}/Bad\u0007Key`, reason: `not ${spec.keyWhat}` });
      const entries = Object.entries(value as object);
      if (entries.length > 0) {
        const many = clone(root);
        const target = get(many, path) as Record<string, Json>;
        for (let i = 0; i <= spec.maxKeys; i++) target[`k${String.fromCharCode(97 + (i % 26))}${i}`.replace(/^k/, spec.keyPattern.startsWith('^gen_ai') ? 'gen_ai.k' : 'k')] = entries[0]![1] as Json;
        out.push({ what: `${at} with too many members`, payload: many, path: at, reason: `has more than ${spec.maxKeys} members` });
      }
    }
    if (spec.kind === 'string' && path.length > 0) {
      if (spec.values !== undefined) {
        out.push({ what: `${at} not in its enum`, payload: mutate(root, path, (parent, key) => (parent[key] = 'surely-not-a-value')), path: at, reason: `must be ${spec.what}` });
      } else {
        const long = spec.maxLength + 1;
        const reason = spec.pattern !== undefined ? `must be ${spec.what}` : `must be at most ${spec.maxLength} characters long`;
        out.push({ what: `${at} too long`, payload: mutate(root, path, (parent, key) => (parent[key] = 'a'.repeat(long))), path: at, reason });
        if (spec.pattern !== undefined) {
          out.push({ what: `${at} off its pattern`, payload: mutate(root, path, (parent, key) => (parent[key] = `\u0007${value as string}`.slice(0, spec.maxLength))), path: at, reason });
        }
      }
    }
    if ((spec.kind === 'integer' || spec.kind === 'number') && path.length > 0) {
      out.push({
        what: `${at} above its maximum`,
        payload: mutate(root, path, (parent, key) => (parent[key] = spec.maximum === Number.MAX_SAFE_INTEGER ? 2 ** 60 : spec.maximum + 1)),
        path: at,
        reason: spec.maximum === Number.MAX_SAFE_INTEGER ? `must be at least ${spec.minimum}` : `must be from ${spec.minimum} to ${spec.maximum}`,
      });
      if (spec.kind === 'integer') out.push({ what: `${at} a fraction`, payload: mutate(root, path, (parent, key) => (parent[key] = (value as number) + 0.5)), path: at, reason: 'must be an integer' });
    }
    if (spec.kind === 'array' && Array.isArray(value) && value.length > 0) {
      const items = Array.from({ length: spec.maxItems + 1 }, () => clone(value[0]!));
      out.push({ what: `${at} too long`, payload: mutate(root, path, (parent, key) => (parent[key] = items)), path: at, reason: `has ${spec.maxItems + 1} items; at most ${spec.maxItems}` });
      if (spec.minItems === 1) out.push({ what: `${at} empty`, payload: mutate(root, path, (parent, key) => (parent[key] = [])), path: at, reason: 'must not be empty' });
      if (spec.unique) {
        out.push({ what: `${at} with a repeated item`, payload: mutate(root, path, (parent, key) => (parent[key] = [value[0]!, value[0]!])), path: `${at}/1`, reason: 'repeats item 0; items must be distinct' });
      }
    }
  }
  return out;
}

describe.each(AGENT_STATEMENT_NAMES)('%s', (name) => {
  const type = AGENT_STATEMENT_TYPES.find((candidate) => candidate.name === name)!;

  it('accepts its example, and so does ajv with the published schema', () => {
    expect(validateAgentPayload(name, AGENT_STATEMENT_EXAMPLES[name])).toBeUndefined();
    expect(ajvAccepts(name, AGENT_STATEMENT_EXAMPLES[name])).toBe(true);
    const bytes = new TextEncoder().encode(JSON.stringify(AGENT_STATEMENT_EXAMPLES[name]));
    expect(parseAgentPayload(name, bytes)).toEqual(AGENT_STATEMENT_EXAMPLES[name]);
    expect(parseAgentPayload(type, bytes)).toEqual(AGENT_STATEMENT_EXAMPLES[name]);
  });

  const all = mutations(name);

  it('refuses every mutation with its exact path and reason, and ajv agrees', () => {
    expect(all.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const mutation of all) {
      const failure = validateAgentPayload(name, mutation.payload);
      if (failure?.path !== mutation.path || failure.reason !== mutation.reason) {
        wrong.push(`${mutation.what}: expected ${mutation.path}: ${mutation.reason}; got ${failure === undefined ? 'valid' : `${failure.path}: ${failure.reason}`}`);
      }
      if (ajvAccepts(name, mutation.payload)) wrong.push(`${mutation.what}: ajv accepts it`);
    }
    expect(wrong).toEqual([]);
  });

  it('accepts x- extension members in every object, and so does ajv', () => {
    const root = example(name);
    let objects = 0;
    for (const { path, spec } of walk(root, SPECS[name])) {
      if (spec.kind !== 'object') continue;
      objects++;
      const extended = clone(root);
      (get(extended, path) as Record<string, Json>)['x-acme.note_1'] = { any: ['json', 1, true, null] };
      expect(validateAgentPayload(name, extended), pointer(path)).toBeUndefined();
      expect(ajvAccepts(name, extended), pointer(path)).toBe(true);
    }
    expect(objects).toBeGreaterThan(4);
  });

  it('publishes a JSON Schema 2020-12 document named after its profile, deep-frozen', () => {
    const schema = agentStatementSchema(name)!;
    expect(schema).toBe(type.schema);
    expect(schema).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', $id: type.profile, type: 'object', additionalProperties: false });
    expect(schema.title).toBe(type.title);
    expect(Object.isFrozen(schema)).toBe(true);
    expect(Object.isFrozen((schema.properties as Record<string, object>).profile)).toBe(true);
    expect((schema.properties as Record<string, unknown>).profile).toMatchObject({ const: type.profile });
    expect(type.mediaType).toBe(`application/vnd.atlog.${name}+json`);
    expect(type.profile).toBe(`tag:atlog.dev,2026:${name}/v1`);
  });
});

describe('the registry', () => {
  it('finds a type by content type, case-insensitively, ignoring parameters', () => {
    expect(agentStatementType('application/vnd.atlog.exec-audit+json')?.name).toBe('exec-audit');
    expect(agentStatementType('Application/VND.atlog.Override-Event+JSON; charset=utf-8')?.name).toBe('override-event');
    expect(agentStatementType(' application/vnd.atlog.behavior-profile+json ;x=y')?.name).toBe('behavior-profile');
    for (const other of ['application/json', 'application/vnd.atlog.exec-audit+cbor', 'application/vnd.atlog.registration-policy+json', '', 50, undefined]) {
      expect(agentStatementType(other)).toBeUndefined();
    }
  });

  it('names the five schemas, and nothing else', () => {
    expect(agentStatementSchemaNames()).toEqual(['exec-audit', 'behavior-attestation', 'resource-usage', 'override-event', 'behavior-profile']);
    expect(agentStatementSchema('registration-policy')).toBeUndefined();
    expect(agentStatementSchema('__proto__')).toBeUndefined();
    expect(() => parseAgentPayload('nope' as AgentStatementName, new Uint8Array())).toThrow(expect.objectContaining({ code: 'STATEMENT_UNKNOWN_TYPE' }));
  });
});

describe('every read parses the bytes as they are (nothing is remembered)', () => {
  const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('gives an equal frozen value for the same array read twice, and each type judges it', () => {
    const payload = example('exec-audit') as Record<string, unknown>;
    const bytes = bytesOf(payload);
    const first = parseAgentPayload('exec-audit', bytes);
    expect(Object.isFrozen(first)).toBe(true);
    const second = parseAgentPayload('exec-audit', bytes);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    // Equal bytes in another array: an equal value.
    const again = parseAgentPayload('exec-audit', bytesOf(payload));
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    const other = parseAgentPayload('exec-audit', bytesOf({ ...payload, jti: 'f2f3d9a4-1b55-4c0f-9a3e-5b8d0c1e2f3a' }));
    expect(other.jti).toBe('f2f3d9a4-1b55-4c0f-9a3e-5b8d0c1e2f3a');
    // The same array under another type is that type's to judge.
    expect(() => parseAgentPayload('override-event', bytes)).toThrow(AgentStatementError);
    expect(parseAgentPayload('exec-audit', bytes)).toEqual(first);
  });

  it('refuses again what it refused, and reads an array changed since as it is now', () => {
    const payload = example('resource-usage') as Record<string, unknown>;
    const bytes = bytesOf(payload);
    const broken = bytes.slice(0, bytes.length - 1);
    for (let i = 0; i < 2; i++) expect(() => parseAgentPayload('resource-usage', broken)).toThrow(AgentStatementError);
    const value = parseAgentPayload('resource-usage', bytes);
    bytes.fill(0x20); // now blank JSON text
    expect(() => parseAgentPayload('resource-usage', bytes)).toThrow(AgentStatementError);
    // One byte changed in place, still valid JSON of another value: that value, not the first.
    const changed = bytesOf({ ...payload, seq: 1 });
    const before = parseAgentPayload('resource-usage', changed);
    changed.set(new TextEncoder().encode('"seq":2'), new TextDecoder().decode(changed).indexOf('"seq":1'));
    const after = parseAgentPayload('resource-usage', changed);
    expect(after).not.toBe(before);
    expect((after as { seq?: number }).seq).toBe(2);
    expect(parseAgentPayload('resource-usage', bytesOf(payload))).toEqual(value);
  });

  it('reads thousands of distinct payloads, each as itself', () => {
    const payload = example('exec-audit') as Record<string, unknown>;
    // 6000 arrays of ~1.6 KB, ~10 MB in all: many collected while the test runs, none read as another.
    const ids = Array.from({ length: 6000 }, (_, i) => `0b7a6c1e-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
    const padding = 'x'.repeat(1000);
    for (const id of ids) expect(parseAgentPayload('exec-audit', bytesOf({ ...payload, jti: id, 'x-pad': padding })).jti).toBe(id);
    for (const id of ids.slice(0, 50)) expect(parseAgentPayload('exec-audit', bytesOf({ ...payload, jti: id, 'x-pad': padding })).jti).toBe(id);
  });
});

// ---------------------------------------------------------------------------------------------
// Exact messages the issue asks for, and the rules beyond JSON Schema

const enc = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

function refusal(name: AgentStatementName, payload: unknown): AgentStatementError {
  try {
    parseAgentPayload(name, enc(payload));
  } catch (error) {
    expect(error).toBeInstanceOf(AgentStatementError);
    return error as AgentStatementError;
  }
  throw new Error('the payload was accepted');
}

const refused = (name: AgentStatementName, payload: unknown) => {
  const error = refusal(name, payload);
  return { code: error.code, path: error.path, reason: error.reason, message: error.message };
};

const audit = () => example('exec-audit') as Record<string, any>;
const attestation = () => example('behavior-attestation') as Record<string, any>;
const usage = () => example('resource-usage') as Record<string, any>;
const override = () => example('override-event') as Record<string, any>;
const profile = () => example('behavior-profile') as Record<string, any>;

describe('precise refusals', () => {
  it('say the path and the reason', () => {
    const badParent = audit();
    badParent.par = ['a', 'b', 'c', 'no spaces'];
    expect(refused('exec-audit', badParent)).toEqual({
      code: 'STATEMENT_INVALID',
      path: '/par/3',
      reason: 'must be a task id: 1 to 128 of A-Z a-z 0-9 . _ ~ : -',
      message: '/par/3: must be a task id: 1 to 128 of A-Z a-z 0-9 . _ ~ : -',
    });
    const noStatus = audit();
    delete noStatus.outcome.status;
    expect(refused('exec-audit', noStatus).message).toBe('/outcome: missing required member "status"');
    const color = audit();
    color.agent.color = 'blue';
    expect(refused('exec-audit', color).message).toBe('/agent/color: unknown member; only x- extension members may be added');
    const corrPar = usage();
    corrPar.corr.par = ['ok', 'fine', 'good', 'bad/slash'];
    expect(refused('resource-usage', corrPar).message).toBe('/corr/par/3: must be a task id: 1 to 128 of A-Z a-z 0-9 . _ ~ : -');
  });

  it('report the first error in document order', () => {
    const two = audit();
    two.iat = 'yesterday';
    delete two.outcome;
    expect(refused('exec-audit', two).path).toBe('/iat');
    // A missing member is reported when its object closes, after the members present.
    const late = audit();
    delete late.jti;
    late.seq = -1;
    expect(refused('exec-audit', late)).toMatchObject({ path: '/seq', reason: 'must be at least 0' });
  });

  it('escape member names in paths (RFC 6901)', () => {
    const slashed = audit();
    slashed.otel['gen_ai/x~y'] = 1;
    expect(refused('exec-audit', slashed)).toMatchObject({ path: '/otel/gen_ai~1x~0y', reason: 'not an OpenTelemetry attribute name (lower case, dot-separated)' });
  });

  it('refuse the wrong profile, and a payload that is not an object', () => {
    const other = audit();
    other.profile = 'tag:atlog.dev,2026:resource-usage/v1';
    expect(refused('exec-audit', other).message).toBe('/profile: must be "tag:atlog.dev,2026:exec-audit/v1"');
    expect(refused('exec-audit', [1, 2])).toMatchObject({ path: '', reason: 'must be an object', message: 'must be an object' });
    expect(refused('exec-audit', 'null').message).toBe('must be an object');
  });

  it('keep the ECT claims in one place', () => {
    for (const [member, claim] of [['wid', 'wid'], ['tid', 'jti'], ['par', 'par']] as const) {
      const repeated = audit();
      repeated.corr[member] = member === 'par' ? [] : 'x';
      expect(refused('exec-audit', repeated)).toMatchObject({
        path: `/corr/${member}`,
        reason: `in an execution audit token, use the top-level ECT claim "${claim}"; corr must not repeat it`,
      });
      expect(ajvAccepts('exec-audit', repeated)).toBe(false);
    }
  });

  it('bound strings in code points, as JSON Schema does', () => {
    const emoji = audit();
    emoji.outcome.detail = '😀'.repeat(1024); // 2048 UTF-16 units, 1024 code points
    expect(validateAgentPayload('exec-audit', emoji)).toBeUndefined();
    expect(ajvAccepts('exec-audit', emoji)).toBe(true);
    emoji.outcome.detail += 'x';
    expect(validateAgentPayload('exec-audit', emoji)).toEqual({ path: '/outcome/detail', reason: 'must be at most 1024 characters long' });
    expect(ajvAccepts('exec-audit', emoji)).toBe(false);
  });

  it('check exact formats: traceparent, pseudonyms, digests, agent ids, dates', () => {
    const cases: [string, unknown, boolean][] = [
      ['/corr/traceparent', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', false],
      ['/corr/traceparent', '00-6a1f2b3c9d4e4f508a6172b3c4d5e6f7-0000000000000000-01', false],
      ['/corr/traceparent', '01-6a1f2b3c9d4e4f508a6172b3c4d5e6f7-00f067aa0ba902b7-01', false],
      ['/corr/traceparent', '00-6A1F2B3C9D4E4F508A6172B3C4D5E6F7-00f067aa0ba902b7-01', false],
      ['/corr/tracestate', 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7', true],
      ['/corr/tracestate', 'tenant@vendor=v1 , b=2', true],
      ['/corr/tracestate', 'Upper=1', false],
      ['/corr/tracestate', 'a=1,' + Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(','), false],
      ['/dp/units/agent', 'hmac-sha256:qfcOAiJwJEY2S7fnvTTfxkkelVRUTfa2OtqwfaOVDLd', false], // non-canonical last character
      ['/dp/units/agent', 'alice@example.com', false],
      ['/ect/hash', 'sha-256:' + 'A'.repeat(64), false],
      ['/ect/hash', 'sha-384:' + 'a'.repeat(96), true],
      ['/ect/hash', 'sha-384:' + 'a'.repeat(64), false],
      ['/usage_ref', 'A'.repeat(64), false],
      ['/agent/id', 'spiffe://domain-a.example', false],
      ['/agent/id', 'spiffe://domain-a.example/agent/../admin', false],
      ['/agent/id', 'spiffe://Domain-A.example/agent', false],
      ['/agent/id', 'wimse://domain-a.example/agent/planner', true],
      ['/agent/id', 'https://domain-a.example/agent/planner', false],
      ['/domain', 'domain-a.example.', false],
      ['/domain', '-bad.example', false],
      ['/start', '2026-01-01T00:00:00.120+01:00', true],
      ['/start', '2026-01-01t00:00:00Z', false],
      ['/start', '2026-01-01T24:00:00Z', false],
      ['/target', 'https://db.example/orders with space', false],
      ['/inp_hash', 'KanndYCsha2JZULUWuUuIYQou-mwx1K8J4XtIqbsoBo=', false],
    ];
    for (const [path, value, valid] of cases) {
      const payload = audit();
      const segments = path.split('/').slice(1);
      const parent = segments.slice(0, -1).reduce((node, key) => node[key], payload);
      parent[segments[segments.length - 1]!] = value;
      if (path === '/start') payload.end = '2026-12-31T00:00:00Z';
      const failure = validateAgentPayload('exec-audit', payload);
      expect({ path, value, valid: failure === undefined, ajv: ajvAccepts('exec-audit', payload) }).toEqual({ path, value, valid, ajv: valid });
      if (!valid) expect(failure?.path).toBe(path);
    }
  });
});

describe('rules beyond JSON Schema (ours refuse, the published schema cannot tell)', () => {
  const beyond = (name: AgentStatementName, payload: Record<string, any>, path: string, reason: string) => {
    expect(validateAgentPayload(name, payload)).toEqual({ path, reason });
    expect(ajvAccepts(name, payload)).toBe(true);
  };

  it('iat has at most millisecond precision', () => {
    const precise = audit();
    precise.iat = 1767225600.1234;
    beyond('exec-audit', precise, '/iat', 'must have at most millisecond precision (3 decimals)');
    precise.iat = 1767225600.123;
    expect(validateAgentPayload('exec-audit', precise)).toBeUndefined();
  });

  it('dates exist in their month', () => {
    const leap = audit();
    leap.start = '2026-02-29T00:00:00Z';
    beyond('exec-audit', leap, '/start', 'must be a calendar date: that day does not exist in that month');
    leap.start = '2028-02-29T00:00:00Z';
    leap.end = '2028-03-01T00:00:00Z';
    expect(validateAgentPayload('exec-audit', leap)).toBeUndefined();
  });

  it('start is not after end, offsets and fractions counted', () => {
    const reversed = audit();
    reversed.end = '2026-01-01T00:00:00.119Z';
    beyond('exec-audit', reversed, '/end', 'must not be before start');
    reversed.end = '2026-01-01T01:00:00.12+01:00'; // the same instant as start
    expect(validateAgentPayload('exec-audit', reversed)).toBeUndefined();
    reversed.end = '2026-01-01T01:00:00.119999999+01:00';
    expect(validateAgentPayload('exec-audit', reversed)?.path).toBe('/end');
    const window = attestation();
    window.window.end = '2025-12-31T23:59:59Z';
    beyond('behavior-attestation', window, '/window/end', 'must not be before start');
    const period = usage();
    period.period.start = '2026-01-01T00:02:00Z';
    beyond('resource-usage', period, '/period/end', 'must not be before start');
    const charge = usage();
    charge.focus.ChargePeriodEnd = '2025-01-01T00:00:00Z';
    beyond('resource-usage', charge, '/focus/ChargePeriodEnd', 'must not be before ChargePeriodStart');
  });

  it('a task is not its own parent', () => {
    const self = audit();
    self.par = ['0f9e8d7c', self.jti];
    beyond('exec-audit', self, '/par/1', 'a task cannot be its own parent (it is the jti)');
  });

  it('durations are longer than zero and at most 366 days', () => {
    const zero = profile();
    zero.rate_limits[0].window = 'PT0S';
    beyond('behavior-profile', zero, '/rate_limits/0/window', 'must be longer than zero');
    zero.rate_limits[0].window = 'P367D';
    beyond('behavior-profile', zero, '/rate_limits/0/window', 'must be at most 366 days (P366D)');
    for (const [value, valid] of [['P1DT12H', true], ['PT90M', true], ['P1W', false], ['PT1.5S', false], ['P1DT', false], ['P', false], ['PT', false], ['p1d', false]] as const) {
      zero.rate_limits[0].window = value;
      expect({ value, valid: validateAgentPayload('behavior-profile', zero) === undefined }).toEqual({ value, valid });
    }
  });

  it('attestation counts add up, each action and measurement once', () => {
    const denied = attestation();
    denied.observed.actions[0].denied = 381;
    beyond('behavior-attestation', denied, '/observed/actions/0/denied', 'must not exceed count (380)');
    const twice = attestation();
    twice.observed.actions[2].action = 'tool:sql.query';
    beyond('behavior-attestation', twice, '/observed/actions/2/action', 'repeats the action of item 0; each action once');
    const measured = attestation();
    measured.measurements[1].name = 'model';
    beyond('behavior-attestation', measured, '/measurements/1/name', 'repeats the name of item 0; each name once');
    const seq = attestation();
    seq.covered.last_seq = 1;
    beyond('behavior-attestation', seq, '/covered/last_seq', 'must not be below first_seq');
    const nested = attestation();
    nested.submods.retriever.observed.actions[0].failed = 58;
    beyond('behavior-attestation', nested, '/submods/retriever/observed/actions/0/failed', 'must not exceed count (57)');
  });

  it('usage records: a task record names its task, measurements once, costs in a currency', () => {
    const noTask = usage();
    delete noTask.corr.tid;
    beyond('resource-usage', noTask, '/corr', 'missing member "tid", required when scope is "task"');
    noTask.scope = 'window';
    expect(validateAgentPayload('resource-usage', noTask)).toBeUndefined();
    const twice = usage();
    twice.measurements[4].name = 'gen_ai.usage.input_tokens';
    beyond('resource-usage', twice, '/measurements/4/name', 'repeats the name of item 0; each name once');
    const noCurrency = usage();
    delete noCurrency.focus.BillingCurrency;
    beyond('resource-usage', noCurrency, '/focus', 'missing member "BillingCurrency", required with BilledCost');
  });

  it('override events: approvals name what they answer, agent phases are signed by a target', () => {
    const approve = override();
    approve.action = 'approve';
    approve.target = { agents: approve.target.agents, scope: 'agent' };
    beyond('override-event', approve, '/target', 'approve must name what it answers: target.tasks (the gated tasks) or target.request');
    approve.target.tasks = ['a1b2'];
    expect(validateAgentPayload('override-event', approve)).toBeUndefined();
    const ack = acknowledged();
    ack.agent.id = 'spiffe://domain-a.example/agent/someone-else';
    beyond('override-event', ack, '/agent/id', 'must be one of target.agents: only an overridden agent signs an agent phase');
    const noAckAt = acknowledged();
    delete noAckAt.result.ack_at;
    beyond('override-event', noAckAt, '/result', 'missing member "ack_at", required when phase is "acknowledged"');
    const enforced = acknowledged();
    enforced.phase = 'enforced';
    beyond('override-event', enforced, '/result', 'missing member "effective_at", required when phase is "enforced"');
  });

  it('profiles: a condition’s value fits its op', () => {
    const list = profile();
    list.human_approval[0].when.tctx[0] = { path: 'currency', op: 'in', value: 'EUR' };
    beyond('behavior-profile', list, '/human_approval/0/when/tctx/0/value', 'must be a list for op "in"');
    list.human_approval[0].when.tctx[0] = { path: 'amount', op: 'gt', value: '1000' };
    beyond('behavior-profile', list, '/human_approval/0/when/tctx/0/value', 'must be a number for op "gt"');
    list.human_approval[0].when.tctx[0] = { path: 'amount', op: 'eq', value: [1] };
    beyond('behavior-profile', list, '/human_approval/0/when/tctx/0/value', 'must be a single value for op "eq"');
    list.human_approval[0].when.tctx[0] = { path: 'currency', op: 'in', value: ['EUR', 'USD'] };
    expect(validateAgentPayload('behavior-profile', list)).toBeUndefined();
  });
});

/** The agent's acknowledgement of the example's pause. */
function acknowledged(): Record<string, any> {
  const ack = override();
  delete ack.operator;
  ack.iss = 'spiffe://domain-a.example/agent/planner';
  ack.phase = 'acknowledged';
  ack.prev = '8b5cc4df7eec7d32a7814eca4af047ae33b2d52342667715682e19c25b0b9faa';
  ack.agent = { id: 'spiffe://domain-a.example/agent/planner' };
  ack.result = { ack_at: '2026-01-01T00:15:00.140Z', latency_ms: 140 };
  return ack;
}

describe('conditional members (JSON Schema if/then: ajv agrees)', () => {
  const conditional = (name: AgentStatementName, payload: Record<string, any>, path: string, reason: string) => {
    expect(validateAgentPayload(name, payload)).toEqual({ path, reason });
    expect(ajvAccepts(name, payload)).toBe(false);
  };

  it('prev exactly when the phase is not issued; result and agent in the agent phases', () => {
    expect(validateAgentPayload('override-event', acknowledged())).toBeUndefined();
    expect(ajvAccepts('override-event', acknowledged())).toBe(true);
    const issuedWithPrev = override();
    issuedWithPrev.prev = '8b5cc4df7eec7d32a7814eca4af047ae33b2d52342667715682e19c25b0b9faa';
    conditional('override-event', issuedWithPrev, '/prev', 'must be absent when phase is "issued"');
    const noPrev = acknowledged();
    delete noPrev.prev;
    conditional('override-event', noPrev, '', 'missing member "prev", required when phase is "acknowledged"');
    const noResult = acknowledged();
    delete noResult.result;
    conditional('override-event', noResult, '', 'missing member "result", required when phase is "acknowledged"');
    const noAgent = acknowledged();
    delete noAgent.agent;
    conditional('override-event', noAgent, '', 'missing member "agent", required when phase is "acknowledged"');
    const noOperator = override();
    delete noOperator.operator;
    conditional('override-event', noOperator, '', 'missing member "operator", required when phase is "issued"');
    const confirmed = acknowledged();
    confirmed.phase = 'confirmed';
    delete confirmed.result;
    delete confirmed.agent;
    expect(validateAgentPayload('override-event', confirmed)).toBeUndefined();
  });

  it('actions bring their members: params, rollback; JSON Patch operations theirs', () => {
    const modify = override();
    modify.action = 'modify_parameters';
    conditional('override-event', modify, '', 'missing member "params", required when action is "modify_parameters"');
    modify.params = { patch: [{ op: 'replace', path: '/limits/max_transfers_per_hour' }] };
    conditional('override-event', modify, '/params/patch/0', 'missing member "value", required when op is "replace"');
    modify.params.patch[0].value = 0;
    expect(validateAgentPayload('override-event', modify)).toBeUndefined();
    modify.params.patch[0] = { op: 'move', path: '/a' };
    conditional('override-event', modify, '/params/patch/0', 'missing member "from", required when op is "move"');
    const rollback = override();
    rollback.action = 'forced_rollback';
    conditional('override-event', rollback, '', 'missing member "rollback", required when action is "forced_rollback"');
    rollback.rollback = { to: {}, method: 'compensate' };
    conditional('override-event', rollback, '/rollback/to', 'must have at least one of "tid", "entry"');
  });

  it('targets name what their scope says; links name a record or a task; dp a unit', () => {
    const task = override();
    task.target.scope = 'task';
    conditional('override-event', task, '/target', 'missing member "tasks", required when scope is "task"');
    const link = audit();
    link.corr.links[0] = { rel: 'caused-by', domain: 'domain-b.example' };
    conditional('exec-audit', link, '/corr/links/0', 'must have at least one of "record", "tid"');
    const units = audit();
    units.dp.units = {};
    conditional('exec-audit', units, '/dp/units', 'must have at least one of "agent", "principal", "workflow"');
    const cost = profile();
    delete cost.resource_limits[1].currency;
    conditional('behavior-profile', cost, '/resource_limits/1', 'missing member "currency", required when name is "cost"');
    const error = audit();
    error.outcome.error_type = 'timeout';
    conditional('exec-audit', error, '/outcome/error_type', 'must be absent when status is "ok"');
    error.outcome.status = 'error';
    expect(validateAgentPayload('exec-audit', error)).toBeUndefined();
  });

  it('bound recursion: actor chains at 8, submodules at 2 levels', () => {
    const chain = audit();
    let actor: Record<string, any> = { sub: 'a0' };
    chain.authority.act = actor;
    for (let i = 1; i < 8; i++) actor = actor.act = { sub: `a${i}` };
    expect(validateAgentPayload('exec-audit', chain)).toBeUndefined();
    expect(ajvAccepts('exec-audit', chain)).toBe(true);
    actor.act = { sub: 'a8' };
    conditional('exec-audit', chain, `/authority${'/act'.repeat(9)}`, 'an actor chain is at most 8 actors deep');
    const nested = attestation();
    nested.submods.retriever.submods = { embedder: { observed: {} } };
    expect(validateAgentPayload('behavior-attestation', nested)).toBeUndefined();
    expect(ajvAccepts('behavior-attestation', nested)).toBe(true);
    nested.submods.retriever.submods.embedder.submods = { deeper: {} };
    conditional('behavior-attestation', nested, '/submods/retriever/submods/embedder/submods', 'submodules nest at most 2 levels deep');
  });
});

describe('hostile payloads', () => {
  const malformed = (bytes: Uint8Array | string) => {
    try {
      parseAgentPayload('exec-audit', typeof bytes === 'string' ? enc(bytes) : bytes);
    } catch (error) {
      expect(error).toMatchObject({ code: 'STATEMENT_MALFORMED', path: '' });
      return (error as AgentStatementError).message;
    }
    throw new Error('accepted');
  };

  it('refuses what is not strict JSON', () => {
    expect(malformed('{"profile": 1, "profile": 2}')).toBe('not strict JSON: a member name appears twice in one object at character 15');
    expect(malformed("{'a': 1}")).toBe('not strict JSON: expected a member name at character 1');
    expect(malformed('{"a": 1} {}')).toBe('not strict JSON: unexpected text after the value at character 9');
    expect(malformed('')).toBe('not strict JSON: unexpected end of text at character 0');
    expect(malformed(new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]))).toBe('the payload is not UTF-8 text');
    expect(malformed(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))).toBe('the payload starts with a byte order mark, which JSON text must not (RFC 8259 §8.1)');
    expect(malformed('{"a": "\\ud800"}')).toMatch(/^not strict JSON: a string holds a lone surrogate/);
  });

  it('refuses deep nesting before validating, even in an extension member', () => {
    const deep = audit();
    let value: Record<string, unknown> = {};
    deep['x-deep'] = value;
    for (let i = 0; i < 20; i++) value = value.d = {};
    expect(malformed(JSON.stringify(deep))).toMatch(/^not strict JSON: nested deeper than 16 levels at character \d+$/);
    expect(malformed('['.repeat(60_000))).toBe('not strict JSON: nested deeper than 16 levels at character 16');
  });

  it('refuses more than 65 535 bytes before parsing, and a 64 KiB string inside', () => {
    expect(malformed(new Uint8Array(65_536).fill(0x20))).toBe('the payload is 65536 bytes; at most 65535');
    const big = audit();
    big.outcome.detail = 'x'.repeat(60_000);
    expect(refused('exec-audit', big)).toMatchObject({ path: '/outcome/detail', reason: 'must be at most 1024 characters long' });
    big.outcome.detail = 'x'.repeat(64 * 1024);
    expect(malformed(JSON.stringify(big))).toMatch(/^the payload is \d+ bytes; at most 65535$/);
  });

  it('refuses a huge array by its length, without looking at its items', () => {
    const wide = audit();
    wide.par = Array.from({ length: 6000 }, () => 'p');
    expect(refused('exec-audit', wide)).toMatchObject({ path: '/par', reason: 'has 6000 items; at most 64' });
    const dims = audit();
    dims.dp.dims = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`d${i}`, i]));
    expect(refused('exec-audit', dims)).toMatchObject({ path: '/dp/dims', reason: 'has more than 16 members' });
  });

  it('keeps "__proto__" a member, which is then unknown', () => {
    const text = JSON.stringify(audit()).replace(/^\{/, '{"__proto__": {"polluted": true},');
    expect(refused('exec-audit', text)).toMatchObject({ path: '/__proto__', reason: 'unknown member; only x- extension members may be added' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('returns a deep-frozen payload', () => {
    const parsed = parseAgentPayload('exec-audit', enc(audit()));
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.authority.act)).toBe(true);
    expect(Object.isFrozen(parsed.par)).toBe(true);
    // Every object and array of every variant, at every depth.
    const unfrozen = (value: unknown, path: string): string[] =>
      typeof value !== 'object' || value === null
        ? []
        : [...(Object.isFrozen(value) ? [] : [path]), ...Object.entries(value).flatMap(([key, member]) => unfrozen(member, `${path}/${key}`))];
    for (const [name, label, payload] of variants()) {
      expect(unfrozen(parseAgentPayload(name, enc(payload)), ''), label).toEqual([]);
    }
  });
});

/** More valid payloads, so the mutations reach the members the examples leave out. */
function variants(): [AgentStatementName, string, { [name: string]: Json }][] {
  const failed = audit();
  failed.outcome = { status: 'error', error_type: 'timeout', detail: 'the database did not answer' };
  failed.authority.tctx_hash = 'sha-256:c507adfd88928c031e8aeea16af5f342216e8fff34ce14c9095900b195591c64';
  failed.authority.approval_refs = ['449777124b1466a8ed667d0dd4c0620993f59e20fb27b3fa8894e957f8762353'];
  failed.corr.tracestate = 'congo=t61rcWkgMzE';
  failed.corr.links.push({ rel: 'follows-from', record: 'ac0f09c0f8bf5e7a4b063d863255f16d8ce9abe600e288d934cf313bcbff63eb', wid: 'w-2' });
  const rollback = acknowledged();
  Object.assign(rollback, {
    action: 'forced_rollback',
    level: 'emergency',
    phase: 'enforced',
    target: { agents: rollback.target.agents, scope: 'task', tasks: ['a1b2', 'c3d4'], wid: 'w-1', request: '449777124b1466a8ed667d0dd4c0620993f59e20fb27b3fa8894e957f8762353' },
    params: {
      patch: [
        { op: 'replace', path: '/limits/max_transfers_per_hour', value: 0 },
        { op: 'move', from: '/a', path: '/b' },
      ],
      before: 'sha-256:6db7d803e74f1ffa7d8f5adc0bf95b3e15bf4c8373fffadf546227cc6c6742cb',
      after: 'sha-256:f39592393ef0859cb196a52693d2cea00fb2df784b3c04ae54aa7cadb8e562f8',
    },
    rollback: { to: { tid: '0f9e', entry: '449777124b1466a8ed667d0dd4c0620993f59e20fb27b3fa8894e957f8762353' }, method: 'compensate', plan_digest: 'sha-256:64879f7d6b960a01909762d911a32d4582c20010c5641ee90278b644a9e3b525', compensating_tasks: ['comp-1'] },
    confirm: { timeout_s: 600, persist_id: 'rb-77' },
    result: { effective_at: '2026-01-01T00:15:01Z', latency_ms: 900, detail: 'rolled back', compensating_tasks: ['comp-1'] },
  });
  const profileAll = profile();
  profileAll.corr = { wid: 'w-1' };
  profileAll.dp = { units: { agent: 'hmac-sha256:qfcOAiJwJEY2S7fnvTTfxkkelVRUTfa2OtqwfaOVDLc' } };
  profileAll.seq = 3;
  profileAll.denied_actions[0].targets = ['https://pay.example/admin/*'];
  profileAll.human_approval[0].when.target = 'https://pay.example/*';
  profileAll.human_approval[0].when.tctx.push({ path: 'currency', op: 'in', value: ['EUR', 'USD'] });
  profileAll.resource_limits[0].per = 'workflow';
  profileAll.override.max_enforce_latency_ms = 5000;
  profileAll.appraisal.on_violation.reference_mismatch = 'contraindicated';
  const usageAll = usage();
  Object.assign(usageAll.focus, { ListCost: 0.02, ContractedCost: 0.015, BillingAccountId: 'acct-1', SubAccountId: 'sub-1', BillingPeriodStart: '2026-01-01T00:00:00Z', BillingPeriodEnd: '2026-02-01T00:00:00Z', ChargeClass: 'Correction', ChargeDescription: 'tokens', ChargeFrequency: 'Usage-Based', PricingQuantity: 1.51, PricingUnit: '1000 Tokens', ProviderName: 'Domain B', RegionId: 'eu-west-1', ResourceId: 'llm-gw-1', ResourceName: 'gateway', ResourceType: 'LLM', ServiceCategory: 'AI and Machine Learning', Tags: { team: 'planning' }, x_Project: 'alpha' });
  usageAll.provider.agent = 'spiffe://domain-b.example/agent/llm';
  const attestationAll = attestation();
  attestationAll.submods.retriever.deviations = [{ rule: 'r', kind: 'other_kind_is_not_allowed', severity: 'warning', count: 1 }];
  attestationAll.submods.retriever.deviations[0].kind = 'denied_action';
  attestationAll.submods.retriever.deviations[0].entries = ['449777124b1466a8ed667d0dd4c0620993f59e20fb27b3fa8894e957f8762353'];
  return [
    ['exec-audit', 'a failed action', failed as { [name: string]: Json }],
    ['override-event', 'an enforced rollback', rollback as { [name: string]: Json }],
    ['override-event', 'an acknowledgement', acknowledged() as { [name: string]: Json }],
    ['behavior-profile', 'a profile with every member', profileAll as { [name: string]: Json }],
    ['resource-usage', 'a record with every FOCUS column', usageAll as { [name: string]: Json }],
    ['behavior-attestation', 'an attestation with nested deviations', attestationAll as { [name: string]: Json }],
  ];
}

describe.each(variants())('%s: %s', (name, _what, root) => {
  it('is valid, for us and for ajv', () => {
    expect(validateAgentPayload(name, root)).toBeUndefined();
    expect(ajvAccepts(name, root)).toBe(true);
  });

  it('refuses every mutation with its exact path and reason, and ajv agrees', () => {
    const wrong: string[] = [];
    for (const mutation of mutations(name, root)) {
      const failure = validateAgentPayload(name, mutation.payload);
      if (failure?.path !== mutation.path || failure.reason !== mutation.reason) {
        wrong.push(`${mutation.what}: expected ${mutation.path}: ${mutation.reason}; got ${failure === undefined ? 'valid' : `${failure.path}: ${failure.reason}`}`);
      }
      if (ajvAccepts(name, mutation.payload)) wrong.push(`${mutation.what}: ajv accepts it`);
    }
    expect(wrong).toEqual([]);
  });
});

it('counts its mutations (so a generator that finds nothing fails)', () => {
  for (const name of AGENT_STATEMENT_NAMES) expect(mutations(name).length, name).toBeGreaterThan(120);
  expect(variants().reduce((sum, [name, , root]) => sum + mutations(name, root).length, 0)).toBeGreaterThan(1000);
});
