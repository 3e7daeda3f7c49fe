// The public face, used the way the layers above will use it: a service key whose kid is its
// RFC 9679 thumbprint, published in a COSE_KeySet, and a detached signature found by kid.
import { describe, expect, it } from 'vitest';
import {
  type CborValue,
  type Label,
  COSE_ERROR_CODES,
  CoseAlgorithm,
  CoseError,
  HeaderLabel,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  decodeCoseKeySet,
  decodeSign1,
  encodeCoseKeySet,
  generateKeyPair,
  keyObjectFromCoseKey,
  signSign1,
  verifySign1,
  attachReceipts,
  extractReceipts,
  inclusionReceipt,
  parseStatement,
  registeredStatement,
  signStatement,
  signTreeHead,
  statementLeafHash,
  verifyInclusionReceipt,
  verifyStatementSignature,
} from './index.js';

describe('receipts/index', () => {
  it('publishes a key set and verifies a message found by kid', () => {
    const service = generateKeyPair(CoseAlgorithm.ES256);
    const kid = coseKeyThumbprint(service.publicKey);
    const keySet = encodeCoseKeySet([coseKeyFromKeyObject(service.publicKey, { kid, alg: CoseAlgorithm.ES256 })]);

    const root = new Uint8Array(32).fill(7);
    const receipt = signSign1({
      key: service.privateKey,
      payload: root,
      detached: true,
      protectedHeader: new Map<Label, CborValue>([
        [HeaderLabel.kid, kid],
        [HeaderLabel.vds, 1],
      ]),
    });

    // An auditor: decode, look the kid up in the published set, verify with the detached root.
    const message = decodeSign1(receipt);
    const wanted = Buffer.from(message.protectedHeader.get(HeaderLabel.kid) as Uint8Array).toString('hex');
    const key = decodeCoseKeySet(keySet).find((k) => k.kid !== undefined && Buffer.from(k.kid).toString('hex') === wanted);
    if (key === undefined) throw new Error('kid not found in the key set');
    const verified = verifySign1(message, keyObjectFromCoseKey(key), { detachedPayload: root });
    expect(verified.alg).toBe(CoseAlgorithm.ES256);
    expect(verified.protectedHeader.get(HeaderLabel.vds)).toBe(1);
  });

  it('carries a statement through the log and back: sign, register, receipt, attach, verify', () => {
    const agent = generateKeyPair(CoseAlgorithm.EdDSA);
    const service = generateKeyPair(CoseAlgorithm.ES256);
    const statement = signStatement({ key: agent.privateKey, iss: 'https://agents.example', sub: 'agent-1', payload: new Uint8Array([1, 2, 3]) });
    const entry = registeredStatement(statement);
    const leafHash = statementLeafHash(statement);
    // A log of one entry: its root is its leaf hash, its inclusion path is empty.
    const head = signTreeHead(service.privateKey, { issuer: 'https://atlog.example', subject: 'atlog.example/log' }, { size: 1, rootHash: leafHash, timestamp: Date.now() });
    const transparent = attachReceipts(statement, [inclusionReceipt(head, { treeSize: 1, leafIndex: 0, path: [], leafHash })]);
    const [receipt] = extractReceipts(transparent);
    const verified = verifyInclusionReceipt(receipt!, registeredStatement(transparent), [coseKeyFromKeyObject(service.publicKey)]);
    expect(verified.leafIndex).toBe(0);
    expect(Buffer.from(registeredStatement(transparent)).equals(Buffer.from(entry))).toBe(true);
    expect(parseStatement(transparent).sub).toBe('agent-1');
    expect(verifyStatementSignature(transparent, agent.publicKey).alg).toBe(CoseAlgorithm.EdDSA);
  });

  it('exposes stable error codes', () => {
    expect(new Set(COSE_ERROR_CODES).size).toBe(COSE_ERROR_CODES.length);
    const error = new CoseError('COSE_BAD_SIGNATURE', 'x');
    expect(error.name).toBe('CoseError');
    expect(error.retryable).toBe(false);
  });
});
