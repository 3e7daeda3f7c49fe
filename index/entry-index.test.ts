import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LevelDbStorage, MerkleLog } from '../log/index.js';
import { registeredStatement, signStatement } from '../receipts/index.js';
import { OVERRIDE_EVENT_EXAMPLE } from '../statements/index.js';
import { execAuditPayload, PSEUDONYM } from '../test/support/agent-statements.js';
import { tempDir, testSigner } from '../test/support/log.js';
import { EntryIndex, type IndexedEntry, IndexError, indexEntry } from './index.js';
import { encodeState, INDEX_FORMAT, STATE_KEY } from './keys.js';

const root = tempDir('atlog-index-');
let counter = 0;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

const key: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const AUDIT = 'application/vnd.atlog.exec-audit+json';

function statement(payload: object, contentType = AUDIT, extra: { iat?: number } = {}): Uint8Array {
  const p = payload as { iss?: string; agent?: { id?: string } };
  return registeredStatement(
    signStatement({
      key,
      iss: p.iss ?? 'https://a.example',
      sub: p.agent?.id ?? 'subject',
      contentType,
      payload: new TextEncoder().encode(JSON.stringify(payload)),
      ...extra,
    }),
  );
}

function audit(i: number, options: { agent?: string; wid?: string; par?: string[]; iat?: number } = {}) {
  return execAuditPayload({
    jti: `task-${i}`,
    iss: 'https://a.example',
    iat: options.iat ?? 1_767_225_600 + i,
    domain: 'a.example',
    agent: options.agent ?? 'spiffe://a.example/agent/planner',
    wid: options.wid ?? 'wf-1',
    par: options.par ?? (i === 0 ? [] : [`task-${i - 1}`]),
    status: i % 5 === 4 ? 'error' : 'ok',
    corr: { txn: 'txn-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    dims: { action_class: 'db.read' },
  });
}

async function openLog(dir = join(root, `log-${counter++}`)) {
  const storage = await LevelDbStorage.open(dir);
  const log = await MerkleLog.open({ storage, signer: testSigner() });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await log.close();
  };
  closers.push(close);
  return { dir, storage, log, close };
}

/** What a full scan of the log says the index must hold, computed without the index. */
async function scan(log: MerkleLog): Promise<IndexedEntry[]> {
  const heads = await log.checkpoints(1, 1000);
  const out: IndexedEntry[] = [];
  const entries = await log.entries(0, log.size);
  entries.forEach((entry, i) => {
    const head = heads.find((h) => h.size > i)!;
    out.push(indexEntry(entry, i, head.timestamp));
  });
  return out;
}

describe('the entry index', () => {
  it('indexes every entry as it is checkpointed, and finds it by agent, workflow, task, parent and type', async () => {
    const { log, storage } = await openLog();
    const index = await EntryIndex.open({ log, space: storage.space('index') });
    closers.push(() => index.close());
    for (let i = 0; i < 5; i++) await log.append(statement(audit(i)));
    await log.append(statement(audit(5, { agent: 'spiffe://b.example/agent/x', wid: 'wf-2', par: ['task-4'] })));
    await log.append(statement({ hello: 'world' }, 'application/json'));
    expect(await index.caughtUp()).toBe(7);

    const byAgent = await index.find('agent', 'spiffe://a.example/agent/planner');
    expect(byAgent.treeSize).toBe(7);
    expect(byAgent.entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    expect(byAgent.next).toBeUndefined();
    const first = byAgent.entries[0]!;
    expect(first).toMatchObject({
      type: 'exec-audit',
      payload: 'valid',
      iss: 'https://a.example',
      sub: 'spiffe://a.example/agent/planner',
      domain: 'a.example',
      wid: 'wf-1',
      tid: 'task-0',
      par: [],
      action: 'tool:sql.query',
      outcome: 'ok',
      txn: 'txn-1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      time: 1_767_225_600_000,
      dims: { action_class: 'db.read' },
      units: { agent: PSEUDONYM },
    });
    expect((await index.find('workflow', 'wf-2')).entries.map((e) => e.tid)).toEqual(['task-5']);
    expect((await index.find('parent', 'task-4')).entries.map((e) => e.tid)).toEqual(['task-5']);
    expect((await index.find('task', 'task-3')).entries.map((e) => e.index)).toEqual([3]);
    expect((await index.find('type', 'other')).entries.map((e) => e.index)).toEqual([6]);
    expect((await index.find('type', 'exec-audit')).entries.length).toBe(6);
    expect((await index.find('agent', 'spiffe://a.example/agent/plan')).entries).toEqual([]);
    expect((await index.entry(6))?.payload).toBe('opaque');
    expect(await index.entry(7)).toBeUndefined();
    // What it holds is exactly what a full scan of the log derives.
    const all = await Promise.all(Array.from({ length: 7 }, (_, i) => index.entry(i)));
    expect(all).toEqual(await scan(log));
  });

  it('filters by type and time, and pages with a cursor that survives appends', async () => {
    const { log, storage } = await openLog();
    const index = await EntryIndex.open({ log, space: storage.space('index') });
    closers.push(() => index.close());
    await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(statement(audit(i, { iat: 1000 + i })))));
    await index.caughtUp();
    const byTime = await index.find('workflow', 'wf-1', { from: 1_010_000, to: 1_020_000 });
    expect(byTime.entries.map((e) => e.time)).toEqual(Array.from({ length: 10 }, (_, i) => (1010 + i) * 1000));
    expect(byTime.entries.every((e, i, all) => i === 0 || all[i - 1]!.index < e.index)).toBe(true);
    expect((await index.find('workflow', 'wf-1', { type: 'resource-usage' })).entries).toEqual([]);

    const seen: number[] = [];
    let page = await index.find('workflow', 'wf-1', { limit: 7 });
    seen.push(...page.entries.map((e) => e.index));
    await log.append(statement(audit(99, { iat: 5000 })));
    await index.caughtUp();
    while (page.next !== undefined) {
      page = await index.find('workflow', 'wf-1', { limit: 7, after: page.next });
      seen.push(...page.entries.map((e) => e.index));
    }
    expect(seen).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(page.treeSize).toBe(31);
  });

  it('refuses a bad query with a typed error', async () => {
    const { log, storage } = await openLog();
    const index = await EntryIndex.open({ log, space: storage.space('index') });
    closers.push(() => index.close());
    for (const query of [{ limit: 0 }, { limit: 1001 }, { from: -1 }, { from: 10, to: 5 }, { after: -2 }, { type: 'nope' as never }, { limit: 1.5 }]) {
      await expect(index.find('agent', 'a', query)).rejects.toBeInstanceOf(IndexError);
    }
    await expect(index.find('nope' as never, 'a')).rejects.toMatchObject({ code: 'INDEX_BAD_QUERY' });
    await expect(index.entry(-1)).rejects.toMatchObject({ code: 'INDEX_BAD_QUERY' });
  });

  it('resumes where it stopped, and catches up with entries appended while it was closed', async () => {
    const opened = await openLog();
    let index = await EntryIndex.open({ log: opened.log, space: opened.storage.space('index'), batchEntries: 3 });
    for (let i = 0; i < 10; i++) await opened.log.append(statement(audit(i)));
    await index.caughtUp();
    await index.close();
    for (let i = 10; i < 20; i++) await opened.log.append(statement(audit(i)));
    await opened.close();

    const again = await openLog(opened.dir);
    index = await EntryIndex.open({ log: again.log, space: again.storage.space('index'), batchEntries: 3 });
    closers.push(() => index.close());
    expect(index.rebuilt).toBeUndefined();
    expect(index.size).toBeGreaterThanOrEqual(10);
    await index.caughtUp();
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => index.entry(i)));
    expect(all).toEqual(await scan(again.log));
  });

  it('drops and rebuilds an index of another format, of another log, or ahead of the log', async () => {
    const { log, storage } = await openLog();
    const space = storage.space('index');
    for (let i = 0; i < 4; i++) await log.append(statement(audit(i)));
    const cases: [Uint8Array, string][] = [
      [encodeState({ format: INDEX_FORMAT + 1, size: 2, rootHash: await log.rootAt(2) }), 'format'],
      [encodeState({ format: INDEX_FORMAT, size: 2, rootHash: new Uint8Array(32).fill(7) }), 'another-log'],
      [encodeState({ format: INDEX_FORMAT, size: 9, rootHash: new Uint8Array(32) }), 'ahead-of-log'],
      [Uint8Array.of(1, 2, 3), 'malformed'],
    ];
    for (const [state, reason] of cases) {
      await space.write({ puts: [[STATE_KEY, state], [Uint8Array.of(0x65, 0, 0, 0, 0, 0, 0, 0, 0), Uint8Array.of(0x7b)]] });
      const index = await EntryIndex.open({ log, space });
      expect(index.rebuilt).toBe(reason);
      await index.caughtUp();
      expect(await index.entry(0)).toEqual((await scan(log))[0]);
      await index.close();
    }
    // Records without a state: an interrupted rebuild.
    await space.write({ deletes: [STATE_KEY] });
    const index = await EntryIndex.open({ log, space });
    expect(index.rebuilt).toBe('interrupted');
    await index.close();
  });

  it('rebuilds from the log on demand to exactly what it held', async () => {
    const { log, storage } = await openLog();
    const space = storage.space('index');
    const index = await EntryIndex.open({ log, space });
    for (let i = 0; i < 12; i++) await log.append(statement(audit(i)));
    await index.caughtUp();
    const before = await space.range({ limit: 100_000 });
    await index.close();
    expect(await EntryIndex.rebuild({ log, space })).toBe(12);
    expect(await space.range({ limit: 100_000 })).toEqual(before);
  });
});

describe('index records', () => {
  it('reads a hash envelope, a non-JSON payload of a known type, and bytes that are no statement without throwing', () => {
    const envelope = registeredStatement(
      signStatement({ key, iss: 'https://a.example', sub: 's', payload: new Uint8Array([1, 2, 3]), hashEnvelope: { preimageContentType: AUDIT } }),
    );
    expect(indexEntry(envelope, 0, 5)).toMatchObject({ type: 'exec-audit', payload: 'envelope', time: 5, registeredAt: 5 });
    const broken = registeredStatement(signStatement({ key, iss: 'i', sub: 's', contentType: AUDIT, payload: new Uint8Array([0xff, 0x7b]) }));
    expect(indexEntry(broken, 1, 5)).toMatchObject({ type: 'exec-audit', payload: 'invalid' });
    const duplicate = registeredStatement(
      signStatement({ key, iss: 'i', sub: 's', contentType: AUDIT, payload: new TextEncoder().encode('{"a":1,"a":2}') }),
    );
    expect(indexEntry(duplicate, 2, 5).payload).toBe('invalid');
    expect(indexEntry(new Uint8Array([1, 2, 3]), 3, 5)).toMatchObject({ type: 'other', payload: 'opaque', iss: '', sub: '' });
    expect(indexEntry(statement({ a: 1 }, AUDIT, { iat: 77 }), 4, 5).time).toBe(77_000);
  });

  it('collects entry references wherever they are, and the agents an entry concerns', () => {
    const ref = (c: string) => c.repeat(64);
    const { operator: _operator, deadline: _deadline, ...issued } = OVERRIDE_EVENT_EXAMPLE;
    const override = {
      ...issued,
      jti: 'ov-1-acknowledged',
      iss: 'https://a.example',
      iat: 10,
      override_id: 'ov-1',
      phase: 'acknowledged',
      prev: ref('a'),
      agent: { id: 'spiffe://a.example/agent/1' },
      result: { ack_at: '1970-01-01T00:00:10Z', latency_ms: 300 },
      target: { agents: ['spiffe://a.example/agent/1', 'spiffe://a.example/agent/2'], scope: 'agent' },
      reason: { code: 'policy_violation', evidence: [ref('b')] },
      corr: { links: [{ rel: 'overrides', record: ref('d'), tid: 't-9' }] },
    };
    const record = indexEntry(statement(override, 'application/vnd.atlog.override-event+json'), 0, 1);
    expect(record).toMatchObject({ type: 'override-event', overrideId: 'ov-1', action: 'pause', level: 'mandatory', phase: 'acknowledged', time: 10_000 });
    expect(record.payload).toBe('valid');
    expect(record.agents).toEqual(['spiffe://a.example/agent/1', 'spiffe://a.example/agent/2']);
    expect(record.refs).toEqual([ref('a'), ref('b'), ref('d')]);
    expect(record.links).toEqual([{ rel: 'overrides', record: ref('d'), tid: 't-9' }]);
  });
});

describe('following the index', () => {
  it('tells listeners of each indexed size, and keeps indexing when one throws', async () => {
    const { log, storage } = await openLog();
    const index = await EntryIndex.open({ log, space: storage.space('index') });
    closers.push(() => index.close());
    const heard: number[] = [];
    index.onIndexed(() => {
      throw new Error('a broken follower');
    });
    const stop = index.onIndexed((size) => heard.push(size));
    await log.append(statement(audit(0)));
    await index.caughtUp();
    expect(heard.at(-1)).toBe(1);
    stop();
    await log.append(statement(audit(1)));
    expect(await index.caughtUp()).toBe(2);
    expect(heard.at(-1)).toBe(1);
  });
});
