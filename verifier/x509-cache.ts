// An opt-in memo for chain validation. An agent signs every statement with the same leaf under
// the same intermediate, and without a memo each statement pays for parsing both certificates
// (~0.5 ms each, mostly loading the key and @peculiar/x509's decoders) and for their signature
// checks (~0.7 ms for a P-384 issuer), several times the cost of the COSE signature itself.
//
// What is remembered is only ever a pure function of bytes, keyed by SHA-256 of those bytes: the
// parse of a certificate, and "this certificate's signature verifies with that certificate's
// key". Time-dependent checks (validity) and policy (anchors, EKU, limits) run on every call.
// Entries are added only after a whole chain has validated, so a stream of junk certificates
// cannot push out the ones that matter.

import { CertificateError } from './errors.js';
import type { ParsedCertificate } from './x509-certificate.js';

const DEFAULT_MAX_ENTRIES = 1024;
const MAX_MAX_ENTRIES = 1_000_000;

/** A bounded, least-recently-used map. */
class Lru<V> {
  readonly #entries = new Map<string, V>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // Map iteration order is insertion order: re-inserting marks the entry as most recent.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Parsed certificates and verified certificate signatures, for `validateCertificateChain`'s `cache` option. */
export class CertificateCache {
  readonly #certificates: Lru<ParsedCertificate>;
  readonly #verifiedLinks: Lru<true>;

  /** @internal Use {@link createCertificateCache}. */
  constructor(maxEntries: number) {
    this.#certificates = new Lru(maxEntries);
    this.#verifiedLinks = new Lru(maxEntries);
  }

  /** Certificates held (for metrics). */
  get size(): number {
    return this.#certificates.size;
  }

  /** @internal */
  certificate(fingerprint: string): ParsedCertificate | undefined {
    return this.#certificates.get(fingerprint);
  }

  /** @internal */
  isVerified(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
    return this.#verifiedLinks.get(linkKey(subject, issuer)) === true;
  }

  /** @internal Called once a whole path has validated: its certificates and its links. */
  rememberPath(certificates: readonly ParsedCertificate[], links: readonly (readonly [ParsedCertificate, ParsedCertificate])[]): void {
    for (const certificate of certificates) this.#certificates.set(certificate.fingerprint, certificate);
    for (const [subject, issuer] of links) this.#verifiedLinks.set(linkKey(subject, issuer), true);
  }
}

/** The subject's fingerprint covers the signed bytes, the algorithm and the signature; the issuer's covers the key. */
function linkKey(subject: ParsedCertificate, issuer: ParsedCertificate): string {
  return `${subject.fingerprint}<${issuer.fingerprint}`;
}

/**
 * A cache to pass to every `validateCertificateChain` call of one process (the registration
 * policy keeps one). `maxEntries` bounds the certificates and the verified links held, each.
 */
export function createCertificateCache(options: { readonly maxEntries?: number } = {}): CertificateCache {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_MAX_ENTRIES) {
    throw new CertificateError('CERT_BAD_ARGUMENT', `maxEntries must be an integer from 1 to ${MAX_MAX_ENTRIES}`);
  }
  return new CertificateCache(maxEntries);
}
