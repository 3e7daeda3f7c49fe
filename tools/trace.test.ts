// atlog trace with the real binary against a real service on loopback: the workflow as a tree,
// every receipt verified offline and said so; a service that lies about a task is caught; and the
// errors are one line with the right exit status.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoseAlgorithm, generateKeyPair } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { expectOneLineError, outputLines, requireBuiltCli, runAtlog } from '../test/support/cli.js';
import { type Signed, signedTask } from '../test/support/correlation.js';
import { tempDir } from '../test/support/log.js';
import { startTestServer, type TestServer } from '../test/support/service.js';

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const work = tempDir('atlog-trace-');
const T = Date.UTC(2026, 2, 1) / 1000;
let server: TestServer;
const tasks = new Map<string, { signed: Signed; index: number }>();

beforeAll(async () => {
  requireBuiltCli();
  server = await startTestServer({ policy: createPolicy({ issuerKeys: [issuer.publicKey] }) });
  const specs: Parameters<typeof signedTask>[1][] = [
    { wid: 'wf-trace', tid: 'p1', domain: 'shop.example', agent: 'planner', action: 'plan.order', iat: T },
    { wid: 'wf-trace', tid: 's1', domain: 'inference.example', agent: 'summarizer', action: 'llm.summarize', par: ['p1'], links: [{ rel: 'caused-by', domain: 'shop.example', tid: 'p1' }], iat: T + 60 },
    { wid: 'wf-trace', tid: 's2', domain: 'inference.example', agent: 'retriever', action: 'tool:vector.search', par: ['s1'], status: 'error', iat: T + 120 },
    { wid: 'wf-trace', tid: 'b1', domain: 'shop.example', agent: 'billing', action: 'billing.invoice', par: ['s2', 'p1'], links: [{ rel: 'caused-by', domain: 'inference.example', tid: 's2' }], status: 'cancelled', iat: T + 180 },
    { wid: 'wf-trace', tid: 'g1', domain: 'shop.example', agent: 'support', action: 'customer.notify', par: ['p1', 'ghost'], links: [{ rel: 'caused-by', domain: 'far.example', tid: 'ghost' }], iat: T + 240 },
  ];
  for (const spec of specs) {
    const signed = signedTask(issuer.privateKey, spec);
    const registered = await server.service.register(signed.bytes);
    if (registered.status !== 'registered') throw new Error('not registered');
    tasks.set(spec.tid, { signed, index: registered.index });
  }
  await server.service.index.caughtUp();
}, 60_000);

afterAll(async () => {
  await server.close();
});

describe('atlog trace', () => {
  it('prints the workflow as a tree with domains, agents, outcomes, entry ids and verified receipts', async () => {
    const run = await runAtlog(['trace', 'wf-trace', '--url', server.url], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const size = server.service.log.size;
    const task = (tid: string, rest: string) => {
      const t = tasks.get(tid)!;
      return `${tid}  ${rest}  entry ${t.signed.entryId}  receipt verified (tree size ${size}, leaf ${t.index})`;
    };
    expect(outputLines(run.stdout)).toEqual([
      `workflow wf-trace: 5 tasks in 2 domains (inference.example, shop.example), 5 edges (2 cross-domain), tree size ${size}`,
      task('p1', 'shop.example  spiffe://shop.example/agent/planner  plan.order  ok'),
      `  └┄ [caused-by, cross-domain] ${task('s1', 'inference.example  spiffe://inference.example/agent/summarizer  llm.summarize  ok')}`,
      `    └─ ${task('s2', 'inference.example  spiffe://inference.example/agent/retriever  tool:vector.search  error')}`,
      `      └┄ [caused-by, cross-domain] ${task('b1', 'shop.example  spiffe://shop.example/agent/billing  billing.invoice  cancelled')}`,
      '  └─ b1 (shown above)',
      `  └─ ${task('g1', 'shop.example  spiffe://shop.example/agent/support  customer.notify  ok')}`,
      `receipts: 5 of 5 verified offline against the key set of ${server.url}/.well-known/scitt-keys`,
      'dangling (1):',
      '  g1 names parent ghost of far.example: not in the log (foreign: allowed)',
    ]);
  });

  it('gives the same as one line of JSON with --json', async () => {
    const run = await runAtlog(['trace', 'wf-trace', '--url', server.url, '--json'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { verified: number; tasks: { tid: string; receipt: { verified: boolean; leafIndex: number } }[]; dangling: unknown[] };
    expect(out.verified).toBe(5);
    expect(out.tasks.map((t) => [t.tid, t.receipt.verified, t.receipt.leafIndex])).toEqual(['p1', 's1', 's2', 'b1', 'g1'].map((tid) => [tid, true, tasks.get(tid)!.index]));
    expect(out.dangling).toHaveLength(1);
  });

  it('says which receipts do not prove what the service claims, and exits 1', async () => {
    // A service in the middle that moves one task to another log index and renames another.
    const liar: Server = createServer(async (request, response) => {
      const upstream = await fetch(`${server.url}${request.url}`, { headers: { accept: request.headers.accept ?? '*/*' } });
      let body = Buffer.from(await upstream.arrayBuffer());
      if (request.url === '/workflows/wf-trace/graph') {
        const graph = JSON.parse(body.toString('utf8')) as { tasks: { tid: string; index: number }[] };
        graph.tasks.find((t) => t.tid === 's2')!.index += 1;
        graph.tasks.find((t) => t.tid === 'g1')!.tid = 'g2';
        body = Buffer.from(JSON.stringify(graph));
      }
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
      response.end(body);
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`;
      const run = await runAtlog(['trace', 'wf-trace', '--url', url], { cwd: work });
      expect(run.code, run.stderr).toBe(1);
      const lines = outputLines(run.stdout);
      expect(lines.find((l) => l.includes(' s2  '))).toMatch(/receipt NOT VERIFIED: the receipt proves leaf index \d+, not \d+$/);
      expect(lines.find((l) => l.includes(' g2  '))).toMatch(/receipt NOT VERIFIED: the statement is not this task \(its jti or wid differs\)$/);
      expect(lines).toContain(`receipts: 3 of 5 verified offline against the key set of ${url}/.well-known/scitt-keys; NOT VERIFIED: s2, g2`);
    } finally {
      await new Promise((resolve) => liar.close(resolve));
    }
  });

  it('fails in one line: an unknown workflow (1), no service (1), bad usage (2)', async () => {
    const unknown = await runAtlog(['trace', 'wf-none', '--url', server.url], { cwd: work });
    expectOneLineError(unknown, 1, new RegExp(`^atlog: the graph of workflow wf-none at ${server.url}/workflows/wf-none/graph: \\(404 Not Found\\): no entry of workflow wf-none under tree size \\d+$`), { stdoutEmpty: true });
    const closed = await runAtlog(['trace', 'wf-trace', '--url', 'http://127.0.0.1:9', '--timeout', '5'], { cwd: work });
    expectOneLineError(closed, 1, /^atlog: http:\/\/127\.0\.0\.1:9\/workflows\/wf-trace\/graph: request failed \(ECONNREFUSED\)$/, { stdoutEmpty: true });
    expectOneLineError(await runAtlog(['trace', 'not a wid', '--url', server.url], { cwd: work }), 2, /^atlog: the workflow id is 1 to 128 of/, { stdoutEmpty: true });
    expectOneLineError(await runAtlog(['trace', 'wf-trace'], { cwd: work }), 2, /required option '--url <url>' not specified/, { stdoutEmpty: true });
    expectOneLineError(await runAtlog(['trace', 'wf-trace', '--url', 'http://example.com'], { cwd: work }), 2, /allowed only to a loopback address/, { stdoutEmpty: true });
    expectOneLineError(await runAtlog(['trace', 'wf-trace', '--url', server.url, '--concurrency', '0'], { cwd: work }), 2, /--concurrency must be a whole number from 1 to 64/, { stdoutEmpty: true });
  });
});
