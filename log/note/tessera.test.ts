// The tessera testdata log (test-vectors/EXTERNAL.md): checkpoints signed by an independent
// implementation, checked against our note code, the tree math and the tiles beside them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNodes as readFrom, rootOf as rootFrom } from '../../test/support/complete-nodes.js';
import { completeNodes, NaiveTree } from '../../test/support/naive-tree.js';
import { VECTORS } from '../../test/support/vectors.js';
import {
  assembleProof,
  consistencyProofPlan,
  hashLeaf,
  type NodeId,
  ProofError,
  verifyConsistency,
} from '../tree/index.js';
import { type Checkpoint, ed25519NoteVerifier, NoteError, openCheckpoint, parseCheckpoint } from './index.js';

const LOG = join(VECTORS, 'tlog-tiles/tessera-testdata-log');
const ORIGIN = 'example.com/log/testdata';
const VERIFIER_KEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const ENTRIES = 'one two three four five six seven eit nain ten ileven twelf threeten fourten fivten'
  .split(' ')
  .map((word) => new TextEncoder().encode(word));
const SIZES = Array.from({ length: ENTRIES.length + 1 }, (_, n) => n);

const read = (path: string) => new Uint8Array(readFileSync(join(LOG, path)));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const verifier = ed25519NoteVerifier(VERIFIER_KEY);
const leafHashes = ENTRIES.map((entry) => hashLeaf(entry));
const nodes = completeNodes(leafHashes);
const naive = new NaiveTree(leafHashes);

const readNodes = (plan: readonly NodeId[]) => readFrom(nodes, plan);
const rootOf = (size: number) => rootFrom(nodes, size);

const checkpoints: Checkpoint[] = SIZES.map((n) => openCheckpoint(read(`checkpoint.${n}`), ORIGIN, [verifier]).checkpoint);

describe('tessera testdata log', () => {
  it('has the verifier key EXTERNAL.md names', () => {
    expect(verifier.name).toBe(ORIGIN);
    expect(verifier.keyId).toBe(0x33d7b496);
  });

  it.each(SIZES)('checkpoint.%i opens, is for the origin and has that size', (n) => {
    const opened = openCheckpoint(read(`checkpoint.${n}`), ORIGIN, [verifier]);
    expect(opened.signatures).toEqual([{ name: ORIGIN, keyId: 0x33d7b496 }]);
    expect(opened.checkpoint.origin).toBe(ORIGIN);
    expect(opened.checkpoint.size).toBe(n);
    expect(opened.checkpoint.extensions).toEqual([]);
  });

  it.each(SIZES)('checkpoint.%i commits to the RFC 9162 root of the first entries', (n) => {
    const root = checkpoints[n]!.rootHash;
    expect(hex(root)).toBe(hex(rootOf(n)));
    expect(hex(root)).toBe(hex(naive.root(n)));
  });

  it('serves the latest checkpoint as checkpoint, the same as checkpoint.15', () => {
    const latest = openCheckpoint(read('checkpoint'), ORIGIN, [verifier]).checkpoint;
    expect(latest.size).toBe(ENTRIES.length);
    expect(hex(latest.rootHash)).toBe(hex(checkpoints[ENTRIES.length]!.rootHash));
  });

  it.each(SIZES.slice(1))('tile/0/000.p/%i holds exactly the first leaf hashes', (n) => {
    expect(hex(read(`tile/0/000.p/${n}`))).toBe(leafHashes.slice(0, n).map(hex).join(''));
  });

  it.each(SIZES.slice(1))('tile/entries/000.p/%i is the bundle of the first entries', (n) => {
    const entries = parseEntryBundle(read(`tile/entries/000.p/${n}`));
    expect(entries.map((e) => new TextDecoder().decode(e))).toEqual(
      ENTRIES.slice(0, n).map((e) => new TextDecoder().decode(e)),
    );
  });

  it('every pair of non-empty checkpoints is consistent, with proofs built from complete nodes', () => {
    // From size 0 there is nothing to prove (RFC 9162 has no such proof), so pairs start at 1.
    for (let size1 = 1; size1 <= ENTRIES.length; size1++) {
      for (let size2 = size1; size2 <= ENTRIES.length; size2++) {
        const plan = consistencyProofPlan(size1, size2);
        const proof = assembleProof(plan, readNodes(plan.nodes));
        expect(proof.map(hex), `${size1} → ${size2}`).toEqual(naive.consistency(size1, size2).map(hex));
        const [old, recent] = [checkpoints[size1]!, checkpoints[size2]!];
        verifyConsistency(old.size, recent.size, old.rootHash, recent.rootHash, proof);
      }
    }
  });

  it('a proof between two checkpoints does not verify against a third', () => {
    const plan = consistencyProofPlan(3, 7);
    const proof = assembleProof(plan, readNodes(plan.nodes));
    const [c3, c7, c8] = [checkpoints[3]!, checkpoints[7]!, checkpoints[8]!];
    expect(() => verifyConsistency(3, 7, c3.rootHash, c8.rootHash, proof)).toThrow(ProofError);
    expect(() => verifyConsistency(3, 7, c7.rootHash, c3.rootHash, proof)).toThrow(ProofError);
  });

  it('rejects a checkpoint whose size or root was changed after signing', () => {
    const note = new TextDecoder().decode(read('checkpoint.5'));
    const resized = note.replace(`${ORIGIN}\n5\n`, `${ORIGIN}\n6\n`);
    const reroot = note.replace(/\n([A-Za-z0-9+/]{43}=)\n/, `\n${Buffer.from(rootOf(6)).toString('base64')}\n`);
    for (const tampered of [resized, reroot]) {
      expect(tampered).not.toBe(note);
      expect(codeOf(() => openCheckpoint(tampered, ORIGIN, [verifier]))).toBe('NOTE_BAD_SIGNATURE');
    }
    expect(codeOf(() => openCheckpoint(note, 'example.com/log/other', [verifier]))).toBe('CHECKPOINT_WRONG_ORIGIN');
  });

  it('parses the note text of every checkpoint the same way, signed or not', () => {
    for (const n of SIZES) {
      const note = new TextDecoder().decode(read(`checkpoint.${n}`));
      const text = note.slice(0, note.lastIndexOf('\n\n') + 1);
      expect(parseCheckpoint(text)).toEqual(checkpoints[n]);
    }
  });
});

/** An entry bundle (c2sp.org/tlog-tiles): uint16_be(length) ‖ entry, repeated to the end. */
function parseEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const entries: Uint8Array[] = [];
  for (let offset = 0; offset < bundle.length; ) {
    if (offset + 2 > bundle.length) throw new Error(`entry bundle ends inside a length at byte ${offset}`);
    const length = view.getUint16(offset);
    if (offset + 2 + length > bundle.length) throw new Error(`entry at byte ${offset} runs past the bundle`);
    entries.push(bundle.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return entries;
}

function codeOf(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (err instanceof NoteError) return err.code;
    throw err;
  }
}
