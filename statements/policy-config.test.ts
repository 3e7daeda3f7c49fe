// Configuration: the JSON file, the serve flags, key and anchor files, strict validation with the
// path of the setting at fault, and a digest that changes exactly when the policy does.
import { KeyObject, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CoseAlgorithm,
  type KeyPair,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  encodeCbor,
  encodeCoseKey,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  signStatement,
} from '../receipts/index.js';
import { tempDir } from '../test/support/log.js';
import { generateTestKeys, issueCa, issueLeaf, TEST_NOW, toPem, type TestCertificate } from '../test/support/test-pki.js';
import {
  type PayloadCheck,
  PolicyError,
  type ReadPolicyFile,
  type RegistrationPolicy,
  loadPolicy,
  loadPolicyFile,
  parsePolicyConfig,
  policyFromOptions,
} from './index.js';

const enc = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const BASE = '/etc/atlog';

let a: KeyPair; // ES256, as SPKI PEM
let b: KeyPair; // EdDSA, as a JWK with kid "agent-b"
let c: KeyPair; // ES384, as a COSE_Key with kid "agent-c"
let d: KeyPair; // ES256, as a JWK and a COSE_Key without kid
let root: TestCertificate;
let otherRoot: TestCertificate;
let leaf: TestCertificate;
let leafKey: KeyObject;
let files: Map<string, Uint8Array>;

const readFile: ReadPolicyFile = (path) => {
  const bytes = files.get(path);
  if (bytes === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: 'ENOENT' });
  return bytes;
};
const load = (config: unknown, payloadChecks?: readonly PayloadCheck[]) =>
  loadPolicy(config, { baseDir: BASE, readFile, ...(payloadChecks === undefined ? {} : { payloadChecks }) });

function configRefusal(load: () => unknown): PolicyError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('POLICY_CONFIG');
    expect((error as PolicyError).rule).toBe('config');
    return error as PolicyError;
  }
  throw new Error('the configuration was accepted');
}

function sign(pair: KeyPair, kid?: Uint8Array): Uint8Array {
  return signStatement({
    key: pair.privateKey,
    iss: 'https://agents.example/a',
    sub: 'task',
    contentType: 'application/json',
    payload: enc('{}'),
    ...(kid === undefined ? {} : { kid }),
  });
}

const FULL = {
  algorithms: ['ES256', 'EdDSA', 'ES384'],
  maxStatementBytes: 32_768,
  contentTypes: ['application/json', 50],
  issuers: { keys: ['keys/a.pub.pem', 'keys/b.jwk', 'keys/c.pub.cbor'], trustAnchors: ['ca/agents-root.pem', 'ca/other-root.der'] },
};

beforeAll(async () => {
  a = generateKeyPair(CoseAlgorithm.ES256);
  b = generateKeyPair(CoseAlgorithm.EdDSA);
  c = generateKeyPair(CoseAlgorithm.ES384);
  d = generateKeyPair(CoseAlgorithm.ES256);
  const keys = await generateTestKeys();
  root = await issueCa({ subject: 'CN=Agents Root CA', key: keys.p384a });
  otherRoot = await issueCa({ subject: 'CN=Other Root CA', key: keys.rootRsa });
  leaf = await issueLeaf({ subject: 'CN=planner-agent', key: keys.p256a, issuer: root });
  leafKey = KeyObject.from(keys.p256a.pair.privateKey);
  const bJwk = { ...b.publicKey.export({ format: 'jwk' }), kid: 'agent-b' };
  files = new Map<string, Uint8Array>([
    [`${BASE}/keys/a.pub.pem`, enc(exportPublicKeyPem(a.publicKey))],
    [`${BASE}/keys/b.jwk`, enc(JSON.stringify(bJwk, null, 2))],
    [`${BASE}/keys/c.pub.cbor`, encodeCoseKey(coseKeyFromKeyObject(c.publicKey, { kid: enc('agent-c'), alg: CoseAlgorithm.ES384 }))],
    [`${BASE}/keys/d.jwk`, enc(JSON.stringify(d.publicKey.export({ format: 'jwk' })))],
    [`${BASE}/keys/d.pub.cbor`, encodeCoseKey(coseKeyFromKeyObject(d.publicKey))],
    [`${BASE}/keys/d-with-kid.pub.cbor`, encodeCoseKey(coseKeyFromKeyObject(d.publicKey, { kid: enc('agent-d') }))],
    [`${BASE}/keys/a.key.pem`, enc(exportPrivateKeyPem(a.privateKey))],
    [`${BASE}/keys/a.private.jwk`, enc(JSON.stringify(a.privateKey.export({ format: 'jwk' })))],
    [`${BASE}/keys/set.jwks`, enc(JSON.stringify({ keys: [bJwk] }))],
    [`${BASE}/keys/set.cbor`, enc('')],
    [`${BASE}/keys/rsa.pem`, enc(exportRsaPublicKey())],
    [`${BASE}/keys/duplicate-member.jwk`, enc('{"kty":"OKP","crv":"Ed25519","x":"AAAA","x":"BBBB"}')],
    [`${BASE}/ca/agents-root.pem`, enc(toPem(root.der))],
    [`${BASE}/ca/other-root.der`, otherRoot.der],
    [`${BASE}/ca/bundle.pem`, enc(`# both roots\n${toPem(otherRoot.der)}${toPem(root.der)}`)],
    [`${BASE}/ca/leaf.pem`, enc(toPem(leaf.der))],
    [`${BASE}/ca/private.pem`, enc(exportPrivateKeyPem(a.privateKey))],
  ]);
  files.set(`${BASE}/keys/set.cbor`, encodeCbor([new Map<number, number>([[1, 2]])]));
  files.set(`${BASE}/keys/private.cbor`, encodeCbor(new Map<number, number | Uint8Array>([[1, 1], [-1, 6], [-2, new Uint8Array(32)], [-4, new Uint8Array(32)]])));
});

function exportRsaPublicKey(): string {
  // A valid SPKI key of a kind atlog does not verify with.
  return generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

describe('loadPolicy', () => {
  it('loads the settings, keys from PEM, JWK and COSE_Key, and anchors from PEM and DER', () => {
    const policy = load(FULL);
    const { description } = policy;
    expect(description).toMatchObject({
      version: 1,
      open: false,
      maxStatementBytes: 32_768,
      algorithms: ['ES256', 'ES384', 'EdDSA'],
      contentTypes: [50, 'application/json'],
      issuers: { unanchoredX5chain: false, didJwk: false },
      // On by default in a configured policy.
      payloadChecks: ['agent-statements/v1'],
      payloadCheckSettings: { 'agent-statements/v1': { profileAuthorities: [] } },
    });
    const described = new Map(description.issuers.keys.map((key) => [key.thumbprint, key]));
    expect(described.get(hex(coseKeyThumbprint(a.publicKey)))).toEqual({ thumbprint: hex(coseKeyThumbprint(a.publicKey)), kids: [], crv: 'P-256' });
    expect(described.get(hex(coseKeyThumbprint(b.publicKey)))?.kids).toEqual([hex(enc('agent-b'))]);
    expect(described.get(hex(coseKeyThumbprint(c.publicKey)))).toMatchObject({ kids: [hex(enc('agent-c'))], crv: 'P-384' });
    expect(description.issuers.trustAnchors.map((anchor) => anchor.subject).sort()).toEqual(['CN=Agents Root CA', 'CN=Other Root CA']);
    expect(description.issuers.trustAnchors[0]).toEqual({
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      subject: expect.any(String),
      notBefore: expect.stringMatching(/Z$/),
      notAfter: expect.stringMatching(/Z$/),
    });
  });

  it('admits by each key’s own kid and by its thumbprint', () => {
    const policy = load(FULL);
    expect(policy.admit(sign(a)).issuer.by).toBe('kid');
    expect(policy.admit(sign(b, enc('agent-b'))).issuer).toMatchObject({ by: 'kid', kid: enc('agent-b') });
    expect(policy.admit(sign(b)).issuer.by).toBe('kid');
    expect(policy.admit(sign(c, enc('agent-c'))).issuer.by).toBe('kid');
    expect(policy.admit(sign(c)).issuer.by).toBe('kid');
    expect(() => policy.admit(sign(b, enc('agent-c')))).toThrow(/COSE_KEY_MISMATCH/);
    const chained = signStatement({ key: leafKey, iss: 'https://agents.example/planner', sub: 'task', contentType: 'application/json', payload: enc('{}'), x5chain: [leaf.der] });
    expect(policy.admit(chained, { now: TEST_NOW }).issuer).toMatchObject({ by: 'x5chain', trust: 'trust-anchor' });
  });

  it('reads JWK and COSE_Key files without a kid, and a key given twice as one key', () => {
    const policy = load({ issuers: { keys: ['keys/d.jwk', 'keys/d.pub.cbor', 'keys/d-with-kid.pub.cbor'] } });
    expect(policy.description.issuers.keys).toEqual([{ thumbprint: hex(coseKeyThumbprint(d.publicKey)), kids: [hex(enc('agent-d'))], crv: 'P-256' }]);
    policy.admit(sign(d));
    policy.admit(sign(d, enc('agent-d')));
  });

  it('refuses private keys, key sets and keys atlog does not verify with, by setting, never showing the key', () => {
    for (const [file, words] of [
      ['keys/a.key.pem', 'private key'],
      ['keys/a.private.jwk', 'private key'],
      ['keys/private.cbor', 'private key'],
      ['keys/set.jwks', 'JWK Set'],
      ['keys/set.cbor', 'COSE_KeySet'],
      ['keys/rsa.pem', 'KEY_UNSUPPORTED'],
      ['keys/duplicate-member.jwk', 'twice'],
      ['keys/missing.pem', 'ENOENT'],
    ] as const) {
      const error = configRefusal(() => load({ issuers: { keys: ['keys/a.pub.pem', 'keys/b.jwk', file] } }));
      expect(error.setting).toBe('issuers.keys[2]');
      expect(error.message).toContain(`issuers.keys[2] ("${file}"): `);
      expect(error.message).toContain(words);
      expect(error.message).not.toMatch(/BEGIN|MIG|"d"|\/etc\/atlog/);
    }
  });

  it('refuses a trust anchor that is not a CA, or not a certificate', () => {
    for (const file of ['ca/leaf.pem', 'ca/private.pem', 'keys/a.pub.pem']) {
      const error = configRefusal(() => load({ issuers: { trustAnchors: ['ca/agents-root.pem', file] } }));
      expect(error.setting).toBe('issuers.trustAnchors[1]');
      expect(error.message).toContain('CERT_BAD_TRUST_ANCHOR');
    }
  });

  it('reads a PEM bundle as several anchors', () => {
    const policy = load({ issuers: { trustAnchors: ['ca/bundle.pem', 'ca/agents-root.pem'] } });
    expect(policy.description.issuers.trustAnchors).toHaveLength(2);
  });

  it('refuses unknown settings and wrong types with the path of the setting', () => {
    const cases: [unknown, string][] = [
      [{ ...FULL, development: true }, 'development'],
      [{ ...FULL, issuers: { ...FULL.issuers, dids: [] } }, 'issuers.dids'],
      [{ issuers: { keys: ['keys/a.pub.pem', 'keys/b.jwk', 42] } }, 'issuers.keys[2]'],
      [{ issuers: { keys: ['keys/a.pub.pem', ''] } }, 'issuers.keys[1]'],
      [{ issuers: { keys: 'keys/a.pub.pem' } }, 'issuers.keys'],
      [{ issuers: [] }, 'issuers'],
      [{ issuers: {} }, 'issuers'],
      [{}, 'issuers'],
      [[], 'policy'],
      [null, 'policy'],
      [{ ...FULL, algorithms: ['ES256', 'ES512'] }, 'algorithms[1]'],
      [{ ...FULL, algorithms: ['ES256', 'ES256'] }, 'algorithms[1]'],
      [{ ...FULL, algorithms: [] }, 'algorithms'],
      [{ ...FULL, maxStatementBytes: 65_536 }, 'maxStatementBytes'],
      [{ ...FULL, maxStatementBytes: 1000.5 }, 'maxStatementBytes'],
      [{ ...FULL, maxStatementBytes: '1000' }, 'maxStatementBytes'],
      [{ ...FULL, contentTypes: ['application/json', 'text'] }, 'contentTypes[1]'],
      [{ ...FULL, 'a b': 1 }, '["a b"]'],
    ];
    for (const [config, setting] of cases) {
      const error = configRefusal(() => load(config));
      expect(error.setting, JSON.stringify(config)).toBe(setting);
      expect(error.message.startsWith(setting)).toBe(true);
    }
  });

  it('bounds the lists before reading any file', () => {
    let reads = 0;
    const counting: ReadPolicyFile = (path, max) => {
      reads++;
      return readFile(path, max);
    };
    const error = configRefusal(() => loadPolicy({ issuers: { keys: new Array(100_000).fill('keys/a.pub.pem') } }, { baseDir: BASE, readFile: counting }));
    expect(error.setting).toBe('issuers.keys');
    expect(reads).toBe(0);
    const oversized: ReadPolicyFile = () => new Uint8Array(10 * 1024 * 1024);
    expect((configRefusal(() => loadPolicy({ issuers: { keys: ['k.pem'] } }, { baseDir: BASE, readFile: oversized }))).message).toContain('larger than');
  });

  it('can never be open', () => {
    const error = configRefusal(() => load({ issuers: {} }));
    expect(error.message).toContain('at least one issuer key or trust anchor');
  });
});

describe('parsePolicyConfig', () => {
  it('reads strict JSON', () => {
    expect(parsePolicyConfig(enc(' {"issuers": {"keys": ["a.pem"]}}\n'))).toEqual({ issuers: { keys: ['a.pem'] } });
  });

  it('refuses duplicate members, bad UTF-8, deep nesting and huge files', () => {
    const refuse = (text: Uint8Array | string, words: string) => {
      try {
        parsePolicyConfig(text);
      } catch (error) {
        expect((error as PolicyError).code).toBe('POLICY_CONFIG');
        expect((error as PolicyError).message).toContain(words);
        return;
      }
      throw new Error('accepted');
    };
    refuse('{"maxStatementBytes": 100, "maxStatementBytes": 65535}', 'twice');
    refuse(new Uint8Array([0x7b, 0xff, 0x7d]), 'UTF-8');
    refuse('['.repeat(10_000) + ']'.repeat(10_000), 'nested deeper');
    refuse(new Uint8Array(1024 * 1024).fill(0x20), 'larger than');
    refuse('{"a": 1,}', 'expected a member name');
    refuse('{"a": 1} x', 'after the value');
    refuse('// comment\n{}', 'unexpected character');
  });

  it('keeps "__proto__" a member, which is then not a setting', () => {
    const config = parsePolicyConfig('{"__proto__": {"issuers": {"keys": ["keys/a.pub.pem"]}}}');
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect((configRefusal(() => load(config))).setting).toBe('__proto__');
  });
});

describe('the digest', () => {
  const digestOf = (config: unknown, payloadChecks?: readonly PayloadCheck[]) => load(config, payloadChecks).digest;

  it('is the same however the file is ordered, spaced or cased', () => {
    const reordered = parsePolicyConfig(`{
      "issuers": {
        "trustAnchors": ["ca/other-root.der", "./ca/agents-root.pem"],
        "keys": ["keys/c.pub.cbor", "keys/b.jwk", "keys/../keys/a.pub.pem"]
      },
      "contentTypes": [50, "Application/JSON"],
      "maxStatementBytes": 32768,
      "algorithms": ["EdDSA", "ES384", "ES256"]
    }`);
    expect(digestOf(reordered)).toBe(digestOf(FULL));
    expect(digestOf(FULL)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes whenever the policy does', () => {
    const digests = [
      digestOf(FULL),
      digestOf({ ...FULL, algorithms: ['ES256', 'EdDSA'] }),
      digestOf({ ...FULL, maxStatementBytes: 32_767 }),
      digestOf({ ...FULL, contentTypes: ['application/json'] }),
      digestOf({ ...FULL, contentTypes: undefined }),
      digestOf({ ...FULL, issuers: { ...FULL.issuers, keys: ['keys/a.pub.pem', 'keys/b.jwk'] } }),
      digestOf({ ...FULL, issuers: { ...FULL.issuers, keys: [...FULL.issuers.keys, 'keys/d-with-kid.pub.cbor'] } }),
      digestOf({ ...FULL, issuers: { ...FULL.issuers, trustAnchors: ['ca/agents-root.pem'] } }),
      digestOf(FULL, [{ name: 'agent-statement/v1', check() {} }]),
      digestOf(FULL, [{ name: 'agent-statement/v2', check() {} }]),
    ];
    expect(new Set(digests).size).toBe(digests.length);
    // A key's own kid is part of what it matches, so part of the policy.
    const withoutKid = digestOf({ issuers: { keys: ['keys/d.pub.cbor'] } });
    const withKid = digestOf({ issuers: { keys: ['keys/d-with-kid.pub.cbor'] } });
    expect(withoutKid).not.toBe(withKid);
    // …but not how the key was written down.
    expect(digestOf({ issuers: { keys: ['keys/d.jwk'] } })).toBe(withoutKid);
  });
});

describe('policyFromOptions', () => {
  it('gives the open development policy when nothing is configured', () => {
    const policy = policyFromOptions({ cwd: BASE, readFile });
    expect(policy.open).toBe(true);
    const empty = policyFromOptions({ cwd: BASE, readFile, issuerKeys: [], trustAnchors: [] });
    expect(empty.open).toBe(true);
  });

  it('trusts the flags’ keys and anchors without a file', () => {
    const policy = policyFromOptions({ cwd: BASE, readFile, issuerKeys: ['keys/a.pub.pem', `${BASE}/keys/b.jwk`], trustAnchors: ['ca/agents-root.pem'] });
    expect(policy.open).toBe(false);
    policy.admit(sign(a));
    policy.admit(sign(b, enc('agent-b')));
    const error = configRefusal(() => policyFromOptions({ cwd: BASE, readFile, issuerKeys: ['keys/a.pub.pem', 'keys/a.key.pem'] }));
    expect(error.setting).toBe('--issuer-key[1]');
    expect(error.message).toContain('--issuer-key[1] ("keys/a.key.pem"): ');
  });

  it('adds the flags to the file’s lists: the same policy as one file with both', () => {
    files.set(`${BASE}/policy.json`, enc(JSON.stringify({ ...FULL, issuers: { keys: ['keys/a.pub.pem'], trustAnchors: ['ca/agents-root.pem'] } })));
    const combined = policyFromOptions({
      policyFile: 'policy.json',
      cwd: BASE,
      readFile,
      issuerKeys: ['keys/b.jwk', 'keys/c.pub.cbor'],
      trustAnchors: ['ca/other-root.der'],
    });
    expect(combined.digest).toBe((load(FULL)).digest);
  });

  it('adds the flags in loadPolicy too, with the flags’ names in errors', () => {
    const config = { ...FULL, issuers: { keys: ['keys/a.pub.pem'], trustAnchors: ['ca/agents-root.pem'] } };
    const combined = loadPolicy(config, { baseDir: BASE, readFile, extra: { cwd: BASE, issuerKeys: ['keys/b.jwk', 'keys/c.pub.cbor'], trustAnchors: ['ca/other-root.der'] } });
    expect(combined.digest).toBe(load(FULL).digest);
    const error = configRefusal(() => loadPolicy(config, { baseDir: BASE, readFile, extra: { cwd: BASE, trustAnchors: ['ca/leaf.pem'] } }));
    expect(error.setting).toBe('--trust-anchor[0]');
  });

  it('resolves the file’s names against its directory, the flags’ against cwd', () => {
    files.set(`${BASE}/sub/policy.json`, enc(JSON.stringify({ issuers: { keys: ['../keys/a.pub.pem'] } })));
    const policy = policyFromOptions({ policyFile: 'sub/policy.json', cwd: BASE, readFile, issuerKeys: ['keys/c.pub.cbor'] });
    expect(policy.description.issuers.keys).toHaveLength(2);
    const error = configRefusal(() => policyFromOptions({ policyFile: 'sub/policy.json', cwd: '/elsewhere', readFile }));
    expect(error.setting).toBe('--config');
  });

  it('names the file in a syntax error', () => {
    files.set(`${BASE}/broken.json`, enc('{"issuers": '));
    const error = configRefusal(() => policyFromOptions({ policyFile: 'broken.json', cwd: BASE, readFile }));
    expect(error.message).toMatch(/^--config \("broken.json"\): not strict JSON/);
  });
});

describe('on the file system', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('atlog-policy-');
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, 'keys', 'a.pub.pem'), exportPublicKeyPem(a.publicKey));
    writeFileSync(join(dir, 'root.pem'), toPem(root.der));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ contentTypes: ['application/json'], issuers: { keys: ['keys/a.pub.pem'] } }, null, 2));
    writeFileSync(join(dir, 'huge.pem'), Buffer.alloc(2 * 1024 * 1024, 0x41));
  });

  it('loads a policy file and the flags with the default reader', () => {
    const policy: RegistrationPolicy = loadPolicyFile(join(dir, 'policy.json'));
    policy.admit(sign(a));
    const withFlags = policyFromOptions({ policyFile: 'policy.json', cwd: dir, trustAnchors: ['root.pem'] });
    expect(withFlags.description.issuers.trustAnchors).toHaveLength(1);
  });

  it('refuses a missing file, a directory and an oversized file, by setting', () => {
    expect((configRefusal(() => policyFromOptions({ cwd: dir, issuerKeys: ['nope.pem'] }))).message).toContain('ENOENT');
    expect((configRefusal(() => policyFromOptions({ cwd: dir, issuerKeys: ['keys'] }))).message).toMatch(/cannot be read/);
    expect((configRefusal(() => policyFromOptions({ cwd: dir, trustAnchors: ['huge.pem'] }))).message).toContain('larger than');
  });
});
