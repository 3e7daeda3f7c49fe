// The bulk loader: a log of `size` entries before the service starts, so that the load runs
// against a large log. It bypasses HTTP and the policy, and writes through the log's own
// sequencer (`MerkleLog.appendMany`, batches of 1024, fsync'd, one checkpoint each, signed with
// the service's keys) and the entry index's own records (the service's worker pool), so the
// service opens the log and its index as it would have built them.
//
// What is not real: the entries are made from 1024 templates, really signed exec-audit tokens of
// the load's own shape, each entry a template with its `jti` (the task id) replaced by a distinct
// one of the same length. So every entry is a distinct, well-formed registered statement with a
// schema-valid payload and real index records, but only the templates' signatures verify: signing
// ten million statements one by one would take longer than the run allows, and the log never
// verifies a statement's signature (the policy did, before).
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceCheckpointSigner, ServiceWorkers } from '../../api/index.js';
import { EntryIndex, INDEX_FORMAT, placeDraft, PostingsBuffer } from '../../index/index.js';
import { blockOf, encodeState, STATE_KEY } from '../../index/keys.js';
import { type CheckpointSigner, type KeyValue, LevelDbStorage, MerkleLog } from '../../log/index.js';
import { registeredStatement } from '../../receipts/index.js';
import { policyFromOptions } from '../../statements/index.js';
import { type Agent, execAuditPayload, signExecAudit } from './workload.js';

export const BENCH_URL = 'http://atlog.bench';
export const BENCH_ORIGIN = 'atlog.bench/log';
const TEMPLATES = 1024;
const CALL = 8192;

export interface PrefillOptions {
  readonly dataDir: string;
  readonly size: number;
  readonly agents: readonly Agent[];
  readonly keysDir: string;
  /** The agents' public key files: the worker threads build the load's policy from them. */
  readonly issuerKeys: readonly string[];
  /**
   * Leave the pre-filled entries out of the entry index, which is then written as caught up at
   * `size` with none of their records: for logs of tens of millions, where the index records
   * (about 15 keys per entry) would take most of the loader's time. The log itself is complete.
   */
  readonly skipIndex?: boolean;
  readonly log: (line: string) => void;
}

/**
 * Distinct registered statements of the load's shape, cheaply: entry `i` is one of 1024 really
 * signed templates with its `jti` replaced by a UUID-shaped id unique to `i` (see above).
 */
export function entryMaker(agents: readonly Agent[]): (i: number) => Uint8Array {
  const templates = Array.from({ length: TEMPLATES }, (_, t) => {
    const agent = agents[t % agents.length]!;
    const n = Math.floor(t / agents.length);
    const entry = registeredStatement(signExecAudit(agent, n, 'prefill'));
    const jti = new TextEncoder().encode(`"jti":"${execAuditPayload(agent, n, 'prefill').jti as string}"`);
    const at = Buffer.from(entry).indexOf(jti);
    if (at < 0) throw new Error('the template has no jti to vary');
    return { entry, jtiAt: at + 7 }; // the 36 characters after "jti":"
  });
  return (i: number): Uint8Array => {
    const template = templates[i % TEMPLATES]!;
    const entry = template.entry.slice();
    // A UUID-shaped id unique to i, as long as the template's.
    const uuid = `bf000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
    entry.set(new TextEncoder().encode(uuid), template.jtiAt);
    return entry;
  };
}

/** The log's checkpoint signer as the benchmarked service has it (its keys in `keysDir`). */
export function benchSigner(keysDir: string): CheckpointSigner {
  return serviceCheckpointSigner({
    origin: BENCH_ORIGIN,
    checkpointKey: createPrivateKey(readFileSync(join(keysDir, 'checkpoint.pem'))),
    receiptKey: createPrivateKey(readFileSync(join(keysDir, 'service.pem'))),
    identity: { issuer: BENCH_URL, subject: BENCH_ORIGIN },
  });
}

export async function prefill(options: PrefillOptions): Promise<{ seconds: number; how: string }> {
  const started = performance.now();
  const { size } = options;
  const entryOf = entryMaker(options.agents);

  const storage = await LevelDbStorage.open(join(options.dataDir, 'log'));
  const log = await MerkleLog.open({
    storage,
    signer: benchSigner(options.keysDir),
    sequencer: { maxBatchSize: 1024, maxQueueEntries: 8 * CALL, maxQueueBytes: 512 * 2 ** 20 },
  });
  const space = storage.space('index');
  // The service's own worker pool makes the index drafts, as it does for the service.
  const pool = await ServiceWorkers.open({ size: 2, policyOptions: { issuerKeys: [...options.issuerKeys] }, policyDigest: policyFromOptions({ issuerKeys: [...options.issuerKeys] }).digest });
  // The index's records are made and written in log order, as the index itself does: a block's
  // postings go with the write that completes the block.
  const postings = new PostingsBuffer();
  let writes: Promise<void> = Promise.resolve();
  let lastSay = performance.now();
  try {
    const inFlight: Promise<void>[] = [];
    for (let first = 0; first < size; first += CALL) {
      const entries = Array.from({ length: Math.min(CALL, size - first) }, (_, j) => entryOf(first + j));
      const drafted = log.appendMany(entries).then(async (results) => {
        if (results[0]!.index !== first || results.some((r) => r.duplicate)) throw new Error('the bulk loader expected a fresh log');
        const times = new Map<number, number>();
        for (const r of results) if (!times.has(r.treeSize)) times.set(r.treeSize, (await log.checkpoint(r.treeSize))!.timestamp);
        // Left out of the index, but for the block it is filling at the end: the index reads that
        // block's postings back from its entries' records when it opens.
        const from = options.skipIndex === true ? Math.max(0, blockOf(size) - first) : 0;
        if (from >= entries.length) return undefined;
        return { from, drafts: await pool.indexDrafts(entries.slice(from)), times: results.slice(from).map((r) => times.get(r.treeSize)!) };
      });
      // Awaited in its turn in the chain below; until then its rejection must not count as unhandled.
      drafted.catch(() => {});
      writes = writes.then(async () => {
        const made = await drafted;
        if (made === undefined) return;
        const puts: KeyValue[] = [];
        made.drafts.forEach((draft, i) => postings.add(placeDraft(draft, first + made.from + i, made.times[i]!), puts));
        await space.write({ puts });
        postings.written(first + entries.length);
      });
      inFlight.push(writes);
      if (inFlight.length >= 4) await inFlight.shift();
      if (performance.now() - lastSay > 15_000) {
        lastSay = performance.now();
        options.log(`pre-filling: ${first + entries.length} entries appended`);
      }
    }
    await writes;
    // The index's state: caught up to the log, at the log's root (EntryIndex.open checks it).
    await space.write({ puts: [[STATE_KEY, encodeState({ format: INDEX_FORMAT, size, rootHash: await log.rootAt(size) })]] });
    const index = await EntryIndex.open({ log, space });
    if (index.rebuilt !== undefined || index.size !== size) throw new Error(`the pre-filled index was not taken as it is (${index.rebuilt ?? index.size})`);
    await index.close();
  } finally {
    await pool.close();
    await log.close();
  }
  return {
    seconds: (performance.now() - started) / 1000,
    how: `MerkleLog.appendMany from ${TEMPLATES} signed templates, ${options.skipIndex === true ? 'left out of the entry index (--skip-index) but for the entries of its last, unfinished block of postings' : "index records made by the service's worker threads and written directly"}`,
  };
}
