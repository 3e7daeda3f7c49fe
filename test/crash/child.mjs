// A log writer for the crash test: appends as fast as it can, many submissions in flight, and
// prints one line per acknowledgement the moment it gets it. The parent SIGKILLs it at random.
// Plain JavaScript over the built log (dist/), so that it runs under bare Node.
import { createPrivateKey, randomBytes } from 'node:crypto';
import { writeSync } from 'node:fs';
import { ed25519NoteSigner, LevelDbStorage, MerkleLog, noteCheckpointSigner } from '../../dist/log/index.js';

const [dir, origin] = process.argv.slice(2);
const key = createPrivateKey(process.env.ATLOG_CRASH_KEY);
const maxBatchSize = Number(process.env.ATLOG_CRASH_BATCH);
const inFlight = 64;

// process.stdout is asynchronous for pipes: write synchronously, so that a line is in the pipe
// before the acknowledgement can be followed by the kill.
const say = (line) => writeSync(1, `${line}\n`);

const storage = await LevelDbStorage.open(dir);
const log = await MerkleLog.open({
  storage,
  signer: noteCheckpointSigner(origin, ed25519NoteSigner(origin, key)),
  sequencer: { maxBatchSize },
});
say(`ready ${log.size}`);

const acked = [];
let next = 0;
async function worker() {
  for (;;) {
    // Now and then resubmit an acknowledged entry: it must come back at the same index.
    if (acked.length > 0 && next % 17 === 0) {
      const [entry, index] = acked[next % acked.length];
      next++;
      const again = await log.append(entry);
      if (again.index !== index || !again.duplicate) {
        say(`error duplicate of ${index} came back at ${again.index}`);
        process.exit(3);
      }
      continue;
    }
    const entry = new Uint8Array(Buffer.concat([Buffer.from(`${process.pid}-${next++}-`), randomBytes(16 + (next % 200))]));
    const result = await log.append(entry);
    acked.push([entry, result.index]);
    say(`ack ${result.index} ${result.treeSize} ${Buffer.from(result.leafHash).toString('hex')}`);
  }
}
await Promise.all(Array.from({ length: inFlight }, worker));
