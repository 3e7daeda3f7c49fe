import { generateKeyPairSync, verify, webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateChainOptions,
  CertificateError,
  type CertificateErrorCode,
  type TrustAnchors,
  UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY,
  createCertificateCache,
  loadTrustAnchors,
  validateCertificateChain,
} from './index.js';
import {
  type TestCertificate,
  TEST_NOW,
  daysFromNow,
  generateTestKeys,
  issueCa,
  issueLeaf,
  toPem,
  x509,
} from '../test/support/test-pki.js';

const { KeyUsageFlags } = x509;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

let keys: Awaited<ReturnType<typeof generateTestKeys>>;
/** RSA root → P-384 intermediate (pathLen 0) → P-256 leaf; and an Ed25519 root → Ed25519 leaf. */
let root: TestCertificate;
let intermediate: TestCertificate;
let leaf: TestCertificate;
let edRoot: TestCertificate;
let edLeaf: TestCertificate;
let anchors: TrustAnchors;

beforeAll(async () => {
  keys = await generateTestKeys();
  root = await issueCa({ subject: 'CN=atlog test root, O=atlog', key: keys.rootRsa });
  intermediate = await issueCa({
    subject: 'CN=atlog test intermediate, O=atlog',
    key: keys.p384a,
    issuer: root,
    basicConstraints: { ca: true, pathLength: 0 },
  });
  leaf = await issueLeaf({
    subject: 'CN=agent-7, O=Example Agents',
    key: keys.p256a,
    issuer: intermediate,
    extendedKeyUsage: [CODE_SIGNING],
    subjectAltNames: [
      { type: 'url', value: 'https://agents.example/agent-7' },
      { type: 'dns', value: 'agent-7.agents.example' },
    ],
  });
  edRoot = await issueCa({ subject: 'CN=ed25519 root', key: keys.ed1 });
  edLeaf = await issueLeaf({ subject: 'CN=ed25519 agent', key: keys.ed2, issuer: edRoot });
  anchors = loadTrustAnchors([root.der, toPem(edRoot.der)]);
});

const ders = (chain: readonly (TestCertificate | Uint8Array)[]): Uint8Array[] =>
  chain.map((entry) => (entry instanceof Uint8Array ? entry : entry.der));

function validate(chain: readonly (TestCertificate | Uint8Array)[], options: Partial<CertificateChainOptions> = {}) {
  return validateCertificateChain(ders(chain), { trustAnchors: anchors, at: TEST_NOW, ...options });
}

function refusal(action: () => unknown): CertificateError {
  try {
    action();
  } catch (error) {
    if (error instanceof CertificateError) return error;
    throw new Error(`expected a CertificateError, got ${String(error)}`);
  }
  throw new Error('expected a CertificateError, but the chain was accepted');
}

/** The code and position of the refusal of `chain`. */
function refused(chain: readonly (TestCertificate | Uint8Array)[], options: Partial<CertificateChainOptions> = {}) {
  const error = refusal(() => validate(chain, options));
  return { code: error.code, position: error.position };
}

const expectRefused = (code: CertificateErrorCode, position?: number) => ({ code, position });

function flipLastByte(der: Uint8Array): Uint8Array {
  const copy = new Uint8Array(der);
  const last = copy.length - 1;
  copy[last] = (copy[last] ?? 0) ^ 0x01;
  return copy;
}

/** Replaces the last occurrence of one byte sequence with another of the same length. */
function replaceLast(der: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const at = Buffer.from(der).lastIndexOf(Buffer.from(from));
  if (at < 0 || from.length !== to.length) throw new Error('test bug: sequence not found');
  const copy = new Uint8Array(der);
  copy.set(to, at);
  return copy;
}

const ascii = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));

describe('valid chains', () => {
  it('accepts root → intermediate → leaf without the anchor, and returns the leaf key and the path', async () => {
    const result = validate([leaf, intermediate]);
    expect(result.trust).toBe('trust-anchor');
    expect(result.path.map((certificate) => certificate.subject)).toEqual([
      'CN=agent-7, O=Example Agents',
      'CN=atlog test intermediate, O=atlog',
    ]);
    expect(result.leafCertificate).toBe(result.path[0]);
    expect(result.leafCertificate.issuer).toBe('CN=atlog test intermediate, O=atlog');
    expect(result.leafCertificate.ca).toBe(false);
    expect(result.leafCertificate.subjectAltNames).toEqual([
      { type: 'url', value: 'https://agents.example/agent-7' },
      { type: 'dns', value: 'agent-7.agents.example' },
    ]);
    expect(result.leafCertificate.notAfter).toEqual(daysFromNow(365));
    expect(result.leafCertificate.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(result.anchor.subject).toBe('CN=atlog test root, O=atlog');
    expect(result.anchor.ca).toBe(true);

    // The key really is the leaf's: a signature by the leaf's private key verifies with it.
    const data = ascii('a signed statement');
    const signature = new Uint8Array(
      await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.p256a.pair.privateKey, data),
    );
    expect(verify('sha256', data, { key: result.leafPublicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(result.leafPublicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('accepts the same chain with the anchor included at the end, and reports the configured anchor', () => {
    const withAnchor = validate([leaf, intermediate, root]);
    const without = validate([leaf, intermediate]);
    expect(withAnchor.path.map((certificate) => certificate.fingerprint)).toEqual(without.path.map((certificate) => certificate.fingerprint));
    expect(withAnchor.anchor).toEqual(without.anchor);
  });

  it('accepts an Ed25519 leaf signed directly by the anchor, with or without the anchor in the chain', async () => {
    for (const chain of [[edLeaf], [edLeaf, edRoot]]) {
      const result = validate(chain);
      expect(result.path).toHaveLength(1);
      expect(result.anchor.subject).toBe('CN=ed25519 root');
      expect(result.leafPublicKey.asymmetricKeyType).toBe('ed25519');
    }
    const data = ascii('statement');
    const signature = new Uint8Array(await webcrypto.subtle.sign({ name: 'Ed25519' }, keys.ed2.pair.privateKey, data));
    expect(verify(null, data, validate([edLeaf]).leafPublicKey, signature)).toBe(true);
  });

  it('accepts an RSASSA-PSS root (SHA-256, 32-byte salt) and a P-384 leaf, but not a 20-byte salt', async () => {
    const pssRoot = await issueCa({ subject: 'CN=pss root', key: keys.rootPss });
    const pssLeaf = await issueLeaf({ subject: 'CN=pss agent', key: keys.p384b, issuer: pssRoot });
    const result = validate([pssLeaf], { trustAnchors: [pssRoot.der] });
    expect(result.leafPublicKey.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    // The same root signing with a 20-byte salt (PSS's default) is refused: the salt must be the digest's length.
    const shortSalt = await issueLeaf({ subject: 'CN=pss agent', key: keys.p384b, issuer: pssRoot, signing: { name: 'RSA-PSS', saltLength: 20 } });
    expect(refused([shortSalt], { trustAnchors: [pssRoot.der] })).toEqual(expectRefused('CERT_UNSUPPORTED_ALGORITHM', 0));
  });

  it('matches a presented anchor by subject and key, not by DER, and applies the configured copy', async () => {
    // The same root re-issued with another validity: different bytes, same name and key.
    const reissued = await issueCa({ subject: root.name, key: keys.rootRsa, notAfter: daysFromNow(-1) });
    const result = validate([leaf, intermediate, reissued]);
    expect(result.anchor.notAfter).toEqual(daysFromNow(365));
  });

  it('accepts leaves without keyUsage, with basicConstraints cA=FALSE, or with an unknown non-critical extension', async () => {
    const variants = await Promise.all([
      issueLeaf({ subject: 'CN=no key usage', key: keys.p256b, issuer: intermediate, keyUsage: null }),
      issueLeaf({ subject: 'CN=not a ca', key: keys.p256b, issuer: intermediate, basicConstraints: { ca: false } }),
      issueLeaf({
        subject: 'CN=extra',
        key: keys.p256b,
        issuer: intermediate,
        extraExtensions: [new x509.Extension('1.3.6.1.4.1.55555.1', false, hex('0500'))],
      }),
    ]);
    for (const variant of variants) expect(validate([variant, intermediate]).path).toHaveLength(2);
  });

  it('does not count a self-issued intermediate (key rollover) against pathLenConstraint', async () => {
    const rolled = await issueCa({ subject: intermediate.name, key: keys.p256c, issuer: intermediate });
    const rolledLeaf = await issueLeaf({ subject: 'CN=after rollover', key: keys.p256d, issuer: rolled });
    expect(validate([rolledLeaf, rolled, intermediate]).path).toHaveLength(3);
  });

  it('treats the validity period as inclusive at both ends', () => {
    const notAfter = daysFromNow(365);
    expect(validate([leaf, intermediate], { at: notAfter }).path).toHaveLength(2);
    expect(refused([leaf, intermediate], { at: new Date(notAfter.getTime() + 1000) })).toEqual(expectRefused('CERT_EXPIRED', 0));
  });

  it('checks extendedKeyUsage only when the caller requires a purpose', async () => {
    expect(validate([leaf, intermediate], { requiredExtendedKeyUsage: [CODE_SIGNING] }).path).toHaveLength(2);
    expect(refused([leaf, intermediate], { requiredExtendedKeyUsage: [CLIENT_AUTH] })).toEqual(expectRefused('CERT_EXTENDED_KEY_USAGE', 0));
    const noEku = await issueLeaf({ subject: 'CN=no eku', key: keys.p256b, issuer: intermediate });
    expect(validate([noEku, intermediate]).path).toHaveLength(2);
    expect(refused([noEku, intermediate], { requiredExtendedKeyUsage: [CODE_SIGNING] })).toEqual(expectRefused('CERT_EXTENDED_KEY_USAGE', 0));
  });

  it('accepts trust anchors given as raw DER / PEM in the options', () => {
    expect(validate([leaf, intermediate], { trustAnchors: [toPem(root.der)] }).anchor.subject).toBe(root.name);
  });
});

describe('refusals: shape, size and encoding', () => {
  it('refuses an empty chain', () => {
    expect(refused([])).toEqual(expectRefused('CERT_CHAIN_EMPTY'));
  });

  it('refuses a chain longer than maxChainLength before parsing anything', () => {
    expect(refused(Array.from({ length: 9 }, () => ascii('not even a certificate')))).toEqual(expectRefused('CERT_CHAIN_TOO_LONG'));
    expect(refused([leaf, intermediate, root], { maxChainLength: 2 })).toEqual(expectRefused('CERT_CHAIN_TOO_LONG'));
  });

  it('refuses an oversized certificate, and a chain over its byte limit', async () => {
    const big = await issueLeaf({
      subject: 'CN=big',
      key: keys.p256b,
      issuer: intermediate,
      extraExtensions: [new x509.Extension('1.3.6.1.4.1.55555.2', false, new Uint8Array(17 * 1024))],
    });
    expect(big.der.length).toBeGreaterThan(16 * 1024);
    expect(refused([big, intermediate])).toEqual(expectRefused('CERT_TOO_LARGE', 0));
    expect(refused([leaf, intermediate], { maxChainBytes: leaf.der.length + 10 })).toEqual(expectRefused('CERT_TOO_LARGE'));
  });

  it('refuses truncated DER, garbage, and trailing bytes', () => {
    expect(refused([leaf.der.subarray(0, leaf.der.length - 20), intermediate])).toEqual(expectRefused('CERT_MALFORMED', 0));
    expect(refused([leaf, ascii('\x00\x01garbage\xff\xfe')])).toEqual(expectRefused('CERT_MALFORMED', 1));
    expect(refused([new Uint8Array([...leaf.der, 0x00]), intermediate])).toEqual(expectRefused('CERT_MALFORMED', 0));
    expect(refused([new Uint8Array(0), intermediate])).toEqual(expectRefused('CERT_MALFORMED', 0));
  });

  it('refuses text encodings that @peculiar/x509 alone would decode (PEM, hex, base64)', () => {
    for (const text of [toPem(leaf.der), Buffer.from(leaf.der).toString('hex'), Buffer.from(leaf.der).toString('base64')]) {
      expect(refused([ascii(text), intermediate])).toEqual(expectRefused('CERT_MALFORMED', 0));
    }
  });

  it('refuses BER: an indefinite length, or a length not in its shortest form', () => {
    expect(leaf.der[1]).toBe(0x82);
    const body = leaf.der.subarray(4);
    const indefinite = new Uint8Array([0x30, 0x80, ...body, 0x00, 0x00]);
    const longForm = new Uint8Array([0x30, 0x83, 0x00, leaf.der[2] ?? 0, leaf.der[3] ?? 0, ...body]);
    expect(refused([indefinite, intermediate])).toEqual(expectRefused('CERT_MALFORMED', 0));
    expect(refused([longForm, intermediate])).toEqual(expectRefused('CERT_MALFORMED', 0));
  });

  it('refuses a certificate whose outer signature algorithm differs from the signed one', () => {
    // The intermediate signs with ecdsa-with-SHA384 (…04 03 03); the last occurrence is the outer one.
    const swapped = replaceLast(leaf.der, hex('06082a8648ce3d040303'), hex('06082a8648ce3d040302'));
    expect(refused([swapped, intermediate])).toEqual(expectRefused('CERT_MALFORMED', 0));
  });

  it('refuses the leaf with any single bit flipped, always with a CertificateError', () => {
    // Every byte is covered by the signature, is the signature, or is framing that must be exact.
    for (let index = 0; index < edLeaf.der.length; index++) {
      const corrupted = new Uint8Array(edLeaf.der);
      corrupted[index] = (corrupted[index] ?? 0) ^ (1 << (index % 8));
      expect(() => validate([corrupted]), `byte ${index}`).toThrow(CertificateError);
    }
  });

  it('refuses the same certificate twice (a loop), before looking for an anchor', () => {
    expect(refused([leaf, intermediate, intermediate])).toEqual(expectRefused('CERT_LOOP', 2));
    expect(refused([leaf, intermediate, root, root])).toEqual(expectRefused('CERT_LOOP', 3));
  });

  it('refuses certificates after the trust anchor', () => {
    expect(refused([leaf, intermediate, root, edRoot])).toEqual(expectRefused('CERT_UNUSED_CERTIFICATE', 3));
  });
});

describe('refusals: validity', () => {
  it('refuses an expired leaf, an expired intermediate, and a not-yet-valid leaf', async () => {
    const expiredLeaf = await issueLeaf({ subject: 'CN=expired', key: keys.p256b, issuer: intermediate, notAfter: daysFromNow(-1) });
    const expiredIntermediate = await issueCa({
      subject: 'CN=expired intermediate',
      key: keys.p256c,
      issuer: root,
      notAfter: daysFromNow(-1),
    });
    const underExpired = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: expiredIntermediate });
    const futureLeaf = await issueLeaf({ subject: 'CN=future', key: keys.p256b, issuer: intermediate, notBefore: daysFromNow(1) });
    expect(refused([expiredLeaf, intermediate])).toEqual(expectRefused('CERT_EXPIRED', 0));
    expect(refused([underExpired, expiredIntermediate])).toEqual(expectRefused('CERT_EXPIRED', 1));
    expect(refused([futureLeaf, intermediate])).toEqual(expectRefused('CERT_NOT_YET_VALID', 0));
  });

  it('refuses a path whose configured anchor has expired, even when the chain carries a fresher copy', async () => {
    const shortRoot = await issueCa({ subject: 'CN=short-lived root', key: keys.p384b, notAfter: daysFromNow(-1) });
    const child = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: shortRoot });
    expect(refused([child], { trustAnchors: [shortRoot.der] })).toEqual(expectRefused('CERT_EXPIRED'));
    const fresher = await issueCa({ subject: 'CN=short-lived root', key: keys.p384b });
    expect(refused([child, fresher], { trustAnchors: [shortRoot.der] })).toEqual(expectRefused('CERT_EXPIRED'));
  });
});

describe('refusals: CA flags, key usage, path length, extensions', () => {
  it('refuses an intermediate without basicConstraints, or with cA=FALSE', async () => {
    for (const basicConstraints of [null, { ca: false }]) {
      const notCa = await issueCa({ subject: 'CN=not a CA', key: keys.p256c, issuer: root, basicConstraints });
      const below = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: notCa });
      expect(refused([below, notCa])).toEqual(expectRefused('CERT_NOT_CA', 1));
    }
  });

  it('refuses a CA whose keyUsage lacks keyCertSign', async () => {
    const noCertSign = await issueCa({ subject: 'CN=no certsign', key: keys.p256c, issuer: root, keyUsage: KeyUsageFlags.digitalSignature });
    const below = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: noCertSign });
    expect(refused([below, noCertSign])).toEqual(expectRefused('CERT_KEY_USAGE', 1));
  });

  it('refuses a leaf whose keyUsage lacks digitalSignature', async () => {
    const encipherOnly = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: intermediate, keyUsage: KeyUsageFlags.keyAgreement });
    expect(refused([encipherOnly, intermediate])).toEqual(expectRefused('CERT_KEY_USAGE', 0));
  });

  it('refuses a CA certificate as the leaf', async () => {
    const caLeaf = await issueLeaf({
      subject: 'CN=ca as leaf',
      key: keys.p256b,
      issuer: intermediate,
      basicConstraints: { ca: true },
      keyUsage: KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign,
    });
    expect(refused([caLeaf, intermediate])).toEqual(expectRefused('CERT_LEAF_IS_CA', 0));
    // An intermediate presented alone, as if it were a statement signer.
    expect(refused([intermediate])).toEqual(expectRefused('CERT_LEAF_IS_CA', 0));
  });

  it('refuses a second intermediate below a pathLenConstraint of 0', async () => {
    const second = await issueCa({ subject: 'CN=second intermediate', key: keys.p256c, issuer: intermediate });
    const below = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: second });
    expect(refused([below, second, intermediate])).toEqual(expectRefused('CERT_PATH_LENGTH', 2));
  });

  it("honours the anchor's own pathLenConstraint", async () => {
    const strictRoot = await issueCa({ subject: 'CN=strict root', key: keys.p384b, basicConstraints: { ca: true, pathLength: 0 } });
    const middle = await issueCa({ subject: 'CN=middle', key: keys.p256c, issuer: strictRoot });
    const below = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: middle });
    expect(refused([below, middle], { trustAnchors: [strictRoot.der] })).toEqual(expectRefused('CERT_PATH_LENGTH'));
    const direct = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: strictRoot });
    expect(validate([direct], { trustAnchors: [strictRoot.der] }).path).toHaveLength(1);
  });

  it('refuses an unknown critical extension on a leaf or an intermediate, including nameConstraints', async () => {
    const privateCritical = new x509.Extension('1.3.6.1.4.1.55555.3', true, hex('0500'));
    const criticalLeaf = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: intermediate, extraExtensions: [privateCritical] });
    expect(refused([criticalLeaf, intermediate])).toEqual(expectRefused('CERT_UNKNOWN_CRITICAL_EXTENSION', 0));
    const nameConstraints = new x509.Extension('2.5.29.30', true, hex('3000'));
    const constrained = await issueCa({ subject: 'CN=constrained', key: keys.p256c, issuer: root, extraExtensions: [nameConstraints] });
    const below = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: constrained });
    expect(refused([below, constrained])).toEqual(expectRefused('CERT_UNKNOWN_CRITICAL_EXTENSION', 1));
  });
});

describe('refusals: names, signatures, anchors', () => {
  it('refuses a leaf whose issuer name is not the next certificate\'s subject', async () => {
    const misnamed = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: intermediate, issuerName: 'CN=someone else' });
    expect(refused([misnamed, intermediate])).toEqual(expectRefused('CERT_NAME_MISMATCH', 0));
  });

  it('refuses a forged signature, a changed signed byte, and a signature by another key', async () => {
    expect(refused([flipLastByte(leaf.der), intermediate])).toEqual(expectRefused('CERT_BAD_SIGNATURE', 0));
    expect(refused([replaceLast(leaf.der, ascii('agent-7'), ascii('agent-8')), intermediate])).toEqual(expectRefused('CERT_BAD_SIGNATURE', 0));
    const impostor = await issueCa({ subject: intermediate.name, key: keys.p384b, issuer: root });
    const signedByImpostor = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: impostor });
    expect(refused([signedByImpostor, intermediate])).toEqual(expectRefused('CERT_BAD_SIGNATURE', 0));
  });

  it('reports a bad signature on the certificate the anchor issued as an untrusted root', () => {
    // Anchors are looked up by name and then by the key that verifies: a same-named anchor whose
    // key does not verify is some other CA, which is the more useful diagnosis.
    expect(refused([leaf, flipLastByte(intermediate.der)])).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 1));
  });

  it('refuses a chain to another root, to a same-named root with another key, and to a self-signed root', async () => {
    const otherRoot = await issueCa({ subject: 'CN=other root', key: keys.p384b });
    const otherLeaf = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: otherRoot });
    expect(refused([otherLeaf])).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 0));
    expect(refused([otherLeaf, otherRoot])).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 1));

    const lookalikeRoot = await issueCa({ subject: root.name, key: keys.p384b });
    const lookalikeLeaf = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: lookalikeRoot });
    expect(refused([lookalikeLeaf])).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 0));
    expect(refused([lookalikeLeaf, lookalikeRoot])).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 1));

    expect(refused([leaf, intermediate], { trustAnchors: [] })).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 1));
  });

  it('refuses a SHA-1 signature, an RSA leaf key, and an RSA-1024 CA key as unsupported algorithms', async () => {
    const sha1 = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: intermediate, signing: { name: 'ECDSA', hash: 'SHA-1' } });
    expect(refused([sha1, intermediate])).toEqual(expectRefused('CERT_UNSUPPORTED_ALGORITHM', 0));
    const rsaLeaf = await issueLeaf({ subject: 'CN=rsa agent', key: keys.rootPss, issuer: intermediate });
    expect(refused([rsaLeaf, intermediate])).toEqual(expectRefused('CERT_UNSUPPORTED_ALGORITHM', 0));
    const weakCa = await issueCa({ subject: 'CN=weak', key: keys.rsa1024, issuer: root });
    const underWeak = await issueLeaf({ subject: 'CN=agent', key: keys.p256b, issuer: weakCa });
    expect(refused([underWeak, weakCa])).toEqual(expectRefused('CERT_UNSUPPORTED_ALGORITHM', 1));
  });

  it('names the certificate by position and subject, cut short, in the message', async () => {
    const longName = `CN=${'x'.repeat(5000)}`;
    const verbose = await issueLeaf({ subject: longName, key: keys.p256b, issuer: intermediate, notAfter: daysFromNow(-1) });
    const error = refusal(() => validate([verbose, intermediate]));
    expect(error.code).toBe('CERT_EXPIRED');
    expect(error.message).toMatch(/^certificate 0 \("CN=x{93}…"\) expired at /);
    expect(error.message.length).toBeLessThan(300);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CertificateError');
  });
});

describe('development mode: unanchored self-signed roots', () => {
  let devRoot: TestCertificate;
  let devIntermediate: TestCertificate;
  let devLeaf: TestCertificate;
  const development = { trustAnchors: [], unanchoredRoots: UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY } as const;

  beforeAll(async () => {
    devRoot = await issueCa({ subject: 'CN=dev root', key: keys.ed1 });
    devIntermediate = await issueCa({ subject: 'CN=dev intermediate', key: keys.p256c, issuer: devRoot });
    devLeaf = await issueLeaf({ subject: 'CN=dev agent', key: keys.p256b, issuer: devIntermediate });
  });

  it('accepts a chain that ends in a self-signed root that is not an anchor, and says so', () => {
    const result = validate([devLeaf, devIntermediate, devRoot], development);
    expect(result.trust).toBe('unanchored-development-root');
    expect(result.anchor.subject).toBe('CN=dev root');
    expect(result.path).toHaveLength(2);
  });

  it('is off unless asked for, and cannot be switched on with a boolean', () => {
    expect(refused([devLeaf, devIntermediate, devRoot], { trustAnchors: [] })).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 2));
    const error = refusal(() => validate([devLeaf, devIntermediate, devRoot], { trustAnchors: [], unanchoredRoots: true as never }));
    expect(error.code).toBe('CERT_BAD_ARGUMENT');
  });

  it('still validates everything else: an expired leaf, a forged root signature, a missing root', async () => {
    const expired = await issueLeaf({ subject: 'CN=dev agent', key: keys.p256d, issuer: devIntermediate, notAfter: daysFromNow(-1) });
    expect(refused([expired, devIntermediate, devRoot], development)).toEqual(expectRefused('CERT_EXPIRED', 0));
    expect(refused([devLeaf, devIntermediate, flipLastByte(devRoot.der)], development)).toEqual(expectRefused('CERT_BAD_SIGNATURE', 2));
    expect(refused([devLeaf, devIntermediate], development)).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 1));
    const selfSignedLeaf = await issueCa({ subject: 'CN=lonely', key: keys.p256d, basicConstraints: null, keyUsage: null });
    expect(refused([selfSignedLeaf], development)).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 0));
  });

  it('still uses configured anchors first', () => {
    expect(validate([leaf, intermediate], { ...development, trustAnchors: anchors }).trust).toBe('trust-anchor');
  });
});

describe('trust anchors', () => {
  it('loads a PEM bundle with comments, and drops exact duplicates', () => {
    const bundle = `# atlog test bundle\n${toPem(root.der)}\n# second\n${toPem(edRoot.der)}`;
    const loaded = loadTrustAnchors([bundle, root.der]);
    expect(loaded.size).toBe(2);
    expect(loaded.summaries().map((summary) => summary.subject)).toEqual([root.name, edRoot.name]);
  });

  it('refuses a private key, non-certificate PEM, garbage, and a leaf certificate as anchors', () => {
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    const inputs: (string | Uint8Array)[] = [
      String(privateKey),
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      'no PEM here',
      `-----BEGIN CERTIFICATE-----\n${Buffer.from(root.der).toString('base64')}\n`,
      ascii('garbage'),
      leaf.der,
    ];
    for (const input of inputs) {
      expect(refusal(() => loadTrustAnchors([input])).code).toBe('CERT_BAD_TRUST_ANCHOR');
    }
  });

  it('refuses two different certificates with the same subject and key', async () => {
    const reissued = await issueCa({ subject: root.name, key: keys.rootRsa, notAfter: daysFromNow(30) });
    expect(refusal(() => loadTrustAnchors([root.der, reissued.der])).code).toBe('CERT_BAD_TRUST_ANCHOR');
  });
});

describe('the certificate cache', () => {
  it('gives the same results, remembers only validated paths, and never skips time or tamper checks', async () => {
    const cache = createCertificateCache({ maxEntries: 8 });
    const expired = await issueLeaf({ subject: 'CN=expired', key: keys.p256b, issuer: intermediate, notAfter: daysFromNow(-1) });
    expect(refused([expired, intermediate], { cache })).toEqual(expectRefused('CERT_EXPIRED', 0));
    expect(cache.size).toBe(0);

    const uncached = validate([leaf, intermediate]);
    const first = validate([leaf, intermediate], { cache });
    const second = validate([leaf, intermediate], { cache });
    expect(cache.size).toBe(2);
    expect(second).toEqual(first);
    expect(second).toEqual(uncached);

    expect(refused([leaf, intermediate], { cache, at: daysFromNow(400) })).toEqual(expectRefused('CERT_EXPIRED', 0));
    expect(refused([flipLastByte(leaf.der), intermediate], { cache })).toEqual(expectRefused('CERT_BAD_SIGNATURE', 0));
    expect(refused([leaf, intermediate], { cache, trustAnchors: [edRoot.der] })).toEqual(expectRefused('CERT_UNTRUSTED_ROOT', 1));
  });

  it('is bounded', async () => {
    const cache = createCertificateCache({ maxEntries: 2 });
    validate([leaf, intermediate], { cache });
    validate([edLeaf], { cache });
    expect(cache.size).toBe(2);
    expect(refusal(() => createCertificateCache({ maxEntries: 0 })).code).toBe('CERT_BAD_ARGUMENT');
  });
});

describe('options', () => {
  it('refuses misuse with CERT_BAD_ARGUMENT', () => {
    const misuse: Partial<CertificateChainOptions>[] = [
      { at: new Date(Number.NaN) },
      { maxChainLength: 0 },
      { maxCertificateBytes: 1.5 },
      { trustAnchors: 'root.pem' as never },
      { requiredExtendedKeyUsage: [] },
      { requiredExtendedKeyUsage: ['codeSigning'] },
      { cache: new Map() as never },
    ];
    for (const options of misuse) expect(refusal(() => validate([leaf, intermediate], options)).code).toBe('CERT_BAD_ARGUMENT');
    expect(refusal(() => validateCertificateChain(['x' as never], { trustAnchors: anchors })).code).toBe('CERT_BAD_ARGUMENT');
  });

  it('validates at the current time by default', () => {
    // The test PKI's dates are fixed around TEST_NOW; with the real clock the result depends on the
    // date, so only check that omitting `at` works and yields a validity verdict.
    const outcome = (() => {
      try {
        return validateCertificateChain(ders([leaf, intermediate]), { trustAnchors: anchors }).trust;
      } catch (error) {
        return (error as CertificateError).code;
      }
    })();
    expect(['trust-anchor', 'CERT_EXPIRED', 'CERT_NOT_YET_VALID']).toContain(outcome);
  });
});
