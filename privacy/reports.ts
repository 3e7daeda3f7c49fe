// Privacy reports: a regulator's query becomes a signed, logged release, in an order that makes
// overspending impossible and every release visible.
//
//   1. plan the query and cost it (pure: query.ts, accounting.ts, mechanisms.ts); refuse early;
//   2. charge the regulator's budget and record the release in one atomic write (ledger.ts); the
//      tree size it is computed on is fixed here;
//   3. compute: scan the index below that size, bound contributions, add noise (scan.ts, release.ts);
//   4. store the report in its release record (computed), then sign it as a statement of the
//      service and register it in the log; mark it released with its entry id.
//
// A crash anywhere leaves a charge and never an answer without one. On the next start, before any
// new charge, recover() settles what was left: a release charged but not computed is registered
// as an abandoned report (its cost, no results), so the log shows the spend; one computed is
// registered as computed unless the log has it already. Every report carries the regulator's
// release number and totals before and after, so an auditor replaying the log can add them up.

import type { EntryPage, EntryQuery, Field } from '../index/index.js';
import type { KeyValueSpace } from '../log/index.js';
import { toHex } from '../util/index.js';
import { accountantView, type AccountantView, addCosts, type BudgetLimit, costOf, type PrivacyCost } from './accounting.js';
import { budgetOf, type PrivacyConfig } from './config.js';
import { PrivacyError } from './errors.js';
import { BudgetLedger, readCost, readLimit, type ReleaseRecord } from './ledger.js';
import { describeNoise, type NoisePlan, noisePlan } from './mechanisms.js';
import { planQuery, type QueryPlan } from './query.js';
import { formatRational } from './rational.js';
import { cryptoRandom, type RandomSource } from './random.js';
import { computeRelease, partitionNames, type ReleaseResult } from './release.js';
import { type IndexReader, scanAggregates } from './scan.js';

export const PRIVACY_REPORT_MEDIA_TYPE = 'application/vnd.atlog.privacy-report+json';
export const PRIVACY_REPORT_PROFILE = 'tag:atlog.dev,2026:privacy-report/v1';
/** A report is one log entry (at most 65,535 bytes with its COSE envelope): its payload stays below this. */
export const MAX_REPORT_PAYLOAD_BYTES = 60_000;

/** What the reports need of the service (TransparencyService has it); privacy/ does not import api/. */
export interface ReportHost {
  readonly index: IndexReader & { caughtUp(size?: number): Promise<number> };
  readonly log: { readonly size: number; rootAt(size: number): Promise<Uint8Array> };
  /** The service's public URL: the reports' subjects are under it. */
  readonly issuer: string;
  registerOwnStatement(own: { readonly contentType: string; readonly sub: string; readonly payload: Uint8Array }): Promise<{ readonly entryId: string }>;
}

export interface PrivacyReportsOptions {
  readonly host: ReportHost;
  /** The ledger's key space (`service.keySpace('privacy')`). */
  readonly space: KeyValueSpace;
  readonly config: PrivacyConfig;
  /** Default: node:crypto. */
  readonly random?: RandomSource;
  readonly clock?: () => number;
}

/** A release as the routes show it. */
export interface Report {
  readonly id: number;
  readonly status: ReleaseRecord['status'];
  readonly regulator: string;
  /** The report statement's entry id, once registered. */
  readonly entryId?: string;
  /** The report payload (what the statement signs), once computed. */
  readonly payload?: Readonly<Record<string, unknown>>;
}

export interface BudgetStatus {
  readonly regulator: string;
  readonly releases: number;
  readonly accountant: AccountantView;
}

const encoder = new TextEncoder();

export class PrivacyReports {
  private readonly ledger: BudgetLedger;
  private readonly random: RandomSource;
  private readonly clock: () => number;
  private recovered: Promise<number> | undefined;

  constructor(private readonly options: PrivacyReportsOptions) {
    this.ledger = new BudgetLedger(options.space);
    this.random = options.random ?? cryptoRandom();
    this.clock = options.clock ?? Date.now;
  }

  /** The subject of release `id`'s statement: its URL under the service. */
  subjectOf(id: number): string {
    return `${this.options.host.issuer.replace(/\/$/, '')}/reports/${id}`;
  }

  /**
   * Settles what a crash left unfinished (see the file comment), once per process, before the
   * first new charge. Resolves with how many releases it settled.
   */
  recover(): Promise<number> {
    // A failed recovery (the log stopping under it) is tried again by the next request.
    this.recovered ??= this.settleUnfinished().catch((error: unknown) => {
      this.recovered = undefined;
      throw error;
    });
    return this.recovered;
  }

  /** Plans, charges, computes, signs and logs one release for `regulator` (see the file comment). */
  async release(regulator: string, query: unknown): Promise<Report> {
    await this.recover();
    const plan = planQuery(query);
    const limit = budgetOf(this.options.config, regulator);
    const cost = costOf(plan, limit.kind);
    const noise = noisePlan(plan);
    checkReportSize(plan);
    const host = this.options.host;
    const treeSize = host.index.size;
    // The charge is durable before a single record is read.
    const charged = await this.ledger.charge({ regulator, limit, cost, query: plan.normalized, treeSize, now: this.clock() });
    const { aggregates } = await scanAggregates(host.index, plan, treeSize, this.random);
    const outcome = computeRelease(plan, noise, aggregates, this.random);
    const payload = await this.payloadOf(charged, plan, noise, limit, cost, outcome.results, outcome.truncated, 'released');
    // Stored before it leaves the process: after a crash, recovery registers this very report.
    const computed = await this.ledger.settle(charged.id, { status: 'computed', payload, now: this.clock() });
    return this.publish(computed, false);
  }

  /** A release by id, or undefined. */
  async report(id: number): Promise<Report | undefined> {
    const record = await this.ledger.release(id);
    return record === undefined ? undefined : reportOf(record);
  }

  /** The regulator's budget: configured total, spent (from the ledger) and what is left. */
  async budget(regulator: string): Promise<BudgetStatus> {
    const limit = budgetOf(this.options.config, regulator);
    const account = await this.ledger.account(regulator);
    return { regulator, releases: account.releases, accountant: accountantView(limit, account.spent) };
  }

  /** The ledger, for audits and tests. */
  get budgetLedger(): BudgetLedger {
    return this.ledger;
  }

  /**
   * Signs and logs a computed release (unless `checkLog` finds it logged already, by a process
   * that died before it could say so), then settles it: released, or abandoned for the report of
   * a release that was charged but never computed.
   */
  private async publish(record: ReleaseRecord, checkLog: boolean): Promise<Report> {
    const payload = record.payload!;
    const status = payload.status === 'abandoned' ? 'abandoned' : 'released';
    let entryId = checkLog ? await this.loggedReport(record.id) : undefined;
    if (entryId === undefined) {
      const own = await this.options.host.registerOwnStatement({
        contentType: PRIVACY_REPORT_MEDIA_TYPE,
        sub: this.subjectOf(record.id),
        payload: encoder.encode(JSON.stringify(payload)),
      });
      entryId = own.entryId;
    }
    return reportOf(await this.ledger.settle(record.id, { status, entryId, now: this.clock() }));
  }

  private async settleUnfinished(): Promise<number> {
    const unfinished = await this.ledger.unsettled();
    if (unfinished.length === 0) return 0;
    const host = this.options.host;
    // A report registered just before the crash is in the log (opening checkpoints what is
    // durable): let the index reach it before asking whether it is there.
    await host.index.caughtUp(host.log.size);
    for (let record of unfinished) {
      if (record.status === 'charged' || record.payload === undefined) {
        // Charged, never computed: nothing was answered. Its report states the spend, with no
        // results; it is stored first, like any report, so a crash now cannot log it twice.
        const plan = planQuery(record.query);
        const payload = await this.payloadOf(record, plan, noisePlan(plan), readLimit(record.limit), readCost(record.cost), [], false, 'abandoned');
        record = await this.ledger.settle(record.id, { status: 'computed', payload, now: this.clock() });
      }
      await this.publish(record, true);
    }
    return unfinished.length;
  }

  /** The entry id of the service's report statement for release `id`, if the log has one. */
  private async loggedReport(id: number): Promise<string | undefined> {
    const sub = this.subjectOf(id);
    const page = await findAll(this.options.host.index, 'subject', sub, { type: 'privacy-report' });
    return page.find((e) => e.iss === this.options.host.issuer)?.entryId;
  }

  private async payloadOf(
    record: ReleaseRecord,
    plan: QueryPlan,
    noise: NoisePlan,
    limit: BudgetLimit,
    cost: PrivacyCost,
    results: readonly ReleaseResult[],
    truncated: boolean,
    status: 'released' | 'abandoned',
  ): Promise<Record<string, unknown>> {
    const before = readCost(record.spentBefore);
    const root = await this.options.host.log.rootAt(record.treeSize);
    const value = plan.value;
    const header = {
      profile: PRIVACY_REPORT_PROFILE,
      query_id: String(record.id),
      status,
      regulator: record.regulator,
      regulator_sequence: record.regulatorSequence,
      tree_size: record.treeSize,
      root_hash: toHex(root),
      computed_at: new Date(this.clock()).toISOString(),
      query: plan.normalized,
      privacy_unit: plan.unit,
      mechanism: plan.mechanism === 'laplace' ? 'discrete_laplace' : 'discrete_gaussian',
      ...(plan.epsilon === undefined ? {} : { epsilon: formatRational(plan.epsilon) }),
      ...(plan.rho === undefined ? {} : { rho: formatRational(plan.rho) }),
      delta: plan.delta === undefined ? '0' : formatRational(plan.delta),
      bounds: {
        max_partitions_contributed: plan.bounds.maxPartitions,
        max_contributions_per_partition: plan.bounds.maxPerPartition,
        ...(value?.min === undefined ? {} : { min_value: formatRational(value.min), max_value: formatRational(value.max!) }),
        ...(value?.granularity === undefined || plan.statistic === 'quantiles' ? {} : { granularity: formatRational(value.granularity) }),
      },
      partition_selection: plan.selection,
      ...(noise.selection === undefined
        ? {}
        : {
            selection: {
              epsilon: formatRational(noise.selection.epsilon),
              delta: formatRational(noise.selection.delta),
              sensitivity: { l1: noise.selection.sensitivity.l1.toString() },
              ...describeNoise(noise.selection.noise),
              threshold: noise.selection.threshold.toString(),
            },
          }),
      noise: noise.statistics.map((s) => ({
        statistic: s.name,
        sensitivity: { l1: s.sensitivity.l1.toString(), l2_squared: s.sensitivity.l2Squared.toString() },
        [plan.mechanism === 'laplace' ? 'epsilon' : 'rho']: formatRational(s.share),
        ...describeNoise(s.noise),
        ...(noise.midpoint === undefined || s.name !== 'normalized_sum' ? {} : { midpoint: formatRational({ n: noise.midpoint, d: 1n }) }),
      })),
      cost: { epsilon: formatRational(cost.epsilon), delta: formatRational(cost.delta), rho: formatRational(cost.rho) },
      spent_before: { epsilon: formatRational(before.epsilon), delta: formatRational(before.delta), rho: formatRational(before.rho) },
      accountant: accountantView(limit, addCosts(before, cost)),
      partition_keys: partitionNames(plan),
    };
    return fit(header, results, truncated);
  }
}

/** The payload with as many results as fit in one log entry; dropping the rest is post-processing. */
function fit(header: Record<string, unknown>, results: readonly ReleaseResult[], truncated: boolean): Record<string, unknown> {
  let kept = results.length;
  for (;;) {
    const payload = { ...header, results: results.slice(0, kept), truncated: truncated || kept < results.length };
    if (encoder.encode(JSON.stringify(payload)).length <= MAX_REPORT_PAYLOAD_BYTES || kept === 0) return payload;
    kept = Math.floor(kept * 0.9);
  }
}

/**
 * Refuses, before anything is charged, a query whose public report could not fit in one log
 * entry: a regulator should not pay for cells the report would then have to drop.
 */
function checkReportSize(plan: QueryPlan): void {
  if (plan.partitions === undefined) return;
  const names = partitionNames(plan);
  const perCell = plan.statistic === 'quantiles' ? 40 + 70 * plan.quantiles!.length : plan.statistic === 'mean' ? 200 : 120;
  const bins = plan.value?.bins === undefined ? 1 : plan.value.bins.length - 1;
  let estimate = 4000 + JSON.stringify(plan.normalized).length;
  for (const values of plan.partitions) estimate += bins * (perCell + JSON.stringify(Object.fromEntries(names.map((n, i) => [n, values[i]]))).length);
  if (estimate > MAX_REPORT_PAYLOAD_BYTES) {
    throw new PrivacyError('QUERY_INVALID', `/group_by: the report of these partitions would not fit in one log entry (about ${estimate} bytes of ${MAX_REPORT_PAYLOAD_BYTES}); declare fewer or shorter values`);
  }
}

function reportOf(record: ReleaseRecord): Report {
  return {
    id: record.id,
    status: record.status,
    regulator: record.regulator,
    ...(record.entryId === undefined ? {} : { entryId: record.entryId }),
    ...(record.payload === undefined ? {} : { payload: record.payload }),
  };
}

async function findAll(index: IndexReader, field: Field, value: string, query: EntryQuery): Promise<EntryPage['entries']> {
  const out: EntryPage['entries'][number][] = [];
  let after: number | undefined;
  for (;;) {
    const page = await index.find(field, value, { ...query, ...(after === undefined ? {} : { after }), limit: 1000 });
    out.push(...page.entries);
    if (page.next === undefined) return out;
    after = page.next;
  }
}
