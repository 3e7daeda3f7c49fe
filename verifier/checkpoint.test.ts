import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  LevelDbStorage,
  MerkleLog,
  noteCheckpointSigner,
  noteVerifierKey,
} from '../log/index.js';
import { tempDir } from '../test/support/log.js';
import { verifyCheckpointConsistency } from './index.js';

const ORIGIN = 'audit.test/log';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const trust = { origin: ORIGIN, verifiers: [ed25519NoteVerifier(noteVerifierKey(ORIGIN, publicKey))] };
const enc = (s: string) => new TextEncoder().encode(s);

let log: MerkleLog;
let fork: MerkleLog;
const notes = new Map<number, Uint8Array>();

async function openLog(dir: string): Promise<MerkleLog> {
  return MerkleLog.open({ storage: await LevelDbStorage.open(dir), signer: noteCheckpointSigner(ORIGIN, ed25519NoteSigner(ORIGIN, privateKey)) });
}

beforeAll(async () => {
  const root = tempDir();
  log = await openLog(join(root, 'log'));
  fork = await openLog(join(root, 'fork'));
  for (let i = 0; i < 40; i++) {
    const { treeSize } = await log.append(enc(`entry ${i}`));
    notes.set(treeSize, (await log.checkpoint(treeSize))!.signature);
    // The same key signs a second history that agrees for 20 entries, then diverges: a split view.
    await fork.append(enc(i < 20 ? `entry ${i}` : `forged ${i}`));
  }
});

afterAll(async () => {
  await log.close();
  await fork.close();
});

describe('verifyCheckpointConsistency', () => {
  it('accepts every pair of the log’s own checkpoints', async () => {
    for (const older of [1, 2, 7, 16, 33]) {
      for (const newer of [older, 17, 40]) {
        if (newer < older) continue;
        const proof = older === newer ? [] : await log.consistencyProof(older, newer);
        const { older: a, newer: b } = verifyCheckpointConsistency(notes.get(older)!, notes.get(newer)!, proof, trust);
        expect([a.size, b.size]).toEqual([older, newer]);
      }
    }
  });

  it('detects a split view: two histories signed by the same key', async () => {
    const forged = fork.latestCheckpoint.signature;
    // Before the fork, the histories agree.
    expect(() => verifyCheckpointConsistency(notes.get(20)!, forged, [], trust)).toThrow(expect.objectContaining({ code: 'PROOF_WRONG_LENGTH' }));
    verifyCheckpointConsistency(notes.get(20)!, forged, await fork.consistencyProof(20), trust);
    // After it, no proof from either log joins them.
    for (const proof of [await fork.consistencyProof(30), await log.consistencyProof(30)]) {
      expect(() => verifyCheckpointConsistency(notes.get(30)!, forged, proof, trust)).toThrow(
        expect.objectContaining({ code: 'CHECKPOINT_INCONSISTENT' }),
      );
    }
    // The same size with two roots is the plainest split view.
    expect(() => verifyCheckpointConsistency(notes.get(40)!, forged, [], trust)).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INCONSISTENT' }));
  });

  it('refuses notes it cannot trust, sizes in the wrong order and malformed proofs', async () => {
    const { privateKey: other } = generateKeyPairSync('ed25519');
    const stranger = await MerkleLog.open({
      storage: await LevelDbStorage.open(join(tempDir(), 's')),
      signer: noteCheckpointSigner(ORIGIN, ed25519NoteSigner(ORIGIN, other)),
    });
    await stranger.append(enc('x'));
    expect(() => verifyCheckpointConsistency(notes.get(1)!, stranger.latestCheckpoint.signature, [], trust)).toThrow(
      expect.objectContaining({ code: 'NOTE_UNVERIFIED' }),
    );
    await stranger.close();
    expect(() => verifyCheckpointConsistency(notes.get(5)!, notes.get(9)!, [], { ...trust, origin: 'another/log' })).toThrow(
      expect.objectContaining({ code: 'CHECKPOINT_WRONG_ORIGIN' }),
    );
    expect(() => verifyCheckpointConsistency(notes.get(9)!, notes.get(5)!, [], trust)).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INCONSISTENT' }));
    const proof = await log.consistencyProof(5, 9);
    expect(() => verifyCheckpointConsistency(notes.get(5)!, notes.get(9)!, proof.slice(1), trust)).toThrow(
      expect.objectContaining({ code: 'PROOF_WRONG_LENGTH' }),
    );
    expect(() => verifyCheckpointConsistency(notes.get(5)!, enc('garbage'), proof, trust)).toThrow(expect.objectContaining({ code: 'NOTE_MALFORMED' }));
  });
});
