// The load generator: its own process (forked by run.ts, orders over IPC), posting pre-signed
// statements to the service over loopback and timing each one to its receipt.
//
// - closed loop: `concurrency` connections, each posting its next statement when the previous one
//   has its answer (the throughput the service sustains at that concurrency);
// - open loop: requests scheduled at a fixed rate, each timed from when it was due, not from when
//   a connection was free (no coordinated omission), on as many connections as that needs;
// - proofs: `GET /entries/{id}` of random acknowledged entries (receipts built on request);
// - bulk receipts: `POST /receipts` asking for `batch` random acknowledged entries at a time.
//
// A 303 is polled at `/entries/{id}` every 20 ms until its receipt comes (time to receipt counts
// the wait); a 429 or 503 waits Retry-After and posts the same statement again (nothing may be
// dropped: back-pressure is the client's to honour); any other status is counted as an error.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Worker } from 'node:worker_threads';
import { HttpConnection, type HttpResponse } from './http-client.js';
import type { SignJob } from './sign-worker.js';
import { agentsFrom, type AgentFile } from './workload.js';
import { decodeCbor, encodeCbor } from '../../receipts/index.js';

export type GeneratorOrder =
  | { readonly type: 'sign'; readonly agentsFile: string; readonly count: number; readonly seed: string }
  | { readonly type: 'reuse' }
  | { readonly type: 'closed'; readonly url: string; readonly concurrency: number; readonly seconds: number }
  | { readonly type: 'open'; readonly url: string; readonly rate: number; readonly seconds: number; readonly maxConnections: number }
  | { readonly type: 'proofs'; readonly url: string; readonly concurrency: number; readonly seconds: number }
  | { readonly type: 'bulk-receipts'; readonly url: string; readonly concurrency: number; readonly seconds: number; readonly batch: number }
  | { readonly type: 'acks'; readonly file: string }
  | { readonly type: 'exit' };

export interface PhaseResult {
  readonly type: 'phase';
  /** Receipts obtained per second over the measured window. */
  readonly perSecond: number;
  readonly completed: number;
  readonly seconds: number;
  /** Time to receipt (registrations) or to the answer (proofs), milliseconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** Answers other than the expected one, by status (0: the connection failed). */
  readonly statuses: Readonly<Record<string, number>>;
  /** 303 answers, each then polled to its receipt. */
  readonly pending: number;
  /** Open loop: requests sent later than due because no connection could be opened in time. */
  readonly late?: number;
  readonly connections: number;
  /** CPU the generator itself used, in cores (user + system over wall time). */
  readonly generatorCores: number;
  /** True when the pre-signed statements ran out before the phase ended. */
  readonly exhausted: boolean;
}

const POLL_MS = 20;
const send = (message: unknown) => process.send!(message);

let statements: Uint8Array[] = [];
let next = 0;
/** Acknowledged registrations: statement number and receipt, for the verification after the run. */
const acks: { statement: number; receipt: Uint8Array; location: string }[] = [];

process.on('message', (order: GeneratorOrder) => {
  handle(order).then(send, (error: unknown) => send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
});

async function handle(order: GeneratorOrder): Promise<unknown> {
  switch (order.type) {
    case 'sign':
      return sign(order);
    case 'reuse':
      // The same statements for the next service: new to its log, so nothing needs signing again.
      next = 0;
      acks.length = 0;
      return { type: 'signed', count: statements.length, meanBytes: statements.reduce((sum, s) => sum + s.length, 0) / statements.length, seconds: 0 };
    case 'closed':
      return closedLoop(order.url, order.concurrency, order.seconds);
    case 'open':
      return openLoop(order.url, order.rate, order.seconds, order.maxConnections);
    case 'proofs':
      return proofs(order.url, order.concurrency, order.seconds);
    case 'bulk-receipts':
      return bulkReceipts(order.url, order.concurrency, order.seconds, order.batch);
    case 'acks':
      writeAcks(order.file);
      return { type: 'acks', count: acks.length };
    case 'exit':
      setImmediate(() => process.exit(0));
      return { type: 'bye' };
  }
}

/** Signs `count` statements on every core (before any load: not measured). */
async function sign(order: Extract<GeneratorOrder, { type: 'sign' }>): Promise<unknown> {
  const started = performance.now();
  const agents = agentsFrom(JSON.parse(readFileSync(order.agentsFile, 'utf8')) as AgentFile);
  const threads = Math.max(1, cpus().length);
  const per = Math.ceil(order.count / threads);
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const job: SignJob = { agents, seed: order.seed, from: t * per, to: Math.min(order.count, (t + 1) * per) };
      return new Promise<Uint8Array[]>((resolve, reject) => {
        const worker = new Worker(new URL('./sign-worker.js', import.meta.url), { workerData: job });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  // A new set of statements is for a new service: what the last one acknowledged is not this one's.
  statements = parts.flat();
  next = 0;
  acks.length = 0;
  const bytes = statements.reduce((sum, s) => sum + s.length, 0);
  return { type: 'signed', count: statements.length, meanBytes: bytes / statements.length, seconds: (performance.now() - started) / 1000 };
}

function target(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

class Recorder {
  private readonly latencies: number[] = [];
  private items = 0;
  readonly statuses: Record<string, number> = {};
  pending = 0;
  late = 0;
  private readonly cpuStart = process.cpuUsage();
  private readonly wallStart = performance.now();

  constructor(
    /** Completions before this time (ms, performance.now) are warm-up, not counted. */
    private readonly from: number,
    private readonly until: number,
  ) {}

  /** One answer, started at `startedAt`, that brought `items` receipts (a bulk request brings many). */
  done(startedAt: number, items = 1): void {
    const now = performance.now();
    if (now >= this.from && now <= this.until) {
      this.latencies.push(now - startedAt);
      this.items += items;
    }
  }

  status(status: number | string): void {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
  }

  result(connections: number, exhausted: boolean): PhaseResult {
    const sorted = Float64Array.from(this.latencies).sort();
    const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
    const seconds = (this.until - this.from) / 1000;
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      type: 'phase',
      perSecond: this.items / seconds,
      completed: this.items,
      seconds,
      p50: at(0.5),
      p95: at(0.95),
      p99: at(0.99),
      max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
      statuses: this.statuses,
      pending: this.pending,
      ...(this.late > 0 ? { late: this.late } : {}),
      connections,
      generatorCores: (cpu.user + cpu.system) / 1000 / (performance.now() - this.wallStart),
      exhausted,
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Registers statement `k` on `connection`: posts it until it is accepted (honouring Retry-After on
 * 429 and 503), then waits for its receipt (polling a 303). Resolves true once it has the receipt.
 */
async function register(connection: HttpConnection, k: number, recorder: Recorder): Promise<boolean> {
  let response: HttpResponse;
  for (;;) {
    try {
      response = await connection.request('POST', '/entries', statements[k]!, 'application/cose');
    } catch {
      recorder.status(0);
      return false;
    }
    if (response.status !== 429 && response.status !== 503) break;
    recorder.status(response.status);
    await sleep(1000 * Number(response.headers['retry-after'] ?? 1));
  }
  const location = response.headers.location ?? '';
  if (response.status === 201) {
    acks.push({ statement: k, receipt: response.body, location });
    return true;
  }
  if (response.status !== 303) {
    recorder.status(response.status);
    return false;
  }
  recorder.pending++;
  for (;;) {
    await sleep(POLL_MS);
    let polled: HttpResponse;
    try {
      polled = await connection.request('GET', location);
    } catch {
      recorder.status(0);
      return false;
    }
    if (polled.status === 200) {
      acks.push({ statement: k, receipt: polled.body, location });
      return true;
    }
    if (polled.status !== 302) {
      recorder.status(polled.status);
      return false;
    }
  }
}

async function openConnections(url: string, count: number): Promise<HttpConnection[]> {
  const { host, port } = target(url);
  return Promise.all(Array.from({ length: count }, () => HttpConnection.open(host, port)));
}

const WARM_UP_MS = 1000;

async function closedLoop(url: string, concurrency: number, seconds: number): Promise<PhaseResult> {
  const connections = await openConnections(url, concurrency);
  const start = performance.now();
  const recorder = new Recorder(start + WARM_UP_MS, start + WARM_UP_MS + seconds * 1000);
  const stopAt = start + WARM_UP_MS + seconds * 1000;
  let exhausted = false;
  await Promise.all(
    connections.map(async (connection) => {
      let current = connection;
      while (performance.now() < stopAt) {
        if (next >= statements.length) {
          exhausted = true;
          return;
        }
        const k = next++;
        const began = performance.now();
        if (await register(current, k, recorder)) recorder.done(began);
        if (!current.usable) current = (await openConnections(url, 1))[0]!;
      }
    }),
  );
  for (const c of connections) c.close();
  return recorder.result(concurrency, exhausted);
}

async function openLoop(url: string, rate: number, seconds: number, maxConnections: number): Promise<PhaseResult> {
  const idle = await openConnections(url, Math.min(maxConnections, Math.max(8, Math.ceil(rate / 100))));
  let opened = idle.length;
  const start = performance.now();
  const recorder = new Recorder(start + WARM_UP_MS, start + WARM_UP_MS + seconds * 1000);
  const total = Math.floor((rate * (WARM_UP_MS + seconds * 1000)) / 1000);
  const running = new Set<Promise<void>>();
  let exhausted = false;
  let opening = 0;
  // An idle connection the server has closed (its keep-alive timeout is 5 s) is dropped, as any
  // HTTP client's pool does, rather than used for a request that can only fail.
  const takeIdle = (): HttpConnection | undefined => {
    for (let c = idle.pop(); c !== undefined; c = idle.pop()) {
      if (c.usable) return c;
      opened--;
    }
    return undefined;
  };
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (next >= statements.length) {
      exhausted = true;
      break;
    }
    let connection = takeIdle();
    while (connection === undefined) {
      if (opened + opening < maxConnections) {
        opening++;
        connection = (await openConnections(url, 1))[0]!;
        opening--;
        opened++;
      } else {
        recorder.late++;
        await sleep(1);
        connection = takeIdle();
      }
    }
    const k = next++;
    const c = connection;
    const task = register(c, k, recorder).then(async (ok) => {
      if (ok) recorder.done(due);
      if (c.usable) idle.push(c);
      else opened--;
    });
    running.add(task);
    void task.finally(() => running.delete(task));
  }
  await Promise.all(running);
  for (const c of idle) c.close();
  return recorder.result(opened, exhausted);
}

async function proofs(url: string, concurrency: number, seconds: number): Promise<PhaseResult> {
  return readPhase(url, concurrency, seconds, 0x2545f491, async (connection, recorder, random) => {
    const ack = acks[Math.floor(random() * acks.length)]!;
    const began = performance.now();
    const response = await connection.request('GET', ack.location);
    if (response.status === 200 && response.body.length > 0) recorder.done(began);
    else recorder.status(response.status);
  });
}

async function bulkReceipts(url: string, concurrency: number, seconds: number, batch: number): Promise<PhaseResult> {
  const ids = acks.map((ack) => Buffer.from(ack.location.slice(-64), 'hex'));
  return readPhase(url, concurrency, seconds, 0x1b873593, async (connection, recorder, random) => {
    const asked = Array.from({ length: batch }, () => ids[Math.floor(random() * ids.length)]!);
    const began = performance.now();
    const response = await connection.request('POST', '/receipts', encodeCbor(asked), 'application/cbor');
    // Every entry asked was acknowledged: each answer must be a receipt, none null.
    const answer = response.status === 200 ? decodeCbor(response.body, { tags: [], maxItems: batch }) : undefined;
    if (Array.isArray(answer) && answer.length === batch && answer.every((r) => r instanceof Uint8Array && r.length > 0)) recorder.done(began, batch);
    else recorder.status(response.status === 200 ? 'incomplete' : response.status);
  });
}

/**
 * A phase of reads of acknowledged entries: `ask` once after another on each of `concurrency`
 * connections until the phase ends, entries chosen by a xorshift generator seeded with `seed`
 * (the same choices every run). A connection that fails is counted (status 0) and dropped.
 */
async function readPhase(
  url: string,
  concurrency: number,
  seconds: number,
  seed: number,
  ask: (connection: HttpConnection, recorder: Recorder, random: () => number) => Promise<void>,
): Promise<PhaseResult> {
  if (acks.length === 0) throw new Error('no acknowledged entries to ask receipts for');
  const connections = await openConnections(url, concurrency);
  const start = performance.now();
  const recorder = new Recorder(start + WARM_UP_MS, start + WARM_UP_MS + seconds * 1000);
  const stopAt = start + WARM_UP_MS + seconds * 1000;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  await Promise.all(
    connections.map(async (connection) => {
      while (performance.now() < stopAt) {
        try {
          await ask(connection, recorder, random);
        } catch {
          recorder.status(0);
          return;
        }
      }
    }),
  );
  for (const c of connections) c.close();
  return recorder.result(concurrency, false);
}

/**
 * The acknowledged registrations, for verification: per record, the statement's length (u32), the
 * statement, the receipt's length (u32) and the receipt.
 */
function writeAcks(file: string): void {
  const parts: Uint8Array[] = [];
  for (const { statement, receipt } of acks) {
    const s = statements[statement]!;
    const head = Buffer.alloc(4);
    head.writeUInt32BE(s.length);
    const mid = Buffer.alloc(4);
    mid.writeUInt32BE(receipt.length);
    parts.push(head, s, mid, receipt);
  }
  writeFileSync(file, Buffer.concat(parts));
}
