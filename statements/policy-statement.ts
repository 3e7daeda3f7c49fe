// The policy as a signed statement. RFC 9943 §3.4: "policies and trust anchors MUST be made
// transparent by registering them as signed statements", and a service must apply the policy
// most recently committed to its log. The service signs the policy's canonical description with
// its own key and registers it whenever the digest differs from the last one it registered (at
// start-up, after a configuration change).

import { createHash, type KeyObject } from 'node:crypto';
import { CoseError, signStatement } from '../receipts/index.js';
import { badArgument, PolicyError } from './errors.js';
import { canonicalJson, type CanonicalJson } from '../util/index.js';
import { POLICY_CONTENT_TYPE, type PolicyDescription, type RegistrationPolicy } from './policy.js';
import { MAX_LOG_ENTRY_BYTES } from './policy-rules.js';

/** The default sub of a policy statement: every version of the policy is one subject's history. */
export const POLICY_STATEMENT_SUBJECT = 'registration-policy';

export interface PolicyStatementOptions {
  /** The service's private signing key. */
  readonly key: KeyObject;
  /** The service's issuer name (as in its receipts). */
  readonly iss: string;
  /** Default `registration-policy`. */
  readonly sub?: string;
  /** The time the policy takes effect: the statement's iat, in whole seconds. */
  readonly now: Date;
  /** Default: the RFC 9679 thumbprint of the key (as the service's receipts use). */
  readonly kid?: Uint8Array;
}

/** The payload of a policy statement: the canonical JSON of the description, UTF-8. */
export function policyPayload(description: PolicyDescription): Uint8Array {
  return new TextEncoder().encode(canonicalJson(description as CanonicalJson));
}

/** SHA-256 (hex) of a description's canonical JSON: `policy.digest`, and the hash of a policy statement's payload. */
export function policyDigest(description: PolicyDescription): string {
  return createHash('sha256').update(policyPayload(description)).digest('hex');
}

/**
 * Signs the policy for the log: a signed statement with content type
 * `application/vnd.atlog.registration-policy+json`, sub `registration-policy` unless given, iat
 * `now`, and the canonical description as payload, whose SHA-256 is `policy.digest`.
 */
export function policyStatement(policy: RegistrationPolicy, options: PolicyStatementOptions): Uint8Array {
  if (typeof policy !== 'object' || policy === null || typeof policy.digest !== 'string') throw badArgument('policyStatement needs a RegistrationPolicy');
  if (typeof options !== 'object' || options === null) throw badArgument('policyStatement needs { key, iss, now }');
  const { now } = options;
  if (!(now instanceof Date) || !Number.isFinite(now.getTime()) || now.getTime() < 0) throw badArgument('now must be a valid Date');
  const payload = policyPayload(policy.description);
  // The policy describes itself; a digest that disagrees means the object was tampered with.
  if (createHash('sha256').update(payload).digest('hex') !== policy.digest) {
    throw badArgument('the policy’s digest does not match its description');
  }
  let statement: Uint8Array;
  try {
    statement = signStatement({
      key: options.key,
      iss: options.iss,
      sub: options.sub ?? POLICY_STATEMENT_SUBJECT,
      iat: Math.floor(now.getTime() / 1000),
      contentType: POLICY_CONTENT_TYPE,
      payload,
      ...(options.kid === undefined ? {} : { kid: options.kid }),
    });
  } catch (error) {
    if (error instanceof CoseError) throw new PolicyError('POLICY_BAD_ARGUMENT', 'argument', `cannot sign the policy (${error.code}: ${error.message})`, { cause: error });
    throw error;
  }
  if (statement.length > MAX_LOG_ENTRY_BYTES) {
    throw new PolicyError(
      'POLICY_TOO_LARGE',
      'max-statement-bytes',
      `max-statement-bytes: the policy statement is ${statement.length} bytes; the log's entries hold at most ${MAX_LOG_ENTRY_BYTES} (shorten iss or sub, or configure fewer keys)`,
    );
  }
  return statement;
}
