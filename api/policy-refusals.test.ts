// The registration policy's refusals over HTTP: each says which rule refused the statement, under
// the SCRAPI title that fits ("Bad Signature Algorithm" for the algorithm, "Rejected" otherwise),
// and nothing it refuses reaches the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyObject } from 'node:crypto';
import { CoseAlgorithm, decodeCbor, generateKeyPair, signStatement } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { tempDir } from '../test/support/log.js';
import { loadServiceKeys, type RunningServer, silentLogger, startServer, TransparencyService } from './index.js';

const trusted = generateKeyPair(CoseAlgorithm.ES256);
const stranger = generateKeyPair(CoseAlgorithm.ES256);
const edKey = generateKeyPair(CoseAlgorithm.EdDSA);
const enc = (s: string) => new TextEncoder().encode(s);

let service: TransparencyService;
let server: RunningServer;

beforeAll(async () => {
  const dataDir = tempDir();
  service = await TransparencyService.open({
    dataDir,
    keys: loadServiceKeys({ dataDir }),
    issuer: 'http://127.0.0.1',
    origin: 'policy.test/log',
    // Only ES256, only JSON, only the trusted key (the Ed25519 key is trusted too, so that its
    // refusal can only be the algorithm's).
    policy: createPolicy({ algorithms: [CoseAlgorithm.ES256], contentTypes: ['application/json'], issuerKeys: [trusted.publicKey, edKey.publicKey] }),
    logger: silentLogger(),
  });
  server = await startServer(service, { port: 0, hostname: '127.0.0.1', logger: silentLogger() });
});

afterAll(async () => {
  await server.close();
});

async function register(statement: Uint8Array): Promise<{ status: number; title?: string; detail?: string }> {
  const response = await fetch(`${server.url}/entries`, { method: 'POST', headers: { 'content-type': 'application/cose' }, body: statement });
  if (response.status === 201) return { status: 201 };
  expect(response.headers.get('content-type')).toBe('application/concise-problem-details+cbor');
  const problem = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;
  return { status: response.status, title: problem.get(-1)!, detail: problem.get(-2)! };
}

const statement = (key: { privateKey: KeyObject }, contentType = 'application/json') =>
  signStatement({ key: key.privateKey, iss: 'https://agents.example/a', sub: 'policy', contentType, payload: enc('{"ok":true}') });

describe('policy refusals over HTTP', () => {
  it('admits what the policy allows', async () => {
    expect(await register(statement(trusted))).toEqual({ status: 201 });
  });

  it('names the rule that refused, under the right title, and logs nothing refused', async () => {
    const before = service.log.size;
    expect(await register(statement(stranger))).toMatchObject({ status: 400, title: 'Rejected', detail: expect.stringMatching(/^rule issuers: /) });
    expect(await register(statement(trusted, 'text/plain'))).toMatchObject({
      status: 400,
      title: 'Rejected',
      detail: expect.stringMatching(/^rule content-types: /),
    });
    expect(await register(statement(edKey))).toMatchObject({ status: 400, title: 'Bad Signature Algorithm' });
    const forged = statement(trusted);
    forged[forged.length - 1]! ^= 1;
    expect(await register(forged)).toMatchObject({ status: 400, title: 'Rejected', detail: expect.stringMatching(/^rule signature: /) });
    expect(service.log.size).toBe(before);
  });
});
