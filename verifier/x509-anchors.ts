// The configured trust anchors: parsed and checked once, when the operator's configuration is
// loaded, so that a bad anchor fails at start-up with CERT_BAD_TRUST_ANCHOR instead of making
// every later registration fail with a confusing error. Anchors are found by exact identity
// (subject name and key, both as DER), never by name alone.

import { fromBase64, toHex } from '../util/index.js';
import { CertificateError, quoteForMessage } from './errors.js';
import {
  type CertificateSummary,
  type ParsedCertificate,
  certificateIdentity,
  parseCertificate,
  summarizeCertificate,
} from './x509-certificate.js';
import { criticalExtensionProblem, issuerProblem } from './x509-rules.js';

/** A DER certificate, or PEM text holding one or more `CERTIFICATE` blocks (a CA bundle). */
export type TrustAnchorInput = Uint8Array | string;

/** Anchors come from the operator, not from clients; the limit only stops an obvious mistake. */
const MAX_ANCHOR_BYTES = 64 * 1024;

/**
 * A loaded, checked set of trust anchors. Build it once with {@link loadTrustAnchors}; the
 * package's public face exports only the type, so nothing else constructs one unchecked.
 */
export class TrustAnchors {
  readonly #anchors: readonly ParsedCertificate[];
  readonly #byIdentity: ReadonlyMap<string, ParsedCertificate>;
  readonly #byName: ReadonlyMap<string, readonly ParsedCertificate[]>;

  /** @internal Use {@link loadTrustAnchors}. */
  constructor(anchors: readonly ParsedCertificate[]) {
    this.#anchors = Object.freeze([...anchors]);
    this.#byIdentity = new Map(anchors.map((anchor) => [certificateIdentity(anchor), anchor]));
    const byName = new Map<string, ParsedCertificate[]>();
    for (const anchor of anchors) {
      const key = toHex(anchor.subjectName);
      byName.set(key, [...(byName.get(key) ?? []), anchor]);
    }
    this.#byName = byName;
  }

  get size(): number {
    return this.#anchors.length;
  }

  /** What the operator configured, for start-up logs and the transparency of the policy. */
  summaries(): CertificateSummary[] {
    return this.#anchors.map(summarizeCertificate);
  }

  /** @internal The anchor with the same subject name and key as `certificate`, if there is one. */
  withIdentity(certificate: ParsedCertificate): ParsedCertificate | undefined {
    return this.#byIdentity.get(certificateIdentity(certificate));
  }

  /** @internal The anchors whose subject name is exactly `name` (DER). */
  named(name: Uint8Array): readonly ParsedCertificate[] {
    return this.#byName.get(toHex(name)) ?? [];
  }
}

/**
 * Parses and checks trust anchors. Each must be a CA certificate (basicConstraints cA=TRUE,
 * keyCertSign when keyUsage is present) with a key atlog verifies and no critical extension atlog
 * does not process. Validity is not checked here (it depends on the validation time), nor the
 * anchor's own signature (an anchor is trusted by configuration, and many roots are self-signed
 * with SHA-1). Exact duplicates are dropped; two different certificates with the same subject
 * and key are refused, because which one's validity and constraints apply would be a guess.
 */
export function loadTrustAnchors(inputs: readonly TrustAnchorInput[]): TrustAnchors {
  if (!Array.isArray(inputs)) throw new CertificateError('CERT_BAD_ARGUMENT', 'trust anchors must be an array of DER bytes or PEM strings');
  const anchors: ParsedCertificate[] = [];
  const seen = new Map<string, { anchor: ParsedCertificate; label: string }>();
  inputs.forEach((input, index) => {
    for (const { der, label } of anchorCertificates(input, `trust anchor input ${index}`)) {
      const anchor = checkedAnchor(der, label);
      const identity = certificateIdentity(anchor);
      const earlier = seen.get(identity);
      if (earlier === undefined) {
        seen.set(identity, { anchor, label });
        anchors.push(anchor);
      } else if (earlier.anchor.fingerprint !== anchor.fingerprint) {
        throw badAnchor(`${label} has the same subject and key as ${earlier.label} but is a different certificate; configure one of them`);
      }
    }
  });
  return new TrustAnchors(anchors);
}

function badAnchor(message: string, cause?: unknown): CertificateError {
  return new CertificateError('CERT_BAD_TRUST_ANCHOR', message, cause === undefined ? undefined : { cause });
}

/** The DER certificates in one input: itself when bytes, every CERTIFICATE block when PEM. */
function anchorCertificates(input: TrustAnchorInput, label: string): { der: Uint8Array; label: string }[] {
  if (input instanceof Uint8Array) return [{ der: input, label }];
  if (typeof input !== 'string') throw new CertificateError('CERT_BAD_ARGUMENT', `${label} is neither bytes nor a PEM string`);
  return pemCertificates(input, label);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \1-----/g;

/**
 * Strict PEM (RFC 7468): text outside the blocks (bundle comments) is ignored, but every block
 * must be a CERTIFICATE with plain base64 inside, and a private key is refused outright, so that
 * pasting the wrong file into the anchor configuration is an error rather than a silent no-op.
 */
function pemCertificates(text: string, label: string): { der: Uint8Array; label: string }[] {
  if (text.length > 16 * MAX_ANCHOR_BYTES) throw badAnchor(`${label} is longer than ${16 * MAX_ANCHOR_BYTES} characters`);
  const blocks = [...text.matchAll(PEM_BLOCK)];
  const begins = text.split('-----BEGIN ').length - 1;
  if (blocks.length === 0) throw badAnchor(`${label} contains no PEM CERTIFICATE block`);
  if (blocks.length !== begins) throw badAnchor(`${label} has a PEM block without a matching END line`);
  return blocks.map(([, type = '', body = ''], index) => {
    const blockLabel = `${label}, PEM block ${index}`;
    if (type.includes('PRIVATE KEY')) throw badAnchor(`${blockLabel} is a private key; trust anchors are certificates only`);
    if (type !== 'CERTIFICATE') throw badAnchor(`${blockLabel} is a ${quoteForMessage(type)}, not a CERTIFICATE`);
    const der = fromBase64(body.replace(/[\t\n\r ]+/g, ''));
    if (der === undefined) throw badAnchor(`${blockLabel} is not base64 (PEM headers are not supported)`);
    return { der, label: blockLabel };
  });
}

/** One anchor, parsed and held to the rules of a certificate that issues certificates. */
function checkedAnchor(der: Uint8Array, label: string): ParsedCertificate {
  if (der.length > MAX_ANCHOR_BYTES) throw badAnchor(`${label} is larger than ${MAX_ANCHOR_BYTES} bytes`);
  let anchor: ParsedCertificate;
  try {
    anchor = parseCertificate(der);
  } catch (error) {
    if (!(error instanceof CertificateError)) throw error;
    throw badAnchor(`${label}: ${error.message}`, error);
  }
  const named = `${label} (${quoteForMessage(anchor.subject)})`;
  const problem = issuerProblem(anchor) ?? criticalExtensionProblem(anchor);
  if (problem !== undefined) throw badAnchor(`${named} ${problem.reason}`);
  return anchor;
}
