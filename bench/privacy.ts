// Privacy reports over a large index: a count and a grouped sum over `records` indexed resource
// usage records (1M by default), through the real EntryIndex scan, contribution bounding and
// noise, in seconds.
//
// The bulk loader: registering a million signed statements would measure signing and the
// registration policy, not reports. So the log gets `records` placeholder entries (appended
// through the real sequencer, batch 1024), and the index records are written straight into the
// index's key space (the same keys and values the follower writes, index/keys.ts), with the
// index state naming the log's root at that size, so that EntryIndex.open accepts it as its own.
// The records are not derived from the entries: nothing here reads an entry's bytes.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryIndex, INDEX_FORMAT, type IndexedEntry, placedOf, PostingsBuffer } from '../index/index.js';
import { encodeState, STATE_KEY } from '../index/keys.js';
import { ed25519NoteSigner, type KeyValue, LevelDbStorage, MerkleLog, noteCheckpointSigner } from '../log/index.js';
import { computeRelease, cryptoRandom, noisePlan, planQuery, scanAggregates } from '../privacy/index.js';
import { type Figure, rateAsync } from './measure.js';

export interface PrivacyBenchOptions {
  readonly records: number;
  readonly log: (line: string) => void;
}

const DOMAINS = Array.from({ length: 8 }, (_, i) => `d${i}.example`);
const UNITS = 10_000;
const START = Date.UTC(2026, 0, 1);

/** The index record of the i-th synthetic resource usage record. */
function record(i: number): IndexedEntry {
  return {
    index: i,
    entryId: i.toString(16).padStart(64, '0'),
    registeredAt: START + i,
    time: START + i * 1000,
    type: 'resource-usage',
    payload: 'valid',
    iss: '',
    sub: '',
    domain: DOMAINS[i % DOMAINS.length]!,
    agents: [],
    par: [],
    links: [],
    refs: [],
    dims: { service: 'llm-inference', side: i % 2 === 0 ? 'consumer' : 'provider' },
    units: { agent: `hmac-sha256:${(i % UNITS).toString(36).padStart(43, 'a')}` },
    measurements: [
      { name: 'gen_ai.usage.input_tokens', value: (i * 7919) % 20_000, unit: '{token}' },
      { name: 'gen_ai.usage.output_tokens', value: (i * 104_729) % 4000, unit: '{token}' },
    ],
  };
}

async function load(dir: string, records: number, say: (line: string) => void): Promise<{ log: MerkleLog; index: EntryIndex }> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const origin = 'bench.atlog/privacy';
  const storage = await LevelDbStorage.open(dir);
  const log = await MerkleLog.open({
    storage,
    signer: noteCheckpointSigner(origin, ed25519NoteSigner(origin, privateKey)),
    sequencer: { maxBatchSize: 1024, maxQueueEntries: 8192 },
  });
  let started = performance.now();
  await rateAsync((i) => log.append(new TextEncoder().encode(`privacy-bench-${i}`)), records, 2048);
  say(`loaded ${records} placeholder entries into the log in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  started = performance.now();
  const space = storage.space('index');
  await space.clear();
  const postings = new PostingsBuffer();
  for (let first = 0; first < records; first += 10_000) {
    const puts: KeyValue[] = [];
    for (let i = first; i < Math.min(records, first + 10_000); i++) postings.add(placedOf(record(i)), puts);
    await space.write({ puts });
    postings.written(Math.min(records, first + 10_000));
  }
  await space.write({ puts: [[STATE_KEY, encodeState({ format: INDEX_FORMAT, size: records, rootHash: await log.rootAt(records) })]] });
  const index = await EntryIndex.open({ log, space });
  if (index.rebuilt !== undefined || index.size !== records) throw new Error(`the bench index was not taken as it is (${index.rebuilt ?? index.size})`);
  say(`wrote ${records} index records directly in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { log, index };
}

export async function benchPrivacy(options: PrivacyBenchOptions): Promise<Figure[]> {
  const { records, log: say } = options;
  const root = mkdtempSync(join(tmpdir(), 'atlog-bench-privacy-'));
  try {
    const { log, index } = await load(join(root, 'log'), records, say);
    const random = cryptoRandom();
    const count = planQuery({
      statistic: 'count',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      bounds: { max_partitions_contributed: 1, max_contributions_per_partition: 100 },
      epsilon: 1,
    });
    const sum = planQuery({
      statistic: 'sum',
      filter: { type: 'resource-usage' },
      privacy_unit: 'agent',
      group_by: [
        { key: 'domain', values: DOMAINS },
        { key: 'dim', name: 'side', values: ['consumer', 'provider'] },
      ],
      value: { measurement: 'gen_ai.usage.input_tokens', min: 0, max: 20_000 },
      bounds: { max_partitions_contributed: 4, max_contributions_per_partition: 100 },
      epsilon: 1,
    });
    const figures: Figure[] = [];
    for (const [name, plan] of [
      ['count', count],
      ['sum grouped by domain × side (16 partitions)', sum],
    ] as const) {
      const started = performance.now();
      const { aggregates, scanned } = await scanAggregates(index, plan, records, random);
      const { results } = computeRelease(plan, noisePlan(plan), aggregates, random);
      const seconds = (performance.now() - started) / 1000;
      if (scanned !== records || results.length === 0) throw new Error(`the ${name} read ${scanned} records`);
      say(`${name} over ${records} records: ${seconds.toFixed(2)} s`);
      figures.push({ name: `privacy report: ${name}`, value: seconds, unit: 'seconds', note: `${records} indexed resource-usage records, ${UNITS} units; index scan, bounding and noise (no signing)` });
    }
    await index.close();
    await log.close();
    return figures;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
