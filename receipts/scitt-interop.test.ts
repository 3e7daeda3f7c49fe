// Receipts, transparent statements and signed statements exchanged with @transmute/cose (an
// independent TypeScript implementation on cbor-web and WebCrypto), both ways.
//
// What it does differently, pinned down below:
// - receipt.inclusion.issue takes the protected header from the caller as is; its own tests send
//   only {1: alg, 395: 1}: no kid and no CWT claims. We refuse such a receipt on input
//   (RECEIPT_KID_MISSING: there is no way to choose the service key; RFC 9943 requires iss). Given
//   our header (bstr kid, {1: iss, 2: sub}), what it issues verifies with us unchanged.
// - it writes protected headers in insertion order, not sorted (we verify bytes as received);
//   proofs as [tree_size, leaf_index, [path…]] in an array under -1, payload nil: our shape.
// - receipt.inclusion.verify and receipt.verifier read only the *first* proof under -1; we try each.
// - its consistency.issue computes the proof from an inclusion receipt's tree_size; it signs the
//   new root detached, as we do.
// - receipt.add puts receipts in 394 bstr-wrapped, as we do; receipt.remove (its leaf rule) empties
//   the unprotected header and re-encodes, producing exactly our registeredStatement bytes.
// - its hash envelope signer (sign1.hash) still uses the pre-RFC 9995 labels -6800/-6801/-6802;
//   with those a statement is not a hash envelope to us (HASH_ENVELOPE_MISSING on a preimage check).
//   Built with 258 through its plain signer, the envelope is read by us as one.
// - ECDSA only, keys as JWKs carrying alg (see interop.test.ts), so every exchange here is ES256.

import * as transmute from '@transmute/cose';
import type { JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { consistencyProofPlan, hashLeaf, inclusionProofPlan } from '../log/tree/index.js';
import { proofOf, rootOf } from '../test/support/complete-nodes.js';
import { completeNodes } from '../test/support/naive-tree.js';
import { CoseAlgorithm } from './algorithms.js';
import { decodeCbor } from './cbor.js';
import { CoseError, type CoseErrorCode } from './errors.js';
import { coseKeyFromKeyObject, coseKeyThumbprint, generateKeyPair } from './keys.js';
import { HashAlgorithm, HeaderLabel } from './labels.js';
import {
  consistencyReceipt,
  inclusionReceipt,
  parseReceipt,
  signTreeHead,
  verifyConsistencyReceipt,
  verifyInclusionReceipt,
} from './receipt.js';
import { decodeSign1 } from './sign1.js';
import { parseStatement, signStatement, verifyPreimage, verifyStatementSignature } from './statement.js';
import { attachReceipts, extractReceipts, registeredStatement } from './transparent.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array | ArrayBuffer) => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('hex');
const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
const bytesOf = (buffer: ArrayBuffer | Uint8Array) => (buffer instanceof Uint8Array ? new Uint8Array(buffer) : new Uint8Array(buffer));

function es256() {
  const pair = generateKeyPair(CoseAlgorithm.ES256);
  const privateJwk = { ...pair.privateKey.export({ format: 'jwk' }), alg: 'ES256' } as JsonWebKey & { d: string };
  const { d: _d, ...publicJwk } = privateJwk;
  return { pair, privateJwk, publicJwk: publicJwk as transmute.PublicKeyJwk, kid: coseKeyThumbprint(pair.publicKey) };
}

function expectCode(run: () => unknown, code: CoseErrorCode): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CoseError);
    expect((error as CoseError).code).toBe(code);
    return;
  }
  expect.unreachable(`expected ${code}`);
}

const SERVICE = { issuer: 'https://atlog.example', subject: 'atlog.example/log' };
const service = es256();
const agent = es256();
const trusted = [coseKeyFromKeyObject(service.pair.publicKey, { kid: service.kid })];

/** A resolver for @transmute/cose: the JWK whose thumbprint is the message's protected kid. */
const resolver = {
  resolve: async (message: ArrayBuffer) => {
    const kid = hex(decodeSign1(new Uint8Array(message)).protectedHeader.get(HeaderLabel.kid) as Uint8Array);
    for (const party of [service, agent]) if (hex(party.kid) === kid) return party.publicJwk;
    throw new Error('unknown kid');
  },
};

// Statements from the agent, registered, in a log of 6.
const PAYLOAD = utf8('{"type":"resource-usage","cpu_ms":1234}');
const statements = Array.from({ length: 6 }, (_, i) =>
  signStatement({ key: agent.pair.privateKey, iss: 'https://agents.example', sub: `agent-${i}`, payload: PAYLOAD, detached: i % 2 === 1 }),
);
const leafHashes = statements.map((s) => hashLeaf(registeredStatement(s)));
const nodes = completeNodes(leafHashes);
const headAt = (size: number) =>
  signTreeHead(service.pair.privateKey, SERVICE, { size, rootHash: rootOf(nodes, size), timestamp: 1_700_000_000_000 });

/** The protected header we would send, as a cbor-web map (kid as a Buffer, or cbor-web tags it 64). */
function theirReceiptHeader() {
  return transmute.ProtectedHeader([
    [HeaderLabel.alg, CoseAlgorithm.ES256],
    [HeaderLabel.kid, Buffer.from(service.kid)],
    [HeaderLabel.vds, 1],
    [HeaderLabel.cwtClaims, new Map<number, string>([[1, SERVICE.issuer], [2, SERVICE.subject]])],
  ]);
}
// Its detached signer resolves to a Buffer although typed as returning an ArrayBuffer.
const theirSigner = (jwk: JsonWebKey & { d: string }) =>
  transmute.detached.signer({ remote: transmute.crypto.signer({ privateKeyJwk: jwk as transmute.SecretKeyJwk }) }) as unknown as transmute.CoseSign1Signer;

describe('@transmute/cose verifies what atlog issues', () => {
  it('inclusion receipts: it recomputes the same root and accepts our signature', async () => {
    const head = headAt(6);
    for (let i = 0; i < 6; i++) {
      const receipt = inclusionReceipt(head, { treeSize: 6, leafIndex: i, path: proofOf(nodes, inclusionProofPlan(i, 6)) });
      const root = await transmute.receipt.inclusion.verify({
        entry: leafHashes[i]!,
        receipt: toArrayBuffer(receipt),
        verifier: transmute.detached.verifier({ resolver }),
      });
      expect(hex(root)).toBe(hex(head.rootHash));
      if (i > 0) {
        await expect(
          transmute.receipt.inclusion.verify({ entry: leafHashes[0]!, receipt: toArrayBuffer(receipt), verifier: transmute.detached.verifier({ resolver }) }),
        ).rejects.toThrow();
      }
    }
  });

  it('consistency receipts', async () => {
    const receipt = consistencyReceipt(headAt(6), { treeSize1: 3, treeSize2: 6, path: proofOf(nodes, consistencyProofPlan(3, 6)) });
    const ok = await transmute.receipt.consistency.verify({
      oldRoot: toArrayBuffer(rootOf(nodes, 3)),
      newRoot: toArrayBuffer(rootOf(nodes, 6)),
      receipt: toArrayBuffer(receipt),
      verifier: transmute.detached.verifier({ resolver }),
    });
    expect(ok).toBe(true);
  });

  it('transparent statements: its verifier strips 394 to the same leaf (our leaf rule) and checks both signatures', async () => {
    const i = 3; // a detached statement: its transparent-statement verifier only takes detached ones
    const receipt = inclusionReceipt(headAt(6), { treeSize: 6, leafIndex: i, path: proofOf(nodes, inclusionProofPlan(i, 6)) });
    const transparent = attachReceipts(statements[i]!, [receipt]);
    expect(hex(await transmute.receipt.remove(toArrayBuffer(transparent)))).toBe(hex(registeredStatement(transparent)));
    expect((await transmute.receipt.get(toArrayBuffer(transparent))).map((r) => hex(bytesOf(r)))).toEqual([hex(receipt)]);
    const verifier = await transmute.receipt.verifier({ resolve: resolver.resolve });
    const result = await verifier.verify({ coseSign1: toArrayBuffer(transparent), payload: toArrayBuffer(PAYLOAD) });
    expect(hex(result.payload)).toBe(hex(PAYLOAD));
    expect(result.receipts.map((r) => hex(r))).toEqual([hex(rootOf(nodes, 6))]);
  });

  it('signed statements, and hash envelopes as plain COSE_Sign1', async () => {
    const verified = await transmute.attached.verifier({ resolver }).verify({ coseSign1: toArrayBuffer(statements[0]!) });
    expect(hex(verified)).toBe(hex(PAYLOAD));
    const envelope = signStatement({ key: agent.pair.privateKey, iss: 'i', sub: 's', payload: PAYLOAD, hashEnvelope: true });
    const digest = await transmute.attached.verifier({ resolver }).verify({ coseSign1: toArrayBuffer(envelope) });
    expect(hex(digest)).toBe(hex(parseStatement(envelope).payload!));
  });
});

describe('atlog verifies what @transmute/cose issues', () => {
  it('its inclusion receipts, given our protected header', async () => {
    for (let i = 0; i < 6; i++) {
      const receipt = bytesOf(
        await transmute.receipt.inclusion.issue({ protectedHeader: theirReceiptHeader(), entry: i, entries: leafHashes, signer: theirSigner(service.privateJwk) }),
      );
      const m = decodeSign1(receipt);
      expect(hex(m.protectedBytes).startsWith('a40126045820')).toBe(true); // insertion order: 1, 4, 395, 15
      expect(m.payload).toBeNull();
      const proofs = (m.unprotectedHeader.get(HeaderLabel.vdp) as Map<number, unknown>).get(-1);
      expect(Array.isArray(proofs)).toBe(true);
      const verified = verifyInclusionReceipt(receipt, registeredStatement(statements[i]!), trusted);
      expect(verified).toMatchObject({ treeSize: 6, leafIndex: i, issuer: SERVICE.issuer, subject: SERVICE.subject });
      expect(hex(verified.root)).toBe(hex(rootOf(nodes, 6)));
      expectCode(() => verifyInclusionReceipt(receipt, registeredStatement(statements[(i + 1) % 6]!), trusted), 'RECEIPT_SIGNATURE_INVALID');
    }
  });

  it('its consistency receipts', async () => {
    const inclusion = await transmute.receipt.inclusion.issue({
      protectedHeader: theirReceiptHeader(),
      entry: 1,
      entries: leafHashes.slice(0, 3),
      signer: theirSigner(service.privateJwk),
    });
    const { root, receipt } = await transmute.receipt.consistency.issue({
      protectedHeader: theirReceiptHeader(),
      receipt: inclusion,
      entries: leafHashes,
      signer: theirSigner(service.privateJwk),
    });
    expect(hex(root)).toBe(hex(rootOf(nodes, 6)));
    const old = verifyInclusionReceipt(bytesOf(inclusion), { leafHash: leafHashes[1]! }, trusted);
    const verified = verifyConsistencyReceipt(bytesOf(receipt), { treeSize: old.treeSize, root: old.root }, trusted);
    expect([verified.treeSize1, verified.treeSize2]).toEqual([3, 6]);
    expect(hex(verified.root)).toBe(hex(root));
  });

  it('receipts it attaches with receipt.add', async () => {
    const receipt = await transmute.receipt.inclusion.issue({ protectedHeader: theirReceiptHeader(), entry: 2, entries: leafHashes, signer: theirSigner(service.privateJwk) });
    const transparent = bytesOf(await transmute.receipt.add(toArrayBuffer(statements[2]!), receipt));
    const [extracted] = extractReceipts(transparent);
    expect(hex(extracted!)).toBe(hex(receipt));
    expect(hex(registeredStatement(transparent))).toBe(hex(statements[2]!));
    verifyInclusionReceipt(extracted!, registeredStatement(transparent), trusted);
  });

  it('but not receipts in the shape of its own tests: no kid, no CWT claims', async () => {
    const receipt = await transmute.receipt.inclusion.issue({
      protectedHeader: transmute.ProtectedHeader([[HeaderLabel.alg, CoseAlgorithm.ES256], [HeaderLabel.vds, 1]]),
      entry: 0,
      entries: leafHashes,
      signer: theirSigner(service.privateJwk),
    });
    expectCode(() => parseReceipt(bytesOf(receipt)), 'RECEIPT_KID_MISSING');
    // Its header with a kid but iss missing: refused too (the resolver is told the issuer).
    const noClaims = await transmute.receipt.inclusion.issue({
      protectedHeader: transmute.ProtectedHeader([[HeaderLabel.alg, CoseAlgorithm.ES256], [HeaderLabel.kid, Buffer.from(service.kid)], [HeaderLabel.vds, 1]]),
      entry: 0,
      entries: leafHashes,
      signer: theirSigner(service.privateJwk),
    });
    expectCode(() => parseReceipt(bytesOf(noClaims)), 'RECEIPT_CLAIMS_MISSING');
  });

  it('its signed statements with SCITT headers, attached and detached', async () => {
    const remote = transmute.crypto.signer({ privateKeyJwk: agent.privateJwk as transmute.SecretKeyJwk });
    const protectedHeader = transmute.ProtectedHeader([
      [HeaderLabel.alg, CoseAlgorithm.ES256],
      [HeaderLabel.kid, Buffer.from(agent.kid)],
      [HeaderLabel.contentType, 'application/json'],
      [HeaderLabel.cwtClaims, new Map<number, string | number>([[1, 'https://agents.example'], [2, 'agent-9'], [6, 1_700_000_000]])],
    ]);
    const attached = bytesOf(
      await transmute.attached.signer({ remote }).sign({ protectedHeader, unprotectedHeader: new Map(), payload: toArrayBuffer(PAYLOAD) }),
    );
    const s = verifyStatementSignature(attached, agent.pair.publicKey);
    expect([s.iss, s.sub, s.iat, s.contentType]).toEqual(['https://agents.example', 'agent-9', 1_700_000_000, 'application/json']);
    const detached = bytesOf(await transmute.detached.signer({ remote }).sign({ protectedHeader, payload: toArrayBuffer(PAYLOAD) }));
    expect(verifyStatementSignature(detached, agent.pair.publicKey, { detachedPayload: PAYLOAD }).detached).toBe(true);
    // Registered, logged and receipted by us like any other statement.
    expect(decodeCbor(registeredStatement(attached))).toBeTruthy();
  });

  it('hash envelopes: its hash signer’s pre-RFC labels are not one; 258 through its plain signer is', async () => {
    const remote = transmute.crypto.signer({ privateKeyJwk: agent.privateJwk as transmute.SecretKeyJwk });
    const claims = new Map<number, string>([[1, 'https://agents.example'], [2, 'agent-9']]);
    const legacy = await transmute.hash.signer({ remote }).sign({
      protectedHeader: transmute.ProtectedHeader([
        [HeaderLabel.alg, CoseAlgorithm.ES256],
        [HeaderLabel.kid, Buffer.from(agent.kid)],
        [HeaderLabel.cwtClaims, claims],
        [transmute.Protected.PayloadHashAlgorithm, -16],
      ]),
      unprotectedHeader: new Map(),
      payload: toArrayBuffer(PAYLOAD),
    });
    expect(transmute.Protected.PayloadHashAlgorithm).toBe(-6800);
    const parsedLegacy = parseStatement(legacy);
    expect(parsedLegacy.hashEnvelope).toBeUndefined();
    expectCode(() => verifyPreimage(parsedLegacy, PAYLOAD), 'HASH_ENVELOPE_MISSING');

    const digest = bytesOf(await crypto.subtle.digest('SHA-256', PAYLOAD));
    const envelope = bytesOf(
      await transmute.attached.signer({ remote }).sign({
        protectedHeader: transmute.ProtectedHeader([
          [HeaderLabel.alg, CoseAlgorithm.ES256],
          [HeaderLabel.kid, Buffer.from(agent.kid)],
          [HeaderLabel.cwtClaims, claims],
          [HeaderLabel.payloadHashAlg, HashAlgorithm.SHA256],
          [HeaderLabel.preimageContentType, 'application/json'],
        ]),
        unprotectedHeader: new Map(),
        payload: toArrayBuffer(digest),
      }),
    );
    const parsed = parseStatement(envelope);
    expect(parsed.hashEnvelope).toEqual({ hashAlgorithm: HashAlgorithm.SHA256, preimageContentType: 'application/json' });
    verifyPreimage(parsed, PAYLOAD);
    verifyStatementSignature(envelope, agent.pair.publicKey, { preimage: PAYLOAD });
  });
});
