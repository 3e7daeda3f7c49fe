// One X.509 certificate, parsed once into what path validation needs. The framing is our strict
// DER reader (x509-der.ts): it finds the exact signed bytes, the names and the key as received.
// @peculiar/x509 then decodes the pieces it is good at (names into text, typed extensions), each
// from a slice we framed, so both parsers read the same bytes. node:crypto loads the public key.
// Nothing here decides trust; x509.ts does.

// reflect-metadata must be loaded before @peculiar/x509: its tsyringe container reads decorator
// metadata while the module initialises, and fails without the polyfill.
import 'reflect-metadata';
import {
  BasicConstraintsExtension,
  ExtendedKeyUsageExtension,
  KeyUsagesExtension,
  Name,
  SubjectAlternativeNameExtension,
} from '@peculiar/x509';
import { createPublicKey, hash, type KeyObject } from 'node:crypto';
import { bytesEqual, toHex } from '../util/index.js';
import { CertificateError } from './errors.js';
import { type KeyKind, checkSpkiAlgorithm, keyKindOf } from './x509-algorithms.js';
import {
  type DerElement,
  Tag,
  checkStrictDer,
  contextTag,
  expectTag,
  readChildren,
  readElement,
  readOctetAlignedBits,
  readOid,
  readSmallInteger,
  readTime,
} from './x509-der.js';

/** Extension OIDs (RFC 5280 §4.2.1). */
export const ExtensionOid = Object.freeze({
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
} as const);

/**
 * The extensions atlog processes, and so may accept when critical (RFC 5280 §4.2: a certificate
 * with a critical extension the validator does not recognise MUST be rejected). The two key
 * identifiers are informational (they only help to find an issuer), so understanding them is
 * trivially true. Everything else critical — nameConstraints, policyConstraints,
 * certificatePolicies, inhibitAnyPolicy, private extensions — is refused.
 */
export const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(ExtensionOid));

/** keyUsage bits, as @peculiar/x509 numbers them. */
export const KeyUsageBit = Object.freeze({
  digitalSignature: 1,
  keyCertSign: 32,
} as const);

/** One extension as encoded: what the critical-extension rule needs. */
export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The whole Extension SEQUENCE, for the typed decoders. */
  readonly der: Uint8Array;
}

/** A subjectAltName entry as @peculiar/x509 renders it: type "dns", "url", "email", "ip", … */
export interface SubjectAltName {
  readonly type: string;
  readonly value: string;
}

export interface BasicConstraints {
  readonly ca: boolean;
  /** Absent means unlimited. */
  readonly pathLength: number | undefined;
}

/** A certificate, framed, decoded and with its key loaded. Byte fields are slices of `der`. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** SHA-256 of `der`, hex: the certificate's identity in logs and summaries. */
  readonly fingerprint: string;
  /** tbsCertificate exactly as received: what the issuer signed. */
  readonly signed: Uint8Array;
  readonly signatureAlgorithm: DerElement;
  readonly signature: Uint8Array;
  readonly serialNumber: string;
  /** Names as DER, compared byte for byte (see README: name chaining). */
  readonly issuerName: Uint8Array;
  readonly subjectName: Uint8Array;
  /** Names as text, for people (see CertificateSummary.subject). */
  readonly issuer: string;
  readonly subject: string;
  /** Issuer and subject names are the same (RFC 5280 §3.2 "self-issued"). */
  readonly selfIssued: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly publicKey: KeyObject;
  /** undefined for a key that loads but that atlog accepts in no role (P-224, RSA-1024, …). */
  readonly keyKind: KeyKind | undefined;
  readonly extensions: readonly CertificateExtension[];
  readonly basicConstraints: BasicConstraints | undefined;
  /** keyUsage bits; undefined when the extension is absent (no restriction). */
  readonly keyUsage: number | undefined;
  /** extendedKeyUsage purposes (OIDs); undefined when the extension is absent. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  readonly subjectAltNames: readonly SubjectAltName[];
}

function malformed(reason: string, cause?: unknown): CertificateError {
  return new CertificateError('CERT_MALFORMED', reason, cause === undefined ? undefined : { cause });
}

/**
 * Parses one DER certificate. Throws CertificateError with a reason that does not name the
 * certificate; the caller prefixes its position.
 */
export function parseCertificate(der: Uint8Array, fingerprint: string = hash('sha256', der, 'hex')): ParsedCertificate {
  // Checking the first octet first also keeps @peculiar/x509's text fallbacks (PEM, hex, base64
  // for input that does not start with 0x30) from ever seeing these bytes.
  if (der[0] !== Tag.SEQUENCE) {
    throw malformed('not a DER certificate (it does not begin with a SEQUENCE; PEM, hex and base64 text are not accepted)');
  }
  const certificate = readElement(der);
  checkStrictDer(certificate);
  const [tbsField, algorithmField, signatureValue, ...extra] = readChildren(certificate);
  if (extra.length > 0) throw malformed('the certificate has fields after its signature');
  const tbs = expectTag(tbsField, Tag.SEQUENCE, 'tbsCertificate');
  const signatureAlgorithm = expectTag(algorithmField, Tag.SEQUENCE, 'the signature algorithm');
  const fields = readTbsCertificate(tbs);
  // RFC 5280 §4.1.1.2: the outer algorithm MUST equal the signed one, or the signature's meaning
  // could be swapped without touching the signed bytes.
  if (!bytesEqual(signatureAlgorithm.bytes, fields.signature.bytes)) {
    throw malformed('the signature algorithm outside tbsCertificate differs from the one inside');
  }
  const publicKey = loadPublicKey(fields.subjectPublicKeyInfo);
  const extensions = fields.extensions === undefined ? [] : readExtensions(fields.extensions);
  return {
    der,
    fingerprint,
    signed: tbs.bytes,
    signatureAlgorithm,
    signature: readOctetAlignedBits(signatureValue, 'the signature'),
    serialNumber: toHex(fields.serialNumber.content),
    issuerName: fields.issuer.bytes,
    subjectName: fields.subject.bytes,
    issuer: nameText(fields.issuer, 'the issuer name'),
    subject: nameText(fields.subject, 'the subject name'),
    selfIssued: bytesEqual(fields.issuer.bytes, fields.subject.bytes),
    notBefore: fields.notBefore,
    notAfter: fields.notAfter,
    subjectPublicKeyInfo: fields.subjectPublicKeyInfo.bytes,
    publicKey,
    keyKind: keyKindOf(publicKey),
    extensions,
    basicConstraints: decodeBasicConstraints(findExtension(extensions, ExtensionOid.basicConstraints)),
    keyUsage: decodeKeyUsage(findExtension(extensions, ExtensionOid.keyUsage)),
    extendedKeyUsage: decodeExtendedKeyUsage(findExtension(extensions, ExtensionOid.extendedKeyUsage)),
    subjectAltNames: decodeSubjectAltNames(findExtension(extensions, ExtensionOid.subjectAltName)),
  };
}

interface TbsFields {
  readonly serialNumber: DerElement;
  readonly signature: DerElement;
  readonly issuer: DerElement;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subject: DerElement;
  readonly subjectPublicKeyInfo: DerElement;
  readonly extensions: DerElement | undefined;
}

/** RFC 5280 §4.1: the fields of tbsCertificate, in order, with nothing left over. */
function readTbsCertificate(tbs: DerElement): TbsFields {
  const fields = readChildren(tbs);
  let next = 0;
  const version = readVersion(fields[0]);
  if (version !== 1) next = 1;
  const serialNumber = expectTag(fields[next++], Tag.INTEGER, 'the serial number');
  const signature = expectTag(fields[next++], Tag.SEQUENCE, 'the signature algorithm in tbsCertificate');
  const issuer = expectTag(fields[next++], Tag.SEQUENCE, 'the issuer name');
  const [notBefore, notAfter, ...extraTimes] = readChildren(expectTag(fields[next++], Tag.SEQUENCE, 'the validity'));
  if (extraTimes.length > 0) throw malformed('the validity has more than two times');
  const subject = expectTag(fields[next++], Tag.SEQUENCE, 'the subject name');
  const subjectPublicKeyInfo = expectTag(fields[next++], Tag.SEQUENCE, 'the subject public key info');
  // issuerUniqueID [1] and subjectUniqueID [2] (v2 and v3 only) carry nothing atlog uses.
  if (version >= 2 && fields[next]?.tag === contextTag(1, false)) next++;
  if (version >= 2 && fields[next]?.tag === contextTag(2, false)) next++;
  let extensions: DerElement | undefined;
  if (fields[next]?.tag === contextTag(3)) {
    if (version !== 3) throw malformed('extensions in a certificate that is not version 3');
    extensions = explicitContent(fields[next++] as DerElement, 'the extensions');
  }
  if (next !== fields.length) throw malformed('tbsCertificate has unexpected fields');
  return {
    serialNumber,
    signature,
    issuer,
    notBefore: readTime(notBefore, 'notBefore'),
    notAfter: readTime(notAfter, 'notAfter'),
    subject,
    subjectPublicKeyInfo,
    extensions,
  };
}

/** X.509 version 1, 2 or 3. Version 1 is encoded by omission (DER leaves out DEFAULT values). */
function readVersion(first: DerElement | undefined): 1 | 2 | 3 {
  if (first?.tag !== contextTag(0)) return 1;
  const value = readSmallInteger(explicitContent(first, 'the version'), 'the version');
  if (value === 1) return 2;
  if (value === 2) return 3;
  throw malformed(value === 0 ? 'version 1 is encoded explicitly (DER omits the default)' : 'the version is not 1, 2 or 3');
}

/** The single element inside an EXPLICIT context tag. */
function explicitContent(wrapper: DerElement, what: string): DerElement {
  const [inner, ...extra] = readChildren(wrapper);
  if (inner === undefined || extra.length > 0) throw malformed(`${what} is not one element`);
  return inner;
}

/** Loads the key with node:crypto, after checking it is of a type atlog knows. */
function loadPublicKey(spki: DerElement): KeyObject {
  checkSpkiAlgorithm(spki);
  try {
    return createPublicKey({ key: Buffer.from(spki.bytes), format: 'der', type: 'spki' });
  } catch (error) {
    throw malformed('the public key cannot be loaded', error);
  }
}

/**
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension; each OID at most once (RFC 5280 §4.2). An
 * empty list is tolerated: @peculiar/x509's own generator writes one, Go and OpenSSL accept it,
 * and it means the same as no list.
 */
function readExtensions(sequence: DerElement): CertificateExtension[] {
  const elements = readChildren(expectTag(sequence, Tag.SEQUENCE, 'the extensions'));
  const seen = new Set<string>();
  return elements.map((element) => {
    const extension = readExtension(element);
    if (seen.has(extension.oid)) throw malformed(`extension ${extension.oid} appears twice`);
    seen.add(extension.oid);
    return extension;
  });
}

function readExtension(element: DerElement): CertificateExtension {
  const parts = readChildren(expectTag(element, Tag.SEQUENCE, 'an extension'));
  const oid = readOid(parts[0], 'an extension identifier');
  if (parts.length !== 2 && parts.length !== 3) throw malformed(`extension ${oid} is not well formed`);
  // critical BOOLEAN DEFAULT FALSE: present only when there are three parts.
  const critical = parts.length === 3 && expectTag(parts[1], Tag.BOOLEAN, `the critical flag of extension ${oid}`).content[0] === 0xff;
  const value = expectTag(parts[parts.length - 1], Tag.OCTET_STRING, `the value of extension ${oid}`);
  // The values of the extensions we act on must be strict DER too; the others are never read.
  if (UNDERSTOOD_EXTENSIONS.has(oid)) checkStrictDer(readElement(value.content));
  return { oid, critical, der: element.bytes };
}

function findExtension(extensions: readonly CertificateExtension[], oid: string): CertificateExtension | undefined {
  return extensions.find((extension) => extension.oid === oid);
}

/** Runs one of @peculiar/x509's decoders, turning its errors into CERT_MALFORMED. */
function decodeWith<T>(what: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof CertificateError) throw error;
    throw malformed(`${what} cannot be decoded`, error);
  }
}

function nameText(name: DerElement, what: string): string {
  return decodeWith(what, () => new Name(name.bytes).toString());
}

function decodeBasicConstraints(extension: CertificateExtension | undefined): BasicConstraints | undefined {
  if (extension === undefined) return undefined;
  return decodeWith('the basicConstraints extension', () => {
    const { ca, pathLength } = new BasicConstraintsExtension(extension.der);
    if (pathLength !== undefined && !(Number.isSafeInteger(pathLength) && pathLength >= 0)) {
      throw malformed('the basicConstraints pathLenConstraint is not a non-negative integer');
    }
    return { ca, pathLength };
  });
}

function decodeKeyUsage(extension: CertificateExtension | undefined): number | undefined {
  if (extension === undefined) return undefined;
  return decodeWith('the keyUsage extension', () => new KeyUsagesExtension(extension.der).usages);
}

function decodeExtendedKeyUsage(extension: CertificateExtension | undefined): readonly string[] | undefined {
  if (extension === undefined) return undefined;
  return decodeWith('the extendedKeyUsage extension', () => {
    const usages = new ExtendedKeyUsageExtension(extension.der).usages.map(String);
    if (usages.length === 0) throw malformed('the extendedKeyUsage extension is empty');
    return usages;
  });
}

function decodeSubjectAltNames(extension: CertificateExtension | undefined): readonly SubjectAltName[] {
  if (extension === undefined) return [];
  return decodeWith('the subjectAltName extension', () =>
    new SubjectAlternativeNameExtension(extension.der).names.items.map((item) => ({ type: String(item.type), value: String(item.value) })),
  );
}

/** What callers see of a certificate: enough to log, display and match policy on. */
export interface CertificateSummary {
  /**
   * The name as text, as @peculiar/x509 renders it: RFC 4514 escaping, but the RDNs in encoded
   * order (`C=US, O=Example, CN=agent-7`), not RFC 4514's reversed order. For display and logs;
   * match policy on it only with that in mind.
   */
  readonly subject: string;
  readonly issuer: string;
  /** The serial number's INTEGER octets in hex, as encoded (a leading 00 keeps it positive). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** subjectAltName entries in order; empty when the extension is absent. */
  readonly subjectAltNames: readonly SubjectAltName[];
  /** basicConstraints cA. */
  readonly ca: boolean;
  /** SHA-256 of the DER certificate, hex. */
  readonly fingerprint: string;
}

export function summarizeCertificate(certificate: ParsedCertificate): CertificateSummary {
  return Object.freeze({
    subject: certificate.subject,
    issuer: certificate.issuer,
    serialNumber: certificate.serialNumber,
    notBefore: new Date(certificate.notBefore.getTime()),
    notAfter: new Date(certificate.notAfter.getTime()),
    subjectAltNames: Object.freeze(certificate.subjectAltNames.map((name) => Object.freeze({ ...name }))),
    ca: certificate.basicConstraints?.ca === true,
    fingerprint: certificate.fingerprint,
  });
}

/** Subject name and key: who a certificate speaks for, whatever its validity or serial. */
export function certificateIdentity(certificate: ParsedCertificate): string {
  return `${toHex(certificate.subjectName)}/${toHex(certificate.subjectPublicKeyInfo)}`;
}
