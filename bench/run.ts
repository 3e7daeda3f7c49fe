// `npm run bench`: every figure next to the raw crypto ceiling measured in the same run.
import { cpus } from 'node:os';
import { benchAppraisal } from './appraisal.js';
import { benchCose } from './cose.js';
import { benchCorrelation } from './correlation.js';
import { benchIngest } from './ingest.js';
import { benchLog } from './log.js';
import { benchPeers } from './peers.js';
import { benchPrivacy } from './privacy.js';
import { benchOptions, type Figure, formatFigure, sha256Ceiling } from './measure.js';

const { values } = benchOptions('bench', {
  options: {
    entries: { type: 'string', default: '1000000' },
    only: { type: 'string' },
  },
});
const only = values.only;
if (only !== undefined && !['log', 'cose', 'ingest', 'correlation', 'appraisal', 'privacy', 'peers'].includes(only)) {
  console.error('bench: --only takes log, cose, ingest, correlation, appraisal, privacy or peers');
  process.exit(2);
}
const entries = Number(values.entries);
if (!Number.isSafeInteger(entries) || entries < 100_000) {
  console.error('bench: --entries must be an integer of at least 100000');
  process.exit(2);
}

const say = (line: string) => console.error(`  ${line}`);
console.error(`atlog bench: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`);
const sha256 = sha256Ceiling(2);
say(`SHA-256 (65 B): ${sha256.toFixed(0)}/s`);

const figures: Figure[] = [{ name: 'SHA-256 of 65 B (the ceiling)', value: sha256, unit: 'ops/s', note: 'node:crypto hash(), one core' }];
if (only === undefined || only === 'log') figures.push(...(await benchLog({ entries, sha256, log: say })));
if (only === undefined || only === 'cose') figures.push(...benchCose(say));
if (only === undefined || only === 'ingest') figures.push(...(await benchIngest({ log: say })));
if (only === undefined || only === 'correlation') figures.push(...benchCorrelation({ log: say }));
if (only === undefined || only === 'appraisal') figures.push(...(await benchAppraisal({ actions: 100_000, log: say })));
if (only === undefined || only === 'privacy') figures.push(...(await benchPrivacy({ records: entries, log: say })));
if (only === undefined || only === 'peers') figures.push(...(await benchPeers({ log: say })));

console.log('| figure | value | ratio | conditions |');
console.log('|---|---|---|---|');
for (const f of figures) console.log(formatFigure(f));
