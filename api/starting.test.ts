// While the log opens, the server already listens and says it is starting: 503 with Retry-After,
// alive but not ready. Then it serves, named after the port it actually bound.
import { describe, expect, it } from 'vitest';
import { CoseAlgorithm, decodeCbor, generateKeyPair, signStatement } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { tempDir } from '../test/support/log.js';
import { loadServiceKeys, silentLogger, startServer, TransparencyService } from './index.js';

describe('a starting service', () => {
  it('answers 503 until its log is open, then serves', async () => {
    const dataDir = tempDir();
    const issuer = generateKeyPair(CoseAlgorithm.ES256);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let boundPort = -1;
    const server = await startServer(
      async ({ port }) => {
        boundPort = port;
        await gate;
        return TransparencyService.open({
          dataDir,
          keys: loadServiceKeys({ dataDir }),
          issuer: `http://127.0.0.1:${port}`,
          origin: `127.0.0.1:${port}`,
          policy: createPolicy({ issuerKeys: [issuer.publicKey] }),
          logger: silentLogger(),
        });
      },
      { port: 0, hostname: '127.0.0.1', logger: silentLogger() },
    );
    try {
      expect(server.url).toBe(`http://127.0.0.1:${boundPort}`);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      for (const [path, init] of [
        ['/readyz', {}],
        ['/checkpoint', {}],
        ['/entries', { method: 'POST', headers: { 'content-type': 'application/cose' }, body: new Uint8Array(4) }],
      ] as const) {
        const response = await fetch(`${server.url}${path}`, init);
        expect(response.status, path).toBe(503);
        expect(response.headers.get('retry-after')).toBe('2');
        const problem = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;
        expect(problem.get(-1)).toBe('Service Unavailable');
      }
      release();
      const service = await server.opened;
      expect(service.origin).toBe(`127.0.0.1:${boundPort}`);
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const statement = signStatement({ key: issuer.privateKey, iss: 'https://agents.example/s', sub: 'start', payload: new Uint8Array(3) });
      const registered = await fetch(`${server.url}/entries`, { method: 'POST', headers: { 'content-type': 'application/cose' }, body: statement });
      expect(registered.status).toBe(201);
    } finally {
      release();
      await server.close();
    }
  });

  it('stops listening when the log cannot be opened, and says why to whoever awaits it', async () => {
    const server = await startServer(async () => Promise.reject(new Error('the disk is gone')), {
      port: 0,
      hostname: '127.0.0.1',
      logger: silentLogger(),
    });
    await expect(server.opened).rejects.toThrow('the disk is gone');
    await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
