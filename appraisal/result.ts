// The appraisal result: an agent's verdict as an EAR (draft-ietf-rats-ear-03 JSON, §2.5 and §4.6
// of the spec), the payload the service signs and registers. Building it is pure: the same verdict,
// window, tree size and iat give the same bytes. Its size is kept under the log's entry limit by
// listing fewer findings (in their order) and counting the rest; the status counts them all.
import { parseStrictJson } from '../util/index.js';
import type { AgentVerdict, AppraisalWindow, Status, TrustworthinessVector } from './agent-appraisal.js';
import { AppraisalError } from './errors.js';
import type { FindingKind, Tier } from './findings.js';
import { checkSchema } from './json-schema.js';
import { APPRAISAL_RESULT_SCHEMA, APPRAISAL_RULES, EAR_PROFILE } from './result-schema.js';
import { instantMs, rfc3339 } from './time.js';

/** Who made the result (EAR `ear_verifier_id`): the same for every atlog, so replays compare it. */
export const VERIFIER_ID = Object.freeze({ developer: 'atlog.dev', build: 'atlog appraisal (appraisal-rules/v1)' });

/**
 * The largest payload: the log takes entries of up to 65 535 bytes, and the statement around the
 * payload (protected header with the service's URL, signature) needs room too.
 */
export const MAX_RESULT_BYTES = 60_000;

export interface FindingJson {
  readonly kind: FindingKind;
  readonly tier: Tier;
  readonly rule: string;
  readonly profile?: string;
  readonly detail: string;
  readonly at: string;
  readonly count: number;
  readonly evidence: readonly string[];
}

export interface AgentResultJson {
  readonly ear_status: Status;
  readonly ear_trustworthiness_vector: TrustworthinessVector;
  readonly ear_appraisal_policy_ids?: readonly string[];
  readonly 'x-atlog.findings': readonly FindingJson[];
  readonly 'x-atlog.findings_omitted': number;
  readonly 'x-atlog.window': { readonly start?: string; readonly end?: string };
  readonly 'x-atlog.evidence': {
    readonly actions: number;
    readonly unappraised: number;
    readonly attestations: number;
    readonly usage: number;
    readonly overrides: number;
    readonly gated: number;
    readonly pending: number;
    readonly latest?: string;
  };
}

export interface AppraisalResult {
  readonly eat_profile: typeof EAR_PROFILE;
  readonly iat: number;
  readonly ear_verifier_id: { readonly developer: string; readonly build: string };
  readonly ear_status: Status;
  readonly submods: { readonly [agent: string]: AgentResultJson };
  readonly 'x-atlog.rules': typeof APPRAISAL_RULES;
  readonly 'x-atlog.tree_size': number;
}

export interface ResultInput {
  readonly verdict: AgentVerdict;
  readonly window: AppraisalWindow;
  /** The tree size computed on. */
  readonly treeSize: number;
  /** When the service signs it (NumericDate seconds); the one member a replay does not compare. */
  readonly iat: number;
}

export function appraisalResult(input: ResultInput): AppraisalResult {
  const { verdict } = input;
  const build = (listed: number): AppraisalResult => ({
    eat_profile: EAR_PROFILE,
    iat: Math.floor(input.iat),
    ear_verifier_id: { ...VERIFIER_ID },
    ear_status: verdict.status,
    submods: { [verdict.agent]: agentResult(verdict, input.window, listed) },
    'x-atlog.rules': APPRAISAL_RULES,
    'x-atlog.tree_size': input.treeSize,
  });
  let listed = Math.min(verdict.findings.length, 1024);
  let result = build(listed);
  if (encodedSize(result) > MAX_RESULT_BYTES) {
    // The largest prefix of the findings that fits (the size grows with it).
    let lo = 0;
    let hi = listed;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (encodedSize(build(mid)) <= MAX_RESULT_BYTES) lo = mid;
      else hi = mid - 1;
    }
    listed = lo;
    result = build(listed);
  }
  return result;
}

function agentResult(verdict: AgentVerdict, window: AppraisalWindow, listed: number): AgentResultJson {
  const e = verdict.evidence;
  return {
    ear_status: verdict.status,
    ear_trustworthiness_vector: { ...verdict.vector },
    ...(verdict.policyIds.length === 0 ? {} : { ear_appraisal_policy_ids: [...verdict.policyIds] }),
    'x-atlog.findings': verdict.findings.slice(0, listed).map((f) => ({
      kind: f.kind,
      tier: f.tier,
      rule: f.rule,
      ...(f.profile === undefined ? {} : { profile: f.profile }),
      detail: f.detail,
      at: rfc3339(f.at),
      count: f.count,
      evidence: [...f.evidence],
    })),
    'x-atlog.findings_omitted': verdict.findings.length - listed + verdict.unlisted,
    'x-atlog.window': {
      ...(window.from === undefined ? {} : { start: rfc3339(window.from) }),
      ...(window.to === undefined ? {} : { end: rfc3339(window.to) }),
    },
    'x-atlog.evidence': {
      actions: e.actions,
      unappraised: e.unappraised,
      attestations: e.attestations,
      usage: e.usage,
      overrides: e.overrides,
      gated: e.gated,
      pending: e.pending,
      ...(e.latest === undefined ? {} : { latest: rfc3339(e.latest) }),
    },
  };
}

export function encodeResult(result: AppraisalResult): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(result));
}

function encodedSize(result: AppraisalResult): number {
  return Buffer.byteLength(JSON.stringify(result), 'utf8');
}

/** Reads an appraisal result payload: strict JSON, then the result's schema. */
export function parseAppraisalResult(bytes: Uint8Array): AppraisalResult {
  let value: unknown;
  try {
    value = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), { maxLength: 65_535, maxDepth: 8 });
  } catch (error) {
    throw new AppraisalError('APPRAISAL_NOT_RESULT', `an appraisal result is strict JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const failure = checkSchema(APPRAISAL_RESULT_SCHEMA, value);
  if (failure !== undefined) throw new AppraisalError('APPRAISAL_NOT_RESULT', `not an appraisal result: ${failure.path || '/'}: ${failure.reason}`);
  return value as AppraisalResult;
}

/** The one agent a result is about, and its submodule. */
export function resultAgent(result: AppraisalResult): { readonly agent: string; readonly submod: AgentResultJson } {
  const [agent, submod] = Object.entries(result.submods)[0]!;
  return { agent, submod };
}

/** The window a result was computed for, in ms. */
export function resultWindow(result: AppraisalResult): AppraisalWindow {
  const { submod } = resultAgent(result);
  const start = submod['x-atlog.window'].start;
  const end = submod['x-atlog.window'].end;
  return { ...(start === undefined ? {} : { from: instantMs(start)! }), ...(end === undefined ? {} : { to: instantMs(end)! }) };
}

/**
 * The differences between two results, as `path: a ≠ b` lines (at most `max`): everything but
 * `iat`, when each was signed, is compared.
 */
export function resultDifferences(a: AppraisalResult, b: AppraisalResult, max = 50): string[] {
  const out: string[] = [];
  diff({ ...a, iat: 0 }, { ...b, iat: 0 }, '', out, max);
  return out;
}

function diff(a: unknown, b: unknown, path: string, out: string[], max: number): void {
  if (out.length >= max) return;
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a) ? [...Array(Math.max(a.length, (b as unknown[]).length)).keys()].map(String) : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const key of keys) diff((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, out, max);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path || '/'}: ${show(a)} ≠ ${show(b)}`);
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
