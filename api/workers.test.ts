// The worker pool against the built worker script (dist/api/service-worker.js: threads run
// JavaScript, not the TypeScript sources), with real policies built from real key files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryDraft, placeDraft, type PlacedEntry } from '../index/index.js';
import { CoseAlgorithm, generateKeyPair, registeredStatement, signStatement } from '../receipts/index.js';
import { PolicyError, policyFromOptions } from '../statements/index.js';
import { encodePayload, execAuditPayload } from '../test/support/agent-statements.js';
import { requireFreshBuild } from '../test/support/built.js';
import { thrown } from '../test/support/errors.js';
import { REPO_ROOT } from '../test/support/vectors.js';
import { ServiceError } from './errors.js';
import { ServiceWorkers } from './workers.js';

const WORKER_URL = new URL(`file://${join(REPO_ROOT, 'dist/api/service-worker.js')}`);
const AGENT = 'spiffe://domain-a.example/agent/worker-1';
const agentKey = generateKeyPair(CoseAlgorithm.ES256);
const stranger = generateKeyPair(CoseAlgorithm.ES256);

function statement(n: number, key = agentKey.privateKey): Uint8Array {
  const payload = execAuditPayload({ jti: `0b7a6c1e-0000-4000-8000-${n.toString(16).padStart(12, '0')}`, iss: AGENT, agent: AGENT, wid: 'wf-1', iat: 1_767_225_600 + n });
  return signStatement({ key, iss: AGENT, sub: AGENT, contentType: 'application/vnd.atlog.exec-audit+json', payload: encodePayload(payload) });
}

let dir: string;
let policyOptions: { issuerKeys: string[]; cwd: string };
let pool: ServiceWorkers;

beforeAll(async () => {
  requireFreshBuild('dist/api/service-worker.js', ['api', 'statements', 'receipts', 'index', 'log', 'util']);
  dir = mkdtempSync(join(tmpdir(), 'atlog-workers-'));
  writeFileSync(join(dir, 'agent.pem'), agentKey.publicKey.export({ format: 'pem', type: 'spki' }));
  policyOptions = { issuerKeys: ['agent.pem'], cwd: dir };
  pool = await ServiceWorkers.open({ size: 2, policyOptions, policyDigest: policyFromOptions(policyOptions).digest, workerUrl: WORKER_URL });
});

afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ServiceWorkers', () => {
  it('admits what the policy admits, giving the registered statement, for batches spread over both threads', async () => {
    const statements = Array.from({ length: 200 }, (_, n) => statement(n));
    const admitted = await Promise.all(statements.map((s) => pool.admit(s, Date.now())));
    admitted.forEach(({ entry, draft }, n) => {
      const registered = registeredStatement(statements[n]!);
      expect(Buffer.from(entry).equals(Buffer.from(registered))).toBe(true);
      // The draft made from the admitted statement is the one made from the entry alone.
      expect(Buffer.from(draft).toString('hex')).toBe(Buffer.from(entryDraft(registered)).toString('hex'));
    });
    expect(pool.queueDepth).toBe(0);
  });

  it('refuses what the policy refuses, with the same code and rule as policy.admit', async () => {
    const policy = policyFromOptions(policyOptions);
    const refused = [statement(1, stranger.privateKey), new Uint8Array([0xd2, 0x84]), new Uint8Array(70_000)];
    for (const bytes of refused) {
      const inThread = thrown(() => policy.admit(bytes), PolicyError);
      const inWorker = await pool.admit(bytes, Date.now()).then(
        () => expect.unreachable('admitted'),
        (error: unknown) => error,
      );
      expect(inWorker).toBeInstanceOf(PolicyError);
      expect({ code: (inWorker as PolicyError).code, rule: (inWorker as PolicyError).rule }).toEqual({ code: inThread.code, rule: inThread.rule });
    }
    // One refusal does not spoil its batch.
    const [good, bad] = await Promise.allSettled([pool.admit(statement(2), Date.now()), pool.admit(statement(3, stranger.privateKey), Date.now())]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
  });

  it('sends statements in jobs of at most maxJobStatements, two at a time to each thread, each answered in its place', async () => {
    const chunked = await ServiceWorkers.open({ size: 2, policyOptions, policyDigest: policyFromOptions(policyOptions).digest, maxJobStatements: 7, workerUrl: WORKER_URL });
    try {
      // Refusals at the first and last place of jobs, and across their boundaries.
      const refusedAt = new Set([0, 6, 7, 13, 20, 39]);
      const statements = Array.from({ length: 40 }, (_, n) => statement(n, refusedAt.has(n) ? stranger.privateKey : agentKey.privateKey));
      const outcomes = Promise.allSettled(statements.map((s) => chunked.admit(s, Date.now())));
      // At the end of the turn: two jobs of seven to each thread; the other twelve wait for one
      // to come back, and then go.
      await new Promise((resolve) => setImmediate(resolve));
      const internals = chunked as unknown as { slots: { jobs: Map<number, { weight: number }> }[]; batch: unknown[] };
      expect(internals.slots.map((slot) => [...slot.jobs.values()].map((job) => job.weight))).toEqual([
        [7, 7],
        [7, 7],
      ]);
      expect(internals.batch).toHaveLength(12);
      expect(chunked.queueDepth).toBe(40);
      (await outcomes).forEach((outcome, n) => {
        if (refusedAt.has(n)) {
          expect(outcome.status).toBe('rejected');
          expect(((outcome as PromiseRejectedResult).reason as PolicyError).code).toBe(thrown(() => policyFromOptions(policyOptions).admit(statements[n]!), PolicyError).code);
        } else {
          expect(outcome.status).toBe('fulfilled');
          const { entry } = (outcome as PromiseFulfilledResult<{ entry: Uint8Array }>).value;
          expect(Buffer.from(entry).equals(Buffer.from(registeredStatement(statements[n]!)))).toBe(true);
        }
      });
      expect(chunked.queueDepth).toBe(0);
    } finally {
      await chunked.close();
    }
    await expect(ServiceWorkers.open({ size: 1, policyOptions, policyDigest: 'x', maxJobStatements: 0, workerUrl: WORKER_URL })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it('sends what waited while a thread had two jobs as one job when a job comes back', async () => {
    const single = await ServiceWorkers.open({ size: 1, policyOptions, policyDigest: policyFromOptions(policyOptions).digest, maxJobStatements: 200, workerUrl: WORKER_URL });
    try {
      const internals = single as unknown as { slots: { jobs: Map<number, { weight: number }> }[]; batch: unknown[] };
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      // Two full jobs (tens of milliseconds of work each), signed beforehand so that the turns are short.
      const statements = Array.from({ length: 410 }, (_, n) => statement(n));
      const first = Promise.all(statements.slice(0, 200).map((s) => single.admit(s, Date.now())));
      await turn();
      const second = Promise.all(statements.slice(200, 400).map((s) => single.admit(s, Date.now())));
      await turn();
      const rest = statements.slice(400).map((s) => single.admit(s, Date.now()));
      await turn();
      expect([...internals.slots[0]!.jobs.values()].map((job) => job.weight)).toEqual([200, 200]);
      expect(internals.batch).toHaveLength(10);
      await first;
      // The ten went out together the moment the first job came back.
      expect(internals.batch).toHaveLength(0);
      expect([...internals.slots[0]!.jobs.values()].map((job) => job.weight)).toContain(10);
      await expect(Promise.all([second, ...rest])).resolves.toHaveLength(11);
      expect(single.queueDepth).toBe(0);
    } finally {
      await single.close();
    }
  });

  it('makes the same index drafts, and so records, as the index does on its own thread', async () => {
    const entries = Array.from({ length: 50 }, (_, n) => registeredStatement(statement(n)));
    const times = entries.map((_, i) => 1_767_225_600_000 + i);
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
    // Everything the index writes of an entry: its record, and what its postings hold.
    const shown = (placed: PlacedEntry) => [hex(placed.record[0]), hex(placed.record[1]), placed.time, placed.typeCode, placed.prefixes.map(hex)];
    const drafts = await pool.indexDrafts(entries);
    expect(drafts.map(hex)).toEqual(entries.map((e) => hex(entryDraft(e))));
    const there = drafts.map((draft, i) => shown(placeDraft(draft, 1000 + i, times[i]!)));
    const here = entries.map((entry, i) => shown(placeDraft(entryDraft(entry), 1000 + i, times[i]!)));
    expect(there).toEqual(here);
    expect(here.every((placed) => (placed[4] as string[]).length >= 6)).toBe(true);
  });

  it('refuses to start when a thread builds another policy than the service', async () => {
    const error = await ServiceWorkers.open({ size: 1, policyOptions, policyDigest: '00'.repeat(32), workerUrl: WORKER_URL }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe('CONFIG_INVALID');
    const missing = await ServiceWorkers.open({ size: 1, policyOptions: { issuerKeys: ['missing.pem'], cwd: dir }, policyDigest: 'x', workerUrl: WORKER_URL }).catch((e: unknown) => e);
    expect((missing as ServiceError).message).toMatch(/could not build the registration policy/);
  });

  it('refuses more statements than it queues, retryably, and loses none it took', async () => {
    const small = await ServiceWorkers.open({ size: 1, policyOptions, policyDigest: policyFromOptions(policyOptions).digest, maxQueuedStatements: 10, workerUrl: WORKER_URL });
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 15 }, (_, n) => small.admit(statement(n), Date.now())));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
      const refusals = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => (o.reason as ServiceError).code);
      expect(refusals).toEqual(Array(5).fill('QUEUE_FULL'));
    } finally {
      await small.close();
    }
  });

  it('fails the jobs of a thread that dies as retryable, replaces it, and goes on', async () => {
    const fragile = await ServiceWorkers.open({ size: 1, policyOptions, policyDigest: policyFromOptions(policyOptions).digest, workerUrl: WORKER_URL });
    try {
      const inFlight = fragile.admit(statement(1), Date.now());
      // The worker is killed with the job sent (the batch leaves at the next turn of the loop).
      await new Promise((resolve) => setImmediate(resolve));
      await (fragile as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]!.worker.terminate();
      const error = await inFlight.catch((e: unknown) => e);
      expect((error as ServiceError).code).toBe('NOT_READY');
      // A replacement comes up; registrations go through again.
      for (let attempt = 0; fragile.size === 0 && attempt < 100; attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fragile.size).toBe(1);
      await expect(fragile.admit(statement(2), Date.now())).resolves.toMatchObject({ entry: expect.any(Uint8Array), draft: expect.any(Uint8Array) });
    } finally {
      await fragile.close();
    }
  });

  it('answers NOT_READY once closed', async () => {
    const closing = await ServiceWorkers.open({ size: 1, policyOptions, policyDigest: policyFromOptions(policyOptions).digest, workerUrl: WORKER_URL });
    await closing.close();
    expect(((await closing.admit(statement(1), Date.now()).catch((e: unknown) => e)) as ServiceError).code).toBe('NOT_READY');
  });
});
