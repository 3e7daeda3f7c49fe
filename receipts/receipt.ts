// COSE receipts (RFC 9942) for an RFC 9162 SHA-256 tree (vds 1), as atlog issues and checks them.
//
// One signature per checkpoint (DESIGN decisions 2 and 3). The service signs each tree head once:
//
//   signed tree head = 18([ <<{1: alg, 4: kid, 15: {1: iss, 2: sub, 6: iat}, 395: 1,
//                               -65537: tree size}>>, {}, nil,
//                           sig over Sig_structure("Signature1", protected, h'', root) ])
//
// and every receipt under that head is the same four fields with only the proof added to the
// unprotected header, which the signature does not cover:
//
//   inclusion   {396: {-1: [<<[tree_size, leaf_index, [path…]]>>]}}
//   consistency {396: {-2: [<<[tree_size_1, tree_size_2, [path…]]>>]}}
//
// So a batch of n entries costs one signature, and the protected header (hence `sub`) is the
// same for every entry: `sub` names the log, not the statement.
//
// Verifying never trusts the root: the payload is nil on the wire, the verifier recomputes the
// root from the entry and the proof, and only then checks the signature over that root. A receipt
// for another entry, another tree, or with an altered path gives another root, and the signature
// fails; there is no way (and no need) to tell those apart.
//
// The root alone does not commit to the tree size: some paths lead to the same root under another
// size and leaf index. atlog therefore also signs the size (label -65537, private use): when a
// receipt carries it, every proof must be for exactly that size, which pins the index as well.

import { KeyObject } from 'node:crypto';
import {
  HASH_SIZE,
  ProofError,
  consistencyProofLength,
  hashLeaf,
  inclusionProofLength,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  rootFromPackedInclusionProof,
} from '../log/tree/index.js';
import { bytesEqual } from '../util/index.js';
import { type CoseAlgorithm, DEFAULT_ALGORITHMS, keyAlgorithm, verifySignature } from './algorithms.js';
import { type CborLimits, type CborMapKey, type CborValue, decodeCbor, encodeCbor } from './cbor.js';
import { cborHeadSize, writeCborHead } from './cbor-heads.js';
import { type CoseErrorCode, CoseError } from './errors.js';
import { type CoseKey, coseKeyThumbprint, keyObjectFromCoseKey, keyThumbprint } from './keys.js';
import { CwtClaim, HeaderLabel, type Label, VdpProof, VerifiableDataStructure } from './labels.js';
import { PATH_STRIDE, type ProofTriple, type ReceiptReaderLimits, readReceiptBytes, scanInclusionReceipt } from './receipt-reader.js';
import {
  type CoseSign1,
  type HeaderMap,
  allowedAlgorithm,
  decodeSign1,
  encodeSign1,
  sigStructureSize,
  signSign1,
  verifyDecodedSign1,
  verifyDecodedSignature,
  writeSigStructure,
} from './sign1.js';

/** What the service says about itself in every receipt's CWT claims. */
export interface ServiceIdentity {
  /** iss: the transparency service. */
  readonly issuer: string;
  /** sub: the log's identity (e.g. its checkpoint origin), the same for every entry. */
  readonly subject: string;
  /** kid; default the RFC 9679 thumbprint of the service key. */
  readonly kid?: Uint8Array;
}

/** A tree head, as `log/` has it: size, RFC 9162 root and signing time in milliseconds. */
export interface TreeHead {
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly timestamp: number;
}

/**
 * A tree head with its COSE signature: `signature` holds the whole signed tree head (a tagged
 * COSE_Sign1 with empty unprotected header and nil payload). Structurally `log/`'s
 * `SignedTreeHead`, so the log can store and reload it as it is.
 */
export interface SignedTreeHead extends TreeHead {
  readonly signature: Uint8Array;
}

/** An RFC 9162 inclusion proof: the path from leaf `leafIndex` to the root of `treeSize` leaves. */
export interface InclusionProof {
  readonly treeSize: number;
  readonly leafIndex: number;
  readonly path: readonly Uint8Array[];
}

/** An RFC 9162 consistency proof from the tree of `treeSize1` leaves to that of `treeSize2`. */
export interface ConsistencyProof {
  readonly treeSize1: number;
  readonly treeSize2: number;
  readonly path: readonly Uint8Array[];
}

/** A receipt decoded and checked for shape (vds 1); its signature is not verified. */
export interface Receipt {
  readonly sign1: CoseSign1;
  /** Protected alg as sent; verification checks it against the allow-list and the key. */
  readonly alg: number;
  readonly kid: Uint8Array;
  readonly vds: typeof VerifiableDataStructure.RFC9162_SHA256;
  readonly issuer: string;
  /** Absent in some receipts in the wild (the RFC 9942 examples); atlog always sends it. */
  readonly subject?: string;
  readonly iat?: number;
  /** The signed tree size (atlog's label -65537), when the issuer sends it. */
  readonly signedTreeSize?: number;
  /** Proofs under vdp -1 (possibly none, if this is a consistency receipt). */
  readonly inclusionProofs: readonly InclusionProof[];
  /** Proofs under vdp -2. */
  readonly consistencyProofs: readonly ConsistencyProof[];
}

/** A service key lookup: the key for `kid` as announced by `issuer`, or undefined. */
export type ServiceKeyResolver = (kid: Uint8Array, issuer: string) => KeyObject | CoseKey | undefined;

/**
 * The service keys a verifier trusts: a list (matched by a COSE_Key's `kid`, or by its RFC 9679
 * thumbprint, which is how atlog names its keys), or a resolver.
 */
export type TrustedServiceKeys = readonly (CoseKey | KeyObject)[] | ServiceKeyResolver;

export interface ReceiptOptions {
  /** Limits for the receipt; default {@link RECEIPT_LIMITS}. */
  readonly limits?: Partial<CborLimits>;
}

export interface VerifyReceiptOptions extends ReceiptOptions {
  /** Algorithms accepted; default ES256, ES384 and EdDSA. */
  readonly algorithms?: readonly CoseAlgorithm[];
}

/** The facts an inclusion receipt establishes once verified. */
export interface VerifiedInclusionReceipt {
  /** From the proof; signed when `treeSizeSigned` (and then the leaf index is bound too). */
  readonly treeSize: number;
  readonly leafIndex: number;
  /**
   * True when the service signed the tree size. Otherwise the receipt proves only that the entry
   * is in the signed root; its tree size and index are as good as the path's shape, and whoever
   * relies on them checks the root against a checkpoint of that size.
   */
  readonly treeSizeSigned: boolean;
  /** The root the service signed, recomputed from the entry. */
  readonly root: Uint8Array;
  readonly issuer: string;
  readonly subject?: string;
  readonly iat?: number;
  readonly kid: Uint8Array;
  readonly alg: CoseAlgorithm;
}

/** The facts a consistency receipt establishes once verified. */
export interface VerifiedConsistencyReceipt {
  readonly treeSize1: number;
  /** Signed when `treeSizeSigned`. */
  readonly treeSize2: number;
  readonly treeSizeSigned: boolean;
  /** The old root given, now known to be a prefix of the new tree. */
  readonly oldRoot: Uint8Array;
  /** The new root the service signed, recomputed from the old root and the proof. */
  readonly root: Uint8Array;
  readonly issuer: string;
  readonly subject?: string;
  readonly iat?: number;
  readonly kid: Uint8Array;
  readonly alg: CoseAlgorithm;
}

/**
 * Limits for decoding a receipt: ours are a few hundred bytes (a protected header, a path of at
 * most ~53 hashes). 64 KiB leaves room for long issuer names, extra claims or a service x5chain
 * while keeping a hostile "receipt" from costing what a statement may; depth 8 covers tag, array,
 * unprotected map, vdp map, proof array, and the claims map inside the protected header.
 */
export const RECEIPT_LIMITS: CborLimits = Object.freeze({ maxBytes: 64 * 1024, maxDepth: 8, maxItems: 256, maxStringBytes: 64 * 1024 });

// A proof bstr: [uint, uint, [bstr32…]]. Paths have at most ~2·53 hashes for safe-integer sizes.
export const PROOF_LIMITS: CborLimits = Object.freeze({ maxBytes: 8 * 1024, maxDepth: 2, maxItems: 128, maxStringBytes: HASH_SIZE });

/** The limits the one-pass reader keeps to: exactly the generic path's defaults. */
export const READER_LIMITS: ReceiptReaderLimits = Object.freeze({ receipt: RECEIPT_LIMITS, proof: PROOF_LIMITS });

/**
 * Most proofs of one kind accepted in one receipt. We send one; RFC 9942 allows several, and the
 * verifier tries each (a signature check apiece), so their number is bounded.
 */
export const MAX_PROOFS_PER_RECEIPT = 8;

// Labels a receipt's verifier processes, so a receipt may mark them critical.
const RECEIPT_LABELS: readonly Label[] = Object.freeze([HeaderLabel.kid, HeaderLabel.cwtClaims, HeaderLabel.vds, HeaderLabel.treeSize]);

// ---------------------------------------------------------------------------------------------
// Issuing

/**
 * Signs a tree head once, for every receipt under it: protected
 * `{1: alg, 4: kid, 15: {1: issuer, 2: subject, 6: iat}, 395: 1, -65537: size}` (iat = timestamp
 * in whole seconds), unprotected `{}`, payload nil, signature over the root as detached payload.
 */
export function signTreeHead(key: KeyObject, identity: ServiceIdentity, head: TreeHead): SignedTreeHead {
  checkTreeHead(head);
  const { issuer, subject } = identity;
  if (typeof issuer !== 'string' || issuer.length === 0 || typeof subject !== 'string' || subject.length === 0) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'the service issuer and subject must be non-empty strings');
  }
  if (identity.kid !== undefined && (!(identity.kid instanceof Uint8Array) || identity.kid.length === 0)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'kid must be a non-empty Uint8Array');
  }
  const claims = new Map<CborMapKey, CborValue>([
    [CwtClaim.iss, issuer],
    [CwtClaim.sub, subject],
    [CwtClaim.iat, Math.floor(head.timestamp / 1000)],
  ]);
  const protectedHeader = new Map<Label, CborValue>([
    [HeaderLabel.alg, keyAlgorithm(key)],
    [HeaderLabel.kid, identity.kid ?? coseKeyThumbprint(key)],
    [HeaderLabel.cwtClaims, claims],
    [HeaderLabel.vds, VerifiableDataStructure.RFC9162_SHA256],
    [HeaderLabel.treeSize, head.size],
  ]);
  const signature = signSign1({ key, payload: head.rootHash, protectedHeader, detached: true });
  return Object.freeze({ size: head.size, rootHash: new Uint8Array(head.rootHash), timestamp: head.timestamp, signature });
}

/**
 * A checkpoint signer for `log/` (its `CheckpointSigner`): signs each tree head with
 * {@link signTreeHead} and returns the signed tree head's bytes, to be stored beside the head.
 */
export function coseCheckpointSigner(key: KeyObject, identity: ServiceIdentity): { sign(head: TreeHead): Promise<Uint8Array> } {
  keyAlgorithm(key); // refuse an unusable key now, not at the first checkpoint
  if (key.type !== 'private') throw new CoseError('KEY_WRONG_TYPE', 'signing needs a private key');
  return { sign: async (head) => signTreeHead(key, identity, head).signature };
}

/**
 * Verifies a signed tree head's signature over its root with the service's public key: for a
 * head reloaded from storage, before receipts are issued under it.
 */
export function verifyTreeHeadSignature(head: SignedTreeHead, publicKey: KeyObject, options: VerifyReceiptOptions = {}): void {
  const sign1 = openTreeHead(head);
  verifyDecodedSign1(sign1, publicKey, {
    detachedPayload: head.rootHash,
    criticalLabels: RECEIPT_LABELS,
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
  });
}

/**
 * The inclusion receipt for one entry under a signed tree head: the head's protected bytes and
 * signature, with `{396: {-1: [<<[treeSize, leafIndex, path]>>]}}` as unprotected header. No new
 * signature. Refuses a proof for another tree size (RECEIPT_TREE_SIZE_MISMATCH) or one that cannot
 * be a proof at that size (RECEIPT_PROOF_INVALID); given `leafHash`, also checks that the path
 * leads to the signed root, so a receipt that would not verify never leaves.
 */
export function inclusionReceipt(head: SignedTreeHead, proof: InclusionProof & { readonly leafHash?: Uint8Array }): Uint8Array {
  return inclusionReceiptUnder(openReceiptHead(head), proof);
}

/**
 * A signed tree head decoded and checked once, with the bytes every receipt under it shares
 * before and after its proof: a service issues thousands of receipts per checkpoint, and each
 * then costs its path and two copies, not a decode of the head and a generic CBOR encode.
 */
export interface OpenedReceiptHead {
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Tag 18, the array header, the protected bstr, and `{396: {` (the proof type follows). */
  readonly prefix: Uint8Array;
  /** nil (the detached payload) and the signature bstr. */
  readonly suffix: Uint8Array;
}

/** Decodes and checks a signed tree head for {@link inclusionReceiptUnder} (RECEIPT_HEAD_MALFORMED). */
export function openReceiptHead(head: SignedTreeHead): OpenedReceiptHead {
  const { protectedBytes, signature } = openTreeHead(head);
  const prefix = new Uint8Array(2 + cborHeadSize(protectedBytes.length) + protectedBytes.length + RECEIPT_VDP_OPEN.length);
  prefix.set([0xd2, 0x84]); // tag 18, array of 4
  const at = writeCborHead(prefix, 2, 2, protectedBytes.length);
  prefix.set(protectedBytes, at);
  prefix.set(RECEIPT_VDP_OPEN, at + protectedBytes.length);
  const suffix = new Uint8Array(1 + cborHeadSize(signature.length) + signature.length);
  suffix[0] = 0xf6; // nil: the payload is detached
  suffix.set(signature, writeCborHead(suffix, 1, 2, signature.length));
  return { size: head.size, rootHash: head.rootHash, prefix, suffix };
}

// {396: {  with one member each: the unprotected header, then its map of proofs.
const RECEIPT_VDP_OPEN = Uint8Array.of(0xa1, 0x19, 0x01, 0x8c, 0xa1);

/** {@link inclusionReceipt} under a head opened once by {@link openReceiptHead}: the same bytes. */
export function inclusionReceiptUnder(head: OpenedReceiptHead, proof: InclusionProof & { readonly leafHash?: Uint8Array }): Uint8Array {
  checkInclusionProof(proof);
  if (proof.treeSize !== head.size) {
    throw new CoseError(
      'RECEIPT_TREE_SIZE_MISMATCH',
      `the proof is for tree size ${proof.treeSize}, the signed head for ${head.size}`,
    );
  }
  if (proof.leafHash !== undefined) {
    if (!bytesEqual(inclusionProofRoot(proof, proof.leafHash), head.rootHash)) {
      throw new CoseError('RECEIPT_PROOF_INVALID', 'the path does not lead from this leaf to the signed root');
    }
  } else {
    if (proof.leafIndex >= proof.treeSize) {
      throw new CoseError('RECEIPT_PROOF_INVALID', `leaf index ${proof.leafIndex} is not below tree size ${proof.treeSize}`);
    }
    const expected = inclusionProofLength(proof.leafIndex, proof.treeSize);
    if (proof.path.length !== expected) {
      throw new CoseError('RECEIPT_PROOF_INVALID', `leaf ${proof.leafIndex} of ${proof.treeSize} needs a path of ${expected} hashes`);
    }
  }
  return assembleReceipt(head, VdpProof.inclusion, encodeProofBytes(proof.treeSize, proof.leafIndex, proof.path));
}

/** A receipt's bytes: the head's prefix, `proofType: [bstr proof]}}`, the head's suffix. */
function assembleReceipt(opened: OpenedReceiptHead, proofType: number, proof: Uint8Array): Uint8Array {
  const out = new Uint8Array(opened.prefix.length + 2 + cborHeadSize(proof.length) + proof.length + opened.suffix.length);
  out.set(opened.prefix, 0);
  let at = opened.prefix.length;
  out[at++] = 0x20 - 1 - proofType; // -1 and -2 are CBOR 0x20 and 0x21
  out[at++] = 0x81; // one proof: an array of one
  at = writeCborHead(out, at, 2, proof.length);
  out.set(proof, at);
  out.set(opened.suffix, at + proof.length);
  return out;
}

/** `[size, index, [hash…]]` in deterministic CBOR (what encodeCbor makes of it, without the walk). */
function encodeProofBytes(first: number, second: number, path: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(1 + cborHeadSize(first) + cborHeadSize(second) + cborHeadSize(path.length) + path.length * (2 + HASH_SIZE));
  out[0] = 0x83;
  let at = writeCborHead(out, 1, 0, first);
  at = writeCborHead(out, at, 0, second);
  at = writeCborHead(out, at, 4, path.length);
  for (const hash of path) {
    out[at] = 0x58;
    out[at + 1] = HASH_SIZE;
    out.set(hash, at + 2);
    at += 2 + HASH_SIZE;
  }
  return out;
}

/**
 * The consistency receipt from the tree of `treeSize1` leaves to a signed tree head of
 * `treeSize2` leaves: as {@link inclusionReceipt}, with `{396: {-2: [<<[treeSize1, treeSize2,
 * path]>>]}}`. Given `oldRoot`, checks that the path leads from it to the signed root.
 */
export function consistencyReceipt(head: SignedTreeHead, proof: ConsistencyProof & { readonly oldRoot?: Uint8Array }): Uint8Array {
  const sign1 = openTreeHead(head);
  checkConsistencyProof(proof);
  if (proof.treeSize2 !== head.size) {
    throw new CoseError(
      'RECEIPT_TREE_SIZE_MISMATCH',
      `the proof is to tree size ${proof.treeSize2}, the signed head is for ${head.size}`,
    );
  }
  if (proof.oldRoot !== undefined) {
    if (!bytesEqual(consistencyProofRoot(proof, proof.oldRoot), head.rootHash)) {
      throw new CoseError('RECEIPT_PROOF_INVALID', 'the path does not lead from the old root to the signed root');
    }
  } else {
    // Without the old root only the shape can be checked.
    if (proof.treeSize1 === 0 || proof.treeSize1 > proof.treeSize2) {
      throw new CoseError('RECEIPT_PROOF_INVALID', `no consistency proof from tree size ${proof.treeSize1} to ${proof.treeSize2}`);
    }
    const expected = consistencyProofLength(proof.treeSize1, proof.treeSize2);
    if (proof.path.length !== expected) {
      throw new CoseError(
        'RECEIPT_PROOF_INVALID',
        `a consistency proof from ${proof.treeSize1} to ${proof.treeSize2} needs ${expected} hashes`,
      );
    }
  }
  return withProof(sign1, VdpProof.consistency, encodeConsistencyProof(proof));
}

/** The CBOR inside an inclusion proof bstr: `[tree_size, leaf_index, [path…]]`. */
export function encodeInclusionProof(proof: InclusionProof): Uint8Array {
  checkInclusionProof(proof);
  return encodeCbor([proof.treeSize, proof.leafIndex, [...proof.path]]);
}

/** The CBOR inside a consistency proof bstr: `[tree_size_1, tree_size_2, [path…]]`. */
export function encodeConsistencyProof(proof: ConsistencyProof): Uint8Array {
  checkConsistencyProof(proof);
  return encodeCbor([proof.treeSize1, proof.treeSize2, [...proof.path]]);
}

// ---------------------------------------------------------------------------------------------
// Reading and verifying

/**
 * Decodes a receipt and checks its shape: tag 18, payload nil, protected alg (an int), vds 1, a
 * non-empty kid, CWT claims with a text iss (sub and iat optional but typed), and a vdp map
 * holding only -1 and/or -2, each a non-empty array of proof bstrs (a lone bstr is accepted too),
 * each proof `[uint, uint, [bstr32…]]`. No tree math and no signature check.
 */
export function parseReceipt(receipt: Uint8Array | CoseSign1, options: ReceiptOptions = {}): Receipt {
  // atlog's own shape in one pass; anything else (or other limits) the generic way, which alone
  // refuses: the reader only ever answers "not mine" (see receipt-reader.ts).
  const read = receipt instanceof Uint8Array && options.limits === undefined ? readReceiptBytes(receipt, READER_LIMITS) : undefined;
  let sign1: CoseSign1;
  if (read !== undefined) {
    sign1 = read.sign1;
  } else {
    const limits = { ...RECEIPT_LIMITS, ...options.limits };
    sign1 = receipt instanceof Uint8Array ? decodeSign1(receipt, { limits }) : checkedSign1(receipt, limits);
  }
  if (!sign1.tagged) throw new CoseError('COSE_UNTAGGED', 'a receipt must carry tag 18');
  if (sign1.payload !== null) {
    throw new CoseError('RECEIPT_PAYLOAD_ATTACHED', 'a receipt’s payload must be nil: the root is recomputed from the proof');
  }
  const ph = sign1.protectedHeader;
  const uh = sign1.unprotectedHeader;
  const header = readReceiptHeader(ph, uh);
  const { inclusion, consistency } = readProofs(ph, uh);
  return Object.freeze({
    sign1,
    ...header,
    inclusionProofs: inclusion.map((bytes) => inclusionProofOf(read?.proofs.get(bytes) ?? decodeProofTriple(bytes, 'inclusion'))),
    consistencyProofs: consistency.map((bytes) => consistencyProofOf(read?.proofs.get(bytes) ?? decodeProofTriple(bytes, 'consistency'))),
  });
}

type ReceiptHeader = Omit<Receipt, 'sign1' | 'inclusionProofs' | 'consistencyProofs'>;

// The protected rules shared by receipts and signed tree heads.
function readReceiptHeader(ph: HeaderMap, uh: HeaderMap): ReceiptHeader {
  if (uh.has(HeaderLabel.alg)) throw new CoseError('COSE_ALG_UNPROTECTED', 'alg must be in the protected header');
  const alg = ph.get(HeaderLabel.alg);
  if (alg === undefined) throw new CoseError('COSE_ALG_MISSING', 'the receipt has no protected alg');
  if (typeof alg !== 'number' || !Number.isSafeInteger(alg)) throw new CoseError('COSE_ALG_NOT_ALLOWED', 'alg must be an integer');

  const vds = ph.get(HeaderLabel.vds);
  if (vds === undefined) {
    throw new CoseError(
      'RECEIPT_VDS_MISSING',
      uh.has(HeaderLabel.vds) ? 'vds (395) must be in the protected header' : 'the receipt has no vds (395)',
    );
  }
  if (vds !== VerifiableDataStructure.RFC9162_SHA256) {
    throw new CoseError('RECEIPT_VDS_UNSUPPORTED', 'only vds 1 (RFC9162_SHA256) receipts are understood');
  }

  const kid = ph.get(HeaderLabel.kid);
  if (!(kid instanceof Uint8Array) || kid.length === 0) {
    throw new CoseError('RECEIPT_KID_MISSING', 'the receipt has no kid in its protected header');
  }

  const signedTreeSize = ph.get(HeaderLabel.treeSize);
  if (signedTreeSize !== undefined && !isUint(signedTreeSize)) {
    throw new CoseError('RECEIPT_CLAIMS_MALFORMED', 'the signed tree size (-65537) must be a non-negative integer');
  }
  const { issuer, subject, iat } = readReceiptClaims(ph);
  return {
    alg,
    kid,
    vds: VerifiableDataStructure.RFC9162_SHA256,
    issuer,
    ...(subject === undefined ? {} : { subject }),
    ...(iat === undefined ? {} : { iat }),
    ...(signedTreeSize === undefined ? {} : { signedTreeSize }),
  };
}

/**
 * The root an inclusion proof leads to from `leafHash` (RFC 9162 §2.1.3.2). Refusals of the tree
 * math become RECEIPT_PROOF_INVALID, the ProofError kept as cause.
 */
export function inclusionProofRoot(proof: InclusionProof, leafHash: Uint8Array): Uint8Array {
  checkHashArgument(leafHash, 'leaf hash');
  return treeMath(() => rootFromInclusionProof(proof.leafIndex, proof.treeSize, leafHash, proof.path));
}

/**
 * The new root a consistency proof leads to from `oldRoot` (RFC 9162 §2.1.4.2): RECEIPT_OLD_ROOT_MISMATCH
 * when the proof does not start from `oldRoot`, RECEIPT_PROOF_INVALID for any other refusal.
 */
export function consistencyProofRoot(proof: ConsistencyProof, oldRoot: Uint8Array): Uint8Array {
  checkHashArgument(oldRoot, 'old root');
  return treeMath(() => rootFromConsistencyProof(proof.treeSize1, proof.treeSize2, oldRoot, proof.path));
}

/**
 * Verifies an inclusion receipt for `entry` (the registered statement's bytes, see
 * `registeredStatement`, or its leaf hash): recomputes the root from the leaf hash and the proof,
 * finds the service key by the protected kid, and verifies the signature with that root as the
 * detached payload. With several proofs (RFC 9942 allows it), the receipt verifies if one does.
 *
 * Refusals: the shape ones of {@link parseReceipt}; RECEIPT_PROOFS_MISSING (no -1);
 * RECEIPT_PROOF_INVALID; RECEIPT_KEY_UNKNOWN; COSE_ALG_NOT_ALLOWED, COSE_KEY_MISMATCH,
 * COSE_CRIT_*, COSE_SIGNATURE_LENGTH; RECEIPT_SIGNATURE_INVALID (another entry, another tree, an
 * altered proof or a bad signature: the root does not verify).
 */
export function verifyInclusionReceipt(
  receipt: Uint8Array | CoseSign1,
  entry: Uint8Array | { readonly leafHash: Uint8Array },
  trustedServiceKeys: TrustedServiceKeys,
  options: VerifyReceiptOptions = {},
): VerifiedInclusionReceipt {
  if (receipt instanceof Uint8Array && options.limits === undefined) {
    const verified = verifyScannedInclusionReceipt(receipt, entry, trustedServiceKeys, options);
    if (verified !== undefined) return verified;
  }
  const parsed = parseReceipt(receipt, options);
  const leafHash = entry instanceof Uint8Array ? hashLeaf(entry) : entry?.leafHash;
  checkHashArgument(leafHash, 'leaf hash');
  if (parsed.inclusionProofs.length === 0) {
    throw new CoseError('RECEIPT_PROOFS_MISSING', 'the receipt has no inclusion proof (396 / -1)');
  }
  const { proof, root, alg } = firstVerifying(
    parsed,
    parsed.inclusionProofs,
    (p) => {
      checkSignedSize(parsed, p.treeSize);
      return inclusionProofRoot(p, leafHash);
    },
    trustedServiceKeys,
    options,
  );
  return Object.freeze({
    treeSize: proof.treeSize,
    leafIndex: proof.leafIndex,
    treeSizeSigned: parsed.signedTreeSize !== undefined,
    root,
    ...claimsOf(parsed),
    alg,
  });
}

// The signature check of an inclusion receipt in atlog's shape, from a scan of its bytes (see
// receipt-reader.ts): the checks and refusals of the path below it, without decoding into maps,
// cutting the path into arrays or building the message. A receipt is checked far more often
// than anything else in atlog (every verifier, every audit), and beside its ~70 µs signature the
// generic route cost ~10 µs of its own; see docs/benchmarks.md.
//
// It answers `undefined`, and the generic path takes over, for whatever the scan does not read
// (any other shape, several proofs, a consistency proof) and for every refusal up to the key
// lookup: there the generic path reaches the same point with the same values, so from the key
// lookup on this one refuses as that one would, through the same functions.
function verifyScannedInclusionReceipt(
  receipt: Uint8Array,
  entry: Uint8Array | { readonly leafHash: Uint8Array },
  trusted: TrustedServiceKeys,
  options: VerifyReceiptOptions,
): VerifiedInclusionReceipt | undefined {
  const scan = scanInclusionReceipt(receipt, READER_LIMITS);
  if (scan === undefined) return undefined;
  // readReceiptHeader's rules; the generic path says which one failed.
  const { alg, issuer, subject, iat, signedTreeSize, treeSize, leafIndex } = scan;
  if (alg === undefined || scan.vds !== VerifiableDataStructure.RFC9162_SHA256 || scan.kidEnd - scan.kidStart <= 0) return undefined;
  if (issuer === undefined || issuer.length === 0 || (subject !== undefined && subject.length === 0)) return undefined;
  if (signedTreeSize !== undefined && treeSize !== signedTreeSize) return undefined;
  const leafHash = entry instanceof Uint8Array ? hashLeaf(entry) : entry?.leafHash;
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) return undefined;
  let root: Uint8Array;
  try {
    root = rootFromPackedInclusionProof(leafIndex, treeSize, leafHash, receipt, scan.pathStart, PATH_STRIDE, scan.pathLength);
  } catch (error) {
    if (error instanceof ProofError) return undefined;
    throw error;
  }

  // What the signature covers, copied out of the caller's bytes before any code but ours runs
  // (a resolver, a key's getters): what is checked is then what was read, whatever they do.
  const protectedBytes = view(receipt, scan.protectedStart, scan.protectedEnd);
  const toBeSignedSize = sigStructureSize(protectedBytes, root, EMPTY);
  const signatureSize = scan.signatureEnd - scan.signatureStart;
  const mine = !scratchInUse && toBeSignedSize + signatureSize <= scratch.length;
  const buffer = mine ? scratch : new Uint8Array(toBeSignedSize + signatureSize);
  if (mine) scratchInUse = true; // until the signature is checked, even if a resolver calls back in
  try {
    writeSigStructure(buffer, protectedBytes, root, EMPTY);
    buffer.set(view(receipt, scan.signatureStart, scan.signatureEnd), toBeSignedSize);
    const kid = copy(receipt, scan.kidStart, scan.kidEnd);

    // From here on as firstVerifying does for a receipt of one proof.
    const key = resolveServiceKey(trusted, kid, issuer);
    const profile = allowedAlgorithm(alg, options.algorithms ?? DEFAULT_ALGORITHMS);
    try {
      verifySignature(profile.alg, key, view(buffer, 0, toBeSignedSize), view(buffer, toBeSignedSize, toBeSignedSize + signatureSize));
    } catch (error) {
      if (!(error instanceof CoseError) || error.code !== 'COSE_BAD_SIGNATURE') throw error;
      throw signatureInvalid(error);
    }
    // The same fields in the same order as the generic path's result.
    const verified: { -readonly [K in keyof VerifiedInclusionReceipt]: VerifiedInclusionReceipt[K] } = {
      treeSize,
      leafIndex,
      treeSizeSigned: signedTreeSize !== undefined,
      root,
      issuer,
    } as VerifiedInclusionReceipt;
    if (subject !== undefined) verified.subject = subject;
    if (iat !== undefined) verified.iat = iat;
    verified.kid = kid;
    verified.alg = profile.alg;
    return Object.freeze(verified);
  } finally {
    if (mine) scratchInUse = false;
  }
}

// The Sig_structure and signature of the receipt being checked: a receipt's fit in a few hundred
// bytes, and a fresh array for each was one more allocation and zero-fill beside the signature.
const scratch = new Uint8Array(2048);
let scratchInUse = false;
const EMPTY = new Uint8Array(0);

// A receipt may come as a Buffer, whose subarray is slower and whose slice does not copy: these
// give plain Uint8Arrays whatever the input.
function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

function copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(view(bytes, start, end));
}

function signatureInvalid(cause: unknown): CoseError {
  return new CoseError(
    'RECEIPT_SIGNATURE_INVALID',
    'the service signature does not verify over the root recomputed from this entry and proof (another entry or tree, an altered proof, or a bad signature)',
    { cause },
  );
}

/**
 * Verifies a consistency receipt against an old root the caller already trusts (RFC 9942 §1.5:
 * typically from an inclusion receipt it verified; pass `{treeSize, root}` to also pin the old
 * size): recomputes the new root from the old one and the proof, then verifies the signature over
 * it. Refusals as {@link verifyInclusionReceipt}, plus RECEIPT_OLD_ROOT_MISMATCH and
 * RECEIPT_TREE_SIZE_MISMATCH.
 */
export function verifyConsistencyReceipt(
  receipt: Uint8Array | CoseSign1,
  old: Uint8Array | { readonly treeSize: number; readonly root: Uint8Array },
  trustedServiceKeys: TrustedServiceKeys,
  options: VerifyReceiptOptions = {},
): VerifiedConsistencyReceipt {
  const parsed = parseReceipt(receipt, options);
  const oldRoot = old instanceof Uint8Array ? old : old?.root;
  const oldSize = old instanceof Uint8Array ? undefined : old?.treeSize;
  checkHashArgument(oldRoot, 'old root');
  if (parsed.consistencyProofs.length === 0) {
    throw new CoseError('RECEIPT_PROOFS_MISSING', 'the receipt has no consistency proof (396 / -2)');
  }
  const { proof, root, alg } = firstVerifying(
    parsed,
    parsed.consistencyProofs,
    (p) => {
      if (oldSize !== undefined && p.treeSize1 !== oldSize) {
        throw new CoseError('RECEIPT_TREE_SIZE_MISMATCH', `the proof starts at tree size ${p.treeSize1}, not ${oldSize}`);
      }
      checkSignedSize(parsed, p.treeSize2);
      return consistencyProofRoot(p, oldRoot);
    },
    trustedServiceKeys,
    options,
  );
  return Object.freeze({
    treeSize1: proof.treeSize1,
    treeSize2: proof.treeSize2,
    treeSizeSigned: parsed.signedTreeSize !== undefined,
    oldRoot: new Uint8Array(oldRoot),
    root,
    ...claimsOf(parsed),
    alg,
  });
}

/** Finds the trusted service key for a kid (and issuer): RECEIPT_KEY_UNKNOWN when there is none. */
export function resolveServiceKey(trusted: TrustedServiceKeys, kid: Uint8Array, issuer: string): KeyObject {
  let found: KeyObject | CoseKey | undefined;
  if (typeof trusted === 'function') {
    found = trusted(kid, issuer);
  } else if (Array.isArray(trusted)) {
    found = trusted.find((key) => keyHasId(key, kid));
  } else {
    throw new CoseError('COSE_BAD_ARGUMENT', 'trusted service keys must be a list of keys or a resolver');
  }
  if (found === undefined) throw new CoseError('RECEIPT_KEY_UNKNOWN', 'no trusted service key has this receipt’s kid');
  return isKeyObject(found) ? found : keyObjectFromCoseKey(found);
}

// ---------------------------------------------------------------------------------------------

function firstVerifying<P>(
  receipt: Receipt,
  proofs: readonly P[],
  rootOf: (proof: P) => Uint8Array,
  trusted: TrustedServiceKeys,
  options: VerifyReceiptOptions,
): { proof: P; root: Uint8Array; alg: CoseAlgorithm } {
  // Tree math first (as RFC 9942 orders it): a receipt whose proofs are all refused needs no key.
  // (One array of roots or refusals: this runs for every receipt checked, and its garbage is
  // paid for in the signature check that follows; see docs/benchmarks.md.)
  const outcomes = proofs.map((proof): Uint8Array | CoseError => {
    try {
      return rootOf(proof);
    } catch (error) {
      if (error instanceof CoseError) return error;
      throw error;
    }
  });
  if (!outcomes.some((outcome) => outcome instanceof Uint8Array)) throw outcomes[0] as CoseError;

  const key = resolveServiceKey(trusted, receipt.kid, receipt.issuer);
  let failure: unknown;
  for (let i = 0; i < proofs.length; i++) {
    const root = outcomes[i]!;
    if (!(root instanceof Uint8Array)) continue;
    try {
      // parseReceipt decoded receipt.sign1 from bytes within this call: no need to decode it again.
      const alg = verifyDecodedSignature(receipt.sign1, key, { detachedPayload: root, criticalLabels: RECEIPT_LABELS, algorithms: options.algorithms });
      return { proof: proofs[i]!, root, alg };
    } catch (error) {
      // Only a signature that does not verify depends on the root; any other refusal (alg, key,
      // crit, length) would be the same for every proof.
      if (!(error instanceof CoseError) || error.code !== 'COSE_BAD_SIGNATURE') throw error;
      failure ??= error;
    }
  }
  if (outcomes[0] instanceof CoseError) throw outcomes[0];
  throw signatureInvalid(failure);
}

/** A proof under a signed tree size must be for exactly that size. */
function checkSignedSize(receipt: Receipt, treeSize: number): void {
  if (receipt.signedTreeSize !== undefined && treeSize !== receipt.signedTreeSize) {
    throw new CoseError(
      'RECEIPT_TREE_SIZE_MISMATCH',
      `the proof is for tree size ${treeSize}, but the service signed the root of tree size ${receipt.signedTreeSize}`,
    );
  }
}

function claimsOf(receipt: Receipt): { issuer: string; subject?: string; iat?: number; kid: Uint8Array } {
  return {
    issuer: receipt.issuer,
    ...(receipt.subject === undefined ? {} : { subject: receipt.subject }),
    ...(receipt.iat === undefined ? {} : { iat: receipt.iat }),
    kid: receipt.kid,
  };
}

function readReceiptClaims(ph: HeaderMap): { issuer: string; subject?: string; iat?: number } {
  const claims = ph.get(HeaderLabel.cwtClaims);
  if (claims === undefined) throw new CoseError('RECEIPT_CLAIMS_MISSING', 'the receipt has no CWT claims (15) in its protected header');
  if (!(claims instanceof Map)) throw new CoseError('RECEIPT_CLAIMS_MALFORMED', 'CWT claims (15) must be a map');
  const issuer = claims.get(CwtClaim.iss);
  if (issuer === undefined) throw new CoseError('RECEIPT_CLAIMS_MISSING', 'the receipt’s CWT claims have no iss');
  if (typeof issuer !== 'string' || issuer.length === 0) {
    throw new CoseError('RECEIPT_CLAIMS_MALFORMED', 'iss must be a non-empty text string');
  }
  // RFC 9943 asks for sub too; the RFC 9942 examples omit it. It names the log and nothing is
  // looked up by it, so its absence is tolerated on input; atlog always sends it.
  const subject = claims.get(CwtClaim.sub);
  if (subject !== undefined && (typeof subject !== 'string' || subject.length === 0)) {
    throw new CoseError('RECEIPT_CLAIMS_MALFORMED', 'sub must be a non-empty text string');
  }
  const iat = claims.get(CwtClaim.iat);
  if (iat !== undefined && typeof iat !== 'number') throw new CoseError('RECEIPT_CLAIMS_MALFORMED', 'iat must be a number');
  return {
    issuer,
    ...(subject === undefined ? {} : { subject: subject as string }),
    ...(iat === undefined ? {} : { iat }),
  };
}

function readProofs(ph: HeaderMap, uh: HeaderMap): { inclusion: Uint8Array[]; consistency: Uint8Array[] } {
  const vdp = uh.get(HeaderLabel.vdp);
  if (vdp === undefined) {
    throw new CoseError(
      'RECEIPT_PROOFS_MISSING',
      ph.has(HeaderLabel.vdp) ? 'vdp (396) must be in the unprotected header' : 'the receipt has no proofs (396)',
    );
  }
  if (!(vdp instanceof Map)) throw new CoseError('RECEIPT_PROOFS_MALFORMED', 'vdp (396) must be a map');
  for (const label of vdp.keys()) {
    if (label !== VdpProof.inclusion && label !== VdpProof.consistency) {
      throw new CoseError('RECEIPT_PROOFS_MALFORMED', 'vdp (396) of vds 1 holds only inclusion (-1) and consistency (-2) proofs');
    }
  }
  const inclusion = proofList(vdp.get(VdpProof.inclusion), 'inclusion');
  const consistency = proofList(vdp.get(VdpProof.consistency), 'consistency');
  if (inclusion.length === 0 && consistency.length === 0) {
    throw new CoseError('RECEIPT_PROOFS_MISSING', 'vdp (396) holds no proof');
  }
  return { inclusion, consistency };
}

// `[+ bstr]`; a lone bstr (tradeverifyd's shape) is taken as a list of one. Safe: the unprotected
// header is not signed, so its shape proves nothing either way; what counts is that the proof
// inside leads to a root the service signed.
function proofList(value: CborValue | undefined, kind: string): Uint8Array[] {
  if (value === undefined) return [];
  if (value instanceof Uint8Array) return [value];
  if (!Array.isArray(value) || value.length === 0) {
    throw new CoseError('RECEIPT_PROOFS_MALFORMED', `${kind} proofs must be a non-empty array of byte strings`);
  }
  if (value.length > MAX_PROOFS_PER_RECEIPT) {
    throw new CoseError('RECEIPT_PROOFS_MALFORMED', `more than ${MAX_PROOFS_PER_RECEIPT} ${kind} proofs in one receipt`);
  }
  for (const item of value as readonly CborValue[]) {
    if (!(item instanceof Uint8Array)) {
      throw new CoseError('RECEIPT_PROOFS_MALFORMED', `${kind} proofs must be byte strings holding CBOR`);
    }
  }
  return value as Uint8Array[];
}

function decodeProofTriple(bytes: Uint8Array, kind: string): ProofTriple {
  let value: CborValue;
  try {
    value = decodeCbor(bytes, { ...PROOF_LIMITS, tags: [] });
  } catch (error) {
    throw new CoseError('RECEIPT_PROOF_MALFORMED', `${kind} proof is not bounded, strict CBOR`, { cause: error });
  }
  if (Array.isArray(value) && value.length === 3) {
    const [a, b, path] = value as readonly CborValue[];
    if (isUint(a) && isUint(b) && Array.isArray(path)) {
      const hashes = path as readonly CborValue[];
      if (hashes.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE)) return [a, b, hashes as Uint8Array[]];
    }
  }
  throw new CoseError('RECEIPT_PROOF_MALFORMED', `${kind} proof must be [uint, uint, [32-byte hashes]]`);
}

function inclusionProofOf([treeSize, leafIndex, path]: ProofTriple): InclusionProof {
  return Object.freeze({ treeSize, leafIndex, path: Object.freeze(path) });
}

function consistencyProofOf([treeSize1, treeSize2, path]: ProofTriple): ConsistencyProof {
  return Object.freeze({ treeSize1, treeSize2, path: Object.freeze(path) });
}

function isUint(value: CborValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

// Map the tree math's refusals to receipt codes, keeping the ProofError as the cause.
const PROOF_CODES: Readonly<Record<string, CoseErrorCode>> = {
  PROOF_ROOT_MISMATCH: 'RECEIPT_OLD_ROOT_MISMATCH',
};

function treeMath(compute: () => Uint8Array): Uint8Array {
  try {
    return compute();
  } catch (error) {
    if (error instanceof ProofError) {
      throw new CoseError(PROOF_CODES[error.code] ?? 'RECEIPT_PROOF_INVALID', error.message, { cause: error });
    }
    throw error;
  }
}

function withProof(head: CoseSign1, proofType: number, proof: Uint8Array): Uint8Array {
  const vdp = new Map<CborMapKey, CborValue>([[proofType, [proof]]]);
  return encodeSign1({
    protectedBytes: head.protectedBytes,
    unprotectedHeader: new Map<Label, CborValue>([[HeaderLabel.vdp, vdp]]),
    payload: null,
    signature: head.signature,
  });
}

/**
 * Decodes a signed tree head (which may come back from storage) and checks it has the shape
 * signTreeHead makes: tagged, payload nil, unprotected header empty, the receipt protected rules.
 */
function openTreeHead(head: SignedTreeHead): CoseSign1 {
  checkTreeHead(head);
  if (!(head.signature instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'a signed tree head carries its COSE_Sign1 bytes as `signature`');
  }
  try {
    const sign1 = decodeSign1(head.signature, { limits: RECEIPT_LIMITS });
    if (sign1.payload !== null) throw new CoseError('RECEIPT_PAYLOAD_ATTACHED', 'the payload must be nil');
    if (sign1.unprotectedHeader.size !== 0) throw new CoseError('COSE_MALFORMED', 'the unprotected header must be empty');
    const { signedTreeSize } = readReceiptHeader(sign1.protectedHeader, sign1.unprotectedHeader);
    if (signedTreeSize !== undefined && signedTreeSize !== head.size) {
      throw new CoseError('RECEIPT_TREE_SIZE_MISMATCH', `the head is for size ${head.size} but its signature for ${signedTreeSize}`);
    }
    return sign1;
  } catch (error) {
    if (!(error instanceof CoseError)) throw error;
    throw new CoseError('RECEIPT_HEAD_MALFORMED', `not a signed tree head: ${error.message}`, { cause: error });
  }
}

function checkTreeHead(head: TreeHead): void {
  if (typeof head !== 'object' || head === null) throw new CoseError('COSE_BAD_ARGUMENT', 'a tree head must be an object');
  if (!Number.isSafeInteger(head.size) || head.size < 0) throw new CoseError('COSE_BAD_ARGUMENT', 'tree size must be a non-negative integer');
  checkHashArgument(head.rootHash, 'root hash');
  if (!Number.isSafeInteger(head.timestamp) || head.timestamp < 0) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'timestamp must be non-negative milliseconds since the epoch');
  }
}

function checkInclusionProof(proof: InclusionProof): void {
  if (typeof proof !== 'object' || proof === null || !isUint(proof.treeSize) || !isUint(proof.leafIndex)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'an inclusion proof has a non-negative integer tree size and leaf index');
  }
  checkPath(proof.path);
}

function checkConsistencyProof(proof: ConsistencyProof): void {
  if (typeof proof !== 'object' || proof === null || !isUint(proof.treeSize1) || !isUint(proof.treeSize2)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'a consistency proof has non-negative integer tree sizes');
  }
  checkPath(proof.path);
}

function checkPath(path: readonly Uint8Array[]): void {
  if (!Array.isArray(path) || !path.every((h) => h instanceof Uint8Array && h.length === HASH_SIZE)) {
    throw new CoseError('COSE_BAD_ARGUMENT', `a path is an array of ${HASH_SIZE}-byte hashes`);
  }
}

function checkHashArgument(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== HASH_SIZE) {
    throw new CoseError('COSE_BAD_ARGUMENT', `${what} must be ${HASH_SIZE} bytes`);
  }
}

function keyHasId(key: CoseKey | KeyObject, kid: Uint8Array): boolean {
  if (!isKeyObject(key) && key.kid !== undefined && bytesEqual(key.kid, kid)) return true;
  return bytesEqual(keyThumbprint(key), kid);
}

function isKeyObject(key: CoseKey | KeyObject): key is KeyObject {
  return key instanceof KeyObject;
}

function checkedSign1(message: CoseSign1, limits: Partial<CborLimits>): CoseSign1 {
  // A decoded message handed in (e.g. from extractReceipts' caller): re-decode from its fields so
  // nothing in the object is trusted over the bytes.
  if (typeof message !== 'object' || message === null || !(message.protectedBytes instanceof Uint8Array)) {
    throw new CoseError('COSE_BAD_ARGUMENT', 'a receipt must be bytes or a decoded COSE_Sign1');
  }
  return decodeSign1(
    encodeSign1(
      {
        protectedBytes: message.protectedBytes,
        unprotectedHeader: message.unprotectedHeader,
        payload: message.payload,
        signature: message.signature,
      },
      { tagged: message.tagged },
    ),
    { limits, requireTag: false },
  );
}
