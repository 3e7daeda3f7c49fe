// A worker thread of the load generator that signs statements before the load starts: signing is
// not part of what is measured, but a few hundred thousand ES256 signatures take long enough on
// one core that both are used.
import { parentPort, workerData } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { type Agent, signExecAudit } from './workload.js';

export interface SignJob {
  readonly agents: readonly { id: string; domain: string; privateKey: KeyObject; publicKey: KeyObject }[];
  readonly seed: string;
  /** Statement numbers [from, to): statement k is the (k / agents)-th of agent k % agents. */
  readonly from: number;
  readonly to: number;
}

const job = workerData as SignJob;
const agents = job.agents as readonly Agent[];
const out: Uint8Array[] = [];
for (let k = job.from; k < job.to; k++) out.push(signExecAudit(agents[k % agents.length]!, Math.floor(k / agents.length), job.seed));
// Cloned, not transferred: an encoder may hand out views of one shared buffer.
parentPort!.postMessage(out);
