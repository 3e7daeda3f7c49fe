// Where the service's time went: a V8 CPU profile (node --cpu-prof) summed by function, self time
// and inclusive time, as the table docs/benchmarks.md quotes. One profile per thread.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileLine {
  readonly name: string;
  /** Share of the profile's time, 0 to 1. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly seconds: number;
  /** Share of the time the thread ran no JavaScript (waiting for I/O or messages). */
  readonly idle: number;
  readonly self: readonly ProfileLine[];
  readonly inclusive: readonly ProfileLine[];
}

function nameOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split('/').slice(-2).join('/');
  return `${functionName || '(anonymous)'}${file === '' ? '' : ` ${file}:${lineNumber + 1}`}`;
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const time = new Map<number, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    time.set(id, (time.get(id) ?? 0) + dt);
    total += dt;
  });
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, dt] of time) {
    const name = nameOf(byId.get(id)!);
    self.set(name, (self.get(name) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = nameOf(byId.get(at)!);
      if (seen.has(n)) continue;
      seen.add(n);
      inclusive.set(n, (inclusive.get(n) ?? 0) + dt);
    }
  }
  const ranked = (m: Map<string, number>) =>
    [...m]
      .filter(([name]) => name !== '(root)' && name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, t]) => ({ name, share: total === 0 ? 0 : t / total }));
  return { seconds: total / 1e6, idle: total === 0 ? 0 : (self.get('(idle)') ?? 0) / total, self: ranked(self), inclusive: ranked(inclusive) };
}
