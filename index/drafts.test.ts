import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelDbStorage, MerkleLog } from '../log/index.js';
import { parseStatement, registeredFromSign1, registeredStatement, signStatement } from '../receipts/index.js';
import { type Admission, createPolicy } from '../statements/index.js';
import { execAuditPayload } from '../test/support/agent-statements.js';
import { tempDir, testSigner } from '../test/support/log.js';
import { ExpectedDrafts } from './drafts.js';
import { EntryIndex, entryDraft, IndexError, indexEntry, indexRecords, placeDraft, placedOf } from './index.js';
import { decodeEntry, entryKey, lookupsOf, valuePrefix } from './keys.js';
import { describeEntry, ENTRY_TYPE_CODES } from './records.js';

const root = tempDir('atlog-drafts-');
let counter = 0;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const AUDIT = 'application/vnd.atlog.exec-audit+json';
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hexRecords = (records: readonly (readonly [Uint8Array, Uint8Array])[]) => records.map(([k, v]) => [hex(k), hex(v)]);

function entry(i: number, options: { iat?: boolean } = {}): Uint8Array {
  const payload = execAuditPayload({
    jti: `task-${i}`,
    iss: 'https://a.example',
    iat: 1_767_225_600 + i,
    domain: 'a.example',
    agent: `spiffe://a.example/agent/${i % 3}`,
    wid: `wf-${i % 2}`,
    par: i === 0 ? [] : [`task-${i - 1}`],
    status: 'ok',
  });
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  return registeredStatement(
    signStatement({ key, iss: 'https://a.example', sub: `spiffe://a.example/agent/${i % 3}`, contentType: AUDIT, payload: bytes, ...(options.iat === false ? {} : { iat: 1_767_225_600 + i }) }),
  );
}

async function openLog() {
  const storage = await LevelDbStorage.open(join(root, `log-${counter++}`));
  const log = await MerkleLog.open({ storage, signer: testSigner() });
  closers.push(() => log.close());
  return { storage, log };
}

/** What the index must hold for the whole log: the records of each entry made on their own. */
async function expectedRecords(log: MerkleLog): Promise<string[][]> {
  const heads = await log.checkpoints(1, 1000);
  const entries = await log.entries(0, log.size);
  const times = entries.map((_, i) => heads.find((h) => h.size > i)!.timestamp);
  return hexRecords(indexRecords(entries.map((entry, i) => placeDraft(entryDraft(entry), i, times[i]!)))).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

async function storedRecords(storage: LevelDbStorage): Promise<string[][]> {
  return hexRecords((await storage.space('index').range({ limit: 100_000 })).filter(([k]) => k[0] !== 0x73));
}

describe('entry drafts', () => {
  it('complete to the record of the entry, with its place and registration time, and the keys it is found by', () => {
    for (const bytes of [entry(1), entry(2, { iat: false }), new Uint8Array([1, 2, 3])]) {
      const draft = entryDraft(bytes);
      const record = indexEntry(bytes, 77, 1_800_000_000_000);
      const placed = placeDraft(draft, 77, 1_800_000_000_000);
      expect(placed.index).toBe(77);
      expect(hex(placed.record[0])).toBe(hex(entryKey(77)));
      expect(decodeEntry(placed.record[1], 77)).toEqual(record);
      expect([placed.time, placed.typeCode]).toEqual([record.time, ENTRY_TYPE_CODES[record.type]]);
      // A key prefix per lookup.
      const prefixes = lookupsOf(record).flatMap(([field, value]) => {
        const prefix = valuePrefix(field, value);
        return prefix === undefined ? [] : [hex(prefix)];
      });
      expect(placed.prefixes.map(hex)).toEqual(prefixes);
      expect(prefixes.length).toBeGreaterThanOrEqual(bytes.length > 3 ? 6 : 1);
      // The same, made again from the record the index keeps.
      const again = placedOf(record);
      expect([hex(again.record[0]), hex(again.record[1]), again.time, again.typeCode, again.prefixes.map(hex)]).toEqual([
        hex(placed.record[0]),
        hex(placed.record[1]),
        placed.time,
        placed.typeCode,
        prefixes,
      ]);
    }
    // Without an issuer's time, the registration time is the entry's time.
    expect(decodeEntry(placeDraft(entryDraft(entry(2, { iat: false })), 0, 5).record[1], 0).time).toBe(1_767_225_602_000);
    expect(decodeEntry(placeDraft(entryDraft(new Uint8Array([9])), 0, 5).record[1], 0).time).toBe(5);
  });

  it('look an entry up once per field and value, however often a list repeats it', () => {
    const { description } = describeEntry(entry(5));
    const repeated = { ...description, agents: ['a', 'b', 'a'], par: ['p', 'p'], refs: [], iss: 'same', sub: 'same' };
    expect(lookupsOf(repeated)).toEqual([
      ['type', 'exec-audit'],
      ['issuer', 'same'],
      ['subject', 'same'],
      ['domain', 'a.example'],
      ['agent', 'a'],
      ['agent', 'b'],
      ['workflow', description.wid],
      ['task', description.tid],
      ['parent', 'p'],
      ['transaction', description.txn],
      ['trace', description.traceId],
    ].filter(([, value]) => value !== undefined));
  });

  it('are the same made from the admitted statement as from the entry', () => {
    const bytes = entry(3);
    expect(hex(entryDraft(bytes, parseStatement(bytes)))).toBe(hex(entryDraft(bytes)));
    // A statement with an unprotected header is not its entry: the entry is read instead.
    const signed = signStatement({
      key,
      iss: 'https://a.example',
      sub: 's',
      contentType: 'application/json',
      payload: new Uint8Array([0x7b, 0x7d]),
      unprotectedHeader: new Map([[-70_000, new Uint8Array([1])]]),
    });
    const admitted = parseStatement(signed);
    expect(admitted.sign1.unprotectedHeader.size).toBe(1);
    const registered = registeredFromSign1(admitted.sign1);
    expect(hex(entryDraft(registered, admitted))).toBe(hex(entryDraft(registered)));
  });

  it('are the same made from an admission, its payload handed over, as from the entry; the payload is taken as given', () => {
    const policy = createPolicy({ issuerKeys: [createPublicKey(key)] });
    const entries = [entry(5), entry(6)];
    const admissions = entries.map((bytes) => policy.admit(bytes));
    for (const [i, admission] of admissions.entries()) {
      expect(admission.agentPayload).toBeDefined();
      expect(hex(entryDraft(entries[i]!, admission.statement, admission.agentPayload))).toBe(hex(entryDraft(entries[i]!)));
    }
    // Not parsed again: another statement's payload handed over is what the draft says (hence the
    // rule that it is the admission's own).
    const [five, six] = admissions as [Admission, Admission];
    const crossed = describeEntry(registeredFromSign1(five.statement.sign1), five.statement, six.agentPayload).description;
    expect(crossed.tid).toBe('task-6');
    expect(describeEntry(registeredFromSign1(five.statement.sign1), five.statement, five.agentPayload).description.tid).toBe('task-5');
  });

  it('refuse a malformed draft with a typed error', () => {
    const draft = entryDraft(entry(4));
    const broken = [new Uint8Array(0), draft.subarray(0, 10), Uint8Array.of(9, ...draft.subarray(1)), draft.subarray(0, draft.length - 1)];
    const lying = draft.slice();
    lying[14] = 0xff; // a JSON length beyond the draft
    broken.push(lying);
    for (const bad of broken) {
      let thrown: unknown;
      try {
        placeDraft(bad, 0, 1);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(IndexError);
      expect((thrown as IndexError).code).toBe('INDEX_CORRUPT');
    }
  });

  it('are used by the index when expected, and made from the log for the others, to the same records', async () => {
    const { storage, log } = await openLog();
    const asked: Uint8Array[][] = [];
    const index = await EntryIndex.open({
      log,
      space: storage.space('index'),
      drafts: async (entries) => {
        asked.push([...entries]);
        return entries.map((e) => entryDraft(e));
      },
    });
    closers.push(() => index.close());
    const entries = Array.from({ length: 40 }, (_, i) => entry(i));
    const results = entries.map((bytes, i) => {
      const submission = log.submit(bytes);
      // Every third entry comes without a draft.
      if (i % 3 !== 0) index.expect(submission.leafHash, entryDraft(bytes));
      return submission.result;
    });
    await Promise.all(results);
    await index.caughtUp(40);
    expect(asked.flat().map(hex).sort()).toEqual(entries.filter((_, i) => i % 3 === 0).map(hex).sort());
    expect(await storedRecords(storage)).toEqual(await expectedRecords(log));
  });

  it('of entries already in the log are never used, and leave the index as it would be without them', async () => {
    const { storage, log } = await openLog();
    const index = await EntryIndex.open({ log, space: storage.space('index') });
    closers.push(() => index.close());
    const first = entry(0);
    await log.append(first);
    await index.caughtUp(1);
    // A resubmission: its draft waits for an entry the log will not append again.
    const again = log.submit(first);
    index.expect(again.leafHash, entryDraft(entry(99)));
    expect((await again.result).duplicate).toBe(true);
    await log.append(entry(1));
    await index.caughtUp(2);
    expect(log.size).toBe(2);
    expect(await storedRecords(storage)).toEqual(await expectedRecords(log));
  });
});

describe('ExpectedDrafts', () => {
  const hash = (n: number) => new Uint8Array(32).fill(n);

  it('hands a draft out once, as a copy of what it was given', () => {
    const drafts = new ExpectedDrafts();
    const draft = Uint8Array.of(1, 2, 3);
    drafts.put(hash(1), draft);
    draft[0] = 9;
    expect(drafts.take(hash(1))).toEqual(Uint8Array.of(1, 2, 3));
    expect(drafts.take(hash(1))).toBeUndefined();
    expect(drafts.size).toBe(0);
  });

  it('forgets the oldest beyond its count or its bytes', () => {
    const byCount = new ExpectedDrafts(3, 1000);
    for (let n = 0; n < 5; n++) byCount.put(hash(n), Uint8Array.of(n));
    expect([0, 1, 2, 3, 4].map((n) => byCount.take(hash(n))?.[0])).toEqual([undefined, undefined, 2, 3, 4]);
    const byBytes = new ExpectedDrafts(100, 10);
    for (let n = 0; n < 4; n++) byBytes.put(hash(n), new Uint8Array(4).fill(n));
    expect([0, 1, 2, 3].map((n) => byBytes.take(hash(n))?.[0])).toEqual([undefined, undefined, 2, 3]);
    // One larger than all the room is not kept, and pushes nothing out.
    byBytes.put(hash(5), Uint8Array.of(5));
    byBytes.put(hash(6), new Uint8Array(11));
    expect(byBytes.take(hash(6))).toBeUndefined();
    expect(byBytes.take(hash(5))).toEqual(Uint8Array.of(5));
  });

  it('keeps the latest draft given for an entry', () => {
    const drafts = new ExpectedDrafts(10, 100);
    drafts.put(hash(1), Uint8Array.of(1));
    drafts.put(hash(1), Uint8Array.of(2, 2));
    expect(drafts.size).toBe(1);
    expect(drafts.take(hash(1))).toEqual(Uint8Array.of(2, 2));
  });
});
