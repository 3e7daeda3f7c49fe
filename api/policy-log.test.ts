// SCITT: the registration policy must itself be transparent. The service logs it, signed, when it
// first runs under it and again only when it changes; an auditor can verify what it logged.
import { describe, expect, it } from 'vitest';
import { CoseAlgorithm, coseKeyFromKeyObject, generateKeyPair, parseStatement, verifyStatementSignature } from '../receipts/index.js';
import { createPolicy } from '../statements/index.js';
import { tempDir } from '../test/support/log.js';
import { verifyTransparentStatement } from '../verifier/index.js';
import { loadServiceKeys, silentLogger, TransparencyService } from './index.js';

const agentA = generateKeyPair(CoseAlgorithm.ES256);
const agentB = generateKeyPair(CoseAlgorithm.EdDSA);

async function open(dataDir: string, policy: ReturnType<typeof createPolicy>): Promise<TransparencyService> {
  return TransparencyService.open({
    dataDir,
    keys: loadServiceKeys({ dataDir }),
    issuer: 'https://atlog.test',
    origin: 'atlog.test/log',
    policy,
    logger: silentLogger(),
  });
}

describe('the registration policy in the log', () => {
  it('is logged, signed, when it first applies, and again only when it changes', async () => {
    const dataDir = tempDir();
    const policyA = createPolicy({ issuerKeys: [agentA.publicKey] });
    let service = await open(dataDir, policyA);
    expect(service.log.size).toBe(1);
    const first = service.policyEntryId;
    const statement = parseStatement(await service.log.entry(0));
    expect(statement).toMatchObject({ iss: 'https://atlog.test', sub: 'registration-policy', contentType: 'application/vnd.atlog.registration-policy+json' });
    const described = JSON.parse(new TextDecoder().decode(statement.payload!));
    expect(described).toEqual(JSON.parse(JSON.stringify(policyA.description)));
    verifyStatementSignature(statement, loadServiceKeys({ dataDir }).receiptKey);
    await service.close();

    service = await open(dataDir, createPolicy({ issuerKeys: [agentA.publicKey] }));
    expect(service.log.size).toBe(1);
    expect(service.policyEntryId).toBe(first);
    await service.close();

    const policyB = createPolicy({ issuerKeys: [agentA.publicKey, agentB.publicKey] });
    expect(policyB.digest).not.toBe(policyA.digest);
    service = await open(dataDir, policyB);
    expect(service.log.size).toBe(2);
    expect(service.policyEntryId).not.toBe(first);
    // An auditor verifies the policy statement as any other: its receipt under the service's keys.
    const transparent = (await service.transparentStatement(service.policyEntryId))!;
    const serviceKey = coseKeyFromKeyObject(loadServiceKeys({ dataDir }).receiptKey);
    const verdict = verifyTransparentStatement(transparent, { serviceKeys: [serviceKey], issuer: { keys: [serviceKey] } });
    expect(verdict.failures).toEqual([]);
    expect(verdict.receipts[0]).toMatchObject({ status: 'verified', leafIndex: 1, treeSize: 2 });
    await service.close();
  });
});
