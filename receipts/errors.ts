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

  // Signed statements (RFC 9943 §4 header rules; parseStatement, signStatement).
  'STATEMENT_PROTECTED_HEADER_EMPTY', // no protected header at all: nothing binds issuer, subject or key
  'STATEMENT_CLAIMS_MISSING', // no CWT claims (15) in the protected header
  'STATEMENT_CLAIMS_MALFORMED', // CWT claims not a map, or a claim (iat) of the wrong type
  'STATEMENT_ISS_MISSING', // CWT claims without iss (1)
  'STATEMENT_ISS_MALFORMED', // iss not a non-empty text string, or not URI-like (1–8192) with x5chain/x5t
  'STATEMENT_SUB_MISSING', // CWT claims without sub (2)
  'STATEMENT_SUB_MALFORMED', // sub not a non-empty text string
  'STATEMENT_KEY_ID_MISSING', // neither kid (4) nor x5chain (33) nor x5t (34) in the protected header
  'STATEMENT_X5CHAIN_MALFORMED', // x5chain not a bstr or a non-empty array of non-empty bstrs
  'STATEMENT_X5T_MALFORMED', // x5t not [hash alg, hash value]
  'STATEMENT_CONTENT_TYPE_MALFORMED', // content type (3) not a non-empty tstr or a uint

  // COSE hash envelope (RFC 9995).
  'HASH_ENVELOPE_CONTENT_TYPE', // content type (3) in a hash envelope (use 259)
  'HASH_ENVELOPE_UNPROTECTED', // 258, 259 or 260 in the unprotected header
  'HASH_ENVELOPE_MALFORMED', // 258 not an int, 259 not uint/tstr, 260 not tstr, or 259/260 without 258
  'HASH_ENVELOPE_ALG_UNSUPPORTED', // 258 names a hash other than sha-256, sha-384, sha-512
  'HASH_ENVELOPE_DIGEST_LENGTH', // the payload is not a digest of 258's length
  'HASH_ENVELOPE_MISMATCH', // the preimage does not hash to the payload
  'HASH_ENVELOPE_MISSING', // a preimage check on a statement that is not a hash envelope

  // Transparent statements (receipts in label 394).
  'RECEIPTS_MALFORMED', // 394 is not an array (or one receipt) of tagged COSE_Sign1s

  // Receipts (RFC 9942, vds 1).
  'RECEIPT_PAYLOAD_ATTACHED', // the payload is not nil: the root must be recomputed, never read
  'RECEIPT_VDS_MISSING', // no vds (395) in the protected header
  'RECEIPT_VDS_UNSUPPORTED', // vds other than 1 (RFC9162_SHA256)
  'RECEIPT_KID_MISSING', // no kid in the protected header: no way to choose the service key
  'RECEIPT_CLAIMS_MISSING', // no CWT claims (15) or no iss in them
  'RECEIPT_CLAIMS_MALFORMED', // CWT claims not a map, iss/sub not text, iat not a number
  'RECEIPT_PROOFS_MISSING', // no vdp (396) in the unprotected header, or no proof of the kind needed
  'RECEIPT_PROOFS_MALFORMED', // vdp not a map, proofs not a non-empty array of bstr, unknown proof type
  'RECEIPT_PROOF_MALFORMED', // a proof bstr that is not [uint, uint, [bstr32…]]
  'RECEIPT_PROOF_INVALID', // a proof the tree math refuses whatever the entry (index ≥ size, wrong length, …)
  'RECEIPT_OLD_ROOT_MISMATCH', // a consistency proof that does not start from the given old root
  'RECEIPT_TREE_SIZE_MISMATCH', // a proof for another tree size than the signed head, or than expected
  'RECEIPT_HEAD_MALFORMED', // a signed tree head that is not the shape signTreeHead makes
  'RECEIPT_KEY_UNKNOWN', // no trusted service key has the receipt's kid
  'RECEIPT_SIGNATURE_INVALID', // the signature does not verify over the recomputed root
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
