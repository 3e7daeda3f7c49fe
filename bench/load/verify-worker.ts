// A worker thread of the verification after a load run: each acknowledged receipt verified offline
// against its statement with nothing but the service's published key set.
import { parentPort } from 'node:worker_threads';
import { type CoseKey, registeredStatement, verifyInclusionReceipt } from '../../receipts/index.js';

export interface VerifyJob {
  readonly keys: readonly CoseKey[];
  readonly pairs: readonly { statement: Uint8Array; receipt: Uint8Array }[];
}

/** Per pair: where the receipt says the entry is, or why it did not verify. */
export type VerifyOutcome = { readonly leafIndex: number; readonly treeSize: number; readonly entry: Uint8Array } | { readonly error: string };

parentPort!.on('message', (job: VerifyJob) => {
  const outcomes: VerifyOutcome[] = job.pairs.map(({ statement, receipt }) => {
    try {
      const entry = registeredStatement(statement);
      const verified = verifyInclusionReceipt(receipt, entry, job.keys);
      return { leafIndex: verified.leafIndex, treeSize: verified.treeSize, entry };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  });
  parentPort!.postMessage(outcomes);
  // One job a worker: with the port closed, nothing keeps it running, and it exits.
  parentPort!.close();
});
