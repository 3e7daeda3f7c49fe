// The query routes over a real service on loopback: statements registered over HTTP come back by
// agent and by workflow, filtered and paged, with the tree size the index reflects; bad filters
// are concise problem details.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoseAlgorithm, decodeCbor, generateKeyPair, signStatement } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { encodePayload, execAuditPayload } from '../test/support/agent-statements.js';
import { startTestServer, type TestServer } from '../test/support/service.js';
import type { EntryListing } from './queries.js';
import type { TransparencyService } from './index.js';

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const AGENT = 'spiffe://a.example/agent/planner';

let service: TransparencyService;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ issuer: 'http://127.0.0.1/scitt', policy: createPolicy({ issuerKeys: [issuer.publicKey] }) });
  service = server.service;
});

afterAll(async () => {
  await server.close();
});

function auditStatement(i: number, wid: string, agent = AGENT): Uint8Array {
  const payload = execAuditPayload({
    jti: `task-${wid}-${i}`,
    iss: 'https://a.example',
    iat: 1_767_225_600 + i * 60,
    agent,
    wid,
    par: i === 0 ? [] : [`task-${wid}-${i - 1}`],
  });
  return signStatement({
    key: issuer.privateKey,
    iss: payload.iss,
    sub: agent,
    contentType: 'application/vnd.atlog.exec-audit+json',
    payload: encodePayload(payload),
  });
}

async function register(statement: Uint8Array): Promise<void> {
  const response = await fetch(`${server.url}/entries`, { method: 'POST', headers: { 'content-type': 'application/cose' }, body: statement });
  expect(response.status).toBe(201);
}

async function list(path: string): Promise<EntryListing> {
  const response = await fetch(`${server.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as EntryListing;
}

async function problem(path: string): Promise<{ status: number; title: string; detail: string }> {
  const response = await fetch(`${server.url}${path}`);
  expect(response.headers.get('content-type')).toBe('application/concise-problem-details+cbor');
  const body = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;
  return { status: response.status, title: body.get(-1)!, detail: body.get(-2)! };
}

describe('query routes', () => {
  it('lists an agent’s and a workflow’s entries in log order, with the tree size they reflect', async () => {
    for (let i = 0; i < 4; i++) await register(auditStatement(i, 'wf-a'));
    await register(auditStatement(0, 'wf-b', 'spiffe://b.example/agent/other'));
    await service.index.caughtUp();

    const agent = await list(`/agents/${encodeURIComponent(AGENT)}/entries`);
    expect(agent.treeSize).toBe(service.log.size);
    expect(agent.logSize).toBe(service.log.size);
    expect(agent.entries.map((e) => e.tid)).toEqual(['task-wf-a-0', 'task-wf-a-1', 'task-wf-a-2', 'task-wf-a-3']);
    const first = agent.entries[0]!;
    expect(first).toMatchObject({ type: 'exec-audit', payload: 'valid', agent: AGENT, wid: 'wf-a', time: '2026-01-01T00:00:00.000Z', action: 'tool:sql.query' });
    expect(first.statement).toBe(`/scitt/entries/${first.entryId}/statement`);
    expect(first.receipt).toBe(`/scitt/entries/${first.entryId}`);
    expect(Date.parse(first.registeredAt)).toBeGreaterThan(0);
    // The links work: the statement is the one registered.
    const statement = await fetch(`${server.url}/entries/${first.entryId}/statement`);
    expect(statement.status).toBe(200);

    const workflow = await list('/workflows/wf-b/entries');
    expect(workflow.entries.map((e) => e.agent)).toEqual(['spiffe://b.example/agent/other']);
    expect((await list('/workflows/wf-none/entries')).entries).toEqual([]);
  });

  it('filters by type and time, and pages', async () => {
    const path = `/agents/${encodeURIComponent(AGENT)}/entries`;
    expect((await list(`${path}?type=resource-usage`)).entries).toEqual([]);
    const window = await list(`${path}?from=2026-01-01T00:01:00Z&to=2026-01-01T00:03:00Z`);
    expect(window.entries.map((e) => e.tid)).toEqual(['task-wf-a-1', 'task-wf-a-2']);
    expect((await list(`${path}?from=1767225720`)).entries.map((e) => e.tid)).toEqual(['task-wf-a-2', 'task-wf-a-3']);
    const page1 = await list(`${path}?limit=3`);
    expect(page1.entries.length).toBe(3);
    expect(page1.next).toBeDefined();
    const page2 = await list(`${path}?limit=3&after=${page1.next}`);
    expect(page2.entries.map((e) => e.tid)).toEqual(['task-wf-a-3']);
    expect(page2.next).toBeUndefined();
  });

  it('refuses bad filters with concise problem details', async () => {
    const path = `/agents/${encodeURIComponent(AGENT)}/entries`;
    for (const query of ['type=nope', 'from=yesterday', 'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'limit=0', 'limit=1001', 'after=-1', 'after=x']) {
      expect(await problem(`${path}?${query}`), query).toMatchObject({ status: 400, title: 'Malformed request' });
    }
    expect((await problem(`/agents/${'a'.repeat(1025)}/entries`)).status).toBe(400);
  });
});
