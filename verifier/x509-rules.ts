// The rules about one certificate in one role, each a function that returns what is wrong (or
// nothing). Path validation (x509.ts) and trust-anchor loading (x509-anchors.ts) apply the same
// rules and turn a problem into their own error with their own wording of which certificate.

import type { CertificateErrorCode } from './errors.js';
import { ISSUER_KEY_KINDS, LEAF_KEY_KINDS, describeKey } from './x509-algorithms.js';
import { KeyUsageBit, type ParsedCertificate, UNDERSTOOD_EXTENSIONS } from './x509-certificate.js';

/** What is wrong with a certificate: a stable code and a reason that does not name it. */
export interface Problem {
  readonly code: CertificateErrorCode;
  readonly reason: string;
}

/** RFC 5280 §4.1.2.5: the validity period includes both notBefore and notAfter. */
export function validityProblem(certificate: ParsedCertificate, at: Date): Problem | undefined {
  const time = at.getTime();
  if (time < certificate.notBefore.getTime()) {
    return { code: 'CERT_NOT_YET_VALID', reason: `is not valid before ${iso(certificate.notBefore)} (validation time ${iso(at)})` };
  }
  if (time > certificate.notAfter.getTime()) {
    return { code: 'CERT_EXPIRED', reason: `expired at ${iso(certificate.notAfter)} (validation time ${iso(at)})` };
  }
  return undefined;
}

/** RFC 5280 §4.2: a critical extension the validator does not process means the certificate is refused. */
export function criticalExtensionProblem(certificate: ParsedCertificate): Problem | undefined {
  const unknown = certificate.extensions.find((extension) => extension.critical && !UNDERSTOOD_EXTENSIONS.has(extension.oid));
  if (unknown === undefined) return undefined;
  return { code: 'CERT_UNKNOWN_CRITICAL_EXTENSION', reason: `has critical extension ${unknown.oid}, which atlog does not process` };
}

/**
 * May this certificate sign certificates? RFC 5280 §4.2.1.9: only with basicConstraints cA=TRUE
 * (a version 1 certificate, which cannot carry it, never may); §4.2.1.3: when keyUsage is present
 * it must assert keyCertSign. And its key must be one atlog verifies certificate signatures with.
 */
export function issuerProblem(certificate: ParsedCertificate): Problem | undefined {
  if (certificate.basicConstraints?.ca !== true) {
    return { code: 'CERT_NOT_CA', reason: 'is not a CA certificate (basicConstraints cA is not TRUE)' };
  }
  if (certificate.keyUsage !== undefined && (certificate.keyUsage & KeyUsageBit.keyCertSign) === 0) {
    return { code: 'CERT_KEY_USAGE', reason: 'is a CA certificate whose keyUsage does not include keyCertSign' };
  }
  if (certificate.keyKind === undefined || !ISSUER_KEY_KINDS.has(certificate.keyKind)) {
    return {
      code: 'CERT_UNSUPPORTED_ALGORITHM',
      reason: `has a key of type ${describeKey(certificate.publicKey)}; CA keys must be P-256, P-384, P-521, Ed25519 or RSA of 2048 to 8192 bits`,
    };
  }
  return undefined;
}

/**
 * May this certificate sign statements? It must not be a CA (key separation: a key that can mint
 * certificates should not also sign statements, and an intermediate presented as if it were a
 * leaf would otherwise pass); when keyUsage is present it must assert digitalSignature; its key
 * must be one of the COSE algorithms' keys; and when the caller requires extendedKeyUsage
 * purposes, the extension must be present and name one of them.
 */
export function leafProblem(certificate: ParsedCertificate, requiredExtendedKeyUsage: readonly string[] | undefined): Problem | undefined {
  if (certificate.basicConstraints?.ca === true) {
    return { code: 'CERT_LEAF_IS_CA', reason: 'is a CA certificate (basicConstraints cA=TRUE); statements must be signed by an end-entity certificate' };
  }
  if (certificate.keyUsage !== undefined && (certificate.keyUsage & KeyUsageBit.digitalSignature) === 0) {
    return { code: 'CERT_KEY_USAGE', reason: 'has a keyUsage without digitalSignature, so it may not sign statements' };
  }
  if (certificate.keyKind === undefined || !LEAF_KEY_KINDS.has(certificate.keyKind)) {
    return {
      code: 'CERT_UNSUPPORTED_ALGORITHM',
      reason: `has a key of type ${describeKey(certificate.publicKey)}; statement signers must use P-256, P-384 or Ed25519`,
    };
  }
  return extendedKeyUsageProblem(certificate, requiredExtendedKeyUsage);
}

function extendedKeyUsageProblem(certificate: ParsedCertificate, required: readonly string[] | undefined): Problem | undefined {
  if (required === undefined) return undefined;
  const usages = certificate.extendedKeyUsage;
  if (usages === undefined) {
    return { code: 'CERT_EXTENDED_KEY_USAGE', reason: `has no extendedKeyUsage; one of ${required.join(', ')} is required` };
  }
  if (!usages.some((usage) => required.includes(usage))) {
    return { code: 'CERT_EXTENDED_KEY_USAGE', reason: `has an extendedKeyUsage without any of ${required.join(', ')}` };
  }
  return undefined;
}

function iso(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}
