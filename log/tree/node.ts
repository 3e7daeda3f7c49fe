import { bitLength, shiftLeft, shiftRight, trailingZeros } from './bits.js';

/**
 * A node of the tree: `level` 0 holds the leaf hashes, and the node (level, index) is the root of
 * the perfect subtree over leaves [index·2^level, (index+1)·2^level).
 */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

export function nodeId(level: number, index: number): NodeId {
  return { level, index };
}

/** The leaf range [begin, end) under a node. */
export function coverage(node: NodeId): [begin: number, end: number] {
  const begin = shiftLeft(node.index, node.level);
  return [begin, begin + 2 ** node.level];
}

export function sibling(node: NodeId): NodeId {
  return { level: node.level, index: node.index % 2 === 0 ? node.index + 1 : node.index - 1 };
}

export function parent(node: NodeId): NodeId {
  return { level: node.level + 1, index: shiftRight(node.index, 1) };
}

/**
 * The perfect subtrees that exactly cover the leaves [begin, end), left to right: the compact
 * range of transparency-dev/merkle. Every node returned is complete once the tree holds `end`
 * leaves, so it can be read from storage rather than recomputed.
 */
export function rangeNodes(begin: number, end: number): NodeId[] {
  const nodes: NodeId[] = [];
  // Greedy: at each position take the largest subtree that is aligned there and still fits. The
  // levels first rise (alignment limits them) and then fall (the remaining length limits them).
  for (let low = begin; low < end; ) {
    const alignment = low === 0 ? Infinity : trailingZeros(low);
    const level = Math.min(alignment, bitLength(end - low) - 1);
    nodes.push({ level, index: shiftRight(low, level) });
    low += 2 ** level;
  }
  return nodes;
}
