// Graceful shutdown, for real: a server on loopback over a LevelDB data dir, registrations in
// flight when close() is called. Every request must end as a receipt (201), a 303 whose entry is
// in the log when it is reopened, a 503, or a connection error; and everything acknowledged must
// be in the reopened log, which audits clean.
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  CoseAlgorithm,
  decodeCbor,
  decodeCoseKeySet,
  generateKeyPair,
  parseStatement,
  registeredStatement,
  signStatement,
  verifyInclusionReceipt,
} from '../receipts/index.js';
import { tempDir } from '../test/support/log.js';
import { createPolicy } from '../statements/index.js';
import { loadServiceKeys, parseEntryId, silentLogger, startServer, TransparencyService } from './index.js';

const issuer = generateKeyPair(CoseAlgorithm.EdDSA);
// A real policy: statements from this issuer's key are admitted, by kid.
const policy = createPolicy({ issuerKeys: [issuer.publicKey] });
const statement = (n: number) =>
  signStatement({ key: issuer.privateKey, iss: 'https://agent.example/s', sub: `shutdown-${n}`, payload: new TextEncoder().encode(`event ${n}`) });

function open(dataDir: string, receiptWaitMs = 1000): Promise<TransparencyService> {
  return TransparencyService.open({
    dataDir,
    keys: loadServiceKeys({ dataDir }),
    issuer: 'http://localhost',
    origin: 'localhost/log',
    policy,
    receiptWaitMs,
    logger: silentLogger(),
  });
}

type Outcome = { kind: 'status'; status: number; entryId?: string; receipt?: Uint8Array; statement: Uint8Array } | { kind: 'connection error' };

/** Reads `count` HTTP responses off a raw socket: status and body (Content-Length framed). */
function readResponses(socket: Socket, count: number): Promise<{ status: number; body: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const responses: { status: number; body: Buffer }[] = [];
    let data = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = data.subarray(0, end).toString('latin1');
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (data.length < end + 4 + length) return;
        responses.push({ status: Number(head.split(' ')[1]), body: data.subarray(end + 4, end + 4 + length) });
        data = data.subarray(end + 4 + length);
        if (responses.length === count) {
          socket.off('data', onData);
          return resolve(responses);
        }
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`the connection closed after ${responses.length} responses`)));
  });
}

describe('graceful shutdown', () => {
  it('answers every registration in flight properly and loses nothing it acknowledged', async () => {
    const dataDir = tempDir('atlog-shutdown-');
    // A short receipt wait, so some registrations are answered 303 while their batch is written.
    const service = await open(dataDir, 25);
    const server = await startServer(service, { port: 0, hostname: '127.0.0.1' });
    const statements = Array.from({ length: 400 }, (_, i) => statement(i));

    let answered = 0;
    let closing: Promise<void> | undefined;
    const requests = statements.map(async (body, i): Promise<Outcome> => {
      // Spread the requests out a little, so that some start after close() has begun.
      await new Promise((r) => setTimeout(r, i % 4));
      try {
        // Not following the 303: its Location is what the client was acknowledged with.
        const response = await fetch(`${server.url}/entries`, {
          method: 'POST',
          headers: { 'content-type': 'application/cose' },
          body,
          redirect: 'manual',
        });
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (++answered === 60) closing = server.close();
        const id = /\/entries\/([0-9a-f]{64})$/.exec(response.headers.get('location') ?? '')?.[1];
        return {
          kind: 'status',
          status: response.status,
          statement: body,
          ...(id === undefined ? {} : { entryId: id }),
          ...(response.status === 201 ? { receipt: bytes } : {}),
        };
      } catch {
        return { kind: 'connection error' };
      }
    });
    const outcomes = await Promise.all(requests);
    await (closing ?? server.close());

    const counts = new Map<string, number>();
    for (const o of outcomes) {
      const key = o.kind === 'status' ? String(o.status) : o.kind;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // Some of each kind happened, and nothing else did.
    expect([...counts.keys()].every((k) => ['201', '303', '503', 'connection error'].includes(k)), JSON.stringify([...counts])).toBe(true);
    expect((counts.get('201') ?? 0) + (counts.get('303') ?? 0)).toBeGreaterThan(0);
    expect((counts.get('503') ?? 0) + (counts.get('connection error') ?? 0)).toBeGreaterThan(0);

    const acknowledged = outcomes.flatMap((o) => (o.kind === 'status' && (o.status === 201 || o.status === 303) ? [o.entryId!] : []));
    expect(acknowledged.length).toBe((counts.get('201') ?? 0) + (counts.get('303') ?? 0));

    const reopened = await open(dataDir);
    try {
      for (const id of acknowledged) expect(await reopened.log.indexOf(parseEntryId(id)), id).toBeDefined();
      // Every receipt handed out while stopping proves its entry against the durable log.
      const keys = decodeCoseKeySet(reopened.keySet());
      for (const o of outcomes) {
        if (o.kind !== 'status' || o.receipt === undefined) continue;
        const verified = verifyInclusionReceipt(o.receipt, registeredStatement(o.statement), keys);
        expect(Buffer.from(verified.root).equals(Buffer.from(await reopened.log.rootAt(verified.treeSize)))).toBe(true);
      }
      const audit = await reopened.log.audit();
      expect(audit.size).toBe(reopened.log.size);
      expect(reopened.log.size).toBeGreaterThanOrEqual(1 + new Set(acknowledged).size);
      expect(reopened.log.size).toBeLessThanOrEqual(1 + statements.length);
    } finally {
      await reopened.close();
    }
  });

  it('answers 503 to a body that finishes arriving while it stops, and /healthz 200 and /readyz 503 after it', async () => {
    const dataDir = tempDir('atlog-shutdown-');
    const service = await open(dataDir);
    const server = await startServer(service, { port: 0, hostname: '127.0.0.1', shutdownGraceMs: 2000 });
    const { port } = new URL(server.url);
    const body = Buffer.from(statement(1));

    // A registration whose body is half sent when shutdown begins.
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(`POST /entries HTTP/1.1\r\nhost: x\r\ncontent-type: application/cose\r\ncontent-length: ${body.length}\r\n\r\n`);
    socket.write(body.subarray(0, 50));
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close();
    await new Promise((r) => setTimeout(r, 20));

    // The rest of the body, then two more requests pipelined on the same connection.
    const responses = readResponses(socket, 3);
    socket.write(Buffer.concat([body.subarray(50), Buffer.from('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nGET /readyz HTTP/1.1\r\nhost: x\r\n\r\n')]));
    const [registration, health, readiness] = await responses;
    expect(registration!.status).toBe(503);
    expect((decodeCbor(new Uint8Array(registration!.body)) as Map<number, string>).get(-1)).toBe('Service Unavailable');
    expect(health!.status).toBe(200);
    expect(JSON.parse(health!.body.toString())).toEqual({ status: 'ok' });
    expect(readiness!.status).toBe(503);
    socket.destroy();
    await closing;
  });
});
