// Bearer tokens: the configuration, constant-time authentication, the role middleware over HTTP,
// and the service's own statements (what the operator and regulator routes will register).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCbor, decodeCoseKeySet, attachReceipts, parseStatement } from '../receipts/index.js';
import { expectOneLineError, requireBuiltCli, runAtlog } from '../test/support/cli.js';
import { tempDir } from '../test/support/log.js';
import { openTestService } from '../test/support/service.js';
import { verifyTransparentStatement } from '../verifier/index.js';
import {
  accessTokenHash,
  authenticate,
  generateAccessToken,
  parseAccessTokens,
  type Principal,
  requireRole,
  type TransparencyService,
} from './index.js';

const regulatorToken = generateAccessToken();
const operatorToken = generateAccessToken();
const file = (tokens: unknown) => JSON.stringify({ tokens });
const tokens = parseAccessTokens(
  file([
    { name: 'eu-regulator', role: 'regulator', sha256: accessTokenHash(regulatorToken) },
    { name: 'oncall', role: 'operator', sha256: accessTokenHash(operatorToken) },
  ]),
);

describe('access tokens', () => {
  it('are 256 random bits, different every time, hashed with SHA-256', () => {
    expect(regulatorToken).toMatch(/^atlog_[A-Za-z0-9_-]{43}$/);
    expect(generateAccessToken()).not.toBe(generateAccessToken());
    expect(accessTokenHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('authenticate the holder of a configured token, and no one else', () => {
    expect(authenticate(tokens, regulatorToken)).toEqual({ name: 'eu-regulator', role: 'regulator' });
    expect(authenticate(tokens, operatorToken)).toEqual({ name: 'oncall', role: 'operator' });
    expect(authenticate(tokens, generateAccessToken())).toBeUndefined();
    expect(authenticate(tokens, regulatorToken.slice(0, -1))).toBeUndefined();
    expect(authenticate(tokens, '')).toBeUndefined();
    expect(authenticate([], regulatorToken)).toBeUndefined();
  });

  it('refuse a configuration that is not exactly right, naming the entry', () => {
    const ok = { name: 'a', role: 'regulator', sha256: accessTokenHash('x') };
    const cases: [string, RegExp][] = [
      ['{"tokens": [], "tokens": []}', /not strict JSON/],
      ['[]', /must be \{"tokens"/],
      [file([{ ...ok, extra: 1 }]), /tokens\[0\]: must be/],
      [file([{ ...ok, role: 'admin' }]), /tokens\[0\]\.role: one of operator, regulator/],
      [file([{ ...ok, sha256: 'ABC' }]), /tokens\[0\]\.sha256/],
      [file([{ ...ok, name: '' }]), /tokens\[0\]\.name/],
      [file([ok, { ...ok, sha256: accessTokenHash('y') }]), /tokens\[1\]\.name: a is listed twice/],
      [file([ok, { ...ok, name: 'b' }]), /tokens\[1\]\.sha256: the same token is listed twice/],
      [file(Array.from({ length: 257 }, (_, i) => ({ ...ok, name: `n${i}`, sha256: accessTokenHash(String(i)) }))), /at most 256/],
    ];
    for (const [text, message] of cases) expect(() => parseAccessTokens(text), text.slice(0, 60)).toThrow(message);
  });

  it('open a route only to a bearer token of its role', async () => {
    const app = new Hono<{ Variables: { principal: Principal } }>();
    app.get('/reports', requireRole(tokens, 'regulator'), (c) => c.json(c.get('principal')));
    const get = (authorization?: string) => app.request('/reports', authorization === undefined ? {} : { headers: { authorization } });
    const problem = async (response: Response) => decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;

    const ok = await get(`Bearer ${regulatorToken}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ name: 'eu-regulator', role: 'regulator' });
    for (const header of [undefined, 'Bearer', `Basic ${regulatorToken}`, `Bearer ${generateAccessToken()}`, `Bearer ${regulatorToken}x`]) {
      const response = await get(header);
      expect(response.status, String(header)).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="atlog", scope="regulator"');
      expect((await problem(response)).get(-1)).toBe('Unauthorized');
    }
    const wrongRole = await get(`Bearer ${operatorToken}`);
    expect(wrongRole.status).toBe(403);
    expect((await problem(wrongRole)).get(-2)).toMatch(/for regulators; the token given is a operator/);
  });
});

describe('the service’s own statements', () => {
  let service: TransparencyService;
  beforeAll(async () => {
    service = await openTestService({ issuer: 'https://log.example', accessTokens: tokens });
  });
  afterAll(async () => {
    await service.close();
  });

  it('are signed with the receipt key as the service, registered, and verify with the published key set', async () => {
    const payload = new TextEncoder().encode('{"result":"affirming"}');
    const own = await service.registerOwnStatement({ contentType: 'application/vnd.atlog.appraisal-result+json', sub: 'spiffe://a.example/agent/x', payload });
    const parsed = parseStatement(own.statement);
    expect(parsed.iss).toBe('https://log.example');
    expect(parsed.sub).toBe('spiffe://a.example/agent/x');
    expect(Buffer.from(parsed.payload!).toString()).toBe('{"result":"affirming"}');
    const verdict = verifyTransparentStatement(attachReceipts(own.statement, [own.receipt]), {
      serviceKeys: decodeCoseKeySet(service.keySet()),
      issuer: { keys: decodeCoseKeySet(service.keySet()) },
    });
    expect(verdict.failures).toEqual([]);
    expect(verdict.verified).toBe(true);
    await service.index.caughtUp();
    expect((await service.index.entry(own.index))?.type).toBe('appraisal-result');
    expect(service.accessTokens).toHaveLength(2);
  });
});

describe('atlog token and serve --tokens', () => {
  const work = tempDir('atlog-token-');
  beforeAll(() => requireBuiltCli());

  it('prints a new token once and adds only its hash to the file', async () => {
    const first = await runAtlog(['token', '--name', 'eu-regulator', '--role', 'regulator', '--tokens', 'tokens.json'], { cwd: work });
    expect(first.code, first.stderr).toBe(0);
    const secret = first.stdout.trim();
    expect(secret).toMatch(/^atlog_[A-Za-z0-9_-]{43}$/);
    expect(first.stderr).toMatch(/^atlog: added the regulator token of eu-regulator to tokens\.json \(1 in all\)/);
    const second = await runAtlog(['token', '--name', 'oncall', '--role', 'operator', '--tokens', 'tokens.json'], { cwd: work });
    expect(second.code, second.stderr).toBe(0);
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(work, 'tokens.json'), 'utf8');
    expect(text).not.toContain(secret);
    const configured = parseAccessTokens(text);
    expect(configured.map((t) => t.name)).toEqual(['eu-regulator', 'oncall']);
    expect(authenticate(configured, secret)).toEqual({ name: 'eu-regulator', role: 'regulator' });
    expect(authenticate(configured, second.stdout.trim())).toEqual({ name: 'oncall', role: 'operator' });

    expectOneLineError(await runAtlog(['token', '--name', 'oncall', '--role', 'operator', '--tokens', 'tokens.json'], { cwd: work }), 1, /oncall already has a token/);
    expectOneLineError(await runAtlog(['token', '--name', 'x', '--role', 'admin', '--tokens', 't.json'], { cwd: work }), 2);
  });

  it('serve refuses a tokens file it cannot use, before it starts', async () => {
    writeFileSync(join(work, 'bad.json'), '{"tokens": [{"name": "a", "role": "root", "sha256": "00"}]}');
    const run = await runAtlog(['serve', '--data', 'data', '--port', '0', '--tokens', 'bad.json'], { cwd: work });
    expectOneLineError(run, 1, /--tokens bad\.json: access tokens: tokens\[0\]\.role: one of operator, regulator/);
    expectOneLineError(await runAtlog(['serve', '--data', 'data', '--port', '0', '--tokens', 'missing.json'], { cwd: work }), 1, /--tokens missing\.json: cannot read it/);
  });
});

describe('key spaces of the service', () => {
  it('are the service’s own, beside the log, and never the entry index’s', async () => {
    const service = await openTestService();
    try {
      const space = service.keySpace('privacy');
      await space.write({ puts: [[Uint8Array.of(1), Uint8Array.of(2)]] });
      expect([...(await space.get([Uint8Array.of(1)]))[0]!]).toEqual([2]);
      expect(() => service.keySpace('index')).toThrow(/belongs to the entry index/);
    } finally {
      await service.close();
    }
  });
});
