// A worker thread of the bulk loader: the entry index's records of pre-filled entries, computed
// by the index's own pure functions (indexEntry, recordsOf), so that the service opens a log
// whose index is caught up instead of indexing millions of entries under the load.
import { parentPort } from 'node:worker_threads';
import { indexEntry } from '../../index/index.js';
import { recordsOf } from '../../index/keys.js';

export interface RecordsJob {
  readonly first: number;
  readonly entries: readonly Uint8Array[];
  /** The registration time of each entry (the timestamp of the first checkpoint including it). */
  readonly registeredAt: readonly number[];
}

parentPort!.on('message', (job: RecordsJob) => {
  const puts: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < job.entries.length; i++) puts.push(...recordsOf(indexEntry(job.entries[i]!, job.first + i, job.registeredAt[i]!)));
  parentPort!.postMessage(puts);
});
