// verifier/: everything an auditor needs offline, with nothing but public keys and trust anchors:
// transparent statements (issuer signature, x5chain, receipts) in one call, receipts against an
// entry, consistency between checkpoints, and issuer certificate chains.

export {
  type IssuerTrust,
  type ReceiptOutcome,
  type Verdict,
  type VerificationFailure,
  type VerifierErrorCode,
  type VerifyTransparentStatementOptions,
  VerifierError,
  verifyTransparentStatement,
} from './transparent-statement.js';
export { type CheckpointConsistency, verifyCheckpointConsistency } from './checkpoint.js';
// A receipt against an entry, and consistency receipts, as receipts/ verifies them.
export {
  type TrustedServiceKeys,
  type VerifiedConsistencyReceipt,
  type VerifiedInclusionReceipt,
  verifyConsistencyReceipt,
  verifyInclusionReceipt,
} from '../receipts/index.js';
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
