// Proofs and roots built from a table of every complete node (see completeNodes in
// naive-tree.ts), the way storage would serve a plan's nodes from its tiles.
import { assembleProof, assembleRoot, EMPTY_ROOT, type NodeId, type ProofPlan, rootPlan } from '../../log/tree/index.js';

export function readNodes(nodes: Uint8Array[][], plan: readonly NodeId[]): Uint8Array[] {
  return plan.map(({ level, index }) => {
    const hash = nodes[level]?.[index];
    if (hash === undefined) throw new Error(`plan asked for incomplete node ${level}/${index}`);
    return hash;
  });
}

export function rootOf(nodes: Uint8Array[][], size: number): Uint8Array {
  return size === 0 ? EMPTY_ROOT : assembleRoot(readNodes(nodes, rootPlan(size)));
}

export function proofOf(nodes: Uint8Array[][], plan: ProofPlan): Uint8Array[] {
  return assembleProof(plan, readNodes(nodes, plan.nodes));
}
