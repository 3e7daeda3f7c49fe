// End to end: the real service (TransparencyService on LevelDB, startServer on 127.0.0.1 port 0)
// and the real `atlog` binary (bin/atlog.js over dist/: run `npm run build` first). keygen → sign →
// register → fetch the receipt → verify offline, for ES256 and EdDSA issuers named by kid and an
// x5chain issuer; the async 303/302 path; idempotent re-registration; every error status with its
// concise problem details; monitor following the log, then a forged split view; and interop with
// @transmute/cose both ways (its statement registers, our receipt verifies with it).
import { createPublicKey, generateKeyPairSync, KeyObject, webcrypto } from 'node:crypto';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as transmute from '@transmute/cose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, expectOneLineError, outputLines, requireBuiltCli, runAtlog } from '../support/cli.js';
import {
  loadServiceKeys,
  type RunningServer,
  type ServiceOptions,
  silentLogger,
  startServer,
  TransparencyService,
} from '../../api/index.js';
import { noteVerifierKey, type SequencerOptions } from '../../log/index.js';
import { hashLeaf } from '../../log/tree/index.js';
import {
  attachReceipts,
  CoseAlgorithm,
  coseKeyThumbprint,
  decodeCbor,
  decodeCoseKeySet,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  extractReceipts,
  generateKeyPair,
  HeaderLabel,
  keyObjectFromCoseKey,
  parseReceipt,
  registeredStatement,
  signSign1,
  signStatement,
} from '../../receipts/index.js';
import { bytesEqual, toHex } from '../../util/index.js';
import { policyFromOptions } from '../../statements/index.js';
import { tempDir } from '../support/log.js';
import { issueCa, issueLeaf, TEST_NOW, type TestKey, toPem } from '../support/test-pki.js';

const ORIGIN = 'localhost/log';
const SPLIT_VIEW_EXIT = 3;

// ---------------------------------------------------------------------------------------------
// The service under test

/**
 * Who the services trust as issuers: the public keys (files in the work directory) and the trust
 * anchor of every statement these tests register. The placeholder policy below ignores them; a
 * real policy is built from them.
 */
const ISSUERS = {
  issuerKeys: ['es256.pub.pem', 'eddsa.jwk', 'load.pub.pem', 'transmute-agent.pub.pem'],
  trustAnchors: ['ca.pem'],
} as const;

/** The registration policy of these tests: the issuer keys and the trust anchor in `work`. */
function testPolicy(issuers: typeof ISSUERS): ServiceOptions['policy'] {
  return policyFromOptions({ issuerKeys: [...issuers.issuerKeys], trustAnchors: [...issuers.trustAnchors], cwd: work });
}

interface TestService {
  readonly dataDir: string;
  readonly url: string;
  readonly service: TransparencyService;
  readonly server: RunningServer;
  close(): Promise<void>;
}

const running = new Set<TestService>();

/** The service on `dataDir` (its development key, unless `keys` are given), on 127.0.0.1, port 0. */
async function startService(
  dataDir: string,
  options: { receiptWaitMs?: number; sequencer?: SequencerOptions; receiptKeyPem?: string; checkpointKeyPem?: string } = {},
): Promise<TestService> {
  const keys = loadServiceKeys({
    dataDir,
    ...(options.receiptKeyPem === undefined ? {} : { receiptKeyPem: options.receiptKeyPem }),
    ...(options.checkpointKeyPem === undefined ? {} : { checkpointKeyPem: options.checkpointKeyPem }),
  });
  const service = await TransparencyService.open({
    dataDir,
    keys,
    issuer: 'http://127.0.0.1',
    origin: ORIGIN,
    policy: testPolicy(ISSUERS),
    receiptWaitMs: options.receiptWaitMs ?? 2000,
    logger: silentLogger(),
    ...(options.sequencer === undefined ? {} : { sequencer: options.sequencer }),
  });
  const server = await startServer(service, { port: 0, hostname: '127.0.0.1' });
  const handle: TestService = {
    dataDir,
    url: server.url,
    service,
    server,
    close: async () => {
      running.delete(handle);
      await server.close();
    },
  };
  running.add(handle);
  return handle;
}

// tempDir()s are removed after everything else (after hooks run in reverse order).
const work = tempDir('atlog-e2e-');
const mainData = tempDir('atlog-e2e-data-');
const asyncData = tempDir('atlog-e2e-async-');
const queueData = tempDir('atlog-e2e-queue-');
const forkData = tempDir('atlog-e2e-fork-');
const interopData = tempDir('atlog-e2e-interop-');

afterAll(async () => {
  await Promise.all([...running].map((s) => s.close()));
});

// ---------------------------------------------------------------------------------------------
// The binary

const atlog = (args: readonly string[]) => runAtlog(args, { cwd: work });

/** A command that must succeed. */
async function ok(args: readonly string[]): Promise<CliRun> {
  const run = await atlog(args);
  if (run.code !== 0) throw new Error(`atlog ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run;
}

const lines = outputLines;
const path = (name: string) => join(work, name);
const file = (name: string) => new Uint8Array(readFileSync(path(name)));


interface Registered {
  readonly entryId: string;
  readonly treeSize: number;
  readonly leafIndex: number;
  readonly location: string;
}

/** `atlog register --json`, which must succeed. */
async function register(statement: string, url: string, out: string, extra: readonly string[] = []): Promise<Registered> {
  const run = await ok(['register', statement, '--url', url, '-o', out, '--json', ...extra]);
  return JSON.parse(run.stdout) as Registered;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP, for statuses and bodies

/** `{-1: title, -2: detail}` of a concise problem details response, checked to be one. */
async function problemOf(response: Response): Promise<{ title: string; detail: string }> {
  expect(response.headers.get('content-type')).toBe('application/concise-problem-details+cbor');
  const body = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] });
  expect(body).toBeInstanceOf(Map);
  const map = body as Map<number, unknown>;
  expect(typeof map.get(-1)).toBe('string');
  expect(typeof map.get(-2)).toBe('string');
  return { title: map.get(-1) as string, detail: map.get(-2) as string };
}

function post(url: string, body: Uint8Array, type = 'application/cose'): Promise<Response> {
  return fetch(`${url}/entries`, { method: 'POST', headers: { 'content-type': type }, body, redirect: 'manual' });
}

const utf8 = (text: string) => new TextEncoder().encode(text);

/** `count` fresh statements, posted at once; resolves when every one is in the log. */
async function grow(service: TestService, count: number, tag: string): Promise<void> {
  const target = service.service.log.size + count;
  const statuses = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      post(service.url, signStatement({ key: load.privateKey, iss: 'did:example:load', sub: `${tag}-${i}`, payload: utf8(`{"i":${i}}`) })).then((r) => r.status),
    ),
  );
  expect(statuses.every((s) => s === 201 || s === 303), String(statuses)).toBe(true);
  for (let i = 0; i < 200 && service.service.log.size < target; i++) await new Promise((r) => setTimeout(r, 25));
  expect(service.service.log.size).toBeGreaterThanOrEqual(target);
}

// ---------------------------------------------------------------------------------------------

let main: TestService;
let caKey: TestKey;
/** The issuer of the statements that only fill the log. */
const load = generateKeyPair(CoseAlgorithm.EdDSA);
/** The issuer whose statement @transmute/cose signs. */
const agent = generateKeyPair(CoseAlgorithm.ES256);

beforeAll(async () => {
  requireBuiltCli();
  writeFileSync(path('load.pub.pem'), exportPublicKeyPem(load.publicKey));
  writeFileSync(path('transmute-agent.pub.pem'), exportPublicKeyPem(agent.publicKey));
  const subtle = webcrypto.subtle;
  const ec = async (curve: 'P-256' | 'P-384'): Promise<TestKey> => ({
    type: curve,
    pair: (await subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair,
    signing: { name: 'ECDSA', hash: curve === 'P-256' ? 'SHA-256' : 'SHA-384' },
  });
  caKey = await ec('P-384');
  const ca = await issueCa({ subject: 'CN=Agents Root CA', key: caKey });
  const leaf = await issueLeaf({ subject: 'CN=planner-agent', key: await ec('P-256'), issuer: ca });
  writeFileSync(path('ca.pem'), toPem(ca.der));
  writeFileSync(path('chain.pem'), toPem(leaf.der) + toPem(ca.der));
  writeFileSync(path('leaf.pem'), KeyObject.from(leaf.key.pair.privateKey).export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(path('payload.json'), '{"action":"deploy","ok":true}');
  await Promise.all([ok(['keygen', '--alg', 'ES256', '-o', 'es256.pem']), ok(['keygen', '--alg', 'EdDSA', '-o', 'eddsa.pem'])]);
  const common = ['--content-type', 'application/json', 'payload.json'];
  await Promise.all([
    ok(['sign', '--key', 'es256.pem', '--iss', 'did:example:es256-agent', '--sub', 'task-es256', ...common, '-o', 'es256.cose']),
    ok(['sign', '--key', 'eddsa.pem', '--iss', 'did:example:eddsa-agent', '--sub', 'task-eddsa', '--kid', 'eddsa-agent-key-1', ...common, '-o', 'eddsa.cose']),
    ok(['sign', '--key', 'leaf.pem', '--iss', 'https://agents.example/planner', '--sub', 'task-x5', '--x5chain', 'chain.pem', ...common, '-o', 'x5.cose']),
  ]);
  // The EdDSA issuer's key under the kid it signs with (a JWK's kid is matched as UTF-8).
  const jwk = createPublicKey(readFileSync(path('eddsa.pub.pem'), 'utf8')).export({ format: 'jwk' });
  writeFileSync(path('eddsa.jwk'), JSON.stringify({ ...jwk, kid: 'eddsa-agent-key-1' }));
  main = await startService(mainData);
  // The service's keys, fetched once, for verifying offline.
  writeFileSync(path('service-keys.cbor'), new Uint8Array(await (await fetch(`${main.url}/.well-known/scitt-keys`)).arrayBuffer()));
});

describe.concurrent('keygen → sign → register → fetch the receipt → verify offline', () => {
  const issuers = [
    { name: 'ES256, kid = thumbprint', statement: 'es256.cose', trust: ['--issuer-key', 'es256.pub.pem'], line: /issuer signature checked by kid with --issuer-key$/ },
    { name: 'EdDSA, kid = text', statement: 'eddsa.cose', trust: ['--issuer-key', 'eddsa.jwk'], line: /issuer signature checked by kid with --issuer-key$/ },
    {
      name: 'ES256, x5chain',
      statement: 'x5.cose',
      trust: ['--trust-anchor', 'ca.pem', '--at', TEST_NOW.toISOString()],
      line: /issuer signature checked by x5chain to a --trust-anchor \(leaf "CN=planner-agent"\)$/,
    },
  ];

  for (const issuer of issuers) {
    it(issuer.name, async () => {
      const out = `${issuer.statement}.transparent`;
      const run = await ok(['register', issuer.statement, '--url', main.url, '-o', out]);
      const statement = file(issuer.statement);
      const entryId = toHex(hashLeaf(registeredStatement(statement)));
      expect(lines(run.stdout)).toEqual([
        expect.stringMatching(
          new RegExp(`^registered: entry ${entryId}, tree size \\d+, leaf index \\d+, location ${main.url}/entries/${entryId}; wrote ${out} \\(\\d+ bytes\\)$`),
        ),
      ]);
      // The statement as given, its receipt in 394.
      const transparent = file(out);
      expect(toHex(registeredStatement(transparent))).toBe(toHex(registeredStatement(statement)));
      expect(extractReceipts(transparent)).toHaveLength(1);

      // The receipt fetched again (SCRAPI GET /entries/{id}): 200, application/cose.
      const response = await fetch(`${main.url}/entries/${entryId}`, { redirect: 'manual' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/cose');
      const receipt = new Uint8Array(await response.arrayBuffer());
      parseReceipt(receipt);
      writeFileSync(path(`${out}.fetched`), attachReceipts(statement, [receipt]));

      // Both verify offline with the key set saved earlier; and with the keys verify fetches itself.
      const [offline, fetched, online] = await Promise.all([
        atlog(['verify', out, '--service-keys', 'service-keys.cbor', ...issuer.trust]),
        atlog(['verify', `${out}.fetched`, '--service-keys', 'service-keys.cbor', ...issuer.trust]),
        atlog(['verify', out, '--service', main.url, ...issuer.trust]),
      ]);
      for (const run of [offline, fetched, online]) {
        expect(run.code, run.stdout + run.stderr).toBe(0);
        expect(run.stdout).toMatch(/^verified: /);
        expect(run.stdout.trimEnd()).toMatch(issuer.line);
      }
    });
  }

  it('idempotent: the same statement twice is one entry; a transparent statement registers as its statement', async () => {
    const first = await register('es256.cose', main.url, 'again-1.cose');
    const second = await register('es256.cose', main.url, 'again-2.cose');
    expect(second.entryId).toBe(first.entryId);
    expect(second.leafIndex).toBe(first.leafIndex);
    const third = await register('again-1.cose', main.url, 'again-3.cose');
    expect(third.entryId).toBe(first.entryId);
    expect(third.leafIndex).toBe(first.leafIndex);
    // Registered again, the transparent statement carries both receipts; both verify.
    expect(extractReceipts(file('again-3.cose'))).toHaveLength(2);
    const run = await ok(['verify', 'again-3.cose', '--service-keys', 'service-keys.cbor', '--issuer-key', 'es256.pub.pem']);
    expect(run.stdout).toContain('1 more verified');
  });
});

describe.concurrent('the async path: 303, then 302 while pending, then 200', () => {
  it('speaks SCRAPI, and atlog register follows it to a receipt that verifies offline', async () => {
    // The receipt is never waited for, and the sequencer holds each batch 1.5 s, longer than the
    // Retry-After of 1 s: every POST is a 303, and the first GET after it a 302.
    const slow = await startService(asyncData, { receiptWaitMs: 0, sequencer: { maxBatchDelayMs: 1500 } });
    const answers: string[] = [];
    const entry = slow.service.entry.bind(slow.service);
    slow.service.entry = async (entryId: string) => {
      const state = await entry(entryId);
      answers.push(state.status);
      return state;
    };

    const statement = file('eddsa.cose');
    const entryId = toHex(hashLeaf(registeredStatement(statement)));
    const created = await post(slow.url, statement);
    expect(created.status).toBe(303);
    // Path-absolute, never built from the Host header: resolved against the URL the client used.
    expect(created.headers.get('location')).toBe(`/entries/${entryId}`);
    expect(created.headers.get('retry-after')).toBe('1');
    const location = new URL(created.headers.get('location')!, slow.url);
    const pending = await fetch(location, { redirect: 'manual' });
    expect(pending.status).toBe(302);
    expect(pending.headers.get('location')).toBe(`/entries/${entryId}`);
    expect(pending.headers.get('retry-after')).toBe('1');
    // A Host header cannot steer it elsewhere.
    const steered = await fetch(location, { redirect: 'manual', headers: { host: 'evil.example' } });
    expect(steered.headers.get('location')).toBe(`/entries/${entryId}`);
    await new Promise((r) => setTimeout(r, 1700));
    const done = await fetch(location, { redirect: 'manual' });
    expect(done.status).toBe(200);
    expect(done.headers.get('content-type')).toBe('application/cose');
    expect(parseReceipt(new Uint8Array(await done.arrayBuffer())).inclusionProofs[0]!.leafIndex).toBe(1);

    answers.length = 0;
    const started = Date.now();
    const result = await register('es256.cose', slow.url, 'async.cose');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // two Retry-After: 1 honoured
    expect(answers).toEqual(['pending', 'registered']); // GET: 302, then 200
    expect(result.entryId).toBe(toHex(hashLeaf(registeredStatement(file('es256.cose')))));
    expect(result.location).toBe(`${slow.url}/entries/${result.entryId}`);
    const keys = await fetch(`${slow.url}/.well-known/scitt-keys`);
    writeFileSync(path('async-keys.cbor'), new Uint8Array(await keys.arrayBuffer()));
    expect((await atlog(['verify', 'async.cose', '--service-keys', 'async-keys.cbor', '--issuer-key', 'es256.pub.pem'])).code).toBe(0);
    await slow.close();
  });
});

describe.concurrent('errors: status and concise problem details', () => {
  it('400 malformed, 400 invalid locator, 404, 413, 415', async () => {
    const garbage = await post(main.url, utf8('not a COSE_Sign1'));
    expect(garbage.status).toBe(400);
    expect((await problemOf(garbage)).title).toBe('Malformed request');

    const locator = await fetch(`${main.url}/entries/not-an-id`);
    expect(locator.status).toBe(400);
    expect(await problemOf(locator)).toMatchObject({ title: 'Invalid locator', detail: 'an entry id is 64 hexadecimal digits' });

    const unknown = await fetch(`${main.url}/entries/${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
    expect(await problemOf(unknown)).toEqual({ title: 'Not Found', detail: `Receipt with entry ID ${'0'.repeat(64)} not known to this service` });
    const nothing = await fetch(`${main.url}/nothing/here`);
    expect(nothing.status).toBe(404);
    expect((await problemOf(nothing)).title).toBe('Not Found');
    const key = await fetch(`${main.url}/.well-known/scitt-keys/${'A'.repeat(43)}`);
    expect(key.status).toBe(404);
    expect(await problemOf(key)).toEqual({ title: 'No such key', detail: 'No key could be found for this kid value' });

    const huge = await post(main.url, new Uint8Array(200 * 1024));
    expect(huge.status).toBe(413);
    expect((await problemOf(huge)).title).toBe('Payload Too Large');
    // Under the body limit, over the log's entry limit (65 535 bytes): 413 too.
    const large = await post(main.url, signStatement({ key: load.privateKey, iss: 'did:example:big', sub: 'big', payload: new Uint8Array(70_000) }));
    expect(large.status).toBe(413);
    expect((await problemOf(large)).title).toBe('Payload Too Large');

    writeFileSync(path('large.cose'), signStatement({ key: load.privateKey, iss: 'did:example:big', sub: 'big-cli', payload: new Uint8Array(70_000) }));
    expectOneLineError(
      await atlog(['register', 'large.cose', '--url', main.url, '-o', 'large.out']),
      1,
      /^atlog: registration refused \(413 Payload Too Large\): .*65535/, // the log's (or the policy's) limit
    );

    const text = await post(main.url, file('es256.cose'), 'text/plain');
    expect(text.status).toBe(415);
    expect(await problemOf(text)).toEqual({ title: 'Unsupported Media Type', detail: 'send the signed statement as application/cose' });
    // RFC 9052's parameter is accepted.
    expect((await post(main.url, file('es256.cose'), 'application/cose; cose-type="cose-sign1"')).status).toBe(201);
  });

  it('atlog register: a statement the service refuses is one line with its problem details', async () => {
    // A COSE_Sign1 without CWT claims: not a SCITT signed statement, so the service refuses it.
    const { privateKey } = generateKeyPair(CoseAlgorithm.ES256);
    writeFileSync(path('no-claims.cose'), signSign1({ key: privateKey, payload: utf8('{}'), protectedHeader: new Map([[HeaderLabel.alg, CoseAlgorithm.ES256]]) }));
    const run = await atlog(['register', 'no-claims.cose', '--url', main.url, '-o', 'no-claims.out']);
    expectOneLineError(run, 1, /^atlog: registration refused \(400 Malformed request\): .+/);
    expect(run.stdout).toBe('');
    expect(existsSync(path('no-claims.out'))).toBe(false);
  });

  it('429 with Retry-After from a full queue (register retries through it); 503 while stopping', async () => {
    // A queue of one entry, held 0.8 s before it is integrated.
    const tiny = await startService(queueData, { receiptWaitMs: 0, sequencer: { maxQueueEntries: 1, maxBatchDelayMs: 800 } });
    const { privateKey } = load;
    const first = await post(tiny.url, signStatement({ key: privateKey, iss: 'did:example:q', sub: 'first', payload: utf8('1') }));
    expect(first.status).toBe(303);
    const second = await post(tiny.url, signStatement({ key: privateKey, iss: 'did:example:q', sub: 'second', payload: utf8('2') }));
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect((await problemOf(second)).title).toBe('Too Many Requests');

    // register against a queue kept full (a filler posts every 5 ms, so it takes each place as it
    // frees) is refused, waits Retry-After and tries again; once the filler stops, it gets through.
    // If register happens to land in the instant a place is free, the round is run again.
    let refusedStatement: Uint8Array | undefined;
    let cliRefused = 0;
    const original = tiny.service.register.bind(tiny.service);
    tiny.service.register = async (statement: Uint8Array) => {
      try {
        return await original(statement);
      } catch (error) {
        if ((error as { code?: string }).code === 'QUEUE_FULL' && refusedStatement !== undefined && bytesEqual(statement, refusedStatement)) cliRefused++;
        throw error;
      }
    };
    let fillers = 0;
    for (let round = 0; round < 3 && cliRefused === 0; round++) {
      const name = `queued-${round}.cose`;
      refusedStatement = signStatement({ key: privateKey, iss: 'did:example:cli', sub: name, payload: utf8('{}') });
      writeFileSync(path(name), refusedStatement);
      const filler = setInterval(() => {
        void post(tiny.url, signStatement({ key: privateKey, iss: 'did:example:q', sub: `filler-${fillers++}`, payload: utf8('{}') })).catch(() => undefined);
      }, 5);
      let settled = false;
      const registering = register(name, tiny.url, `${name}.out`, ['--timeout', '20']).finally(() => (settled = true));
      for (let i = 0; i < 500 && cliRefused === 0 && !settled; i++) await new Promise((r) => setTimeout(r, 20));
      clearInterval(filler);
      const result = await registering;
      expect(result.entryId).toBe(toHex(hashLeaf(registeredStatement(refusedStatement))));
    }
    expect(cliRefused).toBeGreaterThanOrEqual(1);

    // Stopping: the service refuses everything with 503 and Retry-After (the server is still listening).
    await tiny.service.close();
    const stopping = await post(tiny.url, file('es256.cose'));
    expect(stopping.status).toBe(503);
    expect(stopping.headers.get('retry-after')).toBe('2');
    expect(await problemOf(stopping)).toEqual({ title: 'Service Unavailable', detail: 'the service is starting or stopping; retry shortly' });
    const run = await atlog(['register', 'es256.cose', '--url', tiny.url, '-o', 'stopping.cose', '--timeout', '1']);
    expectOneLineError(
      run,
      1,
      /^atlog: registration failed \(503 Service Unavailable\): the service is starting or stopping; retry shortly; gave up after --timeout 1 s$/,
    );
    await tiny.close();
  });
});

describe.concurrent('@transmute/cose interop', () => {
  it('a statement it signs registers; the receipt we return verifies with it; monitor finds an ES256 service’s checkpoint key', async () => {
    // transmute verifies ECDSA only: the service signs receipts with ES256, checkpoints with Ed25519.
    const receiptKey = generateKeyPair(CoseAlgorithm.ES256);
    const checkpointKey = generateKeyPairSync('ed25519');
    const service = await startService(interopData, {
      receiptKeyPem: exportPrivateKeyPem(receiptKey.privateKey),
      checkpointKeyPem: exportPrivateKeyPem(checkpointKey.privateKey),
    });

    const privateJwk = { ...agent.privateKey.export({ format: 'jwk' }), alg: 'ES256' };
    const payload = utf8('{"type":"resource-usage","cpu_ms":1234}');
    const signed = await transmute.attached.signer({ remote: transmute.crypto.signer({ privateKeyJwk: privateJwk as transmute.SecretKeyJwk }) }).sign({
      protectedHeader: transmute.ProtectedHeader([
        [HeaderLabel.alg, CoseAlgorithm.ES256],
        [HeaderLabel.kid, Buffer.from(coseKeyThumbprint(agent.publicKey))],
        [HeaderLabel.contentType, 'application/json'],
        [HeaderLabel.cwtClaims, new Map<number, string>([[1, 'https://agents.example/transmute'], [2, 'usage-1']])],
      ]),
      unprotectedHeader: new Map(),
      payload: payload.buffer.slice(payload.byteOffset, payload.byteOffset + payload.byteLength) as ArrayBuffer,
    });
    writeFileSync(path('transmute.cose'), new Uint8Array(signed));

    const result = await register('transmute.cose', service.url, 'transmute.transparent.cose');
    const statement = file('transmute.cose');
    expect(result.entryId).toBe(toHex(hashLeaf(registeredStatement(statement))));
    const verified = await ok(['verify', 'transmute.transparent.cose', '--service', service.url, '--issuer-key', 'transmute-agent.pub.pem']);
    expect(verified.stdout).toMatch(/^verified: issuer https:\/\/agents\.example\/transmute, subject usage-1, /);

    // transmute, given the service key from the key set, recomputes the root and checks our signature.
    const [serviceKey] = decodeCoseKeySet(new Uint8Array(await (await fetch(`${service.url}/.well-known/scitt-keys`)).arrayBuffer()));
    const serviceJwk = { ...keyObjectFromCoseKey(serviceKey!).export({ format: 'jwk' }), alg: 'ES256' } as transmute.PublicKeyJwk;
    const [receipt] = extractReceipts(file('transmute.transparent.cose'));
    const resolver = { resolve: async () => serviceJwk };
    const root = await transmute.receipt.inclusion.verify({
      entry: hashLeaf(registeredStatement(statement)),
      receipt: receipt!.buffer.slice(receipt!.byteOffset, receipt!.byteOffset + receipt!.byteLength) as ArrayBuffer,
      verifier: transmute.detached.verifier({ resolver }),
    });
    expect(toHex(new Uint8Array(root))).toBe(toHex(service.service.log.latestCheckpoint.rootHash));
    // and refuses it for another entry
    await expect(
      transmute.receipt.inclusion.verify({
        entry: hashLeaf(registeredStatement(file('es256.cose'))),
        receipt: receipt!.buffer.slice(receipt!.byteOffset, receipt!.byteOffset + receipt!.byteLength) as ArrayBuffer,
        verifier: transmute.detached.verifier({ resolver }),
      }),
    ).rejects.toThrow();

    // The key set holds the ES256 receipt key only; the Ed25519 checkpoint key is published apart.
    const discovered = await ok(['monitor', '--url', service.url, '--once']);
    expect(discovered.stdout).toContain(`key: ${noteVerifierKey(ORIGIN, checkpointKey.publicKey)} (from ${service.url}/.well-known/atlog-checkpoint-keys, trusted on first use`);
    const pinned = await ok(['monitor', '--url', service.url, '--once', '--key', noteVerifierKey(ORIGIN, checkpointKey.publicKey)]);
    expect(pinned.stdout).toMatch(/: first seen, root recomputed from 1 tile$/m);
    await service.close();
  });
});

// Last, and alone: it restarts the main service.
describe('atlog monitor', () => {
  it('follows the log as it grows, trusting its key on first use, then split view on a forged fork', async () => {
    const first = await ok(['monitor', '--url', main.url, '--state', 'monitor.json', '--once']);
    const [keyLine, pollLine] = lines(first.stdout);
    const key = /^key: (\S+) \(from .*\/\.well-known\/atlog-checkpoint-keys, trusted on first use; pin it with --key\)$/.exec(keyLine!)![1]!;
    expect(key).toBe(noteVerifierKey(ORIGIN, keyObjectFromCoseKey(decodeCoseKeySet(file('service-keys.cbor'))[0]!)));
    expect(pollLine).toMatch(new RegExp(`^\\S+Z ${ORIGIN} size ${main.service.log.size} root [0-9a-f]{16}…: first seen, root recomputed from \\d+ tiles?$`));

    // Across the first tile boundary (256 leaves), then a few more: each poll consistent.
    let previous = main.service.log.size;
    for (const count of [300, 5]) {
      await grow(main, count, `grow-${count}`);
      const size = main.service.log.size;
      const run = await ok(['monitor', '--url', main.url, '--state', 'monitor.json', '--key', key, '--once']);
      expect(lines(run.stdout)).toEqual([
        expect.stringMatching(new RegExp(`size ${size} root [0-9a-f]{16}…: \\+${size - previous} entries, consistent with size ${previous} \\(proof and root from \\d+ tiles?\\)$`)),
      ]);
      previous = size;
    }
    const unchanged = await ok(['monitor', '--url', main.url, '--state', 'monitor.json', '--polls', '2', '--interval', '0.1']);
    expect(lines(unchanged.stdout)).toEqual([expect.stringMatching(/: no new entries$/), expect.stringMatching(/: no new entries$/)]);

    // Fork: stop the service, copy its data directory (same log, same key), and run both copies.
    await main.close();
    cpSync(mainData, forkData, { recursive: true });
    main = await startService(mainData);
    const fork = await startService(forkData);
    await grow(main, 3, 'honest');
    await grow(fork, 10, 'forged');
    const honest = await ok(['monitor', '--url', main.url, '--state', 'monitor.json', '--once']);
    expect(honest.stdout).toContain(`+3 entries, consistent with size ${previous}`);
    const saved = readFileSync(path('monitor.json'), 'utf8');

    // The state from one, the URL of the other: the fork is larger, but does not extend what was seen.
    const split = await atlog(['monitor', '--url', fork.url, '--state', 'monitor.json', '--once']);
    expectOneLineError(
      split,
      SPLIT_VIEW_EXIT,
      new RegExp(`^atlog: SPLIT VIEW: the checkpoint at size ${previous + 10} \\(root [0-9a-f]{16}…\\) does not extend the one seen at size ${previous + 3} `),
    );
    expect(split.stdout).toBe('');
    expect(readFileSync(path('monitor.json'), 'utf8')).toBe(saved);
    // Same size, two roots.
    await grow(main, 7, 'honest-more');
    await ok(['monitor', '--url', main.url, '--state', 'monitor.json', '--once']);
    expectOneLineError(
      await atlog(['monitor', '--url', fork.url, '--state', 'monitor.json', '--once']),
      SPLIT_VIEW_EXIT,
      new RegExp(`^atlog: SPLIT VIEW: the log signed two roots for tree size ${previous + 10}: `),
    );
    await fork.close();
  });
});
