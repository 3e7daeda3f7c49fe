// A worker thread of the service (workers.ts): it builds the registration policy from the same
// configuration files as the service, says which digest it got, then answers jobs. Everything it
// runs is a pure function of the bytes it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { entryDraft } from '../index/index.js';
import { registeredFromDecoded } from '../receipts/index.js';
import { PolicyError, policyFromOptions, type RegistrationPolicy } from '../statements/index.js';
import type { WorkerPolicyOptions } from './workers.js';
import { type AdmissionOutcome, packBytes, unpackBytes, type WorkerJob, type WorkerReply } from './worker-messages.js';

const port = parentPort!;
const { policyOptions } = workerData as { policyOptions: WorkerPolicyOptions };

let policy: RegistrationPolicy;
try {
  policy = policyFromOptions(policyOptions);
  port.postMessage({ type: 'ready', digest: policy.digest });
} catch (error) {
  port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

port.on('message', ({ id, job }: { id: number; job: WorkerJob }) => {
  const reply = answer(job);
  port.postMessage({ id, reply }, [reply.buffer]);
});

function answer(job: WorkerJob): WorkerReply {
  const parts = unpackBytes(job.buffer, job.offsets);
  if (job.type === 'drafts') {
    const { buffer, offsets } = packBytes(parts.map((entry) => entryDraft(entry)));
    return { type: 'drafts', buffer, offsets };
  }
  const outcomes: AdmissionOutcome[] = [];
  const entries: Uint8Array[] = [];
  for (let i = 0; i < parts.length; i++) {
    try {
      const admission = policy.admit(parts[i]!, { now: new Date(job.now[i]!) });
      const entry = registeredFromDecoded(parts[i]!, admission.statement.sign1);
      // The draft from the policy's own parse of the statement and of its payload.
      entries.push(entry, entryDraft(entry, admission.statement, admission.agentPayload));
      outcomes.push(null);
    } catch (error) {
      outcomes.push(
        error instanceof PolicyError
          ? { kind: 'policy', code: error.code, rule: error.rule, message: error.message }
          : { kind: 'fault', message: error instanceof Error ? error.message : String(error) },
      );
    }
  }
  const { buffer, offsets } = packBytes(entries);
  return { type: 'admitted', outcomes, buffer, offsets };
}
