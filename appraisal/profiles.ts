// The behavioral profiles in the log, and which one is in force for an entry: the latest profile
// (by log index) registered before the entry that covers the agent, by exact id or by a trailing-*
// pattern (docs/statements.md), and whose `applies_to.swname`, when it names one, is the software
// the entry says the agent runs (an entry that names no software is covered). A later version of
// a profile, or another profile covering the agent, replaces it from its own log index on.
import type { BehaviorProfilePayload } from '../statements/index.js';
import type { EvidenceOf } from './evidence.js';
import { matchesAny } from './patterns.js';

export type Profile = EvidenceOf<'behavior-profile'>;

export class ProfileBook {
  /** In log order. */
  private readonly profiles: Profile[] = [];
  private readonly covering = new Map<string, Profile[]>();

  /** Adds a profile; profiles must come in log order (the book is a fold over the log too). */
  add(profile: Profile): void {
    const last = this.profiles.at(-1);
    if (last !== undefined && profile.index <= last.index) {
      if (this.profiles.some((p) => p.index === profile.index)) return;
      throw new Error(`profiles must be added in log order (${profile.index} after ${last.index})`);
    }
    this.profiles.push(profile);
    for (const [agent, list] of this.covering) if (covers(profile.payload, agent)) list.push(profile);
  }

  /** How many profiles the book holds. */
  get count(): number {
    return this.profiles.length;
  }

  /** The profile in force for an entry of `agent` at log index `index`, or undefined. */
  inForce(agent: string, index: number, swname?: string): Profile | undefined {
    const list = this.coveringOf(agent);
    for (let i = list.length - 1; i >= 0; i--) {
      const profile = list[i]!;
      if (profile.index >= index) continue;
      const wanted = profile.payload.applies_to.swname;
      if (wanted === undefined || swname === undefined || wanted === swname) return profile;
    }
    return undefined;
  }

  private coveringOf(agent: string): Profile[] {
    let list = this.covering.get(agent);
    if (list === undefined) {
      list = this.profiles.filter((profile) => covers(profile.payload, agent));
      this.covering.set(agent, list);
    }
    return list;
  }
}

export function covers(profile: BehaviorProfilePayload, agent: string): boolean {
  return matchesAny(profile.applies_to.agents, agent);
}

/** How a profile is named in `ear_appraisal_policy_ids`: `<id>#<version>@<entry id>`. */
export function policyId(profile: Profile): string {
  return `${profile.payload.id}#${profile.payload.version}@${profile.entryId}`;
}
