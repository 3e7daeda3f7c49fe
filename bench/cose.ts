// COSE on the verify path: a signed statement's signature check and an inclusion receipt's check,
// each beside the raw ES256 verification of the same run (the physical limit of both).
import { hash, randomBytes, sign, verify } from 'node:crypto';
import { nodeHashEngine } from '../log/tree/hash.js';
import { hashChildren, hashLeaf, inclusionProofLength, rootFromInclusionProof } from '../log/tree/index.js';
import {
  CoseAlgorithm,
  coseKeyFromKeyObject,
  encodeSigStructure,
  generateKeyPair,
  inclusionReceipt,
  registeredStatement,
  signStatement,
  signTreeHead,
  verifyInclusionReceipt,
  verifyStatementSignature,
} from '../receipts/index.js';
import { type Figure, pairedRate } from './measure.js';

/**
 * Receipts in a young log (1 024 leaves: 10-hash paths) and in one of a million (20 hashes); and
 * in a tree of one (no path), which leaves only the fixed cost of a receipt beside its signature.
 */
const TREES = [
  { size: 1024, leafIndex: 517 },
  { size: 1_000_000, leafIndex: 123_457 },
  { size: 1, leafIndex: 0 },
] as const;

/** Distinct receipts (and entries, and checkpoints) checked in turn for each tree size. */
const RECEIPTS = 64;

export function benchCose(log: (line: string) => void): Figure[] {
  const issuer = generateKeyPair(CoseAlgorithm.ES256);
  const service = generateKeyPair(CoseAlgorithm.ES256);
  const payload = new TextEncoder().encode(
    JSON.stringify({ type: 'execution-audit', task: 'task-7f3a', action: 'tool.call', tool: 'search', outcome: 'ok', at: '2026-11-26T07:00:00Z' }),
  );
  // RECEIPTS statements, each verified in turn as below, each the entry of one receipt after.
  const statements = Array.from({ length: RECEIPTS }, (_, i) =>
    signStatement({ key: issuer.privateKey, iss: 'did:example:agent-42', sub: `task-${(0x7f3a + i).toString(16)}`, contentType: 'application/json', payload }),
  );

  // The ceiling: the ES256 verification at the heart of the statement check, and nothing else.
  const toBeSigned = encodeSigStructure(new Uint8Array(64), payload);
  const signature = sign('sha256', toBeSigned, { key: issuer.privateKey, dsaEncoding: 'ieee-p1363' });
  const ceiling = () => verify('sha256', toBeSigned, { key: issuer.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  let nextStatement = 0;
  const statementRate = pairedRate(ceiling, () => verifyStatementSignature(statements[nextStatement++ % RECEIPTS]!, issuer.publicKey));
  log(`ES256 verify: ${statementRate.ceiling.toFixed(0)}/s; statements verified: ${statementRate.subject.toFixed(0)}/s`);

  // Receipts in a tree of the given size, RECEIPTS of them, each for an entry of its own under a
  // checkpoint of its own (its own path of random siblings, hence root, its own time, its own
  // signature), checked in turn: nothing one check learns can serve the next but what every
  // receipt of one service shares (its issuer, its key).
  const trusted = [coseKeyFromKeyObject(service.publicKey)];
  const entries = statements.map((statement) => registeredStatement(statement));
  const receipts = TREES.map(({ size, leafIndex }) => {
    const length = inclusionProofLength(leafIndex, size);
    const signed = entries.map((entry, i) => {
      const path = Array.from({ length }, () => new Uint8Array(randomBytes(32)));
      const root = rootFromInclusionProof(leafIndex, size, hashLeaf(entry), path);
      const head = signTreeHead(service.privateKey, { issuer: 'https://atlog.example', subject: 'atlog.example/log' }, { size, rootHash: root, timestamp: Date.now() + 1000 * i });
      return inclusionReceipt(head, { treeSize: size, leafIndex, path });
    });
    let next = 0;
    const measured = pairedRate(ceiling, () => {
      const i = next++ % RECEIPTS;
      verifyInclusionReceipt(signed[i]!, entries[i]!, trusted);
    });
    log(`receipts verified, tree of ${size}: ${measured.subject.toFixed(0)}/s`);
    return { size, hashes: length, bytes: signed[0]!.length, measured };
  });

  // The interior-node hash the path fold runs on (hashChildren), beside node:crypto's hash of the
  // same 65 bytes, which is what it ran on before and what the SHA-256 ceiling measures.
  const left = new Uint8Array(randomBytes(32));
  const right = new Uint8Array(randomBytes(32));
  const nodeInput = new Uint8Array(65);
  nodeInput[0] = 1;
  const nodes = pairedRate(
    () => {
      nodeInput.set(left, 1);
      nodeInput.set(right, 33);
      hash('sha256', nodeInput, 'buffer');
    },
    () => hashChildren(left, right),
  );
  log(`interior node hashes: ${nodes.subject.toFixed(0)}/s (node:crypto ${nodes.ceiling.toFixed(0)}/s)`);

  const ratio = (value: number) => ({ of: 'ES256 verify/s', value });
  const paired = 'median of 9 rounds, each 0.25 s of CPU time on the ceiling then 0.25 s on this';
  return [
    { name: 'ES256 verify (the ceiling)', value: statementRate.ceiling, unit: 'ops/s', note: `node:crypto, a ${toBeSigned.length}-byte Sig_structure, one core` },
    {
      name: 'signed statements verified',
      value: statementRate.subject,
      unit: 'ops/s',
      ratio: ratio(statementRate.ratio),
      note: `ES256, ${statements[0]!.length} B, ${RECEIPTS} distinct in turn: strict decode, SCITT header checks, Sig_structure, verify; ${paired}`,
    },
    ...receipts.map(({ size, hashes, bytes, measured }) => ({
      name: `inclusion receipts verified, tree of ${size}`,
      value: measured.subject,
      unit: 'ops/s' as const,
      ratio: ratio(measured.ratio),
      note: `ES256 service key, ${hashes}-hash path, ${bytes} B, ${RECEIPTS} distinct receipts under distinct checkpoints in turn: decode, leaf hash, root (${hashes + 1} SHA-256), kid lookup, verify`,
    })),
    {
      name: `interior node hashes (hashChildren, ${nodeHashEngine()})`,
      value: nodes.subject,
      unit: 'ops/s',
      ratio: { of: 'node:crypto hash() of the same 65 B', value: nodes.ratio },
      note: `${paired}`,
    },
  ];
}
