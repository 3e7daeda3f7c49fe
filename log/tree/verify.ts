import { bytesEqual } from '../../util/index.js';
import { AtlogError } from '../../util/index.js';
import { bitLength, isTreeSize, popCount, shiftRight, trailingZeros, xor } from './bits.js';
import { HASH_SIZE, foldPath, foldPathList, hashChildren } from './hash.js';

export type ProofErrorCode =
  | 'PROOF_BAD_ARGUMENT'
  | 'PROOF_INDEX_OUT_OF_RANGE'
  | 'PROOF_SIZE_ORDER'
  | 'PROOF_EMPTY_TREE'
  | 'PROOF_WRONG_LENGTH'
  | 'PROOF_BAD_HASH'
  | 'PROOF_ROOT_MISMATCH';

/** A proof that does not verify, with a code that says why. Proofs may come from anyone. */
export class ProofError extends AtlogError<ProofErrorCode> {}

/** How many hashes the inclusion proof of leaf `index` in a tree of `size` leaves has. */
export function inclusionProofLength(index: number, size: number): number {
  const inner = bitLength(xor(index, size - 1));
  return inner + popCount(shiftRight(index, inner));
}

/** How many hashes the consistency proof from `size1` to `size2` has, for 0 < size1 <= size2. */
export function consistencyProofLength(size1: number, size2: number): number {
  if (size1 === size2) return 0;
  const inner = bitLength(xor(size1 - 1, size2 - 1));
  const border = popCount(shiftRight(size1 - 1, inner));
  const shift = trailingZeros(size1);
  const seed = size1 === 2 ** shift ? 0 : 1;
  return seed + inner - shift + border;
}

/**
 * Recomputes the root that an inclusion proof commits to (RFC 9162 §2.1.3.2). A receipt verifier
 * uses the result as the detached payload of the receipt's signature, so no root is compared here.
 */
export function rootFromInclusionProof(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  checkInclusionArguments(leafIndex, treeSize, leafHash);
  checkProofHashes(proof);
  const sides = inclusionSides(leafIndex, treeSize, proof.length);
  return foldPathList(leafHash, proof, sides.low, sides.high);
}

/**
 * {@link rootFromInclusionProof} for a path whose `count` hashes lie in `source` from `offset`
 * on, `stride` bytes apart: a receipt's path as it sits in the receipt's bytes (stride 34: each
 * hash behind its two-byte CBOR head), folded without first cutting it into arrays. Same checks,
 * same refusals; the caller vouches that the bytes between the hashes are what it says.
 */
export function rootFromPackedInclusionProof(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  source: Uint8Array,
  offset: number,
  stride: number,
  count: number,
): Uint8Array {
  checkInclusionArguments(leafIndex, treeSize, leafHash);
  if (!(source instanceof Uint8Array) || !Number.isSafeInteger(count) || count < 0) {
    throw new ProofError('PROOF_BAD_ARGUMENT', 'a packed proof is a byte array and a count of hashes');
  }
  const sides = inclusionSides(leafIndex, treeSize, count);
  return foldPath(leafHash, source, offset, stride, count, sides.low, sides.high);
}

function checkInclusionArguments(leafIndex: number, treeSize: number, leafHash: Uint8Array): void {
  if (!isTreeSize(leafIndex) || !isTreeSize(treeSize)) {
    throw new ProofError('PROOF_BAD_ARGUMENT', 'leaf index and tree size must be non-negative safe integers');
  }
  if (leafIndex >= treeSize) {
    throw new ProofError('PROOF_INDEX_OUT_OF_RANGE', `leaf index ${leafIndex} is not below tree size ${treeSize}`);
  }
  checkHash(leafHash, 'leaf hash');
}

/**
 * Which side each hash of an inclusion proof of `length` hashes goes on, as a 64-bit mask (bit i
 * set: hash i is the left child), after checking the length: RFC 9162 §2.1.3.2's loop without
 * the hashing, so that the hashing can run in one go. The loop runs until the node reaches the
 * root (sn = 0), one hash a level, so it counts the length the proof must have as it goes: the
 * RFC's own checks (no hash left over, none missing) are that the two agree. A proof has at most
 * 53 hashes (a tree of at most 2^53 - 1 leaves), so the mask always fits.
 */
function inclusionSides(leafIndex: number, treeSize: number, length: number): { low: number; high: number } {
  let levels = 0;
  let low = 0;
  let high = 0;
  if (treeSize <= 0x8000_0000) {
    // Every node index below 2^31: the same loop on int32s, without a division a level.
    let fn = leafIndex;
    let sn = treeSize - 1;
    while (sn !== 0) {
      if ((fn & 1) === 1 || fn === sn) {
        if (levels < 32) low |= 1 << levels;
        // On the right border a node may have no sibling: climb past those levels.
        while ((fn & 1) === 0 && fn !== 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      }
      fn >>>= 1;
      sn >>>= 1;
      levels++;
    }
  } else {
    let fn = leafIndex;
    let sn = treeSize - 1;
    while (sn !== 0) {
      if (fn % 2 === 1 || fn === sn) {
        if (levels < 32) low |= 1 << levels;
        else high |= 1 << (levels - 32);
        while (fn % 2 === 0 && fn !== 0) {
          fn = shiftRight(fn, 1);
          sn = shiftRight(sn, 1);
        }
      }
      fn = shiftRight(fn, 1);
      sn = shiftRight(sn, 1);
      levels++;
    }
  }
  if (length !== levels) {
    throw new ProofError('PROOF_WRONG_LENGTH', `inclusion proof for leaf ${leafIndex} of ${treeSize} needs ${levels} hashes, got ${length}`);
  }
  return { low, high };
}

/** Checks that `proof` proves `leafHash` at `leafIndex` in the tree of `treeSize` with `root`. */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): void {
  const computed = rootFromInclusionProof(leafIndex, treeSize, leafHash, proof);
  if (!bytesEqual(computed, root)) {
    throw new ProofError('PROOF_ROOT_MISMATCH', `inclusion proof for leaf ${leafIndex} does not lead to the given root`);
  }
}

/**
 * Checks a consistency proof against the old root and recomputes the new one (RFC 9162 §2.1.4.2).
 * A consistency receipt verifier uses the result as the receipt's detached payload.
 */
export function rootFromConsistencyProof(
  size1: number,
  size2: number,
  root1: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  if (!isTreeSize(size1) || !isTreeSize(size2)) {
    throw new ProofError('PROOF_BAD_ARGUMENT', 'tree sizes must be non-negative safe integers');
  }
  if (size1 > size2) {
    throw new ProofError('PROOF_SIZE_ORDER', `old tree size ${size1} is larger than new tree size ${size2}`);
  }
  if (size1 === 0) {
    throw new ProofError('PROOF_EMPTY_TREE', 'a consistency proof from the empty tree proves nothing');
  }
  checkProofHashes(proof);
  const expected = consistencyProofLength(size1, size2);
  if (proof.length !== expected) {
    throw new ProofError(
      'PROOF_WRONG_LENGTH',
      `consistency proof from ${size1} to ${size2} needs ${expected} hashes, got ${proof.length}`,
    );
  }
  if (size1 === size2) return root1;
  checkHash(root1, 'old root');

  // When size1 is a power of two the old root is the first node of the path, and is not sent.
  const path = size1 === 2 ** trailingZeros(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = shiftRight(fn, 1);
    sn = shiftRight(sn, 1);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) throw new ProofError('PROOF_WRONG_LENGTH', 'consistency proof has hashes past the root');
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = shiftRight(fn, 1);
        sn = shiftRight(sn, 1);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = shiftRight(fn, 1);
    sn = shiftRight(sn, 1);
  }
  if (sn !== 0) throw new ProofError('PROOF_WRONG_LENGTH', 'consistency proof ends below the root');
  if (!bytesEqual(fr, root1)) {
    throw new ProofError('PROOF_ROOT_MISMATCH', `consistency proof does not lead to the old root at size ${size1}`);
  }
  return sr;
}

/** Checks that the tree of `size2` with `root2` extends the tree of `size1` with `root1`. */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  const computed = rootFromConsistencyProof(size1, size2, root1, proof);
  if (!bytesEqual(computed, root2)) {
    const what = size1 === size2 ? `roots differ at the same tree size ${size1}` : `consistency proof does not lead to the new root at size ${size2}`;
    throw new ProofError('PROOF_ROOT_MISMATCH', what);
  }
}

function checkHash(hash: Uint8Array, what: string): void {
  if (!(hash instanceof Uint8Array) || hash.length !== HASH_SIZE) {
    throw new ProofError('PROOF_BAD_HASH', `${what} must be ${HASH_SIZE} bytes`);
  }
}

function checkProofHashes(proof: readonly Uint8Array[]): void {
  if (!Array.isArray(proof)) throw new ProofError('PROOF_BAD_ARGUMENT', 'a proof is an array of hashes');
  proof.forEach((hash, i) => checkHash(hash, `proof hash ${i}`));
}
