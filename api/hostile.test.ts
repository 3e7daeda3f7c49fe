// Hostile clients against a real server on loopback: malformed and nested CBOR, wrong media types,
// bodies announced or sent far over the limit, bodies and headers that trickle in, header floods,
// thousands of concurrent requests, and overload. The service must stay up, answer each one with
// the right status and concise problem details, stop reading what it will not use, and keep the
// log consistent: it audits clean and holds exactly the distinct valid statements.
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SequencerOptions } from '../log/index.js';
import { CoseAlgorithm, decodeCbor, encodeCbor, generateKeyPair, parseStatement, signStatement, statementLeafHash } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { tempDir } from '../test/support/log.js';
import { toHex } from '../util/index.js';
import {
  createLogger,
  loadServiceKeys,
  PROBLEM_MEDIA_TYPE,
  type RunningServer,
  type ServerOptions,
  silentLogger,
  startServer,
  TransparencyService,
} from './index.js';

const issuer = generateKeyPair(CoseAlgorithm.EdDSA);
// A real policy: statements from this issuer's key are admitted, by kid.
const policy = createPolicy({ issuerKeys: [issuer.publicKey] });
const statement = (tag: string, n: number) =>
  signStatement({ key: issuer.privateKey, iss: 'https://agent.example/h', sub: `${tag}-${n}`, payload: new TextEncoder().encode(`event ${tag} ${n}`) });

const MAX_BODY = 64 * 1024;
const BODY_TIMEOUT_MS = 800;

interface Running {
  readonly service: TransparencyService;
  readonly server: RunningServer;
  readonly port: number;
  readonly dataDir: string;
  readonly lines: string[];
  /** The server side of each connection, by the client's local port. */
  readonly serverSockets: Map<number, Socket>;
}

const running: Running[] = [];
afterAll(async () => {
  for (const r of running) await r.server.close();
});

async function start(options: { sequencer?: SequencerOptions; server?: Partial<ServerOptions>; receiptWaitMs?: number } = {}): Promise<Running> {
  const dataDir = tempDir('atlog-hostile-');
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  const service = await TransparencyService.open({
    dataDir,
    keys: loadServiceKeys({ dataDir }),
    issuer: 'http://localhost',
    origin: 'localhost/log',
    policy,
    logger,
    ...(options.sequencer === undefined ? {} : { sequencer: options.sequencer }),
    ...(options.receiptWaitMs === undefined ? {} : { receiptWaitMs: options.receiptWaitMs }),
  });
  const server = await startServer(service, {
    port: 0,
    hostname: '127.0.0.1',
    maxBodyBytes: MAX_BODY,
    bodyTimeoutMs: BODY_TIMEOUT_MS,
    requestTimeoutMs: 2000,
    ...options.server,
  });
  const serverSockets = new Map<number, Socket>();
  (server.server as Server).on('connection', (socket: Socket) => serverSockets.set(socket.remotePort!, socket));
  const r = { service, server, port: Number(new URL(server.url).port), dataDir, lines, serverSockets };
  running.push(r);
  return r;
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client: nothing fetch would refuse to send is out of reach.

interface RawResponse {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

class RawClient {
  readonly socket: Socket;
  private data = Buffer.alloc(0);
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  private readonly waiters: (() => void)[] = [];
  readonly connected: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.socket.on('data', (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake();
    });
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      this.error = error;
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Writes, resolving when the kernel took it (or rejecting when the connection is gone). */
  write(bytes: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) return reject(this.error ?? new Error('closed'));
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** The next complete response (Content-Length framed), or undefined if the connection closed first. */
  async response(timeoutMs = 5000): Promise<RawResponse | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this.parse();
      if (parsed !== undefined) return parsed;
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error('no response in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async whenClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return this.closed;
  }

  private parse(): RawResponse | undefined {
    const end = this.data.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = this.data.subarray(0, end).toString('latin1').split('\r\n');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers.get('content-length') ?? 0);
    if (this.data.length < end + 4 + length) return undefined;
    const body = this.data.subarray(end + 4, end + 4 + length);
    this.data = this.data.subarray(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function titleOf(body: Uint8Array): string {
  const value = decodeCbor(new Uint8Array(body));
  if (!(value instanceof Map) || typeof value.get(-1) !== 'string' || typeof value.get(-2) !== 'string') throw new Error('not concise problem details');
  return value.get(-1) as string;
}

async function expectProblem(response: Response, status: number, title: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe(PROBLEM_MEDIA_TYPE);
  expect(titleOf(new Uint8Array(await response.arrayBuffer()))).toBe(title);
}

function expectRawProblem(response: RawResponse | undefined, status: number, title: string): void {
  expect(response, 'an answer before the connection closed').toBeDefined();
  expect(response!.status).toBe(status);
  expect(response!.headers.get('content-type')).toBe(PROBLEM_MEDIA_TYPE);
  expect(titleOf(response!.body)).toBe(title);
}

/** POST /entries without following a 303; `type` null sends no Content-Type at all. */
const postTo = (r: Running, body: Uint8Array, type: string | null = 'application/cose') =>
  fetch(`http://127.0.0.1:${r.port}/entries`, { method: 'POST', headers: type === null ? {} : { 'content-type': type }, body, redirect: 'manual' });

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------

describe('hostile clients', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  });

  it('refuses malformed, truncated, deeply nested and non-statement CBOR with 400 Malformed request', async () => {
    const good = statement('malformed', 0);
    const bodies: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['a break code', Uint8Array.of(0xff)],
      ['reserved additional info', Uint8Array.of(0x1c)],
      ['truncated', good.subarray(0, good.length - 10)],
      ['trailing bytes', Uint8Array.from([...good, 0x00])],
      ['nested 60 000 deep', Uint8Array.from({ length: 60_000 }, (_, i) => (i === 59_999 ? 0x00 : 0x81))],
      ['nested maps', Uint8Array.from({ length: 30_000 }, (_, i) => (i % 2 === 0 ? 0xa1 : 0x00))],
      ['indefinite length', Uint8Array.of(0x9f, 0x01, 0xff)],
      ['a CBOR integer', encodeCbor(42)],
      ['an untagged array', encodeCbor([new Uint8Array(0), new Map(), null, new Uint8Array(64)])],
      ['a huge declared string', Uint8Array.of(0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)],
    ];
    for (const [what, body] of bodies) {
      const response = await postTo(r, body);
      expect(response.status, what).toBe(400);
      await expectProblem(response, 400, 'Malformed request');
    }
    // A well-formed one still registers, and the service still answers.
    expect((await postTo(r, good)).status).toBe(201);
  });

  it('answers 415 to every media type but COSE, before reading the body', async () => {
    for (const type of ['application/json', 'text/plain', 'application/cbor', 'application/cose-key', 'multipart/form-data; boundary=x', '', null]) {
      const response = await postTo(r, statement('type', 0), type);
      expect(response.status, String(type)).toBe(415);
      await expectProblem(response, 415, 'Unsupported Media Type');
    }
    // The RFC 9052 cose-type parameter is accepted, and so is the SCITT statement type.
    expect((await postTo(r, statement('type', 1), 'application/cose; cose-type="cose-sign1"')).status).toBe(201);
    expect((await postTo(r, statement('type', 2), 'Application/SCITT-Statement+COSE')).status).toBe(201);
  });

  it('answers 413 to a huge Content-Length without reading a byte of the body', async () => {
    const client = new RawClient(r.port);
    await client.connected;
    await client.write('POST /entries HTTP/1.1\r\nhost: x\r\ncontent-type: application/cose\r\ncontent-length: 10000000000\r\n\r\n');
    // Nothing of the body is sent: the answer can only come from the header.
    const response = await client.response();
    expectRawProblem(response, 413, 'Payload Too Large');
    expect(response!.headers.get('connection')).toBe('close');
    expect(await client.whenClosed()).toBe(true);
  });

  it('answers 400 problem details to a request node cannot parse (a bad Content-Length, a bad request line)', async () => {
    for (const head of [
      'POST /entries HTTP/1.1\r\nhost: x\r\ncontent-type: application/cose\r\ncontent-length: 12abc\r\n\r\n',
      'POST /entries HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n',
      'NOT A REQUEST\r\n\r\n',
    ]) {
      const client = new RawClient(r.port);
      await client.connected;
      await client.write(head);
      expectRawProblem(await client.response(), 400, 'Malformed request');
      expect(await client.whenClosed()).toBe(true);
    }
  });

  it('stops reading a chunked body at the limit: 413, then the connection is closed under the sender', async () => {
    const client = new RawClient(r.port);
    await client.connected;
    await client.write('POST /entries HTTP/1.1\r\nhost: x\r\ncontent-type: application/cose\r\ntransfer-encoding: chunked\r\n\r\n');
    const serverSide = r.serverSockets.get(client.socket.localPort!)!;
    expect(serverSide).toBeDefined();
    const chunk = Buffer.concat([Buffer.from(`${(16 * 1024).toString(16)}\r\n`), Buffer.alloc(16 * 1024, 0x41), Buffer.from('\r\n')]);
    const attempt = 64 * 1024 * 1024;
    let sent = 0;
    let answeredAfter: number | undefined;
    const answer = client.response(10_000).then((response) => {
      answeredAfter = sent;
      return response;
    });
    // Keep writing, as a hostile client would, until the connection is gone or 64 MiB are out.
    while (sent < attempt) {
      try {
        await client.write(chunk);
      } catch {
        break;
      }
      sent += chunk.length;
      if (client.closed) break;
    }
    const response = await answer;
    expectRawProblem(response, 413, 'Payload Too Large');
    expect(await client.whenClosed()).toBe(true);
    // The sender was cut off long before its 64 MiB, and the server read about the limit plus
    // what was in flight: not what was sent.
    expect(answeredAfter!).toBeLessThan(4 * 1024 * 1024);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
    expect(serverSide.bytesRead).toBeLessThan(8 * 1024 * 1024);
    // And the service is fine.
    expect((await fetch(`http://127.0.0.1:${r.port}/healthz`)).status).toBe(200);
  });

  it('gives up on a body that trickles in (408), and serves other clients meanwhile', async () => {
    const client = new RawClient(r.port);
    await client.connected;
    await client.write('POST /entries HTTP/1.1\r\nhost: x\r\ncontent-type: application/cose\r\ncontent-length: 300\r\n\r\n');
    const started = Date.now();
    let dripping = true;
    const drip = (async () => {
      while (dripping && !client.closed) {
        await client.write(Uint8Array.of(0x84)).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    // Others are served while it drips.
    const others: number[] = [];
    while (Date.now() - started < BODY_TIMEOUT_MS) {
      const t = Date.now();
      expect((await fetch(`http://127.0.0.1:${r.port}/healthz`)).status).toBe(200);
      others.push(Date.now() - t);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const response = await client.response(5000);
    dripping = false;
    await drip;
    expectRawProblem(response, 408, 'Request Timeout');
    expect(Date.now() - started).toBeLessThan(BODY_TIMEOUT_MS + 1500);
    expect(await client.whenClosed()).toBe(true);
    expect(Math.max(...others)).toBeLessThan(500);
  });

  it('closes a connection whose headers trickle in past the headers timeout, with 408 problem details', async () => {
    const client = new RawClient(r.port);
    await client.connected;
    await client.write('POST /entries HTTP/1.1\r\nhost: x\r\n');
    const started = Date.now();
    while (!client.closed && Date.now() - started < 6000) {
      await client.write('x-slow: 1\r\n').catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const response = await client.response(100).catch(() => undefined);
    expect(client.closed).toBe(true);
    // headersTimeout is 2 s here; node checks every second.
    expect(Date.now() - started).toBeLessThan(4500);
    expectRawProblem(response, 408, 'Request Timeout');
  });

  it('refuses a header flood with 431 problem details, and ignores headers beyond the count limit', async () => {
    const big = new RawClient(r.port);
    await big.connected;
    await big.write(`GET /healthz HTTP/1.1\r\nhost: x\r\nx-flood: ${'a'.repeat(32 * 1024)}\r\n\r\n`).catch(() => {});
    expectRawProblem(await big.response(), 431, 'Request Header Fields Too Large');
    expect(await big.whenClosed()).toBe(true);

    const many = new RawClient(r.port);
    await many.connected;
    const headers = Array.from({ length: 5000 }, (_, i) => `x-h${i}: ${i}\r\n`).join('');
    await many.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n${headers}\r\n`).catch(() => {});
    expectRawProblem(await many.response(), 431, 'Request Header Fields Too Large');

    // Under the size limit, past the count limit (64): served, the excess dropped.
    const counted = new RawClient(r.port);
    await counted.connected;
    await counted.write(`GET /healthz HTTP/1.1\r\nhost: x\r\n${Array.from({ length: 300 }, (_, i) => `x-${i}: 1\r\n`).join('')}\r\n`);
    expect((await counted.response())?.status).toBe(200);
    counted.destroy();
  });

  it('answers 3 000 concurrent valid and invalid requests properly, and the log holds exactly the valid ones', async () => {
    const s = await start();
    const total = 3000;
    // Two valid kinds in every eight requests: 750 distinct statements, each sent once as valid,
    // and some of them again, concurrently, as duplicates.
    const distinct = Array.from({ length: (total / 8) * 2 }, (_, i) => statement('load', i));
    // Each kind of request, and what it must get.
    type Kind = 'valid' | 'duplicate' | 'malformed' | 'media type' | 'too large' | 'health' | 'unknown entry';
    const kinds: Kind[] = ['valid', 'malformed', 'valid', 'media type', 'duplicate', 'health', 'too large', 'unknown entry'];
    const bigBody = new Uint8Array(MAX_BODY + 1);
    const base = `http://127.0.0.1:${s.port}`;
    const results = await pool(total, 150, async (i) => {
      const kind = kinds[i % kinds.length]!;
      const valid = distinct[Math.floor(i / kinds.length) * 2 + (i % kinds.length === 0 ? 0 : 1)]!;
      let response: Response;
      switch (kind) {
        case 'valid':
        case 'duplicate':
          response = await postTo(s, kind === 'valid' ? valid : distinct[i % 17]!);
          break;
        case 'malformed':
          response = await postTo(s, valid.subarray(0, (i % 50) + 1));
          break;
        case 'media type':
          response = await postTo(s, valid, 'application/json');
          break;
        case 'too large':
          response = await postTo(s, bigBody);
          break;
        case 'health':
          response = await fetch(`${base}/healthz`);
          break;
        case 'unknown entry':
          response = await fetch(`${base}/entries/${'0'.repeat(63)}${(i % 10).toString()}`);
          break;
      }
      const body = new Uint8Array(await response.arrayBuffer());
      const problem = response.headers.get('content-type') === PROBLEM_MEDIA_TYPE ? titleOf(body) : undefined;
      return { kind, status: response.status, problem, location: response.headers.get('location') };
    });

    const expected: Record<Kind, [number[], string | undefined]> = {
      valid: [[201, 303], undefined],
      duplicate: [[201, 303], undefined],
      malformed: [[400], 'Malformed request'],
      'media type': [[415], 'Unsupported Media Type'],
      'too large': [[413], 'Payload Too Large'],
      health: [[200], undefined],
      'unknown entry': [[404], 'Not Found'],
    };
    for (const result of results) {
      const [statuses, title] = expected[result.kind];
      expect(statuses, `${result.kind}: ${result.status} ${result.problem ?? ''}`).toContain(result.status);
      expect(result.problem, result.kind).toBe(title);
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    // One log line per request, with the status the client got.
    const requestLines = s.lines.map((l) => JSON.parse(l) as { msg: string; status?: number }).filter((l) => l.msg === 'request');
    const byStatus = (xs: { status?: number }[]) => xs.reduce((m, x) => m.set(x.status!, (m.get(x.status!) ?? 0) + 1), new Map<number, number>());
    expect(byStatus(requestLines)).toEqual(byStatus([...results, { status: 200 }]));

    // The metrics agree.
    const metrics = await s.service.metrics.registry.metrics();
    const registered = results.filter((x) => x.status === 201).length;
    expect(metrics).toContain(`atlog_registrations_total{outcome="registered"} ${registered}`);
    expect(metrics).toContain(`atlog_registrations_total{outcome="too_large"} ${results.filter((x) => x.kind === 'too large').length}`);

    // Afterwards the log audits clean and holds exactly the distinct valid statements.
    await s.server.close();
    const reopened = await TransparencyService.open({
      dataDir: s.dataDir,
      keys: loadServiceKeys({ dataDir: s.dataDir }),
      issuer: 'http://localhost',
      origin: 'localhost/log',
      policy,
      logger: silentLogger(),
    });
    try {
      await reopened.log.audit();
      const submitted = new Set(results.flatMap((x) => (x.location === null ? [] : [x.location.split('/').pop()!])));
      const wanted = new Set(distinct.map((d) => toHex(statementLeafHash(d))));
      expect(submitted).toEqual(wanted);
      expect(reopened.log.size).toBe(1 + wanted.size);
      const stored = await reopened.log.entries(1, reopened.log.size - 1);
      const ids = new Set(stored.map((e) => toHex(statementLeafHash(e))));
      expect(ids).toEqual(wanted);
    } finally {
      await reopened.close();
    }
  });

  it('answers 429 with Retry-After when the sequencer queue is full, and nothing accepted is lost', async () => {
    const s = await start({ sequencer: { maxQueueEntries: 2, maxBatchSize: 2 } });
    const statements = Array.from({ length: 300 }, (_, i) => statement('overload', i));
    const results = await pool(statements.length, 150, async (i) => {
      const response = await postTo(s, statements[i]!);
      const body = new Uint8Array(await response.arrayBuffer());
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        title: response.status >= 400 ? titleOf(body) : undefined,
        location: response.headers.get('location'),
      };
    });
    const overloaded = results.filter((x) => x.status === 429);
    expect(overloaded.length).toBeGreaterThan(0);
    for (const x of overloaded) {
      expect(x.retryAfter).toBe('1');
      expect(x.title).toBe('Too Many Requests');
    }
    expect(results.every((x) => [201, 303, 429].includes(x.status))).toBe(true);
    const metrics = await s.service.metrics.registry.metrics();
    expect(metrics).toContain(`atlog_registrations_total{outcome="overloaded"} ${overloaded.length}`);
    // What was refused was not written; what was accepted was.
    await s.server.close();
    const reopened = await TransparencyService.open({
      dataDir: s.dataDir,
      keys: loadServiceKeys({ dataDir: s.dataDir }),
      issuer: 'http://localhost',
      origin: 'localhost/log',
      policy,
      logger: silentLogger(),
    });
    try {
      await reopened.log.audit();
      expect(reopened.log.size).toBe(1 + results.length - overloaded.length);
    } finally {
      await reopened.close();
    }
  });
});
