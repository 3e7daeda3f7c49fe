// EntryIndex.scan: every entry of a field's value below a size, in log order, filtered by type and
// time, each key read once; the same entries find() pages through.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LevelDbStorage, MerkleLog } from '../log/index.js';
import { registeredStatement, signStatement } from '../receipts/index.js';
import { execAuditPayload } from '../test/support/agent-statements.js';
import { tempDir, testSigner } from '../test/support/log.js';
import { EntryIndex, type IndexedEntry } from './index.js';

const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
let log: MerkleLog;
let index: EntryIndex;

afterAll(async () => {
  await index.close();
  await log.close();
});

/** Entries of two domains, interleaved, and now and then one of another type. */
function entry(i: number): Uint8Array {
  const domain = i % 3 === 0 ? 'b.example' : 'a.example';
  const payload = execAuditPayload({ jti: `t-${i}`, iss: 'https://a.example', iat: 1_767_225_600 + i, domain, agent: `spiffe://${domain}/agent/x`, wid: 'wf', par: [] });
  return registeredStatement(
    signStatement({ key, iss: 'https://a.example', sub: `spiffe://${domain}/agent/x`, contentType: i % 7 === 0 ? 'application/json' : 'application/vnd.atlog.exec-audit+json', payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
}

async function all(pages: AsyncIterable<readonly IndexedEntry[]>): Promise<{ indexes: number[]; sizes: number[] }> {
  const indexes: number[] = [];
  const sizes: number[] = [];
  for await (const page of pages) {
    sizes.push(page.length);
    indexes.push(...page.map((e) => e.index));
  }
  return { indexes, sizes };
}

describe('EntryIndex.scan', () => {
  it('gives every matching entry below a size once, in log order, in pages of at most the limit', async () => {
    const storage = await LevelDbStorage.open(join(tempDir('atlog-scan-'), 'log'));
    log = await MerkleLog.open({ storage, signer: testSigner() });
    for (let i = 0; i < 1200; i += 400) await Promise.all(Array.from({ length: 400 }, (_, j) => log.append(entry(i + j))));
    index = await EntryIndex.open({ log, space: storage.space('index') });
    await index.caughtUp();
    const expected = (test: (i: number) => boolean) => Array.from({ length: 1200 }, (_, i) => i).filter(test);

    const domainA = await all(index.scan('domain', 'a.example', { type: 'exec-audit', limit: 300 }));
    expect(domainA.indexes).toEqual(expected((i) => i % 3 !== 0 && i % 7 !== 0));
    expect(Math.max(...domainA.sizes)).toBeLessThanOrEqual(300);
    // Below a size, and in a time window (from inclusive, to exclusive).
    const window = await all(index.scan('type', 'exec-audit', { below: 1000, from: (1_767_225_600 + 100) * 1000, to: (1_767_225_600 + 1100) * 1000 }));
    expect(window.indexes).toEqual(expected((i) => i % 7 !== 0 && i >= 100 && i < 1000));
    // The same entries find() pages through.
    const paged: number[] = [];
    for (let after: number | undefined; ; ) {
      const page = await index.find('domain', 'a.example', { type: 'exec-audit', limit: 300, ...(after === undefined ? {} : { after }) });
      paged.push(...page.entries.map((e) => e.index));
      if (page.next === undefined) break;
      after = page.next;
    }
    expect(paged).toEqual(domainA.indexes);
    expect((await all(index.scan('domain', 'nowhere.example'))).indexes).toEqual([]);
    expect((await all(index.scan('domain', 'a.example', { below: 0 }))).indexes).toEqual([]);
    await expect(all(index.scan('domain', 'a.example', { below: -1 }))).rejects.toThrow(/below is a tree size/);
  }, 60_000);
});
