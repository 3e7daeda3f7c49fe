// The appraisal as one pure function of a log prefix: feed the log's entries in order, from index
// 0, and read the result. This is what a replay runs on entries fetched from the log (`atlog
// appraise --replay`), and what the service's incremental state must always agree with.
import { AgentAppraisal, type AgentVerdict, type AppraisalWindow } from './agent-appraisal.js';
import { readEvidence } from './evidence.js';
import { ProfileBook } from './profiles.js';
import { type AppraisalResult, appraisalResult, resultAgent, resultDifferences, resultWindow } from './result.js';

/** One agent's appraisal over a log read from its first entry. */
export class LogReplay {
  private readonly profiles = new ProfileBook();
  private readonly appraisal: AgentAppraisal;
  private size = 0;

  constructor(readonly agent: string) {
    this.appraisal = new AgentAppraisal(agent, this.profiles);
  }

  /** The number of entries read so far: the tree size a verdict is about. */
  get treeSize(): number {
    return this.size;
  }

  /** Reads the next entry of the log (its index must be the tree size so far). */
  add(entry: Uint8Array): void {
    const evidence = readEvidence(entry, this.size);
    this.size++;
    if (evidence === undefined) return;
    // Profiles are in force from their own index on; the book answers by index, so it may run ahead.
    if (evidence.type === 'behavior-profile') this.profiles.add(evidence);
    else this.appraisal.add(evidence);
  }

  verdict(window: AppraisalWindow = {}): AgentVerdict {
    return this.appraisal.verdict(window);
  }
}

/** The appraisal of `agent` over `entries` (the log from index 0), as a result signed at `iat`. */
export function appraiseLog(entries: Iterable<Uint8Array>, options: { readonly agent: string; readonly window?: AppraisalWindow; readonly iat: number }): AppraisalResult {
  const replay = new LogReplay(options.agent);
  for (const entry of entries) replay.add(entry);
  return appraisalResult({ verdict: replay.verdict(options.window ?? {}), window: options.window ?? {}, treeSize: replay.treeSize, iat: options.iat });
}

export interface ReplayOutcome {
  readonly identical: boolean;
  /** `path: logged ≠ recomputed`, when they differ. */
  readonly differences: readonly string[];
  readonly recomputed: AppraisalResult;
}

/**
 * Recomputes `result` from the log's entries below its tree size (a LogReplay fed with exactly
 * those) and compares everything but `iat`.
 */
export function compareReplay(result: AppraisalResult, replay: LogReplay): ReplayOutcome {
  const { agent } = resultAgent(result);
  if (replay.agent !== agent) throw new Error(`the replay is of ${replay.agent}, the result of ${agent}`);
  if (replay.treeSize !== result['x-atlog.tree_size']) throw new Error(`the replay read ${replay.treeSize} entries; the result is of tree size ${result['x-atlog.tree_size']}`);
  const window = resultWindow(result);
  const recomputed = appraisalResult({ verdict: replay.verdict(window), window, treeSize: replay.treeSize, iat: result.iat });
  const differences = resultDifferences(result, recomputed);
  return { identical: differences.length === 0, differences, recomputed };
}
