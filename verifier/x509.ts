// Issuer certificate chains for SCITT signed statements (RFC 9360 x5chain, COSE header 33): does
// the chain lead to a trust anchor, and if so, which key signed the statement? This is the
// "build and validate a full certification path to a registered trust anchor" of RFC 9943, done
// in the order of RFC 5280 §6.1 with atlog's stricter choices (verifier/README.md lists them).
// Everything is synchronous: parsing, the limits, and node:crypto's signature checks.

import { hash, type KeyObject } from 'node:crypto';
import { bytesEqual } from '../util/index.js';
import { CertificateError, type CertificateErrorCode, quoteForMessage } from './errors.js';
import { keyFitsAlgorithm, signatureAlgorithmOf, type SignatureAlgorithm, verifyCertificateSignature } from './x509-algorithms.js';
import { type TrustAnchorInput, TrustAnchors, loadTrustAnchors } from './x509-anchors.js';
import { CertificateCache } from './x509-cache.js';
import {
  type CertificateSummary,
  type ParsedCertificate,
  certificateIdentity,
  parseCertificate,
  summarizeCertificate,
} from './x509-certificate.js';
import { type Problem, criticalExtensionProblem, issuerProblem, leafProblem, validityProblem } from './x509-rules.js';

/**
 * Pass as `unanchoredRoots` to accept a chain that ends in a self-signed root that is not a
 * configured trust anchor: the service's open development policy. The chain is still validated
 * in full (every signature including the root's own, validity, CA flags, key usage, path length).
 * A symbol, not a boolean, so that no configuration file or stray `true` can switch it on: the
 * code that wants it must import this constant by its name.
 */
export const UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY: unique symbol = Symbol('atlog.x509.unanchored-roots-for-development-only');

/** Limits on the presented chain, checked before any certificate is parsed. */
export interface ChainLimits {
  /** Most certificates in the x5chain, leaf and any anchor included. */
  readonly maxChainLength: number;
  /** Largest single DER certificate, in bytes. */
  readonly maxCertificateBytes: number;
  /** Largest sum of the certificates' sizes, in bytes. */
  readonly maxChainBytes: number;
}

/**
 * Real chains are 2–4 certificates of 0.5–2 KiB. Eight certificates is twice the deepest public
 * PKI; 16 KiB fits a certificate with a large SAN list; 64 KiB bounds the whole chain far below
 * the 1 MiB statement limit, so one statement costs at most eight signature checks.
 */
export const DEFAULT_CHAIN_LIMITS: ChainLimits = Object.freeze({
  maxChainLength: 8,
  maxCertificateBytes: 16 * 1024,
  maxChainBytes: 64 * 1024,
});

const HARD_LIMITS: ChainLimits = Object.freeze({ maxChainLength: 64, maxCertificateBytes: 1024 * 1024, maxChainBytes: 4 * 1024 * 1024 });

export interface CertificateChainOptions extends Partial<ChainLimits> {
  /**
   * The registered trust anchors: a set loaded once with `loadTrustAnchors` (preferred: parsed and
   * checked once), or DER / PEM inputs parsed on every call. May be empty only in development.
   */
  readonly trustAnchors: TrustAnchors | readonly TrustAnchorInput[];
  /** The validation time; default now. Registration uses now; an auditor replaying uses the registration time. */
  readonly at?: Date;
  /**
   * When set, the leaf must carry extendedKeyUsage naming at least one of these OIDs (for example
   * codeSigning, 1.3.6.1.5.5.7.3.3). Unset: extendedKeyUsage is not checked.
   */
  readonly requiredExtendedKeyUsage?: readonly string[];
  /** See {@link UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY}. Any other value is refused. */
  readonly unanchoredRoots?: typeof UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY;
  /**
   * A memo of parsed certificates and verified signatures from `createCertificateCache`, shared by
   * the calls of one process. Results are the same with or without it; repeat chains get cheaper.
   */
  readonly cache?: CertificateCache;
}

/** How the path ended: at a configured anchor, or (development only) at a self-signed root. */
export type ChainTrust = 'trust-anchor' | 'unanchored-development-root';

export interface ValidatedCertificateChain {
  /** The key to verify the COSE signature with. */
  readonly leafPublicKey: KeyObject;
  readonly leafCertificate: CertificateSummary;
  /** The presented certificates in the path, leaf first, up to and excluding the anchor. */
  readonly path: readonly CertificateSummary[];
  /** The configured anchor (even when the chain carried a copy of it) or the development root. */
  readonly anchor: CertificateSummary;
  readonly trust: ChainTrust;
}

/** A certificate in the path, with the words an error message uses for it. */
interface PathEntry {
  readonly certificate: ParsedCertificate;
  /** `certificate 1 ("CN=…")` or `trust anchor ("CN=…")`. */
  readonly label: string;
  /** Position in the presented chain; undefined for a configured anchor. */
  readonly position: number | undefined;
}

interface CertificationPath {
  /** Leaf first, anchor last. */
  readonly entries: readonly PathEntry[];
  readonly trust: ChainTrust;
  /** The anchor was found by verifying the top certificate's signature with it: no need to verify twice. */
  readonly anchorLinkVerified: boolean;
}

interface Settings {
  readonly limits: ChainLimits;
  readonly at: Date;
  readonly anchors: TrustAnchors;
  readonly unanchoredRoots: boolean;
  readonly requiredExtendedKeyUsage: readonly string[] | undefined;
  readonly cache: CertificateCache | undefined;
}

/**
 * Validates an x5chain (DER certificates, leaf first) against the trust anchors, and returns the
 * leaf's public key with summaries of the path. Throws {@link CertificateError}.
 */
export function validateCertificateChain(chain: readonly Uint8Array[], options: CertificateChainOptions): ValidatedCertificateChain {
  const settings = resolveSettings(options);
  const presented = parseChain(chain, settings);
  refuseRepeats(presented);
  const path = buildPath(presented, settings);
  checkPath(path, settings);
  settings.cache?.rememberPath(presented.map((entry) => entry.certificate), pathLinks(path));
  return describePath(path);
}

// ---------------------------------------------------------------------------------------------
// Options

function badArgument(message: string): CertificateError {
  return new CertificateError('CERT_BAD_ARGUMENT', message);
}

function resolveSettings(options: CertificateChainOptions): Settings {
  if (typeof options !== 'object' || options === null) throw badArgument('options are required (at least trustAnchors)');
  return {
    limits: resolveLimits(options),
    at: resolveTime(options.at),
    anchors: resolveAnchors(options.trustAnchors),
    unanchoredRoots: resolveUnanchoredRoots(options.unanchoredRoots),
    requiredExtendedKeyUsage: resolveExtendedKeyUsage(options.requiredExtendedKeyUsage),
    cache: resolveCache(options.cache),
  };
}

function resolveCache(cache: CertificateCache | undefined): CertificateCache | undefined {
  if (cache === undefined || cache instanceof CertificateCache) return cache;
  throw badArgument('cache must come from createCertificateCache');
}

function resolveLimits(options: Partial<ChainLimits>): ChainLimits {
  const limit = (name: keyof ChainLimits): number => {
    const value = options[name] ?? DEFAULT_CHAIN_LIMITS[name];
    if (!Number.isSafeInteger(value) || value < 1 || value > HARD_LIMITS[name]) {
      throw badArgument(`${name} must be an integer from 1 to ${HARD_LIMITS[name]}`);
    }
    return value;
  };
  return { maxChainLength: limit('maxChainLength'), maxCertificateBytes: limit('maxCertificateBytes'), maxChainBytes: limit('maxChainBytes') };
}

function resolveTime(at: Date | undefined): Date {
  if (at === undefined) return new Date();
  if (!(at instanceof Date) || !Number.isFinite(at.getTime())) throw badArgument('at must be a valid Date');
  return new Date(at.getTime());
}

function resolveAnchors(anchors: CertificateChainOptions['trustAnchors'] | undefined): TrustAnchors {
  if (anchors instanceof TrustAnchors) return anchors;
  if (Array.isArray(anchors)) return loadTrustAnchors(anchors);
  throw badArgument('trustAnchors is required: a set from loadTrustAnchors, or an array of DER / PEM certificates (empty for none)');
}

function resolveUnanchoredRoots(value: unknown): boolean {
  if (value === undefined) return false;
  if (value === UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY) return true;
  throw badArgument('unanchoredRoots accepts only UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY (a boolean or string is refused on purpose)');
}

const DOTTED_OID = /^[0-2](?:\.(?:0|[1-9]\d{0,15})){1,32}$/;

function resolveExtendedKeyUsage(value: readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || !value.every((oid) => typeof oid === 'string' && DOTTED_OID.test(oid))) {
    throw badArgument('requiredExtendedKeyUsage must be a non-empty array of dotted OIDs');
  }
  return Object.freeze([...value]);
}

// ---------------------------------------------------------------------------------------------
// The presented chain

/** Counts and sizes first, so an oversized chain costs nothing to refuse; then every certificate parses. */
function parseChain(chain: readonly Uint8Array[], settings: Settings): PathEntry[] {
  const { limits } = settings;
  if (!Array.isArray(chain)) throw badArgument('the chain must be an array of DER certificates');
  if (chain.length === 0) throw new CertificateError('CERT_CHAIN_EMPTY', 'the x5chain holds no certificates');
  if (chain.length > limits.maxChainLength) {
    throw new CertificateError('CERT_CHAIN_TOO_LONG', `the x5chain holds ${chain.length} certificates; the limit is ${limits.maxChainLength}`);
  }
  let total = 0;
  chain.forEach((der: unknown, position) => {
    if (!(der instanceof Uint8Array)) throw badArgument(`certificate ${position} is not a Uint8Array`);
    if (der.length > limits.maxCertificateBytes) {
      throw new CertificateError('CERT_TOO_LARGE', `certificate ${position} is ${der.length} bytes; the limit is ${limits.maxCertificateBytes}`, { position });
    }
    total += der.length;
  });
  if (total > limits.maxChainBytes) {
    throw new CertificateError('CERT_TOO_LARGE', `the x5chain is ${total} bytes; the limit is ${limits.maxChainBytes}`);
  }
  return chain.map((der, position) => parsePresented(der, position, settings.cache));
}

function parsePresented(der: Uint8Array, position: number, cache: CertificateCache | undefined): PathEntry {
  try {
    const fingerprint = hash('sha256', der, 'hex');
    const certificate = cache?.certificate(fingerprint) ?? parseCertificate(der, fingerprint);
    return { certificate, position, label: `certificate ${position} (${quoteForMessage(certificate.subject)})` };
  } catch (error) {
    if (!(error instanceof CertificateError)) throw error;
    throw new CertificateError(error.code, `certificate ${position}: ${error.message}`, { position, cause: error.cause });
  }
}

/**
 * The same certificate twice (the same subject and key, whatever the DER) means a loop or padding;
 * neither belongs in a path, and refusing it bounds path building to one pass.
 */
function refuseRepeats(presented: readonly PathEntry[]): void {
  const first = new Map<string, number>();
  for (const entry of presented) {
    const identity = certificateIdentity(entry.certificate);
    const earlier = first.get(identity);
    if (earlier !== undefined) {
      throw failure('CERT_LOOP', entry, `repeats certificate ${earlier} (same subject and key)`);
    }
    first.set(identity, entry.position ?? -1);
  }
}

function failure(code: CertificateErrorCode, entry: PathEntry, reason: string): CertificateError {
  return new CertificateError(code, `${entry.label} ${reason}`, entry.position === undefined ? undefined : { position: entry.position });
}

function fail(entry: PathEntry, problem: Problem | undefined): void {
  if (problem !== undefined) throw failure(problem.code, entry, problem.reason);
}

// ---------------------------------------------------------------------------------------------
// Where the path ends

/**
 * The chain is taken in the order given (RFC 9360: each certificate certifies the one before it);
 * atlog does not reorder or search. The path ends at the first presented certificate, after the
 * leaf, that is a configured anchor (same subject and key); else at the configured anchor that
 * signed the top certificate; else, in development, at a self-signed top certificate.
 */
function buildPath(presented: readonly PathEntry[], settings: Settings): CertificationPath {
  const anchorAt = presented.findIndex((entry, index) => index > 0 && settings.anchors.withIdentity(entry.certificate) !== undefined);
  if (anchorAt > 0) {
    const unused = presented[anchorAt + 1];
    if (unused !== undefined) {
      throw failure('CERT_UNUSED_CERTIFICATE', unused, `follows trust anchor ${quoteForMessage(presented[anchorAt]?.certificate.subject ?? '')} and is not part of the path`);
    }
    // The configured anchor stands in for the presented copy: trust comes from configuration,
    // so its validity and constraints are the ones that count.
    const anchor = settings.anchors.withIdentity((presented[anchorAt] as PathEntry).certificate) as ParsedCertificate;
    return { entries: [...presented.slice(0, anchorAt), anchorEntry(anchor)], trust: 'trust-anchor', anchorLinkVerified: false };
  }
  const top = presented[presented.length - 1] as PathEntry;
  const issuingAnchor = findIssuingAnchor(top, settings);
  if (issuingAnchor !== undefined) {
    return { entries: [...presented, anchorEntry(issuingAnchor)], trust: 'trust-anchor', anchorLinkVerified: true };
  }
  if (settings.unanchoredRoots && presented.length > 1 && top.certificate.selfIssued) {
    return { entries: presented, trust: 'unanchored-development-root', anchorLinkVerified: false };
  }
  throw untrustedRoot(top, settings);
}

function anchorEntry(anchor: ParsedCertificate): PathEntry {
  return { certificate: anchor, position: undefined, label: `trust anchor (${quoteForMessage(anchor.subject)})` };
}

/**
 * The configured anchor whose subject is the top certificate's issuer and whose key verifies its
 * signature. A same-named anchor whose key does not verify is a different CA, not ours.
 */
function findIssuingAnchor(top: PathEntry, settings: Settings): ParsedCertificate | undefined {
  const candidates = settings.anchors.named(top.certificate.issuerName);
  if (candidates.length === 0) return undefined;
  const algorithm = signatureAlgorithmFor(top);
  const anchor = candidates.find((candidate) => signatureVerifies(top.certificate, algorithm, candidate, settings.cache));
  if (anchor === undefined) {
    throw failure(
      'CERT_UNTRUSTED_ROOT',
      top,
      `names trust anchor ${quoteForMessage(top.certificate.issuer)} as its issuer, but no trust anchor of that name has the key that signed it`,
    );
  }
  return anchor;
}

function untrustedRoot(top: PathEntry, settings: Settings): CertificateError {
  const none = settings.anchors.size === 0 ? ' (no trust anchors are configured)' : '';
  if (top.certificate.selfIssued && settings.unanchoredRoots) {
    return failure('CERT_UNTRUSTED_ROOT', top, 'is self-issued and the only certificate; even in development the leaf needs a separate root');
  }
  if (top.certificate.selfIssued) {
    return failure('CERT_UNTRUSTED_ROOT', top, `is a self-issued root that is not a configured trust anchor${none}`);
  }
  const development = settings.unanchoredRoots ? '; in development the chain may instead end in a self-signed root' : '';
  return failure('CERT_UNTRUSTED_ROOT', top, `is issued by ${quoteForMessage(top.certificate.issuer)}, which is not a configured trust anchor${none}${development}`);
}

// ---------------------------------------------------------------------------------------------
// Checking the path

/**
 * From the leaf up: each certificate's own rules, then the link to its issuer (names, the
 * issuer's right to issue, the signature); then the anchor; then path lengths, which need the
 * whole path. The first failure nearest the leaf is the one reported.
 */
function checkPath(path: CertificationPath, settings: Settings): void {
  const { entries } = path;
  const anchorIndex = entries.length - 1;
  for (let index = 0; index < anchorIndex; index++) {
    const subject = entries[index] as PathEntry;
    const issuer = entries[index + 1] as PathEntry;
    checkCertificate(subject, settings.at);
    if (index === 0) fail(subject, leafProblem(subject.certificate, settings.requiredExtendedKeyUsage));
    const alreadyVerified = index === anchorIndex - 1 && path.anchorLinkVerified;
    checkLink(subject, issuer, alreadyVerified, settings.cache);
  }
  const anchor = entries[anchorIndex] as PathEntry;
  checkCertificate(anchor, settings.at);
  if (path.trust === 'unanchored-development-root') checkSelfSignature(anchor, settings.cache);
  checkPathLengths(entries);
}

/** Rules for every certificate in the path, the anchor included. */
function checkCertificate(entry: PathEntry, at: Date): void {
  fail(entry, validityProblem(entry.certificate, at));
  fail(entry, criticalExtensionProblem(entry.certificate));
}

/** `subject` was issued by `issuer`: the names chain, the issuer may issue, and it signed. */
function checkLink(subject: PathEntry, issuer: PathEntry, signatureAlreadyVerified: boolean, cache: CertificateCache | undefined): void {
  if (!bytesEqual(subject.certificate.issuerName, issuer.certificate.subjectName)) {
    throw failure(
      'CERT_NAME_MISMATCH',
      subject,
      `names ${quoteForMessage(subject.certificate.issuer)} as its issuer, but the next certificate is ${quoteForMessage(issuer.certificate.subject)}`,
    );
  }
  fail(issuer, issuerProblem(issuer.certificate));
  if (signatureAlreadyVerified) return;
  const algorithm = signatureAlgorithmFor(subject);
  const issuerKind = issuer.certificate.keyKind;
  if (issuerKind === undefined || !keyFitsAlgorithm(issuerKind, algorithm)) {
    throw failure('CERT_BAD_SIGNATURE', subject, `is signed with ${algorithm.name}, which the key of ${issuer.label} cannot have made`);
  }
  if (!signatureVerifies(subject.certificate, algorithm, issuer.certificate, cache)) {
    throw failure('CERT_BAD_SIGNATURE', subject, `has a signature that does not verify with the key of ${issuer.label}`);
  }
}

/**
 * A development root is trusted for nothing but its own signature, so that is checked too (a
 * configured anchor's is not: it is trusted by configuration, whatever it was signed with). Its
 * right to issue was checked with the link below it.
 */
function checkSelfSignature(root: PathEntry, cache: CertificateCache | undefined): void {
  const algorithm = signatureAlgorithmFor(root);
  if (!signatureVerifies(root.certificate, algorithm, root.certificate, cache)) {
    throw failure('CERT_BAD_SIGNATURE', root, 'is self-issued but its self-signature does not verify');
  }
}

/**
 * RFC 5280 §4.2.1.9: pathLenConstraint is the most non-self-issued intermediate certificates that
 * may follow a CA certificate in the path. The leaf is not an intermediate and does not count;
 * self-issued intermediates (key rollover) do not count either. The anchor's constraint is
 * honoured too.
 */
function checkPathLengths(entries: readonly PathEntry[]): void {
  for (let index = 1; index < entries.length; index++) {
    const entry = entries[index] as PathEntry;
    const allowed = entry.certificate.basicConstraints?.pathLength;
    if (allowed === undefined) continue;
    const below = entries.slice(1, index).filter((intermediate) => !intermediate.certificate.selfIssued).length;
    if (below > allowed) {
      throw failure(
        'CERT_PATH_LENGTH',
        entry,
        `allows ${allowed} intermediate CA certificate${allowed === 1 ? '' : 's'} below it (pathLenConstraint), but the path has ${below}`,
      );
    }
  }
}

/** The certificate's signature algorithm, or CERT_UNSUPPORTED_ALGORITHM / CERT_MALFORMED naming it. */
function signatureAlgorithmFor(entry: PathEntry): SignatureAlgorithm {
  try {
    return signatureAlgorithmOf(entry.certificate.signatureAlgorithm);
  } catch (error) {
    if (!(error instanceof CertificateError)) throw error;
    throw new CertificateError(error.code, `${entry.label}: ${error.message}`, entry.position === undefined ? undefined : { position: entry.position });
  }
}

function signatureVerifies(
  subject: ParsedCertificate,
  algorithm: SignatureAlgorithm,
  issuer: ParsedCertificate,
  cache: CertificateCache | undefined,
): boolean {
  if (issuer.keyKind === undefined || !keyFitsAlgorithm(issuer.keyKind, algorithm)) return false;
  if (cache?.isVerified(subject, issuer) === true) return true;
  return verifyCertificateSignature(algorithm, issuer.publicKey, subject.signed, subject.signature);
}

// ---------------------------------------------------------------------------------------------
// The result

/** Every signature the path rests on, as [signed certificate, signing certificate]. */
function pathLinks(path: CertificationPath): (readonly [ParsedCertificate, ParsedCertificate])[] {
  const certificates = path.entries.map((entry) => entry.certificate);
  const links = certificates.slice(0, -1).map((subject, index) => [subject, certificates[index + 1] as ParsedCertificate] as const);
  const top = certificates[certificates.length - 1] as ParsedCertificate;
  if (path.trust === 'unanchored-development-root') links.push([top, top]);
  return links;
}

function describePath(path: CertificationPath): ValidatedCertificateChain {
  const below = path.entries.slice(0, -1).map((entry) => summarizeCertificate(entry.certificate));
  const leaf = path.entries[0] as PathEntry;
  const anchor = path.entries[path.entries.length - 1] as PathEntry;
  return Object.freeze({
    leafPublicKey: leaf.certificate.publicKey,
    leafCertificate: below[0] as CertificateSummary,
    path: Object.freeze(below),
    anchor: summarizeCertificate(anchor.certificate),
    trust: path.trust,
  });
}
