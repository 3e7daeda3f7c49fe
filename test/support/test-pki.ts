// Test support (not shipped): real X.509 PKIs for tests, made with @peculiar/x509's certificate
// generator over node's WebCrypto. Keys are generated once per test file (RSA is the slow one:
// one 2048-bit pair serves PKCS#1 v1.5 and, re-imported, PSS). Serial numbers count up; dates
// are fixed around TEST_NOW so tests never depend on the clock.

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type SigningParameters = webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaPssParams;

// @peculiar/x509's default crypto provider is Node's global WebCrypto (globalThis.crypto).
const subtle = webcrypto.subtle;

export { x509 };

/** The validation time the tests use. */
export const TEST_NOW = new Date('2026-03-01T12:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
export const daysFromNow = (days: number): Date => new Date(TEST_NOW.getTime() + days * DAY);

export type TestKeyType = 'P-256' | 'P-384' | 'Ed25519' | 'RSA' | 'RSA-PSS' | 'RSA-1024';

export interface TestKey {
  readonly type: TestKeyType;
  readonly pair: CryptoKeyPair;
  /** How this key signs certificates (WebCrypto parameters as @peculiar/x509 takes them). */
  readonly signing: SigningParameters;
}

const EXPONENT = new Uint8Array([1, 0, 1]);
const USAGES: webcrypto.KeyUsage[] = ['sign', 'verify'];

async function ecKey(type: 'P-256' | 'P-384'): Promise<TestKey> {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: type }, true, USAGES);
  return { type, pair, signing: { name: 'ECDSA', hash: type === 'P-256' ? 'SHA-256' : 'SHA-384' } };
}

async function ed25519Key(): Promise<TestKey> {
  const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, USAGES)) as CryptoKeyPair;
  return { type: 'Ed25519', pair, signing: { name: 'Ed25519' } };
}

async function rsaKey(bits: number, type: 'RSA' | 'RSA-1024'): Promise<TestKey> {
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', modulusLength: bits, publicExponent: EXPONENT, hash: 'SHA-256' };
  const pair = await subtle.generateKey(algorithm, true, USAGES);
  return { type, pair, signing: { name: 'RSASSA-PKCS1-v1_5' } };
}

/** The same RSA key pair, imported for RSASSA-PSS with SHA-256 and a 32-byte salt. */
async function asPss(rsa: TestKey): Promise<TestKey> {
  const algorithm = { name: 'RSA-PSS', hash: 'SHA-256' };
  const privateKey = await subtle.importKey('pkcs8', await subtle.exportKey('pkcs8', rsa.pair.privateKey), algorithm, true, ['sign']);
  const publicKey = await subtle.importKey('spki', await subtle.exportKey('spki', rsa.pair.publicKey), algorithm, true, ['verify']);
  return { type: 'RSA-PSS', pair: { privateKey, publicKey }, signing: { name: 'RSA-PSS', saltLength: 32 } };
}

/** One key of every kind the tests need; several of the common kinds so PKIs do not share keys. */
export async function generateTestKeys() {
  const [rootRsa, rsa1024, p256a, p256b, p256c, p256d, p384a, p384b, ed1, ed2] = await Promise.all([
    rsaKey(2048, 'RSA'),
    rsaKey(1024, 'RSA-1024'),
    ecKey('P-256'),
    ecKey('P-256'),
    ecKey('P-256'),
    ecKey('P-256'),
    ecKey('P-384'),
    ecKey('P-384'),
    ed25519Key(),
    ed25519Key(),
  ]);
  return { rootRsa, rootPss: await asPss(rootRsa), rsa1024, p256a, p256b, p256c, p256d, p384a, p384b, ed1, ed2 };
}

/** A certificate with the key and name that issue the next ones. */
export interface TestCertificate {
  readonly der: Uint8Array;
  readonly name: string;
  readonly key: TestKey;
}

export interface CertificateSpec {
  readonly subject: string;
  readonly key: TestKey;
  /** Default: self-signed. */
  readonly issuer?: TestCertificate;
  /** Override the issuer name written into the certificate (for name-mismatch tests). */
  readonly issuerName?: string;
  /** Default for CAs: critical cA=TRUE; for leaves: absent. `null`: no extension. */
  readonly basicConstraints?: { ca: boolean; pathLength?: number } | null;
  /** Default for CAs: keyCertSign | cRLSign; for leaves: digitalSignature. `null`: no extension. */
  readonly keyUsage?: number | null;
  readonly extendedKeyUsage?: readonly string[];
  readonly subjectAltNames?: x509.JsonGeneralNames;
  readonly extraExtensions?: readonly x509.Extension[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Override the issuer's signing parameters (e.g. ECDSA with SHA-1). */
  readonly signing?: SigningParameters;
}

let serial = 0x1000;

async function issue(spec: CertificateSpec, isCa: boolean): Promise<TestCertificate> {
  const { KeyUsageFlags } = x509;
  const extensions: x509.Extension[] = [];
  const basicConstraints = spec.basicConstraints === undefined ? (isCa ? { ca: true } : null) : spec.basicConstraints;
  if (basicConstraints !== null) extensions.push(new x509.BasicConstraintsExtension(basicConstraints.ca, basicConstraints.pathLength, true));
  const keyUsage =
    spec.keyUsage === undefined ? (isCa ? KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign : KeyUsageFlags.digitalSignature) : spec.keyUsage;
  if (keyUsage !== null) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (spec.extendedKeyUsage !== undefined) extensions.push(new x509.ExtendedKeyUsageExtension([...spec.extendedKeyUsage], false));
  if (spec.subjectAltNames !== undefined) extensions.push(new x509.SubjectAlternativeNameExtension(spec.subjectAltNames, false));
  extensions.push(...(spec.extraExtensions ?? []));
  const issuer = spec.issuer ?? { name: spec.subject, key: spec.key, der: new Uint8Array() };
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(6, '0'),
    subject: spec.subject,
    issuer: spec.issuerName ?? issuer.name,
    notBefore: spec.notBefore ?? daysFromNow(-30),
    notAfter: spec.notAfter ?? daysFromNow(365),
    publicKey: spec.key.pair.publicKey,
    signingKey: issuer.key.pair.privateKey,
    signingAlgorithm: spec.signing ?? issuer.key.signing,
    extensions,
  });
  return { der: new Uint8Array(certificate.rawData), name: spec.subject, key: spec.key };
}

/** A CA certificate (self-signed unless `issuer` is given). */
export function issueCa(spec: CertificateSpec): Promise<TestCertificate> {
  return issue(spec, true);
}

/** An end-entity certificate for a statement signer. */
export function issueLeaf(spec: CertificateSpec & { issuer: TestCertificate }): Promise<TestCertificate> {
  return issue(spec, false);
}

/** PEM text for DER bytes, 64 characters a line. */
export function toPem(der: Uint8Array): string {
  const body = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${body.trimEnd()}\n-----END CERTIFICATE-----\n`;
}
