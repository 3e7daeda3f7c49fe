// Evidence: one log entry as the appraisal reads it, the agent statement it holds and where it is
// in the log. Reading is a pure function of the entry's bytes and index, the same on the service
// (entries it looks up through the index) and in a replay (entries fetched from GET /entries), so
// both appraise exactly the same statements.
import { createHash } from 'node:crypto';
import { parseStatement } from '../receipts/index.js';
import {
  AgentStatementError,
  type AgentPayloads,
  type AgentStatementName,
  agentStatementType,
  parseAgentPayload,
} from '../statements/index.js';

/** One agent statement in the log, with its place there. */
export type Evidence = {
  [N in AgentStatementName]: {
    readonly type: N;
    /** Its log index: the order every rule reads evidence in. */
    readonly index: number;
    /** The entry id: hex of SHA-256(0x00 ‖ registered statement), what findings point to. */
    readonly entryId: string;
    readonly payload: AgentPayloads[N];
  };
}[AgentStatementName];

export type EvidenceOf<N extends AgentStatementName> = Extract<Evidence, { type: N }>;

/** The entry id of a registered statement (docs/formats.md: the RFC 9162 leaf hash). */
export function entryIdOf(entry: Uint8Array): string {
  return createHash('sha256').update(Uint8Array.of(0)).update(entry).digest('hex');
}

/**
 * The evidence an entry holds, or undefined when it holds none: not a signed statement, not an
 * agent statement, a hash envelope (the log holds only a digest), or a payload that fails its
 * schema (admitted under a policy that did not check it). Exactly the entries the index marks
 * `payload: valid` with an agent statement type.
 */
export function readEvidence(entry: Uint8Array, index: number): Evidence | undefined {
  let statement;
  try {
    statement = parseStatement(entry);
  } catch {
    return undefined;
  }
  if (statement.hashEnvelope !== undefined || statement.payload === null) return undefined;
  const type = agentStatementType(statement.contentType);
  if (type === undefined) return undefined;
  try {
    const payload = parseAgentPayload(type, statement.payload);
    return { type: type.name, index, entryId: entryIdOf(entry), payload } as Evidence;
  } catch (error) {
    if (error instanceof AgentStatementError) return undefined;
    throw error;
  }
}

/** Whether a statement is evidence about `agent` (profiles are read apart: see ProfileBook). */
export function concerns(evidence: Evidence, agent: string): boolean {
  switch (evidence.type) {
    case 'exec-audit':
    case 'behavior-attestation':
    case 'resource-usage':
      // About the agent: its own actions and claims, and what was metered of its consumption
      // (a record where it is only the provider is the consumer's evidence).
      return evidence.payload.agent.id === agent;
    case 'override-event':
      return evidence.payload.target.agents.includes(agent);
    case 'behavior-profile':
      return false;
  }
}
