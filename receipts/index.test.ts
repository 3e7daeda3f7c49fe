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

  it('exposes stable error codes', () => {
    expect(new Set(COSE_ERROR_CODES).size).toBe(COSE_ERROR_CODES.length);
    const error = new CoseError('COSE_BAD_SIGNATURE', 'x');
    expect(error.name).toBe('CoseError');
    expect(error.retryable).toBe(false);
  });
});
