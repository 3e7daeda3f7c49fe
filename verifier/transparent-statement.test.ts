// End to end with real parts: statements signed by issuers, registered in a real LevelDB log
// whose checkpoints the service signs as COSE tree heads, receipts issued from those heads,
// then verified offline with nothing but public keys and anchors.
import { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  CoseAlgorithm,
  coseCheckpointSigner,
  generateKeyPair,
  inclusionReceipt,
  attachReceipts,
  registeredStatement,
  signStatement,
  type KeyPair,
} from '../receipts/index.js';
import { LevelDbStorage, MerkleLog } from '../log/index.js';
import { tempDir } from '../test/support/log.js';
import { generateTestKeys, issueCa, issueLeaf, TEST_NOW, daysFromNow, type TestCertificate } from '../test/support/test-pki.js';
import { loadTrustAnchors, verifyTransparentStatement, type Verdict } from './index.js';

const SERVICE = { issuer: 'https://atlog.test', subject: 'atlog.test/log' };
const enc = (s: string) => new TextEncoder().encode(s);

let service: KeyPair;
let otherService: KeyPair;
let issuer: KeyPair;
let log: MerkleLog;
let otherLog: MerkleLog;
let ca: TestCertificate;
let leaf: TestCertificate;
let expiredLeaf: TestCertificate;

/** Registers a statement in a log and returns it as a transparent statement with its receipt. */
async function register(statement: Uint8Array, into = log): Promise<Uint8Array> {
  const registered = registeredStatement(statement);
  const { index, treeSize } = await into.append(registered);
  const head = (await into.checkpoint(treeSize))!;
  const receipt = inclusionReceipt(head, { treeSize, leafIndex: index, path: await into.inclusionProof(index, treeSize) });
  return attachReceipts(statement, [receipt]);
}

const serviceKeys = () => [coseKeyFromKeyObject(service.publicKey)];
const issuerKeys = () => [coseKeyFromKeyObject(issuer.publicKey)];
const codes = (verdict: Verdict) => verdict.failures.map((f) => `${f.part}: ${f.code}`);

beforeAll(async () => {
  service = generateKeyPair(CoseAlgorithm.ES256);
  otherService = generateKeyPair(CoseAlgorithm.EdDSA);
  issuer = generateKeyPair(CoseAlgorithm.EdDSA);
  const root = tempDir();
  log = await MerkleLog.open({ storage: await LevelDbStorage.open(join(root, 'a')), signer: coseCheckpointSigner(service.privateKey, SERVICE) });
  otherLog = await MerkleLog.open({
    storage: await LevelDbStorage.open(join(root, 'b')),
    signer: coseCheckpointSigner(otherService.privateKey, { issuer: 'https://other.test', subject: 'other.test/log' }),
  });
  const keys = await generateTestKeys();
  ca = await issueCa({ subject: 'CN=Agents Root CA', key: keys.p384a });
  leaf = await issueLeaf({ subject: 'CN=planner-agent', key: keys.p256a, issuer: ca });
  expiredLeaf = await issueLeaf({ subject: 'CN=old-agent', key: keys.p256b, issuer: ca, notBefore: daysFromNow(-60), notAfter: daysFromNow(-1) });
});

afterAll(async () => {
  await log.close();
  await otherLog.close();
});

describe('verifyTransparentStatement', () => {
  it('verifies a kid issuer and its receipt, and says what it checked', async () => {
    const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent', sub: 'task-1', contentType: 'application/json', payload: enc('{"ok":true}') });
    const transparent = await register(statement);
    const verdict = verifyTransparentStatement(transparent, { serviceKeys: serviceKeys(), issuer: { keys: issuerKeys() } });
    expect(codes(verdict)).toEqual([]);
    expect(verdict).toMatchObject({
      verified: true,
      statement: { iss: 'did:example:agent', sub: 'task-1', contentType: 'application/json', hashEnvelope: false },
      issuer: { checked: true, by: 'kid' },
      receipts: [{ index: 0, status: 'verified', issuer: SERVICE.issuer, treeSizeSigned: true }],
    });
    // Without issuer trust, the receipts alone are checked, and the verdict says so.
    expect(verifyTransparentStatement(transparent, { serviceKeys: serviceKeys() })).toMatchObject({ verified: true, issuer: { checked: false } });
  });

  it('verifies an x5chain issuer to a trust anchor, at a given time', async () => {
    const key = KeyObject.from(leaf.key.pair.privateKey);
    const statement = signStatement({ key, iss: 'https://agents.example/planner', sub: 'task-2', payload: enc('x5'), x5chain: [leaf.der, ca.der] });
    const transparent = await register(statement);
    const certificates = { trustAnchors: loadTrustAnchors([ca.der]), at: TEST_NOW };
    const verdict = verifyTransparentStatement(transparent, { serviceKeys: serviceKeys(), issuer: { certificates } });
    expect(codes(verdict)).toEqual([]);
    expect(verdict.issuer).toMatchObject({ checked: true, by: 'x5chain', certificate: { subject: 'CN=planner-agent' } });
    // The same statement against other anchors, or with no anchors at all.
    const other = await issueCa({ subject: 'CN=Other CA', key: (await generateTestKeys()).p256c });
    expect(codes(verifyTransparentStatement(transparent, { serviceKeys: serviceKeys(), issuer: { certificates: { trustAnchors: loadTrustAnchors([other.der]), at: TEST_NOW } } }))).toEqual([
      'issuer: CERT_UNTRUSTED_ROOT',
    ]);
    expect(codes(verifyTransparentStatement(transparent, { serviceKeys: serviceKeys(), issuer: { keys: issuerKeys() } }))).toEqual(['issuer: ISSUER_UNTRUSTED']);
  });

  it('refuses an expired issuer certificate', async () => {
    const statement = signStatement({ key: KeyObject.from(expiredLeaf.key.pair.privateKey), iss: 'https://agents.example/old', sub: 't', payload: enc('old'), x5chain: [expiredLeaf.der] });
    const verdict = verifyTransparentStatement(await register(statement), {
      serviceKeys: serviceKeys(),
      issuer: { certificates: { trustAnchors: loadTrustAnchors([ca.der]), at: TEST_NOW } },
    });
    expect(codes(verdict)).toEqual(['issuer: CERT_EXPIRED']);
  });

  it('reports every failure at once', async () => {
    const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent', sub: 'task-3', payload: enc('three') });
    const transparent = await register(statement);
    const stranger = generateKeyPair(CoseAlgorithm.EdDSA);
    // Issuer key unknown, and the service key is not the one that signed: two separate failures.
    const verdict = verifyTransparentStatement(transparent, {
      serviceKeys: (kid) => (kid.length > 0 ? stranger.publicKey : undefined),
      issuer: { keys: [coseKeyFromKeyObject(stranger.publicKey)] },
    });
    expect(verdict.verified).toBe(false);
    expect(codes(verdict)).toEqual(['issuer: ISSUER_KEY_UNKNOWN', 'receipt 0: COSE_KEY_MISMATCH']);
  });

  it('catches a statement altered after registration, in its signature and in its receipt', async () => {
    const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent', sub: 'task-4', payload: enc('original payload') });
    const transparent = await register(statement);
    const at = Buffer.from(transparent).indexOf('original payload');
    const altered = new Uint8Array(transparent);
    altered[at] = 'O'.charCodeAt(0);
    const verdict = verifyTransparentStatement(altered, { serviceKeys: serviceKeys(), issuer: { keys: issuerKeys() } });
    expect(codes(verdict)).toEqual(['issuer: COSE_BAD_SIGNATURE', 'receipt 0: RECEIPT_SIGNATURE_INVALID']);
  });

  it('needs one trusted receipt: none, only untrusted ones, or a trusted one beside untrusted ones', async () => {
    const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent', sub: 'task-5', payload: enc('five') });
    expect(codes(verifyTransparentStatement(statement, { serviceKeys: serviceKeys() }))).toEqual(['receipts: RECEIPTS_MISSING']);

    const elsewhere = await register(statement, otherLog);
    const untrusted = verifyTransparentStatement(elsewhere, { serviceKeys: serviceKeys() });
    expect(codes(untrusted)).toEqual(['receipts: RECEIPT_UNTRUSTED']);
    expect(untrusted.receipts).toEqual([{ index: 0, status: 'untrusted' }]);

    // The same statement registered in both logs: receipts from two services in one 394.
    const ours = await register(statement);
    const [theirs] = (await import('../receipts/index.js')).extractReceipts(elsewhere);
    const both = attachReceipts(ours, [theirs!]);
    const verdict = verifyTransparentStatement(both, { serviceKeys: serviceKeys() });
    expect(codes(verdict)).toEqual([]);
    expect(verdict.receipts.map((r) => r.status)).toEqual(['verified', 'untrusted']);
    // Trusting both services, both verify.
    const trustBoth = [coseKeyFromKeyObject(service.publicKey), coseKeyFromKeyObject(otherService.publicKey)];
    expect(verifyTransparentStatement(both, { serviceKeys: trustBoth }).receipts.map((r) => r.status)).toEqual(['verified', 'verified']);
  });

  it('checks a hash envelope against its preimage when given one', async () => {
    const preimage = enc('a large audit record kept by the agent’s domain');
    const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent', sub: 'task-6', payload: preimage, hashEnvelope: { preimageContentType: 'application/json' } });
    const transparent = await register(statement);
    const options = { serviceKeys: serviceKeys(), issuer: { keys: issuerKeys() } };
    expect(verifyTransparentStatement(transparent, { ...options, preimage }).verified).toBe(true);
    expect(verifyTransparentStatement(transparent, options).statement?.hashEnvelope).toBe(true);
    expect(codes(verifyTransparentStatement(transparent, { ...options, preimage: enc('something else') }))).toEqual(['payload: HASH_ENVELOPE_MISMATCH']);
    // Without issuer trust the preimage is still checked, against the digest the statement carries.
    const receiptsOnly = { serviceKeys: serviceKeys() };
    expect(verifyTransparentStatement(transparent, { ...receiptsOnly, preimage })).toMatchObject({ verified: true, preimage: { checked: true } });
    const wrong = verifyTransparentStatement(transparent, { ...receiptsOnly, preimage: enc('something else') });
    expect(codes(wrong)).toEqual(['payload: HASH_ENVELOPE_MISMATCH']);
    expect(wrong.preimage).toEqual({ checked: false });
  });

  it('turns hostile bytes into failures, not exceptions', () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(0xd2, 0x84), enc('not cbor at all'), new Uint8Array(2 * 1024 * 1024)]) {
      const verdict = verifyTransparentStatement(bytes, { serviceKeys: serviceKeys(), issuer: { keys: issuerKeys() } });
      expect(verdict.verified).toBe(false);
      expect(verdict.failures.length).toBeGreaterThan(0);
      for (const f of verdict.failures) expect(f.code).toMatch(/^[A-Z0-9_]+$/);
    }
  });

  it('matches issuer keys by RFC 9679 thumbprint too', async () => {
    const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent', sub: 'task-7', payload: enc('seven') });
    const transparent = await register(statement);
    expect(coseKeyThumbprint(issuer.publicKey).length).toBe(32);
    expect(verifyTransparentStatement(transparent, { serviceKeys: [service.publicKey], issuer: { keys: [issuer.publicKey] } }).verified).toBe(true);
  });
});
