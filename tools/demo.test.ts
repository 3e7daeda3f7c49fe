// atlog demo with the real binary: against its embedded service, and against a running service
// with the open development policy (what `npm start` runs), where everything it registered is
// then checked from the log and the entry index independently of what the demo says.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransparencyService } from '../api/index.js';
import { fromHex } from '../util/index.js';
import { CoseAlgorithm, generateKeyPair } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { expectOneLineError, requireBuiltCli, runAtlog } from '../test/support/cli.js';
import { tempDir } from '../test/support/log.js';
import { startTestServer, type TestServer } from '../test/support/service.js';
import { demoWorkload } from './demo/workload.js';

const work = tempDir('atlog-demo-test-');
let server: TestServer;
let service: TransparencyService;

beforeAll(async () => {
  requireBuiltCli();
  // The open development policy, as `npm start` runs it.
  server = await startTestServer({ dataDir: join(work, 'data') });
  service = server.service;
});

afterAll(async () => {
  await server.close();
});

describe('atlog demo', () => {
  it('registers the whole workload with an embedded service and verifies every receipt', async () => {
    const run = await runAtlog(['demo', '--seed', 'embedded', '--json'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    const expected = demoWorkload({ seed: 'embedded', start: Date.UTC(2026, 0, 1) }).statements.length;
    expect(summary).toMatchObject({ seed: 'embedded', url: null, statements: expected, verified: expected, agents: 12 });
    expect(summary.domains).toHaveLength(3);
    // The embedded service's log holds the workload and its own policy statement.
    expect(summary.treeSize).toBe(expected + 1);
    expect(run.stderr).toMatch(/registering \[#{30}\] \d+\/\d+/);
  }, 60_000);

  it('fills a running open service, where the log and the index have every statement', async () => {
    const run = await runAtlog(['demo', '--url', server.url, '--seed', 'against-a-service', '--start', '2026-01-01T00:00:00Z'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^registered \d+ statements from 12 agents in 3 domains in [0-9.]+ s \(tree size \d+\); verified all \d+ receipts/);
    expect(run.stdout).toContain(`curl -s '${server.url}/workflows/wf-order-1001/entries'`);

    // Independently of the demo: every statement is in the log, and the index finds it.
    const workload = demoWorkload({ seed: 'against-a-service', start: Date.UTC(2026, 0, 1) });
    await service.index.caughtUp();
    for (const statement of workload.statements) {
      expect(await service.log.indexOf(fromHex(statement.entryId)!), statement.entryId).toBeDefined();
    }
    const { facts } = workload;
    const misbehaving = await service.index.find('agent', facts.misbehaving.agent, { type: 'override-event', limit: 1000 });
    expect(new Set(misbehaving.entries.map((e) => e.overrideId))).toEqual(new Set([facts.pauseOverride, facts.rollbackOverride, 'ov-resume-support']));
    const order = await service.index.find('workflow', facts.crossDomainWorkflow, { type: 'exec-audit', limit: 1000 });
    expect(new Set(order.entries.map((e) => e.domain))).toEqual(new Set(facts.domains));
    for (const [parent, child] of facts.crossDomainEdges) {
      const childEntry = order.entries.find((e) => e.tid === child)!;
      const parentEntry = order.entries.find((e) => e.tid === parent)!;
      expect(childEntry.par).toContain(parent);
      expect(childEntry.domain).not.toBe(parentEntry.domain);
    }
    const failed = await service.index.find('task', facts.failedTask);
    expect(failed.entries.map((e) => e.outcome)).toEqual(['error']);

    // Registering the same workload again changes nothing: every registration is idempotent.
    const size = service.log.size;
    const again = await runAtlog(['demo', '--url', server.url, '--seed', 'against-a-service', '--start', '2026-01-01T00:00:00Z', '--json'], { cwd: work });
    expect(again.code, again.stderr).toBe(0);
    expect(service.log.size).toBe(size);
  }, 60_000);

  it('stops at the first statement a service refuses, with one line naming it', async () => {
    const closed = await startTestServer({ policy: createPolicy({ issuerKeys: [generateKeyPair(CoseAlgorithm.ES256).publicKey] }) });
    try {
      const run = await runAtlog(['demo', '--url', closed.url, '--seed', 'refused', '--concurrency', '1'], { cwd: work });
      expectOneLineError(run, 1, /the behavior-profile profile-planner-1 from authority@shop\.example: registration refused \(400 Rejected\): rule issuers: /);
    } finally {
      await closed.close();
    }
  }, 60_000);

  it('refuses bad options as usage errors', async () => {
    expectOneLineError(await runAtlog(['demo', '--concurrency', '0'], { cwd: work }), 2, /--concurrency must be a whole number from 1 to 256/);
    expectOneLineError(await runAtlog(['demo', '--url', 'ftp://x'], { cwd: work }), 2);
    expectOneLineError(await runAtlog(['demo', '--start', 'yesterday'], { cwd: work }), 2, /--start is an RFC 3339 date-time/);
  });
});
