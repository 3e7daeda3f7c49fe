// Crash safety with a real child process and a real LevelDB: kill -9 the writer at random points,
// restart it, and check that nothing acknowledged was lost or moved, that the tree re-derives
// from the entries and tiles to the last checkpoint, and that every checkpoint ever seen is
// consistent with the log as it now stands. (A SIGKILL loses the process, not the OS page cache:
// this tests the log's own write ordering and recovery, not the disk's.)
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ed25519NoteSigner,
  ed25519NoteVerifier,
  LevelDbStorage,
  MerkleLog,
  noteCheckpointSigner,
  noteVerifierKey,
  openCheckpoint,
} from '../../log/index.js';
import { verifyConsistency } from '../../log/tree/index.js';
import { tempDir } from '../support/log.js';
import { seededRandom } from '../support/naive-tree.js';
import { requireFreshBuild } from '../support/built.js';
import { REPO_ROOT } from '../support/vectors.js';

const ROUNDS = Number(process.env.ATLOG_CRASH_ROUNDS ?? 30);
const ORIGIN = 'crash.test/log';
const CHILD = join(REPO_ROOT, 'test/crash/child.mjs');


interface Ack {
  index: number;
  treeSize: number;
  leafHash: string;
}

/** Runs the child until it has acknowledged some entries (or not, when killing it mid-start). */
async function runAndKill(
  dir: string,
  env: Record<string, string>,
  killAfterMs: number,
  beforeReady: boolean,
): Promise<{ acks: Ack[]; errors: string[]; readySize: number | undefined }> {
  const child: ChildProcess = spawn(process.execPath, [CHILD, dir, ORIGIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acks: Ack[] = [];
  const errors: string[] = [];
  let readySize: number | undefined;
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const closed = new Promise((resolve) => lines.once('close', resolve));
  const ready = new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      const [kind, ...rest] = line.split(' ');
      if (kind === 'ready') {
        readySize = Number(rest[0]);
        resolve();
      } else if (kind === 'ack') {
        acks.push({ index: Number(rest[0]), treeSize: Number(rest[1]), leafHash: rest[2]! });
      } else {
        errors.push(line);
      }
    });
  });
  if (!beforeReady) await Promise.race([ready, exited]);
  await new Promise((r) => setTimeout(r, killAfterMs));
  child.kill('SIGKILL');
  const code = await exited;
  await closed;
  if (code !== null && !beforeReady) errors.push(`child exited by itself with ${code}: ${stderr.slice(0, 500)}`);
  return { acks, errors, readySize };
}

/** Every leaf hash of the log, hex, read a tile (256 hashes) at a time. */
async function allLeafHashes(log: MerkleLog): Promise<string[]> {
  const hashes: string[] = [];
  for (let tile = 0; tile * 256 < log.size; tile++) {
    const row = (await log.tile(0, tile, Math.min(256, log.size - tile * 256)))!;
    for (let at = 0; at < row.length; at += 32) hashes.push(Buffer.from(row.subarray(at, at + 32)).toString('hex'));
  }
  return hashes;
}

describe('crash safety', () => {
  beforeAll(() => requireFreshBuild('dist/log/index.js', ['log']));

  it(`loses nothing acknowledged across ${ROUNDS} kill -9s at random points`, async () => {
    const dir = join(tempDir('atlog-crash-'), 'log');
    const random = seededRandom(Number(process.env.ATLOG_CRASH_SEED ?? 20261126));
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const verifier = ed25519NoteVerifier(noteVerifierKey(ORIGIN, publicKey));
    const env = { ATLOG_CRASH_KEY: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
    const acked = new Map<number, string>();
    const seen: { size: number; rootHash: Uint8Array }[] = [];
    let killedMidStart = 0;

    for (let round = 0; round < ROUNDS; round++) {
      // Every fifth round dies while opening or recovering; the others under full load, with
      // batches from 1 (a checkpoint per entry) to 512.
      const beforeReady = round % 5 === 4;
      const batch = [1, 8, 64, 512][random(4)]!;
      const killAfter = beforeReady ? random(120) : 20 + random(400);
      const run = await runAndKill(dir, { ...env, ATLOG_CRASH_BATCH: String(batch) }, killAfter, beforeReady);
      expect(run.errors, `round ${round}`).toEqual([]);
      if (beforeReady && run.readySize === undefined) killedMidStart++;
      for (const ack of run.acks) {
        const previous = acked.get(ack.index);
        expect(previous === undefined || previous === ack.leafHash, `index ${ack.index} acknowledged twice`).toBe(true);
        acked.set(ack.index, ack.leafHash);
      }

      // Reopen in this process (which also verifies the edge tiles and roots) and check it all.
      const log = await MerkleLog.open({
        storage: await LevelDbStorage.open(dir),
        signer: noteCheckpointSigner(ORIGIN, ed25519NoteSigner(ORIGIN, privateKey)),
      });
      try {
        const head = log.latestCheckpoint;
        const opened = openCheckpoint(head.signature, ORIGIN, [verifier]).checkpoint;
        expect(opened.size).toBe(head.size);
        expect(Buffer.from(opened.rootHash).equals(Buffer.from(head.rootHash))).toBe(true);
        const leafHashes = await allLeafHashes(log);
        const lost = [...acked].filter(([index, leafHash]) => leafHashes[index] !== leafHash);
        expect(lost.slice(0, 5), `${lost.length} acknowledged entries lost or moved`).toEqual([]);
        for (const old of seen) {
          const proof = old.size === 0 ? [] : await log.consistencyProof(old.size);
          if (old.size > 0) verifyConsistency(old.size, head.size, old.rootHash, head.rootHash, proof);
        }
        seen.push({ size: head.size, rootHash: head.rootHash });
        if (round % 6 === 5 || round === ROUNDS - 1) await log.audit();
      } finally {
        await log.close();
      }
    }
    expect(acked.size, 'the writer got work done between kills').toBeGreaterThan(ROUNDS * 10);
    expect(killedMidStart, 'some kills landed during opening').toBeGreaterThan(0);
  }, 240_000);
});
