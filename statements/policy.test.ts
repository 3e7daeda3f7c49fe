// The registration policy's rules, one by one and in their order, on real statements: keys from
// receipts/, certificate chains from real PKIs (test/support/test-pki.ts), did:jwk issuers.
import { thrown } from '../test/support/errors.js';
import { KeyObject, createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CoseAlgorithm,
  type CborValue,
  type KeyPair,
  type SignedStatement,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  encodeProtectedHeader,
  encodeSign1,
  generateKeyPair,
  signSign1,
  signStatement,
  type SignStatementOptions,
} from '../receipts/index.js';
import { CoseError } from '../receipts/index.js';
import { loadTrustAnchors } from '../verifier/index.js';
import { daysFromNow, generateTestKeys, issueCa, issueLeaf, TEST_NOW, type TestCertificate } from '../test/support/test-pki.js';
import { type PayloadCheck, PolicyError, type RegistrationPolicy, createPolicy, developmentPolicy, didJwkFor } from './index.js';

const enc = (text: string) => new TextEncoder().encode(text);
const b64u = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const PAYLOAD = enc('{"action":"transfer","ok":true}');

let es256: KeyPair;
let eddsa: KeyPair;
let es384: KeyPair;
let stranger: KeyPair;
let policy: RegistrationPolicy;

let root: TestCertificate;
let leaf: TestCertificate;
let expiredLeaf: TestCertificate;
let otherRoot: TestCertificate;
let otherLeaf: TestCertificate;
let leafKey: KeyObject;
let expiredKey: KeyObject;
let otherLeafKey: KeyObject;

function sign(pair: KeyPair, options: Partial<SignStatementOptions> = {}): Uint8Array {
  return signStatement({ key: pair.privateKey, iss: 'https://agents.example/planner', sub: 'task-1', contentType: 'application/json', payload: PAYLOAD, ...options });
}

function x5chainStatement(key: KeyObject, chain: readonly Uint8Array[], options: Partial<SignStatementOptions> = {}): Uint8Array {
  return signStatement({ key, iss: 'https://agents.example/planner', sub: 'task-1', contentType: 'application/json', payload: PAYLOAD, x5chain: chain, ...options });
}

/** A statement with any protected header and a signature of junk: for algorithms atlog cannot sign with. */
function crafted(header: Map<number, CborValue>, signatureLength = 64): Uint8Array {
  return encodeSign1({ protectedBytes: encodeProtectedHeader(header), unprotectedHeader: new Map(), payload: PAYLOAD, signature: new Uint8Array(signatureLength).fill(7) });
}

function claims(iss = 'https://agents.example/planner', sub = 'task-1'): Map<number, CborValue> {
  return new Map<number, CborValue>([
    [1, iss],
    [2, sub],
  ]);
}

function forged(statement: Uint8Array): Uint8Array {
  const copy = statement.slice();
  copy[copy.length - 1]! ^= 0x01;
  return copy;
}

const refusal = (admit: () => unknown): PolicyError => thrown(admit, PolicyError);

function refused(admit: () => unknown, code: string, rule: string): PolicyError {
  const error = refusal(admit);
  expect({ code: error.code, rule: error.rule, message: error.message }).toMatchObject({ code, rule });
  expect(error.message.startsWith(`${rule}: `)).toBe(true);
  return error;
}

const didJwkOf = (jwk: object) => `did:jwk:${b64u(JSON.stringify(jwk))}`;

beforeAll(async () => {
  es256 = generateKeyPair(CoseAlgorithm.ES256);
  eddsa = generateKeyPair(CoseAlgorithm.EdDSA);
  es384 = generateKeyPair(CoseAlgorithm.ES384);
  stranger = generateKeyPair(CoseAlgorithm.ES256);
  const keys = await generateTestKeys();
  root = await issueCa({ subject: 'CN=Agents Root CA', key: keys.p384a });
  leaf = await issueLeaf({ subject: 'CN=planner-agent', key: keys.p256a, issuer: root, subjectAltNames: [{ type: 'url', value: 'https://agents.example/planner' }] });
  expiredLeaf = await issueLeaf({ subject: 'CN=old-agent', key: keys.p256b, issuer: root, notBefore: daysFromNow(-60), notAfter: daysFromNow(-1) });
  otherRoot = await issueCa({ subject: 'CN=Other Root CA', key: keys.p384b });
  otherLeaf = await issueLeaf({ subject: 'CN=other-agent', key: keys.p256c, issuer: otherRoot });
  leafKey = KeyObject.from(keys.p256a.pair.privateKey);
  expiredKey = KeyObject.from(keys.p256b.pair.privateKey);
  otherLeafKey = KeyObject.from(keys.p256c.pair.privateKey);
  policy = createPolicy({ issuerKeys: [es256.publicKey, eddsa.publicKey, es384.publicKey], trustAnchors: loadTrustAnchors([root.der]) });
});

describe('a closed policy', () => {
  it('admits a kid issuer and says how it recognised it', () => {
    const admission = policy.admit(sign(es256));
    expect(admission.issuer).toEqual({ by: 'kid', kid: coseKeyThumbprint(es256.publicKey), thumbprint: coseKeyThumbprint(es256.publicKey) });
    expect(admission.statement).toMatchObject({ iss: 'https://agents.example/planner', sub: 'task-1', contentType: 'application/json' });
    expect(admission.policyDigest).toBe(policy.digest);
    expect(policy.open).toBe(false);
    expect(Object.isFrozen(admission)).toBe(true);
  });

  it('admits every default algorithm', () => {
    for (const pair of [es256, eddsa, es384]) expect(policy.admit(sign(pair)).statement.alg).toBe(pair === es256 ? -7 : pair === eddsa ? -8 : -35);
  });

  it('matches a key by its own kid as well as by its thumbprint', () => {
    const own = enc('agent-a-2026');
    const withKid = createPolicy({ issuerKeys: [{ key: es256.publicKey, kid: own }] });
    expect(withKid.admit(sign(es256, { kid: own })).issuer).toMatchObject({ by: 'kid', kid: own });
    expect(withKid.admit(sign(es256)).issuer).toMatchObject({ by: 'kid', kid: coseKeyThumbprint(es256.publicKey) });
    const coseWithKid = createPolicy({ issuerKeys: [coseKeyFromKeyObject(eddsa.publicKey, { kid: own })] });
    expect(coseWithKid.admit(sign(eddsa, { kid: own })).issuer.by).toBe('kid');
  });

  it('admits an x5chain that leads to a configured anchor', () => {
    const admission = policy.admit(x5chainStatement(leafKey, [leaf.der]), { now: TEST_NOW });
    expect(admission.issuer).toMatchObject({ by: 'x5chain', trust: 'trust-anchor', certificate: { subject: 'CN=planner-agent' }, anchor: { subject: 'CN=Agents Root CA' } });
    // The root in the chain is the configured anchor: same result.
    expect(policy.admit(x5chainStatement(leafKey, [leaf.der, root.der]), { now: TEST_NOW }).issuer).toMatchObject({ trust: 'trust-anchor' });
  });

  it('refuses an x5chain to another root, an expired one, and any x5chain without anchors', () => {
    const other = refused(() => policy.admit(x5chainStatement(otherLeafKey, [otherLeaf.der, otherRoot.der]), { now: TEST_NOW }), 'POLICY_ISSUER_CERTIFICATE', 'issuers');
    expect(other.message).toContain('CERT_UNTRUSTED_ROOT');
    expect((other.cause as { code?: string }).code).toBe('CERT_UNTRUSTED_ROOT');
    const expired = refused(() => policy.admit(x5chainStatement(expiredKey, [expiredLeaf.der]), { now: TEST_NOW }), 'POLICY_ISSUER_CERTIFICATE', 'issuers');
    expect(expired.message).toContain('CERT_EXPIRED');
    // The time of admission decides: the same chain, a year and a day on.
    refused(() => policy.admit(x5chainStatement(leafKey, [leaf.der]), { now: daysFromNow(366) }), 'POLICY_ISSUER_CERTIFICATE', 'issuers');
    const keysOnly = createPolicy({ issuerKeys: [es256.publicKey] });
    expect(refused(() => keysOnly.admit(x5chainStatement(leafKey, [leaf.der]), { now: TEST_NOW }), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('no trust anchors');
  });

  it('refuses an unknown kid, without the key', () => {
    const error = refused(() => policy.admit(sign(stranger)), 'POLICY_ISSUER_UNKNOWN', 'issuers');
    expect(error.message).toContain(Buffer.from(coseKeyThumbprint(stranger.publicKey)).toString('hex'));
  });

  it('refuses an issuer whose key is only in the unprotected header', () => {
    // A protected kid no one knows, and the certificate that would authenticate it unprotected:
    // registration empties the unprotected header, so the log could not keep it.
    const statement = signStatement({
      key: leafKey,
      iss: 'https://agents.example/planner',
      sub: 'task-1',
      contentType: 'application/json',
      payload: PAYLOAD,
      kid: enc('planner'),
      unprotectedHeader: new Map([[33, leaf.der]]),
    });
    expect(refused(() => policy.admit(statement, { now: TEST_NOW }), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('unprotected header');
    expect(refused(() => developmentPolicy().admit(statement, { now: TEST_NOW }), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('unprotected header');
  });

  it('refuses an x5t without the chain', () => {
    const certificateHash = createHash('sha256').update(leaf.der).digest();
    const statement = signSign1({
      key: leafKey,
      payload: PAYLOAD,
      protectedHeader: new Map<number, CborValue>([
        [15, claims()],
        [3, 'application/json'],
        [34, [-16, new Uint8Array(certificateHash)]],
      ]),
    });
    expect(refused(() => policy.admit(statement, { now: TEST_NOW }), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('x5t');
  });

  it('refuses did:jwk issuers unless their key is configured', () => {
    const iss = didJwkFor(stranger.publicKey);
    expect(refused(() => policy.admit(sign(stranger, { iss })), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('open development policy');
    const configured = createPolicy({ issuerKeys: [stranger.publicKey] });
    expect(configured.admit(sign(stranger, { iss })).issuer.by).toBe('kid');
  });

  it('refuses a signature that does not verify, or a key of another curve', () => {
    const error = refused(() => policy.admit(forged(sign(es256))), 'POLICY_BAD_SIGNATURE', 'signature');
    expect(error.message).toContain('COSE_BAD_SIGNATURE');
    expect(error.cause).toBeInstanceOf(CoseError);
    // Signed by the EdDSA key under the ES256 key's kid.
    const mismatch = sign(eddsa, { kid: coseKeyThumbprint(es256.publicKey) });
    expect(refused(() => policy.admit(mismatch), 'POLICY_BAD_SIGNATURE', 'signature').message).toContain('COSE_KEY_MISMATCH');
    // Signed by a stranger under a trusted kid.
    refused(() => policy.admit(sign(stranger, { kid: coseKeyThumbprint(es256.publicKey) })), 'POLICY_BAD_SIGNATURE', 'signature');
  });

  it('needs at least one issuer', () => {
    const error = refusal(() => createPolicy({}));
    expect({ code: error.code, rule: error.rule, setting: error.setting }).toEqual({ code: 'POLICY_CONFIG', rule: 'config', setting: 'issuers' });
  });

  it('refuses a private key as an issuer key', () => {
    const error = refusal(() => createPolicy({ issuerKeys: [es256.privateKey] }));
    expect({ code: error.code, setting: error.setting }).toEqual({ code: 'POLICY_CONFIG', setting: 'issuerKeys[0]' });
  });

  it('bounds the keys, and its description to what one log entry holds', () => {
    const many = Array.from({ length: 257 }, () => eddsa.publicKey);
    expect(refusal(() => createPolicy({ issuerKeys: many })).setting).toBe('issuerKeys');
    const longKids = Array.from({ length: 256 }, (_, i) => ({ key: generateKeyPair(CoseAlgorithm.EdDSA).publicKey, kid: new Uint8Array(256).fill(i) }));
    const error = refusal(() => createPolicy({ issuerKeys: longKids }));
    expect({ code: error.code, setting: error.setting }).toEqual({ code: 'POLICY_CONFIG', setting: 'issuers' });
    expect(error.message).toContain('one statement');
  });

  it('refuses one kid for two keys', () => {
    const kid = enc('shared');
    const error = refusal(() => createPolicy({ issuerKeys: [{ key: es256.publicKey, kid }, { key: eddsa.publicKey, kid }] }));
    expect(error.code).toBe('POLICY_CONFIG');
    expect(error.message).toContain('a kid must name one key');
  });
});

describe('max-statement-bytes', () => {
  it('admits up to the limit and refuses beyond, before decoding', () => {
    const statement = sign(es256);
    expect(createPolicy({ issuerKeys: [es256.publicKey], maxStatementBytes: statement.length }).admit(statement).issuer.by).toBe('kid');
    const error = refused(() => createPolicy({ issuerKeys: [es256.publicKey], maxStatementBytes: statement.length - 1 }).admit(statement), 'POLICY_TOO_LARGE', 'max-statement-bytes');
    expect(error.message).toContain(`${statement.length} bytes`);
  });

  it('defaults to the log’s entry limit, which no policy may exceed', () => {
    refused(() => policy.admit(sign(es256, { payload: new Uint8Array(70_000) })), 'POLICY_TOO_LARGE', 'max-statement-bytes');
    const error = refusal(() => createPolicy({ issuerKeys: [es256.publicKey], maxStatementBytes: 65_536 }));
    expect({ code: error.code, setting: error.setting }).toEqual({ code: 'POLICY_CONFIG', setting: 'maxStatementBytes' });
  });

  it('refuses a huge input at once', () => {
    const huge = new Uint8Array(64 * 1024 * 1024);
    const started = performance.now();
    refused(() => policy.admit(huge), 'POLICY_TOO_LARGE', 'max-statement-bytes');
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('statement', () => {
  it('refuses what is not a signed statement, with the decoder’s code', () => {
    const statement = sign(es256);
    expect(refused(() => policy.admit(statement.subarray(0, statement.length - 10)), 'POLICY_MALFORMED', 'statement').message).toContain('CBOR_TRUNCATED');
    expect(refused(() => policy.admit(enc('not cbor at all')), 'POLICY_MALFORMED', 'statement').cause).toBeInstanceOf(CoseError);
    refused(() => policy.admit(new Uint8Array(0)), 'POLICY_MALFORMED', 'statement');
    // No CWT claims.
    refused(() => policy.admit(crafted(new Map<number, CborValue>([[1, -7], [4, enc('k')]]))), 'POLICY_MALFORMED', 'statement');
  });

  it('refuses deep nesting without recursing into it', () => {
    const deep = new Uint8Array(60_000).fill(0x81); // [[[[…
    expect(refused(() => policy.admit(deep), 'POLICY_MALFORMED', 'statement').message).toContain('CBOR_TOO_DEEP');
    const deepMaps = new Uint8Array(60_000);
    for (let i = 0; i < deepMaps.length; i += 2) deepMaps.set([0xa1, 0x01], i); // {1: {1: …
    refused(() => policy.admit(deepMaps), 'POLICY_MALFORMED', 'statement');
  });

  it('refuses a detached payload as missing', () => {
    refused(() => policy.admit(sign(es256, { detached: true })), 'POLICY_PAYLOAD_MISSING', 'statement');
  });

  it('refuses a non-Uint8Array or a bad time as misuse', () => {
    expect(refusal(() => policy.admit('statement' as unknown as Uint8Array)).code).toBe('POLICY_BAD_ARGUMENT');
    expect(refusal(() => policy.admit(sign(es256), { now: new Date(Number.NaN) })).code).toBe('POLICY_BAD_ARGUMENT');
  });
});

describe('algorithms', () => {
  it('refuses an algorithm off the list, by name, for SCRAPI’s Bad Signature Algorithm', () => {
    const narrow = createPolicy({ issuerKeys: [es256.publicKey, eddsa.publicKey], algorithms: [CoseAlgorithm.ES256] });
    expect(narrow.admit(sign(es256)).statement.alg).toBe(CoseAlgorithm.ES256);
    const error = refused(() => narrow.admit(sign(eddsa)), 'POLICY_BAD_ALGORITHM', 'algorithms');
    expect(error.message).toBe('algorithms: EdDSA is not accepted; this policy accepts ES256');
  });

  it('refuses algorithms atlog does not verify (ES512, PS256) by number', () => {
    for (const alg of [-36, -37, 0]) {
      const header = new Map<number, CborValue>([[1, alg], [15, claims()], [3, 'application/json'], [4, coseKeyThumbprint(es256.publicKey)]]);
      expect(refused(() => policy.admit(crafted(header)), 'POLICY_BAD_ALGORITHM', 'algorithms').message).toContain(`alg ${alg} is not accepted`);
    }
  });

  it('accepts only algorithms atlog verifies in the list', () => {
    const error = refusal(() => createPolicy({ issuerKeys: [es256.publicKey], algorithms: [-36 as CoseAlgorithm] }));
    expect({ code: error.code, setting: error.setting }).toEqual({ code: 'POLICY_CONFIG', setting: 'algorithms[0]' });
  });
});

describe('content-types', () => {
  let typed: RegistrationPolicy;
  beforeAll(() => {
    typed = createPolicy({ issuerKeys: [es256.publicKey], contentTypes: ['application/json', 'application/vnd.agent-tlog.audit+json', 50] });
  });

  it('admits a listed media type, whatever its case and parameters, and a listed content format', () => {
    typed.admit(sign(es256));
    typed.admit(sign(es256, { contentType: 'Application/JSON; charset=utf-8' }));
    typed.admit(sign(es256, { contentType: 50 }));
  });

  it('counts the preimage content type of a hash envelope', () => {
    const envelope = sign(es256, { contentType: undefined, hashEnvelope: { preimageContentType: 'application/vnd.agent-tlog.audit+json' } });
    expect(typed.admit(envelope).statement.hashEnvelope).toBeDefined();
    const wrong = sign(es256, { contentType: undefined, hashEnvelope: { preimageContentType: 'text/plain' } });
    expect(refused(() => typed.admit(wrong), 'POLICY_CONTENT_TYPE', 'content-types').message).toContain('preimage content type "text/plain"');
    const none = sign(es256, { contentType: undefined, hashEnvelope: true });
    expect(refused(() => typed.admit(none), 'POLICY_CONTENT_TYPE', 'content-types').message).toContain('preimage content type (259)');
  });

  it('refuses another type, another content format, or none', () => {
    expect(refused(() => typed.admit(sign(es256, { contentType: 'text/plain' })), 'POLICY_CONTENT_TYPE', 'content-types').message).toContain('"text/plain" is not accepted');
    refused(() => typed.admit(sign(es256, { contentType: 60 })), 'POLICY_CONTENT_TYPE', 'content-types');
    refused(() => typed.admit(sign(es256, { contentType: undefined })), 'POLICY_CONTENT_TYPE', 'content-types');
    // A prefix is not the type.
    refused(() => typed.admit(sign(es256, { contentType: 'application/jsonx' })), 'POLICY_CONTENT_TYPE', 'content-types');
  });

  it('admits any content type, or none, without a list', () => {
    policy.admit(sign(es256, { contentType: undefined }));
    policy.admit(sign(es256, { contentType: 'text/plain' }));
  });

  it('refuses parameters, duplicates and non-media-types in the list', () => {
    for (const [contentTypes, setting] of [
      [['application/json; charset=utf-8'], 'contentTypes[0]'],
      [['application/json', 'APPLICATION/JSON'], 'contentTypes[1]'],
      [['json'], 'contentTypes[0]'],
      [[70_000], 'contentTypes[0]'],
      [[], 'contentTypes'],
    ] as const) {
      const error = refusal(() => createPolicy({ issuerKeys: [es256.publicKey], contentTypes: contentTypes as unknown as string[] }));
      expect({ code: error.code, setting: error.setting }).toEqual({ code: 'POLICY_CONFIG', setting });
    }
  });
});

describe('payload checks', () => {
  const parsesAsJson: PayloadCheck = {
    name: 'json',
    check(statement) {
      JSON.parse(new TextDecoder().decode(statement.payload!));
    },
  };
  const seen: string[] = [];
  const hasAction: PayloadCheck = {
    name: 'agent-statement/v1',
    check(statement: SignedStatement) {
      seen.push(statement.sub);
      const body = JSON.parse(new TextDecoder().decode(statement.payload!)) as { action?: unknown };
      if (typeof body.action !== 'string') throw new Error('the statement has no action\nsecond line');
    },
  };

  it('run after the signature, in order, the first refusal named', () => {
    const checked = createPolicy({ issuerKeys: [es256.publicKey], agentStatements: { enabled: false }, payloadChecks: [parsesAsJson, hasAction] });
    expect(checked.description.payloadChecks).toEqual(['json', 'agent-statement/v1']);
    checked.admit(sign(es256));
    const notJson = refused(() => checked.admit(sign(es256, { payload: enc('{') })), 'POLICY_PAYLOAD', 'payload:json');
    expect(notJson.cause).toBeInstanceOf(SyntaxError);
    const noAction = refused(() => checked.admit(sign(es256, { payload: enc('{}') })), 'POLICY_PAYLOAD', 'payload:agent-statement/v1');
    expect(noAction.message).toBe('payload:agent-statement/v1: the statement has no action second line');
    // A forged statement never reaches the checks.
    seen.length = 0;
    refused(() => checked.admit(forged(sign(es256, { payload: enc('{}') }))), 'POLICY_BAD_SIGNATURE', 'signature');
    expect(seen).toEqual([]);
  });

  it('see how the issuer was recognised', () => {
    const issuers: string[] = [];
    const bindsIssuer: PayloadCheck = {
      name: 'iss-in-san',
      check(statement, issuer) {
        issuers.push(issuer.by);
        if (issuer.by === 'x5chain' && !issuer.certificate.subjectAltNames.some((name) => name.type === 'url' && name.value === statement.iss)) {
          throw new Error('iss is not a URI SAN of the leaf');
        }
      },
    };
    const bound = createPolicy({ issuerKeys: [es256.publicKey], trustAnchors: loadTrustAnchors([root.der]), payloadChecks: [bindsIssuer] });
    bound.admit(sign(es256));
    bound.admit(x5chainStatement(leafKey, [leaf.der]), { now: TEST_NOW });
    refused(() => bound.admit(x5chainStatement(leafKey, [leaf.der], { iss: 'https://agents.example/someone-else' }), { now: TEST_NOW }), 'POLICY_PAYLOAD', 'payload:iss-in-san');
    expect(issuers).toEqual(['kid', 'x5chain', 'x5chain']);
  });

  it('keep the code of a typed refusal and bound the message', () => {
    const typed = createPolicy({
      issuerKeys: [es256.publicKey],
      payloadChecks: [{ name: 'typed', check: () => { throw new PolicyError('POLICY_PAYLOAD', 'payload:inner', 'x'.repeat(10_000)); } }],
    });
    const error = refused(() => typed.admit(sign(es256)), 'POLICY_PAYLOAD', 'payload:typed');
    expect(error.message).toContain('POLICY_PAYLOAD: xxx');
    expect(error.message.length).toBeLessThan(400);
  });

  it('must be synchronous, and well named', () => {
    const asynchronous = createPolicy({ issuerKeys: [es256.publicKey], payloadChecks: [{ name: 'later', check: (async () => { throw new Error('no'); }) as unknown as PayloadCheck['check'] }] });
    expect(refusal(() => asynchronous.admit(sign(es256))).code).toBe('POLICY_BAD_ARGUMENT');
    for (const payloadChecks of [[{ name: 'has space', check() {} }], [parsesAsJson, parsesAsJson], [{ name: 'x' }]]) {
      expect(refusal(() => createPolicy({ issuerKeys: [es256.publicKey], payloadChecks: payloadChecks as PayloadCheck[] })).code).toBe('POLICY_BAD_ARGUMENT');
    }
  });
});

describe('the order of the rules', () => {
  it('refuses a statement that breaks several rules by the first', () => {
    const failing: PayloadCheck = { name: 'never', check: () => { throw new Error('no'); } };
    const strict = createPolicy({ issuerKeys: [es256.publicKey, eddsa.publicKey], algorithms: [CoseAlgorithm.ES256], contentTypes: ['application/json'], payloadChecks: [failing], maxStatementBytes: 1000 });
    const big = new Uint8Array(2000);
    // Each statement breaks every rule from its own onwards.
    const cases: [Uint8Array, string][] = [
      [forged(sign(eddsa, { contentType: 'text/plain', kid: enc('unknown'), payload: big })), 'max-statement-bytes'],
      [forged(sign(eddsa, { contentType: 'text/plain', kid: enc('unknown') })), 'algorithms'],
      [forged(sign(stranger, { contentType: 'text/plain' })), 'content-types'],
      [forged(sign(stranger)), 'issuers'],
      [forged(sign(es256)), 'signature'],
      [sign(es256), 'payload:never'],
    ];
    expect(cases.map(([statement]) => refusal(() => strict.admit(statement)).rule)).toEqual(cases.map(([, rule]) => rule));
    // The statement rule comes between size and algorithm: malformed and off-list at once.
    const header = new Map<number, CborValue>([[1, -36], [4, enc('k')]]); // no CWT claims
    expect(refusal(() => strict.admit(crafted(header))).rule).toBe('statement');
  });
});

describe('the development policy', () => {
  const dev = () => developmentPolicy();

  it('is open and says so', () => {
    const open = dev();
    expect(open.open).toBe(true);
    expect(open.description.open).toBe(true);
    expect(open.description.issuers).toEqual({ keys: [], trustAnchors: [], unanchoredX5chain: true, didJwk: true });
  });

  it('admits an x5chain to a root that is no anchor, validated as a chain', () => {
    const admission = dev().admit(x5chainStatement(leafKey, [leaf.der, root.der]), { now: TEST_NOW });
    expect(admission.issuer).toMatchObject({ by: 'x5chain', trust: 'unanchored-development-root', certificate: { subject: 'CN=planner-agent' } });
  });

  it('refuses an expired certificate, a chain without its root, and a forged signature', () => {
    expect(refused(() => dev().admit(x5chainStatement(expiredKey, [expiredLeaf.der, root.der]), { now: TEST_NOW }), 'POLICY_ISSUER_CERTIFICATE', 'issuers').message).toContain('CERT_EXPIRED');
    expect(refused(() => dev().admit(x5chainStatement(leafKey, [leaf.der]), { now: TEST_NOW }), 'POLICY_ISSUER_CERTIFICATE', 'issuers').message).toContain('CERT_UNTRUSTED_ROOT');
    refused(() => dev().admit(forged(x5chainStatement(leafKey, [leaf.der, root.der])), { now: TEST_NOW }), 'POLICY_BAD_SIGNATURE', 'signature');
  });

  it('admits a did:jwk issuer whose kid is its thumbprint or its DID URL', () => {
    for (const pair of [es256, eddsa, es384]) {
      const iss = didJwkFor(pair.publicKey);
      expect(dev().admit(sign(pair, { iss })).issuer).toEqual({ by: 'did:jwk', iss, thumbprint: coseKeyThumbprint(pair.publicKey) });
      expect(dev().admit(sign(pair, { iss, kid: enc(`${iss}#0`) })).issuer.by).toBe('did:jwk');
    }
  });

  it('refuses a did:jwk with a private key, another kid, or another signer', () => {
    const jwk = es256.privateKey.export({ format: 'jwk' });
    const leaked = didJwkOf(jwk);
    expect(refused(() => dev().admit(sign(es256, { iss: leaked })), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('private member "d"');
    const iss = didJwkFor(es256.publicKey);
    expect(refused(() => dev().admit(sign(es256, { iss, kid: enc('agent-a') })), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('thumbprint');
    // The kid and iss of es256, the signature of a stranger.
    refused(() => dev().admit(sign(stranger, { iss, kid: coseKeyThumbprint(es256.publicKey) })), 'POLICY_BAD_SIGNATURE', 'signature');
    refused(() => dev().admit(sign(es256, { iss: 'did:jwk:' + 'A'.repeat(5000) })), 'POLICY_ISSUER_UNKNOWN', 'issuers');
  });

  it('refuses a kid issuer: it knows no keys', () => {
    expect(refused(() => dev().admit(sign(es256)), 'POLICY_ISSUER_UNKNOWN', 'issuers').message).toContain('knows no issuer keys');
  });

  it('keeps the other rules', () => {
    const narrow = developmentPolicy({ algorithms: [CoseAlgorithm.EdDSA], contentTypes: ['application/json'] });
    refused(() => narrow.admit(sign(es256, { iss: didJwkFor(es256.publicKey) })), 'POLICY_BAD_ALGORITHM', 'algorithms');
    refused(() => narrow.admit(sign(eddsa, { iss: didJwkFor(eddsa.publicKey), contentType: 'text/plain' })), 'POLICY_CONTENT_TYPE', 'content-types');
    expect(refusal(() => developmentPolicy({ issuerKeys: [es256.publicKey] } as never)).code).toBe('POLICY_BAD_ARGUMENT');
  });
});
