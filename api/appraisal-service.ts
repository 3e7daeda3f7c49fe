// Appraisal on the service: the appraiser (appraisal/) fed from the entry index and the log, each
// result signed with the service key and registered as a statement of the service's own (so every
// verdict is in the log, verifiable offline like any statement), the latest whole-history result
// of each agent remembered beside the log, and, when configured, continuous appraisal.
import type { EntryIndex } from '../index/index.js';
import type { KeyValueSpace, MerkleLog } from '../log/index.js';
import {
  APPRAISAL_RESULT_MEDIA_TYPE,
  type AppraisalResult,
  AppraisalError,
  type AppraisalWindow,
  Appraiser,
  appraisalResult,
  ContinuousAppraisal,
  encodeResult,
  parseAppraisalResult,
} from '../appraisal/index.js';
import { parseStatement } from '../receipts/index.js';
import type { Logger } from './logging.js';
import type { OwnStatement } from './service.js';

export interface AppraisalOptions {
  /**
   * Re-appraise agents as their entries arrive and register their results (default false: every
   * result is a log entry, so the service logs them on its own only when its operator asks).
   */
  readonly continuous?: boolean;
  /** Continuous: least time between two passes (default 10 s). */
  readonly intervalMs?: number;
  /** Continuous: most agents appraised, so results registered, per pass (default 64). */
  readonly maxAgentsPerPass?: number;
  /** Continuous: an unchanged verdict is registered again once the latest is this old (default 1 h). */
  readonly maxStalenessMs?: number;
  /** Agents whose appraisal state is kept in memory (default 1024). */
  readonly maxAgents?: number;
  /** How long an on-demand appraisal waits for the index to reach the log (default 5 s). */
  readonly indexWaitMs?: number;
}

/** What the appraisal needs of the service (TransparencyService provides it). */
export interface AppraisalHost {
  readonly index: EntryIndex;
  readonly log: MerkleLog;
  readonly logger: Logger;
  keySpace(name: string): KeyValueSpace;
  registerOwnStatement(own: { readonly contentType: string; readonly sub: string; readonly payload: Uint8Array }): Promise<OwnStatement>;
  receipt(index: number, treeSize: number): Promise<Uint8Array>;
}

/** A result in the log: where it is, what it says, and its receipt. */
export interface LoggedAppraisal {
  readonly entryId: string;
  readonly index: number;
  readonly result: AppraisalResult;
  /** The signed statement as registered. */
  readonly statement: Uint8Array;
  /** Its receipt, under the checkpoint of `receiptTreeSize`. */
  readonly receipt: Uint8Array;
  readonly receiptTreeSize: number;
}

const LATEST = 'latest\u0000';
const encoder = new TextEncoder();

export class AppraisalService {
  readonly appraiser: Appraiser;
  private readonly latestSpace: KeyValueSpace;
  private continuous: ContinuousAppraisal | undefined;

  constructor(
    private readonly host: AppraisalHost,
    private readonly options: AppraisalOptions = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.appraiser = new Appraiser(
      { index: host.index, readEntries: (indices) => readEntries(host.log, indices) },
      options.maxAgents === undefined ? {} : { maxAgents: options.maxAgents },
    );
    this.latestSpace = host.keySpace('appraisal');
  }

  get continuousEnabled(): boolean {
    return this.options.continuous === true;
  }

  /** Starts continuous appraisal if configured. */
  start(): void {
    if (this.options.continuous !== true || this.continuous !== undefined) return;
    this.continuous = new ContinuousAppraisal({
      appraiser: this.appraiser,
      index: this.host.index,
      publisher: {
        publish: async (agent, result) => {
          await this.publish(agent, result);
        },
        latest: async (agent) => {
          const latest = await this.latest(agent);
          return latest === undefined ? undefined : { result: latest.result, at: latest.result.iat * 1000 };
        },
      },
      ...(this.options.intervalMs === undefined ? {} : { intervalMs: this.options.intervalMs }),
      ...(this.options.maxAgentsPerPass === undefined ? {} : { maxAgentsPerPass: this.options.maxAgentsPerPass }),
      ...(this.options.maxStalenessMs === undefined ? {} : { maxStalenessMs: this.options.maxStalenessMs }),
      clock: this.clock,
      onError: (error) => {
        // A pass cut short by the service stopping is not a failure.
        if ((error as { code?: unknown }).code === 'NOT_READY') this.host.logger.debug({ err: error }, 'continuous appraisal stopped with the service');
        else this.host.logger.error({ err: error }, 'continuous appraisal failed; it tries again at the next pass');
      },
      onPass: (pass) => {
        if (pass.published > 0) this.host.logger.info(pass, 'continuous appraisal pass');
      },
    });
  }

  /** Continuous appraisal, when running: tests wait on `settled()`. */
  get follower(): ContinuousAppraisal | undefined {
    return this.continuous;
  }

  /**
   * Appraises `agent` over the log as indexed now (after waiting briefly for the index to reach
   * the log), signs the result and registers it. A result for the whole history (no window)
   * becomes the agent's latest.
   */
  async appraise(agent: string, window: AppraisalWindow = {}): Promise<LoggedAppraisal> {
    await this.indexCaughtUp();
    const { verdict, treeSize } = await this.appraiser.appraise(agent, window);
    const result = appraisalResult({ verdict, window, treeSize, iat: this.clock() / 1000 });
    return this.publish(agent, result);
  }

  /** The agent's latest whole-history result, from the log, with a receipt under the latest checkpoint. */
  async latest(agent: string): Promise<LoggedAppraisal | undefined> {
    const [stored] = await this.latestSpace.get([latestKey(agent)]);
    if (stored === undefined) return undefined;
    const { entryId, index } = JSON.parse(Buffer.from(stored).toString('utf8')) as { entryId: string; index: number };
    const statement = await this.host.log.entry(index);
    const parsed = parseStatement(statement);
    if (parsed.payload === null || parsed.contentType !== APPRAISAL_RESULT_MEDIA_TYPE) {
      throw new AppraisalError('APPRAISAL_NOT_RESULT', `entry ${index} is not an appraisal result`);
    }
    const treeSize = this.host.log.size;
    return { entryId, index, result: parseAppraisalResult(parsed.payload), statement, receipt: await this.host.receipt(index, treeSize), receiptTreeSize: treeSize };
  }

  async close(): Promise<void> {
    this.appraiser.close();
    await this.continuous?.close();
  }

  private async publish(agent: string, result: AppraisalResult): Promise<LoggedAppraisal> {
    const own = await this.host.registerOwnStatement({ contentType: APPRAISAL_RESULT_MEDIA_TYPE, sub: agent, payload: encodeResult(result) });
    const submod = result.submods[agent]!;
    if (submod['x-atlog.window'].start === undefined && submod['x-atlog.window'].end === undefined) {
      await this.latestSpace.write({ puts: [[latestKey(agent), encoder.encode(JSON.stringify({ entryId: own.entryId, index: own.index }))]] });
    }
    return { entryId: own.entryId, index: own.index, result, statement: own.statement, receipt: own.receipt, receiptTreeSize: own.treeSize };
  }

  private async indexCaughtUp(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.indexWaitMs ?? 5000);
    });
    try {
      // Appraised at what the index holds by then: the result names that tree size.
      await Promise.race([this.host.index.caughtUp().then(() => undefined), wait]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function latestKey(agent: string): Uint8Array {
  return encoder.encode(`${LATEST}${agent}`);
}

/**
 * The entries at increasing `indices`: runs of nearby indices are read as one range (an agent's
 * entries are often dense in the log), the rest one by one, a bounded number at a time.
 */
export async function readEntries(log: MerkleLog, indices: readonly number[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = new Array(indices.length);
  const reads: (() => Promise<void>)[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    // Extend the run while the gaps are small and the range stays one read.
    while (j + 1 < indices.length && indices[j + 1]! - indices[j]! <= 8 && indices[j + 1]! - indices[i]! < 1000) j++;
    const first = indices[i]!;
    const last = indices[j]!;
    const from = i;
    const to = j;
    reads.push(async () => {
      if (from === to) {
        out[from] = await log.entry(first);
        return;
      }
      const range = await log.entries(first, last - first + 1);
      for (let k = from; k <= to; k++) out[k] = range[indices[k]! - first]!;
    });
    i = j + 1;
  }
  for (let i = 0; i < reads.length; i += 32) await Promise.all(reads.slice(i, i + 32).map((read) => read()));
  return out;
}
