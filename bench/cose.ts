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

export function benchCose(log: (line: string) => void): Figure[] {
  const issuer = generateKeyPair(CoseAlgorithm.ES256);
  const service = generateKeyPair(CoseAlgorithm.ES256);
  const payload = new TextEncoder().encode(
    JSON.stringify({ type: 'execution-audit', task: 'task-7f3a', action: 'tool.call', tool: 'search', outcome: 'ok', at: '2026-11-26T07:00:00Z' }),
  );
  const statement = signStatement({ key: issuer.privateKey, iss: 'did:example:agent-42', sub: 'task-7f3a', contentType: 'application/json', payload });

  // The ceiling: the ES256 verification at the heart of the statement check, and nothing else.
  const toBeSigned = encodeSigStructure(new Uint8Array(64), payload);
  const signature = sign('sha256', toBeSigned, { key: issuer.privateKey, dsaEncoding: 'ieee-p1363' });
  const ceiling = () => verify('sha256', toBeSigned, { key: issuer.publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  const statements = pairedRate(ceiling, () => verifyStatementSignature(statement, issuer.publicKey));
  log(`ES256 verify: ${statements.ceiling.toFixed(0)}/s; statements verified: ${statements.subject.toFixed(0)}/s`);

  // A receipt for the statement in a tree of the given size: a path of random siblings (only the
  // root they lead to matters) and the service's signature over that root.
  const registered = registeredStatement(statement);
  const trusted = [coseKeyFromKeyObject(service.publicKey)];
  const receipts = TREES.map(({ size, leafIndex }) => {
    const path = Array.from({ length: inclusionProofLength(leafIndex, size) }, () => new Uint8Array(randomBytes(32)));
    const root = rootFromInclusionProof(leafIndex, size, hashLeaf(registered), path);
    const head = signTreeHead(service.privateKey, { issuer: 'https://atlog.example', subject: 'atlog.example/log' }, { size, rootHash: root, timestamp: Date.now() });
    const receipt = inclusionReceipt(head, { treeSize: size, leafIndex, path });
    const measured = pairedRate(ceiling, () => verifyInclusionReceipt(receipt, registered, trusted));
    log(`receipts verified, tree of ${size}: ${measured.subject.toFixed(0)}/s`);
    return { size, hashes: path.length, measured };
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
    { name: 'ES256 verify (the ceiling)', value: statements.ceiling, unit: 'ops/s', note: `node:crypto, a ${toBeSigned.length}-byte Sig_structure, one core` },
    { name: 'signed statements verified', value: statements.subject, unit: 'ops/s', ratio: ratio(statements.ratio), note: `ES256, ${statement.length} B: strict decode, SCITT header checks, Sig_structure, verify; ${paired}` },
    ...receipts.map(({ size, hashes, measured }) => ({
      name: `inclusion receipts verified, tree of ${size}`,
      value: measured.subject,
      unit: 'ops/s' as const,
      ratio: ratio(measured.ratio),
      note: `ES256 service key, ${hashes}-hash path: decode, leaf hash, root (${hashes + 1} SHA-256), kid lookup, verify`,
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
