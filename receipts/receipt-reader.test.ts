// The one-pass receipt reader against the generic decoders, on the same inputs: atlog's receipts,
// the RFC 9942 example receipts, @transmute/cose's, receipts of unusual but valid shapes, and
// every malformed, truncated, oversized and hostile variant of them the mutators below make.
//
// What must hold for every input (see receipt-reader.ts):
// - when the reader answers, decodeSign1 with RECEIPT_LIMITS accepts the bytes and gives the same
//   message (values, map key order, frozenness), and each proof the reader decoded is what
//   decodeCbor with the proof limits gives and has the proof shape; a proof it left undecoded is
//   one the generic path refuses;
// - parseReceipt (which takes the reader's answer when there is one) and the generic parse give
//   the same receipt or the same error code;
// - when the inclusion scanner answers, the reader does too, and the scan says what the read
//   message holds (the same protected bytes, header values, proof and signature);
// - verifyInclusionReceipt (which takes the scan when there is one) and the generic verification
//   give the same result or the same error, code and message.
// And the reader and the scanner must actually answer for the receipts that exist, or they would
// be useless.

import * as transmute from '@transmute/cose';
import { randomBytes } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consistencyProofLength, inclusionProofLength } from '../log/tree/index.js';
import { VECTORS } from '../test/support/vectors.js';
import { CoseAlgorithm } from './algorithms.js';
import { type CborValue, CborTag, decodeCbor, encodeCbor } from './cbor.js';
import { CoseError } from './errors.js';
import { coseKeyFromKeyObject, coseKeyThumbprint, generateKeyPair } from './keys.js';
import { HeaderLabel, type Label } from './labels.js';
import {
  PROOF_LIMITS,
  READER_LIMITS,
  RECEIPT_LIMITS,
  type ServiceIdentity,
  consistencyReceipt,
  encodeInclusionProof,
  inclusionReceipt,
  parseReceipt,
  signTreeHead,
  verifyInclusionReceipt,
} from './receipt.js';
import { type InclusionReceiptScan, PATH_STRIDE, readReceiptBytes, scanInclusionReceipt } from './receipt-reader.js';
import { decodeSign1, encodeSign1 } from './sign1.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: (Uint8Array | number[])[]) => new Uint8Array(parts.flatMap((p) => [...p]));

// ---- the differential check ------------------------------------------------------------------

/** A value as plain data, with map key order, byte strings in hex and frozenness kept. */
function snapshot(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: hex(value) };
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [snapshot(k), snapshot(v)]) };
  if (value instanceof CborTag) return { tag: value.tag, value: snapshot(value.value) };
  if (Array.isArray(value)) return { array: value.map(snapshot), frozen: Object.isFrozen(value) };
  if (typeof value === 'object' && value !== null) {
    return { object: Object.entries(value).map(([k, v]) => [k, snapshot(v)]), frozen: Object.isFrozen(value) };
  }
  return value;
}

function outcome(run: () => unknown): unknown {
  try {
    return { value: snapshot(run()) };
  } catch (error) {
    if (error instanceof CoseError) return { error: error.code };
    throw error; // anything but a CoseError is a bug on either path
  }
}

/** The proof shape decodeProofTriple checks after its decode. */
function isProofTriple(value: CborValue): boolean {
  if (!Array.isArray(value) || value.length !== 3) return false;
  const [a, b, path] = value as CborValue[];
  const uint = (x: CborValue | undefined) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  return uint(a) && uint(b) && Array.isArray(path) && (path as CborValue[]).every((h) => h instanceof Uint8Array && h.length === 32);
}

/** expect(a).toEqual(b) for snapshots, comparing their JSON first: vitest's deep equality is slow. */
function expectSame(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) expect(actual).toEqual(expected);
}

const stats = { inputs: 0, read: 0, scanned: 0 };

/** What a scan says, in the terms of a read message: for comparing the two. */
function scanned(bytes: Uint8Array, scan: InclusionReceiptScan): unknown {
  const path = Array.from({ length: scan.pathLength }, (_, i) => hex(bytes.subarray(scan.pathStart + PATH_STRIDE * i, scan.pathStart + PATH_STRIDE * i + 32)));
  return {
    protectedBytes: hex(bytes.subarray(scan.protectedStart, scan.protectedEnd)),
    alg: scan.alg,
    kid: scan.kidStart < 0 ? undefined : hex(bytes.subarray(scan.kidStart, scan.kidEnd)),
    claims: scan.hasClaims ? [scan.issuer, scan.subject, scan.iat] : undefined,
    vds: scan.vds,
    signedTreeSize: scan.signedTreeSize,
    proof: [scan.treeSize, scan.leafIndex, path],
    signature: hex(bytes.subarray(scan.signatureStart, scan.signatureEnd)),
  };
}

/** The same, from what the reader read (which the tests below hold to the generic decoder). */
function readAsScan(read: NonNullable<ReturnType<typeof readReceiptBytes>>): unknown {
  const { sign1, proofs } = read;
  const ph = sign1.protectedHeader;
  const claims = ph.get(HeaderLabel.cwtClaims) as Map<number, CborValue> | undefined;
  const vdp = sign1.unprotectedHeader.get(HeaderLabel.vdp) as Map<number, CborValue>;
  const inclusion = vdp.get(-1);
  const proof = (inclusion instanceof Uint8Array ? inclusion : (inclusion as Uint8Array[])[0])!;
  const [treeSize, leafIndex, path] = proofs.get(proof)!;
  const kid = ph.get(HeaderLabel.kid) as Uint8Array | undefined;
  return {
    protectedBytes: hex(sign1.protectedBytes),
    alg: ph.get(HeaderLabel.alg),
    kid: kid === undefined ? undefined : hex(kid),
    claims: claims === undefined ? undefined : [claims.get(1), claims.get(2), claims.get(6)],
    vds: ph.get(HeaderLabel.vds),
    signedTreeSize: ph.get(HeaderLabel.treeSize),
    proof: [treeSize, leafIndex, path.map(hex)],
    signature: hex(sign1.signature),
  };
}

/** A verification's result or its error, code and message. */
function verification(run: () => unknown): unknown {
  try {
    return { value: snapshot(run()) };
  } catch (error) {
    if (error instanceof CoseError) return { error: error.code, message: error.message, cause: (error.cause as CoseError | undefined)?.code };
    throw error;
  }
}

/** Checks the reader against the generic path on one input; true when the reader answered. */
function agree(bytes: Uint8Array): boolean {
  stats.inputs++;
  const read = readReceiptBytes(bytes, READER_LIMITS);
  const scan = scanInclusionReceipt(bytes, READER_LIMITS);
  if (scan !== undefined) {
    stats.scanned++;
    if (read === undefined) expect.unreachable(`scanned what the reader would not read: ${hex(bytes)}`);
    expectSame(scanned(bytes, scan), readAsScan(read));
  }
  // Verified both ways when the scan answered (otherwise both ways are the generic path). The
  // entry does not matter much (the corpus's signatures are random): what is compared is how far
  // each path gets and how it refuses; those that verify are tested in receipt.test.ts. One input
  // in 16 is checked against the service's key (so up to the signature), the others against a
  // stranger's (so up to the key lookup, after every check of shape, header and proof): two
  // signature checks an input made the suite's longest test twice as long.
  if (scan !== undefined) {
    const trusted = stats.scanned % 16 === 0 ? TRUSTED : STRANGERS;
    expectSame(
      verification(() => verifyInclusionReceipt(bytes, ENTRY, trusted)),
      verification(() => verifyInclusionReceipt(bytes, ENTRY, trusted, { limits: RECEIPT_LIMITS })),
    );
  }
  if (read !== undefined) {
    stats.read++;
    const generic = decodeSign1(bytes, { limits: RECEIPT_LIMITS });
    expectSame(snapshot(read.sign1), snapshot(generic));
    const vdp = read.sign1.unprotectedHeader.get(HeaderLabel.vdp) as Map<number, CborValue>;
    for (const proofs of vdp.values()) {
      for (const proof of (proofs instanceof Uint8Array ? [proofs] : proofs) as Uint8Array[]) {
        const triple = read.proofs.get(proof);
        let decoded: CborValue | undefined;
        try {
          decoded = decodeCbor(proof, { ...PROOF_LIMITS, tags: [] });
        } catch (error) {
          expect(error).toBeInstanceOf(CoseError);
        }
        if (triple === undefined) {
          if (decoded !== undefined && isProofTriple(decoded)) expect.unreachable('a well-formed proof left undecoded');
        } else {
          expectSame(snapshot(triple), snapshot(decoded));
        }
      }
    }
  }
  expectSame(outcome(() => parseReceipt(bytes)), outcome(() => parseReceipt(bytes, { limits: RECEIPT_LIMITS })));
  return read !== undefined;
}

// ---- the corpus ------------------------------------------------------------------------------

const service = generateKeyPair(CoseAlgorithm.ES256);
const SERVICE = { issuer: 'https://atlog.example', subject: 'atlog.example/log' };
const ENTRY = utf8('an entry');
const TRUSTED = [coseKeyFromKeyObject(service.publicKey)];
const STRANGERS = [coseKeyFromKeyObject(generateKeyPair(CoseAlgorithm.ES256).publicKey)];
const hash = () => new Uint8Array(randomBytes(32));
const pathOf = (length: number) => Array.from({ length }, hash);

function atlogInclusion(size: number, index: number, identity: ServiceIdentity = SERVICE, timestamp = 1_700_000_000_000): Uint8Array {
  const head = signTreeHead(service.privateKey, identity, { size, rootHash: hash(), timestamp });
  return inclusionReceipt(head, { treeSize: size, leafIndex: index, path: pathOf(inclusionProofLength(index, size)) });
}

function atlogConsistency(size1: number, size2: number): Uint8Array {
  const head = signTreeHead(service.privateKey, SERVICE, { size: size2, rootHash: hash(), timestamp: 1_700_000_000_000 });
  return consistencyReceipt(head, { treeSize1: size1, treeSize2: size2, path: pathOf(consistencyProofLength(size1, size2)) });
}

/**
 * A receipt with any headers, even ones signSign1 would refuse to make; alg ES256 is added in
 * front unless given. Its signature is random: these are decoding tests.
 */
function crafted(protectedEntries: [Label, CborValue][], unprotected: Map<Label, CborValue>): Uint8Array {
  const header = new Map<Label, CborValue>(protectedEntries.some(([l]) => l === HeaderLabel.alg) ? [] : [[HeaderLabel.alg, CoseAlgorithm.ES256]]);
  for (const [label, value] of protectedEntries) header.set(label, value);
  return encodeSign1({ protectedBytes: encodeCbor(header), unprotectedHeader: unprotected, payload: null, signature: new Uint8Array(randomBytes(64)) });
}
const kid = coseKeyThumbprint(service.publicKey);
const claims = (entries: [number, CborValue][]) => new Map<number, CborValue>(entries);
const baseProtected = (): [Label, CborValue][] => [
  [HeaderLabel.kid, kid],
  [HeaderLabel.vds, 1],
  [HeaderLabel.cwtClaims, claims([[1, SERVICE.issuer], [2, SERVICE.subject]])],
];
const vdp = (entries: [number, CborValue][]) => new Map<Label, CborValue>([[HeaderLabel.vdp, new Map(entries)]]);
const proof = (size: number, index: number, length: number) => encodeInclusionProof({ treeSize: size, leafIndex: index, path: pathOf(length) });

const ATLOG: Uint8Array[] = [
  atlogInclusion(1, 0), // an empty path
  atlogInclusion(2, 1),
  atlogInclusion(7, 3),
  atlogInclusion(1024, 517),
  atlogInclusion(1_000_000, 123_457),
  atlogInclusion(2 ** 40 + 3, 2 ** 33), // 8-byte heads for size and index
  atlogInclusion(2 ** 53 - 1, 2 ** 53 - 2), // the largest safe sizes
  atlogInclusion(300, 299, SERVICE, 0), // iat 0
  atlogInclusion(70_000, 65_536, { issuer: 'https://sérvice.example/日本', subject: '🪵' }), // non-ASCII
  atlogInclusion(5, 4, { issuer: `https://${'long-issuer-name.'.repeat(8)}example`, subject: 's' }), // > 64 bytes
  atlogInclusion(5, 4, { issuer: '\uFEFFhttps://bom.example', subject: 's' }), // a leading BOM is kept
  atlogInclusion(6, 2, { ...SERVICE, kid: new Uint8Array(300).fill(7) }), // a 2-byte kid head
  atlogConsistency(3, 7),
  atlogConsistency(1024, 1_000_000),
];

const VARIANTS: Uint8Array[] = [
  // Valid and in the shape, though not as atlog writes it.
  crafted(baseProtected(), vdp([[-1, proof(7, 3, 3)]])), // a lone bstr under -1 (tradeverifyd)
  crafted(baseProtected(), vdp([[-1, [proof(7, 3, 3), proof(7, 3, 3), proof(8, 3, 3)]]])),
  crafted(baseProtected(), vdp([[-2, [proof(3, 7, 3)]], [-1, [proof(7, 3, 3)]]])),
  crafted([...baseProtected(), [HeaderLabel.treeSize, 7]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 'i'], [6, -5]])]], vdp([[-1, [proof(7, 3, 3)]]])),
  // In the shape, refused by the checks after decoding (the same checks on both paths).
  crafted(baseProtected(), vdp([])),
  crafted(baseProtected(), vdp([[-1, []]])),
  crafted(baseProtected(), vdp([[-1, Array.from({ length: 9 }, () => proof(7, 3, 3))]])),
  crafted(baseProtected(), vdp([[-1, [proof(7, 9, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 2], [HeaderLabel.cwtClaims, claims([[1, 'i']])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, new Uint8Array(0)], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 'i']])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 'i']])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.cwtClaims, claims([[1, 'i']])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, '']])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[2, 's']])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1]], vdp([[-1, [proof(7, 3, 3)]]])),
  // Off the shape: left to the generic path, valid or not.
  crafted([...baseProtected(), [HeaderLabel.contentType, 'application/cbor']], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([...baseProtected(), [HeaderLabel.crit, [HeaderLabel.vds]]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([...baseProtected(), ['text-label', 1]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([...baseProtected(), [HeaderLabel.treeSize, -7]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 'i'], [6, 1.5]])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 'i'], [4, 99]])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 7]])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted([[HeaderLabel.kid, 'text kid'], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 'i']])]], vdp([[-1, [proof(7, 3, 3)]]])),
  crafted(baseProtected(), new Map<Label, CborValue>([[HeaderLabel.vdp, new Map([[-1, [proof(7, 3, 3)]]])], [HeaderLabel.kid, kid]])),
  crafted(baseProtected(), new Map<Label, CborValue>([[HeaderLabel.vdp, new Map([[-1, [proof(7, 3, 3)]]])], [33, new Uint8Array(10)]])),
  crafted(baseProtected(), new Map<Label, CborValue>([[HeaderLabel.vdp, new Map([[-1, [proof(7, 3, 3)]]])], [HeaderLabel.alg, -7]])),
  crafted(baseProtected(), vdp([[-3, [proof(7, 3, 3)]]])),
  crafted(baseProtected(), vdp([[-1, [proof(7, 3, 3), 'not a proof']]])),
  crafted(baseProtected(), vdp([[-1, 42]])),
  crafted(baseProtected(), new Map<Label, CborValue>([[HeaderLabel.vdp, 'not a map']])),
  crafted(baseProtected(), new Map<Label, CborValue>()),
  // Proofs that are not [uint, uint, [bstr32…]] (decoded by neither, refused by the generic one).
  ...[
    utf8('not cbor'),
    encodeCbor([7, 3]),
    encodeCbor([7, 3, hash()]),
    encodeCbor([7, -3, pathOf(3)]),
    encodeCbor([7, 3.5, pathOf(3)]),
    encodeCbor([7, 3, [hash().subarray(1), hash(), hash()]]),
    encodeCbor([7, 3, [new Uint8Array(33), hash(), hash()]]),
    encodeCbor([7, 3, pathOf(3), 0]),
    encodeCbor([7, 3, [...pathOf(2), 'x']]),
    encodeCbor(new Map([[7, 3]])),
    encodeCbor(new CborTag(18, [7, 3, pathOf(3)])),
    concat(encodeCbor([7, 3, pathOf(3)]), [0]),
    encodeCbor([7, 3, pathOf(129)]), // more hashes than the proof limit
    encodeCbor([7, 3, pathOf(300)]), // more bytes than the proof limit
    encodeCbor([7, 3, pathOf(128)]), // exactly at the item limit: decoded
    new Uint8Array(0),
  ].map((p) => crafted(baseProtected(), vdp([[-1, [p]]]))),
  // Not a receipt at all.
  encodeCbor(new CborTag(18, [new Uint8Array(0), new Map(), null, new Uint8Array(64)])),
  encodeCbor([new Uint8Array(0), new Map(), null, new Uint8Array(64)]),
  encodeCbor(new CborTag(18, [hash(), new Map(), hash(), hash()])),
  new Uint8Array(0),
  new Uint8Array([0xd2]),
  new Uint8Array([0xd2, 0x84]),
];

const exampleInclusion = new Uint8Array(readFileSync(join(VECTORS, 'cose-receipts/inclusion-receipt.cbor')));
const exampleConsistency = new Uint8Array(readFileSync(join(VECTORS, 'cose-receipts/consistency-receipt.cbor')));

// @transmute/cose's receipts, given our protected header (it writes it in insertion order).
function es256Jwk() {
  const privateJwk = { ...service.privateKey.export({ format: 'jwk' }), alg: 'ES256' } as JsonWebKey & { d: string };
  return privateJwk;
}
const theirSigner = transmute.detached.signer({
  remote: transmute.crypto.signer({ privateKeyJwk: es256Jwk() as transmute.SecretKeyJwk }),
}) as unknown as transmute.CoseSign1Signer;
const theirHeader = () =>
  transmute.ProtectedHeader([
    [HeaderLabel.alg, CoseAlgorithm.ES256],
    [HeaderLabel.kid, Buffer.from(kid)],
    [HeaderLabel.vds, 1],
    [HeaderLabel.cwtClaims, new Map<number, string>([[1, SERVICE.issuer], [2, SERVICE.subject]])],
  ]);
const leaves = Array.from({ length: 11 }, hash);
const theirInclusion = new Uint8Array(
  await transmute.receipt.inclusion.issue({ protectedHeader: theirHeader(), entry: 6, entries: leaves, signer: theirSigner }),
);
const theirConsistency = new Uint8Array(
  (
    await transmute.receipt.consistency.issue({
      protectedHeader: theirHeader(),
      receipt: await transmute.receipt.inclusion.issue({ protectedHeader: theirHeader(), entry: 2, entries: leaves.slice(0, 5), signer: theirSigner }),
      entries: leaves,
      signer: theirSigner,
    })
  ).receipt,
);

const IN_THE_WILD = [exampleInclusion, exampleConsistency, theirInclusion, theirConsistency];
const CORPUS = [...ATLOG, ...IN_THE_WILD, ...VARIANTS];

// ---- mutators --------------------------------------------------------------------------------

/** One CBOR data item in a buffer: where its head starts and ends, where the item ends. */
interface Item {
  readonly start: number;
  readonly headEnd: number;
  readonly end: number;
  readonly major: number;
  readonly argument: number;
  /** For arrays and maps: the items inside, in order. */
  readonly children: readonly Item[];
}

/** The items of well-formed, definite-length CBOR (all that the mutators start from). */
function walk(bytes: Uint8Array, start = 0): Item {
  const initial = bytes[start]!;
  const major = initial >>> 5;
  const info = initial & 0x1f;
  const width = info < 24 ? 0 : 1 << (info - 24);
  let argument = info;
  if (info >= 24) {
    argument = 0;
    for (let i = 1; i <= width; i++) argument = argument * 256 + bytes[start + i]!;
  }
  const headEnd = start + 1 + width;
  if (major === 2 || major === 3) return { start, headEnd, end: headEnd + argument, major, argument, children: [] };
  if (major === 4 || major === 5 || major === 6) {
    const count = major === 4 ? argument : major === 5 ? 2 * argument : 1;
    const children: Item[] = [];
    let at = headEnd;
    for (let i = 0; i < count; i++) {
      const child = walk(bytes, at);
      children.push(child);
      at = child.end;
    }
    return { start, headEnd, end: at, major, argument, children };
  }
  return { start, headEnd, end: headEnd, major, argument, children: [] };
}

function items(root: Item): Item[] {
  return [root, ...root.children.flatMap(items)];
}

/** A head for `major` and `argument` of the given width in bytes after the initial byte. */
function head(major: number, argument: number, width: 0 | 1 | 2 | 4 | 8): number[] {
  if (width === 0) return [(major << 5) | argument];
  const out = [(major << 5) | (24 + Math.log2(width))];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(argument / 256 ** i) % 256);
  return out;
}

/**
 * Every way of rewriting one item of `bytes` that is not strict CBOR, or not the receipt's shape:
 * a longer head than needed, an indefinite length, a tag, a repeated key, invalid UTF-8, a simple
 * value or float in its place. With `structural`, also an item more or less in an array or map,
 * and a string head one byte off, which may leave valid CBOR of another shape.
 */
function* mutants(bytes: Uint8Array, structural: boolean): Generator<Uint8Array> {
  const all = items(walk(bytes));
  const splice = (from: number, to: number, ...parts: (Uint8Array | number[])[]) => concat(bytes.subarray(0, from), ...parts, bytes.subarray(to));
  for (const item of all) {
    const { start, headEnd, end, major, argument } = item;
    if (major === 7) continue;
    // A longer head than needed.
    const widths = ([1, 2, 4, 8] as const).filter((w) => argument < 256 ** w && headEnd - start - 1 < w);
    const wider = widths.find((w) => w > headEnd - start - 1);
    if (wider !== undefined) yield splice(start, headEnd, head(major, argument, wider));
    // Indefinite lengths.
    if (major === 4 || major === 5) yield splice(start, end, [(major << 5) | 31], bytes.subarray(headEnd, end), [0xff]);
    if (major === 2 || major === 3) yield splice(start, end, [(major << 5) | 31], bytes.subarray(start, end), [0xff]);
    // A tag in front: an unknown one, and tag 18 where it does not belong.
    yield splice(start, start, [0xd8, 24]);
    if (start > 0) yield splice(start, start, [0xd2]);
    // A map with its first key repeated.
    if (major === 5 && argument > 0) {
      const [key, value] = item.children;
      yield splice(start, headEnd, head(5, argument + 1, argument + 1 < 24 ? 0 : 1), bytes.subarray(key!.start, value!.end));
    }
    if (structural) {
      // Extra and missing items.
      if (major === 4 && argument < 23) yield splice(start, headEnd, head(4, argument + 1, 0), [0xf6]);
      if ((major === 4 || major === 5) && argument > 0 && argument < 24) {
        const last = item.children[item.children.length - 1]!;
        const from = major === 5 ? item.children[item.children.length - 2]!.start : last.start;
        yield splice(start, end, head(major, argument - 1, 0), bytes.subarray(headEnd, from));
      }
      // A string one byte longer or shorter than its content.
      if ((major === 2 || major === 3) && argument < 23) {
        yield splice(start, headEnd, head(major, argument + 1, 0));
        if (argument > 0) yield splice(start, headEnd, head(major, argument - 1, 0));
      }
    }
    // Invalid UTF-8 and an overlong encoding in a text string.
    if (major === 3 && argument > 0) {
      yield splice(headEnd, headEnd + 1, [0xff]);
      yield splice(start, headEnd + 1, head(3, argument + 1, argument + 1 < 24 ? 0 : 1), [0xc1, 0x81]);
    }
    // Simple values and floats in place of the item.
    for (const replacement of [[0xf7], [0xf4], [0xe0], [0xf8, 0x20], [0xf9, 0x3c, 0x00], [0xf9, 0x3e, 0x00], [0xfb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18], [0xff], [0x1c], [0x3f]]) {
      yield splice(start, end, replacement);
    }
  }
}

/** The byte strings of a receipt that hold CBOR: the protected header and each proof. */
function nestedCbor(bytes: Uint8Array): { start: number; end: number }[] {
  const sign1 = walk(bytes).children[0]!;
  const [protectedItem, unprotected] = sign1.children;
  const found = [{ start: protectedItem!.headEnd, end: protectedItem!.end }];
  for (const item of items(unprotected!)) if (item.major === 2 && item !== unprotected) found.push({ start: item.headEnd, end: item.end });
  return found;
}

/** {@link mutants} of the CBOR inside the protected header and the proofs, re-wrapped. */
function* nestedMutants(bytes: Uint8Array): Generator<Uint8Array> {
  for (const { start, end } of nestedCbor(bytes)) {
    const inner = bytes.slice(start, end);
    if (inner.length === 0) continue;
    try {
      walk(inner);
    } catch {
      continue; // not CBOR in there (a variant made so)
    }
    for (const mutant of mutants(inner, true)) {
      // Re-wrap: find the bstr head in front of `start`, rewrite it for the new length.
      const headStart = findHeadStart(bytes, start, end - start);
      yield concat(bytes.subarray(0, headStart), head(2, mutant.length, mutant.length < 24 ? 0 : mutant.length < 256 ? 1 : 2), mutant, bytes.subarray(end));
    }
  }
}

/** Where the bstr head of a string of `length` bytes ending its head at `contentStart` begins. */
function findHeadStart(bytes: Uint8Array, contentStart: number, length: number): number {
  for (const width of [0, 1, 2, 4, 8] as const) {
    const start = contentStart - 1 - width;
    if (start < 0) continue;
    const h = head(2, length, width);
    if (h.every((b, i) => bytes[start + i] === b)) return start;
  }
  throw new Error('no bstr head before the content');
}

/** A deterministic generator of pseudo-random numbers, so that a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const INTERESTING_BYTES = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x5f, 0x60, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xd2, 0xf6, 0xf7, 0xff];

// ---- the tests -------------------------------------------------------------------------------

describe('the one-pass receipt reader', () => {
  it('reads every receipt atlog issues, the RFC 9942 examples and @transmute/cose’s', () => {
    for (const receipt of [...ATLOG, ...IN_THE_WILD]) expect(agree(receipt)).toBe(true);
    // and scans every inclusion receipt of atlog's and @transmute/cose's (the RFC's has no kid)
    const inclusions = [...ATLOG.filter((r) => parseReceipt(r).inclusionProofs.length > 0), exampleInclusion, theirInclusion];
    expect(inclusions).toHaveLength(ATLOG.length - 2 + 2);
    for (const receipt of inclusions) expect(scanInclusionReceipt(receipt, READER_LIMITS)).toBeDefined();
    // and what it reads is what the rest of the verifier sees
    expect(parseReceipt(ATLOG[4]!).inclusionProofs[0]!.path).toHaveLength(20);
  });

  it('agrees with the generic path on receipts of unusual shapes, valid or not', () => {
    const read = VARIANTS.filter(agree).length;
    expect(read).toBeGreaterThanOrEqual(20); // the in-shape ones, and those with a bad proof inside
  });

  it('agrees on every truncation of every receipt (of the few large ones, every 61st)', () => {
    for (const receipt of CORPUS) {
      const step = receipt.length > 2048 ? 61 : 1;
      for (let n = 0; n < receipt.length; n += step) agree(receipt.subarray(0, n));
    }
  });

  it('agrees on trailing bytes, and on input beyond the size limit', () => {
    for (const receipt of CORPUS) for (const tail of [[0x00], [0xf6], [0xff], [...receipt]]) agree(concat(receipt, tail));
    const big = crafted(baseProtected(), vdp([[-1, [proof(7, 3, 3)]], [-2, Array.from({ length: 7 }, () => new Uint8Array(8192))]]));
    expect(big.length).toBeLessThan(RECEIPT_LIMITS.maxBytes);
    agree(big);
    const over = crafted([...baseProtected(), [HeaderLabel.treeSize, 7]], vdp([[-1, [proof(7, 3, 3), new Uint8Array(RECEIPT_LIMITS.maxBytes)]]]));
    expect(agree(over)).toBe(false);
    const longKid = crafted([[HeaderLabel.kid, new Uint8Array(RECEIPT_LIMITS.maxStringBytes + 1)], [HeaderLabel.vds, 1]], vdp([[-1, [proof(7, 3, 3)]]]));
    expect(agree(longKid)).toBe(false);
    // a Buffer is read as its bytes, and nothing read aliases it
    const buffer = Buffer.from(ATLOG[3]!);
    expect(agree(buffer)).toBe(true);
    const receipt = parseReceipt(buffer);
    buffer.fill(0);
    expect(hex(receipt.sign1.signature)).toBe(hex(decodeSign1(ATLOG[3]!).signature));
  });

  it('agrees on every non-minimal head, indefinite length, stray tag, duplicate key, simple value, float, missing and extra item', () => {
    let count = 0;
    for (const receipt of [...ATLOG, ...IN_THE_WILD, ...VARIANTS.slice(0, 5)]) {
      for (const mutant of mutants(receipt, false)) {
        if (agree(mutant)) expect.unreachable(`read a mutant that is not strict CBOR of the shape: ${hex(mutant)}`);
        count++;
      }
      for (const mutant of mutants(receipt, true)) {
        agree(mutant);
        count++;
      }
      for (const mutant of nestedMutants(receipt)) {
        // Inside a proof the reader may still answer (it leaves that proof to the generic decoder).
        agree(mutant);
        count++;
      }
    }
    expect(count).toBeGreaterThan(5000);
  });

  it('agrees on every byte of three receipts replaced by each interesting value', () => {
    for (const receipt of [ATLOG[3]!, exampleInclusion, theirInclusion]) {
      for (let at = 0; at < receipt.length; at++) {
        for (const value of INTERESTING_BYTES) {
          if (receipt[at] === value) continue;
          const mutant = receipt.slice();
          mutant[at] = value;
          agree(mutant);
        }
      }
    }
    // Thousands of mutants through both readers: room for two busy cores.
  }, 60_000);

  it('agrees on random damage: flipped bits, inserted and deleted runs (seeded)', () => {
    const random = prng(0x5c177);
    const pick = (n: number) => Math.floor(random() * n);
    const small = CORPUS.filter((r) => r.length <= 2048);
    for (let round = 0; round < 10_000; round++) {
      const receipt = small[pick(small.length)]!;
      let mutant = receipt.slice();
      for (let edits = 1 + pick(3); edits > 0; edits--) {
        const at = pick(mutant.length + 1);
        const kind = pick(3);
        if (kind === 0 && at < mutant.length) mutant[at]! ^= 1 << pick(8);
        else if (kind === 1) mutant = concat(mutant.subarray(0, at), Array.from({ length: 1 + pick(4) }, () => pick(256)), mutant.subarray(at));
        else mutant = concat(mutant.subarray(0, at), mutant.subarray(Math.min(mutant.length, at + 1 + pick(4))));
      }
      agree(mutant);
    }
    // Bits flipped inside hashes, the signature and strings keep the shape: the reader and the
    // scanner answer for a good part of these, so the comparison above is not only of refusals.
    expect(stats.read / stats.inputs).toBeGreaterThan(0.05);
    expect(stats.scanned / stats.inputs).toBeGreaterThan(0.02); // (~3% when run alone)
  });

  it('agrees on integers at and past ±(2^53 - 1), in the header and in the proof', () => {
    const MAX = Number.MAX_SAFE_INTEGER;
    const patch = (bytes: Uint8Array, from: number[], to: number[]) => {
      const at = Buffer.from(bytes).indexOf(Buffer.from(from));
      expect(at).toBeGreaterThan(0);
      return concat(bytes.subarray(0, at), to, bytes.subarray(at + from.length));
    };
    const edge = [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    const edgeMinusOne = [0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe];
    const beyond = [0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
    const iat = crafted([[HeaderLabel.kid, kid], [HeaderLabel.vds, 1], [HeaderLabel.cwtClaims, claims([[1, 'i'], [6, -MAX]])]], vdp([[-1, [proof(7, 3, 3)]]]));
    expect(agree(iat)).toBe(true);
    expect(agree(patch(iat, [0x3b, ...edgeMinusOne], [0x3b, ...edge]))).toBe(false); // -2^53
    expect(agree(patch(iat, [0x3b, ...edgeMinusOne], [0x3b, ...beyond]))).toBe(false);
    const size = crafted([...baseProtected(), [HeaderLabel.treeSize, MAX]], vdp([[-1, [proof(7, 3, 3)]]]));
    expect(agree(size)).toBe(true);
    expect(agree(patch(size, [0x1b, ...edge], [0x1b, ...beyond]))).toBe(false);
    const alg = crafted([[HeaderLabel.alg, -MAX], ...baseProtected()], vdp([[-1, [proof(7, 3, 3)]]]));
    expect(agree(alg)).toBe(true);
    expect(agree(patch(alg, [0x3b, ...edgeMinusOne], [0x3b, ...edge]))).toBe(false);
    const big = crafted(baseProtected(), vdp([[-1, [encodeCbor([MAX, MAX - 1, []])]]]));
    expect(agree(big)).toBe(true);
    agree(patch(big, [0x1b, ...edge], [0x1b, ...beyond])); // that proof is left to the generic decoder
    expect(readReceiptBytes(patch(big, [0x1b, ...edge], [0x1b, ...beyond]), READER_LIMITS)!.proofs.size).toBe(0);
  });

  it('keeps to the limits it is given, as the generic decoder does', () => {
    const receipt = ATLOG[3]!;
    const tight = { ...RECEIPT_LIMITS, maxStringBytes: 31 }; // the kid is 32 bytes
    expect(readReceiptBytes(receipt, { ...READER_LIMITS, receipt: tight })).toBeUndefined();
    expect(() => decodeSign1(receipt, { limits: tight })).toThrow(CoseError);
    expect(readReceiptBytes(receipt, { ...READER_LIMITS, receipt: { ...RECEIPT_LIMITS, maxBytes: receipt.length - 1 } })).toBeUndefined();
    expect(readReceiptBytes(receipt, { ...READER_LIMITS, receipt: { ...RECEIPT_LIMITS, maxItems: 0 } })).toBeUndefined();
    expect(readReceiptBytes(receipt, { ...READER_LIMITS, receipt: { ...RECEIPT_LIMITS, maxDepth: 4 } })).toBeUndefined();
    expect(readReceiptBytes(receipt, { ...READER_LIMITS, proof: { ...PROOF_LIMITS, maxItems: 9 } })!.proofs.size).toBe(0);
    expect(readReceiptBytes(receipt, { ...READER_LIMITS, proof: { ...PROOF_LIMITS, maxBytes: 100 } })!.proofs.size).toBe(0);
    expect(readReceiptBytes(receipt, { ...READER_LIMITS, proof: { ...PROOF_LIMITS, maxDepth: 1 } })!.proofs.size).toBe(0);
    // and given other limits, parseReceipt does not use it at all
    expect(() => parseReceipt(receipt, { limits: { maxStringBytes: 31 } })).toThrow(CoseError);
  });

  it('remembers the claims it decoded by their bytes only: a buffer rewritten in place reads anew', () => {
    const buffer = Buffer.from(atlogInclusion(7, 3, { issuer: 'https://one.example', subject: 'log-one' }));
    expect(scanInclusionReceipt(buffer, READER_LIMITS)).toMatchObject({ issuer: 'https://one.example', subject: 'log-one' });
    const at = buffer.indexOf('one.example');
    buffer.write('two', at);
    buffer.write('two', buffer.indexOf('log-one') + 4);
    expect(scanInclusionReceipt(buffer, READER_LIMITS)).toMatchObject({ issuer: 'https://two.example', subject: 'log-two' });
    expect(scanInclusionReceipt(buffer, READER_LIMITS)).toMatchObject({ issuer: 'https://two.example', subject: 'log-two' });
    buffer[at] = 0xff; // no longer UTF-8: off the shape, as it would be if never seen before
    expect(scanInclusionReceipt(buffer, READER_LIMITS)).toBeUndefined();
    expect(agree(buffer)).toBe(false);
    // a long issuer is decoded every time, and still right
    const long = `https://${'x'.repeat(300)}.example`;
    for (let i = 0; i < 2; i++) expect(scanInclusionReceipt(atlogInclusion(7, 3, { issuer: long, subject: 's' }), READER_LIMITS)?.issuer).toBe(long);
  });

  it('refuses deep nesting without recursing', () => {
    const deep = concat(ATLOG[2]!.subarray(0, 2), new Uint8Array(100_000).fill(0x81), [0xf6]);
    expect(agree(deep)).toBe(false);
    const deepProtected = crafted(baseProtected(), vdp([[-1, [concat([0x83, 0x07, 0x03], new Uint8Array(1000).fill(0x81), [0x80])]]]));
    agree(deepProtected);
  });
});
