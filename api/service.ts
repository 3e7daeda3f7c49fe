// The transparency service without HTTP: registration under the policy, receipts, transparent
// statements, keys and the read API for monitors, over one Merkle log. The HTTP layer (app.ts)
// only translates requests and problems; every rule lives here or below.
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AppendResult,
  type KeyValueSpace,
  LevelDbStorage,
  noteVerifierKey,
  LogError,
  MerkleLog,
  type SequencerOptions,
  type SignedTreeHead,
} from '../log/index.js';
import {
  attachReceipts,
  consistencyReceipt,
  type CoseKey,
  coseKeyFromKeyObject,
  coseKeyThumbprint,
  encodeCoseKey,
  encodeCoseKeySet,
  inclusionReceiptUnder,
  type OpenedReceiptHead,
  openReceiptHead,
  registeredFromDecoded,
  registeredStatement,
  signStatement,
} from '../receipts/index.js';
import { EntryIndex, entryDraft } from '../index/index.js';
import { NO_PRIVACY_BUDGETS, type PrivacyConfig, PrivacyReports } from '../privacy/index.js';
import { policyStatement, type RegistrationPolicy } from '../statements/index.js';
import { bytesEqual, fromHex, toHex } from '../util/index.js';
import type { AccessToken } from './access.js';
import { type AppraisalOptions, AppraisalService } from './appraisal-service.js';
import { checkpointSignatures, receiptHead, serviceCheckpointSigner } from './checkpoints.js';
import { ServiceError } from './errors.js';
import { type ServiceKeys, updateKeyring } from './keys.js';
import { createLogger, type Logger } from './logging.js';
import { type AdmittedEntry, ServiceWorkers, type WorkerPolicyOptions } from './workers.js';
import { type MetricsOptions, secondsSince, ServiceMetrics } from './metrics.js';

export interface ServiceOptions {
  /** The log (LevelDB), the key ring and the policy record live here. */
  readonly dataDir: string;
  readonly keys: ServiceKeys;
  /** The service's identity in receipts (iss): its public URL. */
  readonly issuer: string;
  /** The log's identity: the C2SP checkpoint origin and the receipts' subject. */
  readonly origin: string;
  readonly policy: RegistrationPolicy;
  /** How long a registration waits for its receipt before answering 303 (default 1000 ms). */
  readonly receiptWaitMs?: number;
  readonly sequencer?: SequencerOptions;
  readonly clock?: () => number;
  /** Where the service logs (default: JSON lines on stdout, see logging.ts). */
  readonly logger?: Logger;
  readonly metrics?: MetricsOptions;
  /** Bearer tokens for the routes that need a role (api/access.ts); none by default. */
  readonly accessTokens?: readonly AccessToken[];
  /** Appraisal (api/appraisal-service.ts): on demand always; continuous only when enabled. */
  readonly appraisal?: AppraisalOptions;
  /** Regulators' privacy budgets (privacy/config.ts); none by default, so no report can be made. */
  readonly privacy?: PrivacyConfig;
  /**
   * Worker threads for admission and index records (workers.ts), built from the policy's own
   * configuration files, which must give `policy`'s digest. Without, both run on the event loop.
   */
  readonly workers?: { readonly size?: number; readonly policyOptions: WorkerPolicyOptions; readonly maxQueuedStatements?: number };
}

/** A statement the service signed and registered itself (an appraisal, a privacy report). */
export interface OwnStatement {
  readonly entryId: string;
  readonly index: number;
  readonly treeSize: number;
  /** The signed statement as registered. */
  readonly statement: Uint8Array;
  readonly receipt: Uint8Array;
}

/** The outcome of a registration: the receipt, or an entry id to poll while it is pending. */
export type Registration =
  | { readonly status: 'registered'; readonly entryId: string; readonly receipt: Uint8Array; readonly index: number; readonly treeSize: number }
  | { readonly status: 'pending'; readonly entryId: string };

export type EntryState =
  | { readonly status: 'registered'; readonly receipt: Uint8Array; readonly index: number; readonly treeSize: number }
  | { readonly status: 'pending' }
  | { readonly status: 'unknown' };

const POLICY_RECORD = 'registration-policy.json';
/** Opened heads kept: the latest few checkpoints, which nearly every receipt is issued under. */
const OPENED_HEADS = 16;

export class TransparencyService {
  private accepting = true;
  private readonly keySetBytes: Uint8Array;
  private readonly checkpointKeySetBytes: Uint8Array;
  private readonly checkpointVerifier: string;
  /** This instance's Prometheus registry and metrics (metrics.ts). */
  readonly metrics: ServiceMetrics;
  /** Signed tree heads opened for receipts, by tree size, oldest first (see openHead). */
  private readonly openedHeads = new Map<number, OpenedReceiptHead>();
  /**
   * Heads being opened, by tree size: the registrations a batch integrates all ask for their
   * receipts under its new checkpoint at once, and share one opening instead of each making its own.
   */
  private readonly openingHeads = new Map<number, Promise<OpenedReceiptHead>>();
  /** Registrations between the readiness check and their answer: close() lets them finish. */
  private readonly registering = new Set<Promise<unknown>>();
  /** Appraisal of agents against their profiles, its results logged as the service's own statements. */
  readonly appraisals: AppraisalService;
  /** Differential-privacy reports for regulators: one per service, so one ledger serialises every charge. */
  readonly reports: PrivacyReports;

  private constructor(
    readonly log: MerkleLog,
    /** The entry index: what the query routes and the analyses read. */
    readonly index: EntryIndex,
    private readonly storage: LevelDbStorage,
    private readonly options: ServiceOptions,
    private readonly keyring: readonly CoseKey[],
    /** The entry id of the policy statement in force. */
    readonly policyEntryId: string,
    readonly logger: Logger,
    private readonly workers: ServiceWorkers | undefined,
  ) {
    this.keySetBytes = encodeCoseKeySet(keyring);
    const checkpointKey = createPublicKey(options.keys.checkpointKey);
    this.checkpointKeySetBytes = encodeCoseKeySet([coseKeyFromKeyObject(checkpointKey, { kid: coseKeyThumbprint(checkpointKey) })]);
    this.checkpointVerifier = noteVerifierKey(options.origin, checkpointKey);
    this.metrics = new ServiceMetrics(
      { queueDepth: () => log.queueDepth, treeSize: () => log.size, indexedSize: () => index.size },
      options.metrics,
    );
    this.appraisals = new AppraisalService(this, options.appraisal, () => this.now());
    this.reports = new PrivacyReports({ host: this, space: storage.space('privacy'), config: options.privacy ?? NO_PRIVACY_BUDGETS, ...(options.clock === undefined ? {} : { clock: options.clock }) });
  }

  static async open(options: ServiceOptions): Promise<TransparencyService> {
    const logger = options.logger ?? createLogger();
    const keyring = updateKeyring(options.dataDir, options.keys.receiptKey);
    const storage = await LevelDbStorage.open(join(options.dataDir, 'log'));
    const log = await MerkleLog.open({
      storage,
      signer: serviceCheckpointSigner({
        origin: options.origin,
        checkpointKey: options.keys.checkpointKey,
        receiptKey: options.keys.receiptKey,
        identity: { issuer: options.issuer, subject: options.origin },
      }),
      ...(options.sequencer === undefined ? {} : { sequencer: options.sequencer }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    let index: EntryIndex | undefined;
    let workers: ServiceWorkers | undefined;
    try {
      if (options.workers !== undefined) {
        workers = await ServiceWorkers.open({
          policyOptions: options.workers.policyOptions,
          policyDigest: options.policy.digest,
          ...(options.workers.size === undefined ? {} : { size: options.workers.size }),
          ...(options.workers.maxQueuedStatements === undefined ? {} : { maxQueuedStatements: options.workers.maxQueuedStatements }),
        });
      }
      const pool = workers;
      index = await EntryIndex.open({
        log,
        space: storage.space('index'),
        ...(pool === undefined ? {} : { drafts: (entries) => pool.indexDrafts(entries) }),
        onError: (error) => logger.error({ err: error, indexedSize: index?.size }, 'the entry index could not catch up; it retries at the next checkpoint'),
      });
      if (index.rebuilt !== undefined) logger.warn({ reason: index.rebuilt }, 'the entry index was dropped and is being rebuilt from the log');
      const policyEntryId = await registerPolicy(log, options, logger);
      logger.info(
        { origin: options.origin, issuer: options.issuer, treeSize: log.size, indexedSize: index.size, policyDigest: options.policy.digest, policyEntryId, openPolicy: options.policy.open, workerThreads: workers?.size ?? 0, compaction: storage.compaction },
        'service started',
      );
      const service = new TransparencyService(log, index, storage, options, keyring, policyEntryId, logger, workers);
      service.appraisals.start();
      // Releases a crash left charged but unanswered are logged before any new charge (privacy/reports.ts).
      service.reports.recover().catch((error: unknown) => logger.error({ err: error }, 'privacy reports left by a crash could not be settled yet; retried at the next report'));
      return service;
    } catch (error) {
      await index?.close();
      await workers?.close();
      await log.close();
      throw error;
    }
  }

  /** False once the service has begun to stop. */
  get ready(): boolean {
    return this.accepting;
  }

  get policy(): RegistrationPolicy {
    return this.options.policy;
  }

  /**
   * A key space of the service's own in the log's store (`index` is the entry index's): for state
   * an analysis must keep durably beside the log, such as a privacy budget ledger.
   */
  keySpace(name: string): KeyValueSpace {
    if (name === 'index') throw new ServiceError('CONFIG_INVALID', 'the key space "index" belongs to the entry index');
    return this.storage.space(name);
  }

  /** The configured bearer tokens (api/access.ts). */
  get accessTokens(): readonly AccessToken[] {
    return this.options.accessTokens ?? [];
  }

  /**
   * Signs a statement of the service's own with the receipt key, as the service's issuer (its
   * URL), and registers it; resolves once it is under a signed checkpoint. The registration
   * policy is not asked: it admits issuers, and the service is not one of them. Auditors verify
   * these with the receipt key in the service's key set (kid: its RFC 9679 thumbprint).
   */
  async registerOwnStatement(own: { readonly contentType: string; readonly sub: string; readonly payload: Uint8Array }): Promise<OwnStatement> {
    if (!this.accepting) throw new ServiceError('NOT_READY', 'the service is stopping');
    const statement = signStatement({
      key: this.options.keys.receiptKey,
      iss: this.options.issuer,
      sub: own.sub,
      iat: Math.floor(this.now() / 1000),
      contentType: own.contentType,
      payload: own.payload,
    });
    const result = await this.log.append(registeredStatement(statement));
    return {
      entryId: toHex(result.leafHash),
      index: result.index,
      treeSize: result.treeSize,
      statement,
      receipt: await this.receipt(result.index, result.treeSize),
    };
  }

  /** The service's public URL: receipts' issuer, and the base of the URLs it hands out. */
  get issuer(): string {
    return this.options.issuer;
  }

  get origin(): string {
    return this.options.origin;
  }

  /**
   * The C2SP verifier key of the checkpoint notes (`<origin>+<key id>+<base64>`): what a monitor
   * pins. Published beside the receipt keys, since an ECDSA service has a separate one.
   */
  checkpointVerifierKey(): string {
    return this.checkpointVerifier;
  }

  /** The checkpoint key as a COSE_KeySet of one Ed25519 key, for discovery over HTTP. */
  checkpointKeySet(): Uint8Array {
    return this.checkpointKeySetBytes;
  }

  /**
   * Registers a signed statement: the policy first (SCRAPI: before any other processing), then the
   * log, whose entry is the statement with its unprotected header emptied. Waits up to
   * `receiptWaitMs` for the receipt; a statement already registered gets its existing entry.
   */
  async register(statement: Uint8Array): Promise<Registration> {
    if (!this.accepting) throw new ServiceError('NOT_READY', 'the service is stopping');
    // Tracked so that close() waits for the answer, receipt included, before closing the log.
    const registration = this.admitAndSubmit(statement);
    this.registering.add(registration);
    try {
      return await registration;
    } finally {
      this.registering.delete(registration);
    }
  }

  private async admitAndSubmit(statement: Uint8Array): Promise<Registration> {
    // The policy decoded the statement already: the log entry and its index draft are made from
    // that, not from a second decode.
    const { entry, draft } = this.workers === undefined ? this.admitHere(statement) : await this.workers.admit(statement, this.now());
    const accepted = process.hrtime.bigint();
    const submission = this.log.submit(entry);
    // Before any integration can run: the index finds the draft when it reaches the entry.
    this.index.expect(submission.leafHash, draft);
    // Time to receipt, measured off the log's path: one reaction on the promise the sequencer
    // resolves anyway, which also counts the registrations answered 303.
    submission.result.then(
      () => this.metrics.receipt(secondsSince(accepted)),
      () => {},
    );
    const entryId = toHex(submission.leafHash);
    const waited = await settleWithin(submission.result, this.options.receiptWaitMs ?? 1000);
    if (waited === undefined) return { status: 'pending', entryId };
    const { index, treeSize } = waited;
    return { status: 'registered', entryId, index, treeSize, receipt: await this.receipt(index, treeSize) };
  }

  /** The policy's decision on this thread, when the service has no worker threads. */
  private admitHere(statement: Uint8Array): AdmittedEntry {
    const admission = this.options.policy.admit(statement, { now: new Date(this.now()) });
    const entry = registeredFromDecoded(statement, admission.statement.sign1);
    return { entry, draft: entryDraft(entry, admission.statement, admission.agentPayload) };
  }

  /** Where a registration stands: its receipt under the latest checkpoint, pending, or unknown. */
  async entry(entryId: string): Promise<EntryState> {
    const leafHash = parseEntryId(entryId);
    const index = await this.log.indexOf(leafHash);
    if (index === undefined) return this.log.isPending(leafHash) ? { status: 'pending' } : { status: 'unknown' };
    const treeSize = this.log.size;
    return { status: 'registered', index, treeSize, receipt: await this.receipt(index, treeSize) };
  }

  /**
   * Receipts for many entries at once, by leaf hash, all under the latest checkpoint (so they
   * share its one signature): each the receipt GET /entries/{id} would give, or null for an entry
   * that is not registered (pending or unknown). At most {@link MAX_RECEIPTS_PER_REQUEST}.
   */
  async receipts(leafHashes: readonly Uint8Array[]): Promise<(Uint8Array | null)[]> {
    if (leafHashes.length > MAX_RECEIPTS_PER_REQUEST) {
      throw new LogError('INVALID_ARGUMENT', `at most ${MAX_RECEIPTS_PER_REQUEST} receipts a request`);
    }
    const indices = await this.log.indicesOf(leafHashes);
    // Read after the lookups: every entry they found is then under this size.
    const treeSize = this.log.size;
    const head = this.openedHeads.get(treeSize) ?? (await this.openHead(treeSize));
    const paths = await Promise.all(indices.map((index) => (index === undefined ? undefined : this.log.inclusionProof(index, treeSize))));
    return indices.map((index, i) => (index === undefined ? null : inclusionReceiptUnder(head, { treeSize, leafIndex: index, path: paths[i]! })));
  }

  /** The transparent statement: the registered statement with its receipt in label 394. */
  async transparentStatement(entryId: string): Promise<Uint8Array | undefined> {
    const state = await this.entry(entryId);
    if (state.status !== 'registered') return undefined;
    return attachReceipts(await this.log.entry(state.index), [state.receipt]);
  }

  /** The inclusion receipt of entry `index` under the checkpoint of `treeSize`. */
  async receipt(index: number, treeSize: number): Promise<Uint8Array> {
    const head = this.openedHeads.get(treeSize) ?? (await this.openHead(treeSize));
    const path = await this.log.inclusionProof(index, treeSize);
    return inclusionReceiptUnder(head, { treeSize, leafIndex: index, path });
  }

  /** The head of `treeSize` opened for receipts, kept for the few latest sizes (most receipts are under them). */
  private openHead(treeSize: number): Promise<OpenedReceiptHead> {
    let opening = this.openingHeads.get(treeSize);
    if (opening === undefined) {
      opening = this.signedHead(treeSize)
        .then((head) => {
          const opened = openReceiptHead(receiptHead(head));
          this.openedHeads.set(treeSize, opened);
          if (this.openedHeads.size > OPENED_HEADS) this.openedHeads.delete(this.openedHeads.keys().next().value!);
          return opened;
        })
        // Kept only while it is pending: a failed opening is tried again by the next receipt.
        .finally(() => this.openingHeads.delete(treeSize));
      this.openingHeads.set(treeSize, opening);
    }
    return opening;
  }

  /** A consistency receipt from `from` to the checkpoint at `to` (default: the latest). */
  async consistencyReceipt(from: number, to = this.log.size): Promise<Uint8Array | undefined> {
    const head = await this.headAt(to);
    if (head === undefined) return undefined;
    const path = await this.log.consistencyProof(from, to);
    return consistencyReceipt(receiptHead(head), { treeSize1: from, treeSize2: to, path });
  }

  /** The C2SP checkpoint note of the latest checkpoint. */
  checkpoint(): Uint8Array {
    return checkpointSignatures(this.log.latestCheckpoint).note;
  }

  /** The COSE_KeySet of every receipt key this log has signed with, current first. */
  keySet(): Uint8Array {
    return this.keySetBytes;
  }

  /** One receipt key by its kid (the RFC 9679 thumbprint). */
  key(kid: Uint8Array): Uint8Array | undefined {
    const key = this.keyring.find((k) => bytesEqual(k.kid ?? coseKeyThumbprint(k), kid));
    return key === undefined ? undefined : encodeCoseKey(key);
  }

  /**
   * Stops taking registrations, integrates everything already accepted, and closes the log:
   * nothing is acknowledged that is not durably written.
   */
  async close(): Promise<void> {
    this.accepting = false;
    // Registrations already admitted finish first (each waits at most receiptWaitMs), so none
    // builds its receipt from a log that is closing under it; then the log integrates the rest.
    await Promise.allSettled([...this.registering]);
    // Continuous appraisal reads the index and registers results: it stops before either closes.
    await this.appraisals.close();
    // The index stops first: it resumes from its own durable size when the service starts again.
    await this.index.close();
    await this.workers?.close();
    await this.log.close();
    this.logger.info({ treeSize: this.log.size }, 'log closed');
  }

  /** The checkpoint signed at exactly `treeSize` (the latest without a read), if there is one. */
  private async headAt(treeSize: number): Promise<SignedTreeHead | undefined> {
    const latest = this.log.latestCheckpoint;
    return treeSize === latest.size ? latest : this.log.checkpoint(treeSize);
  }

  private async signedHead(treeSize: number): Promise<SignedTreeHead> {
    const head = await this.headAt(treeSize);
    if (head === undefined) throw new LogError('TREE_SIZE_OUT_OF_RANGE', `no checkpoint was signed at tree size ${treeSize}`);
    return head;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}

/** The most receipts one request to {@link TransparencyService.receipts} may ask for. */
export const MAX_RECEIPTS_PER_REQUEST = 256;

/** An entry id is the leaf hash, 64 hex digits. */
export function parseEntryId(entryId: string): Uint8Array {
  const bytes = entryId.length === 64 ? fromHex(entryId) : undefined;
  if (bytes === undefined) throw new LogError('INVALID_ARGUMENT', 'an entry id is 64 hexadecimal digits (the entry’s leaf hash)');
  return bytes;
}

/** The promise's value if it settles within `ms`; undefined if it does not (it keeps running). */
async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    // A registration that outlives its request must not become an unhandled rejection.
    promise.catch(() => {});
  }
}

/**
 * SCITT asks that the registration policy itself be transparent: when the policy's digest differs
 * from the one last registered, the service signs the policy as a statement and logs it before
 * taking any registration. The record of what was registered is kept beside the log.
 */
async function registerPolicy(log: MerkleLog, options: ServiceOptions, logger: Logger): Promise<string> {
  const path = join(options.dataDir, POLICY_RECORD);
  const record = existsSync(path) ? readPolicyRecord(path) : undefined;
  if (record?.digest === options.policy.digest) return record.entryId;
  const statement = policyStatement(options.policy, {
    key: options.keys.receiptKey,
    iss: options.issuer,
    now: new Date((options.clock ?? Date.now)()),
  });
  const result: AppendResult = await log.append(registeredStatement(statement));
  const entryId = toHex(result.leafHash);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ digest: options.policy.digest, entryId, index: result.index }));
  renameSync(temporary, path);
  logger.info({ policyDigest: options.policy.digest, entryId, index: result.index }, 'registration policy registered');
  return entryId;
}

function readPolicyRecord(path: string): { digest: string; entryId: string } | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as { digest?: unknown; entryId?: unknown };
    return typeof record.digest === 'string' && typeof record.entryId === 'string' ? { digest: record.digest, entryId: record.entryId } : undefined;
  } catch {
    // An unreadable record only means the policy is registered again: harmless.
    return undefined;
  }
}

