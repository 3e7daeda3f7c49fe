// The registration policy: admits a signed statement or says exactly which rule refused it.
// RFC 9943 §3.4 (scitt.md): verify the issuer's signature with the issuer's key (X.509 to a
// registered trust anchor, or a key the service knows), then apply the policy; the policy is
// itself transparent, so it has a canonical description whose digest changes exactly when the
// policy does (policy-statement.ts signs it for the log).
//
// The rules run in a fixed order, cheapest first, so the first refusal is deterministic and a
// hostile statement costs as little as possible: size (no decoding), parse, algorithm, content
// type, issuer (may validate a certificate chain), signature (one public-key operation), then the
// payload checks. Everything is synchronous and a pure function of the statement, the policy and
// the time, so an auditor replaying a registration gets the same decision.

import { createHash, type KeyObject } from 'node:crypto';
import {
  type CoseAlgorithm,
  CoseError,
  type CurveName,
  keyCurve,
  parseStatement,
  type SignedStatement,
  verifyParsedStatementSignature,
} from '../receipts/index.js';
import { AtlogError, toHex } from '../util/index.js';
import {
  type CertificateSummary,
  type ChainTrust,
  CertificateError,
  createCertificateCache,
  loadTrustAnchors,
  type TrustAnchors,
  UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY,
  validateCertificateChain,
} from '../verifier/index.js';
import { agentStatementsCheck, agentStatementsSettings, type AgentStatementsOptions } from './agent-check.js';
import type { AgentPayload } from './agent-statements.js';
import { decodeDidJwk, DidJwkError, didJwkKidMatches, isDidJwk } from './did-jwk.js';
import { badArgument, configError, PolicyError, type PolicyErrorCode, type PolicyRule, quoted, shownBytes } from './errors.js';
import {
  type IssuerKey,
  type IssuerKeyIndex,
  type IssuerKeyInput,
  indexIssuerKeys,
  issuerKeyFromInput,
  type LoadedIssuerKey,
  MAX_ISSUER_KEYS,
} from './issuer-keys.js';
import { canonicalJson, type CanonicalJson } from '../util/index.js';
import {
  type AlgorithmName,
  type PayloadCheck,
  algorithmName,
  algorithmsFromNumbers,
  checkMaxStatementBytes,
  checkPayloadChecks,
  parsedPayloadOf,
  contentTypesFrom,
  DEFAULT_POLICY_ALGORITHMS,
  MAX_LOG_ENTRY_BYTES,
  statementContentType,
} from './policy-rules.js';

/** How the issuer of an admitted statement was recognised. */
export type AdmittedIssuer =
  | { readonly by: 'kid'; readonly kid: Uint8Array; readonly thumbprint: Uint8Array }
  | { readonly by: 'x5chain'; readonly certificate: CertificateSummary; readonly anchor: CertificateSummary; readonly trust: ChainTrust }
  | { readonly by: 'did:jwk'; readonly iss: string; readonly thumbprint: Uint8Array };

/** A statement the policy admitted, and why. */
export interface Admission {
  /** The statement as `parseStatement` reads it; its signature verified. */
  readonly statement: SignedStatement;
  readonly issuer: AdmittedIssuer;
  /** The digest of the policy that admitted it, to record beside the entry. */
  readonly policyDigest: string;
  /**
   * The payload as the agent-statements check read it (`parseAgentPayload`, deep-frozen), when the
   * check ran and read one: for the index's draft, which would otherwise parse it again.
   */
  readonly agentPayload: AgentPayload | undefined;
}

export interface AdmitContext {
  /** The registration time, for certificate validity; default now. */
  readonly now?: Date;
}

export interface RegistrationPolicy {
  /** Admits a signed statement or throws PolicyError naming the rule that refused it. Synchronous. */
  admit(statement: Uint8Array, context?: AdmitContext): Admission;
  /** What the policy is, as canonical JSON-able data: registered in the log as a signed statement. */
  readonly description: PolicyDescription;
  /** SHA-256 (hex) of the canonical JSON of `description`: changes exactly when the policy does. */
  readonly digest: string;
  /** True for the open development policy. */
  readonly open: boolean;
}

/** A configured issuer key as the description shows it: never the key itself, its thumbprint. */
export type DescribedIssuerKey = {
  /** RFC 9679 thumbprint, hex: the key matches a statement with this kid. */
  readonly thumbprint: string;
  /** The key's own kids, hex, sorted; it matches these too. */
  readonly kids: readonly string[];
  readonly crv: CurveName;
};

/** A trust anchor as the description shows it. */
export type DescribedTrustAnchor = {
  /** SHA-256 of the DER certificate, hex. */
  readonly sha256: string;
  readonly subject: string;
  /** ISO 8601, UTC. */
  readonly notBefore: string;
  readonly notAfter: string;
};

/**
 * The policy as data (README.md, "What is registered"). Lists are sorted wherever order carries
 * no meaning (keys by thumbprint, anchors by fingerprint, algorithms and content types in a fixed
 * order), so that reordering a configuration file does not change the digest; payload checks keep
 * their order, which decides which one refuses first.
 */
export type PolicyDescription = {
  readonly version: 1;
  readonly open: boolean;
  readonly maxStatementBytes: number;
  readonly algorithms: readonly AlgorithmName[];
  /** null: any content type. */
  readonly contentTypes: readonly (string | number)[] | null;
  readonly issuers: {
    readonly keys: readonly DescribedIssuerKey[];
    readonly trustAnchors: readonly DescribedTrustAnchor[];
    /** Open policy only: x5chains ending in any self-signed root, validated as chains. */
    readonly unanchoredX5chain: boolean;
    /** Open policy only: issuers whose key is their did:jwk iss. */
    readonly didJwk: boolean;
  };
  /** Payload check names, in the order they run. */
  readonly payloadChecks: readonly string[];
  /** The configuration of the checks that have one, by name; absent when none has. */
  readonly payloadCheckSettings?: { readonly [name: string]: CanonicalJson };
};

/**
 * Largest canonical description: the policy is registered as one statement, which must fit in
 * one log entry with its headers (an iss of up to a few KiB) and signature.
 */
export const MAX_POLICY_DESCRIPTION_BYTES = 60 * 1024;

/** The media type of a registered policy. */
export const POLICY_CONTENT_TYPE = 'application/vnd.atlog.registration-policy+json';

/** A closed policy from code. File and flag configuration: see policy-config.ts. */
export interface PolicyRules {
  /** Default ES256, ES384, EdDSA. */
  readonly algorithms?: readonly CoseAlgorithm[];
  /** Default and maximum 65 535 (the log's largest entry). */
  readonly maxStatementBytes?: number;
  /** Media types (without parameters) and CoAP content formats; absent: any. */
  readonly contentTypes?: readonly (string | number)[];
  /** Issuers trusted by kid. */
  readonly issuerKeys?: readonly IssuerKeyInput[];
  /** Issuers trusted by x5chain to these anchors (from `loadTrustAnchors`). */
  readonly trustAnchors?: TrustAnchors;
  /**
   * The agent-statements/v1 check (README.md, "Agent statements"): on by default, first among the
   * payload checks; `{ enabled: false }` turns it off, `profileAuthorities` configures it.
   */
  readonly agentStatements?: AgentStatementsOptions;
  /** More payload checks, run after the agent-statements check. */
  readonly payloadChecks?: readonly PayloadCheck[];
}

/** The settings of a policy, checked. */
export interface PolicySettings {
  readonly open: boolean;
  readonly algorithms: readonly CoseAlgorithm[];
  readonly maxStatementBytes: number;
  readonly contentTypes: readonly (string | number)[] | null;
  readonly keys: readonly LoadedIssuerKey[];
  readonly trustAnchors: TrustAnchors;
  readonly payloadChecks: readonly PayloadCheck[];
}

/**
 * A closed policy: it admits issuers by the given keys and anchors only. At least one key or
 * anchor is required (a closed policy without issuers would refuse everything; the open policy
 * is {@link developmentPolicy}, which no setting can switch on).
 */
export function createPolicy(rules: PolicyRules): RegistrationPolicy {
  if (typeof rules !== 'object' || rules === null) throw badArgument('createPolicy needs the policy rules');
  const keys = rules.issuerKeys ?? [];
  if (!Array.isArray(keys)) throw configError('issuerKeys', 'must be an array of keys');
  if (keys.length > MAX_ISSUER_KEYS) throw configError('issuerKeys', `lists ${keys.length} keys; at most ${MAX_ISSUER_KEYS}`);
  return buildPolicy({
    open: false,
    ...common(rules),
    keys: keys.map((key, index) => issuerKeyFromInput(key, { setting: `issuerKeys[${index}]` })),
    trustAnchors: rules.trustAnchors ?? loadTrustAnchors([]),
  });
}

/**
 * The open development policy, for a service started without configuration: it admits an
 * issuer whose key the statement itself carries, an x5chain validated in full but to any
 * self-signed root, or a did:jwk iss. It trusts no configured key or anchor, says so in its
 * description (`open: true`), and is meant to be announced as open at start-up.
 */
export function developmentPolicy(options: Omit<PolicyRules, 'issuerKeys' | 'trustAnchors'> = {}): RegistrationPolicy {
  if (typeof options !== 'object' || options === null) throw badArgument('developmentPolicy options must be an object');
  if ('issuerKeys' in options || 'trustAnchors' in options) {
    throw badArgument('the development policy has no configured issuers; use createPolicy for a closed policy');
  }
  return buildPolicy({ open: true, ...common(options, true), keys: [], trustAnchors: loadTrustAnchors([]) });
}

function common(rules: Omit<PolicyRules, 'issuerKeys' | 'trustAnchors'>, open = false): Omit<PolicySettings, 'open' | 'keys' | 'trustAnchors'> {
  return {
    algorithms: rules.algorithms === undefined ? DEFAULT_POLICY_ALGORITHMS : algorithmsFromNumbers(rules.algorithms, 'algorithms'),
    maxStatementBytes: rules.maxStatementBytes === undefined ? MAX_LOG_ENTRY_BYTES : checkMaxStatementBytes(rules.maxStatementBytes, 'maxStatementBytes'),
    contentTypes: rules.contentTypes === undefined ? null : contentTypesFrom(rules.contentTypes, 'contentTypes'),
    payloadChecks: withAgentStatementsCheck(rules.agentStatements, rules.payloadChecks, open),
  };
}

/**
 * The payload checks of a policy: the agent-statements check first unless its setting turns it
 * off, then the given ones. The open policy configures no profile authorities (it has no
 * configured issuers at all): it admits a profile only for agents of the profile's own domain.
 */
export function withAgentStatementsCheck(agentStatements: unknown, payloadChecks: readonly PayloadCheck[] | undefined, open: boolean): readonly PayloadCheck[] {
  const settings = agentStatementsSettings(agentStatements, 'agentStatements');
  if (open && settings.profileAuthorities.length > 0) {
    throw configError(
      'agentStatements.profileAuthorities',
      'the open development policy has no profile authorities (it admits a profile only for agents of its own domain); configure a closed policy',
    );
  }
  if (payloadChecks !== undefined && !Array.isArray(payloadChecks)) return checkPayloadChecks(payloadChecks);
  const checks = settings.enabled ? [agentStatementsCheck({ profileAuthorities: settings.profileAuthorities }), ...(payloadChecks ?? [])] : (payloadChecks ?? []);
  return checkPayloadChecks(checks);
}

/** @internal Builds a policy from checked settings (createPolicy, developmentPolicy, loadPolicy). */
export function buildPolicy(settings: PolicySettings): RegistrationPolicy {
  // TrustAnchors is exported as a type only; validateCertificateChain checks the real class, but
  // here a wrong value must fail at start-up as configuration, not at the first x5chain.
  const anchors = settings.trustAnchors as Partial<TrustAnchors> | null | undefined;
  if (typeof anchors?.summaries !== 'function' || typeof anchors.size !== 'number') {
    throw configError('trustAnchors', 'must be a set from loadTrustAnchors');
  }
  const keys = indexIssuerKeys(settings.keys);
  if (!settings.open && keys.keys.length === 0 && settings.trustAnchors.size === 0) {
    throw configError('issuers', 'a configured policy needs at least one issuer key or trust anchor; without any it would refuse every statement');
  }
  if (settings.open && (keys.keys.length > 0 || settings.trustAnchors.size > 0)) {
    throw badArgument('the open development policy has no configured issuers');
  }
  return new Policy(settings, keys);
}

/**
 * One line on what a policy admits, for the service's start-up log; the open policy says it is
 * open and what to configure instead.
 */
export function policySummary(policy: RegistrationPolicy): string {
  const { description: d } = policy;
  const rest = [
    `algorithms ${d.algorithms.join(', ')}`,
    `content types ${d.contentTypes === null ? 'any' : d.contentTypes.join(', ')}`,
    `at most ${d.maxStatementBytes} bytes`,
    ...(d.payloadChecks.length === 0 ? [] : [`payload checks ${d.payloadChecks.map((name) => checkSummary(name, d.payloadCheckSettings?.[name])).join(', ')}`]),
  ].join('; ');
  if (policy.open) {
    const profiles = d.payloadChecks.includes(AGENT_STATEMENTS_CHECK_NAME) ? ' Behavioral profiles are admitted only for agents of their own domain.' : '';
    return (
      `OPEN development registration policy (digest ${policy.digest.slice(0, 16)}): admits any issuer whose key the statement carries ` +
      `(an x5chain validated to any self-signed root, or a did:jwk iss); ${rest}.${profiles} ` +
      'Configure --issuer-key, --trust-anchor or --config to replace it.'
    );
  }
  const keys = d.issuers.keys.length;
  const anchors = d.issuers.trustAnchors.length;
  return (
    `registration policy (digest ${policy.digest.slice(0, 16)}): ${keys} issuer key${keys === 1 ? '' : 's'}, ` +
    `${anchors} trust anchor${anchors === 1 ? '' : 's'}; ${rest}`
  );
}

const AGENT_STATEMENTS_CHECK_NAME = 'agent-statements/v1';

/** A payload check in the summary: its name, and its settings when it has some. */
function checkSummary(name: string, settings: CanonicalJson | undefined): string {
  if (settings === undefined) return name;
  if (name === AGENT_STATEMENTS_CHECK_NAME) {
    const authorities = (settings as { profileAuthorities?: readonly { iss: string }[] }).profileAuthorities ?? [];
    if (authorities.length === 0) return `${name} (no profile authorities)`;
    const shown = authorities.slice(0, 4).map((authority) => quoted(authority.iss, 64));
    return `${name} (profile authorities ${shown.join(', ')}${authorities.length > 4 ? `, and ${authorities.length - 4} more` : ''})`;
  }
  const text = canonicalJson(settings);
  return `${name} ${text.length > 160 ? `${text.slice(0, 160)}…` : text}`;
}

// ---------------------------------------------------------------------------------------------

interface ResolvedIssuer {
  readonly key: KeyObject;
  readonly issuer: AdmittedIssuer;
}

class Policy implements RegistrationPolicy {
  readonly description: PolicyDescription;
  readonly digest: string;
  readonly open: boolean;
  readonly #settings: PolicySettings;
  readonly #keys: IssuerKeyIndex;
  // One cache per policy: an agent's repeat statements carry the same chain, and validating it
  // again from scratch costs several times the statement's own signature check.
  readonly #certificates = createCertificateCache();

  constructor(settings: PolicySettings, keys: IssuerKeyIndex) {
    this.#settings = settings;
    this.#keys = keys;
    this.open = settings.open;
    this.description = describe(settings, keys);
    const canonical = canonicalJson(this.description as CanonicalJson);
    if (Buffer.byteLength(canonical) > MAX_POLICY_DESCRIPTION_BYTES) {
      throw configError(
        'issuers',
        `the policy's description is ${Buffer.byteLength(canonical)} bytes; it is registered as one statement and must stay under ${MAX_POLICY_DESCRIPTION_BYTES} (configure fewer keys or anchors)`,
      );
    }
    this.digest = createHash('sha256').update(canonical).digest('hex');
    Object.freeze(this);
  }

  admit(statement: Uint8Array, context: AdmitContext = {}): Admission {
    if (!(statement instanceof Uint8Array)) throw badArgument('a statement to admit must be a Uint8Array');
    const now = admissionTime(context);
    const settings = this.#settings;
    const limits = { maxBytes: settings.maxStatementBytes };

    // 1. max-statement-bytes, before anything is decoded.
    if (statement.length > settings.maxStatementBytes) {
      throw refusal('POLICY_TOO_LARGE', 'max-statement-bytes', `the statement is ${statement.length} bytes; this policy admits at most ${settings.maxStatementBytes}`);
    }
    // 2. statement: RFC 9943 headers on strict, bounded CBOR.
    const parsed = parse(statement, limits);
    // 3. algorithms.
    if (!settings.algorithms.includes(parsed.alg as CoseAlgorithm)) {
      throw refusal(
        'POLICY_BAD_ALGORITHM',
        'algorithms',
        `${algorithmName(parsed.alg)} is not accepted; this policy accepts ${settings.algorithms.map(algorithmName).join(', ')}`,
      );
    }
    // 4. content-types.
    this.#checkContentType(parsed);
    // 5. issuers.
    const { key, issuer } = this.#resolveIssuer(parsed, now);
    // 6. signature.
    try {
      // `parsed` is this call's own parse of `statement`, so its signature is checked without a second decode.
      verifyParsedStatementSignature(parsed, key, { algorithms: settings.algorithms });
    } catch (error) {
      if (!(error instanceof CoseError)) throw error;
      throw refusal('POLICY_BAD_SIGNATURE', 'signature', `the signature does not verify with the issuer's key (${error.code}: ${error.message})`, error);
    }
    // 7. payload:<name>, in order.
    Object.freeze(issuer);
    let agentPayload: AgentPayload | undefined;
    for (const payloadCheck of settings.payloadChecks) {
      const result = runPayloadCheck(payloadCheck.name, payloadCheck.check, parsed, issuer);
      agentPayload ??= parsedPayloadOf(payloadCheck, result) as AgentPayload | undefined;
    }
    return Object.freeze({ statement: parsed, issuer, policyDigest: this.digest, agentPayload });
  }

  #checkContentType(statement: SignedStatement): void {
    const accepted = this.#settings.contentTypes;
    if (accepted === null) return;
    const contentType = statementContentType(statement);
    const list = `this policy accepts ${accepted.slice(0, 8).map((entry) => (typeof entry === 'number' ? String(entry) : quoted(entry))).join(', ')}${accepted.length > 8 ? ', …' : ''}`;
    if (contentType === undefined) {
      const where = statement.hashEnvelope !== undefined ? 'a preimage content type (259)' : 'a content type (3)';
      throw refusal('POLICY_CONTENT_TYPE', 'content-types', `the statement has no ${where}; ${list}`);
    }
    if (!accepted.includes(contentType)) {
      const shown = typeof contentType === 'number' ? `content format ${contentType}` : `content type ${quoted(contentType)}`;
      const what = statement.hashEnvelope !== undefined ? `the preimage ${shown}` : `the ${shown}`;
      throw refusal('POLICY_CONTENT_TYPE', 'content-types', `${what} is not accepted; ${list}`);
    }
  }

  /**
   * Which key verifies the statement. A protected x5chain decides when present (as in the
   * auditor's verifier, so both resolve the same key); else the protected kid among the
   * configured keys; else, in the open policy only, a did:jwk iss. Never anything from the
   * unprotected header: registration empties it, and the log must keep what authenticated the
   * statement.
   */
  #resolveIssuer(statement: SignedStatement, now: Date): ResolvedIssuer {
    if (statement.x5chain !== undefined) return this.#x5chainIssuer(statement.x5chain, now);
    if (statement.kid !== undefined && statement.kid.length > 0) {
      const key = this.#keys.find(statement.kid);
      if (key !== undefined) return { key: key.publicKey, issuer: { by: 'kid', kid: statement.kid, thumbprint: key.thumbprint } };
    }
    if (this.open && isDidJwk(statement.iss)) return didJwkIssuer(statement);
    throw refusal('POLICY_ISSUER_UNKNOWN', 'issuers', this.#unknownIssuerReason(statement));
  }

  #x5chainIssuer(chain: readonly Uint8Array[], now: Date): ResolvedIssuer {
    if (!this.open && this.#settings.trustAnchors.size === 0) {
      throw refusal('POLICY_ISSUER_UNKNOWN', 'issuers', 'the issuer is an x5chain, and this policy has no trust anchors');
    }
    try {
      const validated = validateCertificateChain(chain, {
        trustAnchors: this.#settings.trustAnchors,
        at: now,
        cache: this.#certificates,
        ...(this.open ? { unanchoredRoots: UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY } : {}),
      });
      return {
        key: validated.leafPublicKey,
        issuer: { by: 'x5chain', certificate: validated.leafCertificate, anchor: validated.anchor, trust: validated.trust },
      };
    } catch (error) {
      if (!(error instanceof CertificateError)) throw error;
      throw refusal('POLICY_ISSUER_CERTIFICATE', 'issuers', `the x5chain does not validate (${error.code}: ${error.message})`, error);
    }
  }

  #unknownIssuerReason(statement: SignedStatement): string {
    if (statement.unprotectedX5chain !== undefined) {
      return 'the x5chain is in the unprotected header, which registration empties, so the log could not keep what authenticated the statement; put it in the protected header';
    }
    if (statement.kid === undefined || statement.kid.length === 0) {
      return 'the statement names its certificate by x5t only; this policy needs the chain itself in a protected x5chain';
    }
    if (isDidJwk(statement.iss)) {
      return `no configured issuer key has kid ${shownBytes(statement.kid)}; did:jwk issuers are admitted only by the open development policy (trust this one by configuring its key)`;
    }
    if (this.open) {
      return `the open development policy knows no issuer keys (kid ${shownBytes(statement.kid)}): sign with a protected x5chain or as a did:jwk issuer, or configure the key`;
    }
    return `no configured issuer key has kid ${shownBytes(statement.kid)}`;
  }
}

function didJwkIssuer(statement: SignedStatement): ResolvedIssuer {
  let decoded;
  try {
    decoded = decodeDidJwk(statement.iss);
  } catch (error) {
    if (!(error instanceof DidJwkError)) throw error;
    throw refusal('POLICY_ISSUER_UNKNOWN', 'issuers', `did:jwk: ${error.message}`, error);
  }
  // parseStatement guarantees a protected kid unless there is an x5t, which names a certificate
  // a did:jwk issuer does not have.
  if (statement.kid === undefined || !didJwkKidMatches(decoded, statement.kid)) {
    throw refusal(
      'POLICY_ISSUER_UNKNOWN',
      'issuers',
      'did:jwk: the protected kid must be the did:jwk key’s RFC 9679 thumbprint or its DID URL (<iss>#0), so that it names no other key',
    );
  }
  return { key: decoded.publicKey, issuer: { by: 'did:jwk', iss: statement.iss, thumbprint: decoded.thumbprint } };
}

function parse(statement: Uint8Array, limits: { maxBytes: number }): SignedStatement {
  let parsed: SignedStatement;
  try {
    parsed = parseStatement(statement, { limits });
  } catch (error) {
    if (!(error instanceof CoseError)) throw error;
    throw refusal('POLICY_MALFORMED', 'statement', `not a signed statement (${error.code}: ${error.message})`, error);
  }
  // How a detached payload would reach the service is not defined; without it nothing verifies.
  if (parsed.payload === null) {
    throw refusal('POLICY_PAYLOAD_MISSING', 'statement', 'the payload is detached; register the statement with its payload attached (or as a hash envelope with the digest attached)');
  }
  return parsed;
}

function runPayloadCheck(name: string, check: PayloadCheck['check'], statement: SignedStatement, issuer: AdmittedIssuer): unknown {
  let result: unknown;
  try {
    result = check(statement, issuer);
  } catch (error) {
    throw refusal('POLICY_PAYLOAD', `payload:${name}`, reasonOf(error), error);
  }
  // An asynchronous check would "pass" whatever it later decides: refuse to run it at all.
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    (result as Promise<unknown>).then(undefined, () => undefined);
    throw badArgument(`payload check ${name} returned a promise; payload checks must be synchronous`);
  }
  return result;
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? plain(error.message) : 'refused';
  return error instanceof AtlogError ? `${error.code}: ${message}` : message;
}

/** A message from a payload check, on one bounded line. */
function plain(text: string, max = 300): string {
  const line = String(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ');
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

function refusal(code: PolicyErrorCode, rule: PolicyRule, reason: string, cause?: unknown): PolicyError {
  return new PolicyError(code, rule, `${rule}: ${reason}`, cause === undefined ? undefined : { cause });
}

function admissionTime(context: AdmitContext): Date {
  if (typeof context !== 'object' || context === null) throw badArgument('the admission context must be an object');
  const { now } = context;
  if (now === undefined) return new Date();
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) throw badArgument('now must be a valid Date');
  return now;
}

// ---------------------------------------------------------------------------------------------
// The description

function describe(settings: PolicySettings, keys: IssuerKeyIndex): PolicyDescription {
  const description: PolicyDescription = {
    version: 1,
    open: settings.open,
    maxStatementBytes: settings.maxStatementBytes,
    algorithms: settings.algorithms.map((alg) => algorithmName(alg) as AlgorithmName),
    contentTypes: settings.contentTypes,
    issuers: {
      keys: keys.keys.map(describeKey),
      trustAnchors: settings.trustAnchors
        .summaries()
        .map((anchor) => ({
          sha256: anchor.fingerprint,
          subject: anchor.subject,
          notBefore: anchor.notBefore.toISOString(),
          notAfter: anchor.notAfter.toISOString(),
        }))
        .sort((a, b) => (a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0)),
      unanchoredX5chain: settings.open,
      didJwk: settings.open,
    },
    payloadChecks: settings.payloadChecks.map((check) => check.name),
  };
  const described = settings.payloadChecks.filter((check) => check.description !== undefined);
  if (described.length > 0) {
    return deepFreeze({ ...description, payloadCheckSettings: Object.fromEntries(described.map((check) => [check.name, check.description as CanonicalJson])) });
  }
  return deepFreeze(description);
}

function describeKey(key: IssuerKey): DescribedIssuerKey {
  return { thumbprint: toHex(key.thumbprint), kids: key.kids.map(toHex), crv: keyCurve(key.publicKey) };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}
