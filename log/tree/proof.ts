import { bitLength, shiftRight, trailingZeros, xor } from './bits.js';
import { hashChildren } from './hash.js';
import { coverage, type NodeId, parent, rangeNodes, sibling } from './node.js';

/**
 * Which stored nodes make up a proof, and how to turn their hashes into the proof. Building a
 * proof is then two steps with I/O only between them: read `nodes` from wherever the tree lives,
 * then call {@link assembleProof}. The same plan serves tiles on disk, a cache, or a test's array.
 */
export interface ProofPlan {
  /** The nodes to read, in proof order; every one is complete at the proof's tree size. */
  readonly nodes: readonly NodeId[];
  /**
   * nodes[ephemeralBegin, ephemeralEnd) are the right border of the tree, listed from the lowest
   * level up. Together they cover a subtree that is incomplete at this size (an "ephemeral" node,
   * never stored), and fold into its single hash.
   */
  readonly ephemeralBegin: number;
  readonly ephemeralEnd: number;
}

/**
 * The plan for the inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162
 * §2.1.3.1). The caller checks 0 <= index < size.
 */
export function inclusionProofPlan(index: number, size: number): ProofPlan {
  return planPath(index, 0, size, false);
}

/**
 * The plan for the consistency proof from `size1` to `size2` (RFC 9162 §2.1.4.1), for
 * 0 < size1 <= size2; equal sizes need no hashes.
 */
export function consistencyProofPlan(size1: number, size2: number): ProofPlan {
  if (size1 === size2) return { nodes: [], ephemeralBegin: 0, ephemeralEnd: 0 };
  // The proof is the inclusion path, in the tree of size2, of the largest perfect subtree that
  // ends at size1, preceded by that subtree's own hash unless it is the whole old tree (when size1
  // is a power of two the verifier already holds it as the old root).
  const level = trailingZeros(size1);
  const index = shiftRight(size1 - 1, level);
  return planPath(index, level, size2, index !== 0);
}

function planPath(index: number, level: number, size: number, withSeed: boolean): ProofPlan {
  // The fork is where the path up from (level, index) leaves the right border of the tree; below
  // it the siblings are stored nodes, at it the sibling is the ephemeral right border, above it
  // the siblings are the perfect subtrees to the left.
  const inner = bitLength(xor(index, shiftRight(size, level))) - 1;
  const fork: NodeId = { level: level + inner, index: shiftRight(index, inner) };
  const [begin, end] = coverage(fork);

  const nodes: NodeId[] = [];
  let node: NodeId = { level, index };
  if (withSeed) nodes.push(node);
  for (; node.level < fork.level; node = parent(node)) nodes.push(sibling(node));

  const ephemeralBegin = nodes.length;
  nodes.push(...rangeNodes(end, size).reverse());
  const ephemeralEnd = nodes.length;
  nodes.push(...rangeNodes(0, begin).reverse());
  return { nodes, ephemeralBegin, ephemeralEnd };
}

/** Turns the hashes of a plan's nodes, in plan order, into the proof. */
export function assembleProof(plan: ProofPlan, hashes: readonly Uint8Array[]): Uint8Array[] {
  if (hashes.length !== plan.nodes.length) {
    throw new RangeError(`proof plan needs ${plan.nodes.length} hashes, got ${hashes.length}`);
  }
  const { ephemeralBegin: begin, ephemeralEnd: end } = plan;
  if (end - begin < 2) return hashes.slice();
  let ephemeral = hashes[begin]!;
  for (let i = begin + 1; i < end; i++) ephemeral = hashChildren(hashes[i]!, ephemeral);
  return [...hashes.slice(0, begin), ephemeral, ...hashes.slice(end)];
}

/** The stored nodes whose hashes fold into the root of the tree of `size` leaves, left to right. */
export function rootPlan(size: number): NodeId[] {
  return rangeNodes(0, size);
}

/** Folds the hashes of {@link rootPlan}'s nodes into the root; the caller handles size 0. */
export function assembleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  let root = hashes[hashes.length - 1];
  if (root === undefined) throw new RangeError('a root needs at least one node');
  for (let i = hashes.length - 2; i >= 0; i--) root = hashChildren(hashes[i]!, root);
  return root;
}
