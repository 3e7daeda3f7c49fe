// A registration's work, piece by piece, on this thread, each in CPU time beside the ES256 check
// of the same statements (the ceiling, measured in the same run): where the load benchmark's
// microseconds per registration go, without HTTP and without the machine's other tenants. The
// storage pieces run against a real LevelDB, fsync on, and count every thread of the process
// (LevelDB writes and compacts on its own), per entry of batches of the service's size.
import { generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryDraft, placeDraft, PostingsBuffer } from '../index/index.js';
import { ed25519NoteSigner, type KeyValue, LevelDbStorage, MerkleLog, noteCheckpointSigner } from '../log/index.js';
import { encodeSigStructure, parseStatement, registeredFromDecoded, registeredFromSign1, registeredStatement } from '../receipts/index.js';
import { createPolicy, parseAgentPayload } from '../statements/index.js';
import { makeAgents, signExecAudit } from './load/workload.js';
import { cpuClock, type Figure, median, rate } from './measure.js';

const STATEMENTS = 2048;
/** Entries per storage batch: about what the sequencer integrates at a few thousand a second. */
const BATCH = 128;
const STORAGE_BATCHES = 200;

export async function benchIngest(options: { readonly log: (line: string) => void }): Promise<Figure[]> {
  const { log } = options;
  const agents = makeAgents(32);
  const statements = Array.from({ length: STATEMENTS }, (_, i) => signExecAudit(agents[i % agents.length]!, Math.floor(i / agents.length), 'bench-ingest'));
  const policy = createPolicy({ issuerKeys: agents.map((agent) => agent.publicKey) });
  const admissions = statements.map((statement) => policy.admit(statement));
  const admitted = admissions.map((admission) => admission.statement);
  const entries = admitted.map((statement) => registeredFromSign1(statement.sign1));
  const drafts = entries.map((entry, i) => entryDraft(entry, admitted[i], admissions[i]!.agentPayload));
  const bytes = statements.reduce((sum, s) => sum + s.length, 0) / STATEMENTS;

  // The ceiling: node:crypto's ES256 verify of each statement's own Sig_structure.
  const checks = admitted.map((statement, i) => {
    const sign1 = statement.sign1;
    return { data: encodeSigStructure(sign1.protectedBytes, sign1.payload!), signature: sign1.signature, key: agents[i % agents.length]!.publicKey };
  });
  let n = 0;
  const ceilingOp = () => {
    const c = checks[n++ % STATEMENTS]!;
    verify('sha256', c.data, { key: c.key, dsaEncoding: 'ieee-p1363' }, c.signature);
  };
  const pieces: [string, () => void, string][] = [
    ['policy.admit (whole decision)', () => policy.admit(statements[n++ % STATEMENTS]!), 'strict decode, issuer by kid, ES256, agent-statements check: what the worker does per statement'],
    [
      'parseAgentPayload',
      () => parseAgentPayload('exec-audit', new Uint8Array(admitted[n++ % STATEMENTS]!.payload!)),
      "the payload check's parse: strict JSON, the schema and the rules, the value frozen (of a fresh copy of the bytes, as every admission reads its own)",
    ],
    ['parseStatement', () => parseStatement(statements[n++ % STATEMENTS]!), 'strict CBOR decode of the COSE_Sign1 and the SCITT header checks'],
    [
      'registeredFromDecoded',
      () => registeredFromDecoded(statements[n % STATEMENTS]!, admitted[n++ % STATEMENTS]!.sign1),
      'the log entry from the policy’s decode: the statement itself, already in registered form (tagged, unprotected header empty)',
    ],
    ['registeredFromSign1', () => registeredFromSign1(admitted[n++ % STATEMENTS]!.sign1), 'the log entry re-encoded: what a statement with an unprotected header costs'],
    // From the policy's parses of the statement and of its payload, as the worker drafts.
    [
      'entryDraft (payload handed over)',
      () => entryDraft(entries[n % STATEMENTS]!, admitted[n % STATEMENTS], admissions[n++ % STATEMENTS]!.agentPayload),
      "the entry index's records but for the entry's place, from the policy's parse of the statement and of its payload (Admission.agentPayload)",
    ],
    ['placeDraft', () => placeDraft(drafts[n % STATEMENTS]!, n++, 1_767_225_600_000), "a draft completed with its place: the entry's record and its postings' keys"],
  ];
  const figures: Figure[] = [];
  const ceilings: number[] = [];
  for (const [name, op, note] of pieces) {
    const ratios: number[] = [];
    const rates: number[] = [];
    for (let round = 0; round < 5; round++) {
      const c = rate(ceilingOp, 0.2, cpuClock);
      const s = rate(op, 0.2, cpuClock);
      ceilings.push(c);
      rates.push(s);
      ratios.push(c / s);
    }
    const perStatement = 1e6 / median(rates);
    log(`${name}: ${perStatement.toFixed(1)} µs, ${median(ratios).toFixed(2)} ES256 checks`);
    figures.push({ name: `ingest: ${name}`, value: median(rates), unit: 'ops/s', ratio: { of: 'ES256 checks of CPU per statement', value: median(ratios) }, note: `${note}; ${bytes.toFixed(0)} B statements` });
  }
  const ceiling = median(ceilings);
  figures.unshift({ name: 'ingest: ES256 verify (the ceiling)', value: ceiling, unit: 'ops/s', note: "node:crypto verify of each statement's own Sig_structure, one core, CPU time" });

  // Storage, all threads: the log's appends (leaf-index lookups and writes, entry chunks, tiles,
  // tree state, the checkpoint and its signature, each batch fsync'd) and the index's writes.
  const root = mkdtempSync(join(tmpdir(), 'atlog-bench-ingest-'));
  try {
    const storage = await LevelDbStorage.open(join(root, 'log'));
    const origin = 'atlog.bench/ingest';
    const merkleLog = await MerkleLog.open({ storage, signer: noteCheckpointSigner(origin, ed25519NoteSigner(origin, generateKeyPairSync('ed25519').privateKey)) });
    const space = storage.space('index');
    // Entries of their own (the log keeps one of each), signed before anything is timed.
    const fresh = Array.from({ length: BATCH * STORAGE_BATCHES }, (_, k) => registeredStatement(signExecAudit(agents[k % agents.length]!, 1000 + Math.floor(k / agents.length), 'bench-ingest')));
    const postings = new PostingsBuffer();
    let appendMs = 0;
    let indexMs = 0;
    for (let b = 0; b < STORAGE_BATCHES; b++) {
      const batch = fresh.slice(b * BATCH, (b + 1) * BATCH);
      let start = cpuClock();
      const results = await merkleLog.appendMany(batch);
      appendMs += cpuClock() - start;
      const puts: KeyValue[] = [];
      const batchDrafts = batch.map((entry) => entryDraft(entry));
      start = cpuClock();
      results.forEach((result, i) => postings.add(placeDraft(batchDrafts[i]!, result.index, 1_767_225_600_000), puts));
      await space.write({ puts });
      postings.written(results.at(-1)!.index + 1);
      indexMs += cpuClock() - start;
    }
    const count = BATCH * STORAGE_BATCHES;
    const appendUs = (appendMs * 1000) / count;
    const indexUs = (indexMs * 1000) / count;
    const ceilingUs = 1e6 / ceiling;
    log(`log appends: ${appendUs.toFixed(1)} µs an entry; index records completed and written: ${indexUs.toFixed(1)} µs (${count} entries, batches of ${BATCH})`);
    figures.push(
      { name: 'ingest: MerkleLog.appendMany, per entry', value: 1e6 / appendUs, unit: 'ops/s', ratio: { of: 'ES256 checks of CPU per entry', value: appendUs / ceilingUs }, note: `every thread: leaf-index lookups, the fsync'd integration (leaf index, entry chunk, tiles, tree state), the signed checkpoint; batches of ${BATCH}, real LevelDB` },
      { name: "ingest: the index's records, per entry", value: 1e6 / indexUs, unit: 'ops/s', ratio: { of: 'ES256 checks of CPU per entry', value: indexUs / ceilingUs }, note: `every thread: drafts completed and written in one fsync'd batch of ${BATCH} entries: each entry's record, and a block's postings with the batch that completes it` },
    );
    await merkleLog.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return figures;
}
