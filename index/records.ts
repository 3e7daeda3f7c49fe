// What the index records of one log entry: a pure function of the entry's bytes, its index and
// its registration time, so that indexing the same log twice gives the same records byte for
// byte (`atlog reindex`, the crash test). It never throws on an entry: an entry the index cannot
// read is still recorded, with what could be read of it.

import { hashLeaf } from '../log/tree/index.js';
import { parseStatement, type SignedStatement } from '../receipts/index.js';
import { type AgentPayload, agentStatementType, AgentStatementError, parseAgentPayload } from '../statements/index.js';
import { toHex } from '../util/index.js';

/** The kinds of entry the index tells apart; `other` is any statement of another content type. */
export const ENTRY_TYPES = [
  'exec-audit',
  'behavior-attestation',
  'resource-usage',
  'override-event',
  'behavior-profile',
  'registration-policy',
  'appraisal-result',
  'privacy-report',
  'other',
] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

/** Stable one-byte codes for the types, as stored in postings: never renumber. */
export const ENTRY_TYPE_CODES: Readonly<Record<EntryType, number>> = Object.freeze({
  other: 0,
  'exec-audit': 1,
  'behavior-attestation': 2,
  'resource-usage': 3,
  'override-event': 4,
  'behavior-profile': 5,
  'registration-policy': 6,
  'appraisal-result': 7,
  'privacy-report': 8,
});

/** The service's own statements; the five agent statement types come from statements/. */
const SERVICE_MEDIA_TYPES: ReadonlyMap<string, EntryType> = new Map([
  ['application/vnd.atlog.registration-policy+json', 'registration-policy'],
  ['application/vnd.atlog.appraisal-result+json', 'appraisal-result'],
  ['application/vnd.atlog.privacy-report+json', 'privacy-report'],
]);

/**
 * How much of the payload the index could read: `valid` an agent statement whose payload passes its
 * schema (statements/), `invalid` one that does not (admitted under a policy that did not check
 * it): only its envelope is indexed, `envelope` a hash envelope (the log holds only the digest),
 * `opaque` any other content.
 */
export type PayloadState = 'valid' | 'invalid' | 'envelope' | 'opaque';

export interface IndexedLink {
  readonly rel: string;
  readonly record?: string;
  readonly tid?: string;
  readonly wid?: string;
  readonly domain?: string;
}

export interface IndexedMeasurement {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

/** One entry as the index records it: what the analyses query, never the whole payload. */
export interface IndexedEntry {
  readonly index: number;
  /** The entry id: hex of the leaf hash. */
  readonly entryId: string;
  /** When the log registered it: the timestamp of the first checkpoint that includes it (ms). */
  readonly registeredAt: number;
  /** When the issuer says it happened (ms): the payload's iat, else the CWT iat, else registeredAt. */
  readonly time: number;
  readonly type: EntryType;
  readonly payload: PayloadState;
  readonly contentType?: string | number;
  /** CWT iss and sub. */
  readonly iss: string;
  readonly sub: string;
  readonly domain?: string;
  /** The agent the statement is from or about (agent.id). */
  readonly agent?: string;
  /** Every agent the entry concerns: agent.id, an override's targets, a profile's agents, consumer and provider agents. */
  readonly agents: readonly string[];
  readonly wid?: string;
  readonly tid?: string;
  readonly par: readonly string[];
  readonly txn?: string;
  /** The trace id of a W3C traceparent. */
  readonly traceId?: string;
  readonly links: readonly IndexedLink[];
  /** Every other entry this one refers to by entry id (links, prev, approvals, evidence…). */
  readonly refs: readonly string[];
  /** exec-audit: exec_act; override-event: the override action. */
  readonly action?: string;
  /** exec-audit: outcome.status. */
  readonly outcome?: string;
  readonly overrideId?: string;
  readonly level?: string;
  readonly phase?: string;
  /** behavior-profile: its id and version. */
  readonly profileId?: string;
  readonly profileVersion?: string;
  readonly dims: Readonly<Record<string, string | number | boolean>>;
  readonly units: Readonly<Partial<Record<'agent' | 'principal' | 'workflow', string>>>;
  readonly measurements: readonly IndexedMeasurement[];
}

/** Longest value indexed under a field (bytes of UTF-8); longer values are not indexed under it. */
export const MAX_KEY_VALUE_BYTES = 1024;
const MAX_LIST = 256;
const ENTRY_ID = /^[0-9a-f]{64}$/;

/** The media type of a statement, lower case, without parameters. */
function mediaTypeOf(statement: SignedStatement): string | number | undefined {
  const value = statement.hashEnvelope !== undefined ? statement.hashEnvelope.preimageContentType : statement.contentType;
  if (typeof value !== 'string') return value;
  const semicolon = value.indexOf(';');
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

/** An entry's record but for its place and times: what its bytes alone say. */
export type EntryDescription = Omit<IndexedEntry, 'index' | 'registeredAt' | 'time'>;

/**
 * What the index records of an entry before it has a place in the log: its record but for the
 * index and the registration time, which only the log gives. `time` is undefined when only the
 * registration time can give it (the issuer gave none).
 */
export interface DescribedEntry {
  readonly description: EntryDescription;
  readonly time: number | undefined;
}

/** The index record of the entry at `index`, registered at `registeredAt` (ms). Never throws. */
export function indexEntry(entry: Uint8Array, index: number, registeredAt: number): IndexedEntry {
  return placeEntry(describeEntry(entry), index, registeredAt);
}

/** The record of a described entry once the log has placed it. */
function placeEntry(described: DescribedEntry, index: number, registeredAt: number): IndexedEntry {
  return { ...described.description, index, registeredAt, time: described.time ?? registeredAt };
}

/**
 * The description of an entry from its bytes alone, so that it can be made before the entry is
 * sequenced (where the statement was admitted) and give the same records as one made after.
 * `admitted` saves the parse when the caller has it: the parsed statement the entry was registered
 * from (`registeredFromSign1`), which reads as the entry does when its unprotected header was
 * already empty (the entry is that statement with it emptied); otherwise the entry is parsed.
 * `admittedPayload` saves the payload's parse in that case: what the policy's agent-statements
 * check read of `admitted`'s payload (`Admission.agentPayload`), the same value parseAgentPayload
 * gives. Never throws.
 */
export function describeEntry(entry: Uint8Array, admitted?: SignedStatement, admittedPayload?: AgentPayload): DescribedEntry {
  const entryId = toHex(hashLeaf(entry));
  let statement = admitted !== undefined && admitted.sign1.unprotectedHeader.size === 0 ? admitted : undefined;
  if (statement === undefined) {
    try {
      statement = parseStatement(entry);
    } catch {
      // Not a signed statement: only a log used outside the service holds such entries.
      return { description: described(entryId, 'other', 'opaque', '', ''), time: undefined };
    }
  }
  const contentType = mediaTypeOf(statement);
  const agentType = agentStatementType(contentType);
  const type: EntryType = agentType?.name ?? (typeof contentType === 'string' ? SERVICE_MEDIA_TYPES.get(contentType) : undefined) ?? 'other';
  const time = statement.iat !== undefined && Number.isFinite(statement.iat) && statement.iat >= 0 ? Math.min(Math.round(statement.iat * 1000), MAX_TIME) : undefined;
  const head = (payload: PayloadState): Writable => withOptional(described(entryId, type, payload, statement.iss, statement.sub), { contentType });
  if (statement.hashEnvelope !== undefined) return { description: head('envelope'), time };
  if (agentType === undefined || statement.payload === null) return { description: head('opaque'), time };
  let payload: AgentPayload;
  if (admittedPayload !== undefined && statement === admitted) {
    payload = admittedPayload;
  } else {
    try {
      payload = parseAgentPayload(agentType, statement.payload);
    } catch (error) {
      if (error instanceof AgentStatementError) return { description: head('invalid'), time };
      throw error;
    }
  }
  const p = payload as unknown as Record<string, unknown>;
  // The payload's iat, when it has one the index can hold, else the CWT iat.
  const iat = p.iat;
  const payloadTime = typeof iat === 'number' && Number.isFinite(iat) && iat >= 0 && iat <= 253_402_300_799 ? Math.round(iat * 1000) : undefined;
  return { description: fromPayload(head('valid'), type, p), time: payloadTime ?? time };
}

/** Times are kept as u64 milliseconds: an issuer's later time is recorded as the latest the index holds. */
const MAX_TIME = Number.MAX_SAFE_INTEGER;

type Writable = { -readonly [K in keyof EntryDescription]: EntryDescription[K] };

// Every description is built as one object literal of the members every entry has, then the
// optional ones set in a fixed order: one shape for V8, and the same JSON for the same entry.
function described(entryId: string, type: EntryType, payload: PayloadState, iss: string, sub: string): Writable {
  return { entryId, type, payload, iss, sub, agents: [], par: [], links: [], refs: [], dims: {}, units: {}, measurements: [] };
}

/** Sets the members of `values` that are defined, in their order. */
function withOptional(record: Writable, values: Partial<Writable>): Writable {
  for (const key in values) {
    const value = values[key as keyof Writable];
    if (value !== undefined) (record as Record<string, unknown>)[key] = value;
  }
  return record;
}

/**
 * Reads what the index keeps from a payload that passed its schema. The getters stay defensive
 * (a member's type is checked again, anything unexpected left out) so that the index cannot be
 * made to throw by a schema that later grows.
 */
function fromPayload(record: Writable, type: EntryType, p: Record<string, unknown>): EntryDescription {
  const corr = object(p.corr);
  const dp = object(p.dp);
  const agentId = text(object(p.agent)?.id);
  const agents = new Set<string>();
  if (agentId !== undefined) agents.add(agentId);

  let wid = text(corr?.wid);
  let tid = text(corr?.tid);
  let par = texts(corr?.par);
  let action: string | undefined;
  let outcome: string | undefined;
  let overrideId: string | undefined;
  let level: string | undefined;
  let phase: string | undefined;
  let profileId: string | undefined;
  let profileVersion: string | undefined;
  switch (type) {
    case 'exec-audit': {
      // The ECT claims carry the task's place in the DAG (one place per fact).
      wid = text(p.wid) ?? wid;
      tid = text(p.jti) ?? tid;
      par = p.par === undefined ? par : texts(p.par);
      action = text(p.exec_act);
      outcome = text(object(p.outcome)?.status);
      break;
    }
    case 'resource-usage': {
      for (const side of [object(p.consumer), object(p.provider)]) {
        const agent = text(side?.agent);
        if (agent !== undefined) agents.add(agent);
      }
      break;
    }
    case 'override-event': {
      overrideId = text(p.override_id);
      action = text(p.action);
      level = text(p.level);
      phase = text(p.phase);
      for (const agent of texts(object(p.target)?.agents)) agents.add(agent);
      break;
    }
    case 'behavior-profile': {
      profileId = text(p.id);
      profileVersion = text(p.version);
      for (const agent of texts(object(p.applies_to)?.agents)) agents.add(agent);
      break;
    }
    default:
      break;
  }
  const units: Partial<Record<'agent' | 'principal' | 'workflow', string>> = {};
  const declared = object(dp?.units);
  for (const unit of ['agent', 'principal', 'workflow'] as const) {
    const value = text(declared?.[unit]);
    if (value !== undefined) units[unit] = value;
  }
  record.agents = agents.size <= MAX_LIST ? [...agents] : [...agents].slice(0, MAX_LIST);
  record.par = par.length <= MAX_LIST ? par : par.slice(0, MAX_LIST);
  record.links = links(corr?.links);
  record.refs = references(p);
  record.dims = dims(dp?.dims);
  record.units = units;
  if (type === 'resource-usage') record.measurements = measurements(p.measurements);
  return withOptional(record, {
    domain: text(p.domain),
    agent: agentId,
    wid,
    tid,
    txn: text(corr?.txn),
    traceId: traceIdOf(text(corr?.traceparent)),
    action,
    outcome,
    overrideId,
    level,
    phase,
    profileId,
    profileVersion,
  });
}

function links(value: unknown): IndexedLink[] {
  if (!Array.isArray(value)) return [];
  const out: IndexedLink[] = [];
  for (let i = 0; i < value.length && i < MAX_LIST; i++) {
    const link = object(value[i]);
    const rel = text(link?.rel);
    if (link === undefined || rel === undefined) continue;
    const record: { -readonly [K in keyof IndexedLink]: IndexedLink[K] } = { rel };
    const target = text(link.record);
    if (target !== undefined) record.record = target;
    const tid = text(link.tid);
    if (tid !== undefined) record.tid = tid;
    const wid = text(link.wid);
    if (wid !== undefined) record.wid = wid;
    const domain = text(link.domain);
    if (domain !== undefined) record.domain = domain;
    out.push(record);
  }
  return out;
}

/**
 * Entry references are entry ids, 64 lower-case hex digits, wherever they appear (docs/statements.md):
 * content digests are written `sha-256:<hex>`, so a bare 64-hex string is always a reference.
 */
function references(payload: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const stack: unknown[] = [payload];
  let visited = 0;
  while (stack.length > 0 && visited < 10_000) {
    const value = stack.pop();
    visited++;
    if (typeof value === 'string') {
      if (value.length === 64 && ENTRY_ID.test(value)) found.add(value);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push(value[i]);
    } else if (isObject(value)) {
      const keys = Object.keys(value);
      for (let i = 0; i < keys.length; i++) stack.push(value[keys[i]!]);
    }
  }
  return [...found].sort().slice(0, MAX_LIST);
}

function dims(value: unknown): Record<string, string | number | boolean> {
  const source = object(value);
  const out: Record<string, string | number | boolean> = {};
  if (source === undefined) return out;
  for (const key of Object.keys(source).sort().slice(0, 64)) {
    const v = source[key];
    if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) out[key] = v;
  }
  return out;
}

function measurements(value: unknown): IndexedMeasurement[] {
  if (!Array.isArray(value)) return [];
  const out: IndexedMeasurement[] = [];
  for (const item of value.slice(0, MAX_LIST)) {
    const m = object(item);
    const name = text(m?.name);
    const unit = text(m?.unit);
    const v = m?.value;
    if (name !== undefined && unit !== undefined && typeof v === 'number' && Number.isFinite(v)) out.push({ name, value: v, unit });
  }
  return out;
}

function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = traceparent === undefined ? null : /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent);
  return match?.[1];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 4096 ? value : undefined;
}

function texts(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const item of value.slice(0, MAX_LIST)) {
    const t = text(item);
    if (t !== undefined) out.push(t);
  }
  return out;
}
