// The end of every load run: the log verified offline, after the service has stopped.
//
// 1. Every acknowledged registration's receipt verifies against its statement with the service's
//    published key set (fetched over HTTP before the stop), in worker threads.
// 2. The log holds each of those statements, byte for byte, at the index its receipt names.
// 3. Every stored checkpoint: its C2SP note verifies with the checkpoint key and names the stored
//    size and root, and the tree is consistent with it (MerkleLog.audit(), which also re-derives
//    the whole tree from the entries and checks every tile and hash-index record). For a large
//    pre-filled log, `auditFrom` re-derives only the entries the run added, on the stored tree of
//    the pre-fill (which must give the pre-fill's last checkpoint): every acknowledged statement
//    is among them, and re-reading ten million pre-filled entries took longer than the run.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkpointSignatures } from '../../api/checkpoints.js';
import { ed25519NoteVerifier, LevelDbStorage, MerkleLog, noteVerifierKey, openCheckpoint } from '../../log/index.js';
import { decodeCoseKeySet } from '../../receipts/index.js';
import { bytesEqual, toHex } from '../../util/index.js';
import { BENCH_ORIGIN } from './prefill.js';
import type { VerifyJob, VerifyOutcome } from './verify-worker.js';

export interface VerifyOptions {
  readonly dataDir: string;
  readonly acksFile: string;
  readonly keySet: Uint8Array;
  readonly keysDir: string;
  /** Re-derive the tree from this size on (default 0: the whole log). */
  readonly auditFrom?: number;
  readonly log: (line: string) => void;
}

export class LoadVerificationError extends Error {
  override readonly name = 'LoadVerificationError';
}

function readAcks(file: string): { statement: Uint8Array; receipt: Uint8Array }[] {
  const bytes = readFileSync(file);
  const pairs: { statement: Uint8Array; receipt: Uint8Array }[] = [];
  for (let at = 0; at < bytes.length; ) {
    const s = bytes.readUInt32BE(at);
    const statement = bytes.subarray(at + 4, at + 4 + s);
    at += 4 + s;
    const r = bytes.readUInt32BE(at);
    pairs.push({ statement, receipt: bytes.subarray(at + 4, at + 4 + r) });
    at += 4 + r;
  }
  return pairs;
}

export async function verifyRun(options: VerifyOptions): Promise<string> {
  const started = performance.now();
  const pairs = readAcks(options.acksFile);
  const keys = decodeCoseKeySet(options.keySet);

  // 1. Receipts, on every core.
  const threads = Math.max(1, cpus().length);
  const per = Math.ceil(pairs.length / threads);
  const outcomes = (
    await Promise.all(
      Array.from({ length: threads }, (_, t) => {
        const job: VerifyJob = { keys, pairs: pairs.slice(t * per, (t + 1) * per) };
        return new Promise<VerifyOutcome[]>((resolve, reject) => {
          const worker = new Worker(new URL('./verify-worker.js', import.meta.url));
          // The worker ends by itself once it has answered (it closes its port): terminating it
          // at once, while V8 may still be compiling its hot code on a helper thread, once crashed
          // node 20 in teardown (NodePlatform::ForIsolate).
          let outcome: VerifyOutcome[] | undefined;
          worker.once('message', (m: VerifyOutcome[]) => (outcome = m));
          worker.once('error', reject);
          worker.once('exit', (code) => (outcome !== undefined ? resolve(outcome) : reject(new Error(`a verify worker exited (${code}) without answering`))));
          worker.postMessage(job);
        });
      }),
    )
  ).flat();
  const failed = outcomes.filter((o): o is { error: string } => 'error' in o);
  if (failed.length > 0) throw new LoadVerificationError(`${failed.length} receipts do not verify, e.g.: ${failed[0]!.error}`);
  const placed = outcomes as Extract<VerifyOutcome, { leafIndex: number }>[];

  // 2. Each statement at its index. The log never signs here: everything was checkpointed at the stop.
  const storage = await LevelDbStorage.open(join(options.dataDir, 'log'));
  const log = await MerkleLog.open({
    storage,
    signer: {
      sign: () => Promise.reject(new LoadVerificationError('the log had entries that were not checkpointed when the service stopped')),
    },
  });
  try {
    const indices = new Set<number>();
    for (const p of placed) {
      if (indices.has(p.leafIndex)) throw new LoadVerificationError(`two acknowledged statements have index ${p.leafIndex}`);
      indices.add(p.leafIndex);
      if (p.treeSize > log.size) throw new LoadVerificationError(`a receipt is for tree size ${p.treeSize}, beyond the log's ${log.size}`);
      if (p.leafIndex < (options.auditFrom ?? 0)) throw new LoadVerificationError(`an acknowledged statement is at ${p.leafIndex}, inside the pre-fill the audit skips`);
    }
    const sorted = [...placed].sort((a, b) => a.leafIndex - b.leafIndex);
    for (let i = 0; i < sorted.length; ) {
      const first = sorted[i]!.leafIndex;
      const count = Math.min(1000, log.size - first);
      const entries = await log.entries(first, count);
      for (; i < sorted.length && sorted[i]!.leafIndex < first + count; i++) {
        const p = sorted[i]!;
        if (!bytesEqual(entries[p.leafIndex - first]!, p.entry)) throw new LoadVerificationError(`entry ${p.leafIndex} is not the statement its receipt names`);
      }
    }

    // 3. Checkpoints: notes signed by the checkpoint key over the stored heads, and the audit.
    const checkpointKey = createPublicKey(createPrivateKey(readFileSync(join(options.keysDir, 'checkpoint.pem'))));
    const verifier = ed25519NoteVerifier(noteVerifierKey(BENCH_ORIGIN, checkpointKey));
    let notes = 0;
    for (let from = 1; from <= log.size; ) {
      const heads = await log.checkpoints(from, 1000);
      for (const head of heads) {
        const opened = openCheckpoint(checkpointSignatures(head).note, BENCH_ORIGIN, [verifier]).checkpoint;
        if (opened.size !== head.size || !bytesEqual(opened.rootHash, head.rootHash)) {
          throw new LoadVerificationError(`the note of the checkpoint at ${head.size} names size ${opened.size}, root ${toHex(opened.rootHash)}`);
        }
        notes++;
      }
      if (heads.length < 1000) break;
      from = heads[heads.length - 1]!.size + 1;
    }
    const audit = await log.audit({ fromSize: options.auditFrom ?? 0 });
    const audited = audit.fromSize === 0 ? `${audit.size} entries` : `entries ${audit.fromSize} to ${audit.size} (on the stored tree of the pre-fill)`;
    return (
      `${placed.length} acknowledged statements: receipts verify with the published key set, each statement at its index; ` +
      `${notes} checkpoint notes verify; audit of ${audited} and ${audit.checkpoints} checkpoints passed ` +
      `(${((performance.now() - started) / 1000).toFixed(0)} s)`
    );
  } finally {
    await log.close();
  }
}
