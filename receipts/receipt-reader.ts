// The receipt as atlog issues it (DESIGN decision 2), read in one pass over its bytes.
//
// The generic path decodes a receipt three times: the COSE_Sign1, then its protected header, then
// each proof, every time through cborg's token machinery (~5 µs apiece, mostly fixed cost). For
// the one shape receipts actually have, this reader does all three in a single walk:
//
//   18([ <<{1: int, 4: bstr, 15: {1: tstr, 2: tstr, 6: int}, 395: int, -65537: uint}>>,
//        {396: {-1 / -2: [* bstr] / bstr}}, nil, bstr ])
//
// with each proof bstr holding [uint, uint, [* bstr32]]; the header labels and claims in any
// order, each optional (the checks after decoding say which are required).
//
// It never refuses anything itself. Whatever is not exactly that shape, or not strictly encoded
// (a non-minimal head, an indefinite length, a duplicate key, a tag inside, trailing bytes, a
// limit reached, invalid UTF-8, …), makes it answer `undefined`, and the caller decodes the bytes
// the generic way, which then accepts or refuses with its own precise code. So the reader can only
// ever be faster, never more lenient: when it answers, its result is what decodeSign1 with
// RECEIPT_LIMITS gives for the message (same values, same map key order, byte strings that do not
// alias the input), and a proof it decoded is what decodeCbor with the proof limits gives.
// receipt-reader.test.ts runs both on the same inputs to hold it to that.
//
// scanInclusionReceipt reads the same shape with one inclusion proof and nothing else, for the
// verifier's sake: no copy, no maps, no views, just where the parts lie in the caller's bytes
// and the few values in the protected header. When it answers, readReceiptBytes answers too with
// the same values (the tests hold it to that as well); like the reader it never refuses.

import { HASH_SIZE } from '../log/tree/index.js';
import type { CborLimits, CborMapKey, CborValue } from './cbor.js';
import { CwtClaim, HeaderLabel, type Label, VdpProof } from './labels.js';
import type { CoseSign1 } from './sign1.js';

/** A proof bstr's content, `[tree_size or tree_size_1, leaf_index or tree_size_2, path]`. */
export type ProofTriple = readonly [number, number, Uint8Array[]];

/** What {@link readReceiptBytes} reads: the message, and the proofs it could decode on the way. */
export interface ReceiptRead {
  readonly sign1: CoseSign1;
  /**
   * The decoded content of each proof bstr in the unprotected header, keyed by that bstr; a proof
   * that is not `[uint, uint, [bstr32…]]` within the proof limits is absent, for the generic
   * decoder to refuse with its own code.
   */
  readonly proofs: ReadonlyMap<Uint8Array, ProofTriple>;
}

/** The limits the shape is read under: those the generic path applies to a receipt by default. */
export interface ReceiptReaderLimits {
  readonly receipt: CborLimits;
  readonly proof: CborLimits;
}

// Thrown inside the reader when the bytes leave the shape; caught at its top, never escapes.
const OFF_SHAPE: unique symbol = Symbol('off the receipt shape');

const MAX_SAFE_HIGH_WORD = 0x1f_ffff; // 2^53 - 1 = 0x1f_ffff_ffff_ffff
const TWO_POW_32 = 0x1_0000_0000;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads a receipt in atlog's shape from its bytes in one pass; `undefined` for anything else,
 * which the caller then decodes the generic way. See the module comment.
 */
export function readReceiptBytes(bytes: Uint8Array, limits: ReceiptReaderLimits): ReceiptRead | undefined {
  if (bytes.length > limits.receipt.maxBytes) return undefined;
  // One private copy of the input, and every byte string read is a view into it: nothing decoded
  // aliases the caller's memory (as with the generic decoder's copies), at the cost of one copy
  // rather than one allocation and copy per string (there are two dozen in a receipt).
  try {
    return new ShapeReader(new Uint8Array(bytes), limits).receipt();
  } catch (error) {
    if (error === OFF_SHAPE) return undefined;
    throw error;
  }
}

/**
 * Where the parts of an inclusion receipt in atlog's shape lie in its bytes, and the values of its
 * protected header (each undefined when absent, for the caller's rules to refuse): what
 * {@link scanInclusionReceipt} reads. Offsets are into the bytes it was given.
 */
export interface InclusionReceiptScan {
  /** The protected header's bytes, as received: `bytes[protectedStart, protectedEnd)`. */
  readonly protectedStart: number;
  readonly protectedEnd: number;
  readonly alg: number | undefined;
  /** The kid's bytes `bytes[kidStart, kidEnd)`; both -1 when there is no kid. */
  readonly kidStart: number;
  readonly kidEnd: number;
  readonly hasClaims: boolean;
  readonly issuer: string | undefined;
  readonly subject: string | undefined;
  readonly iat: number | undefined;
  readonly vds: number | undefined;
  readonly signedTreeSize: number | undefined;
  /** The one inclusion proof: `[treeSize, leafIndex, path]`. */
  readonly treeSize: number;
  readonly leafIndex: number;
  /** Path hash i is `bytes[pathStart + 34·i, pathStart + 34·i + 32)`: each behind its head 0x58 0x20. */
  readonly pathStart: number;
  readonly pathLength: number;
  readonly signatureStart: number;
  readonly signatureEnd: number;
}

/** The distance from one path hash to the next in a receipt: 32 bytes and the next one's head. */
export const PATH_STRIDE = 2 + HASH_SIZE;

/**
 * Scans an inclusion receipt in atlog's shape with exactly one inclusion proof (and no
 * consistency proof): `undefined` for anything else, or when reading it would not give what
 * {@link readReceiptBytes} gives. Reads the caller's bytes in place and keeps nothing of them but
 * the two strings of the claims: a caller that lets other code run before it is done with the
 * parts copies them first.
 */
export function scanInclusionReceipt(bytes: Uint8Array, limits: ReceiptReaderLimits): InclusionReceiptScan | undefined {
  if (bytes.length > limits.receipt.maxBytes) return undefined;
  try {
    return new InclusionScanner(bytes, limits).scan();
  } catch (error) {
    if (error === OFF_SHAPE) return undefined;
    throw error;
  }
}

/** Strict CBOR heads over a byte array, within limits; anything else is OFF_SHAPE. */
class StrictReader {
  protected position = 0;
  /** Where the item being read must end: the input, or the byte string it is nested in. */
  protected end: number;

  constructor(
    protected readonly data: Uint8Array,
    protected readonly limits: ReceiptReaderLimits,
  ) {
    this.end = data.length;
  }

  /** Narrows reading to the next `length` bytes (a byte string's content); returns the outer end. */
  protected enter(length: number): number {
    const outer = this.end;
    this.end = this.position + length;
    return outer;
  }

  /** Back out of {@link enter}: the nested item must have used exactly its bytes. */
  protected leave(outer: number): void {
    if (this.position !== this.end) throw OFF_SHAPE;
    this.end = outer;
  }

  // ---- heads, strictly: minimal arguments, definite lengths, safe integers, within limits ----

  protected byte(): number {
    if (this.position >= this.end) throw OFF_SHAPE;
    return this.data[this.position++]!;
  }

  protected peek(): number {
    if (this.position >= this.end) throw OFF_SHAPE;
    return this.data[this.position]!;
  }

  protected need(count: number): void {
    if (this.position + count > this.end) throw OFF_SHAPE;
  }

  /** The argument of a head of major type `major`, in its shortest form, at most 2^53 - 1. */
  protected argument(major: number): number {
    const initial = this.byte();
    if (initial >>> 5 !== major) throw OFF_SHAPE;
    const info = initial & 0x1f;
    if (info < 24) return info;
    const data = this.data;
    const at = this.position;
    let value: number;
    switch (info) {
      case 24:
        this.need(1);
        value = data[at]!;
        this.position = at + 1;
        if (value < 24) throw OFF_SHAPE;
        return value;
      case 25:
        this.need(2);
        value = (data[at]! << 8) | data[at + 1]!;
        this.position = at + 2;
        if (value < 0x100) throw OFF_SHAPE;
        return value;
      case 26:
        this.need(4);
        value = readUint32(data, at);
        this.position = at + 4;
        if (value < 0x1_0000) throw OFF_SHAPE;
        return value;
      case 27: {
        this.need(8);
        const high = readUint32(data, at);
        if (high === 0 || high > MAX_SAFE_HIGH_WORD) throw OFF_SHAPE;
        this.position = at + 8;
        return high * TWO_POW_32 + readUint32(data, at + 4);
      }
      default:
        throw OFF_SHAPE; // 28-30 reserved, 31 indefinite
    }
  }

  /** An unsigned integer (major 0). */
  protected unsigned(): number {
    return this.argument(0);
  }

  /** An integer of either sign, as the generic decoder bounds it: within ±(2^53 - 1). */
  protected integer(): number {
    const major = this.peek() >>> 5;
    if (major === 0) return this.argument(0);
    if (major !== 1) throw OFF_SHAPE;
    const argument = this.argument(1);
    if (argument > Number.MAX_SAFE_INTEGER - 1) throw OFF_SHAPE;
    return -1 - argument;
  }

  /** A string head of major 2 or 3; its content must fit the input and the string limit. */
  protected stringHead(major: 2 | 3): number {
    const length = this.argument(major);
    if (length > this.limits.receipt.maxStringBytes) throw OFF_SHAPE;
    this.need(length);
    return length;
  }

  protected text(): string {
    const length = this.stringHead(3);
    const start = this.position;
    this.position = start + length;
    // The generic path's decoder: fatal on invalid UTF-8, a leading BOM kept.
    return decodeUtf8(this.data.subarray(start, start + length));
  }

  protected mapHead(): number {
    const pairs = this.argument(5);
    if (pairs > this.limits.receipt.maxItems) throw OFF_SHAPE;
    return pairs;
  }

  protected arrayHead(maxItems: number): number {
    const count = this.argument(4);
    if (count > maxItems || count > this.end - this.position) throw OFF_SHAPE;
    return count;
  }

  /** The head of a proof's content, `[uint, uint, [* bstr32]]`, under the proof limits (depth 2). */
  protected tripleHead(): { first: number; second: number; count: number } {
    const proofLimits = this.limits.proof;
    if (proofLimits.maxDepth < 2 || proofLimits.maxStringBytes < HASH_SIZE) throw OFF_SHAPE;
    if (this.byte() !== 0x83) throw OFF_SHAPE;
    const first = this.unsigned();
    const second = this.unsigned();
    const count = this.arrayHead(proofLimits.maxItems);
    return { first, second, count };
  }

  /** One path hash, `bstr .size 32`; returns where its 32 bytes start. */
  protected pathHash(): number {
    if (this.byte() !== 0x58 || this.byte() !== HASH_SIZE) throw OFF_SHAPE; // bstr of 32
    this.need(HASH_SIZE);
    const at = this.position;
    this.position = at + HASH_SIZE;
    return at;
  }
}

class ShapeReader extends StrictReader {
  private readonly proofs = new Map<Uint8Array, ProofTriple>();

  receipt(): ReceiptRead {
    const receiptLimits = this.limits.receipt;
    // Depth: tag 1, array 2, unprotected 3, vdp 4, proof list 5; the protected header is a
    // separate decode (map 1, claims 2). Below any depth limit a caller could mean but 5 or so,
    // the generic decoder is the one to say so.
    if (receiptLimits.maxDepth < 5) throw OFF_SHAPE;
    if (this.byte() !== 0xd2) throw OFF_SHAPE; // tag 18
    if (this.byte() !== 0x84) throw OFF_SHAPE; // array of 4

    const protectedLength = this.stringHead(2);
    const protectedBytes = this.view(this.position, protectedLength);
    const outer = this.enter(protectedLength);
    const protectedHeader = this.protectedHeader();
    this.leave(outer);

    const unprotectedHeader = this.unprotectedHeader();
    if (this.byte() !== 0xf6) throw OFF_SHAPE; // payload nil
    const signature = this.bytes();
    if (this.position !== this.end) throw OFF_SHAPE; // trailing bytes

    const sign1: CoseSign1 = Object.freeze({ tagged: true, protectedBytes, protectedHeader, unprotectedHeader, payload: null, signature });
    return { sign1, proofs: this.proofs };
  }

  // {1: int, 4: bstr, 15: claims, 395: int, -65537: uint}, any order, each at most once.
  private protectedHeader(): Map<Label, CborValue> {
    const pairs = this.mapHead();
    const header = new Map<Label, CborValue>();
    for (let i = 0; i < pairs; i++) {
      const label = this.integer();
      if (header.has(label)) throw OFF_SHAPE;
      let value: CborValue;
      switch (label) {
        case HeaderLabel.alg:
        case HeaderLabel.vds:
          value = this.integer();
          break;
        case HeaderLabel.kid:
          value = this.bytes();
          break;
        case HeaderLabel.cwtClaims:
          value = this.claims();
          break;
        case HeaderLabel.treeSize:
          value = this.unsigned();
          break;
        default:
          throw OFF_SHAPE;
      }
      header.set(label, value);
    }
    return header;
  }

  // {1: tstr, 2: tstr, 6: int}, any order, each at most once.
  private claims(): Map<CborMapKey, CborValue> {
    const pairs = this.mapHead();
    const claims = new Map<CborMapKey, CborValue>();
    for (let i = 0; i < pairs; i++) {
      const key = this.integer();
      if (claims.has(key)) throw OFF_SHAPE;
      if (key === CwtClaim.iss || key === CwtClaim.sub) claims.set(key, this.text());
      else if (key === CwtClaim.iat) claims.set(key, this.integer());
      else throw OFF_SHAPE;
    }
    return claims;
  }

  // {396: {-1: proofs, -2: proofs}} with each kind optional, proofs `[* bstr]` or a lone bstr.
  private unprotectedHeader(): Map<Label, CborValue> {
    if (this.mapHead() !== 1 || this.integer() !== HeaderLabel.vdp) throw OFF_SHAPE;
    const pairs = this.mapHead();
    const vdp = new Map<CborMapKey, CborValue>();
    for (let i = 0; i < pairs; i++) {
      const kind = this.integer();
      if ((kind !== VdpProof.inclusion && kind !== VdpProof.consistency) || vdp.has(kind)) throw OFF_SHAPE;
      const initial = this.peek();
      if (initial >>> 5 === 2) {
        vdp.set(kind, this.proof());
      } else if (initial >>> 5 === 4) {
        const count = this.arrayHead(this.limits.receipt.maxItems);
        const list: Uint8Array[] = [];
        for (let j = 0; j < count; j++) list.push(this.proof());
        vdp.set(kind, list);
      } else {
        throw OFF_SHAPE;
      }
    }
    return new Map<Label, CborValue>([[HeaderLabel.vdp, vdp]]);
  }

  /** A proof bstr; its content decoded too when it is a well-formed proof. */
  private proof(): Uint8Array {
    const length = this.stringHead(2);
    const start = this.position;
    const proof = this.view(start, length);
    if (length <= this.limits.proof.maxBytes) {
      const outer = this.enter(length);
      try {
        const triple = this.triple();
        this.leave(outer);
        this.proofs.set(proof, triple);
      } catch (error) {
        if (error !== OFF_SHAPE) throw error;
        this.end = outer; // not decoded here: the generic decoder will say why
      }
    }
    this.position = start + length;
    return proof;
  }

  // [uint, uint, [* bstr32]] under the proof limits (depth 2).
  private triple(): ProofTriple {
    const { first, second, count } = this.tripleHead();
    const path: Uint8Array[] = [];
    for (let i = 0; i < count; i++) path.push(this.view(this.pathHash(), HASH_SIZE));
    return [first, second, path];
  }

  /** `length` bytes at `start` of the private copy, as their own Uint8Array (a view). */
  private view(start: number, length: number): Uint8Array {
    return new Uint8Array(this.data.buffer, this.data.byteOffset + start, length);
  }

  private bytes(): Uint8Array {
    const length = this.stringHead(2);
    const bytes = this.view(this.position, length);
    this.position += length;
    return bytes;
  }
}

// Bits of the labels seen in a protected header or its claims: each may appear once.
const SEEN_ALG = 1;
const SEEN_KID = 2;
const SEEN_CLAIMS = 4;
const SEEN_VDS = 8;
const SEEN_TREE_SIZE = 16;
const SEEN_ISS = 32;
const SEEN_SUB = 64;
const SEEN_IAT = 128;

// The issuer and subject last decoded, by their bytes. Every receipt of one service carries the
// same two, and decoding them (a call into C++ each) was ~0.4 µs of a receipt's check; comparing
// a few dozen bytes is ~0.03. A pure function remembered on its exact input: the strings are
// what decoding these bytes gives, valid UTF-8 because they were once decoded so.
interface DecodedText {
  bytes: Uint8Array;
  text: string;
}
const MAX_REMEMBERED_TEXT = 256;
const lastIssuer: DecodedText = { bytes: new Uint8Array(0), text: '' };
const lastSubject: DecodedText = { bytes: new Uint8Array(0), text: '' };

class InclusionScanner extends StrictReader {
  private seen = 0;
  private alg: number | undefined;
  private kidStart = -1;
  private kidEnd = -1;
  private issuer: string | undefined;
  private subject: string | undefined;
  private iat: number | undefined;
  private vds: number | undefined;
  private signedTreeSize: number | undefined;

  scan(): InclusionReceiptScan {
    // The same depth condition as the reader's: below it, the generic decoder is the one to speak.
    if (this.limits.receipt.maxDepth < 5) throw OFF_SHAPE;
    if (this.byte() !== 0xd2) throw OFF_SHAPE; // tag 18
    if (this.byte() !== 0x84) throw OFF_SHAPE; // array of 4

    const protectedLength = this.stringHead(2);
    const protectedStart = this.position;
    const outer = this.enter(protectedLength);
    for (let pairs = this.mapHead(), i = 0; i < pairs; i++) this.protectedEntry();
    this.leave(outer);

    // {396: {-1: <<proof>> / [<<proof>>]}}
    if (this.mapHead() !== 1 || this.integer() !== HeaderLabel.vdp) throw OFF_SHAPE;
    if (this.mapHead() !== 1 || this.integer() !== VdpProof.inclusion) throw OFF_SHAPE;
    const initial = this.peek();
    if (initial >>> 5 === 4) {
      if (this.arrayHead(this.limits.receipt.maxItems) !== 1) throw OFF_SHAPE;
    } else if (initial >>> 5 !== 2) {
      throw OFF_SHAPE;
    }
    const proofLength = this.stringHead(2);
    if (proofLength > this.limits.proof.maxBytes) throw OFF_SHAPE;
    const afterProof = this.enter(proofLength);
    const { first: treeSize, second: leafIndex, count: pathLength } = this.tripleHead();
    // The path: `pathLength` × (0x58 0x20 and 32 bytes), checked in one sweep.
    const pathStart = this.position + 2;
    this.need(PATH_STRIDE * pathLength);
    const data = this.data;
    for (let at = this.position, i = 0; i < pathLength; i++, at += PATH_STRIDE) {
      if (data[at] !== 0x58 || data[at + 1] !== HASH_SIZE) throw OFF_SHAPE; // bstr of 32
    }
    this.position += PATH_STRIDE * pathLength;
    this.leave(afterProof);

    if (this.byte() !== 0xf6) throw OFF_SHAPE; // payload nil
    const signatureLength = this.stringHead(2);
    const signatureStart = this.position;
    this.position += signatureLength;
    if (this.position !== this.end) throw OFF_SHAPE; // trailing bytes

    return {
      protectedStart,
      protectedEnd: protectedStart + protectedLength,
      alg: this.alg,
      kidStart: this.kidStart,
      kidEnd: this.kidEnd,
      hasClaims: (this.seen & SEEN_CLAIMS) !== 0,
      issuer: this.issuer,
      subject: this.subject,
      iat: this.iat,
      vds: this.vds,
      signedTreeSize: this.signedTreeSize,
      treeSize,
      leafIndex,
      pathStart,
      pathLength,
      signatureStart,
      signatureEnd: signatureStart + signatureLength,
    };
  }

  // {1: int, 4: bstr, 15: claims, 395: int, -65537: uint}, any order, each at most once.
  private protectedEntry(): void {
    const label = this.integer();
    switch (label) {
      case HeaderLabel.alg:
        this.once(SEEN_ALG);
        this.alg = this.integer();
        return;
      case HeaderLabel.kid: {
        this.once(SEEN_KID);
        const length = this.stringHead(2);
        this.kidStart = this.position;
        this.kidEnd = this.position += length;
        return;
      }
      case HeaderLabel.cwtClaims:
        this.once(SEEN_CLAIMS);
        for (let pairs = this.mapHead(), i = 0; i < pairs; i++) this.claim();
        return;
      case HeaderLabel.vds:
        this.once(SEEN_VDS);
        this.vds = this.integer();
        return;
      case HeaderLabel.treeSize:
        this.once(SEEN_TREE_SIZE);
        this.signedTreeSize = this.unsigned();
        return;
      default:
        throw OFF_SHAPE;
    }
  }

  // {1: tstr, 2: tstr, 6: int}, any order, each at most once.
  private claim(): void {
    const key = this.integer();
    if (key === CwtClaim.iss) {
      this.once(SEEN_ISS);
      this.issuer = this.rememberedText(lastIssuer);
    } else if (key === CwtClaim.sub) {
      this.once(SEEN_SUB);
      this.subject = this.rememberedText(lastSubject);
    } else if (key === CwtClaim.iat) {
      this.once(SEEN_IAT);
      this.iat = this.integer();
    } else {
      throw OFF_SHAPE;
    }
  }

  /** {@link text}, unless the bytes are those decoded last time for this claim. */
  private rememberedText(last: DecodedText): string {
    const length = this.stringHead(3);
    const start = this.position;
    this.position = start + length;
    const data = this.data;
    const known = last.bytes;
    if (known.length === length) {
      let i = 0;
      while (i < length && data[start + i] === known[i]) i++;
      if (i === length) return last.text;
    }
    const text = decodeUtf8(data.subarray(start, start + length));
    if (length <= MAX_REMEMBERED_TEXT) {
      // A copy, never a view: these are the caller's bytes (and a Buffer's slice is a view).
      const bytes = new Uint8Array(length);
      bytes.set(data.subarray(start, start + length));
      last.bytes = bytes;
      last.text = text;
    }
    return text;
  }

  private once(bit: number): void {
    if ((this.seen & bit) !== 0) throw OFF_SHAPE; // a duplicate key
    this.seen |= bit;
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw OFF_SHAPE;
  }
}

function readUint32(data: Uint8Array, at: number): number {
  return data[at]! * 0x100_0000 + ((data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!);
}
