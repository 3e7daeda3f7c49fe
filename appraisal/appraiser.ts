// The appraiser: keeps each agent's appraisal state (agent-appraisal.ts) and brings it up to the
// entry index's size by reading only what is new: the agent's entries after the last one it read,
// found through the index, and the profiles registered since. No history is read twice while the
// state is kept; an agent whose state was dropped (more agents than `maxAgents`) is read again
// from its first entry on its next appraisal. The I/O is here; every decision is in the fold.
import type { EntryIndex, EntryType } from '../index/index.js';
import { AgentAppraisal, type AgentVerdict, type AppraisalWindow } from './agent-appraisal.js';
import { AppraisalError } from './errors.js';
import { type Evidence, readEvidence } from './evidence.js';
import { type Profile, ProfileBook } from './profiles.js';

/** Where the appraiser reads: the entry index to find entries, the log for their bytes. */
export interface EvidenceStore {
  readonly index: Pick<EntryIndex, 'size' | 'find'>;
  /** The registered statements at these log indices (increasing), in the same order. */
  readEntries(indices: readonly number[]): Promise<readonly Uint8Array[]>;
}

export interface AppraiserOptions {
  /** Agents whose state is kept in memory (default 1024); the least recently appraised go first. */
  readonly maxAgents?: number;
}

/** The types an agent's evidence comes in; profiles are read apart, for every agent at once. */
export const EVIDENCE_TYPES: ReadonlySet<EntryType> = new Set(['exec-audit', 'behavior-attestation', 'resource-usage', 'override-event']);

const PAGE = 1000;
/** Longest agent id the index can look up (index/: longer values are not indexed). */
export const MAX_AGENT_ID_BYTES = 1024;

export class Appraiser {
  private readonly profiles = new ProfileBook();
  /** The log index up to which profiles were read. */
  private profilesRead = 0;
  private profileReading: Promise<void> = Promise.resolve();
  private readonly states = new Map<string, AgentAppraisal>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly maxAgents: number;
  private closed = false;

  constructor(
    private readonly store: EvidenceStore,
    options: AppraiserOptions = {},
  ) {
    this.maxAgents = options.maxAgents ?? 1024;
  }

  /** Agents with state in memory (for metrics and tests). */
  get agentsInMemory(): number {
    return this.states.size;
  }

  /**
   * The verdict on `agent` over what the index holds now (its size is the tree size computed
   * on), for `window`. Appraisals of one agent run one at a time, each reading only what the
   * previous did not.
   */
  appraise(agent: string, window: AppraisalWindow = {}): Promise<{ readonly verdict: AgentVerdict; readonly treeSize: number }> {
    if (this.closed) return Promise.reject(new AppraisalError('APPRAISAL_CLOSED', 'the appraiser is stopping'));
    checkAgent(agent);
    const previous = this.queues.get(agent) ?? Promise.resolve();
    const run = previous.then(async () => {
      const size = this.store.index.size;
      await this.readProfiles(size);
      const state = this.stateOf(agent);
      await this.readAgent(state, size);
      return { verdict: state.verdict(window), treeSize: size };
    });
    const settled = run.catch(() => undefined);
    this.queues.set(agent, settled);
    void settled.then(() => {
      if (this.queues.get(agent) === settled) this.queues.delete(agent);
    });
    return run;
  }

  close(): void {
    this.closed = true;
  }

  private stateOf(agent: string): AgentAppraisal {
    let state = this.states.get(agent);
    if (state !== undefined) {
      // Most recently used last: the map's order is the eviction order.
      this.states.delete(agent);
    } else {
      state = new AgentAppraisal(agent, this.profiles);
    }
    this.states.set(agent, state);
    while (this.states.size > this.maxAgents) this.states.delete(this.states.keys().next().value!);
    return state;
  }

  /** Reads the profiles registered below `size` not read yet (one reader at a time). */
  private readProfiles(size: number): Promise<void> {
    const reading = this.profileReading.then(async () => {
      if (size <= this.profilesRead) return;
      for await (const evidence of this.read('type', 'behavior-profile', this.profilesRead, size)) {
        if (evidence.type === 'behavior-profile') this.profiles.add(evidence as Profile);
      }
      this.profilesRead = size;
    });
    this.profileReading = reading.catch(() => undefined);
    return reading;
  }

  private async readAgent(state: AgentAppraisal, size: number): Promise<void> {
    if (size <= state.nextIndex) return;
    for await (const evidence of this.read('agent', state.agent, state.nextIndex, size, EVIDENCE_TYPES)) {
      if (evidence.type !== 'behavior-profile') state.add(evidence);
    }
    state.advanceTo(size);
  }

  /** The evidence of entries found by field = value with from ≤ index < to, in log order. */
  private async *read(field: 'agent' | 'type', value: string, from: number, to: number, types?: ReadonlySet<EntryType>): AsyncGenerator<Evidence> {
    let after = from - 1;
    for (;;) {
      const page = await this.store.index.find(field, value, { after, limit: PAGE });
      const wanted = page.entries.filter((e) => e.index < to && e.payload === 'valid' && (types === undefined || types.has(e.type))).map((e) => e.index);
      const entries = wanted.length === 0 ? [] : await this.store.readEntries(wanted);
      for (let i = 0; i < wanted.length; i++) {
        const evidence = readEvidence(entries[i]!, wanted[i]!);
        if (evidence !== undefined) yield evidence;
      }
      const last = page.entries.at(-1)?.index ?? page.next;
      if (page.next === undefined || last === undefined || last + 1 >= to) return;
      after = page.next;
    }
  }
}

/** An agent id the appraisal can look up: an agent id (spiffe:// or wimse://) the index holds. */
export function checkAgent(agent: unknown): asserts agent is string {
  if (typeof agent !== 'string' || !/^(?:spiffe|wimse):\/\/[a-z0-9.-]+\/[\x21-\x7e]+$/.test(agent)) {
    throw new AppraisalError('APPRAISAL_BAD_REQUEST', 'the agent is its WIMSE or SPIFFE id (spiffe://<trust domain>/<path> or wimse://…)');
  }
  if (Buffer.byteLength(agent, 'utf8') > MAX_AGENT_ID_BYTES) {
    throw new AppraisalError('APPRAISAL_BAD_REQUEST', `agent ids longer than ${MAX_AGENT_ID_BYTES} bytes are not indexed, so they cannot be appraised`);
  }
}
