// Continuous appraisal: as the index grows, re-appraise the agents that have new evidence and
// publish (sign and register) their results at a bounded rate. A pass runs at most every
// `intervalMs`, appraises at most `maxAgentsPerPass` agents (the rest wait for the next pass), and
// publishes a result only when the verdict changed since the agent's last published one, or when
// that one is older than `maxStalenessMs`: an unchanged verdict is not logged again on every batch.
// Which agents have new evidence is read from the index records of the new entries only, and each
// appraisal reads only the agent's new entries (appraiser.ts): nothing is rescanned.
import { createHash } from 'node:crypto';
import type { EntryIndex } from '../index/index.js';
import { type Appraiser, checkAgent, EVIDENCE_TYPES } from './appraiser.js';
import { type AppraisalResult, appraisalResult, resultAgent } from './result.js';

/** Where results go, and what was last published of an agent (after a restart too). */
export interface ResultPublisher {
  publish(agent: string, result: AppraisalResult): Promise<void>;
  /** The agent's latest published result and when it was registered (ms), if any. */
  latest(agent: string): Promise<{ readonly result: AppraisalResult; readonly at: number } | undefined>;
}

export interface ContinuousOptions {
  readonly appraiser: Appraiser;
  readonly index: Pick<EntryIndex, 'size' | 'find' | 'onIndexed'>;
  readonly publisher: ResultPublisher;
  /** Least time between two passes (default 10 s). */
  readonly intervalMs?: number;
  /** Most agents appraised in one pass, so at most that many results are registered (default 64). */
  readonly maxAgentsPerPass?: number;
  /** An unchanged verdict is published again once the last one is this old (default 1 h). */
  readonly maxStalenessMs?: number;
  readonly clock?: () => number;
  /** Told of a failed pass; the next pass tries again. */
  readonly onError?: (error: unknown) => void;
  /** Told after each pass: how many agents it appraised and published, and how long it took. */
  readonly onPass?: (pass: { readonly appraised: number; readonly published: number; readonly ms: number; readonly treeSize: number }) => void;
}

const PAGE = 1000;

export class ContinuousAppraisal {
  private readonly dirty = new Set<string>();
  /** The log index up to which new entries were looked at for agents. */
  private scanned: number;
  private readonly published = new Map<string, { key: string; at: number }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastPass = -Infinity;
  private stopped = false;
  private readonly unfollow: () => void;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: ContinuousOptions) {
    // What was in the log before the start was appraised then (or is appraised on demand).
    this.scanned = options.index.size;
    this.unfollow = options.index.onIndexed(() => this.schedule());
  }

  /** Resolves once every entry indexed so far has been looked at and no agent waits. */
  settled(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle.add(resolve);
      this.schedule();
    });
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.unfollow();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  private isSettled(): boolean {
    return this.running === undefined && this.dirty.size === 0 && this.scanned >= this.options.index.size;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined || this.running !== undefined) return;
    const interval = this.options.intervalMs ?? 10_000;
    const wait = Math.max(0, this.lastPass + interval - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.pass()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          this.running = undefined;
          if (this.isSettled()) {
            for (const resolve of this.idle) resolve();
            this.idle.clear();
          } else this.schedule();
        });
    }, wait);
    this.timer.unref?.();
  }

  private async pass(): Promise<void> {
    const started = this.now();
    this.lastPass = started;
    const target = this.options.index.size;
    await this.collect(target);
    const agents = [...this.dirty].sort().slice(0, this.options.maxAgentsPerPass ?? 64);
    let published = 0;
    for (const agent of agents) {
      if (this.stopped) return;
      const { verdict, treeSize } = await this.options.appraiser.appraise(agent);
      const result = appraisalResult({ verdict, window: {}, treeSize, iat: this.now() / 1000 });
      const key = verdictKey(result);
      const last = await this.lastPublished(agent);
      if (last === undefined || last.key !== key || this.now() - last.at >= (this.options.maxStalenessMs ?? 3_600_000)) {
        await this.options.publisher.publish(agent, result);
        this.published.set(agent, { key, at: this.now() });
        published++;
      }
      this.dirty.delete(agent);
    }
    this.options.onPass?.({ appraised: agents.length, published, ms: this.now() - started, treeSize: target });
  }

  /** Marks the agents of the entries indexed in [scanned, target). */
  private async collect(target: number): Promise<void> {
    for (const type of EVIDENCE_TYPES) {
      let after = this.scanned - 1;
      for (;;) {
        const page = await this.options.index.find('type', type, { after, limit: PAGE });
        for (const entry of page.entries) {
          if (entry.index >= target || entry.payload !== 'valid') continue;
          for (const agent of entry.agents) if (isAgent(agent)) this.dirty.add(agent);
        }
        const last = page.entries.at(-1)?.index ?? page.next;
        if (page.next === undefined || last === undefined || last + 1 >= target) break;
        after = page.next;
      }
    }
    this.scanned = Math.max(this.scanned, target);
  }

  private async lastPublished(agent: string): Promise<{ key: string; at: number } | undefined> {
    const known = this.published.get(agent);
    if (known !== undefined) return known;
    const latest = await this.options.publisher.latest(agent);
    if (latest === undefined) return undefined;
    const found = { key: verdictKey(latest.result), at: latest.at };
    this.published.set(agent, found);
    return found;
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}

/**
 * What makes a verdict different: status, vector, profiles and findings. Not the evidence counts
 * or the tree size, which change with every entry: an unchanged verdict is not news.
 */
export function verdictKey(result: AppraisalResult): string {
  const { agent, submod } = resultAgent(result);
  const { 'x-atlog.evidence': _evidence, ...verdict } = submod;
  return createHash('sha256').update(JSON.stringify({ agent, verdict })).digest('hex');
}

function isAgent(agent: string): boolean {
  try {
    checkAgent(agent);
    return true;
  } catch {
    return false;
  }
}
