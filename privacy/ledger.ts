// The budget ledger: what each regulator has spent, and every release ever charged, in a key
// space of the log's own LevelDB (fsync'd atomic batches). A charge is one batch holding the
// regulator's new total, the next release number and the release record itself, written before
// the release is computed: after a crash the charge is there or it is not, never half, and no
// release can exist that was not charged. Charges are serialised in the process and each reads
// the stored totals afresh, so the stored state, not a copy in memory, decides; a burst of
// concurrent requests is charged one at a time and cannot spend past the budget.
//
//   "a" ‖ regulator (UTF-8)  → account: {kind, spent: {epsilon, delta, rho}, releases}
//   "n"                      → the next release id
//   "r" ‖ u64 id             → release record (see ReleaseRecord)
//   "p" ‖ u64 id             → (empty) the release is not settled yet: what recovery reads

import type { KeyValueSpace } from '../log/index.js';
import { readUint64BE, writeUint64BE } from '../util/index.js';
import { type AccountantKind, addCosts, affordable, type BudgetLimit, formatCost, NO_COST, type PrivacyCost, remaining } from './accounting.js';
import { PrivacyError } from './errors.js';
import { formatRational, readRational } from './rational.js';

/** Where a release stands. charged → computed → released; charged → abandoned (after a crash). */
export type ReleaseStatus = 'charged' | 'computed' | 'released' | 'abandoned';

export interface ReleaseRecord {
  /** The release id: 1, 2, 3… across all regulators. */
  readonly id: number;
  readonly regulator: string;
  /** This regulator's 1st, 2nd… release. */
  readonly regulatorSequence: number;
  readonly status: ReleaseStatus;
  /** The query as run (QueryPlan.normalized). */
  readonly query: Readonly<Record<string, unknown>>;
  /** Exact decimal strings. */
  readonly cost: { readonly epsilon: string; readonly delta: string; readonly rho: string };
  readonly spentBefore: { readonly epsilon: string; readonly delta: string; readonly rho: string };
  readonly limit: SerializedLimit;
  /** The tree size the release is computed on, fixed when it was charged. */
  readonly treeSize: number;
  /** ms since the epoch. */
  readonly chargedAt: number;
  /** The report payload (from computed on). */
  readonly payload?: Readonly<Record<string, unknown>>;
  /** The report statement's entry id (released, abandoned). */
  readonly entryId?: string;
  readonly settledAt?: number;
}

export type SerializedLimit = { readonly kind: 'basic'; readonly epsilon: string; readonly delta: string } | { readonly kind: 'zcdp'; readonly rho: string; readonly delta: string };

export interface Account {
  readonly kind?: AccountantKind;
  readonly spent: PrivacyCost;
  readonly releases: number;
}

export interface ChargeRequest {
  readonly regulator: string;
  readonly limit: BudgetLimit;
  readonly cost: PrivacyCost;
  readonly query: Readonly<Record<string, unknown>>;
  readonly treeSize: number;
  readonly now: number;
}

const ACCOUNT = 0x61;
const NEXT = Uint8Array.of(0x6e);
const RELEASE = 0x72;
const PENDING = 0x70;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const accountKey = (regulator: string): Uint8Array => Uint8Array.of(ACCOUNT, ...encoder.encode(regulator));
function releaseKey(id: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = RELEASE;
  writeUint64BE(key, 1, id);
  return key;
}
function pendingKey(id: number): Uint8Array {
  const key = releaseKey(id);
  key[0] = PENDING;
  return key;
}
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export function serializeLimit(limit: BudgetLimit): SerializedLimit {
  return limit.kind === 'basic'
    ? { kind: 'basic', epsilon: formatRational(limit.epsilon), delta: formatRational(limit.delta) }
    : { kind: 'zcdp', rho: formatRational(limit.rho), delta: formatRational(limit.delta) };
}

export function readLimit(limit: SerializedLimit): BudgetLimit {
  const r = (text: string) => readRational(text) ?? corrupt('a release record holds a malformed budget');
  return limit.kind === 'basic' ? { kind: 'basic', epsilon: r(limit.epsilon), delta: r(limit.delta) } : { kind: 'zcdp', rho: r(limit.rho), delta: r(limit.delta) };
}

function corrupt(message: string): never {
  throw new PrivacyError('LEDGER_CORRUPT', `the privacy ledger needs an operator: ${message}`);
}

function parse(value: Uint8Array, what: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(decoder.decode(value)) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  return corrupt(`${what} is malformed`);
}

export function readCost(value: unknown): PrivacyCost {
  const v = value as Record<string, unknown> | undefined;
  const epsilon = readRational(v?.epsilon);
  const delta = readRational(v?.delta);
  const rho = readRational(v?.rho);
  if (epsilon === undefined || delta === undefined || rho === undefined) return corrupt('an amount is malformed');
  return { epsilon, delta, rho };
}

export class BudgetLedger {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly space: KeyValueSpace) {}

  /** Runs `task` after every task queued before it: one charge or settlement at a time. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => {});
    return run;
  }

  /** What `regulator` has spent, from the store. */
  async account(regulator: string): Promise<Account> {
    const [value] = await this.space.get([accountKey(regulator)]);
    if (value === undefined) return { spent: NO_COST, releases: 0 };
    const record = parse(value, `the account of ${regulator}`);
    const releases = record.releases;
    if ((record.kind !== 'basic' && record.kind !== 'zcdp') || typeof releases !== 'number' || !Number.isSafeInteger(releases)) {
      return corrupt(`the account of ${regulator} is malformed`);
    }
    return { kind: record.kind, spent: readCost(record.spent), releases };
  }

  /**
   * Charges `cost` to the regulator and records the release, in one atomic, durable write; or
   * refuses with BUDGET_EXHAUSTED and writes nothing. Resolves once the charge is on disk.
   */
  charge(request: ChargeRequest): Promise<ReleaseRecord> {
    return this.exclusive(async () => {
      const { regulator, limit, cost } = request;
      const account = await this.account(regulator);
      if (account.kind !== undefined && account.kind !== limit.kind) {
        throw new PrivacyError(
          'PRIVACY_CONFIG_INVALID',
          `the privacy configuration gives ${regulator} a ${limit.kind} budget, but the ledger holds ${account.kind} spends for it: an accountant cannot change once spent`,
        );
      }
      if (!affordable(limit, account.spent, cost)) throw exhausted(regulator, limit, account.spent, cost);
      const [next] = await this.space.get([NEXT]);
      const id = next === undefined ? 1 : readUint64BE(next, 0);
      if (id === undefined || id < 1) return corrupt('the next release id is malformed');
      const record: ReleaseRecord = {
        id,
        regulator,
        regulatorSequence: account.releases + 1,
        status: 'charged',
        query: request.query,
        cost: formatCost(cost),
        spentBefore: formatCost(account.spent),
        limit: serializeLimit(limit),
        treeSize: request.treeSize,
        chargedAt: request.now,
      };
      const after = { kind: limit.kind, spent: formatCost(addCosts(account.spent, cost)), releases: account.releases + 1 };
      const nextId = new Uint8Array(8);
      writeUint64BE(nextId, 0, id + 1);
      await this.space.write({
        puts: [
          [accountKey(regulator), json(after)],
          [NEXT, nextId],
          [releaseKey(id), json(record)],
          [pendingKey(id), new Uint8Array(0)],
        ],
      });
      return record;
    });
  }

  /** Moves a release on (computed, released, abandoned), adding what it now has. */
  settle(id: number, update: { readonly status: ReleaseStatus; readonly payload?: Readonly<Record<string, unknown>>; readonly entryId?: string; readonly now: number }): Promise<ReleaseRecord> {
    return this.exclusive(async () => {
      const record = await this.release(id);
      if (record === undefined) return corrupt(`release ${id} is not in the ledger`);
      const settled: ReleaseRecord = {
        ...record,
        status: update.status,
        ...(update.payload === undefined ? {} : { payload: update.payload }),
        ...(update.entryId === undefined ? {} : { entryId: update.entryId }),
        ...(update.status === 'released' || update.status === 'abandoned' ? { settledAt: update.now } : {}),
      };
      const final = update.status === 'released' || update.status === 'abandoned';
      await this.space.write({ puts: [[releaseKey(id), json(settled)]], ...(final ? { deletes: [pendingKey(id)] } : {}) });
      return settled;
    });
  }

  /** One release record. */
  async release(id: number): Promise<ReleaseRecord | undefined> {
    if (!Number.isSafeInteger(id) || id < 1) return undefined;
    const [value] = await this.space.get([releaseKey(id)]);
    return value === undefined ? undefined : (parse(value, `release ${id}`) as unknown as ReleaseRecord);
  }

  /** Every release record, in id order (bounded by what fits in memory: for audits and tests). */
  async releases(limit = 1_000_000): Promise<ReleaseRecord[]> {
    const rows = await this.space.range({ gte: Uint8Array.of(RELEASE), lt: Uint8Array.of(RELEASE + 1), limit });
    return rows.map(([, value]) => parse(value, 'a release') as unknown as ReleaseRecord);
  }

  /** Releases a crash left unfinished: charged, or computed but perhaps not registered; in id order. */
  async unsettled(): Promise<ReleaseRecord[]> {
    const pending = await this.space.range({ gte: Uint8Array.of(PENDING), lt: Uint8Array.of(PENDING + 1), limit: 1_000_000 });
    const out: ReleaseRecord[] = [];
    for (const [key] of pending) {
      const record = await this.release(readUint64BE(key, 1) ?? 0);
      if (record === undefined) return corrupt('a pending release has no record');
      out.push(record);
    }
    return out;
  }
}

function exhausted(regulator: string, limit: BudgetLimit, spent: PrivacyCost, cost: PrivacyCost): PrivacyError {
  const left = remaining(limit, spent);
  const detail =
    limit.kind === 'basic'
      ? `this release costs ε ${formatRational(cost.epsilon)}${cost.delta.n === 0n ? '' : ` and δ ${formatRational(cost.delta)}`}; ` +
        `${formatRational(left.epsilon)} of ε ${formatRational(limit.epsilon)} and ${formatRational(left.delta)} of δ ${formatRational(limit.delta)} are left`
      : `this release costs ρ ${formatRational(cost.rho)}; ${formatRational(left.rho)} of ρ ${formatRational(limit.rho)} is left`;
  return new PrivacyError('BUDGET_EXHAUSTED', `the privacy budget of ${regulator} cannot pay this release: ${detail}; nothing was charged, and only an operator can raise the budget`);
}
