// Index records for privacy tests, without a log: what EntryIndex would hold for agent statements
// with a privacy block (only the members the reports read are filled in).
import type { IndexedEntry } from '../../index/index.js';

export interface RecordOptions {
  readonly index: number;
  readonly type?: IndexedEntry['type'];
  readonly domain?: string;
  readonly time?: number;
  readonly agent?: string;
  readonly principal?: string;
  readonly workflow?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly dims?: Record<string, string | number | boolean>;
  readonly measurements?: Record<string, number>;
}

/** A valid index record of an agent statement. */
export function indexRecord(o: RecordOptions): IndexedEntry {
  const units: Partial<Record<'agent' | 'principal' | 'workflow', string>> = {};
  if (o.agent !== undefined) units.agent = o.agent;
  if (o.principal !== undefined) units.principal = o.principal;
  if (o.workflow !== undefined) units.workflow = o.workflow;
  return {
    index: o.index,
    entryId: o.index.toString(16).padStart(64, '0'),
    registeredAt: o.time ?? 1_767_225_600_000,
    time: o.time ?? 1_767_225_600_000,
    type: o.type ?? 'exec-audit',
    payload: 'valid',
    iss: 'https://issuer.example',
    sub: 'spiffe://a.example/agent/x',
    domain: o.domain ?? 'a.example',
    agents: [],
    par: [],
    links: [],
    refs: [],
    ...(o.action === undefined ? {} : { action: o.action }),
    ...(o.outcome === undefined ? {} : { outcome: o.outcome }),
    dims: o.dims ?? {},
    units,
    measurements: Object.entries(o.measurements ?? {}).map(([name, value]) => ({ name, value, unit: '{token}' })),
  };
}
