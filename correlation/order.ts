// Graph algorithms on integer node ids, iterative and in linear memory, so that neither a chain of a
// million parents nor a huge fan-out can exhaust the stack: adjacency in compressed sparse rows,
// Kahn's topological sort with the smallest id first among the ready nodes (ids are ranks by log
// index, so ties are broken by log index and issuer clocks are never consulted), and Tarjan's
// strongly connected components with an explicit stack for what Kahn could not order (cycles).

/** Adjacency in compressed sparse rows: the targets of node v are `targets[start[v] .. start[v+1])`, ascending. */
export interface Adjacency {
  readonly start: Int32Array;
  readonly targets: Int32Array;
  /** For each slot in `targets`, the edge it came from. */
  readonly edges: Int32Array;
}

/** Adjacency of `n` nodes from edges (from[i] → to[i]); each row ascending by target, then by edge. */
export function adjacency(n: number, from: ArrayLike<number>, to: ArrayLike<number>): Adjacency {
  const m = from.length;
  const start = new Int32Array(n + 1);
  for (let i = 0; i < m; i++) start[from[i]! + 1]!++;
  for (let v = 0; v < n; v++) start[v + 1]! += start[v]!;
  const fill = start.slice(0, n);
  const targets = new Int32Array(m);
  const edges = new Int32Array(m);
  // Counting sort by target first, so each row comes out ascending without a comparison sort.
  const byTarget = countingOrder(n, to);
  for (const i of byTarget) {
    const slot = fill[from[i]!]!++;
    targets[slot] = to[i]!;
    edges[slot] = i;
  }
  return { start, targets, edges };
}

/** The edge indices ordered by `key` (stable), in O(n + m). */
function countingOrder(n: number, key: ArrayLike<number>): Int32Array {
  const m = key.length;
  const count = new Int32Array(n + 1);
  for (let i = 0; i < m; i++) count[key[i]! + 1]!++;
  for (let v = 0; v < n; v++) count[v + 1]! += count[v]!;
  const out = new Int32Array(m);
  for (let i = 0; i < m; i++) out[count[key[i]!]!++] = i;
  return out;
}

/**
 * A topological order of the nodes, the smallest ready id first (Kahn with a binary heap), and
 * how many of them it could order: the nodes after `ordered` lie on or after a cycle, and follow in
 * id order.
 */
export function topologicalOrder(n: number, out: Adjacency): { order: Int32Array; ordered: number } {
  const indegree = new Int32Array(n);
  for (let i = 0; i < out.targets.length; i++) indegree[out.targets[i]!]!++;
  const heap = new MinHeap(n);
  for (let v = 0; v < n; v++) if (indegree[v] === 0) heap.push(v);
  const order = new Int32Array(n);
  const placed = new Uint8Array(n);
  let k = 0;
  while (heap.size > 0) {
    const v = heap.pop();
    order[k++] = v;
    placed[v] = 1;
    for (let s = out.start[v]!; s < out.start[v + 1]!; s++) {
      const w = out.targets[s]!;
      if (--indegree[w]! === 0) heap.push(w);
    }
  }
  const ordered = k;
  for (let v = 0; v < n; v++) if (placed[v] === 0) order[k++] = v;
  return { order, ordered };
}

/**
 * The strongly connected components of more than one node among `nodes` (edges leaving the set are
 * ignored): every cycle lies in one. Tarjan's algorithm with an explicit stack. Components come out
 * with their nodes ascending, ordered by their smallest node.
 */
export function cycles(n: number, out: Adjacency, nodes: ArrayLike<number>): number[][] {
  const inSet = new Uint8Array(n);
  for (let i = 0; i < nodes.length; i++) inSet[nodes[i]!] = 1;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack = new Int32Array(nodes.length);
  let sp = 0;
  const frameNode = new Int32Array(nodes.length);
  const framePtr = new Int32Array(nodes.length);
  let fp = 0;
  let counter = 0;
  const found: number[][] = [];
  const enter = (v: number) => {
    index[v] = low[v] = counter++;
    stack[sp++] = v;
    onStack[v] = 1;
    frameNode[fp] = v;
    framePtr[fp++] = out.start[v]!;
  };
  for (let i = 0; i < nodes.length; i++) {
    const root = nodes[i]!;
    if (index[root] !== -1) continue;
    enter(root);
    while (fp > 0) {
      const v = frameNode[fp - 1]!;
      const ptr = framePtr[fp - 1]!;
      if (ptr < out.start[v + 1]!) {
        framePtr[fp - 1] = ptr + 1;
        const w = out.targets[ptr]!;
        if (inSet[w] === 0) continue;
        if (index[w] === -1) enter(w);
        else if (onStack[w] === 1 && index[w]! < low[v]!) low[v] = index[w]!;
        continue;
      }
      fp--;
      if (fp > 0) {
        const parent = frameNode[fp - 1]!;
        if (low[v]! < low[parent]!) low[parent] = low[v]!;
      }
      if (low[v] === index[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack[--sp]!;
          onStack[w] = 0;
          component.push(w);
        } while (w !== v);
        if (component.length > 1) found.push(component.sort((a, b) => a - b));
      }
    }
  }
  return found.sort((a, b) => a[0]! - b[0]!);
}

/** A binary min-heap of integers below a fixed bound. */
class MinHeap {
  private readonly items: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  push(value: number): void {
    const items = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= value) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items[--this.size]!;
    let i = 0;
    const half = this.size >> 1;
    while (i < half) {
      let child = 2 * i + 1;
      if (child + 1 < this.size && items[child + 1]! < items[child]!) child++;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
