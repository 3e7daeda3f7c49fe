// The real `atlog` binary (bin/atlog.js over dist/: run `npm run build` first), in temp dirs:
// keygen, sign, and how the command line refuses what is wrong. verify and inspect are in
// verify-inspect.test.ts.
import { createPublicKey, hash, KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, expectOneLineError as expectError, outputLines, requireBuiltCli, runAtlog } from '../test/support/cli.js';
import {
  CoseAlgorithm,
  coseKeyThumbprint,
  decodeCoseKey,
  exportPrivateKeyPem,
  generateKeyPair,
  HashAlgorithm,
  HeaderLabel,
  importPrivateKeyPem,
  importPublicKeyPem,
  keyObjectFromCoseKey,
  parseStatement,
  verifyPreimage,
  verifyStatementSignature,
} from '../receipts/index.js';
import { generateTestKeys, issueCa, issueLeaf, toPem, type TestCertificate } from '../test/support/test-pki.js';
import { toHex } from '../util/index.js';


let dir: string;

/** Runs the real binary in `dir`, with `input` on stdin. */
const atlog = (args: readonly string[], input: string | Uint8Array = '') => runAtlog(args, { cwd: dir, input });
const lines = outputLines;
/** One line `atlog: …` on stderr, nothing on stdout, no stack trace, the exit status. */
const expectOneLineError = (run: CliRun, code: 1 | 2, pattern?: RegExp) => expectError(run, code, pattern, { stdoutEmpty: true });

const path = (name: string) => join(dir, name);
const file = (name: string) => new Uint8Array(readFileSync(path(name)));
const mode = (name: string) => statSync(path(name)).mode & 0o777;

let issuerPem: string;
let issuer: ReturnType<typeof generateKeyPair>;
let ca: TestCertificate;
let leaf: TestCertificate;

beforeAll(async () => {
  requireBuiltCli();
  dir = mkdtempSync(join(tmpdir(), 'atlog-cli-'));
  issuer = generateKeyPair(CoseAlgorithm.ES256);
  issuerPem = exportPrivateKeyPem(issuer.privateKey);
  writeFileSync(path('issuer.pem'), issuerPem, { mode: 0o600 });
  writeFileSync(path('payload.json'), '{"action":"deploy","ok":true}');
  const keys = await generateTestKeys();
  ca = await issueCa({ subject: 'CN=Agents Root CA', key: keys.p384a });
  leaf = await issueLeaf({ subject: 'CN=planner-agent', key: keys.p256a, issuer: ca });
  writeFileSync(path('chain.pem'), toPem(leaf.der) + toPem(ca.der));
  writeFileSync(path('leaf.pem'), KeyObject.from(leaf.key.pair.privateKey).export({ type: 'pkcs8', format: 'pem' }));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('atlog keygen', () => {
  for (const alg of ['ES256', 'ES384', 'EdDSA'] as const) {
    it.concurrent(`writes a ${alg} key pair: PKCS#8 (0600), SPKI and a COSE_Key whose kid is the thumbprint`, async ({ expect }) => {
      const run = await atlog(['keygen', '--alg', alg, '--out', `${alg}.pem`]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      const printed = /^wrote (\S+) \((\S+) private key, mode 0600\), (\S+), (\S+); kid ([0-9a-f]{64})\n$/.exec(run.stdout);
      expect(printed?.slice(1, 5)).toEqual([`${alg}.pem`, alg, `${alg}.pub.pem`, `${alg}.pub.cbor`]);

      expect(mode(`${alg}.pem`)).toBe(0o600);
      const privateKey = importPrivateKeyPem(readFileSync(path(`${alg}.pem`), 'utf8'));
      const publicKey = importPublicKeyPem(readFileSync(path(`${alg}.pub.pem`), 'utf8'));
      const coseKey = decodeCoseKey(file(`${alg}.pub.cbor`));
      expect(coseKey.alg).toBe(CoseAlgorithm[alg]);
      const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
      expect(spki(createPublicKey(privateKey))).toEqual(spki(publicKey));
      expect(spki(keyObjectFromCoseKey(coseKey))).toEqual(spki(publicKey));
      expect(toHex(coseKey.kid!)).toBe(toHex(coseKeyThumbprint(publicKey)));
      expect(printed?.[5]).toBe(toHex(coseKey.kid!));
      // No key material on the terminal.
      const body = readFileSync(path(`${alg}.pem`), 'utf8').split('\n')[1]!;
      expect(run.stdout).not.toContain(body.slice(0, 16));
    });
  }

  it('refuses to overwrite any of its files unless --force, and --force makes the key 0600 again', async () => {
    const first = await atlog(['keygen', '-o', 'mine.pem']);
    expect(first.code).toBe(0);
    const before = readFileSync(path('mine.pem'), 'utf8');
    expectOneLineError(await atlog(['keygen', '-o', 'mine.pem']), 1, /mine\.pem already exists; pass --force/);
    expect(readFileSync(path('mine.pem'), 'utf8')).toBe(before);

    // Only a public file in the way: nothing is written.
    writeFileSync(path('other.pub.cbor'), 'keep me');
    expectOneLineError(await atlog(['keygen', '-o', 'other.pem']), 1, /other\.pub\.cbor already exists/);
    expect(existsSync(path('other.pem'))).toBe(false);
    expect(readFileSync(path('other.pub.cbor'), 'utf8')).toBe('keep me');

    chmodSync(path('mine.pem'), 0o644);
    const forced = await atlog(['keygen', '-o', 'mine.pem', '--force', '--alg', 'EdDSA']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(path('mine.pem'), 'utf8')).not.toBe(before);
    expect(mode('mine.pem')).toBe(0o600);
    expect(importPrivateKeyPem(readFileSync(path('mine.pem'), 'utf8')).asymmetricKeyType).toBe('ed25519');
  });
});

describe('atlog sign', () => {
  const base = ['--key', 'issuer.pem', '--iss', 'did:example:agent', '--sub', 'task-1', '--content-type', 'application/json'];

  it.concurrent('signs with the key’s thumbprint as kid by default, and the output verifies with the key', async ({ expect }) => {
    const run = await atlog(['sign', ...base, 'payload.json', '-o', 'default.cose']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^wrote default\.cose \(\d+ bytes\): ES256 signed statement, iss did:example:agent, sub task-1, kid [0-9a-f]{64} \(RFC 9679 thumbprint\)\n$/);
    const bytes = file('default.cose');
    const statement = parseStatement(bytes);
    expect(statement).toMatchObject({ iss: 'did:example:agent', sub: 'task-1', contentType: 'application/json' });
    expect(toHex(statement.kid!)).toBe(toHex(coseKeyThumbprint(issuer.publicKey)));
    expect(statement.x5chain).toBeUndefined();
    expect(Math.abs(statement.iat! - Date.now() / 1000)).toBeLessThan(60);
    expect(Buffer.from(statement.payload!).toString()).toBe('{"action":"deploy","ok":true}');
    expect(verifyStatementSignature(bytes, issuer.publicKey).alg).toBe(CoseAlgorithm.ES256);
  });

  it.concurrent('uses the UTF-8 bytes of --kid, a given --iat, and a numeric content format', async ({ expect }) => {
    const run = await atlog(['sign', '--key', 'issuer.pem', '--iss', 'did:example:agent', '--sub', 't', '--content-type', '50', '--kid', 'agent-7 ✓', '--iat', '1700000000', 'payload.json', '-o', 'kid.cose']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('kid "agent-7 ✓"');
    const statement = parseStatement(file('kid.cose'));
    expect(Buffer.from(statement.kid!).toString('utf8')).toBe('agent-7 ✓');
    expect(statement.iat).toBe(1700000000);
    expect(statement.contentType).toBe(50);
    verifyStatementSignature(file('kid.cose'), issuer.publicKey);
  });

  it.concurrent('reads the payload from stdin with -', async ({ expect }) => {
    const run = await atlog(['sign', ...base, '-', '-o', 'stdin.cose'], 'from a pipe');
    expect(run.code, run.stderr).toBe(0);
    expect(Buffer.from(parseStatement(file('stdin.cose')).payload!).toString()).toBe('from a pipe');
  });

  it.concurrent('makes a hash envelope: the digest signed, the content type as 259, no label 3', async ({ expect }) => {
    const run = await atlog(['sign', ...base, '--hash-envelope', 'payload.json', '-o', 'envelope.cose']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('hash envelope (sha-256 of 29 bytes)');
    const bytes = file('envelope.cose');
    const statement = parseStatement(bytes);
    expect(statement.hashEnvelope).toEqual({ hashAlgorithm: HashAlgorithm.SHA256, preimageContentType: 'application/json' });
    expect(statement.contentType).toBeUndefined();
    expect(statement.sign1.protectedHeader.has(HeaderLabel.contentType)).toBe(false);
    expect(toHex(statement.payload!)).toBe(hash('sha256', readFileSync(path('payload.json')), 'hex'));
    verifyPreimage(bytes, file('payload.json'));
    verifyStatementSignature(bytes, issuer.publicKey, { preimage: file('payload.json') });
  });

  it.concurrent('sends an x5chain whose leaf certifies the key, and refuses one that does not', async ({ expect }) => {
    const args = ['--iss', 'https://agents.example/planner', '--sub', 'task-2', '--content-type', 'text/plain', '--x5chain', 'chain.pem', 'payload.json'];
    const run = await atlog(['sign', '--key', 'leaf.pem', ...args, '-o', 'x5.cose']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('x5chain of 2 certificates (leaf "CN=planner-agent")');
    const statement = parseStatement(file('x5.cose'));
    expect(statement.x5chain?.map(toHex)).toEqual([toHex(leaf.der), toHex(ca.der)]);
    expect(statement.kid).toBeUndefined();
    verifyStatementSignature(file('x5.cose'), KeyObject.from(leaf.key.pair.publicKey));

    const wrong = await atlog(['sign', '--key', 'issuer.pem', ...args, '-o', 'x5-wrong.cose']);
    expect(wrong.code).toBe(1);
    expect(lines(wrong.stderr)).toEqual([
      'atlog: the leaf certificate of --x5chain chain.pem is not for the key in --key issuer.pem',
    ]);
    expect(existsSync(path('x5-wrong.cose'))).toBe(false);
  });

  it.concurrent('refuses to overwrite the output unless --force', async ({ expect }) => {
    writeFileSync(path('taken.cose'), 'old');
    const run = await atlog(['sign', ...base, 'payload.json', '-o', 'taken.cose']);
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual(['atlog: taken.cose already exists; pass --force to replace it']);
    expect(readFileSync(path('taken.cose'), 'utf8')).toBe('old');
    expect((await atlog(['sign', ...base, 'payload.json', '-o', 'taken.cose', '--force'])).code).toBe(0);
    expect(parseStatement(file('taken.cose')).sub).toBe('task-1');
  });

  it.concurrent('refuses bad keys and oversized payloads in one line, without echoing the key', async ({ expect }) => {
    const keygen = await atlog(['keygen', '-o', 'pub-only.pem']);
    expect(keygen.code).toBe(0);
    const publicAsPrivate = await atlog(['sign', ...base.slice(2), '--key', 'pub-only.pub.pem', 'payload.json', '-o', 'a.cose']);
    expect(publicAsPrivate.code).toBe(1);
    expect(lines(publicAsPrivate.stderr)).toEqual(['atlog: --key pub-only.pub.pem: expected one unencrypted PKCS#8 "PRIVATE KEY" PEM block']);

    // A JWK that is not JSON: JSON.parse would quote it; we do not.
    writeFileSync(path('broken.jwk'), '{"kty":"OKP","d":"c2VjcmV0LWtleS1tYXRlcmlhbA"');
    const broken = await atlog(['sign', ...base.slice(2), '--key', 'broken.jwk', 'payload.json', '-o', 'b.cose']);
    expect(lines(broken.stderr)).toEqual(['atlog: --key broken.jwk is not valid JSON']);

    writeFileSync(path('big.bin'), new Uint8Array(1024 * 1024 + 1));
    const big = await atlog(['sign', ...base, 'big.bin', '-o', 'big.cose']);
    expect(big.code).toBe(1);
    expect(lines(big.stderr)).toEqual(['atlog: payload big.bin is larger than the limit of 1 MiB']);
  });
});

describe('usage errors: one line, exit 2; other errors exit 1; never a stack trace', () => {
  const signArgs = ['--key', 'issuer.pem', '--iss', 'i', '--sub', 's', '--content-type', 'text/plain'];
  const cases: [string, string[], 1 | 2, RegExp][] = [
    ['no command', [], 2, /no command given/],
    ['an unknown command', ['frobnicate'], 2, /unknown command 'frobnicate'/],
    ['an unknown flag', ['keygen', '-o', 'u.pem', '--bogus'], 2, /unknown option '--bogus'/],
    ['a misspelt flag, with a suggestion', ['sign', ...signArgs, '--kidd', 'x', 'payload.json', '-o', 'u.cose'], 2, /unknown option '--kidd' \(Did you mean --kid\?\)/],
    ['a missing required option', ['sign', '--iss', 'i', '--sub', 's', '--content-type', 'text/plain', 'payload.json', '-o', 'u.cose'], 2, /required option '--key <file>' not specified/],
    ['a missing argument', ['sign', ...signArgs, '-o', 'u.cose'], 2, /missing required argument 'payload'/],
    ['a bad --alg', ['keygen', '--alg', 'RS256', '-o', 'u.pem'], 2, /argument 'RS256' is invalid\. Allowed choices are ES256, ES384, EdDSA/],
    ['a bad --iat', ['sign', ...signArgs, '--iat', 'yesterday', 'payload.json', '-o', 'u.cose'], 2, /--iat <seconds>' argument 'yesterday' is invalid/],
    ['a bad --content-type', ['sign', '--key', 'issuer.pem', '--iss', 'i', '--sub', 's', '--content-type', 'json', 'payload.json', '-o', 'u.cose'], 2, /media type/],
    ['a bad --at', ['verify', 'x.cose', '--service-keys', 'k', '--at', 'last tuesday'], 2, /--at <time>' argument 'last tuesday' is invalid/],
    ['too many arguments', ['inspect', 'a.cose', 'b.cose'], 2, /too many arguments/],
    ['a missing file', ['inspect', 'missing.cose'], 1, /^atlog: cannot read file missing\.cose: no such file or directory$/m],
    ['a missing key file', ['sign', ...signArgs.slice(2), '--key', 'nokey.pem', 'payload.json', '-o', 'u.cose'], 1, /cannot read --key nokey\.pem: no such file/],
    ['a directory for a file', ['inspect', '.'], 1, /it is a directory/],
    ['a bad --workers', ['serve', '--data', 'never', '--port', '0', '--workers', 'many'], 2, /--workers must be a whole number from 0 to 64/],
    ['too many --workers', ['serve', '--data', 'never', '--port', '0', '--workers', '65'], 2, /--workers must be a whole number from 0 to 64/],
  ];
  for (const [what, args, code, pattern] of cases) {
    it.concurrent(what, async () => expectOneLineError(await atlog(args), code, pattern));
  }

  it.concurrent('--help prints usage, the limits and the kid rule on stdout, exit 0', async ({ expect }) => {
    const run = await atlog(['sign', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: atlog sign [options] <payload>');
    expect(run.stdout).toContain('UTF-8 bytes');
    expect(run.stdout).toContain('payload 1 MiB');
    const [version, helpCommand] = await Promise.all([atlog(['--version']), atlog(['help', 'keygen'])]);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(helpCommand.code).toBe(0);
    expect(helpCommand.stdout).toContain('Usage: atlog keygen [options]');
  });
});
