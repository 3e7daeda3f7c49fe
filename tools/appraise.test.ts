// atlog appraise with the real binary against a running service: an operator's appraisal printed
// and written as a transparent statement; its replay from the log (from the file, or by entry id)
// identical, exit 0; a validly signed result that the log does not bear out, different, exit 1;
// and the usage and refusal errors as one line.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccessToken, accessTokenHash, generateAccessToken, loadServiceKeys, type RunningServer, silentLogger, startServer, TransparencyService } from '../api/index.js';
import { APPRAISAL_RESULT_MEDIA_TYPE, appraiseLog, encodeResult } from '../appraisal/index.js';
import { attachReceipts, coseKeyFromKeyObject, encodeCoseKeySet } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { AGENT, MIN, Scenario, T0 } from '../test/support/appraisal-scenarios.js';
import { expectOneLineError, outputLines, requireBuiltCli, runAtlog } from '../test/support/cli.js';
import { tempDir } from '../test/support/log.js';
import { fromHex } from '../util/index.js';
import { writeFileSync } from 'node:fs';

const work = tempDir('atlog-appraise-cli-');
const operator = generateAccessToken();
const regulator = generateAccessToken();
const tokens: AccessToken[] = [
  { name: 'ops', role: 'operator', sha256: fromHex(accessTokenHash(operator))! },
  { name: 'reg', role: 'regulator', sha256: fromHex(accessTokenHash(regulator))! },
];
const scenario = new Scenario();
let server: RunningServer;
let service: TransparencyService;

beforeAll(async () => {
  requireBuiltCli();
  const dataDir = join(work, 'data');
  server = await startServer(
    ({ url }) =>
      TransparencyService.open({
        dataDir,
        keys: loadServiceKeys({ dataDir }),
        issuer: url,
        origin: 'appraise.test/log',
        policy: createPolicy({ issuerKeys: [scenario.key.publicKey], agentStatements: { profileAuthorities: [{ iss: scenario.iss, agents: ['spiffe://shop.example/*'] }] } }),
        logger: silentLogger(),
        accessTokens: tokens,
      }),
    { port: 0, hostname: '127.0.0.1', logger: silentLogger() },
  );
  service = await server.opened;
  scenario.profile({ denied_actions: [{ action: 'tool:shell.*' }] });
  scenario.action(T0);
  scenario.action(T0 + MIN, { action: 'tool:shell.exec' });
  for (const entry of scenario.entries) expect((await service.register(entry.statement)).status).toBe('registered');
  await service.index.caughtUp();
}, 60_000);

afterAll(async () => {
  await server.close();
});

describe('atlog appraise', () => {
  it('appraises an agent, prints the verdict, writes the signed result; the replay is identical', async () => {
    const run = await runAtlog(['appraise', AGENT, '--url', server.url, '--token', operator, '-o', 'result.cose'], { cwd: work });
    expect(run.code, run.stderr).toBe(0);
    const lines = outputLines(run.stdout);
    expect(lines[0]).toMatch(new RegExp(`^appraised ${AGENT.replaceAll('.', '\\.')} at tree size 4: contraindicated; entry [0-9a-f]{64} \\(index 4\\)$`));
    expect(lines[1]).toBe('  vector: instance-identity 2, configuration 96, executables 0, sourced-data 2');
    expect(lines[2]).toMatch(/^ {2}profiles: urn:test:profile:clerk#1@[0-9a-f]{64}$/);
    expect(lines[3]).toMatch(/^ {2}contraindicated denied_action \/denied_actions\/0: tool:shell\.exec is denied \(tool:shell\.\*\); outcome ok \(evidence [0-9a-f]{12}\)$/);
    expect(lines.at(-1)).toMatch(/^wrote result\.cose \(\d+ bytes\)$/);

    const replayed = await runAtlog(['appraise', '--replay', 'result.cose', '--url', server.url], { cwd: work });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.stdout).toMatch(/^identical: the appraisal of spiffe:\/\/shop\.example\/agent\/clerk \(entry index 4\) recomputed from the log's 4 entries, checked against the checkpoint of size 5: contraindicated, 1 finding\n$/);

    // By entry id, with the keys given, and as JSON.
    const entryId = /entry ([0-9a-f]{64})/.exec(lines[0]!)![1]!;
    writeFileSync(join(work, 'keys.cbor'), service.keySet());
    const byId = await runAtlog(['appraise', '--replay', entryId, '--url', server.url, '--service-keys', 'keys.cbor', '--json'], { cwd: work });
    expect(byId.code, byId.stderr).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ identical: true, agent: AGENT, treeSize: 4, status: 'contraindicated', findings: 1, differences: [] });
  }, 90_000);

  it('says how a signed result differs from what the log shows, exit 1', async () => {
    // A result the service signed and logged, but not computed from this log: an affirming
    // verdict (the log as it was before the denied action) claiming the current tree size.
    const early = appraiseLog(scenario.entries.slice(0, 2).map((e) => e.bytes), { agent: AGENT, iat: 1_767_300_000 });
    const forged = { ...early, 'x-atlog.tree_size': service.log.size };
    const own = await service.registerOwnStatement({ contentType: APPRAISAL_RESULT_MEDIA_TYPE, sub: AGENT, payload: encodeResult(forged) });
    writeFileSync(join(work, 'forged.cose'), attachReceipts(own.statement, [own.receipt]));
    const run = await runAtlog(['appraise', '--replay', 'forged.cose', '--url', server.url], { cwd: work });
    expect(run.code, run.stderr).toBe(1);
    const lines = outputLines(run.stdout);
    expect(lines[0]).toMatch(/^different: the appraisal of spiffe:\/\/shop\.example\/agent\/clerk \(entry index \d+\) recomputed from the log's \d+ entries differs \(logged ≠ recomputed\):$/);
    expect(lines).toContain('  /ear_status: "affirming" ≠ "contraindicated"');
    expect(lines.some((l) => l.startsWith('  /submods/spiffe:~1~1shop.example~1agent~1clerk/x-atlog.findings/0: (absent) ≠ {"kind":"denied_action"'))).toBe(true);

    // Keys that did not sign it: the result does not verify, nothing is replayed.
    writeFileSync(join(work, 'other-keys.cbor'), encodeCoseKeySet([coseKeyFromKeyObject(scenario.key.publicKey)]));
    const untrusted = await runAtlog(['appraise', '--replay', 'forged.cose', '--url', server.url, '--service-keys', 'other-keys.cbor'], { cwd: work });
    expectOneLineError(untrusted, 1, /^atlog: --replay forged\.cose does not verify: /);
  }, 90_000);

  it('reports usage errors (exit 2) and refusals (exit 1) as one line', async () => {
    expectOneLineError(await runAtlog(['appraise', '--url', server.url, '--token', operator], { cwd: work }), 2, /give the AGENT to appraise, or --replay RESULT/);
    expectOneLineError(await runAtlog(['appraise', AGENT, '--url', server.url], { cwd: work }), 2, /needs an operator token/);
    expectOneLineError(await runAtlog(['appraise', AGENT, '--url', server.url, '--replay', 'result.cose'], { cwd: work }), 2, /--replay takes a result/);
    expectOneLineError(await runAtlog(['appraise', AGENT, '--url', server.url, '--token', regulator], { cwd: work }), 1, /^atlog: appraisal refused \(403 Forbidden\): this route is for operators/);
    expectOneLineError(await runAtlog(['appraise', 'not-an-agent', '--url', server.url, '--token', operator], { cwd: work }), 1, /^atlog: appraisal refused \(400 Malformed request\): the agent is its WIMSE or SPIFFE id/);
    expectOneLineError(await runAtlog(['appraise', '--replay', 'no-such-file', '--url', server.url], { cwd: work }), 1, /no-such-file/);
  }, 90_000);
});
