// The agent-statements/v1 payload check: what the registration policy adds for the five agent
// statement types. For a statement whose content type is one of them, in this order:
//
//   1. the payload: strict JSON, its type's schema, its semantic rules (path and reason);
//   2. the payload's `iss` is the CWT iss, exactly;
//   3. the CWT `sub` is what the statement is about (agent.id, override_id, or the profile id);
//   4. an x5chain issuer's CWT iss is a URI or DNS name of the leaf certificate's subjectAltName;
//   5. a behavioral profile's issuer may speak for every agent it covers: a configured profile
//      authority, or an anchored certificate with a spiffe:// URI SAN in the agent's trust domain;
//      in the open development policy, only agents of the profile's own domain.
//
// A hash envelope of one of the types is admitted unread: the log holds only its digest. Other
// content types pass: the policy's content-type allow-list decides about them.

import type { SignedStatement } from '../receipts/index.js';
import type { CanonicalJson } from '../util/index.js';
import {
  AGENT_STATEMENT_NAMES,
  type AgentPayload,
  AgentStatementError,
  type AgentStatementType,
  agentStatementType,
  parseAgentPayload,
} from './agent-statements.js';
import { AGENT_PATTERN_PATTERN } from './agent-formats.js';
import type { BehaviorProfilePayload } from './agent-types.js';
import { badArgument, configError, quoted } from './errors.js';
import type { AdmittedIssuer } from './policy.js';
import { markPayloadParser, type PayloadCheck } from './policy-rules.js';

/** The check's name, in refusals (`payload:agent-statements/v1`) and the policy description. */
export const AGENT_STATEMENTS_CHECK = 'agent-statements/v1';

/** An issuer allowed to register behavioral profiles for the agents its patterns contain. */
export interface ProfileAuthority {
  /** The CWT iss of the profile statements, exactly. */
  readonly iss: string;
  /** Agent patterns (exact ids, or a prefix naming the trust domain and one trailing `*`). */
  readonly agents: readonly string[];
}

export interface AgentStatementsCheckOptions {
  readonly profileAuthorities?: readonly ProfileAuthority[];
}

/** The `agentStatements` setting of a policy (configuration file or code). */
export interface AgentStatementsOptions extends AgentStatementsCheckOptions {
  /** Default true: the check runs first among the payload checks. */
  readonly enabled?: boolean;
}

export const MAX_PROFILE_AUTHORITIES = 64;
const MAX_AUTHORITY_AGENTS = 64;
const AGENT_PATTERN = new RegExp(AGENT_PATTERN_PATTERN, 'u');
const ISS = /^[^\u0000-\u001f\u007f]{1,1024}$/u;
const TRUST_DOMAIN = /^(?:spiffe|wimse):\/\/([^/]+)\//;

interface Authority {
  readonly iss: string;
  readonly agents: readonly string[];
}

/**
 * The payload check for the five agent statement types (README.md, "Agent statements"). Policies
 * run it by default (`agentStatements` turns it off or configures profile authorities); build it
 * yourself only for a policy whose payload checks you list.
 */
export function agentStatementsCheck(options: AgentStatementsCheckOptions = {}): PayloadCheck {
  if (typeof options !== 'object' || options === null) throw badArgument('agentStatementsCheck options must be an object');
  const authorities = profileAuthoritiesFrom(options.profileAuthorities, 'profileAuthorities');
  const byIss = new Map(authorities.map((authority) => [authority.iss, authority.agents]));
  const description: CanonicalJson = { profileAuthorities: authorities.map(({ iss, agents }) => ({ iss, agents: [...agents] })) };
  const check = Object.freeze({
    name: AGENT_STATEMENTS_CHECK,
    description,
    // Returns the payload it parsed, which the policy hands on with the admission
    // (markPayloadParser); as a PayloadCheck it returns nothing anyone else reads.
    check(statement: SignedStatement, issuer: AdmittedIssuer): AgentPayload | undefined {
      const type = agentStatementType(statement.hashEnvelope !== undefined ? statement.hashEnvelope.preimageContentType : statement.contentType);
      // A hash envelope: the payload is a digest; the domain keeps the statement.
      if (type === undefined || statement.hashEnvelope !== undefined || statement.payload === null) return undefined;
      return checkStatement(type, statement, issuer, byIss);
    },
  });
  return markPayloadParser(check);
}

function checkStatement(type: AgentStatementType, statement: SignedStatement, issuer: AdmittedIssuer, authorities: ReadonlyMap<string, readonly string[]>): AgentPayload {
  const payload = parseAgentPayload(type, statement.payload as Uint8Array);
  if (payload.iss !== statement.iss) {
    throw new AgentStatementError('STATEMENT_ISSUER_MISMATCH', '/iss', `must equal the statement's CWT iss ${quoted(statement.iss, 64)}`);
  }
  const subject = type.subject(payload as never);
  if (statement.sub !== subject) {
    throw new AgentStatementError(
      'STATEMENT_SUBJECT_MISMATCH',
      type.subjectPath,
      `must equal the statement's CWT sub ${quoted(statement.sub, 64)}: the sub names what the statement is about`,
    );
  }
  if (issuer.by === 'x5chain') {
    const names = issuer.certificate.subjectAltNames;
    const iss = statement.iss;
    if (!names.some((san) => (san.type === 'url' && san.value === iss) || (san.type === 'dns' && san.value.toLowerCase() === iss.toLowerCase()))) {
      throw new AgentStatementError('STATEMENT_ISSUER_MISMATCH', '', 'the CWT iss is neither a URI nor a DNS name in the subjectAltName of the x5chain’s leaf certificate');
    }
  }
  if (type.name === 'behavior-profile') checkProfileAuthority(payload as BehaviorProfilePayload, statement, issuer, authorities);
  return payload;
}

/** The trust domain an agent id or pattern names (patterns always name it whole). */
export function trustDomainOf(agent: string): string | undefined {
  return TRUST_DOMAIN.exec(agent)?.[1];
}

/** Whether an authority's pattern contains a profile's pattern: every agent the latter matches, the former matches. */
export function patternContains(outer: string, inner: string): boolean {
  if (!outer.endsWith('*')) return outer === inner;
  const prefix = outer.slice(0, -1);
  const literal = inner.endsWith('*') ? inner.slice(0, -1) : inner;
  return literal.startsWith(prefix);
}

function checkProfileAuthority(payload: BehaviorProfilePayload, statement: SignedStatement, issuer: AdmittedIssuer, authorities: ReadonlyMap<string, readonly string[]>): void {
  const agents = payload.applies_to.agents;
  const open = issuer.by === 'did:jwk' || (issuer.by === 'x5chain' && issuer.trust === 'unanchored-development-root');
  for (let i = 0; i < agents.length; i++) {
    const agent = agents[i]!;
    const domain = trustDomainOf(agent) as string;
    const path = `/applies_to/agents/${i}`;
    if (open) {
      if (domain !== payload.domain) {
        throw new AgentStatementError(
          'STATEMENT_NOT_AUTHORIZED',
          path,
          `the open development policy admits a profile only for agents of its own domain ${quoted(payload.domain, 64)}; this agent is in ${quoted(domain, 64)}`,
        );
      }
      continue;
    }
    if (authorities.get(statement.iss)?.some((pattern) => patternContains(pattern, agent)) === true) continue;
    if (
      issuer.by === 'x5chain' &&
      issuer.trust === 'trust-anchor' &&
      issuer.certificate.subjectAltNames.some((san) => san.type === 'url' && san.value.startsWith('spiffe://') && trustDomainOf(san.value) === domain)
    ) {
      continue;
    }
    const how =
      issuer.by === 'x5chain'
        ? `no profile authority for this iss covers it, and the certificate has no spiffe:// URI SAN in its trust domain ${quoted(domain, 64)}`
        : 'no profile authority for this iss covers it';
    throw new AgentStatementError('STATEMENT_NOT_AUTHORIZED', path, `the issuer may not speak for this agent: ${how}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Settings

/** The `agentStatements` setting checked: enabled (default true) and the authorities, canonical. */
export function agentStatementsSettings(value: unknown, setting: string): { readonly enabled: boolean; readonly profileAuthorities: readonly Authority[] } {
  if (value === undefined) return { enabled: true, profileAuthorities: [] };
  const object = plainObject(value, setting, ['enabled', 'profileAuthorities']);
  if (object.enabled !== undefined && typeof object.enabled !== 'boolean') throw configError(`${setting}.enabled`, 'must be true or false');
  const enabled = object.enabled !== false;
  if (!enabled && object.profileAuthorities !== undefined) {
    throw configError(`${setting}.profileAuthorities`, 'has no effect when the check is not enabled; remove one of the two');
  }
  return { enabled, profileAuthorities: profileAuthoritiesFrom(object.profileAuthorities, `${setting}.profileAuthorities`) };
}

function profileAuthoritiesFrom(value: unknown, setting: string): Authority[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw configError(setting, 'must be a list of { iss, agents }');
  if (value.length > MAX_PROFILE_AUTHORITIES) throw configError(setting, `lists ${value.length} authorities; at most ${MAX_PROFILE_AUTHORITIES}`);
  const authorities = value.map((entry: unknown, index) => {
    const at = `${setting}[${index}]`;
    const authority = plainObject(entry, at, ['iss', 'agents']);
    if (typeof authority.iss !== 'string' || !ISS.test(authority.iss)) throw configError(`${at}.iss`, 'must be an issuer: 1 to 1024 characters, no control characters');
    const agents = authority.agents;
    if (!Array.isArray(agents) || agents.length === 0 || agents.length > MAX_AUTHORITY_AGENTS) {
      throw configError(`${at}.agents`, `must be a list of 1 to ${MAX_AUTHORITY_AGENTS} agent patterns`);
    }
    agents.forEach((agent: unknown, i) => {
      if (typeof agent !== 'string' || agent.length > 2048 || !AGENT_PATTERN.test(agent)) {
        throw configError(`${at}.agents[${i}]`, 'must be an agent id (spiffe:// or wimse://, a trust domain and a path) or a prefix naming the trust domain followed by one *');
      }
      if (agents.indexOf(agent) !== i) throw configError(`${at}.agents[${i}]`, 'is listed twice');
    });
    return { iss: authority.iss, agents: Object.freeze([...(agents as string[])].sort()) };
  });
  authorities.forEach((authority, index) => {
    if (authorities.findIndex((other) => other.iss === authority.iss) !== index) {
      throw configError(`${setting}[${index}].iss`, 'names an issuer listed before; give each issuer one entry with all its agents');
    }
  });
  return authorities.sort((a, b) => (a.iss < b.iss ? -1 : a.iss > b.iss ? 1 : 0));
}

function plainObject(value: unknown, setting: string, known: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configError(setting, 'must be a JSON object');
  for (const name of Object.keys(value)) {
    if (!known.includes(name)) throw configError(`${setting}.${name.slice(0, 64)}`, `is not a setting (known: ${known.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

/** The five media types this check reads. */
export const AGENT_STATEMENT_MEDIA_TYPES: readonly string[] = Object.freeze(AGENT_STATEMENT_NAMES.map((name) => `application/vnd.atlog.${name}+json`));
