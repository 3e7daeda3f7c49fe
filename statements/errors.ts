import { AtlogError } from '../util/index.js';

/**
 * Every way the registration policy refuses a statement, or refuses to be configured. Codes are
 * stable (the API maps them to SCRAPI problem details, the CLI to exit messages); messages may
 * change. A message names the rule, says why in bounded words, and never holds key material.
 */
export const POLICY_ERROR_CODES = [
  // Misuse by the calling code (a bad argument, an asynchronous payload check): a bug, not input.
  'POLICY_BAD_ARGUMENT',
  // Operator configuration: a setting that cannot be used; `setting` names it (`issuers.keys[2]`).
  'POLICY_CONFIG',

  // Refusals of a statement, one per rule (README.md gives the order).
  'POLICY_TOO_LARGE', // max-statement-bytes: over the policy's limit, refused before decoding
  'POLICY_MALFORMED', // statement: not a signed statement (RFC 9943 headers, strict CBOR)
  'POLICY_PAYLOAD_MISSING', // statement: the payload is detached, so there is nothing to verify (SCRAPI "Payload Missing")
  'POLICY_BAD_ALGORITHM', // algorithms: alg not accepted (SCRAPI "Bad Signature Algorithm")
  'POLICY_CONTENT_TYPE', // content-types: no content type, or one not accepted
  'POLICY_ISSUER_UNKNOWN', // issuers: no configured key, anchor or admitted method identifies the issuer
  'POLICY_ISSUER_CERTIFICATE', // issuers: the x5chain does not validate (the CertificateError is the cause)
  'POLICY_BAD_SIGNATURE', // signature: the signature does not verify with the issuer's key
  'POLICY_PAYLOAD', // payload:<name>: a payload check refused the statement
] as const;

export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];

/** The rules in the order they run; payload checks follow, each as `payload:<name>`. */
export const POLICY_RULES = ['max-statement-bytes', 'statement', 'algorithms', 'content-types', 'issuers', 'signature'] as const;

/**
 * The rule an error is about: one of {@link POLICY_RULES}, `payload:<check name>`, `config` for a
 * configuration error, or `argument` for misuse.
 */
export type PolicyRule = (typeof POLICY_RULES)[number] | `payload:${string}` | 'config' | 'argument';

/** A refusal by the registration policy, naming the rule that refused. */
export class PolicyError extends AtlogError<PolicyErrorCode> {
  readonly rule: PolicyRule;
  /** For POLICY_CONFIG: the offending setting, e.g. `issuers.keys[2]` or `--issuer-key[0]`. */
  readonly setting: string | undefined;

  constructor(code: PolicyErrorCode, rule: PolicyRule, message: string, options?: { cause?: unknown; setting?: string }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.rule = rule;
    this.setting = options?.setting;
  }
}

/** Where a configuration value came from: the setting's path, and the file it named, if any. */
export interface SettingRef {
  /** `issuers.keys[2]`, `--issuer-key[0]`, `maxStatementBytes`… */
  readonly setting: string;
  /** The file name as configured (not resolved), when the setting names a file. */
  readonly file?: string;
}

/** How a setting is named in messages: its path, and its file quoted. */
export function describeSetting(ref: string | SettingRef): string {
  if (typeof ref === 'string') return ref;
  return ref.file === undefined ? ref.setting : `${ref.setting} (${quoted(ref.file)})`;
}

/** A configuration error about one setting; the message starts with the setting's path. */
export function configError(ref: string | SettingRef, reason: string, cause?: unknown): PolicyError {
  const setting = typeof ref === 'string' ? ref : ref.setting;
  return new PolicyError('POLICY_CONFIG', 'config', `${describeSetting(ref)}: ${reason}`, {
    setting,
    ...(cause === undefined ? {} : { cause }),
  });
}

export function badArgument(message: string): PolicyError {
  return new PolicyError('POLICY_BAD_ARGUMENT', 'argument', message);
}

const MAX_SHOWN = 96;

/**
 * Text from the input (a file name, a content type, an issuer, a check's message) fit for a
 * message: cut short and quoted, so it cannot be long or forge the rest of the line.
 */
export function quoted(text: string, max = MAX_SHOWN): string {
  const shown = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(shown);
}

/** Bytes (a kid) fit for a message: hex, at most 32 bytes shown. */
export function shownBytes(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 32)).toString('hex');
  return bytes.byteLength > 32 ? `${hex}… (${bytes.byteLength} bytes)` : hex;
}
