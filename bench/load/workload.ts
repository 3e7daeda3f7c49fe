// What the load generator posts: execution audit tokens (agent-statements/v1 exec-audit) of the
// shape of the project's own realistic example (statements/agent-examples.ts), one task each,
// chained into workflows by `par`, from agents in several trust domains, each agent an issuer
// whose ES256 key the service's policy is configured with. Every statement passes the real
// registration policy; signing happens before the load starts and is never measured.
import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from 'node:crypto';
import { CoseAlgorithm, generateKeyPair, signStatement } from '../../receipts/index.js';
import { EXEC_AUDIT_EXAMPLE } from '../../statements/index.js';

export const EXEC_AUDIT_CONTENT_TYPE = 'application/vnd.atlog.exec-audit+json';

/** An agent that signs its own audit tokens. */
export interface Agent {
  readonly id: string;
  readonly domain: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

const DOMAINS = ['domain-a.example', 'domain-b.example', 'domain-c.example', 'domain-d.example'];
const ACTIONS = ['tool:sql.query', 'tool:vector.search', 'llm:chat', 'tool:http.get', 'payments.quote'];
const TASKS_PER_WORKFLOW = 50;

export function makeAgents(count: number): Agent[] {
  return Array.from({ length: count }, (_, i) => {
    const domain = DOMAINS[i % DOMAINS.length]!;
    const { privateKey, publicKey } = generateKeyPair(CoseAlgorithm.ES256);
    return { id: `spiffe://${domain}/agent/worker-${i}`, domain, privateKey, publicKey };
  });
}

/**
 * The n-th statement of an agent's stream: a task in the agent's current workflow, its parent the
 * task before it (the first task of a workflow has none). Deterministic in (agent, n, seed), so a
 * second run of the same seed makes the same bytes but for the signature's randomness.
 */
export function execAuditPayload(agent: Agent, n: number, seed: string): Record<string, unknown> {
  const workflow = Math.floor(n / TASKS_PER_WORKFLOW);
  const task = (k: number) => uuidOf(`${seed}:${agent.id}:task:${k}`);
  const iat = 1_767_225_600 + n;
  const start = new Date(iat * 1000 + 120).toISOString();
  const end = new Date(iat * 1000 + 480).toISOString();
  const base = EXEC_AUDIT_EXAMPLE;
  return {
    ...base,
    jti: task(n),
    iss: agent.id,
    iat,
    domain: agent.domain,
    seq: n,
    agent: { ...base.agent, id: agent.id },
    corr: {
      ...base.corr,
      txn: uuidOf(`${seed}:${agent.id}:txn:${n}`),
      traceparent: `00-${uuidOf(`${seed}:${agent.id}:wf:${workflow}`).replace(/-/g, '')}-${hex16(n + 1)}-01`,
    },
    wid: uuidOf(`${seed}:${agent.id}:wf:${workflow}`),
    exec_act: ACTIONS[n % ACTIONS.length],
    par: n % TASKS_PER_WORKFLOW === 0 ? [] : [task(n - 1)],
    start,
    end,
    authority: { ...base.authority, act: { ...base.authority.act, sub: agent.id } },
    pol_enforcer: `spiffe://${agent.domain}/pdp`,
  };
}

export function signExecAudit(agent: Agent, n: number, seed: string): Uint8Array {
  const payload = execAuditPayload(agent, n, seed);
  return signStatement({
    key: agent.privateKey,
    iss: agent.id,
    sub: agent.id,
    contentType: EXEC_AUDIT_CONTENT_TYPE,
    payload: new TextEncoder().encode(JSON.stringify(payload)),
  });
}

/** A fresh seed per run, so a second run against the same log registers new statements. */
export function runSeed(): string {
  return randomUUID();
}

/** A UUID-shaped (version 4 layout) id derived from text: distinct texts give distinct ids. */
function uuidOf(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  let h3 = 0x9e3779b9;
  let h4 = 0x85ebca6b;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h3 = Math.imul(h3 ^ c, 0x27d4eb2d);
    h4 = Math.imul(h4 ^ c, 0x165667b1);
  }
  const hex = [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** The agents' keys as the generator process reads them (PKCS#8 and SPKI PEM). */
export interface AgentFile {
  readonly agents: readonly { id: string; domain: string; privateKeyPem: string; publicKeyPem: string }[];
}

export function agentFile(agents: readonly Agent[]): AgentFile {
  return {
    agents: agents.map((a) => ({
      id: a.id,
      domain: a.domain,
      privateKeyPem: a.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
      publicKeyPem: a.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    })),
  };
}

export function agentsFrom(file: AgentFile): Agent[] {
  return file.agents.map((a) => ({ id: a.id, domain: a.domain, privateKey: createPrivateKey(a.privateKeyPem), publicKey: createPublicKey(a.publicKeyPem) }));
}
