// The policy as a signed statement: what the service registers in its log when the digest changes.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CoseAlgorithm,
  type KeyPair,
  coseKeyThumbprint,
  exportPrivateKeyPem,
  generateKeyPair,
  parseStatement,
  verifyStatementSignature,
} from '../receipts/index.js';
import { loadTrustAnchors } from '../verifier/index.js';
import { generateTestKeys, issueCa, type TestCertificate } from '../test/support/test-pki.js';
import {
  POLICY_CONTENT_TYPE,
  PolicyError,
  type RegistrationPolicy,
  createPolicy,
  developmentPolicy,
  policyDigest,
  policyStatement,
  policySummary,
} from './index.js';

const NOW = new Date('2026-03-01T12:00:00.750Z');
let service: KeyPair;
let issuer: KeyPair;
let root: TestCertificate;
let policy: RegistrationPolicy;

beforeAll(async () => {
  service = generateKeyPair(CoseAlgorithm.ES256);
  issuer = generateKeyPair(CoseAlgorithm.EdDSA);
  const keys = await generateTestKeys();
  root = await issueCa({ subject: 'CN=Agents Root CA', key: keys.p384a });
  policy = createPolicy({
    issuerKeys: [{ key: issuer.publicKey, kid: new TextEncoder().encode('agent-b') }],
    trustAnchors: loadTrustAnchors([root.der]),
    contentTypes: ['application/json'],
    agentStatements: { enabled: false },
    payloadChecks: [{ name: 'agent-statement/v1', check() {} }],
  });
});

describe('policySummary', () => {
  it('says when the policy is open, and otherwise what it trusts', () => {
    expect(policySummary(developmentPolicy())).toMatch(/^OPEN development registration policy \(digest [0-9a-f]{16}\): admits any issuer/);
    expect(policySummary(policy)).toMatch(/^registration policy \(digest [0-9a-f]{16}\): 1 issuer key, 1 trust anchor; algorithms ES256, ES384, EdDSA; content types application\/json; at most 65535 bytes; payload checks agent-statement\/v1$/);
  });
});

describe('policyStatement', () => {
  it('signs the canonical description with the service key', () => {
    const statement = policyStatement(policy, { key: service.privateKey, iss: 'https://atlog.test', now: NOW });
    const verified = verifyStatementSignature(statement, service.publicKey);
    expect(verified).toMatchObject({ iss: 'https://atlog.test', sub: 'registration-policy', iat: 1772366400, contentType: POLICY_CONTENT_TYPE });
    expect(verified.kid).toEqual(coseKeyThumbprint(service.publicKey));
    const text = new TextDecoder().decode(verified.payload);
    expect(JSON.parse(text)).toEqual(policy.description);
    expect(createHash('sha256').update(verified.payload).digest('hex')).toBe(policy.digest);
    expect(policyDigest(policy.description)).toBe(policy.digest);
    // Canonical: sorted members, no whitespace.
    expect(text).toMatch(/^\{"algorithms":\["ES256","ES384","EdDSA"\],"contentTypes":\["application\/json"\],"issuers":\{"didJwk":false,"keys":\[\{"crv":"Ed25519","kids":\["6167656e742d62"\],"thumbprint":"[0-9a-f]{64}"\}\],"trustAnchors":\[\{"notAfter":"[^"]+","notBefore":"[^"]+","sha256":"[0-9a-f]{64}","subject":"CN=Agents Root CA"\}\],"unanchoredX5chain":false\},"maxStatementBytes":65535,"open":false,"payloadChecks":\["agent-statement\/v1"\],"version":1\}$/);
  });

  it('carries no key material, only thumbprints and fingerprints', () => {
    const statement = policyStatement(policy, { key: service.privateKey, iss: 'https://atlog.test', now: NOW });
    const text = new TextDecoder().decode(parseStatement(statement).payload!);
    const jwk = issuer.publicKey.export({ format: 'jwk' });
    const servicePrivate = service.privateKey.export({ format: 'jwk' });
    for (const secret of [jwk.x!, servicePrivate.d!, Buffer.from(root.der).toString('base64').slice(20, 60)]) expect(text).not.toContain(secret);
    expect(Buffer.from(statement).toString('latin1')).not.toContain(exportPrivateKeyPem(service.privateKey).slice(30, 60));
    expect(Object.keys(JSON.parse(text) as object)).not.toContain('d');
  });

  it('takes a sub and kid, and describes the open policy too', () => {
    const open = developmentPolicy();
    const statement = policyStatement(open, { key: service.privateKey, iss: 'https://atlog.test', sub: 'atlog.test/policy', kid: new TextEncoder().encode('service-1'), now: NOW });
    const parsed = parseStatement(statement);
    expect(parsed.sub).toBe('atlog.test/policy');
    expect(JSON.parse(new TextDecoder().decode(parsed.payload!))).toMatchObject({ open: true, issuers: { unanchoredX5chain: true, didJwk: true } });
  });

  it('refuses misuse and a statement the log could not hold', () => {
    const misuse = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(PolicyError);
        return (error as PolicyError).code;
      }
      return 'none';
    };
    expect(misuse(() => policyStatement(policy, { key: service.publicKey, iss: 'https://atlog.test', now: NOW }))).toBe('POLICY_BAD_ARGUMENT');
    expect(misuse(() => policyStatement(policy, { key: service.privateKey, iss: 'https://atlog.test', now: new Date(Number.NaN) }))).toBe('POLICY_BAD_ARGUMENT');
    const tampered = { ...policy, description: { ...policy.description, maxStatementBytes: 1 } };
    expect(misuse(() => policyStatement(tampered, { key: service.privateKey, iss: 'https://atlog.test', now: NOW }))).toBe('POLICY_BAD_ARGUMENT');
    expect(misuse(() => policyStatement(policy, { key: service.privateKey, iss: 'https://atlog.test', sub: 's'.repeat(70_000), now: NOW }))).toBe('POLICY_TOO_LARGE');
  });
});
