// The service's worker threads: the CPU-heavy pure work of a registration, off the event loop, so
// that a machine's other cores share it. Two kinds of job, both pure functions of their bytes:
//
// - admission: the registration policy's whole decision (strict decoding, the issuer, the
//   signature, the payload checks) and the registered statement it yields;
// - index drafts: the entry index's drafts of entries it reads back from the log (index/keys.ts);
//   an admitted statement's draft comes with its admission.
//
// Each worker builds its own policy from the same configuration files the service read, and must
// arrive at the same policy digest, or the pool does not start: two threads must never apply
// two policies. Statements and entries cross to a worker packed in one transferred buffer per
// job, so a job costs one message and one copy; a job goes to the worker with the least work
// outstanding. Admissions go out in jobs of at most 64 statements: one job for a whole turn made
// the stages take turns under load (the worker admitting hundreds of statements while the event
// loop waited for them, then the other way round), where small jobs let the first statements of
// a turn be sequenced while the worker admits the rest. A worker has at most two admission jobs
// at once, the one it works on and the next; what arrives meanwhile waits here and goes as one
// job when one comes back, instead of as a job a turn of a statement or two, each paying for its
// message, when the worker falls behind. A worker that dies fails its outstanding jobs
// (retryable) and is replaced.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PolicyError, type PolicyErrorCode, type PolicyOptions, type PolicyRule } from '../statements/index.js';
import { ServiceError } from './errors.js';
import { packBytes, unpackBytes } from './worker-messages.js';
import type { AdmissionOutcome, WorkerJob, WorkerReply } from './worker-messages.js';

/** The policy configuration a worker rebuilds: files only, so that it can cross to a thread. */
export type WorkerPolicyOptions = Pick<PolicyOptions, 'policyFile' | 'issuerKeys' | 'trustAnchors' | 'cwd'>;

export interface ServiceWorkersOptions {
  /** Threads; default one per core beyond the first (at least one). */
  readonly size?: number;
  readonly policyOptions: WorkerPolicyOptions;
  /** The digest of the service's policy: every worker's must equal it. */
  readonly policyDigest: string;
  /** Statements waiting for or in admission, beyond which a registration is refused (retryable). */
  readonly maxQueuedStatements?: number;
  /** Most statements in one admission job (default 64). */
  readonly maxJobStatements?: number;
  /** The worker script; default the one beside this module (the built dist/api/service-worker.js). */
  readonly workerUrl?: URL;
}

export const DEFAULT_MAX_QUEUED_STATEMENTS = 16_384;
export const DEFAULT_MAX_JOB_STATEMENTS = 64;
/** Admission jobs a worker is given at once: one to work on and the next, so that it never waits for the event loop. */
const ADMISSION_JOBS_PER_WORKER = 2;
export const MAX_WORKERS = 64;
const START_TIMEOUT_MS = 30_000;

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** An admitted statement: the log entry it becomes, and the entry index's draft of it. */
export interface AdmittedEntry {
  readonly entry: Uint8Array;
  readonly draft: Uint8Array;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A statement waiting to be sent for admission. */
interface Admission {
  readonly statement: Uint8Array;
  readonly now: number;
  readonly pending: Pending<AdmittedEntry>;
}

interface Slot {
  worker: Worker;
  /** Statements and entries sent to it and not yet answered. */
  load: number;
  /** Admission jobs sent to it and not yet answered. */
  admissions: number;
  readonly jobs: Map<number, { readonly weight: number; readonly settle: (reply: WorkerReply | Error) => void }>;
}

/** Thrown when the pool cannot take more work or lost a worker: both retryable. */
export class WorkerPoolError extends ServiceError {}

export class ServiceWorkers {
  private readonly slots: Slot[] = [];
  private readonly inFlight = new Set<Promise<WorkerReply>>();
  private nextJob = 1;
  private closed = false;
  /** Admissions not yet sent: flushed once per turn of the event loop and as jobs come back, in jobs of at most maxJob. */
  private batch: Admission[] = [];
  private flushScheduled = false;
  private queued = 0;
  private readonly maxQueued: number;
  private readonly maxJob: number;

  private constructor(
    private readonly options: ServiceWorkersOptions,
    private readonly workerUrl: URL,
  ) {
    this.maxQueued = options.maxQueuedStatements ?? DEFAULT_MAX_QUEUED_STATEMENTS;
    this.maxJob = options.maxJobStatements ?? DEFAULT_MAX_JOB_STATEMENTS;
  }

  /** Starts the threads; resolves once each has built the policy and found the same digest. */
  static async open(options: ServiceWorkersOptions): Promise<ServiceWorkers> {
    const size = options.size ?? defaultWorkerCount();
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_WORKERS) throw new ServiceError('CONFIG_INVALID', `the worker count must be 1 to ${MAX_WORKERS}, not ${String(size)}`);
    const maxJob = options.maxJobStatements ?? DEFAULT_MAX_JOB_STATEMENTS;
    if (!Number.isSafeInteger(maxJob) || maxJob < 1) throw new ServiceError('CONFIG_INVALID', `the most statements in a job must be a positive integer, not ${String(maxJob)}`);
    const pool = new ServiceWorkers(options, options.workerUrl ?? new URL('./service-worker.js', import.meta.url));
    try {
      for (let i = 0; i < size; i++) pool.slots.push(await pool.start());
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.slots.length;
  }

  /** Statements queued for or in admission. */
  get queueDepth(): number {
    return this.queued;
  }

  /**
   * The policy's decision on a statement, in a worker: the registered statement (the log entry) it
   * admits with the entry's index draft, or the PolicyError that refuses it, as `policy.admit`
   * would have thrown it.
   */
  admit(statement: Uint8Array, now: number): Promise<AdmittedEntry> {
    if (this.closed) return Promise.reject(new ServiceError('NOT_READY', 'the service is stopping'));
    if (this.queued >= this.maxQueued) {
      return Promise.reject(new WorkerPoolError('QUEUE_FULL', `${this.queued} statements are waiting for admission; retry shortly`));
    }
    this.queued++;
    return new Promise<AdmittedEntry>((resolve, reject) => {
      this.batch.push({ statement, now, pending: { resolve, reject } });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** The entry index's drafts of entries (index/keys.ts entryDraft), in a worker. */
  async indexDrafts(entries: readonly Uint8Array[]): Promise<Uint8Array[]> {
    if (this.closed) throw new ServiceError('NOT_READY', 'the service is stopping');
    const { buffer, offsets } = packBytes(entries);
    const reply = await this.send({ type: 'drafts', buffer, offsets }, entries.length, [buffer]);
    if (reply.type !== 'drafts') throw new Error(`a worker answered ${reply.type} to an index job`);
    return unpackBytes(reply.buffer, reply.offsets);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush(true);
    // Jobs already sent are answered first (close runs after the last registration has settled).
    await Promise.allSettled([...this.inFlight]);
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  /**
   * Sends waiting statements, at most maxJob a job, to workers with room for another job; the
   * rest wait for a job to come back, and then go together. `all`: send everything now (closing).
   */
  private flush(all = false): void {
    this.flushScheduled = false;
    while (this.batch.length > 0) {
      const slot = this.slotWithRoom();
      // With no worker at all, send anyway: the job is refused at once (NOT_READY), not kept.
      if (slot === undefined && !all && this.slots.length > 0) return;
      this.sendAdmissions(this.batch.splice(0, this.maxJob), slot);
    }
  }

  /** The worker with the least work among those with fewer than ADMISSION_JOBS_PER_WORKER admission jobs. */
  private slotWithRoom(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.slots) if (slot.admissions < ADMISSION_JOBS_PER_WORKER && (best === undefined || slot.load < best.load)) best = slot;
    return best;
  }

  private sendAdmissions(batch: readonly Admission[], slot: Slot | undefined): void {
    const { buffer, offsets } = packBytes(batch.map((b) => b.statement));
    const job = { type: 'admit' as const, buffer, offsets, now: Float64Array.from(batch, (b) => b.now) };
    if (slot !== undefined) slot.admissions++;
    const done = () => {
      if (slot !== undefined) slot.admissions--;
      if (this.batch.length > 0) this.flush(this.closed);
    };
    this.send(job, batch.length, [buffer], slot).then(
      (reply) => {
        done();
        this.queued -= batch.length;
        if (reply.type !== 'admitted') {
          const error = new Error(`a worker answered ${reply.type} to an admission job`);
          for (const b of batch) b.pending.reject(error);
          return;
        }
        const entries = unpackBytes(reply.buffer, reply.offsets);
        let part = 0;
        for (let i = 0; i < batch.length; i++) {
          const outcome = reply.outcomes[i]!;
          if (outcome === null) {
            batch[i]!.pending.resolve({ entry: entries[part]!, draft: entries[part + 1]! });
            part += 2;
          } else batch[i]!.pending.reject(refusal(outcome));
        }
      },
      (error: unknown) => {
        done();
        this.queued -= batch.length;
        for (const b of batch) b.pending.reject(error);
      },
    );
  }

  /** Sends a job to `to`, or to the worker with the least work. */
  private send(job: WorkerJob, weight: number, transfer: ArrayBuffer[], to?: Slot): Promise<WorkerReply> {
    const slot = to ?? this.slots.reduce((least, s) => (s.load < least.load ? s : least), this.slots[0]!);
    if (slot === undefined) return Promise.reject(new ServiceError('NOT_READY', 'the service is stopping'));
    const id = this.nextJob++;
    slot.load += weight;
    const reply = new Promise<WorkerReply>((resolve, reject) => {
      slot.jobs.set(id, {
        weight,
        settle: (reply) => {
          slot.jobs.delete(id);
          slot.load -= weight;
          if (reply instanceof Error) reject(reply);
          else resolve(reply);
        },
      });
      slot.worker.postMessage({ id, job }, transfer);
    });
    this.inFlight.add(reply);
    const forget = () => this.inFlight.delete(reply);
    reply.then(forget, forget);
    return reply;
  }

  /** One worker, ready: it built the policy from the configuration and found the same digest. */
  private start(): Promise<Slot> {
    const worker = new Worker(this.workerUrl, { workerData: { policyOptions: this.options.policyOptions } });
    const slot: Slot = { worker, load: 0, admissions: 0, jobs: new Map() };
    return new Promise<Slot>((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new ServiceError('CONFIG_INVALID', `a worker thread did not start within ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      worker.once('message', (ready: { type: 'ready'; digest: string } | { type: 'failed'; message: string }) => {
        clearTimeout(timer);
        if (ready.type === 'failed') {
          void worker.terminate();
          reject(new ServiceError('CONFIG_INVALID', `a worker thread could not build the registration policy: ${ready.message}`));
          return;
        }
        if (ready.digest !== this.options.policyDigest) {
          void worker.terminate();
          reject(new ServiceError('CONFIG_INVALID', 'a worker thread built a different registration policy from the same configuration (did a file change?)'));
          return;
        }
        worker.on('message', (message: { id: number; reply: WorkerReply }) => slot.jobs.get(message.id)?.settle(message.reply));
        worker.once('exit', () => this.lost(slot));
        resolve(slot);
      });
      worker.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** A worker ended: its jobs fail (retryable), and unless the pool is closing, another takes its place. */
  private lost(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    for (const job of [...slot.jobs.values()]) job.settle(new WorkerPoolError('NOT_READY', 'a worker thread stopped; retry'));
    if (this.closed) return;
    this.start().then(
      (replacement) => {
        if (this.closed) void replacement.worker.terminate();
        else {
          this.slots.push(replacement);
          this.flush();
        }
      },
      () => {
        // Left one short; the remaining workers carry on (and with none, registrations answer 503).
      },
    );
  }
}

function refusal(outcome: Exclude<AdmissionOutcome, null>): Error {
  if (outcome.kind === 'policy') return new PolicyError(outcome.code as PolicyErrorCode, outcome.rule as PolicyRule, outcome.message);
  // Not a refusal the policy names: a fault, which the API answers as a 500 that says nothing more.
  return new Error(`admission failed in a worker thread: ${outcome.message}`);
}
