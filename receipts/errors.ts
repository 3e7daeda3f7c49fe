import { AtlogError } from '../util/index.js';

/**
 * Every way CBOR, COSE_Sign1 or COSE_Key input can be refused. Codes are stable (the API maps them
 * to problem details, the CLI to exit messages); messages may change. A message says what is wrong
 * without echoing unbounded input and never contains key material.
 */
export const COSE_ERROR_CODES = [
  // Misuse by the calling code (bad options, wrong argument types): a bug, not bad input.
  'COSE_BAD_ARGUMENT',

  // CBOR: the bytes are not strict, well-formed, bounded CBOR.
  'CBOR_MALFORMED', // not well-formed (reserved additional info, stray break, …)
  'CBOR_TRUNCATED', // the input ends inside an item
  'CBOR_TRAILING_BYTES', // bytes left over after the one top-level item
  'CBOR_TOO_LARGE', // input, a string or a collection exceeds its limit
  'CBOR_TOO_DEEP', // nesting exceeds the depth limit
  'CBOR_DUPLICATE_KEY', // a map has the same key twice
  'CBOR_NON_CANONICAL', // an integer, length or float not in its shortest form
  'CBOR_INDEFINITE_LENGTH', // an indefinite-length string, array or map
  'CBOR_INVALID_UTF8', // a text string that is not valid UTF-8
  'CBOR_UNKNOWN_TAG', // a tag the caller did not allow
  'CBOR_UNSUPPORTED', // well-formed but outside atlog's data model (undefined, simple values, …)
  'CBOR_UNENCODABLE', // a value given to the encoder that has no place in atlog's data model

  // COSE_Sign1 (RFC 9052 §4).
  'COSE_MALFORMED', // not the COSE_Sign1 shape
  'COSE_UNTAGGED', // tag 18 required but absent
  'COSE_DUPLICATE_LABEL', // a label in both the protected and the unprotected header
  'COSE_ALG_MISSING', // no alg in the protected header
  'COSE_ALG_UNPROTECTED', // alg in the unprotected header
  'COSE_ALG_NOT_ALLOWED', // alg not on the caller's allow-list
  'COSE_CRIT_MALFORMED', // crit not a non-empty array of labels
  'COSE_CRIT_UNPROTECTED', // crit in the unprotected header
  'COSE_CRIT_UNKNOWN', // crit names a label the caller does not understand
  'COSE_KEY_MISMATCH', // the key is not one for the message's alg
  'COSE_SIGNATURE_LENGTH', // the signature has the wrong length for the alg
  'COSE_BAD_SIGNATURE', // the signature does not verify
  'COSE_PAYLOAD_MISSING', // detached payload, none supplied
  'COSE_PAYLOAD_AMBIGUOUS', // attached payload and a detached one supplied

  // Keys (COSE_Key, PEM, JWK).
  'KEY_MALFORMED', // not a valid key of its declared kind
  'KEY_UNSUPPORTED', // a valid key of a kind atlog does not use (RSA, P-521, Ed448, …)
  'KEY_PRIVATE', // private material where only a public key belongs
  'KEY_WRONG_TYPE', // a public key where a private one is needed, or the reverse
] as const;

export type CoseErrorCode = (typeof COSE_ERROR_CODES)[number];

/** A refusal from `receipts/`: bad CBOR, a COSE message or key that fails a rule, or misuse. */
export class CoseError extends AtlogError<CoseErrorCode> {}

/**
 * A header or key label for an error message: integers as they are, text quoted and cut short,
 * because labels come from the input and may be arbitrarily long.
 */
export function describeLabel(label: unknown): string {
  if (typeof label === 'number') return String(label);
  if (typeof label === 'string') {
    const shown = label.length > 32 ? `${label.slice(0, 32)}…` : label;
    return JSON.stringify(shown);
  }
  return `a ${typeof label}`;
}
