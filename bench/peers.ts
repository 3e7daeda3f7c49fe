// atlog beside independent implementations (issue 9), in the same run, on the same machine and the
// same inputs: the tree and its proofs against @transmute/rfc9162 and merkletreejs, COSE_Sign1 and
// receipt verification against @transmute/cose. Every implementation's answers are compared before
// anything is timed, since a race between wrong answers measures nothing.
import { hash, type JsonWebKey, verify } from 'node:crypto';
import * as transmute from '@transmute/cose';
import { CoMETRE, RFC9162 } from '@transmute/rfc9162';
import { MerkleTree } from 'merkletreejs';
import { locateNode, RightEdge, type Tile, tileKey } from '../log/tiles/index.js';
import { nodeHashEngine } from '../log/tree/hash.js';
import {
  assembleProof,
  assembleRoot,
  consistencyProofLength,
  consistencyProofPlan,
  hashChildren,
  hashLeaf,
  inclusionProofLength,
  inclusionProofPlan,
  type NodeId,
  type ProofPlan,
  rootPlan,
  verifyConsistency,
  verifyInclusion,
} from '../log/tree/index.js';
import {
  CoseAlgorithm,
  coseKeyFromKeyObject,
  decodeSign1,
  encodeSigStructure,
  generateKeyPair,
  inclusionReceipt,
  signStatement,
  signTreeHead,
  verifyInclusionReceipt,
  verifySign1,
  verifyStatementSignature,
} from '../receipts/index.js';
import { cpuClock, type Figure, median } from './measure.js';

export interface PeersBenchOptions {
  readonly log: (line: string) => void;
  /**
   * Tree sizes (default 1 000 and 16 000). @transmute/rfc9162 recomputes every subtree from the
   * leaves for each root and each proof (n − 1 hashes at ~25 µs each here), so 16 000 leaves cost
   * it about 0.4 s a proof; sizes that are not powers of two leave a ragged right edge, as a live
   * log has.
   */
  readonly sizes?: readonly number[];
  /** CPU seconds each implementation runs per round of the tree figures (default 0.2). */
  readonly slice?: number;
  /**
   * Rounds of every implementation in turn for the tree figures (default 3); the figures are the
   * medians. The COSE figures, where every contender is fast, take 2·rounds + 1 rounds of 3/4 of a
   * slice: ES256 checks on a shared machine are noisy, and more rounds steady the median.
   */
  readonly rounds?: number;
}

const DEFAULT_SIZES = [1_000, 16_000] as const;
/** Leaf indices and old tree sizes drawn per tree, cycled through by every implementation alike. */
const POOL = 256;
/** CPU time a slow peer may spend on answers checked before timing, beyond the first two. */
const CHECK_BUDGET_MS = 300;

type Op = () => unknown;

interface Contender {
  readonly name: string;
  readonly op: Op;
  readonly note: string;
}

/** Operations per CPU second over about `seconds` of CPU time, at least one operation. */
async function cpuRate(op: Op, seconds: number): Promise<number> {
  const start = cpuClock();
  const until = start + seconds * 1000;
  let count = 0;
  let batch = 1;
  for (;;) {
    for (let i = 0; i < batch; i++) {
      const result = op();
      if (result instanceof Promise) await result;
    }
    count += batch;
    const now = cpuClock();
    if (now >= until) return (count * 1000) / (now - start);
    // Batches of about a twentieth of the slice: reading the clock costs about a microsecond, a
    // real share of a proof that takes two, and doubling batches could overshoot the slice twofold.
    batch = Math.max(1, Math.floor((count / Math.max(now - start, 0.001)) * seconds * 50));
  }
}

/**
 * Every contender's rate in each round, in CPU time, contender after contender with the order
 * rotated each round, so that none always runs in the wake of the same one's garbage. No GC is
 * forced between slices: after one V8 shrinks the young generation, and the scavenges that follow
 * cost an allocating contender dearly (verifySign1 read 0.56 of ES256 so, 0.78-0.90 without).
 */
async function measureRounds(contenders: readonly Op[], rounds: number, slice: number): Promise<number[][]> {
  for (const op of contenders) await cpuRate(op, slice / 5);
  const perRound = contenders.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (round + k) % contenders.length;
      perRound[i]!.push(await cpuRate(contenders[i]!, slice));
    }
  }
  return perRound;
}

/** The median over rounds of a's rate divided by b's in the same round. */
function pairedRatio(perRound: readonly number[][], a: number, b: number): number {
  return median(perRound[a]!.map((rate, round) => rate / perRound[b]![round]!));
}

/** A seeded xorshift32: the same indices for every implementation and every run. */
function xorshift(seed: number): (bound: number) => number {
  let state = seed >>> 0 || 1;
  return (bound) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % bound;
  };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const sameHashes = (a: readonly Uint8Array[], b: readonly Uint8Array[]) => a.length === b.length && a.every((h, i) => hex(h) === hex(b[i]!));
const isPowerOfTwo = (n: number) => (n & (n - 1)) === 0;
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

function disagree(what: string): never {
  throw new Error(`bench peers: implementations disagree: ${what}`);
}

/** Whether `run` refused its input, by throwing or rejecting or by answering false. */
async function refuses(run: () => unknown): Promise<boolean> {
  try {
    return (await run()) === false;
  } catch {
    return true;
  }
}

// --- atlog's tree, held in memory ---------------------------------------------------------------

/** The tree as the sequencer builds it (the right edge, tile by tile), with every tile kept. */
interface TiledTree {
  readonly size: number;
  readonly root: Uint8Array;
  readonly tiles: ReadonlyMap<number, Tile>;
}

function buildTiledTree(leafHashes: readonly Uint8Array[]): TiledTree {
  const edge = new RightEdge(0, []);
  for (const leaf of leafHashes) edge.append(leaf);
  const tiles = new Map(edge.takeChanged().map((tile) => [tileKey(tile.id.level, tile.id.index), tile] as const));
  return { size: edge.size, root: edge.root(), tiles };
}

function readNode(tree: TiledTree, node: NodeId): Uint8Array {
  const { tile, row, position } = locateNode(node);
  const hash = tree.tiles.get(tileKey(tile.level, tile.index))?.node(row, position);
  if (hash === undefined) throw new Error(`no node ${node.level}/${node.index} in a tree of ${tree.size}`);
  return hash;
}

/** What the service's TreeReader does with a plan, less the storage reads and its memo of right borders. */
function proofFrom(tree: TiledTree, plan: ProofPlan): Uint8Array[] {
  return assembleProof(plan, plan.nodes.map((node) => readNode(tree, node)));
}

function rootAt(tree: TiledTree, size: number): Uint8Array {
  return assembleRoot(rootPlan(size).map((node) => readNode(tree, node)));
}

// --- merkletreejs with RFC 6962 prefixes ------------------------------------------------------

const NODE_PREFIX = Buffer.of(0x01);
/** The cheapest RFC 6962 set-up it allows: the 0x01 prefix written by its concatenator, one SHA-256 call a node. */
const merkletreejsOptions = { hashLeaves: false, concatenator: (parts: Buffer[]) => Buffer.concat([NODE_PREFIX, ...parts]) };
const sha256 = (data: Buffer) => hash('sha256', data, 'buffer');
/** The same tree on atlog's node hash (native or WebAssembly), to tell its structure's cost from its hash's. */
const atlogNodeHash = (data: Buffer) => Buffer.from(hashChildren(data.subarray(0, 32), data.subarray(32)));

// --- the tree figures ---------------------------------------------------------------------------

/** A tree figure before its ceiling ratio, which waits for the ceiling's last sample. */
interface TreeFigure {
  readonly figure: Figure;
  /** SHA-256 calls one operation needs (n − 1 for a root, the path length for a check), or 1. */
  readonly per: number;
  readonly perLabel: string;
}

async function benchTree(n: number, sampleCeiling: () => Promise<void>, rounds: number, slice: number, say: (line: string) => void): Promise<TreeFigure[]> {
  if (!Number.isSafeInteger(n) || n < 3) throw new RangeError('bench peers: tree sizes must be integers of at least 3');
  // Leaf hashes, not entries, are every implementation's input (all three take them), as Buffers so
  // that merkletreejs converts nothing: hashing the entries would add the same n SHA-256 calls to each.
  const leaves = Array.from({ length: n }, (_, i) => Buffer.from(hashLeaf(Buffer.from(`atlog peers bench, entry ${i}`))));
  const random = xorshift(0x9e3779b9 ^ n);
  const indices = Array.from({ length: POOL }, () => random(n));
  const oldSizes = Array.from({ length: POOL }, () => 1 + random(n - 1));
  const transmute9162 = CoMETRE.RFC9162_SHA256;

  // Roots: every implementation, every answer.
  const ours = buildTiledTree(leaves);
  const mt = new MerkleTree(leaves, sha256, merkletreejsOptions);
  const mtOnOurHash = new MerkleTree(leaves, atlogNodeHash, { hashLeaves: false });
  const theirRoot = await transmute9162.root(leaves);
  const root = ours.root;
  if (hex(theirRoot) !== hex(root)) disagree(`@transmute/rfc9162 root of ${n}`);
  if (hex(mt.getRoot()) !== hex(root) || hex(mtOnOurHash.getRoot()) !== hex(root)) disagree(`merkletreejs root of ${n}`);

  // Inclusion proofs: ours and merkletreejs's for every index of the pool; @transmute/rfc9162's
  // (n hashes each) for the first two and as many more as the check budget allows here, and every
  // one it makes while timed is kept and checked after (see timedPaths).
  const ourPaths = indices.map((i) => proofFrom(ours, inclusionProofPlan(i, n)));
  const mtProofs = indices.map((i) => mt.getProof(leaves[i]!, i));
  mtProofs.forEach((proof, k) => {
    if (!sameHashes(proof.map((p) => p.data), ourPaths[k]!)) disagree(`merkletreejs inclusion path of leaf ${indices[k]} of ${n}`);
  });
  let checkStart = cpuClock();
  for (let k = 0; k < POOL && (k < 2 || cpuClock() - checkStart < CHECK_BUDGET_MS); k++) {
    const theirs = await transmute9162.inclusion_proof(indices[k]!, leaves);
    if (!sameHashes(theirs.inclusion_path, ourPaths[k]!)) disagree(`@transmute/rfc9162 inclusion path of leaf ${indices[k]} of ${n}`);
  }
  const inclusion = (k: number) => ({ log_id: '', tree_size: n, leaf_index: indices[k]!, inclusion_path: ourPaths[k]! });
  for (let k = 0; k < POOL; k++) {
    const i = indices[k]!;
    verifyInclusion(i, n, leaves[i]!, ourPaths[k]!, root);
    if (!mt.verify(mtProofs[k]!, leaves[i]!, Buffer.from(root))) disagree(`merkletreejs refuses the inclusion of leaf ${i} of ${n}`);
    if (!(await RFC9162.verifyInclusionProof(root, leaves[i]!, inclusion(k)))) disagree(`@transmute/rfc9162 refuses the inclusion of leaf ${i} of ${n}`);
  }
  {
    // A tampered path must be refused by all three.
    const i = indices[0]!;
    const bad = ourPaths[0]!.map((h) => new Uint8Array(h));
    const flipped = bad[0]!;
    flipped[0] = flipped[0]! ^ 1;
    const badMt = mtProofs[0]!.map((p, j) => ({ position: p.position, data: Buffer.from(bad[j]!) }));
    const verdicts = [
      await refuses(() => verifyInclusion(i, n, leaves[i]!, bad, root)),
      await refuses(() => mt.verify(badMt, leaves[i]!, Buffer.from(root))),
      await refuses(() => RFC9162.verifyInclusionProof(root, leaves[i]!, { ...inclusion(0), inclusion_path: bad })),
    ];
    if (!verdicts.every(Boolean)) disagree(`a tampered inclusion path was accepted (atlog, merkletreejs, transmute refused: ${verdicts})`);
  }

  // Consistency proofs: @transmute/rfc9162 only (merkletreejs has none). Its SUBPROOF ignores the
  // RFC's flag, so from a power-of-two size its path starts with the old root (which its verifier
  // expects); past that first hash it must be exactly ours.
  const oldRoots = oldSizes.map((m) => rootAt(ours, m));
  const ourConsistency = oldSizes.map((m) => proofFrom(ours, consistencyProofPlan(m, n)));
  const theirConsistency = oldSizes.map((m, k) => (isPowerOfTwo(m) ? [oldRoots[k]!, ...ourConsistency[k]!] : ourConsistency[k]!));
  const previous = (m: number) => ({ log_id: '', tree_size: m, leaf_index: 0, inclusion_path: [] });
  checkStart = cpuClock();
  for (let k = 0; k < POOL && (k < 2 || cpuClock() - checkStart < CHECK_BUDGET_MS); k++) {
    const theirs = await transmute9162.consistency_proof(previous(oldSizes[k]!), leaves);
    if (!sameHashes(theirs.consistency_path, theirConsistency[k]!)) disagree(`@transmute/rfc9162 consistency path ${oldSizes[k]} → ${n}`);
  }
  const consistency = (k: number, path = theirConsistency[k]!) => ({ log_id: '', tree_size_1: oldSizes[k]!, tree_size_2: n, consistency_path: path });
  for (let k = 0; k < POOL; k++) {
    // Their verifier accepting our old root for every old size checks those roots too.
    verifyConsistency(oldSizes[k]!, n, oldRoots[k]!, root, ourConsistency[k]!);
    if (!(await RFC9162.verifyConsistencyProof(oldRoots[k]!, root, consistency(k)))) disagree(`@transmute/rfc9162 refuses consistency ${oldSizes[k]} → ${n}`);
  }
  {
    const bad = ourConsistency[0]!.map((h) => new Uint8Array(h));
    const flipped = bad[bad.length - 1]!;
    flipped[0] = flipped[0]! ^ 1;
    const badTheirs = isPowerOfTwo(oldSizes[0]!) ? [oldRoots[0]!, ...bad] : bad;
    const verdicts = [
      await refuses(() => verifyConsistency(oldSizes[0]!, n, oldRoots[0]!, root, bad)),
      await refuses(() => RFC9162.verifyConsistencyProof(oldRoots[0]!, root, consistency(0, badTheirs))),
    ];
    if (!verdicts.every(Boolean)) disagree(`a tampered consistency path was accepted (atlog, transmute refused: ${verdicts})`);
  }
  say(`tree of ${n}: roots, ${POOL} inclusion and ${POOL} consistency proofs agree across implementations`);

  // Each contender walks the pools from the start, all alike.
  const each = (op: (k: number) => unknown): Op => {
    let k = 0;
    return () => {
      const at = k;
      k = (k + 1) % POOL;
      return op(at);
    };
  };
  const rootBuffer = Buffer.from(root);
  // What @transmute/rfc9162 answers while timed, by pool index: a Map.set beside a proof of n hashes.
  const timedPaths = new Map<number, Uint8Array[]>();
  const timedConsistency = new Map<number, Uint8Array[]>();
  const meanLength = (lengths: number[]) => lengths.reduce((a, b) => a + b, 0) / lengths.length;
  const inclusionLength = meanLength(indices.map((i) => inclusionProofLength(i, n)));
  const consistencyLength = meanLength(oldSizes.map((m) => consistencyProofLength(m, n)));
  const leavesNote = `${n} leaf hashes in memory`;

  const sections: { what: string; per: number; perLabel: string; contenders: Contender[] }[] = [
    {
      what: `root of ${n} leaves`,
      per: n - 1,
      perLabel: `${n - 1} (its interior hashes)`,
      contenders: [
        {
          name: 'atlog',
          note: `RightEdge, as the sequencer: appends each leaf, writes every complete node into 8-level tiles, folds the root; SHA-256 of interior nodes: {engine}`,
          op: () => {
            const edge = new RightEdge(0, []);
            for (const leaf of leaves) edge.append(leaf);
            return edge.root();
          },
        },
        { name: '@transmute/rfc9162', note: `CoMETRE root(leaves): recursive MTH, async, one awaited SHA-256 per node, nothing kept`, op: () => transmute9162.root(leaves) },
        { name: 'merkletreejs', note: `new MerkleTree(leaves) keeps every layer; node:crypto SHA-256 with the 0x01 prefix from its concatenator`, op: () => new MerkleTree(leaves, sha256, merkletreejsOptions).getRoot() },
        { name: "merkletreejs on atlog's hashChildren", note: `the same, hashing with atlog's node hash ({engine}): its tree code without the hash-engine difference`, op: () => new MerkleTree(leaves, atlogNodeHash, { hashLeaves: false }).getRoot() },
      ],
    },
    {
      what: `inclusion proofs made, ${n} leaves`,
      per: 1,
      perLabel: '',
      contenders: [
        { name: 'atlog', note: `${leavesNote} as tiles: inclusionProofPlan, read the planned nodes, fold the ragged right border (no memo)`, op: each((k) => proofFrom(ours, inclusionProofPlan(indices[k]!, n))) },
        { name: '@transmute/rfc9162', note: `CoMETRE inclusion_proof(index, leaves): recomputes every sibling subtree from the leaves, n − 1 hashes a proof`, op: each(async (k) => timedPaths.set(k, (await transmute9162.inclusion_proof(indices[k]!, leaves)).inclusion_path)) },
        { name: 'merkletreejs', note: `getProof(leaf, index) on the layers its constructor kept: no hashing`, op: each((k) => mt.getProof(leaves[indices[k]!]!, indices[k]!)) },
      ],
    },
    {
      what: `inclusion proofs verified, ${n} leaves`,
      per: inclusionLength,
      perLabel: `${inclusionLength.toFixed(1)} (the mean path length)`,
      contenders: [
        { name: 'atlog', note: 'verifyInclusion: argument and length checks, RFC 9162 §2.1.3.2, root compared', op: each((k) => verifyInclusion(indices[k]!, n, leaves[indices[k]!]!, ourPaths[k]!, root)) },
        { name: '@transmute/rfc9162', note: 'RFC9162.verifyInclusionProof: the same algorithm, async, one awaited SHA-256 per hash', op: each((k) => RFC9162.verifyInclusionProof(root, leaves[indices[k]!]!, inclusion(k))) },
        { name: 'merkletreejs', note: 'verify(proof, leaf, root): folds the left/right positions its proof carries; binds neither index nor tree size', op: each((k) => mt.verify(mtProofs[k]!, leaves[indices[k]!]!, rootBuffer)) },
      ],
    },
    {
      what: `consistency proofs made, ${n} leaves`,
      per: 1,
      perLabel: '',
      contenders: [
        { name: 'atlog', note: `${leavesNote} as tiles: consistencyProofPlan from random old sizes, read, fold`, op: each((k) => proofFrom(ours, consistencyProofPlan(oldSizes[k]!, n))) },
        { name: '@transmute/rfc9162', note: 'CoMETRE consistency_proof: SUBPROOF recomputing subtrees from the leaves; merkletreejs has no consistency proofs', op: each(async (k) => timedConsistency.set(k, (await transmute9162.consistency_proof(previous(oldSizes[k]!), leaves)).consistency_path)) },
      ],
    },
    {
      what: `consistency proofs verified, ${n} leaves`,
      per: consistencyLength,
      perLabel: `${consistencyLength.toFixed(1)} (the mean proof length; the check hashes up to twice that)`,
      contenders: [
        { name: 'atlog', note: 'verifyConsistency: RFC 9162 §2.1.4.2, both roots compared', op: each((k) => verifyConsistency(oldSizes[k]!, n, oldRoots[k]!, root, ourConsistency[k]!)) },
        { name: '@transmute/rfc9162', note: 'RFC9162.verifyConsistencyProof: the same algorithm, async; merkletreejs has none', op: each((k) => RFC9162.verifyConsistencyProof(oldRoots[k]!, root, consistency(k))) },
      ],
    },
  ];

  const figures: TreeFigure[] = [];
  for (const { what, per, perLabel, contenders } of sections) {
    await sampleCeiling();
    const perRound = await measureRounds(
      contenders.map((c) => c.op),
      rounds,
      slice,
    );
    contenders.forEach((c, i) => {
      const value = median(perRound[i]!);
      const figure: Figure = {
        name: `${what}: ${c.name}`,
        value,
        unit: 'ops/s',
        ...(i === 0 ? {} : { versus: { of: 'atlog ÷ this', value: pairedRatio(perRound, 0, i) } }),
        // The engine that ran, named once it has (a process picks it at its first nodes).
        note: c.note.replace('{engine}', nodeHashEngine()),
      };
      figures.push({ figure, per, perLabel });
    });
    say(`${what}: ${contenders.map((c, i) => `${c.name} ${median(perRound[i]!).toFixed(1)}/s`).join(', ')}`);
  }
  for (const [k, path] of timedPaths) if (!sameHashes(path, ourPaths[k]!)) disagree(`@transmute/rfc9162 inclusion path of leaf ${indices[k]} of ${n}, timed`);
  for (const [k, path] of timedConsistency) if (!sameHashes(path, theirConsistency[k]!)) disagree(`@transmute/rfc9162 consistency path ${oldSizes[k]} → ${n}, timed`);
  say(`tree of ${n}: the ${timedPaths.size} inclusion and ${timedConsistency.size} consistency paths @transmute/rfc9162 made while timed are ours too`);
  return figures;
}

// --- COSE -----------------------------------------------------------------------------------------

function es256Jwk(pair: ReturnType<typeof generateKeyPair>): transmute.PublicKeyJwk {
  return { ...(pair.publicKey.export({ format: 'jwk' }) as JsonWebKey), alg: 'ES256' } as transmute.PublicKeyJwk;
}

async function benchCose(treeSize: number, rounds: number, slice: number, say: (line: string) => void): Promise<Figure[]> {
  const issuer = generateKeyPair(CoseAlgorithm.ES256);
  const service = generateKeyPair(CoseAlgorithm.ES256);
  const payload = new TextEncoder().encode(
    JSON.stringify({ type: 'execution-audit', task: 'task-7f3a', action: 'tool.call', tool: 'search', outcome: 'ok', at: '2026-11-26T07:00:00Z' }),
  );
  const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent-42', sub: 'task-7f3a', contentType: 'application/json', payload });
  const statementBuffer = toArrayBuffer(statement);
  // Its resolver is the caller's: the one issuer's JWK, no lookup (ours is handed the KeyObject).
  const issuerJwk = es256Jwk(issuer);
  const theirStatementVerifier = transmute.attached.verifier({ resolver: { resolve: async () => issuerJwk } });

  // The ceiling: node:crypto's ES256 check of this very statement's Sig_structure and signature.
  const decoded = decodeSign1(statement);
  const toBeSigned = encodeSigStructure(decoded.protectedBytes, decoded.payload!);
  const es256 = () => verify('sha256', toBeSigned, { key: issuer.publicKey, dsaEncoding: 'ieee-p1363' }, decoded.signature);
  if (!es256()) disagree('the ES256 ceiling refuses the statement');
  if (hex(verifySign1(statement, issuer.publicKey).payload) !== hex(payload)) disagree('verifySign1 payload');
  verifyStatementSignature(statement, issuer.publicKey);
  if (hex(new Uint8Array(await theirStatementVerifier.verify({ coseSign1: statementBuffer }))) !== hex(payload)) disagree('@transmute/cose payload');
  const tampered = new Uint8Array(statement);
  tampered[tampered.length - 1] = tampered[tampered.length - 1]! ^ 1; // the signature's last byte
  const statementVerdicts = [
    await refuses(() => verifySign1(tampered, issuer.publicKey)),
    await refuses(() => verifyStatementSignature(tampered, issuer.publicKey)),
    await refuses(() => theirStatementVerifier.verify({ coseSign1: toArrayBuffer(tampered) })),
  ];
  if (!statementVerdicts.every(Boolean)) disagree(`a tampered statement was accepted (verifySign1, statement, transmute refused: ${statementVerdicts})`);

  // A receipt for a real leaf of a tree of `treeSize`, signed by the service; the same bytes for both.
  const leaves = Array.from({ length: treeSize }, (_, i) => hashLeaf(Buffer.from(`atlog peers bench, receipt leaf ${i}`)));
  const tree = buildTiledTree(leaves);
  const leafIndex = Math.floor(treeSize * 0.618);
  const path = proofFrom(tree, inclusionProofPlan(leafIndex, treeSize));
  const head = signTreeHead(service.privateKey, { issuer: 'https://atlog.example', subject: 'atlog.example/log' }, { size: treeSize, rootHash: tree.root, timestamp: Date.UTC(2026, 11, 1) });
  const receipt = inclusionReceipt(head, { treeSize, leafIndex, path });
  const receiptBuffer = toArrayBuffer(receipt);
  const leafHash = leaves[leafIndex]!;
  const trusted = [coseKeyFromKeyObject(service.publicKey)];
  const serviceJwk = es256Jwk(service);
  const theirReceiptVerifier = transmute.detached.verifier({ resolver: { resolve: async () => serviceJwk } });
  const theirReceipt = (entry: Uint8Array, bytes = receiptBuffer) => transmute.receipt.inclusion.verify({ entry, receipt: bytes, verifier: theirReceiptVerifier });
  if (hex(verifyInclusionReceipt(receipt, { leafHash }, trusted).root) !== hex(tree.root)) disagree('verifyInclusionReceipt root');
  if (hex(new Uint8Array(await theirReceipt(leafHash))) !== hex(tree.root)) disagree('@transmute/cose receipt root');
  const otherLeaf = leaves[(leafIndex + 1) % treeSize]!;
  const receiptVerdicts = [await refuses(() => verifyInclusionReceipt(receipt, { leafHash: otherLeaf }, trusted)), await refuses(() => theirReceipt(otherLeaf))];
  if (!receiptVerdicts.every(Boolean)) disagree(`a receipt was accepted for another leaf (atlog, transmute refused: ${receiptVerdicts})`);
  say('COSE: statement and receipt verdicts agree (valid accepted, tampered refused)');

  // One set of rounds for statements and receipts: both keys are P-256, so one ES256 ceiling serves.
  const perRound = await measureRounds(
    [
      es256,
      () => verifySign1(statement, issuer.publicKey),
      () => verifyStatementSignature(statement, issuer.publicKey),
      () => theirStatementVerifier.verify({ coseSign1: statementBuffer }),
      () => verifyInclusionReceipt(receipt, { leafHash }, trusted),
      () => theirReceipt(leafHash),
    ],
    rounds,
    slice,
  );
  const of = 'ES256 verify/s';
  const figure = (i: number, name: string, note: string, versus?: number): Figure => ({
    name,
    value: median(perRound[i]!),
    unit: 'ops/s',
    ...(i === 0 ? {} : { ratio: { of, value: pairedRatio(perRound, i, 0) } }),
    ...(versus === undefined ? {} : { versus: { of: 'atlog ÷ this', value: pairedRatio(perRound, versus, i) } }),
    note,
  });
  const bytes = `${statement.length} B`;
  const figures = [
    figure(0, 'ES256 verify, CPU time (the ceiling of the COSE figures)', `node:crypto verify of the statement's own ${toBeSigned.length}-byte Sig_structure, KeyObject given; the service key is P-256 too`),
    figure(1, 'COSE_Sign1 ES256 verified: atlog verifySign1', `${bytes} statement: strict decode, alg and crit checks, Sig_structure, node:crypto verify`),
    figure(2, 'COSE_Sign1 ES256 verified: atlog verifyStatementSignature', `the same plus the SCITT header checks (iss, sub, kid) of RFC 9943`),
    figure(3, 'COSE_Sign1 ES256 verified: @transmute/cose attached.verifier', `cbor-web decode, alg check, re-encoded Sig_structure, WebCrypto importKey(JWK) and verify each time, async; against verifySign1`, 1),
    figure(4, `inclusion receipts verified, tree of ${treeSize}: atlog verifyInclusionReceipt`, `${path.length}-hash path, leaf hash given: one-pass receipt decode, root, kid lookup among trusted keys, verify`),
    figure(5, `inclusion receipts verified, tree of ${treeSize}: @transmute/cose receipt.inclusion.verify`, `same receipt bytes and leaf hash: cbor-web decodes, @transmute/rfc9162 root (async), detached verifier as above`, 4),
  ];
  say(`COSE: ${figures.map((f) => `${f.name.replace(/^.*: /, '')} ${f.value.toFixed(0)}/s`).join(', ')}`);
  return figures;
}

export async function benchPeers(options: PeersBenchOptions): Promise<Figure[]> {
  const { log: say, sizes = DEFAULT_SIZES, slice = 0.2, rounds = 3 } = options;
  // The tree figures' ceiling, on the same CPU clock as they are: node:crypto's one-shot SHA-256
  // of an interior node's 65 bytes, one slice before each set of rounds, the median of them all. A
  // single measurement at the start once read 37% low: the process's other threads (compilers, GC)
  // still busy with the modules just loaded count in its CPU time.
  const nodeInput = new Uint8Array(65);
  nodeInput[0] = 1;
  const sha256 = () => hash('sha256', nodeInput, 'buffer');
  await cpuRate(sha256, slice / 5);
  const samples: number[] = [];
  const sampleCeiling = async () => {
    samples.push(await cpuRate(sha256, slice));
  };
  const trees: TreeFigure[] = [];
  for (const n of sizes) trees.push(...(await benchTree(n, sampleCeiling, rounds, slice, say)));
  const sha = median(samples);
  say(`SHA-256 (65 B), CPU time: ${sha.toFixed(0)}/s (median of ${samples.length} slices, ${Math.min(...samples).toFixed(0)}-${Math.max(...samples).toFixed(0)})`);
  return [
    { name: 'SHA-256 of 65 B, CPU time (the ceiling of the tree figures)', value: sha, unit: 'ops/s', note: `node:crypto hash(), one core; median of ${samples.length} slices, one before each set of rounds` },
    ...trees.map(({ figure, per, perLabel }) => ({
      ...figure,
      ratio: { of: per === 1 ? 'SHA-256/s' : `SHA-256/s ÷ ${perLabel}`, value: (figure.value * per) / sha },
    })),
    ...(await benchCose(Math.max(...sizes), 2 * rounds + 1, 0.75 * slice, say)),
  ];
}
