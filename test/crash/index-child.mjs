// A log writer with the entry index following it, for the index crash test: appends signed
// agent statements as fast as it can, with small index batches so that kills land between and
// during them. The parent SIGKILLs it at random. Plain JavaScript over the built code (dist/).
import { createPrivateKey } from 'node:crypto';
import { writeSync } from 'node:fs';
import { EntryIndex } from '../../dist/index/index.js';
import { ed25519NoteSigner, LevelDbStorage, MerkleLog, noteCheckpointSigner } from '../../dist/log/index.js';
import { registeredStatement, signStatement } from '../../dist/receipts/index.js';

const [dir, origin, batch] = process.argv.slice(2);
const checkpointKey = createPrivateKey(process.env.ATLOG_CRASH_KEY);
const issuerKey = createPrivateKey(process.env.ATLOG_CRASH_ISSUER_KEY);
const say = (line) => writeSync(1, `${line}\n`);

const storage = await LevelDbStorage.open(dir);
const log = await MerkleLog.open({ storage, signer: noteCheckpointSigner(origin, ed25519NoteSigner(origin, checkpointKey)) });
const index = await EntryIndex.open({ log, space: storage.space('index'), batchEntries: Number(batch) });
say(`ready ${log.size} ${index.size}`);

let next = 0;
function statement() {
  const i = next++;
  const agent = `spiffe://d${i % 3}.example/agent/${i % 7}`;
  const payload = {
    profile: 'tag:atlog.dev,2026:exec-audit/v1',
    jti: `${process.pid}-${i}`,
    iss: 'https://crash.example',
    iat: 1_767_225_600 + i,
    domain: `d${i % 3}.example`,
    agent: { id: agent },
    wid: `wf-${i % 11}`,
    par: i % 11 === 0 ? [] : [`${process.pid}-${i - 1}`],
    exec_act: i % 2 === 0 ? 'tool:sql.query' : 'payments.transfer',
    start: new Date((1_767_225_600 + i) * 1000).toISOString(),
    end: new Date((1_767_225_600 + i) * 1000).toISOString(),
    outcome: { status: 'ok' },
    authority: {},
    corr: {},
    dp: { units: { agent: 'hmac-sha256:qfcOAiJwJEY2S7fnvTTfxkkelVRUTfa2OtqwfaOVDLc' }, dims: { n: i % 4 } },
  };
  return registeredStatement(
    signStatement({
      key: issuerKey,
      iss: payload.iss,
      sub: agent,
      contentType: 'application/vnd.atlog.exec-audit+json',
      payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
}

async function worker() {
  for (;;) {
    const result = await log.append(statement());
    say(`ack ${result.index}`);
  }
}
await Promise.all(Array.from({ length: 32 }, worker));
