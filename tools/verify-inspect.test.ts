// The real `atlog` binary (run `npm run build` first) verifying and inspecting transparent
// statements made end to end: statements signed by `atlog sign`, registered in a real MerkleLog on
// LevelDB whose checkpoints the service signs as COSE tree heads, receipts issued from those heads
// (as verifier/transparent-statement.test.ts does), then `atlog verify` and `atlog inspect`.
import { createPublicKey, KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputLines, requireBuiltCli, runAtlog } from '../test/support/cli.js';
import { LevelDbStorage, MerkleLog } from '../log/index.js';
import {
  attachReceipts,
  CborTag,
  CoseAlgorithm,
  coseCheckpointSigner,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  decodeCbor,
  encodeCbor,
  encodeCoseKeySet,
  extractReceipts,
  generateKeyPair,
  inclusionReceipt,
  type KeyPair,
  registeredStatement,
  signStatement,
} from '../receipts/index.js';
import { generateTestKeys, issueCa, issueLeaf, TEST_NOW, toPem } from '../test/support/test-pki.js';

const SERVICE = { issuer: 'https://atlog.test', subject: 'atlog.test/log' };

let dir: string;

const atlog = (args: readonly string[]) => runAtlog(args, { cwd: dir });

const lines = outputLines;
const path = (name: string) => join(dir, name);
const file = (name: string) => new Uint8Array(readFileSync(path(name)));

/** `atlog sign`, which must succeed. */
async function sign(args: readonly string[]): Promise<void> {
  const run = await atlog(['sign', ...args]);
  if (run.code !== 0) throw new Error(`atlog sign failed: ${run.stderr}`);
}

let service: KeyPair;
let log: MerkleLog;
const entries = new Map<string, { index: number; treeSize: number }>();

/** Registers a signed statement file in the log and writes it as a transparent statement. */
async function register(from: string, to: string): Promise<void> {
  const statement = file(from);
  const { index, treeSize } = await log.append(registeredStatement(statement));
  const head = (await log.checkpoint(treeSize))!;
  const receipt = inclusionReceipt(head, { treeSize, leafIndex: index, path: await log.inclusionProof(index, treeSize) });
  writeFileSync(path(to), attachReceipts(statement, [receipt]));
  entries.set(to, { index, treeSize });
}

beforeAll(async () => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'atlog-verify-'));
  service = generateKeyPair(CoseAlgorithm.ES256);
  log = await MerkleLog.open({ storage: await LevelDbStorage.open(path('log')), signer: coseCheckpointSigner(service.privateKey, SERVICE) });
  const kid = coseKeyThumbprint(service.publicKey);
  writeFileSync(path('service.cbor'), encodeCoseKeySet([coseKeyFromKeyObject(service.publicKey, { kid, alg: CoseAlgorithm.ES256 })]));
  writeFileSync(path('other-service.cbor'), encodeCoseKeySet([coseKeyFromKeyObject(generateKeyPair(CoseAlgorithm.EdDSA).publicKey)]));

  const keys = await generateTestKeys();
  const ca = await issueCa({ subject: 'CN=Agents Root CA', key: keys.p384a });
  const leaf = await issueLeaf({ subject: 'CN=planner-agent', key: keys.p256a, issuer: ca });
  writeFileSync(path('ca.pem'), toPem(ca.der));
  writeFileSync(path('chain.pem'), toPem(leaf.der) + toPem(ca.der));
  writeFileSync(path('leaf.pem'), KeyObject.from(leaf.key.pair.privateKey).export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(path('payload.json'), '{"action":"deploy","ok":true}');
  writeFileSync(path('record.json'), '{"a large audit record":"kept by the agent’s domain"}');

  const [issuerKey, strangerKey] = await Promise.all([
    atlog(['keygen', '--alg', 'EdDSA', '-o', 'issuer.pem']),
    atlog(['keygen', '--alg', 'ES384', '-o', 'stranger.pem']),
  ]);
  expect(issuerKey.code, issuerKey.stderr).toBe(0);
  expect(strangerKey.code, strangerKey.stderr).toBe(0);
  const issuerJwk = createPublicKey(readFileSync(path('issuer.pub.pem'), 'utf8')).export({ format: 'jwk' });
  writeFileSync(path('issuer.jwk'), JSON.stringify(issuerJwk));

  const common = ['--key', 'issuer.pem', '--iss', 'did:example:agent', '--content-type', 'application/json'];
  await Promise.all([
    sign([...common, '--sub', 'task-1', 'payload.json', '-o', 'task-1.cose']),
    sign([...common, '--sub', 'task-6', '--hash-envelope', 'record.json', '-o', 'envelope.cose']),
    sign(['--key', 'leaf.pem', '--iss', 'https://agents.example/planner', '--sub', 'task-2', '--content-type', 'text/plain', '--x5chain', 'chain.pem', 'payload.json', '-o', 'x5.cose']),
  ]);
  // Some entries first, so the index and size are not trivially 0 and 1.
  for (let i = 0; i < 5; i++) await log.append(new TextEncoder().encode(`filler ${i}`));
  await register('task-1.cose', 'task-1.transparent.cose');
  await register('envelope.cose', 'envelope.transparent.cose');
  await register('x5.cose', 'x5.transparent.cose');
  await log.append(new TextEncoder().encode('later entry'));
});

afterAll(async () => {
  await log?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('atlog verify', () => {
  it.concurrent('verifies a statement from atlog sign and its receipt: one line, exit 0', async ({ expect }) => {
    const { index, treeSize } = entries.get('task-1.transparent.cose')!;
    const runs = await Promise.all(
      ['issuer.pub.pem', 'issuer.pub.cbor', 'issuer.jwk'].map((issuerKey) =>
        atlog(['verify', 'task-1.transparent.cose', '--service-keys', 'service.cbor', '--issuer-key', issuerKey]),
      ),
    );
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(lines(run.stdout)).toEqual([
        `verified: issuer did:example:agent, subject task-1, tree size ${treeSize}, entry index ${index} (receipt from https://atlog.test); issuer signature checked by kid with --issuer-key`,
      ]);
    }
    // Without issuer trust the receipt alone is checked, and the line says so.
    const receiptOnly = await atlog(['verify', 'task-1.transparent.cose', '--service-keys', 'service.cbor']);
    expect(receiptOnly.code).toBe(0);
    expect(receiptOnly.stdout).toMatch(/; issuer signature not checked \(no --issuer-key or --trust-anchor\)\n$/);
  });

  it.concurrent('prints the verdict as JSON with --json, exit status unchanged', async ({ expect }) => {
    const { index, treeSize } = entries.get('task-1.transparent.cose')!;
    const ok = await atlog(['verify', 'task-1.transparent.cose', '--service-keys', 'service.cbor', '--issuer-key', 'issuer.pub.cbor', '--json']);
    expect(ok.code).toBe(0);
    expect(lines(ok.stdout)).toHaveLength(1);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      verified: true,
      failures: [],
      statement: { iss: 'did:example:agent', sub: 'task-1', contentType: 'application/json', hashEnvelope: false },
      issuer: { checked: true, by: 'kid' },
      receipts: [{ index: 0, status: 'verified', issuer: SERVICE.issuer, treeSize, leafIndex: index, treeSizeSigned: true }],
    });
    const bad = await atlog(['verify', 'task-1.cose', '--service-keys', 'service.cbor', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ verified: false, failures: [{ part: 'receipts', code: 'RECEIPTS_MISSING' }] });
  });

  it.concurrent('reports every failure, one per line, exit 1', async ({ expect }) => {
    // Tampered after registration: the issuer signature and the receipt both fail.
    const tampered = file('task-1.transparent.cose');
    tampered[Buffer.from(tampered).indexOf('deploy')] = 'D'.charCodeAt(0);
    writeFileSync(path('tampered.cose'), tampered);
    const cases: [string[], string[]][] = [
      [['tampered.cose', '--issuer-key', 'issuer.pub.pem'], ['issuer: COSE_BAD_SIGNATURE', 'receipt 0: RECEIPT_SIGNATURE_INVALID']],
      [['task-1.transparent.cose', '--service-keys', 'other-service.cbor'], ['receipts: RECEIPT_UNTRUSTED']],
      [['task-1.transparent.cose', '--issuer-key', 'stranger.pub.pem'], ['issuer: ISSUER_KEY_UNKNOWN']],
      [['task-1.cose', '--issuer-key', 'issuer.pub.pem'], ['receipts: RECEIPTS_MISSING']],
      [['x5.transparent.cose', '--issuer-key', 'issuer.pub.pem'], ['issuer: ISSUER_UNTRUSTED']],
      [['task-1.transparent.cose', '--service-keys', 'other-service.cbor', '--issuer-key', 'stranger.pub.cbor'], ['issuer: ISSUER_KEY_UNKNOWN', 'receipts: RECEIPT_UNTRUSTED']],
    ];
    const runs = await Promise.all(
      cases.map(([args]) => atlog(['verify', ...args, ...(args.includes('--service-keys') ? [] : ['--service-keys', 'service.cbor'])])),
    );
    for (const [i, run] of runs.entries()) {
      const [args, expected] = cases[i]!;
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toBe('');
      const got = lines(run.stdout);
      expect(got.map((line) => line.split(': ').slice(0, 2).join(': '))).toEqual(expected);
      for (const line of got) expect(line).toMatch(/^[a-z0-9 ]+: [A-Z0-9_]+: \S/);
    }
  });

  it.concurrent('verifies an x5chain issuer to a --trust-anchor at --at', async ({ expect }) => {
    const run = await atlog(['verify', 'x5.transparent.cose', '--service-keys', 'service.cbor', '--trust-anchor', 'ca.pem', '--at', TEST_NOW.toISOString()]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('issuer https://agents.example/planner, subject task-2');
    expect(run.stdout).toContain('issuer signature checked by x5chain to a --trust-anchor (leaf "CN=planner-agent")');
    // Long after the leaf expired.
    const late = await atlog(['verify', 'x5.transparent.cose', '--service-keys', 'service.cbor', '--trust-anchor', 'ca.pem', '--at', '2040-01-01T00:00:00Z']);
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/^issuer: CERT_EXPIRED: /);
  });

  it.concurrent('checks a hash envelope’s preimage, with and without issuer trust', async ({ expect }) => {
    const args = ['verify', 'envelope.transparent.cose', '--service-keys', 'service.cbor'];
    const ok = await atlog([...args, '--issuer-key', 'issuer.pub.pem', '--preimage', 'record.json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toContain('; preimage matches the hash envelope');
    const unchecked = await atlog(args);
    expect(unchecked.stdout).toContain('hash envelope: preimage not checked (no --preimage)');
    for (const extra of [['--issuer-key', 'issuer.pub.pem'], []]) {
      const wrong = await atlog([...args, ...extra, '--preimage', 'payload.json']);
      expect(wrong.code).toBe(1);
      expect(lines(wrong.stdout).map((l) => l.split(': ').slice(0, 2).join(': '))).toEqual(['payload: HASH_ENVELOPE_MISMATCH']);
    }
  });

  describe('--service', () => {
    const servers: Server[] = [];
    async function serve(handler: RequestListener): Promise<string> {
      const server = createServer(handler);
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    afterAll(async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    });

    const keyset = () => file('service.cbor');

    it.concurrent('fetches /.well-known/scitt-keys once and verifies offline', async ({ expect }) => {
      const requests: string[] = [];
      const url = await serve((request, response) => {
        requests.push(`${request.method} ${request.url}`);
        if (request.url !== '/.well-known/scitt-keys') return void response.writeHead(404).end();
        response.writeHead(200, { 'content-type': 'application/cbor' }).end(keyset());
      });
      const run = await atlog(['verify', 'task-1.transparent.cose', '--service', url]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^verified: issuer did:example:agent, subject task-1, /);
      expect(requests).toEqual(['GET /.well-known/scitt-keys']);
    });

    it.concurrent('turns garbage, a 404, a wrong type, a redirect and a huge body into one-line errors', async ({ expect }) => {
      const garbage = await serve((_, response) => response.writeHead(200, { 'content-type': 'application/cbor' }).end(Buffer.from('<html>nope</html>')));
      const missing = await serve((_, response) => response.writeHead(404, 'Not Found').end('no keys here'));
      const html = await serve((_, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
      const redirect = await serve((_, response) => response.writeHead(302, { location: 'http://example.com/' }).end());
      const huge = await serve((_, response) => {
        // Chunked, no content-length: the limit is enforced while reading.
        response.writeHead(200, { 'content-type': 'application/cbor' });
        const chunk = Buffer.alloc(16 * 1024, 0x41);
        let sent = 0;
        const more = () => {
          while (sent < 64) {
            sent++;
            if (!response.write(chunk)) return void response.once('drain', more);
          }
          response.end();
        };
        response.on('error', () => undefined);
        more();
      });
      const cases: [string, RegExp][] = [
        [garbage, /^atlog: the key set from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/scitt-keys: /],
        [missing, /scitt-keys: HTTP 404 Not Found$/m],
        [html, /the response is text\/html, not application\/cbor$/m],
        [redirect, /redirected \(HTTP 302\); atlog does not follow redirects/],
        [huge, /the response is larger than the limit of 64 KiB$/m],
      ];
      const runs = await Promise.all(cases.map(([url]) => atlog(['verify', 'task-1.transparent.cose', '--service', url])));
      for (const [i, run] of runs.entries()) {
        const pattern = cases[i]![1];
        expect(run.code, run.stderr).toBe(1);
        expect(run.stdout).toBe('');
        expect(lines(run.stderr)).toHaveLength(1);
        expect(run.stderr).toMatch(pattern);
      }
    });

    it.concurrent('refuses plain http beyond loopback, and both key sources at once (usage, exit 2)', async ({ expect }) => {
      const remote = await atlog(['verify', 'task-1.transparent.cose', '--service', 'http://atlog.example']);
      expect(remote.code).toBe(2);
      expect(lines(remote.stderr)).toEqual(['atlog: --service over plain http is allowed only to a loopback address; use https, or add --insecure-http']);
      const both = await atlog(['verify', 'task-1.transparent.cose', '--service', 'https://atlog.example', '--service-keys', 'service.cbor']);
      expect(both.code).toBe(2);
      const neither = await atlog(['verify', 'task-1.transparent.cose']);
      expect(neither.code).toBe(2);
      expect(lines(neither.stderr)).toEqual(['atlog: give the trusted service keys: --service-keys <file> or --service <url>']);
    });
  });
});

describe('atlog inspect', () => {
  it.concurrent('names the headers of a signed statement', async ({ expect }) => {
    const run = await atlog(['inspect', 'task-1.cose']);
    expect(run.code, run.stderr).toBe(0);
    for (const text of [
      'signed statement, ',
      'alg (1): EdDSA (-8)',
      'content type (3): "application/json"',
      'kid (4): ',
      'iss (1): "did:example:agent"',
      'sub (2): "task-1"',
      'iat (6): ',
      'payload: 29 bytes, text "{\\"action\\":\\"deploy\\",\\"ok\\":true}"',
      'signature: 64 bytes',
    ]) {
      expect(run.stdout).toContain(text);
    }
  });

  it.concurrent('shows a transparent statement’s receipts and proofs, the x5chain and the hash envelope', async ({ expect }) => {
    const { index, treeSize } = entries.get('x5.transparent.cose')!;
    const run = await atlog(['inspect', 'x5.transparent.cose']);
    expect(run.code, run.stdout).toBe(0);
    for (const text of [
      'transparent statement, ',
      'x5chain (33): 2 certificates',
      'certificate 0: subject "CN=planner-agent", issuer "CN=Agents Root CA"',
      'receipts (394): 1 receipt',
      'receipt 0: ',
      'vds (395): RFC9162_SHA256 (1)',
      `tree size (-65537): ${treeSize}`,
      `proof 0: tree size ${treeSize}, leaf index ${index}, path of `,
      'payload: nil (detached: the Merkle root the signature covers)',
    ]) {
      expect(run.stdout).toContain(text);
    }
    const envelope = await atlog(['inspect', 'envelope.cose']);
    expect(envelope.stdout).toContain('payload hash alg (258): sha-256 (-16)');
    expect(envelope.stdout).toContain('preimage content type (259): "application/json"');
    expect(envelope.stdout).toMatch(/payload: 32 bytes, the sha-256 digest of the preimage: [0-9a-f]{64}/);
  });

  it.concurrent('dumps a receipt, a key, a key set; and JSON with --json', async ({ expect }) => {
    const [receipt] = extractReceipts(file('task-1.transparent.cose'));
    writeFileSync(path('receipt.cose'), receipt!);
    const run = await atlog(['inspect', 'receipt.cose']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^receipt, \d+ bytes\n/);
    expect(run.stdout).toContain('iss (1): "https://atlog.test"');
    expect(run.stdout).toContain('inclusion proofs (-1): 1');

    const key = await atlog(['inspect', 'issuer.pub.cbor']);
    expect(key.stdout).toMatch(/^COSE_Key, \d+ bytes\n/);
    expect(key.stdout).toContain('kty (1): OKP (1)');
    expect(key.stdout).toContain('crv (-1): Ed25519 (6)');
    expect(key.stdout).toMatch(/RFC 9679 thumbprint: [0-9a-f]{64} \(= kid\)/);

    const set = await atlog(['inspect', 'service.cbor']);
    expect(set.stdout).toMatch(/^COSE_KeySet, \d+ bytes\n  keys: 1\n  key 0\n    kty \(1\): EC2 \(2\)\n    crv \(-1\): P-256 \(1\)/);

    const json = await atlog(['inspect', 'task-1.transparent.cose', '--json']);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { kind: string; problems: unknown[]; items: { name: string }[] };
    expect(parsed.kind).toBe('transparent statement');
    expect(parsed.problems).toEqual([]);
    expect(parsed.items.map((item) => item.name)).toEqual(['COSE_Sign1', 'protected header', 'unprotected header', 'payload', 'signature', 'receipt 0']);
  });

  it.concurrent('escapes terminal control, bidi and invisible characters from the file', async ({ expect }) => {
    const key = generateKeyPair(CoseAlgorithm.EdDSA).privateKey;
    const iss = 'did:x:\u001b[31mRED\u009b2J\u202egnp.exe';
    writeFileSync(path('evil.cose'), signStatement({ key, iss, sub: 'a\u0007b', payload: new TextEncoder().encode('\u001b]0;pwned\u0007') }));
    const [text, json] = await Promise.all([atlog(['inspect', 'evil.cose']), atlog(['inspect', 'evil.cose', '--json'])]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('iss (1): "did:x:\\u{1b}[31mRED\\u{9b}2J\\u{202e}gnp.exe"');
    for (const out of [text.stdout, json.stdout]) expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(JSON.stringify(iss).slice(1, -1));
  });

  it.concurrent('reports what it cannot read: problems in a dump (exit 1), garbage in one line (exit 1)', async ({ expect }) => {
    // A statement whose 394 holds something that is not a receipt.
    const statement = file('task-1.cose');
    const [protectedBytes, , payload, signature] = decodeArray(statement);
    writeFileSync(path('bad-receipt.cose'), encodeCbor(new CborTag(18, [protectedBytes!, new Map([[394, [Uint8Array.of(1, 2, 3)]]]), payload!, signature!])));
    const dump = await atlog(['inspect', 'bad-receipt.cose']);
    expect(dump.code).toBe(1);
    expect(dump.stdout).toContain('transparent statement, ');
    expect(dump.stdout).toMatch(/problems \(1\):\n  receipt 0: CBOR_[A-Z_]+: /);

    writeFileSync(path('garbage.cose'), Uint8Array.of(0xff, 0x00, 0x13, 0x37));
    writeFileSync(path('empty.cose'), '');
    writeFileSync(path('number.cose'), encodeCbor(42));
    for (const [name, pattern] of [
      ['garbage.cose', /^atlog: garbage\.cose is not a COSE structure atlog can read: /],
      ['empty.cose', /^atlog: empty\.cose is not a COSE structure atlog can read: /],
      ['number.cose', /^atlog: number\.cose is CBOR but not a COSE_Sign1, COSE_Key or COSE_KeySet \(it is a number\)$/m],
      ['issuer.pem', /^atlog: issuer\.pem is PEM text; inspect reads COSE \(CBOR\) files$/m],
    ] as const) {
      const run = await atlog(['inspect', name]); // (cheap: inspect does not load the verifier)
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(lines(run.stderr)).toHaveLength(1);
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    }
  });
});

/** The four fields of a tagged COSE_Sign1. */
function decodeArray(bytes: Uint8Array): (Uint8Array | null)[] {
  return (decodeCbor(bytes) as CborTag).value as (Uint8Array | null)[];
}
