// atlog reindex with the real binary on a real data directory: it rebuilds exactly the index the
// service's follower wrote, refuses to touch a log a running service holds, and says so when there
// is no log at all.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TransparencyService } from '../api/index.js';
import { LevelDbStorage } from '../log/index.js';
import { CoseAlgorithm, generateKeyPair, signStatement } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { expectOneLineError, requireBuiltCli, runAtlog } from '../test/support/cli.js';
import { tempDir } from '../test/support/log.js';
import { openTestService } from '../test/support/service.js';

const issuer = generateKeyPair(CoseAlgorithm.ES256);
const work = tempDir('atlog-reindex-');

beforeAll(() => requireBuiltCli());

const openService = (dataDir: string): Promise<TransparencyService> => openTestService({ dataDir, policy: createPolicy({ issuerKeys: [issuer.publicKey] }) });

const statement = (n: number) =>
  signStatement({
    key: issuer.privateKey,
    iss: 'https://a.example',
    sub: `s-${n}`,
    contentType: 'application/json',
    payload: new TextEncoder().encode(JSON.stringify({ n })),
  });

async function dumpIndex(dataDir: string): Promise<string[]> {
  const storage = await LevelDbStorage.open(join(dataDir, 'log'));
  try {
    return (await storage.space('index').range({ limit: 1_000_000 })).map(([k, v]) => `${Buffer.from(k).toString('hex')}=${Buffer.from(v).toString('hex')}`);
  } finally {
    await storage.close();
  }
}

describe('atlog reindex', () => {
  it('rebuilds byte for byte what the running service indexed', async () => {
    const dataDir = join(work, 'data');
    const service = await openService(dataDir);
    for (let i = 0; i < 25; i++) await service.register(statement(i));
    await service.index.caughtUp();
    const size = service.log.size;

    // While the service runs, the log is locked: reindex refuses and changes nothing.
    const locked = await runAtlog(['reindex', '--data', dataDir], { cwd: work });
    expectOneLineError(locked, 1, /in use by a running service; stop it first$/, { stdoutEmpty: true });
    await service.close();

    const before = await dumpIndex(dataDir);
    expect(before.length).toBeGreaterThan(size);
    const run = await runAtlog(['reindex', '--data', 'data'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^reindexed ${size} entries \\(tree size ${size}\\) in [0-9.]+ s\\n$`));
    expect(await dumpIndex(dataDir)).toEqual(before);

    // And the service opens it as its own.
    const again = await openService(dataDir);
    expect(again.index.rebuilt).toBeUndefined();
    expect(again.index.size).toBe(size);
    await again.close();
  });

  it('says there is no log rather than creating one', async () => {
    mkdirSync(join(work, 'empty'));
    expectOneLineError(await runAtlog(['reindex', '--data', 'empty'], { cwd: work }), 1, /empty: no log here/, { stdoutEmpty: true });
    expectOneLineError(await runAtlog(['reindex', '--data', 'missing'], { cwd: work }), 1, /missing: no log here/, { stdoutEmpty: true });
  });
});
