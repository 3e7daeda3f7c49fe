// Transparent statements (RFC 9943 §4.4) and the leaf rule.
//
// The leaf rule (DESIGN decision 1; no RFC fixes it): the entry the log stores and hashes is the
// *registered statement*, `18([protected_bytes, {}, payload_or_nil, signature])`: the signed
// statement with its unprotected header emptied and the protected bytes, payload and signature
// untouched. Leaf hash = SHA-256(0x00 ‖ those bytes). Since the outer array holds only byte
// strings, nil and an empty map, and decodeCbor accepts only minimal heads, these bytes are unique:
// a verifier holding a transparent statement strips 394 (and everything else unprotected) and gets
// exactly the bytes the log hashed.
//
// Receipts travel in label 394 of the unprotected header, as an array of bstr-wrapped tagged
// COSE_Sign1 (RFC 9942's `[+ bstr .cbor Receipt]`). We emit only that; we read it, bare tagged
// receipts (RFC 9943's CDDL `[+ Receipt]`) and a lone receipt not in an array.

import { hashLeaf } from '../log/tree/index.js';
import { cborHeadSize } from './cbor-heads.js';
import { type CborLimits, type CborValue, CborTag, encodeCbor } from './cbor.js';
import { CoseError } from './errors.js';
import { HeaderLabel, type Label } from './labels.js';
import { type CoseSign1, type HeaderMap, decodeSign1, encodeSign1, sign1FromCbor } from './sign1.js';

export interface TransparentOptions {
  readonly limits?: Partial<CborLimits>;
}

const EMPTY_HEADER: HeaderMap = new Map<Label, CborValue>();

/**
 * The registered statement: `statement` (a signed or transparent statement) with its unprotected
 * header emptied, everything else byte for byte. This is the log's entry; it is idempotent, and
 * equal to its input when that input's unprotected header is already empty.
 */
export function registeredStatement(statement: Uint8Array, options: TransparentOptions = {}): Uint8Array {
  return registeredFromSign1(decodeSign1(statement, limitsOption(options)));
}

/**
 * The registered statement of a COSE_Sign1 already decoded (by the registration policy, say): the
 * same bytes as {@link registeredStatement}, without decoding the statement a second time.
 */
export function registeredFromSign1(sign1: CoseSign1): Uint8Array {
  return encodeSign1({
    protectedBytes: sign1.protectedBytes,
    unprotectedHeader: EMPTY_HEADER,
    payload: sign1.payload,
    signature: sign1.signature,
  });
}

/**
 * The registered statement of `statement`, given the COSE_Sign1 that {@link decodeSign1} made of
 * exactly those bytes: `statement` itself when it is one already (tagged, its unprotected header
 * empty), else {@link registeredFromSign1}. The decoder accepts only minimal, definite-length
 * encodings, so re-encoding such a statement would give its own bytes back; the length is checked
 * as well, and anything else is re-encoded.
 */
export function registeredFromDecoded(statement: Uint8Array, sign1: CoseSign1): Uint8Array {
  if (sign1.tagged && sign1.unprotectedHeader.size === 0 && statement.length === registeredLength(sign1)) return statement;
  return registeredFromSign1(sign1);
}

/** The bytes of `18([protected, {}, payload / nil, signature])`: tag and array heads, the empty map. */
function registeredLength(sign1: CoseSign1): number {
  return 3 + byteStringLength(sign1.protectedBytes) + (sign1.payload === null ? 1 : byteStringLength(sign1.payload)) + byteStringLength(sign1.signature);
}

function byteStringLength(bytes: Uint8Array): number {
  return cborHeadSize(bytes.length) + bytes.length;
}

/** The RFC 9162 leaf hash of a statement's entry: SHA-256(0x00 ‖ registeredStatement(statement)). */
export function statementLeafHash(statement: Uint8Array, options: TransparentOptions = {}): Uint8Array {
  return hashLeaf(registeredStatement(statement, options));
}

/**
 * Adds receipts (tagged COSE_Sign1 bytes) to label 394 of the statement's unprotected header,
 * after any already there, as bstr-wrapped receipts. Receipts already present in another accepted
 * form are rewritten as bstrs; other unprotected labels, and everything signed, are kept.
 * Only the COSE_Sign1 shape of each receipt is checked: 394 may hold receipts of any vds.
 */
export function attachReceipts(
  statement: Uint8Array,
  receipts: readonly Uint8Array[],
  options: TransparentOptions = {},
): Uint8Array {
  if (!Array.isArray(receipts) || receipts.length === 0) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'give at least one receipt to attach');
  }
  const sign1 = decodeSign1(statement, limitsOption(options));
  if (sign1.protectedHeader.has(HeaderLabel.receipts)) {
    // Receipts signed into the statement prove something else; ours go unprotected, and one label
    // must not be in both buckets.
    throw new CoseError('COSE_DUPLICATE_LABEL', 'the statement has receipts (394) in its protected header');
  }
  const added = receipts.map((receipt, i) => {
    if (!(receipt instanceof Uint8Array)) throw new CoseError('COSE_BAD_ARGUMENT', `receipt ${i} must be a Uint8Array`);
    return checkedReceipt(receipt, i, options);
  });
  const unprotectedHeader = new Map<Label, CborValue>(sign1.unprotectedHeader);
  unprotectedHeader.set(HeaderLabel.receipts, [...receiptsIn(sign1.unprotectedHeader, options), ...added]);
  return encodeSign1({
    protectedBytes: sign1.protectedBytes,
    unprotectedHeader,
    payload: sign1.payload,
    signature: sign1.signature,
  });
}

/**
 * The receipts of a transparent statement, each as the bytes of a tagged COSE_Sign1, in order:
 * bstr-wrapped ones exactly as carried, bare ones re-encoded (their protected bytes, which the
 * signature covers, untouched). None when 394 is absent. RECEIPTS_MALFORMED when 394 holds
 * anything but receipts: an empty array, a non-receipt item, bytes that are not a COSE_Sign1.
 */
export function extractReceipts(transparent: Uint8Array, options: TransparentOptions = {}): Uint8Array[] {
  const sign1 = decodeSign1(transparent, limitsOption(options));
  return receiptsIn(sign1.unprotectedHeader, options);
}

// ---------------------------------------------------------------------------------------------

function receiptsIn(unprotectedHeader: HeaderMap, options: TransparentOptions): Uint8Array[] {
  const value = unprotectedHeader.get(HeaderLabel.receipts);
  if (value === undefined) return [];
  // A lone receipt instead of an array is accepted: the unprotected header is unsigned and
  // stripped before hashing, so its shape can be rewritten by anyone anyway and decides nothing;
  // a bstr or a tag cannot be mistaken for an array; and every receipt is verified on its own.
  const items: readonly CborValue[] = Array.isArray(value) ? (value as readonly CborValue[]) : [value];
  if (items.length === 0) throw new CoseError('RECEIPTS_MALFORMED', 'receipts (394) must not be an empty array');
  return items.map((item, i) => {
    if (item instanceof Uint8Array) return checkedReceipt(item, i, options);
    if (item instanceof CborTag) {
      try {
        sign1FromCbor(item);
      } catch (error) {
        throw new CoseError('RECEIPTS_MALFORMED', `receipt ${i} is not a tagged COSE_Sign1`, { cause: error });
      }
      return encodeCbor(item);
    }
    throw new CoseError('RECEIPTS_MALFORMED', `receipt ${i} must be a bstr-wrapped or tagged COSE_Sign1`);
  });
}

function checkedReceipt(bytes: Uint8Array, i: number, options: TransparentOptions): Uint8Array {
  try {
    decodeSign1(bytes, limitsOption(options));
  } catch (error) {
    throw new CoseError('RECEIPTS_MALFORMED', `receipt ${i} is not a tagged COSE_Sign1`, { cause: error });
  }
  return bytes;
}

function limitsOption(options: TransparentOptions): { limits?: Partial<CborLimits> } {
  return options.limits === undefined ? {} : { limits: options.limits };
}
