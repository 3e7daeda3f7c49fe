// The settings of a registration policy, each checked and put in one canonical form, whether it
// comes from a configuration file or from code: so the same policy has the same description and
// digest however it was written down.

import { CoseAlgorithm, type SignedStatement } from '../receipts/index.js';
import { canonicalJson, type CanonicalJson } from '../util/index.js';
import { badArgument, configError } from './errors.js';
import type { AdmittedIssuer } from './policy.js';

/**
 * The log's largest entry (C2SP tlog-tiles entry bundles hold 16-bit lengths). A statement the
 * log cannot hold cannot be admitted, so no policy may set a larger limit.
 */
export const MAX_LOG_ENTRY_BYTES = 65_535;

/** Algorithm names as the configuration and the description write them, in canonical order. */
export const ALGORITHM_NAMES = ['ES256', 'ES384', 'EdDSA'] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];

/** The default allow-list: every algorithm atlog verifies. */
export const DEFAULT_POLICY_ALGORITHMS: readonly CoseAlgorithm[] = Object.freeze([CoseAlgorithm.ES256, CoseAlgorithm.ES384, CoseAlgorithm.EdDSA]);

/** Most content types in an allow-list. */
export const MAX_CONTENT_TYPES = 64;
/** Longest media type, in characters (RFC 6838 allows 127 for each of type and subtype). */
const MAX_MEDIA_TYPE_LENGTH = 255;
// RFC 6838 §4.2 restricted-name, for type and subtype.
const RESTRICTED_NAME = "[a-z0-9][a-z0-9!#$&^_.+-]{0,126}";
const MEDIA_TYPE = new RegExp(`^${RESTRICTED_NAME}/${RESTRICTED_NAME}$`);

export function algorithmName(alg: number): string {
  const name = ALGORITHM_NAMES.find((candidate) => CoseAlgorithm[candidate] === alg);
  return name ?? `alg ${alg}`;
}

/** An algorithm allow-list by name (configuration): non-empty, known, each once; canonical order. */
export function algorithmsFromNames(value: unknown, setting: string): CoseAlgorithm[] {
  const list = nonEmptyList(value, setting, ALGORITHM_NAMES.length, 'algorithm names');
  const algorithms = list.map((name, index) => {
    if (typeof name !== 'string' || !(ALGORITHM_NAMES as readonly string[]).includes(name)) {
      throw configError(`${setting}[${index}]`, `not an algorithm atlog verifies; use ${ALGORITHM_NAMES.join(', ')}`);
    }
    return CoseAlgorithm[name as AlgorithmName];
  });
  return canonicalAlgorithms(algorithms, setting);
}

/** An algorithm allow-list by COSE number (code). */
export function algorithmsFromNumbers(value: unknown, setting: string): CoseAlgorithm[] {
  const list = nonEmptyList(value, setting, ALGORITHM_NAMES.length, 'COSE algorithms');
  const algorithms = list.map((alg, index) => {
    if (!DEFAULT_POLICY_ALGORITHMS.includes(alg as CoseAlgorithm)) {
      throw configError(`${setting}[${index}]`, `not an algorithm atlog verifies; use ${ALGORITHM_NAMES.join(', ')}`);
    }
    return alg as CoseAlgorithm;
  });
  return canonicalAlgorithms(algorithms, setting);
}

function canonicalAlgorithms(algorithms: readonly CoseAlgorithm[], setting: string): CoseAlgorithm[] {
  algorithms.forEach((alg, index) => {
    if (algorithms.indexOf(alg) !== index) throw configError(`${setting}[${index}]`, `${algorithmName(alg)} is listed twice`);
  });
  return DEFAULT_POLICY_ALGORITHMS.filter((alg) => algorithms.includes(alg));
}

export function checkMaxStatementBytes(value: unknown, setting: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_LOG_ENTRY_BYTES) {
    throw configError(setting, `must be an integer from 1 to ${MAX_LOG_ENTRY_BYTES} (the log's largest entry)`);
  }
  return value;
}

/**
 * A content-type allow-list: media types without parameters (`application/json`, compared
 * case-insensitively, stored in lower case) and CoAP content formats (integers 0–65535). Sorted,
 * numbers first, so the order written does not matter; each at most once.
 */
export function contentTypesFrom(value: unknown, setting: string): (string | number)[] {
  const list = nonEmptyList(value, setting, MAX_CONTENT_TYPES, 'content types');
  const normalized = list.map((entry, index) => {
    const at = `${setting}[${index}]`;
    if (typeof entry === 'number') {
      if (!Number.isSafeInteger(entry) || entry < 0 || entry > 65_535) throw configError(at, 'a CoAP content format is an integer from 0 to 65535');
      return entry;
    }
    if (typeof entry !== 'string' || entry.length > MAX_MEDIA_TYPE_LENGTH) {
      throw configError(at, `must be a media type (type/subtype, at most ${MAX_MEDIA_TYPE_LENGTH} characters) or a CoAP content format`);
    }
    const lower = entry.toLowerCase();
    if (lower.includes(';')) throw configError(at, 'list the media type without parameters; a statement’s parameters are not restricted');
    if (!MEDIA_TYPE.test(lower)) throw configError(at, 'is not a media type (type/subtype)');
    return lower;
  });
  normalized.forEach((entry, index) => {
    if (normalized.indexOf(entry) !== index) throw configError(`${setting}[${index}]`, 'is listed twice');
  });
  return normalized.sort(compareContentTypes);
}

function compareContentTypes(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The content type a statement is about, in the form an allow-list holds: for a hash envelope
 * the preimage content type (259), since the payload is only a digest of it; otherwise label 3.
 * Media types are reduced to type/subtype in lower case (their parameters are not restricted).
 */
export function statementContentType(statement: SignedStatement): string | number | undefined {
  const value = statement.hashEnvelope !== undefined ? statement.hashEnvelope.preimageContentType : statement.contentType;
  if (typeof value !== 'string') return value;
  const semicolon = value.indexOf(';');
  return (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

/** A payload check: one of the statement-content rules the agent statement profiles add. */
export interface PayloadCheck {
  /** Names the rule in refusals (`payload:<name>`) and in the description; e.g. `agent-statement/v1`. */
  readonly name: string;
  /**
   * Throws to refuse. Runs after the signature verified, in the order given, with how the issuer
   * was recognised (so a profile can bind `iss` to the certificate or key); must be synchronous
   * and must not modify the statement.
   */
  check(statement: SignedStatement, issuer: AdmittedIssuer): void;
  /**
   * The check's own configuration, as canonical JSON data (no floats), when it has one: it goes
   * into the policy description under `payloadCheckSettings`, so the digest changes with it.
   */
  readonly description?: CanonicalJson;
}

// Payload checks whose run returns the statement's payload as they parsed it (the built-in
// agent-statements check), and the policy's wrappers of them: the policy hands that value on with
// the admission, so that the index's draft does not parse the payload again.
const payloadParsers = new WeakSet<PayloadCheck>();

/** @internal Marks `check` as one whose run returns the payload it parsed (agent-check.ts). */
export function markPayloadParser<C extends PayloadCheck>(check: C): C {
  payloadParsers.add(check);
  return check;
}

/**
 * @internal What a run of `check` returned, when `check` is one marked by
 * {@link markPayloadParser} (or the policy's wrapper of one): the payload it parsed, or undefined
 * when it read none. Undefined for any other check, whatever it returned.
 */
export function parsedPayloadOf(check: PayloadCheck, result: unknown): unknown {
  return payloadParsers.has(check) ? result : undefined;
}

/** Most payload checks in one policy. */
export const MAX_PAYLOAD_CHECKS = 32;
const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,63}$/;

export function checkPayloadChecks(value: unknown): readonly PayloadCheck[] {
  if (value === undefined) return Object.freeze([]);
  if (!Array.isArray(value) || value.length > MAX_PAYLOAD_CHECKS) throw badArgument(`payloadChecks must be an array of at most ${MAX_PAYLOAD_CHECKS} checks`);
  const names = new Set<string>();
  return Object.freeze(
    value.map((entry: unknown, index) => {
      const candidate = entry as Partial<PayloadCheck> | null;
      if (typeof candidate !== 'object' || candidate === null || typeof candidate.check !== 'function' || typeof candidate.name !== 'string') {
        throw badArgument(`payloadChecks[${index}] must be { name, check(statement) }`);
      }
      if (!CHECK_NAME.test(candidate.name)) throw badArgument(`payloadChecks[${index}]: a check name is 1 to 64 of A-Z a-z 0-9 . _ : / @ + -`);
      if (names.has(candidate.name)) throw badArgument(`payloadChecks[${index}]: two checks are named ${candidate.name}`);
      names.add(candidate.name);
      const { name, check, description } = candidate as PayloadCheck;
      if (description !== undefined) {
        try {
          canonicalJson(description);
        } catch {
          throw badArgument(`payloadChecks[${index}]: a check's description must be canonical JSON data (safe integers, no undefined)`);
        }
      }
      const run = (statement: SignedStatement, issuer: AdmittedIssuer) => check.call(candidate, statement, issuer);
      const wrapped: PayloadCheck = Object.freeze(description === undefined ? { name, check: run } : { name, check: run, description: deepCopy(description) });
      return payloadParsers.has(candidate as PayloadCheck) ? markPayloadParser(wrapped) : wrapped;
    }),
  );
}

function nonEmptyList(value: unknown, setting: string, max: number, what: string): unknown[] {
  if (!Array.isArray(value)) throw configError(setting, `must be a list of ${what}`);
  if (value.length === 0) throw configError(setting, `must not be empty (leave the setting out for the default)`);
  if (value.length > max) throw configError(setting, `lists ${value.length} ${what}; at most ${max}`);
  return value;
}

function deepCopy(value: CanonicalJson): CanonicalJson {
  return JSON.parse(canonicalJson(value)) as CanonicalJson;
}
