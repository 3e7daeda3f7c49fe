// Appraisal: one agent with 100k audited actions (and its usage records and attestations) in a real
// service's log and index. Cold: an appraiser with no state reads the agent's whole history through
// the index and the log and folds it. Warm: the state is current, the verdict is read from it.
// Incremental: batches of new actions arrive (as in continuous mode) and the appraiser reads only
// those before giving the verdict again. Each rate is beside a ceiling measured in the same run:
// SHA-256 (the convention), and reading one exec-audit entry as evidence (COSE, strict JSON and the
// schema), the floor of any appraisal that reads its evidence.
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServiceKeys, silentLogger, TransparencyService } from '../api/index.js';
import { readEntries } from '../api/appraisal-service.js';
import { Appraiser, readEvidence } from '../appraisal/index.js';
import { registeredStatement, signStatement } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { type Figure, pairedRate, sha256Ceiling } from './measure.js';

export interface AppraisalBenchOptions {
  readonly actions: number;
  readonly log: (line: string) => void;
}

const AGENT = 'spiffe://bench.example/agent/worker';
const ISS = 'https://issuer.bench.example';
const T0 = Date.UTC(2026, 0, 1);
const BATCH = 1000;
const BATCHES = 10;
const PSEUDONYM = 'hmac-sha256:qfcOAiJwJEY2S7fnvTTfxkkelVRUTfa2OtqwfaOVDLc';

const seed = createHash('sha256').update('atlog-bench-appraisal').digest();
const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
const publicKey = createPublicKey(privateKey);
const iso = (ms: number) => new Date(ms).toISOString();

function sign(type: string, sub: string, payload: Record<string, unknown>): Uint8Array {
  const body = { profile: `tag:atlog.dev,2026:${type}/v1`, iss: ISS, ...payload };
  return signStatement({ key: privateKey, iss: ISS, sub, iat: Math.floor(payload.iat as number), contentType: `application/vnd.atlog.${type}+json`, payload: new TextEncoder().encode(JSON.stringify(body)) });
}

const common = (jti: string, at: number) => ({ jti, iat: at / 1000, domain: 'bench.example', agent: { id: AGENT, swname: 'worker' }, dp: { units: { agent: PSEUDONYM } } });

/** Action i: one a second, cycling through four actions, in workflows of 100 tasks. */
function action(i: number): Uint8Array {
  const at = T0 + i * 1000;
  const wid = `wf-${Math.floor(i / 100)}`;
  return sign('exec-audit', AGENT, {
    ...common(`task-${i}`, at),
    corr: {},
    wid,
    exec_act: ['tool:crm.lookup', 'tool:crm.update', 'llm.chat', 'payments.refund'][i % 4],
    par: i % 100 === 0 ? [] : [`task-${i - (i % 100)}`],
    target: 'https://crm.bench.example/customers',
    start: iso(at),
    end: iso(at + 200),
    outcome: { status: 'ok' },
    authority: { tctx: { amount: 50 }, delegation_depth: 0 },
  });
}

function usage(i: number): Uint8Array {
  const at = T0 + i * 1000;
  return sign('resource-usage', AGENT, {
    ...common(`usage-${i}`, at),
    corr: {},
    scope: 'window',
    period: { start: iso(at - 100_000), end: iso(at) },
    meter: { id: 'spiffe://bench.example/meter/gw', kind: 'gateway', side: 'consumer' },
    consumer: { agent: AGENT, domain: 'bench.example' },
    provider: { domain: 'inference.example' },
    measurements: [{ name: 'gen_ai.usage.input_tokens', value: 1000, unit: '{token}' }],
  });
}

/** An honest attestation of the hour before action i. */
function attestation(i: number): Uint8Array {
  const end = T0 + i * 1000;
  return sign('behavior-attestation', AGENT, {
    ...common(`attestation-${i}`, end + 1000),
    corr: {},
    window: { start: iso(end - 3_600_000), end: iso(end) },
    observer: { kind: 'self', id: AGENT },
    covered: { count: Math.min(i, 3600) },
    measurements: [{ name: 'model', digest: `sha-256:${'a'.repeat(64)}` }],
    observed: { rates: [{ action: '*', max_per_window: Math.min(i, 60), window: 'PT1M' }] },
  });
}

const PROFILE = sign('behavior-profile', 'urn:bench:profile:worker', {
  jti: 'profile-1',
  iat: (T0 - 60_000) / 1000,
  domain: 'bench.example',
  id: 'urn:bench:profile:worker',
  version: '1',
  applies_to: { agents: ['spiffe://bench.example/agent/*'] },
  reference_values: { model: [`sha-256:${'a'.repeat(64)}`] },
  allowed_actions: [{ action: 'tool:crm.*', targets: ['https://crm.bench.example/*'], max_per_task: 200 }, { action: 'llm.*' }, { action: 'payments.refund' }],
  denied_actions: [{ action: 'tool:shell.*' }],
  rate_limits: [
    { action: '*', limit: 120, window: 'PT1M', per: 'agent' },
    { action: 'payments.*', limit: 30, window: 'PT1H', per: 'workflow' },
  ],
  resource_limits: [{ name: 'gen_ai.usage.input_tokens', max: 100_000_000, window: 'P1D' }],
  human_approval: [{ when: { action: 'payments.refund', tctx: [{ path: 'amount', op: 'gt', value: 1000 }] }, role: 'finance-approver', timeout: 'PT15M', on_timeout: 'deny' }],
  delegation: { max_depth: 3 },
  override: { must_honor: ['pause', 'emergency_stop'] },
});

/** The statements from action `from` to `to`, with a usage record every 100 actions and an attestation every 3600. */
function* activity(from: number, to: number): Generator<Uint8Array> {
  for (let i = from; i < to; i++) {
    yield action(i);
    if (i % 100 === 99) yield usage(i);
    if (i % 3600 === 3599) yield attestation(i + 1);
  }
}

async function appendAll(service: TransparencyService, statements: Iterable<Uint8Array>): Promise<number> {
  const inFlight = new Set<Promise<unknown>>();
  let count = 0;
  for (const statement of statements) {
    const p: Promise<unknown> = service.log.append(registeredStatement(statement)).then(() => inFlight.delete(p));
    inFlight.add(p);
    count++;
    if (inFlight.size >= 2048) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await service.index.caughtUp();
  return count;
}

export async function benchAppraisal(options: AppraisalBenchOptions): Promise<Figure[]> {
  const { actions, log } = options;
  const dir = mkdtempSync(join(tmpdir(), 'atlog-bench-appraisal-'));
  const service = await TransparencyService.open({
    dataDir: dir,
    keys: loadServiceKeys({ dataDir: dir }),
    issuer: 'http://localhost',
    origin: 'bench.atlog/appraisal',
    policy: createPolicy({ issuerKeys: [publicKey] }),
    logger: silentLogger(),
    sequencer: { maxBatchSize: 1024, maxQueueEntries: 8192 },
  });
  const figures: Figure[] = [];
  try {
    const started = performance.now();
    const entries = await appendAll(service, [PROFILE, ...activity(0, actions)]);
    log(`appraisal: ${entries} entries (${actions} actions of one agent) signed and logged in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const store = { index: service.index, readEntries: (indices: readonly number[]) => readEntries(service.log, indices) };

    // The ceilings of this run.
    const sha256 = sha256Ceiling(1);
    const sample = registeredStatement(action(12_345));
    const read = pairedRate(
      () => createHash('sha256').update(sample).digest(),
      () => readEvidence(sample, 1),
    );

    // Cold: no state; the agent's whole history read through the index and the log.
    const coldRuns: number[] = [];
    let verdict;
    let stateBytes = 0;
    for (let run = 0; run < 3; run++) {
      globalThis.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      const appraiser = new Appraiser(store);
      const t = performance.now();
      verdict = (await appraiser.appraise(AGENT)).verdict;
      coldRuns.push(performance.now() - t);
      globalThis.gc?.();
      // The appraiser is still alive here: what the heap grew by is its state of the agent.
      if (run === 0 && appraiser.agentsInMemory === 1) stateBytes = process.memoryUsage().heapUsed - heapBefore;
    }
    const cold = median(coldRuns);
    if (verdict!.status !== 'affirming') throw new Error(`the bench agent should be affirming, not ${verdict!.status}: ${JSON.stringify(verdict!.findings.slice(0, 3))}`);
    log(`appraisal: cold ${cold.toFixed(0)} ms (runs ${coldRuns.map((ms) => ms.toFixed(0)).join(', ')} ms); ${verdict!.evidence.actions} actions, ${verdict!.evidence.usage} usage records, ${verdict!.evidence.attestations} attestations`);
    figures.push({
      name: `appraisals/s, cold, agent of ${actions / 1000}k actions`,
      value: 1000 / cold,
      unit: 'ops/s',
      ratio: { of: 'SHA-256/s', value: 1000 / cold / sha256 },
      note: `${cold.toFixed(0)} ms each (median of 3): index lookups, ${entries} log reads, evidence parsed and folded`,
    });
    figures.push({
      name: 'evidence read and folded, cold',
      value: (entries / cold) * 1000,
      unit: 'ops/s',
      ratio: { of: 'evidence read/s', value: (entries / cold) * 1000 / read.subject },
      note: `entries/s of the cold appraisal; the ceiling: readEvidence of one exec-audit entry, ${(read.subject / 1000).toFixed(1)}k/s`,
    });

    // Warm: the state is current; nothing new to read.
    const appraiser = new Appraiser(store);
    await appraiser.appraise(AGENT);
    const warmStart = performance.now();
    let warm = 0;
    while (performance.now() - warmStart < 2000) {
      await appraiser.appraise(AGENT);
      warm++;
    }
    const warmRate = warm / ((performance.now() - warmStart) / 1000);
    figures.push({
      name: `appraisals/s, warm, agent of ${actions / 1000}k actions`,
      value: warmRate,
      unit: 'ops/s',
      ratio: { of: 'SHA-256/s', value: warmRate / sha256 },
      note: 'state current (continuous mode): the verdict read from it, whole history, no window',
    });

    // Incremental: batches of new actions, the appraiser reading only those.
    const batchMs: number[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const from = actions + b * BATCH;
      await appendAll(service, activity(from, from + BATCH));
      const t = performance.now();
      const { verdict: after } = await appraiser.appraise(AGENT);
      batchMs.push(performance.now() - t);
      if (after.evidence.actions !== from + BATCH) throw new Error('the incremental appraisal missed actions');
    }
    const sorted = [...batchMs].sort((a, b) => a - b);
    log(`appraisal: after each batch of ${BATCH} new actions: ${batchMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    figures.push({
      name: `time to appraise after a batch of ${BATCH} new actions (incremental)`,
      value: median(batchMs),
      unit: 'ms',
      ratio: { of: 'a cold appraisal’s time', value: median(batchMs) / cold },
      note: `median of ${BATCHES} batches (max ${sorted.at(-1)!.toFixed(0)} ms), the agent growing from ${actions / 1000}k to ${(actions + BATCHES * BATCH) / 1000}k actions: reads the ${BATCH + BATCH / 100} new entries only`,
    });
    figures.push({
      name: `time of a cold appraisal, agent of ${actions / 1000}k actions`,
      value: cold,
      unit: 'ms',
      note: `median of 3; for comparison with the incremental time above`,
    });
    if (stateBytes > 0) {
      figures.push({
        name: `heap of one agent's appraisal state, ${actions / 1000}k actions`,
        value: stateBytes,
        unit: 'bytes',
        note: `${(stateBytes / entries).toFixed(0)} bytes an entry (after a GC); the timeline keeps actions without their payloads`,
      });
    }
    figures.push({ name: 'SHA-256 of 65 B (this section’s ceiling)', value: sha256, unit: 'ops/s', note: 'measured before the appraisal figures' });
    return figures;
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
