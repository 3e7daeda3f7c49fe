// A service making privacy reports as fast as it can, for the privacy crash test: four releases
// in flight at all times (three for a regulator with room to spend, one for a regulator that soon
// has none), one line per answer the moment it is given. The parent SIGKILLs it at random.
// Plain JavaScript over the built code (dist/).
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { writeSync } from 'node:fs';
import { loadServiceKeys, silentLogger, TransparencyService } from '../../dist/api/index.js';
import { parsePrivacyConfig } from '../../dist/privacy/index.js';
import { signStatement } from '../../dist/receipts/index.js';
import { createPolicy } from '../../dist/statements/index.js';

const [dataDir] = process.argv.slice(2);
const issuerKey = createPrivateKey(process.env.ATLOG_PRIVACY_ISSUER_KEY);
// Synchronous: the line is in the pipe before the kill can follow the answer.
const say = (line) => writeSync(1, `${line}\n`);

const SERVICE = {
  issuer: 'https://privacy-crash.test',
  origin: 'privacy-crash.test/log',
};

const service = await TransparencyService.open({
  dataDir,
  keys: loadServiceKeys({ dataDir }),
  ...SERVICE,
  policy: createPolicy({ issuerKeys: [createPublicKey(issuerKey)] }),
  logger: silentLogger(),
  privacy: parsePrivacyConfig(process.env.ATLOG_PRIVACY_CONFIG),
});

function statement(i) {
  const agent = `spiffe://d${i % 3}.example/agent/${i % 7}`;
  const iat = 1_767_225_600 + i;
  const payload = {
    profile: 'tag:atlog.dev,2026:exec-audit/v1',
    jti: `seed-${i}`,
    iss: 'https://crash.example',
    iat,
    domain: `d${i % 3}.example`,
    agent: { id: agent },
    wid: `wf-${i % 5}`,
    par: [],
    exec_act: 'tool:sql.query',
    start: new Date(iat * 1000).toISOString(),
    end: new Date(iat * 1000).toISOString(),
    outcome: { status: 'ok' },
    authority: {},
    corr: {},
    dp: { units: { agent: `hmac-sha256:${Buffer.alloc(32, i % 7).toString('base64url')}` }, dims: { n: i % 4 } },
  };
  return signStatement({
    key: issuerKey,
    iss: payload.iss,
    sub: agent,
    contentType: 'application/vnd.atlog.exec-audit+json',
    payload: new TextEncoder().encode(JSON.stringify(payload)),
  });
}

if (service.log.size < 10) await Promise.all(Array.from({ length: 30 }, (_, i) => service.register(statement(i))));
await service.index.caughtUp();
// What the last run left is settled before the first new charge.
await service.reports.recover();
say(`ready ${service.log.size}`);

const query = JSON.parse(process.env.ATLOG_PRIVACY_QUERY);
async function worker(regulator) {
  for (;;) {
    try {
      const report = await service.reports.release(regulator, query);
      say(`answer ${regulator} ${report.id} ${report.entryId}`);
    } catch (error) {
      if (error?.code !== 'BUDGET_EXHAUSTED') {
        say(`error ${error?.code} ${error?.message}`);
        process.exit(3);
      }
      say(`exhausted ${regulator}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
await Promise.all([worker('crash-regulator'), worker('crash-regulator'), worker('crash-regulator'), worker('tiny-regulator')]);
