// The auditor's one call: is this transparent statement what it claims to be? Every check runs
// and every failure is reported, so a refusal says everything that is wrong at once.
import type { KeyObject } from 'node:crypto';
import {
  type CoseAlgorithm,
  CoseError,
  extractReceipts,
  parseStatement,
  registeredStatement,
  resolveServiceKey,
  type SignedStatement,
  type TrustedServiceKeys,
  verifyInclusionReceipt,
  verifyPreimage,
  verifyStatementSignature,
} from '../receipts/index.js';
import { AtlogError } from '../util/index.js';
import { type CertificateChainOptions, validateCertificateChain } from './x509.js';
import type { CertificateSummary } from './x509-certificate.js';

/** How the verifier may learn an issuer's key. Without it, issuer signatures are not checked. */
export interface IssuerTrust {
  /** Issuer keys by kid: COSE keys (matched by their kid or RFC 9679 thumbprint), or a resolver. */
  readonly keys?: TrustedServiceKeys;
  /** For x5chain issuers: the anchors, validation time and limits of `validateCertificateChain`. */
  readonly certificates?: CertificateChainOptions;
}

export interface VerifyTransparentStatementOptions {
  /** The transparency services whose receipts count (by kid). At least one receipt must verify. */
  readonly serviceKeys: TrustedServiceKeys;
  /** Check the issuer's signature too, with these keys or anchors. */
  readonly issuer?: IssuerTrust;
  /** The payload, when the statement's is detached. */
  readonly detachedPayload?: Uint8Array;
  /** The preimage of a hash envelope, to check against its digest. */
  readonly preimage?: Uint8Array;
  /** Signature algorithms accepted, for statements and receipts; default ES256, ES384, EdDSA. */
  readonly algorithms?: readonly CoseAlgorithm[];
}

/** One thing that is wrong, with the stable code of the check that found it. */
export interface VerificationFailure {
  /** `statement`, `issuer`, `payload`, `receipts`, or `receipt N` (0-based, in label 394's order). */
  readonly part: string;
  readonly code: string;
  readonly message: string;
}

export interface ReceiptOutcome {
  readonly index: number;
  /** verified; from a service not trusted here (ignored); or refused. */
  readonly status: 'verified' | 'untrusted' | 'refused';
  readonly issuer?: string;
  readonly treeSize?: number;
  readonly leafIndex?: number;
  readonly treeSizeSigned?: boolean;
  readonly iat?: number;
}

export interface Verdict {
  /** True when nothing failed: at least one trusted receipt verified, and the issuer if asked. */
  readonly verified: boolean;
  /** Every reason it failed; empty when verified. */
  readonly failures: readonly VerificationFailure[];
  /** The statement's claims, when it could be read. */
  readonly statement?: {
    readonly iss: string;
    readonly sub: string;
    readonly iat?: number;
    readonly contentType?: string | number;
    readonly hashEnvelope: boolean;
  };
  /** How the issuer was checked: not at all, by kid, or by certificate chain. */
  readonly issuer: { readonly checked: false } | { readonly checked: true; readonly by: 'kid' | 'x5chain'; readonly certificate?: CertificateSummary };
  /** Present when a preimage was given: whether it was found to match the signed digest. */
  readonly preimage?: { readonly checked: boolean };
  readonly receipts: readonly ReceiptOutcome[];
}

/**
 * Verifies a transparent statement offline: its SCITT headers, its issuer's signature (when
 * `issuer` trust is given: by kid from `issuer.keys`, or an x5chain validated to
 * `issuer.certificates.trustAnchors`), and its receipts against the registered statement (the
 * statement with its unprotected header emptied; docs/formats.md). RFC 9943 asks that at least
 * one receipt from a trusted service verify; receipts from services not trusted here are reported
 * and ignored, and a trusted service's receipt that does not verify fails the verdict.
 */
export function verifyTransparentStatement(transparent: Uint8Array, options: VerifyTransparentStatementOptions): Verdict {
  if (!(transparent instanceof Uint8Array)) throw new CoseError('COSE_BAD_ARGUMENT', 'a transparent statement is bytes');
  if (options?.serviceKeys === undefined) throw new CoseError('COSE_BAD_ARGUMENT', 'verifying receipts needs trusted service keys');
  const failures: VerificationFailure[] = [];
  const fail = (part: string, error: unknown) => failures.push(failureOf(part, error));

  let statement: SignedStatement | undefined;
  try {
    statement = parseStatement(transparent);
  } catch (error) {
    fail('statement', error);
  }

  // A preimage given is always checked: by the issuer's signature when that runs (it covers a
  // detached digest too), else against the digest the statement carries. One that cannot be
  // checked (a detached digest and no issuer trust) is a failure, never silently skipped.
  let issuer: Verdict['issuer'] = { checked: false };
  let preimageChecked: boolean | undefined;
  if (statement !== undefined && options.issuer !== undefined) {
    try {
      issuer = checkIssuer(statement, transparent, options);
      if (options.preimage !== undefined) preimageChecked = true;
    } catch (error) {
      const aboutPayload = error instanceof CoseError && error.code.startsWith('HASH_ENVELOPE');
      fail(aboutPayload ? 'payload' : 'issuer', error);
      if (aboutPayload) preimageChecked = false;
    }
  }
  if (statement !== undefined && options.preimage !== undefined && preimageChecked === undefined) {
    try {
      verifyPreimage(statement, options.preimage);
      preimageChecked = true;
    } catch (error) {
      fail('payload', error);
      preimageChecked = false;
    }
  }

  const receipts: ReceiptOutcome[] = [];
  let registered: Uint8Array | undefined;
  let found: Uint8Array[] = [];
  try {
    registered = registeredStatement(transparent);
    found = extractReceipts(transparent);
  } catch (error) {
    fail('receipts', error);
  }
  if (registered !== undefined) {
    if (found.length === 0 && failures.every((f) => f.part !== 'receipts')) {
      failures.push({ part: 'receipts', code: 'RECEIPTS_MISSING', message: 'the statement carries no receipt (label 394)' });
    }
    found.forEach((receipt, index) => {
      try {
        const verified = verifyInclusionReceipt(receipt, registered!, options.serviceKeys, algorithms(options));
        receipts.push({
          index,
          status: 'verified',
          issuer: verified.issuer,
          treeSize: verified.treeSize,
          leafIndex: verified.leafIndex,
          treeSizeSigned: verified.treeSizeSigned,
          ...(verified.iat === undefined ? {} : { iat: verified.iat }),
        });
      } catch (error) {
        if (error instanceof CoseError && error.code === 'RECEIPT_KEY_UNKNOWN') {
          receipts.push({ index, status: 'untrusted' });
        } else {
          receipts.push({ index, status: 'refused' });
          fail(`receipt ${index}`, error);
        }
      }
    });
    if (found.length > 0 && !receipts.some((r) => r.status === 'verified') && receipts.every((r) => r.status === 'untrusted')) {
      failures.push({ part: 'receipts', code: 'RECEIPT_UNTRUSTED', message: 'no receipt is from a transparency service trusted here' });
    }
  }

  return Object.freeze({
    verified: failures.length === 0,
    failures,
    ...(statement === undefined
      ? {}
      : {
          statement: {
            iss: statement.iss,
            sub: statement.sub,
            ...(statement.iat === undefined ? {} : { iat: statement.iat }),
            ...(statement.contentType === undefined ? {} : { contentType: statement.contentType }),
            hashEnvelope: statement.hashEnvelope !== undefined,
          },
        }),
    issuer,
    ...(preimageChecked === undefined ? {} : { preimage: { checked: preimageChecked } }),
    receipts,
  });
}

function checkIssuer(statement: SignedStatement, transparent: Uint8Array, options: VerifyTransparentStatementOptions): Verdict['issuer'] {
  const trust = options.issuer!;
  let key: KeyObject;
  let by: 'kid' | 'x5chain';
  let certificate: CertificateSummary | undefined;
  if (statement.x5chain !== undefined) {
    if (trust.certificates === undefined) {
      throw new VerifierError('ISSUER_UNTRUSTED', 'the issuer is identified by x5chain, and no trust anchors are configured');
    }
    const chain = validateCertificateChain(statement.x5chain, trust.certificates);
    key = chain.leafPublicKey;
    certificate = chain.leafCertificate;
    by = 'x5chain';
  } else if (statement.kid !== undefined) {
    if (trust.keys === undefined) throw new VerifierError('ISSUER_UNTRUSTED', 'the issuer is identified by kid, and no issuer keys are configured');
    try {
      key = resolveServiceKey(trust.keys, statement.kid, statement.iss);
    } catch (error) {
      if (error instanceof CoseError && error.code === 'RECEIPT_KEY_UNKNOWN') {
        throw new VerifierError('ISSUER_KEY_UNKNOWN', 'no trusted issuer key has the statement’s kid');
      }
      throw error;
    }
    by = 'kid';
  } else {
    throw new VerifierError('ISSUER_UNTRUSTED', 'the statement names its issuer key by neither kid nor x5chain');
  }
  verifyStatementSignature(transparent, key, {
    ...algorithms(options),
    ...(options.detachedPayload === undefined ? {} : { detachedPayload: options.detachedPayload }),
    ...(options.preimage === undefined ? {} : { preimage: options.preimage }),
  });
  return certificate === undefined ? { checked: true, by } : { checked: true, by, certificate };
}

function algorithms(options: VerifyTransparentStatementOptions): { algorithms?: readonly CoseAlgorithm[] } {
  return options.algorithms === undefined ? {} : { algorithms: options.algorithms };
}

function failureOf(part: string, error: unknown): VerificationFailure {
  // CertificateError, CoseError, ProofError… are all AtlogErrors; anything else is a bug, not a
  // verdict, and surfaces.
  if (error instanceof AtlogError) return { part, code: error.code, message: error.message };
  throw error;
}

export type VerifierErrorCode = 'ISSUER_UNTRUSTED' | 'ISSUER_KEY_UNKNOWN' | 'CHECKPOINT_INCONSISTENT' | 'VERIFY_BAD_ARGUMENT';

/** Refusals of the verifier's own checks (the others keep the codes of the module that found them). */
export class VerifierError extends AtlogError<VerifierErrorCode> {}
