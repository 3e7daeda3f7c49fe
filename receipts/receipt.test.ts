import { createHash, createPrivateKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consistencyProofPlan, hashLeaf, inclusionProofLength, inclusionProofPlan, rootFromInclusionProof } from '../log/tree/index.js';
import { proofOf, rootOf } from '../test/support/complete-nodes.js';
import { completeNodes, NaiveTree } from '../test/support/naive-tree.js';
import { VECTORS } from '../test/support/vectors.js';
import { CoseAlgorithm } from './algorithms.js';
import { type CborValue, decodeCbor, encodeCbor } from './cbor.js';
import { CoseError, type CoseErrorCode } from './errors.js';
import { coseKeyFromKeyObject, coseKeyThumbprint, generateKeyPair } from './keys.js';
import { HeaderLabel, type Label } from './labels.js';
import {
  READER_LIMITS,
  RECEIPT_LIMITS,
  type SignedTreeHead,
  consistencyProofRoot,
  consistencyReceipt,
  coseCheckpointSigner,
  encodeInclusionProof,
  inclusionProofRoot,
  inclusionReceipt,
  inclusionReceiptUnder,
  openReceiptHead,
  parseReceipt,
  signTreeHead,
  verifyConsistencyReceipt,
  verifyInclusionReceipt,
  verifyTreeHeadSignature,
} from './receipt.js';
import { scanInclusionReceipt } from './receipt-reader.js';
import { decodeSign1, encodeSign1, signSign1 } from './sign1.js';
import { signStatement } from './statement.js';
import { attachReceipts, extractReceipts, registeredStatement } from './transparent.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const unhex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function expectCode(run: () => unknown, code: CoseErrorCode): CoseError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CoseError);
    expect((error as CoseError).code).toBe(code);
    return error as CoseError;
  }
  return expect.unreachable(`expected ${code}`);
}

const SERVICE = { issuer: 'https://atlog.example', subject: 'atlog.example/log' };
const service = generateKeyPair(CoseAlgorithm.ES256);
const serviceKey = coseKeyFromKeyObject(service.publicKey, { kid: coseKeyThumbprint(service.publicKey) });
const stranger = generateKeyPair(CoseAlgorithm.ES256);

// A tiny log: statements from a few agents, their registered forms as entries, every complete node.
const agents = [generateKeyPair(CoseAlgorithm.ES256), generateKeyPair(CoseAlgorithm.EdDSA), generateKeyPair(CoseAlgorithm.ES384)];
const statements = Array.from({ length: 7 }, (_, i) =>
  signStatement({
    key: agents[i % agents.length]!.privateKey,
    iss: `https://agents.example/${i % agents.length}`,
    sub: `agent-${i}`,
    iat: 1_700_000_000 + i,
    contentType: 'application/json',
    payload: utf8(JSON.stringify({ step: i })),
    // Some arrive with unprotected content, which registration drops.
    ...(i % 2 === 0 ? { unprotectedHeader: new Map<Label, CborValue>([['hint', `#${i}`]]) } : {}),
  }),
);
const entries = statements.map((s) => registeredStatement(s));
const leafHashes = entries.map(hashLeaf);
const nodes = completeNodes(leafHashes);

function headAt(size: number, timestamp = 1_700_000_000_000 + size): SignedTreeHead {
  return signTreeHead(service.privateKey, SERVICE, { size, rootHash: rootOf(nodes, size), timestamp });
}
const inclusionAt = (index: number, size: number) => ({ treeSize: size, leafIndex: index, path: proofOf(nodes, inclusionProofPlan(index, size)) });
const consistencyAt = (size1: number, size2: number) => ({ treeSize1: size1, treeSize2: size2, path: proofOf(nodes, consistencyProofPlan(size1, size2)) });

const head7 = headAt(7);
const receipt3 = inclusionReceipt(head7, { ...inclusionAt(3, 7), leafHash: leafHashes[3]! });

/** The receipt with its unprotected header replaced: it is not signed, so anyone can do this. */
function withUnprotected(receipt: Uint8Array, unprotected: Map<Label, CborValue>): Uint8Array {
  return encodeSign1({ ...decodeSign1(receipt), unprotectedHeader: unprotected });
}
const vdp = (proofs: Map<number, CborValue>) => new Map<Label, CborValue>([[HeaderLabel.vdp, proofs]]);

/** A receipt with any protected header, signed over `root`, carrying `proofs` (for shape tests). */
function craftedReceipt(protectedEntries: [Label, CborValue][], root: Uint8Array, unprotected: Map<Label, CborValue>): Uint8Array {
  const signed = signSign1({ key: service.privateKey, payload: root, detached: true, protectedHeader: new Map(protectedEntries) });
  return withUnprotected(signed, unprotected);
}
const goodProtected = (): [Label, CborValue][] => [
  [HeaderLabel.kid, coseKeyThumbprint(service.publicKey)],
  [HeaderLabel.vds, 1],
  [HeaderLabel.cwtClaims, new Map<number, CborValue>([[1, SERVICE.issuer], [2, SERVICE.subject]])],
];
const proof3 = () => encodeInclusionProof(inclusionAt(3, 7));

describe('the RFC 9942 example receipts (test-vectors/cose-receipts)', () => {
  const inclusionBytes = new Uint8Array(readFileSync(join(VECTORS, 'cose-receipts/inclusion-receipt.cbor')));
  const consistencyBytes = new Uint8Array(readFileSync(join(VECTORS, 'cose-receipts/consistency-receipt.cbor')));
  const LEAF_3 = unhex('987ba8093cabe31046a77bbe9aa4b5f62675d943386c7fbbe249cbaca5da242d');
  const ROOT_5 = '895731b5a570ea1967dd7804b5f43146175f9ac87d1565985de3ecf09c98589c';
  const ROOT_3 = unhex('688928db5e565af2fb9b29db5cce83de0e0352a0f0c671b450b9dc86bed2de3c');

  it('the inclusion receipt parses, and its proof from leaf hash 3 gives the size-5 root', () => {
    expect(inclusionBytes.length).toBe(250);
    const r = parseReceipt(inclusionBytes);
    expect(r.alg).toBe(CoseAlgorithm.ES256);
    expect(Buffer.from(r.kid).toString()).toBe('test-key-1');
    expect(r.issuer).toBe('https://transparency-service.example.com');
    expect(r.subject).toBeUndefined(); // the examples carry iss only: tolerated on input
    expect(r.inclusionProofs).toHaveLength(1);
    const [proof] = r.inclusionProofs;
    expect([proof!.treeSize, proof!.leafIndex, proof!.path.length]).toEqual([5, 3, 3]);
    expect(hex(inclusionProofRoot(proof!, LEAF_3))).toBe(ROOT_5);
    // Our encoder writes the example's proof bstr byte for byte.
    const wrapped = encodeCbor(encodeInclusionProof(proof!));
    expect(hex(wrapped).slice(0, 8)).toBe('586a8305');
    expect(Buffer.from(inclusionBytes).indexOf(Buffer.from(wrapped))).toBe(0x4b);
  });

  it('the consistency receipt parses, and its proof from the size-3 root gives the same size-5 root', () => {
    const r = parseReceipt(consistencyBytes);
    const [proof] = r.consistencyProofs;
    expect([proof!.treeSize1, proof!.treeSize2, proof!.path.length]).toEqual([3, 5, 4]);
    expect(hex(proof!.path[1]!)).toBe(hex(LEAF_3));
    expect(hex(consistencyProofRoot(proof!, ROOT_3))).toBe(ROOT_5);
    expectCode(() => consistencyProofRoot(proof!, LEAF_3), 'RECEIPT_OLD_ROOT_MISMATCH');
  });

  it('their signatures cannot be checked: the key "test-key-1" is not published', () => {
    // So the furthest a verifier gets is the key lookup, or, given some key, a failed signature.
    expectCode(() => verifyInclusionReceipt(inclusionBytes, { leafHash: LEAF_3 }, [serviceKey]), 'RECEIPT_KEY_UNKNOWN');
    expectCode(() => verifyConsistencyReceipt(consistencyBytes, ROOT_3, [serviceKey]), 'RECEIPT_KEY_UNKNOWN');
    let asked: [string, string] | undefined;
    const guess = (kid: Uint8Array, issuer: string) => {
      asked = [Buffer.from(kid).toString(), issuer];
      return stranger.publicKey;
    };
    expectCode(() => verifyInclusionReceipt(inclusionBytes, { leafHash: LEAF_3 }, guess), 'RECEIPT_SIGNATURE_INVALID');
    expect(asked).toEqual(['test-key-1', 'https://transparency-service.example.com']);
    // A wrong leaf still gets a root (any 32 bytes do), so it is the signature that refuses it.
    expectCode(() => verifyInclusionReceipt(inclusionBytes, { leafHash: ROOT_3 }, guess), 'RECEIPT_SIGNATURE_INVALID');
  });
});

describe('known answers', () => {
  // Ed25519 signatures are deterministic, so a whole receipt can be written down.
  const seed = unhex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'); // RFC 8032 test 1
  const edKey = createPrivateKey({ key: Buffer.concat([unhex('302e020100300506032b657004220420'), seed]), format: 'der', type: 'pkcs8' });
  const kid = new Uint8Array(32).fill(0x11);
  const root = createHash('sha256').update('').digest(); // any 32 bytes; SHA-256("") here

  it('the protected header of a signed tree head, and the whole size-1 receipt', () => {
    const head = signTreeHead(edKey, { ...SERVICE, kid }, { size: 1, rootHash: root, timestamp: 1_700_000_000_999 });
    const sign1 = decodeSign1(head.signature);
    // {1: -8, 4: h'11…11', 15: {1: "https://atlog.example", 2: "atlog.example/log", 6: 1700000000},
    //  395: 1, -65537: 1}; -65537 encodes as 3a 00010000, so it sorts last
    const PROTECTED =
      'a5' +
      '0127' +
      '045820' + '1111111111111111111111111111111111111111111111111111111111111111' +
      '0fa3' +
      '0175' + '68747470733a2f2f61746c6f672e6578616d706c65' +
      '0271' + '61746c6f672e6578616d706c652f6c6f67' +
      '061a6553f100' +
      '19018b01' +
      '3a0001000001';
    expect(hex(sign1.protectedBytes)).toBe(PROTECTED);
    expect(sign1.payload).toBeNull();
    expect(sign1.unprotectedHeader.size).toBe(0);

    const receipt = inclusionReceipt(head, { treeSize: 1, leafIndex: 0, path: [] });
    // 18([<<protected>>, {396: {-1: [<<[1, 0, []]>>]}}, nil, signature])
    expect(hex(receipt)).toBe(
      'd284' + '5862' + PROTECTED + 'a119018ca1208144' + '83010080' + 'f6' + '5840' + hex(sign1.signature),
    );
    expect(hex(sign1.signature)).toBe(
      '8aaa2bd9e15f0757386f3223a6e41c5badb77f0586b66a1823136351db04f12c' +
        'e673e813307584d7c058bacb10896a17fb0365dbaea730ce6c183564ca74960d',
    );
    // Independently of our encoder: the signature is over ["Signature1", <<protected>>, h'', root].
    const toBeSigned = unhex('84' + '6a' + hex(utf8('Signature1')) + '5862' + PROTECTED + '40' + '5820' + hex(root));
    expect(verify(null, toBeSigned, edKey, sign1.signature)).toBe(true);
    // The kid here is not the key's thumbprint, so a key list cannot match it; a resolver can.
    expectCode(() => verifyInclusionReceipt(receipt, { leafHash: root }, [edKey]), 'RECEIPT_KEY_UNKNOWN');
    expect(verifyInclusionReceipt(receipt, { leafHash: root }, () => edKey).alg).toBe(CoseAlgorithm.EdDSA);
  });

  it('the inclusion proof bstr for fixed inputs', () => {
    const h = (byte: number) => new Uint8Array(32).fill(byte);
    expect(hex(encodeInclusionProof({ treeSize: 1, leafIndex: 0, path: [] }))).toBe('83010080');
    expect(hex(encodeInclusionProof({ treeSize: 1000, leafIndex: 24, path: [h(0xaa), h(0xbb)] }))).toBe(
      '83' + '1903e8' + '1818' + '82' + '5820' + 'aa'.repeat(32) + '5820' + 'bb'.repeat(32),
    );
  });
});

describe('issuing and verifying: one signature per checkpoint', () => {
  it('round trip: statement → registered entry → leaf → tree → head → receipt → transparent → verified', () => {
    expect(hex(head7.rootHash)).toBe(hex(new NaiveTree(leafHashes).root(7)));
    const receipts = leafHashes.map((leafHash, i) => inclusionReceipt(head7, { ...inclusionAt(i, 7), leafHash }));
    for (const [i, statement] of statements.entries()) {
      const transparent = attachReceipts(statement, [receipts[i]!]);
      const [extracted] = extractReceipts(transparent);
      expect(hex(extracted!)).toBe(hex(receipts[i]!));
      const verified = verifyInclusionReceipt(extracted!, registeredStatement(transparent), [serviceKey]);
      expect(verified).toMatchObject({ treeSize: 7, leafIndex: i, issuer: SERVICE.issuer, subject: SERVICE.subject, iat: 1_700_000_000, alg: CoseAlgorithm.ES256 });
      expect(hex(verified.root)).toBe(hex(head7.rootHash));
      expect(hex(verified.kid)).toBe(hex(coseKeyThumbprint(service.publicKey)));
    }
    // Every receipt of the batch shares the head's protected bytes and its one signature.
    const head = decodeSign1(head7.signature);
    for (const receipt of receipts) {
      const r = decodeSign1(receipt);
      expect(hex(r.protectedBytes)).toBe(hex(head.protectedBytes));
      expect(hex(r.signature)).toBe(hex(head.signature));
      expect(r.payload).toBeNull();
    }
  });

  it('emits exactly {396: {-1: [bstr]}} with a nested path array, also for an empty path', () => {
    const u = decodeSign1(receipt3).unprotectedHeader;
    expect([...u.keys()]).toEqual([HeaderLabel.vdp]);
    const proofs = (u.get(HeaderLabel.vdp) as Map<number, CborValue>).get(-1) as Uint8Array[];
    expect(proofs).toHaveLength(1);
    const [size, index, path] = decodeCbor(proofs[0]!, { tags: [] }) as [number, number, Uint8Array[]];
    expect([size, index]).toEqual([7, 3]);
    expect(path.map(hex)).toEqual(inclusionAt(3, 7).path.map(hex));
    const single = inclusionReceipt(headAt(1), { treeSize: 1, leafIndex: 0, path: [], leafHash: leafHashes[0]! });
    const p = ((decodeSign1(single).unprotectedHeader.get(HeaderLabel.vdp) as Map<number, CborValue>).get(-1) as Uint8Array[])[0]!;
    expect(hex(p)).toBe('83010080');
    verifyInclusionReceipt(single, entries[0]!, [serviceKey]);
  });

  it('the log’s checkpoint signer makes the same heads, reloadable from storage', async () => {
    const signer = coseCheckpointSigner(service.privateKey, SERVICE);
    const head = { size: 5, rootHash: rootOf(nodes, 5), timestamp: 1_700_000_123_456 };
    const stored: SignedTreeHead = { ...head, signature: await signer.sign(head) };
    verifyTreeHeadSignature(stored, service.publicKey);
    expectCode(() => verifyTreeHeadSignature({ ...stored, rootHash: rootOf(nodes, 4) }, service.publicKey), 'COSE_BAD_SIGNATURE');
    const receipt = inclusionReceipt(stored, { ...inclusionAt(4, 5), leafHash: leafHashes[4]! });
    expect(verifyInclusionReceipt(receipt, entries[4]!, [serviceKey]).iat).toBe(1_700_000_123);
    expect(() => coseCheckpointSigner(service.publicKey, SERVICE)).toThrow(CoseError);
  });

  it('trusted keys: a COSE_Key list (by kid or thumbprint), KeyObjects (by thumbprint), or a resolver', () => {
    verifyInclusionReceipt(receipt3, entries[3]!, [service.publicKey]);
    verifyInclusionReceipt(receipt3, entries[3]!, [coseKeyFromKeyObject(service.publicKey)]);
    const calls: string[] = [];
    verifyInclusionReceipt(receipt3, entries[3]!, (kid, issuer) => {
      calls.push(`${hex(kid)} ${issuer}`);
      return serviceKey;
    });
    expect(calls).toEqual([`${hex(coseKeyThumbprint(service.publicKey))} ${SERVICE.issuer}`]);
    // A service that names its key otherwise is found by that kid in a list of COSE_Keys.
    const named = signTreeHead(service.privateKey, { ...SERVICE, kid: utf8('service-2026') }, { size: 7, rootHash: head7.rootHash, timestamp: 0 });
    const receipt = inclusionReceipt(named, inclusionAt(3, 7));
    verifyInclusionReceipt(receipt, entries[3]!, [coseKeyFromKeyObject(service.publicKey, { kid: utf8('service-2026') })]);
    expectCode(() => verifyInclusionReceipt(receipt, entries[3]!, [service.publicKey]), 'RECEIPT_KEY_UNKNOWN');
  });

  it('consistency: from an old root a verified inclusion receipt gave, to the new signed head', () => {
    const head3 = headAt(3);
    const old = verifyInclusionReceipt(inclusionReceipt(head3, inclusionAt(1, 3)), entries[1]!, [serviceKey]);
    const receipt = consistencyReceipt(head7, { ...consistencyAt(3, 7), oldRoot: old.root });
    const u = decodeSign1(receipt).unprotectedHeader.get(HeaderLabel.vdp) as Map<number, CborValue>;
    expect([...u.keys()]).toEqual([-2]);
    const verified = verifyConsistencyReceipt(receipt, old.root, [serviceKey]);
    expect(verified).toMatchObject({ treeSize1: 3, treeSize2: 7, issuer: SERVICE.issuer, subject: SERVICE.subject });
    expect(hex(verified.root)).toBe(hex(head7.rootHash));
    expect(hex(verified.oldRoot)).toBe(hex(old.root));
    verifyConsistencyReceipt(receipt, { treeSize: 3, root: old.root }, [serviceKey]);
    expectCode(() => verifyConsistencyReceipt(receipt, { treeSize: 4, root: old.root }, [serviceKey]), 'RECEIPT_TREE_SIZE_MISMATCH');
    expectCode(() => verifyConsistencyReceipt(receipt, rootOf(nodes, 4), [serviceKey]), 'RECEIPT_OLD_ROOT_MISMATCH');
    expectCode(() => verifyConsistencyReceipt(receipt, old.root, [stranger.publicKey]), 'RECEIPT_KEY_UNKNOWN');
    expectCode(() => verifyConsistencyReceipt(receipt3, old.root, [serviceKey]), 'RECEIPT_PROOFS_MISSING');
    expectCode(() => verifyInclusionReceipt(receipt, entries[1]!, [serviceKey]), 'RECEIPT_PROOFS_MISSING');
    // Power-of-two old sizes (the old root is not sent in the path) and every pair up to 7.
    for (let size1 = 1; size1 <= 7; size1++) {
      for (let size2 = size1; size2 <= 7; size2++) {
        const r = consistencyReceipt(headAt(size2), { ...consistencyAt(size1, size2), oldRoot: rootOf(nodes, size1) });
        expect(hex(verifyConsistencyReceipt(r, rootOf(nodes, size1), [serviceKey]).root)).toBe(hex(rootOf(nodes, size2)));
      }
    }
  });

  it('refuses to issue a receipt the head does not cover', () => {
    expectCode(() => inclusionReceipt(head7, inclusionAt(3, 6)), 'RECEIPT_TREE_SIZE_MISMATCH');
    expectCode(() => inclusionReceipt(head7, { ...inclusionAt(3, 7), leafHash: leafHashes[2]! }), 'RECEIPT_PROOF_INVALID');
    expectCode(() => inclusionReceipt(head7, { ...inclusionAt(3, 7), path: inclusionAt(3, 7).path.slice(1) }), 'RECEIPT_PROOF_INVALID');
    expectCode(() => inclusionReceipt(head7, { treeSize: 7, leafIndex: 7, path: [] }), 'RECEIPT_PROOF_INVALID');
    expectCode(() => inclusionReceipt(head7, { treeSize: 7, leafIndex: 3, path: [new Uint8Array(31)] }), 'COSE_BAD_ARGUMENT');
    expectCode(() => consistencyReceipt(head7, consistencyAt(3, 6)), 'RECEIPT_TREE_SIZE_MISMATCH');
    expectCode(() => consistencyReceipt(head7, { ...consistencyAt(3, 7), oldRoot: rootOf(nodes, 2) }), 'RECEIPT_OLD_ROOT_MISMATCH');
    expectCode(() => consistencyReceipt(head7, { ...consistencyAt(3, 7), path: [] }), 'RECEIPT_PROOF_INVALID');
    expectCode(() => consistencyReceipt(head7, { treeSize1: 0, treeSize2: 7, path: [] }), 'RECEIPT_PROOF_INVALID');
    // A stored head that is not one signTreeHead made.
    expectCode(() => inclusionReceipt({ ...head7, signature: receipt3 }, inclusionAt(3, 7)), 'RECEIPT_HEAD_MALFORMED');
    expectCode(() => inclusionReceipt({ ...head7, signature: statements[1]! }, inclusionAt(3, 7)), 'RECEIPT_HEAD_MALFORMED');
    expectCode(() => inclusionReceipt({ ...head7, rootHash: new Uint8Array(3) }, inclusionAt(3, 7)), 'COSE_BAD_ARGUMENT');
    expectCode(() => signTreeHead(service.privateKey, { issuer: '', subject: 's' }, head7), 'COSE_BAD_ARGUMENT');
  });
});

describe('verifyInclusionReceipt refuses, each with its code', () => {
  const keys = [serviceKey];

  it('a receipt for another entry', () => {
    expectCode(() => verifyInclusionReceipt(receipt3, entries[2]!, keys), 'RECEIPT_SIGNATURE_INVALID');
    // …including the transparent statement itself instead of its registered form: the leaf rule matters.
    const transparent = attachReceipts(statements[3]!, [receipt3]);
    expectCode(() => verifyInclusionReceipt(receipt3, transparent, keys), 'RECEIPT_SIGNATURE_INVALID');
    expect(verifyInclusionReceipt(receipt3, registeredStatement(transparent), keys).leafIndex).toBe(3);
    expect(verifyInclusionReceipt(receipt3, { leafHash: leafHashes[3]! }, keys).leafIndex).toBe(3);
  });

  it('a proof for another tree size or index', () => {
    // The real proof of the entry in the tree of size 6, under the head signed for size 7.
    const fromSize6 = withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof(inclusionAt(3, 6))]]])));
    expectCode(() => verifyInclusionReceipt(fromSize6, entries[3]!, keys), 'RECEIPT_TREE_SIZE_MISMATCH');
    // The path of size 7 relabelled: a size whose path has another length is refused by the tree
    // math, an index that folds the path the other way gives another root.
    const relabel = (treeSize: number, leafIndex: number) =>
      withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof({ treeSize, leafIndex, path: inclusionAt(3, 7).path })]]])));
    // (A size other than the signed one is refused before any tree math.)
    expectCode(() => verifyInclusionReceipt(relabel(4, 3), entries[3]!, keys), 'RECEIPT_TREE_SIZE_MISMATCH');
    expectCode(() => verifyInclusionReceipt(relabel(7, 2), entries[3]!, keys), 'RECEIPT_SIGNATURE_INVALID');
    const out = expectCode(() => verifyInclusionReceipt(relabel(7, 7), entries[3]!, keys), 'RECEIPT_PROOF_INVALID');
    expect((out.cause as { code: string }).code).toBe('PROOF_INDEX_OUT_OF_RANGE');
  });

  it('a relabelling that folds the same path the same way, because atlog signs the tree size', () => {
    // Leaf 3 of 7 and leaf 3 of 6 climb left, left, right: the same path gives the same root, so
    // the root alone cannot tell them apart. atlog's signed tree size (-65537) can.
    const relabelled = withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof({ ...inclusionAt(3, 7), treeSize: 6 })]]])));
    expectCode(() => verifyInclusionReceipt(relabelled, entries[3]!, keys), 'RECEIPT_TREE_SIZE_MISMATCH');
    const verified = verifyInclusionReceipt(receipt3, entries[3]!, keys);
    expect(verified).toMatchObject({ treeSize: 7, leafIndex: 3, treeSizeSigned: true });
  });

  it('but cannot refuse that relabelling in a receipt whose issuer does not sign the size', () => {
    // The same head signed without label -65537, as another RFC 9942 service would: the receipt
    // proves the entry is in the signed root and no more, and says so.
    const ph = new Map(decodeSign1(head7.signature).protectedHeader);
    ph.delete(HeaderLabel.treeSize);
    const plain = signSign1({ key: service.privateKey, payload: head7.rootHash, protectedHeader: ph, detached: true });
    const plainReceipt = inclusionReceipt({ ...head7, signature: plain }, inclusionAt(3, 7));
    const relabelled = withUnprotected(plainReceipt, vdp(new Map([[-1, [encodeInclusionProof({ ...inclusionAt(3, 7), treeSize: 6 })]]])));
    const verified = verifyInclusionReceipt(relabelled, entries[3]!, keys);
    expect(verified).toMatchObject({ treeSize: 6, treeSizeSigned: false });
    expect(hex(verified.root)).toBe(hex(head7.rootHash));
    expect(hex(verified.root)).not.toBe(hex(rootOf(nodes, 6)));
  });

  it('a tampered path hash', () => {
    const path = inclusionAt(3, 7).path.map((h) => new Uint8Array(h));
    path[1]![0]! ^= 1;
    const tampered = withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof({ treeSize: 7, leafIndex: 3, path })]]])));
    expectCode(() => verifyInclusionReceipt(tampered, entries[3]!, keys), 'RECEIPT_SIGNATURE_INVALID');
  });

  it('a tampered signature, the wrong key behind the right kid, a key of another curve', () => {
    const m = decodeSign1(receipt3);
    const signature = new Uint8Array(m.signature);
    signature[10]! ^= 1;
    expectCode(() => verifyInclusionReceipt(encodeSign1({ ...m, signature }), entries[3]!, keys), 'RECEIPT_SIGNATURE_INVALID');
    expectCode(() => verifyInclusionReceipt(receipt3, entries[3]!, () => stranger.publicKey), 'RECEIPT_SIGNATURE_INVALID');
    expectCode(() => verifyInclusionReceipt(receipt3, entries[3]!, () => generateKeyPair(CoseAlgorithm.EdDSA).publicKey), 'COSE_KEY_MISMATCH');
    expectCode(() => verifyInclusionReceipt(receipt3, entries[3]!, keys, { algorithms: [CoseAlgorithm.EdDSA] }), 'COSE_ALG_NOT_ALLOWED');
    expectCode(() => verifyInclusionReceipt(encodeSign1({ ...m, signature: signature.subarray(1) }), entries[3]!, keys), 'COSE_SIGNATURE_LENGTH');
  });

  it('an unknown kid, a missing kid, a text kid', () => {
    expectCode(() => verifyInclusionReceipt(receipt3, entries[3]!, [stranger.publicKey]), 'RECEIPT_KEY_UNKNOWN');
    expectCode(() => verifyInclusionReceipt(receipt3, entries[3]!, () => undefined), 'RECEIPT_KEY_UNKNOWN');
    expectCode(() => verifyInclusionReceipt(receipt3, entries[3]!, []), 'RECEIPT_KEY_UNKNOWN');
    const root = head7.rootHash;
    const u = vdp(new Map([[-1, [proof3()]]]));
    expectCode(() => parseReceipt(craftedReceipt(goodProtected().filter(([l]) => l !== HeaderLabel.kid), root, u)), 'RECEIPT_KID_MISSING');
    const kidUnprotected = new Map(u).set(HeaderLabel.kid, coseKeyThumbprint(service.publicKey));
    expectCode(() => parseReceipt(craftedReceipt(goodProtected().filter(([l]) => l !== HeaderLabel.kid), root, kidUnprotected)), 'RECEIPT_KID_MISSING');
    const textKid = goodProtected().map(([l, v]) => [l, l === HeaderLabel.kid ? 'service-key' : v] as [Label, CborValue]);
    expectCode(() => parseReceipt(craftedReceipt(textKid, root, u)), 'COSE_MALFORMED');
  });

  it('vds other than 1, vds missing or unprotected', () => {
    const root = head7.rootHash;
    const u = vdp(new Map([[-1, [proof3()]]]));
    const vds2 = goodProtected().map(([l, v]) => [l, l === HeaderLabel.vds ? 2 : v] as [Label, CborValue]);
    expectCode(() => verifyInclusionReceipt(craftedReceipt(vds2, root, u), entries[3]!, keys), 'RECEIPT_VDS_UNSUPPORTED');
    const noVds = goodProtected().filter(([l]) => l !== HeaderLabel.vds);
    expectCode(() => parseReceipt(craftedReceipt(noVds, root, u)), 'RECEIPT_VDS_MISSING');
    expectCode(() => parseReceipt(craftedReceipt(noVds, root, new Map(u).set(HeaderLabel.vds, 1))), 'RECEIPT_VDS_MISSING');
    // The crafted receipt with the right protected header does verify: the refusals above are the header's.
    verifyInclusionReceipt(craftedReceipt(goodProtected(), root, u), entries[3]!, keys);
  });

  it('an attached payload, even the right root', () => {
    const m = decodeSign1(receipt3);
    expectCode(() => verifyInclusionReceipt(encodeSign1({ ...m, payload: head7.rootHash }), entries[3]!, keys), 'RECEIPT_PAYLOAD_ATTACHED');
  });

  it('alg unprotected or missing, CWT claims missing or mistyped', () => {
    const root = head7.rootHash;
    const u = vdp(new Map([[-1, [proof3()]]]));
    expectCode(() => parseReceipt(withUnprotected(receipt3, new Map(u).set(HeaderLabel.alg, -7))), 'COSE_DUPLICATE_LABEL');
    const noClaims = goodProtected().filter(([l]) => l !== HeaderLabel.cwtClaims);
    expectCode(() => parseReceipt(craftedReceipt(noClaims, root, u)), 'RECEIPT_CLAIMS_MISSING');
    const claimsWith = (entries: [number, CborValue][]) =>
      goodProtected().map(([l, v]) => [l, l === HeaderLabel.cwtClaims ? new Map(entries) : v] as [Label, CborValue]);
    expectCode(() => parseReceipt(craftedReceipt(claimsWith([[2, 'sub only']]), root, u)), 'RECEIPT_CLAIMS_MISSING');
    expectCode(() => parseReceipt(craftedReceipt(claimsWith([[1, 42]]), root, u)), 'RECEIPT_CLAIMS_MALFORMED');
    expectCode(() => parseReceipt(craftedReceipt(claimsWith([[1, 'i'], [2, utf8('s')]]), root, u)), 'RECEIPT_CLAIMS_MALFORMED');
    expectCode(() => parseReceipt(craftedReceipt(claimsWith([[1, 'i'], [6, 'now']]), root, u)), 'RECEIPT_CLAIMS_MALFORMED');
    const claimsArray = goodProtected().map(([l, v]) => [l, l === HeaderLabel.cwtClaims ? ['i'] : v] as [Label, CborValue]);
    expectCode(() => parseReceipt(craftedReceipt(claimsArray, root, u)), 'RECEIPT_CLAIMS_MALFORMED');
  });

  it('missing 396 or -1, 396 not a map, -1 not an array of bstr, unknown proof types', () => {
    const v = (entries: [number, CborValue][]) => withUnprotected(receipt3, vdp(new Map(entries)));
    expectCode(() => verifyInclusionReceipt(withUnprotected(receipt3, new Map()), entries[3]!, keys), 'RECEIPT_PROOFS_MISSING');
    expectCode(() => verifyInclusionReceipt(v([]), entries[3]!, keys), 'RECEIPT_PROOFS_MISSING');
    expectCode(() => verifyInclusionReceipt(v([[-2, [proof3()]]]), entries[3]!, keys), 'RECEIPT_PROOFS_MISSING');
    expectCode(() => verifyInclusionReceipt(withUnprotected(receipt3, new Map([[HeaderLabel.vdp, [proof3()]]])), entries[3]!, keys), 'RECEIPT_PROOFS_MALFORMED');
    for (const bad of [42, [], new Map([[1, 2]]), [42], ['x'], [[proof3()]]] as CborValue[]) {
      expectCode(() => verifyInclusionReceipt(v([[-1, bad]]), entries[3]!, keys), 'RECEIPT_PROOFS_MALFORMED');
    }
    expectCode(() => parseReceipt(v([[-1, [proof3()]], [-3, [proof3()]]])), 'RECEIPT_PROOFS_MALFORMED');
    expectCode(() => parseReceipt(v([[-1, Array.from({ length: 9 }, proof3)]])), 'RECEIPT_PROOFS_MALFORMED');
  });

  it('a proof bstr that is not [uint, uint, [bstr32…]]', () => {
    const v = (proof: Uint8Array) => withUnprotected(receipt3, vdp(new Map([[-1, [proof]]])));
    const [h1, h2, h3] = inclusionAt(3, 7).path;
    const bad: Uint8Array[] = [
      utf8('not cbor'),
      encodeCbor([7, 3]),
      encodeCbor([7, 3, h1!]), // a bare path (the SCRAPI examples' mistake)
      encodeCbor([7, 3, h1!, h2!, h3!]), // a flat path
      encodeCbor([7, -3, [h1!, h2!, h3!]]),
      encodeCbor([7, 3.5, [h1!, h2!, h3!]]),
      encodeCbor([7, 3, [h1!.subarray(1), h2!, h3!]]),
      encodeCbor([7, 3, [h1!, h2!, h3!], 0]),
      encodeCbor(new Map([[7, 3]])),
      new Uint8Array([...encodeCbor([7, 3, [h1!, h2!, h3!]]), 0]),
    ];
    for (const proof of bad) expectCode(() => verifyInclusionReceipt(v(proof), entries[3]!, keys), 'RECEIPT_PROOF_MALFORMED');
  });

  it('untagged, truncated, oversized and trailing input', () => {
    const m = decodeSign1(receipt3);
    expectCode(() => verifyInclusionReceipt(encodeSign1(m, { tagged: false }), entries[3]!, keys), 'COSE_UNTAGGED');
    expectCode(() => verifyInclusionReceipt(receipt3.subarray(0, receipt3.length - 3), entries[3]!, keys), 'CBOR_TRUNCATED');
    expectCode(() => verifyInclusionReceipt(new Uint8Array([...receipt3, 0xf6]), entries[3]!, keys), 'CBOR_TRAILING_BYTES');
    const padded = withUnprotected(receipt3, new Map<Label, CborValue>([...m.unprotectedHeader, ['pad', new Uint8Array(64 * 1024)]]));
    expectCode(() => verifyInclusionReceipt(padded, entries[3]!, keys), 'CBOR_TOO_LARGE');
    expectCode(() => verifyInclusionReceipt(receipt3, entries[3]!, keys, { limits: { maxBytes: 100 } }), 'CBOR_TOO_LARGE');
    expectCode(() => verifyInclusionReceipt(receipt3, { leafHash: new Uint8Array(31) }, keys), 'COSE_BAD_ARGUMENT');
  });
});

describe('lenient input where it is safe', () => {
  const keys = [serviceKey];

  it('a lone bstr under -1 (tradeverifyd’s shape) is one proof', () => {
    const lone = withUnprotected(receipt3, vdp(new Map([[-1, proof3()]])));
    expect(verifyInclusionReceipt(lone, entries[3]!, keys).leafIndex).toBe(3);
  });

  it('several proofs: the receipt verifies for each entry one of them proves', () => {
    const several = withUnprotected(
      receipt3,
      vdp(new Map([[-1, [encodeInclusionProof(inclusionAt(1, 7)), encodeInclusionProof(inclusionAt(5, 7))]]])),
    );
    expect(verifyInclusionReceipt(several, entries[1]!, keys).leafIndex).toBe(1);
    expect(verifyInclusionReceipt(several, entries[5]!, keys).leafIndex).toBe(5);
    expectCode(() => verifyInclusionReceipt(several, entries[3]!, keys), 'RECEIPT_SIGNATURE_INVALID');
  });

  it('a decoded COSE_Sign1 instead of bytes', () => {
    expect(verifyInclusionReceipt(decodeSign1(receipt3), entries[3]!, keys).leafIndex).toBe(3);
  });
});

describe('verifying from a scan of the receipt’s bytes, as the generic path does', () => {
  // verifyInclusionReceipt reads atlog's shape in place (receipt-reader.ts's scanner); given
  // limits of its own it takes the generic path, which is what each case is compared with here.
  const keys = [serviceKey];
  const generic = { limits: RECEIPT_LIMITS };
  type Trusted = Parameters<typeof verifyInclusionReceipt>[2];
  type Entry = Parameters<typeof verifyInclusionReceipt>[1];
  const snapshot = (value: unknown): unknown =>
    value instanceof Uint8Array
      ? { bytes: hex(value), type: value.constructor.name }
      : typeof value === 'object' && value !== null
        ? { entries: Object.entries(value).map(([k, v]) => [k, snapshot(v)]), frozen: Object.isFrozen(value) }
        : value;
  const outcome = (run: () => unknown) => {
    try {
      return { value: snapshot(run()) };
    } catch (error) {
      if (!(error instanceof CoseError)) throw error;
      return { code: error.code, message: error.message, cause: (error.cause as CoseError | undefined)?.code };
    }
  };
  function bothWays(receipt: Uint8Array, entry: Entry, trusted: Trusted, options: { algorithms?: CoseAlgorithm[] } = {}) {
    const scanned = outcome(() => verifyInclusionReceipt(receipt, entry, trusted, options));
    expect(scanned).toEqual(outcome(() => verifyInclusionReceipt(receipt, entry, trusted, { ...options, ...generic })));
    return scanned;
  }

  it('the same result, field for field and in the same order, for every leaf of every size', () => {
    for (let size = 1; size <= 7; size++) {
      const head = headAt(size);
      for (let index = 0; index < size; index++) {
        const receipt = inclusionReceipt(head, { ...inclusionAt(index, size), leafHash: leafHashes[index]! });
        expect(scanInclusionReceipt(receipt, READER_LIMITS)).toBeDefined();
        expect(bothWays(receipt, entries[index]!, keys)).toHaveProperty('value');
        expect(bothWays(receipt, { leafHash: leafHashes[index]! }, [service.publicKey])).toHaveProperty('value');
      }
    }
  });

  it('and for large trees, a head without the signed size, a named kid and non-ASCII claims', () => {
    for (const [size, index] of [[1024, 517], [1_000_000, 123_457], [2 ** 53 - 1, 2 ** 53 - 2], [2 ** 32 + 5, 2 ** 32]] as const) {
      const path = Array.from({ length: inclusionProofLength(index, size) }, (_, i) => createHash('sha256').update(`${size}/${i}`).digest());
      const root = rootFromInclusionProof(index, size, leafHashes[0]!, path);
      const head = signTreeHead(service.privateKey, SERVICE, { size, rootHash: root, timestamp: 1_700_000_000_000 });
      const receipt = inclusionReceipt(head, { treeSize: size, leafIndex: index, path });
      expect(bothWays(receipt, entries[0]!, keys)).toMatchObject({ value: { entries: expect.arrayContaining([['leafIndex', index]]) } });
    }
    const ph = new Map(decodeSign1(head7.signature).protectedHeader);
    ph.delete(HeaderLabel.treeSize);
    const plain = inclusionReceipt({ ...head7, signature: signSign1({ key: service.privateKey, payload: head7.rootHash, protectedHeader: ph, detached: true }) }, inclusionAt(3, 7));
    expect(bothWays(plain, entries[3]!, keys)).toMatchObject({ value: { entries: expect.arrayContaining([['treeSizeSigned', false]]) } });
    const named = signTreeHead(service.privateKey, { issuer: 'https://sérvice.example/日本', subject: '🪵', kid: utf8('service-2026') }, { size: 7, rootHash: head7.rootHash, timestamp: 0 });
    const receipt = inclusionReceipt(named, inclusionAt(3, 7));
    expect(bothWays(receipt, entries[3]!, [coseKeyFromKeyObject(service.publicKey, { kid: utf8('service-2026') })])).toHaveProperty('value');
  });

  it('the same refusal, code, message and cause, at every step from the key lookup on', () => {
    const m = decodeSign1(receipt3);
    const flipped = new Uint8Array(m.signature);
    flipped[10]! ^= 1;
    const cases: [Uint8Array, Entry, Trusted, { algorithms?: CoseAlgorithm[] }?][] = [
      [receipt3, entries[2]!, keys],
      [receipt3, { leafHash: leafHashes[2]! }, keys],
      [receipt3, { leafHash: new Uint8Array(31) }, keys],
      [receipt3, null as unknown as Entry, keys],
      [receipt3, entries[3]!, [stranger.publicKey]],
      [receipt3, entries[3]!, []],
      [receipt3, entries[3]!, () => undefined],
      [receipt3, entries[3]!, 'not keys' as unknown as Trusted],
      [receipt3, entries[3]!, () => stranger.publicKey],
      [receipt3, entries[3]!, () => generateKeyPair(CoseAlgorithm.EdDSA).publicKey],
      [receipt3, entries[3]!, keys, { algorithms: [CoseAlgorithm.EdDSA] }],
      [receipt3, entries[3]!, keys, { algorithms: [] }],
      [encodeSign1({ ...m, signature: flipped }), entries[3]!, keys],
      [encodeSign1({ ...m, signature: flipped.subarray(1) }), entries[3]!, keys],
      [encodeSign1({ ...m, signature: new Uint8Array(0) }), entries[3]!, keys],
      [withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof(inclusionAt(3, 6))]]]))), entries[3]!, keys],
      [withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof({ ...inclusionAt(3, 7), leafIndex: 7 })]]]))), entries[3]!, keys],
      [withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof({ ...inclusionAt(3, 7), leafIndex: 2 })]]]))), entries[3]!, keys],
      [withUnprotected(receipt3, vdp(new Map([[-1, [encodeInclusionProof({ ...inclusionAt(3, 7), path: inclusionAt(3, 7).path.slice(1) })]]]))), entries[3]!, keys],
      [craftedReceipt(goodProtected().map(([l, v]) => [l, l === HeaderLabel.vds ? 2 : v] as [Label, CborValue]), head7.rootHash, vdp(new Map([[-1, [proof3()]]]))), entries[3]!, keys],
      [encodeSign1({ protectedBytes: encodeCbor(new Map([[HeaderLabel.alg, -999], ...goodProtected()])), unprotectedHeader: vdp(new Map([[-1, [proof3()]]])), payload: null, signature: m.signature }), entries[3]!, keys],
      [craftedReceipt([[HeaderLabel.kid, new Uint8Array(0)], ...goodProtected().slice(1)], head7.rootHash, vdp(new Map([[-1, [proof3()]]]))), entries[3]!, keys],
      [craftedReceipt([...goodProtected().slice(0, 2), [HeaderLabel.cwtClaims, new Map([[1, '']])]], head7.rootHash, vdp(new Map([[-1, [proof3()]]]))), entries[3]!, keys],
      [craftedReceipt([...goodProtected().slice(0, 2), [HeaderLabel.cwtClaims, new Map<number, CborValue>([[1, 'i'], [2, '']])]], head7.rootHash, vdp(new Map([[-1, [proof3()]]]))), entries[3]!, keys],
    ];
    for (const [receipt, entry, trusted, options] of cases) expect(bothWays(receipt, entry, trusted, options)).toHaveProperty('code');
  });

  it('takes Buffers and views at any offset, and nothing it returns aliases them', () => {
    const backing = Buffer.concat([Buffer.from('junk before'), receipt3, Buffer.from('after')]);
    const view = backing.subarray(11, 11 + receipt3.length);
    const verified = verifyInclusionReceipt(view, entries[3]!, keys);
    expect(bothWays(view, entries[3]!, keys)).toEqual(bothWays(receipt3, entries[3]!, keys));
    expect(verified.kid).not.toBeInstanceOf(Buffer);
    const kid = hex(verified.kid);
    backing.fill(0);
    expect(hex(verified.kid)).toBe(kid);
    expect(verified.kid.buffer).not.toBe(backing.buffer);
  });

  it('checks what it read even if the resolver rewrites the receipt, or verifies another one inside', () => {
    // The resolver is the first code not ours to run: by then the signed bytes have been copied.
    const receipt = receipt3.slice();
    const rewriting = () => {
      receipt.fill(0);
      return serviceKey;
    };
    expect(verifyInclusionReceipt(receipt, entries[3]!, rewriting).leafIndex).toBe(3);
    // A resolver that verifies another receipt while the first one's check is under way.
    const other = inclusionReceipt(headAt(6), inclusionAt(5, 6));
    let inner: number | undefined;
    const reentrant: Trusted = () => {
      inner = verifyInclusionReceipt(other, entries[5]!, keys).treeSize;
      return serviceKey;
    };
    expect(verifyInclusionReceipt(receipt3, entries[3]!, reentrant).treeSize).toBe(7);
    expect(inner).toBe(6);
    // and afterwards, both still verify and a wrong entry is still refused
    expect(verifyInclusionReceipt(other, entries[5]!, keys).treeSize).toBe(6);
    expectCode(() => verifyInclusionReceipt(receipt3, entries[2]!, reentrant), 'RECEIPT_SIGNATURE_INVALID');
  });
});

describe('inclusion receipts assembled under an opened head', () => {
  // The assembled bytes must be what the generic deterministic encoder makes of the same receipt,
  // at every width of every CBOR head involved: sizes and indices of 0, 1, 2, 3, 5 and 9 bytes,
  // issuers long enough to push the protected header past 23 and 255 bytes (a head is at most 64 KiB).
  const generic = (head: SignedTreeHead, proof: { treeSize: number; leafIndex: number; path: Uint8Array[] }) => {
    const sign1 = decodeSign1(head.signature);
    const vdp = new Map<number, CborValue>([[-1, [encodeCbor([proof.treeSize, proof.leafIndex, proof.path])]]]);
    return encodeSign1({ protectedBytes: sign1.protectedBytes, unprotectedHeader: new Map<Label, CborValue>([[HeaderLabel.vdp, vdp]]), payload: null, signature: sign1.signature });
  };
  const pathFor = (index: number, size: number) => Array.from({ length: inclusionProofLength(index, size) }, (_, i) => new Uint8Array(32).fill(i + 1));

  it('gives the bytes the generic encoder gives, at every CBOR width', () => {
    const cases: [number, number][] = [
      [1, 0],
      [2, 1],
      [24, 23],
      [25, 24],
      [256, 255],
      [257, 256],
      [65_537, 65_536],
      [2 ** 32 + 1, 2 ** 32],
      [Number.MAX_SAFE_INTEGER, 12_345],
    ];
    for (const issuer of ['https://a.example', `https://${'a'.repeat(300)}.example`, `https://${'b'.repeat(1_000)}.example`]) {
      for (const [size, index] of cases) {
        const head = signTreeHead(service.privateKey, { issuer, subject: SERVICE.subject }, { size, rootHash: new Uint8Array(32).fill(7), timestamp: 1_700_000_000_000 });
        const proof = { treeSize: size, leafIndex: index, path: pathFor(index, size) };
        expect(hex(inclusionReceipt(head, proof)), `${issuer.length} ${size} ${index}`).toBe(hex(generic(head, proof)));
      }
    }
  });

  it('verifies, and is refused for another size, as the generic receipt is', () => {
    const size = 7;
    const opened = openReceiptHead(headAt(size));
    for (let index = 0; index < size; index++) {
      const receipt = inclusionReceiptUnder(opened, inclusionAt(index, size));
      expect(verifyInclusionReceipt(receipt, entries[index]!, [serviceKey]).leafIndex).toBe(index);
    }
    expectCode(() => inclusionReceiptUnder(opened, inclusionAt(0, size - 1)), 'RECEIPT_TREE_SIZE_MISMATCH');
  });
});
