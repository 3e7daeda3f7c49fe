// verifier/: everything an auditor needs offline. So far: issuer certificate chains (x5chain) for
// signed statements. Statement signatures, receipts and consistency proofs follow here.

export { CERTIFICATE_ERROR_CODES, type CertificateErrorCode, CertificateError } from './errors.js';
export {
  type CertificateChainOptions,
  type ChainLimits,
  type ChainTrust,
  type ValidatedCertificateChain,
  DEFAULT_CHAIN_LIMITS,
  UNANCHORED_ROOTS_FOR_DEVELOPMENT_ONLY,
  validateCertificateChain,
} from './x509.js';
export { type TrustAnchorInput, type TrustAnchors, loadTrustAnchors } from './x509-anchors.js';
export { type CertificateCache, createCertificateCache } from './x509-cache.js';
export type { CertificateSummary, SubjectAltName } from './x509-certificate.js';
