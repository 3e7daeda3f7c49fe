// RFC 9162 Merkle tree math: hashing, proof plans and proof verification. Pure, no I/O; storage
// reads the nodes a plan names, and this module turns them into proofs and roots.
export { HASH_SIZE, EMPTY_ROOT, hashLeaf, hashLeafRecord, hashChildren, LEAF_PREFIX } from './hash.js';
export {
  bitLength,
  isPowerOfTwo,
  isTreeSize,
  largestPowerOfTwoBelow,
  popCount,
  shiftLeft,
  shiftRight,
  trailingZeros,
  xor,
} from './bits.js';
export { type NodeId, coverage, nodeId, parent, rangeNodes, sibling } from './node.js';
export {
  type ProofPlan,
  assembleProof,
  assembleRoot,
  consistencyProofPlan,
  inclusionProofPlan,
  rootPlan,
} from './proof.js';
export {
  type ProofErrorCode,
  ProofError,
  consistencyProofLength,
  inclusionProofLength,
  rootFromConsistencyProof,
  rootFromInclusionProof,
  rootFromPackedInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from './verify.js';
