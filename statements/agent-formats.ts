// The string formats and common blocks every agent statement shares: identifiers, digests, entry
// references, times and durations, the correlation block (`corr`) and the privacy block (`dp`).
// docs/statements.md explains each; the descriptions here are what the JSON Schemas publish.

import {
  anyOf,
  boolean,
  documented,
  integer,
  list,
  literal,
  map,
  number,
  object,
  oneOf,
  opt,
  req,
  type Schema,
  text,
  forbidden,
} from './schema-dsl.js';

// ---------------------------------------------------------------------------------------------
// Identifiers

export const TASK_ID_PATTERN = '^[A-Za-z0-9._~:-]{1,128}$';

export const taskId = text({
  def: 'task-id',
  max: 128,
  pattern: TASK_ID_PATTERN,
  what: 'a task id: 1 to 128 of A-Z a-z 0-9 . _ ~ : -',
  description: 'A task id (ECT `jti`): unique within its workflow; 1 to 128 of A-Z a-z 0-9 . _ ~ : - (a UUID fits).',
});

export const workflowId = text({
  def: 'workflow-id',
  max: 128,
  pattern: TASK_ID_PATTERN,
  what: 'a workflow id: 1 to 128 of A-Z a-z 0-9 . _ ~ : -',
  description: 'A workflow id (ECT `wid`): 1 to 128 of A-Z a-z 0-9 . _ ~ : -.',
});

export const recordId = text({
  def: 'record-id',
  max: 128,
  pattern: TASK_ID_PATTERN,
  what: 'a record id: 1 to 128 of A-Z a-z 0-9 . _ ~ : -',
  description: 'An identifier chosen by the issuer: 1 to 128 of A-Z a-z 0-9 . _ ~ : -.',
});

export const ENTRY_ID_PATTERN = '^[0-9a-f]{64}$';

export const entryId = text({
  def: 'entry-id',
  max: 64,
  pattern: ENTRY_ID_PATTERN,
  what: 'an entry id: 64 lower-case hex digits',
  description:
    'An entry reference: the entry id of another statement in the log, 64 lower-case hex digits, the leaf hash SHA-256(0x00 ‖ registered statement). An issuer can compute it before registering (docs/formats.md).',
});

export const digest = text({
  def: 'digest',
  max: 136,
  pattern: '^(?:sha-256:[0-9a-f]{64}|sha-384:[0-9a-f]{96}|sha-512:[0-9a-f]{128})$',
  what: 'a digest: sha-256:<64 hex>, sha-384:<96 hex> or sha-512:<128 hex>, lower case',
  description: 'A content digest: `sha-256:`, `sha-384:` or `sha-512:` and the hash in lower-case hex.',
});

// 43 base64url characters hold 258 bits; the last one carries 2 unused bits, which must be 0.
const BASE64URL_SHA256 = '[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]';

export const ectHash = text({
  def: 'ect-hash',
  max: 43,
  pattern: `^${BASE64URL_SHA256}$`,
  what: 'a base64url SHA-256 digest: 43 characters, no padding, canonical',
  description: 'A SHA-256 digest in ECT form: base64url without padding, 43 characters (canonical: the unused bits are zero).',
});

export const pseudonym = text({
  def: 'pseudonym',
  max: 55,
  pattern: `^hmac-sha256:${BASE64URL_SHA256}$`,
  what: 'a keyed pseudonym: hmac-sha256:<43 base64url characters>',
  description:
    'A keyed pseudonym: `hmac-sha256:` and the base64url (43 characters, no padding) HMAC-SHA-256 of the identifier under a key the domain keeps. Never a raw identifier.',
});

const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
export const DNS_NAME = `${DNS_LABEL}(?:\\.${DNS_LABEL})*`;

export const dnsName = text({
  def: 'domain',
  max: 253,
  pattern: `^${DNS_NAME}$`,
  what: 'a lower-case DNS name',
  description: 'A trust or administrative domain: a lower-case DNS name (labels of a-z 0-9 -, at most 63 each, 253 in all).',
});

const AGENT_PATH = '(?:/(?!\\.\\.?(?:/|$))[A-Za-z0-9._-]+)+';
export const AGENT_ID_PATTERN = `^(?:spiffe|wimse)://${DNS_NAME}${AGENT_PATH}$`;

export const agentId = text({
  def: 'agent-id',
  max: 2048,
  pattern: AGENT_ID_PATTERN,
  what: 'an agent id: spiffe:// or wimse://, a lower-case trust domain and a path',
  description:
    'An agent identifier: its WIMSE or SPIFFE workload identifier, `spiffe://` or `wimse://`, the trust domain (a lower-case DNS name) and a non-empty path of segments of A-Z a-z 0-9 . _ - (not `.` or `..`); no query or fragment.',
});

export const AGENT_PATTERN_PATTERN = `^(?:spiffe|wimse)://${DNS_NAME}(?:${AGENT_PATH}|/[A-Za-z0-9._/-]*\\*)$`;

export const agentPattern = text({
  def: 'agent-pattern',
  max: 2048,
  pattern: AGENT_PATTERN_PATTERN,
  what: 'an agent id, or an agent id prefix that names the trust domain followed by one *',
  description:
    'An agent pattern: an exact agent id, or a prefix ending in a single `*` (prefix match) that names the whole trust domain (`spiffe://domain-a.example/agent/*`).',
});

export const issuer = text({
  def: 'issuer',
  max: 1024,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  what: 'an issuer: 1 to 1024 characters, no control characters',
  description: 'The issuer, exactly as the CWT `iss` (label 15, claim 1) of the signed statement: 1 to 1024 characters.',
});

export const uri = text({
  def: 'uri',
  max: 2048,
  pattern: '^[A-Za-z][A-Za-z0-9+.-]*:[!-~]+$',
  what: 'a URI: a scheme, a colon and printable ASCII without spaces, at most 2048 characters',
  description: 'A URI (RFC 3986): a scheme, a colon, and printable ASCII without spaces; at most 2048 characters.',
});

export const ACTION_CHARS = 'A-Za-z0-9._:/@+-';

export const action = text({
  def: 'action',
  max: 128,
  pattern: `^[${ACTION_CHARS}]{1,128}$`,
  what: 'an action name: 1 to 128 of A-Z a-z 0-9 . _ : / @ + -',
  description: 'An action name (ECT `exec_act`), such as `tool:sql.query` or `payments.transfer`: 1 to 128 of A-Z a-z 0-9 . _ : / @ + -.',
});

export const actionPattern = text({
  def: 'action-pattern',
  max: 128,
  pattern: `^(?:[${ACTION_CHARS}]{1,128}|[${ACTION_CHARS}]{0,127}\\*)$`,
  what: 'an action pattern: an action name, or a prefix followed by one *',
  description: 'An action pattern: an exact action name, or a prefix followed by a single `*` (prefix match; `*` alone matches every action).',
});

export const targetPattern = text({
  def: 'target-pattern',
  max: 2048,
  pattern: '^(?:\\*|[A-Za-z][A-Za-z0-9+.-]*:[!-)+-~]*\\*?)$',
  what: 'a target pattern: a URI without *, optionally followed by one *',
  description: 'A target pattern: an exact URI (without `*`), or a URI prefix followed by a single `*` (prefix match); `*` alone matches every target.',
});

export const NAME_PATTERN = '^[a-z][a-z0-9._-]{0,63}$';

export const name = text({
  def: 'name',
  max: 64,
  pattern: NAME_PATTERN,
  what: 'a name: a lower-case letter, then up to 63 of a-z 0-9 . _ -',
  description: 'A short lower-case name: a letter, then up to 63 of a-z 0-9 . _ -.',
});

export const roleName = documented(name, { def: 'role', description: 'A role name (an operator or approver role): a lower-case letter, then up to 63 of a-z 0-9 . _ -.' });

export const version = text({
  def: 'version',
  max: 64,
  pattern: '^[A-Za-z0-9._+-]{1,64}$',
  what: 'a version: 1 to 64 of A-Z a-z 0-9 . _ + -',
  description: 'A version label: 1 to 64 of A-Z a-z 0-9 . _ + -.',
});

export const measurementName = text({
  def: 'measurement-name',
  max: 128,
  pattern: '^(?:x-[a-z0-9][a-z0-9.-]*\\.)?[a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)*$',
  what: 'a measurement name: an OpenTelemetry name (gen_ai.usage.input_tokens) or x-<domain>.<name>',
  description:
    'A measurement name: the OpenTelemetry attribute or metric name when one exists (`gen_ai.usage.input_tokens`, `process.cpu.time`), else `x-<domain>.<name>`; at most 128 characters.',
});

export const unit = text({
  def: 'unit',
  max: 32,
  pattern: '^[!-~]{1,32}$',
  what: 'a unit: 1 to 32 printable ASCII characters (UCUM or OpenTelemetry: {token}, s, By)',
  description: 'A unit in UCUM / OpenTelemetry notation: `{token}`, `s`, `ms`, `By`, `{request}`, `1`.',
});

export const currency = text({
  def: 'currency',
  max: 3,
  pattern: '^[A-Z]{3}$',
  what: 'an ISO 4217 currency code (three capital letters)',
  description: 'An ISO 4217 currency code: three capital letters (`EUR`).',
});

// ---------------------------------------------------------------------------------------------
// Times and durations

/** NumericDate seconds, at most millisecond precision. */
export const MAX_NUMERIC_DATE = 253_402_300_799; // 9999-12-31T23:59:59Z

export const numericDate = number({
  def: 'numeric-date',
  min: 0,
  max: MAX_NUMERIC_DATE,
  extra: (value) => (/^\d+(?:\.\d{1,3})?$/.test(String(value)) ? undefined : 'must have at most millisecond precision (3 decimals)'),
  extraDoc: 'At most millisecond precision (at most 3 decimals), checked beyond JSON Schema.',
  description: 'A NumericDate (RFC 8392): seconds since 1970-01-01T00:00:00Z, from 0 to 253402300799 (year 9999), at most millisecond precision.',
});

const DATE_TIME = /^(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.(\d{1,9}))?(?:Z|([+-])([01]\d|2[0-3]):([0-5]\d))$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : (MONTH_DAYS[month - 1] as number);
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** An RFC 3339 instant as whole seconds since the epoch and nanoseconds, or undefined. */
export function instant(value: string): { readonly seconds: number; readonly nanos: number } | undefined {
  const match = DATE_TIME.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match as unknown as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (day > daysInMonth(year, month)) return undefined;
  const offset = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
  const seconds = daysFromCivil(year, month, day) * 86_400 + Number(h) * 3600 + Number(mi) * 60 + Number(s) - offset;
  return { seconds, nanos: fraction === undefined ? 0 : Number(fraction.padEnd(9, '0')) };
}

export function compareInstants(a: string, b: string): number {
  const x = instant(a);
  const y = instant(b);
  if (x === undefined || y === undefined) throw new Error('not an instant');
  return x.seconds - y.seconds || x.nanos - y.nanos;
}

export const dateTime = text({
  def: 'date-time',
  max: 35,
  pattern:
    '^\\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\\d|3[01])T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?(?:Z|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)$',
  what: 'an RFC 3339 date-time: 2026-01-01T00:00:00Z, with T and Z or an offset, up to 9 decimals',
  format: 'date-time',
  extra: (value) => (instant(value) === undefined ? 'must be a calendar date: that day does not exist in that month' : undefined),
  extraDoc: 'The day must exist in its month (no 2026-02-30), checked beyond JSON Schema. No leap seconds.',
  description: 'An instant, RFC 3339 `date-time` with an upper-case `T` and `Z` or a numeric offset, at most 9 decimals of seconds, no leap second.',
});

const DURATION = /^P(?=\d|T\d)(?:(\d{1,3})D)?(?:T(?=\d)(?:(\d{1,4})H)?(?:(\d{1,6})M)?(?:(\d{1,8})S)?)?$/;
export const MAX_DURATION_SECONDS = 366 * 86_400;

/** The seconds of a duration in atlog's ISO 8601 subset, or undefined. */
export function durationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value);
  if (match === null) return undefined;
  const [, d = '0', h = '0', m = '0', s = '0'] = match;
  return Number(d) * 86_400 + Number(h) * 3600 + Number(m) * 60 + Number(s);
}

export const duration = text({
  def: 'duration',
  max: 32,
  pattern: '^P(?=\\d|T\\d)(?:\\d{1,3}D)?(?:T(?=\\d)(?:\\d{1,4}H)?(?:\\d{1,6}M)?(?:\\d{1,8}S)?)?$',
  what: 'a duration: ISO 8601 days, hours, minutes and seconds in whole numbers (PT1M, PT15M, P1D, P1DT12H)',
  extra: (value) => {
    const seconds = durationSeconds(value) as number;
    return seconds === 0 ? 'must be longer than zero' : seconds > MAX_DURATION_SECONDS ? 'must be at most 366 days (P366D)' : undefined;
  },
  extraDoc: 'Longer than zero and at most P366D, checked beyond JSON Schema.',
  description:
    'A duration in a bounded subset of ISO 8601: `P`, then whole days `nD`, then `T` and whole hours `nH`, minutes `nM`, seconds `nS` (each optional, in that order, at least one); no years, months, weeks or fractions, so every duration has a fixed length. Longer than zero and at most P366D.',
});

// ---------------------------------------------------------------------------------------------
// Small values

export const count = integer({ def: 'count', min: 0, max: Number.MAX_SAFE_INTEGER, description: 'A count: a non-negative safe integer.' });

export const sequence = integer({
  def: 'sequence',
  min: 0,
  max: Number.MAX_SAFE_INTEGER,
  description: 'A sequence number: a non-negative safe integer, increasing per issuer, so that gaps are detectable.',
});

export const milliseconds = integer({ min: 0, max: 86_400_000, description: 'Milliseconds, from 0 to 86400000 (one day).' });

const scalarText = text({ min: 0, max: 256 });
const scalarNumber = number({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

export const scalar = anyOf([scalarText, scalarNumber, boolean()], 'a string (at most 256 characters), a number or true/false', {
  def: 'scalar',
  description: 'A scalar: a string of at most 256 characters, a number within ±(2^53 − 1), or a boolean.',
});

export const freeText = (max: number, description?: string) => text({ max, ...(description === undefined ? {} : { description }) });

// ---------------------------------------------------------------------------------------------
// Attribute maps

export const genAiAttributes = map(scalar, {
  def: 'gen-ai-attributes',
  keyWhat: 'an OpenTelemetry gen_ai.* attribute name',
  keyPattern: '^gen_ai\\.[a-z0-9_.]{1,120}$',
  keyMaxLength: 127,
  max: 16,
  description:
    'OpenTelemetry GenAI attributes with their exact names (`gen_ai.provider.name`, `gen_ai.request.model`, `gen_ai.response.model`, …): at most 16, scalar values.',
});

export const otelAttributes = map(scalar, {
  def: 'otel-attributes',
  keyWhat: 'an OpenTelemetry attribute name (lower case, dot-separated)',
  keyPattern: '^[a-z][a-z0-9_]*(?:\\.[a-z0-9_]+)*$',
  keyMaxLength: 128,
  max: 32,
  description: 'OpenTelemetry attributes with their exact names (`gen_ai.operation.name`, `gen_ai.tool.name`, `gen_ai.tool.call.id`, …): at most 32, scalar values.',
});

export const TCTX_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$';

export const tctxKey = text({
  def: 'tctx-key',
  max: 64,
  pattern: TCTX_KEY_PATTERN,
  what: 'a transaction context name: a letter or _, then up to 63 of A-Z a-z 0-9 _ . -',
  description: 'The name of a member of `authority.tctx`: a letter or `_`, then up to 63 of A-Z a-z 0-9 _ . -.',
});

export const tctx = map(scalar, {
  def: 'tctx',
  keyWhat: 'a transaction context name: a letter or _, then up to 63 of A-Z a-z 0-9 _ . -',
  keyPattern: TCTX_KEY_PATTERN,
  keyMaxLength: 64,
  max: 32,
  description:
    'The Txn-Token `tctx` the action ran under (immutable authorization details, `{"action": "BUY", "amount": 1200}`): at most 32 members, scalar values. The profile\'s human-approval predicates read it. Put sensitive values behind `tctx_hash` instead.',
});

// ---------------------------------------------------------------------------------------------
// The common blocks

export const profileRef = object(
  {
    id: req(uri, 'The profile id (the `id` of a behavior-profile payload).'),
    version: req(version, 'The profile version the agent runs under.'),
    entry: opt(entryId, 'The entry id of that profile version in the log.'),
  },
  { def: 'profile-ref', description: 'The behavioral profile an agent declares it runs under.' },
);

export const agentBlock = object(
  {
    id: req(agentId, 'The agent this statement is about: its WIMSE / SPIFFE identifier (the WIT `sub`).'),
    swname: opt(freeText(128), 'The agent software’s name (EAT `swname`), at most 128 characters.'),
    swversion: opt(freeText(64), 'The agent software’s version (EAT `swversion`), at most 64 characters.'),
    model: opt(genAiAttributes, 'The model the agent runs, as OpenTelemetry GenAI attributes.'),
    profile_ref: opt(profileRef, 'The behavioral profile the agent declares.'),
  },
  { def: 'agent', description: 'The agent the statement is about.' },
);

export const LINK_RELATIONS = ['caused-by', 'follows-from', 'delegated-by', 'overrides', 'compensates', 'attests', 'bills'] as const;

export const link = object(
  {
    rel: req(oneOf(LINK_RELATIONS), 'How this statement relates to the other: caused-by, follows-from, delegated-by, overrides, compensates, attests or bills.'),
    record: opt(entryId, 'The other statement, by entry id.'),
    tid: opt(taskId, 'The other task, by task id (possibly in another domain).'),
    wid: opt(workflowId, 'The other task’s workflow, when it is not this one.'),
    domain: opt(dnsName, 'The other statement’s domain, when it is not this one (a cross-domain edge).'),
  },
  {
    def: 'link',
    atLeastOne: ['record', 'tid'],
    description: 'A typed link to another entry or task. At least one of `record` and `tid`. Cross-domain edges are links, never parent/child.',
  },
);

const corrCommon = {
  txn: opt(
    text({ max: 256, pattern: '^[!-~]{1,256}$', what: 'a transaction id: 1 to 256 printable ASCII characters' }),
    'The OAuth Transaction Token `txn`: the call chain within one trust domain.',
  ),
  traceparent: opt(
    text({
      max: 55,
      pattern: '^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$',
      what: 'a W3C traceparent: 00-<32 hex, not all zero>-<16 hex, not all zero>-<2 hex>, lower case',
    }),
    'The W3C Trace Context `traceparent` of the span that did the work: version 00, lower-case hex.',
  ),
  tracestate: opt(
    text({
      max: 512,
      pattern:
        '^[a-z0-9][_0-9a-z*/-]{0,255}(?:@[a-z][_0-9a-z*/-]{0,13})?=[ -+\\--<>-~]{0,255}[!-+\\--<>-~](?:[ \\t]*,[ \\t]*[a-z0-9][_0-9a-z*/-]{0,255}(?:@[a-z][_0-9a-z*/-]{0,13})?=[ -+\\--<>-~]{0,255}[!-+\\--<>-~]){0,31}$',
      what: 'a W3C tracestate: 1 to 32 key=value members separated by commas, at most 512 characters',
    }),
    'The W3C Trace Context `tracestate`: 1 to 32 `key=value` members, at most 512 characters.',
  ),
  links: opt(list(link, { max: 64 }), 'Typed links to other entries and tasks: at most 64.'),
};

export const corrBlock = object(
  {
    wid: opt(workflowId, 'The workflow (ECT `wid`).'),
    tid: opt(taskId, 'The task this statement is about (ECT `jti` of its execution audit token).'),
    par: opt(list(taskId, { max: 64, unique: true }), 'Parent tasks (ECT `par`): at most 64, distinct.'),
    ...corrCommon,
  },
  {
    def: 'corr',
    description: 'The correlation block: what the cross-domain DAG is built from (workflow, task, parents, transaction, trace, typed links).',
  },
);

const ECT_CLAIM = (claim: string) => `in an execution audit token, use the top-level ECT claim "${claim}"; corr must not repeat it`;

export const execAuditCorrBlock = object(
  {
    wid: forbidden(ECT_CLAIM('wid')),
    tid: forbidden(ECT_CLAIM('jti')),
    par: forbidden(ECT_CLAIM('par')),
    ...corrCommon,
  },
  {
    def: 'exec-audit-corr',
    description:
      'The correlation block of an execution audit token: the ECT claims `jti`, `wid` and `par` are top-level members, so `corr` carries only `txn`, the trace context and links; `wid`, `tid` and `par` are refused here.',
  },
);

export const DIMENSION_KEY_PATTERN = '^[a-z][a-z0-9_.]{0,63}$';

export const dpBlock = object(
  {
    units: req(
      object(
        {
          agent: opt(pseudonym, 'The agent, pseudonymised.'),
          principal: opt(pseudonym, 'The principal (the human or organisation the agent acts for), pseudonymised.'),
          workflow: opt(pseudonym, 'The workflow, pseudonymised.'),
        },
        { def: 'privacy-units', atLeastOne: ['agent', 'principal', 'workflow'], description: 'The privacy units of this record, at least one, each a keyed pseudonym.' },
      ),
      'The privacy units the record belongs to: a keyed pseudonym per unit kind (agent, principal, workflow); DP queries bound each unit’s contribution.',
    ),
    dims: opt(
      map(anyOf([text({ max: 64 }), integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), boolean()], 'a string (at most 64 characters), an integer or true/false'), {
        def: 'dimensions',
        keyWhat: 'a dimension name: a lower-case letter, then up to 63 of a-z 0-9 _ .',
        keyPattern: DIMENSION_KEY_PATTERN,
        keyMaxLength: 64,
        max: 16,
        description: 'Low-cardinality dimensions to group by (`action_class`, `outcome`): at most 16; values are short strings (≤ 64), integers or booleans.',
      }),
      'Low-cardinality dimensions DP reports may group by.',
    ),
  },
  { def: 'dp', description: 'The privacy block: what differential-privacy aggregation runs on. Never a raw identifier.' },
);

/** The members every payload starts with. */
export function commonMembers<P extends string>(profileId: P) {
  return {
    profile: req(literal(profileId), `The payload's profile: exactly ${profileId}.`),
    jti: req(recordId, 'The record id, unique per issuer.'),
    iss: req(issuer, 'The issuer: must equal the CWT `iss` of the signed statement exactly.'),
    iat: req(numericDate, 'When the issuer made the statement (NumericDate seconds).'),
    domain: req(dnsName, 'The trust / administrative domain that issues the statement.'),
    seq: opt(sequence, 'The issuer’s sequence number: increases with each statement of this issuer, so gaps are detectable.'),
  };
}

export type CommonSchemaMembers = ReturnType<typeof commonMembers>;
export type TypedSchema<T> = Schema<T>;
