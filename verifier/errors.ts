import { AtlogError } from '../util/index.js';

/**
 * Every way an x5chain (or a configured trust anchor) can be refused. Codes are stable (the API
 * maps them to problem details, the CLI to exit messages); messages may change. A message names
 * the certificate by position (0 = leaf) and a cut-short subject, never echoes unbounded input,
 * and never contains key material.
 */
export const CERTIFICATE_ERROR_CODES = [
  // Misuse by the calling code (bad options, wrong argument types): a bug, not bad input.
  'CERT_BAD_ARGUMENT',
  // Operator configuration: a trust anchor that cannot be one (not a certificate, not a CA, …).
  'CERT_BAD_TRUST_ANCHOR',

  // Shape and encoding of the presented chain.
  'CERT_CHAIN_EMPTY', // no certificates at all
  'CERT_CHAIN_TOO_LONG', // more certificates than maxChainLength
  'CERT_TOO_LARGE', // one certificate, or the whole chain, over its byte limit
  'CERT_MALFORMED', // not one strict-DER X.509 certificate
  'CERT_LOOP', // the same certificate (subject and key) twice
  'CERT_UNUSED_CERTIFICATE', // certificates after the trust anchor, outside the path

  // The certification path (RFC 5280 §6.1, with atlog's stricter choices; see verifier/README.md).
  'CERT_UNSUPPORTED_ALGORITHM', // a signature algorithm or key type atlog does not accept
  'CERT_BAD_SIGNATURE', // a signature does not verify with its issuer's key
  'CERT_NAME_MISMATCH', // issuer name differs from the next certificate's subject name
  'CERT_NOT_YET_VALID', // validation time before notBefore
  'CERT_EXPIRED', // validation time after notAfter
  'CERT_NOT_CA', // an issuing certificate without basicConstraints cA=TRUE
  'CERT_LEAF_IS_CA', // the statement signer's certificate is a CA certificate
  'CERT_KEY_USAGE', // keyUsage lacks keyCertSign (issuer) or digitalSignature (leaf)
  'CERT_EXTENDED_KEY_USAGE', // the leaf lacks a required extendedKeyUsage purpose
  'CERT_PATH_LENGTH', // a pathLenConstraint is exceeded
  'CERT_UNKNOWN_CRITICAL_EXTENSION', // a critical extension atlog does not process
  'CERT_UNTRUSTED_ROOT', // the path does not end at a configured trust anchor
] as const;

export type CertificateErrorCode = (typeof CERTIFICATE_ERROR_CODES)[number];

/** A refusal from x5chain validation. */
export class CertificateError extends AtlogError<CertificateErrorCode> {
  /**
   * Position in the presented chain (0 = leaf) of the certificate the refusal is about; undefined
   * when it is about the chain as a whole, a configured trust anchor or the options.
   */
  readonly position: number | undefined;

  constructor(code: CertificateErrorCode, message: string, options?: { cause?: unknown; position?: number }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.position = options?.position;
  }
}

const MAX_SHOWN = 96;

/**
 * A name or other text from a certificate, fit for a message: cut short and quoted, so control
 * characters and quotes cannot forge the rest of the line.
 */
export function quoteForMessage(text: string): string {
  const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  return JSON.stringify(shown);
}
