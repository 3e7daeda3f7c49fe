// The rules of each payload type that reach across members (start ≤ end, a phase's own members,
// a task that is not its own parent…): JSON Schema cannot say them, so they run after the schema
// in the same validation, on a value the schema already accepted, and report a path too. Each
// type's JSON Schema names them in its `$comment`.

import { compareInstants } from './agent-formats.js';
import type {
  BehaviorAttestationPayload,
  BehaviorProfilePayload,
  ExecAuditPayload,
  OverrideEventPayload,
  ResourceUsagePayload,
  Submod,
} from './agent-types.js';
import type { SchemaFailure } from './schema-dsl.js';
import { pointer } from './schema-dsl.js';

type Path = readonly (string | number)[];

const at = (path: Path, reason: string): SchemaFailure => ({ path: pointer(path), reason });

function notAfter(start: string, end: string, path: Path, what = 'start'): SchemaFailure | undefined {
  return compareInstants(start, end) > 0 ? at(path, `must not be before ${what}`) : undefined;
}

function distinctNames(items: readonly { readonly name: string }[] | undefined, path: Path, what: string): SchemaFailure | undefined {
  if (items === undefined) return undefined;
  const seen = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    const { name } = items[i]!;
    const first = seen.get(name);
    if (first !== undefined) return at([...path, i, 'name'], `repeats the ${what} of item ${first}; each ${what} once`);
    seen.set(name, i);
  }
  return undefined;
}

export function execAuditRules(payload: ExecAuditPayload): SchemaFailure | undefined {
  const parent = payload.par.indexOf(payload.jti);
  if (parent !== -1) return at(['par', parent], 'a task cannot be its own parent (it is the jti)');
  return notAfter(payload.start, payload.end, ['end']);
}

function observedRules(observed: BehaviorAttestationPayload['observed'] | undefined, path: Path): SchemaFailure | undefined {
  const actions = observed?.actions;
  if (actions === undefined) return undefined;
  const seen = new Map<string, number>();
  for (let i = 0; i < actions.length; i++) {
    const entry = actions[i]!;
    const first = seen.get(entry.action);
    if (first !== undefined) return at([...path, 'actions', i, 'action'], `repeats the action of item ${first}; each action once`);
    seen.set(entry.action, i);
    for (const member of ['denied', 'failed'] as const) {
      const value = entry[member];
      if (value !== undefined && value > entry.count) return at([...path, 'actions', i, member], `must not exceed count (${entry.count})`);
    }
  }
  return undefined;
}

function submodRules(submods: { readonly [name: string]: Submod } | undefined, path: Path): SchemaFailure | undefined {
  if (submods === undefined) return undefined;
  for (const [name, submod] of Object.entries(submods)) {
    const failure =
      distinctNames(submod.measurements, [...path, name, 'measurements'], 'name') ??
      observedRules(submod.observed, [...path, name, 'observed']) ??
      submodRules(submod.submods, [...path, name, 'submods']);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

export function behaviorAttestationRules(payload: BehaviorAttestationPayload): SchemaFailure | undefined {
  const { covered } = payload;
  if (covered.first_seq !== undefined && covered.last_seq !== undefined && covered.first_seq > covered.last_seq) {
    return at(['covered', 'last_seq'], 'must not be below first_seq');
  }
  return (
    notAfter(payload.window.start, payload.window.end, ['window', 'end']) ??
    distinctNames(payload.measurements, ['measurements'], 'name') ??
    observedRules(payload.observed, ['observed']) ??
    submodRules(payload.submods, ['submods'])
  );
}

const COST_COLUMNS = ['BilledCost', 'EffectiveCost', 'ListCost', 'ContractedCost'] as const;

export function resourceUsageRules(payload: ResourceUsagePayload): SchemaFailure | undefined {
  if (payload.scope === 'task' && payload.corr.tid === undefined) return at(['corr'], 'missing member "tid", required when scope is "task"');
  const period = notAfter(payload.period.start, payload.period.end, ['period', 'end']);
  if (period !== undefined) return period;
  const names = distinctNames(payload.measurements, ['measurements'], 'name');
  if (names !== undefined) return names;
  const focus = payload.focus;
  if (focus !== undefined) {
    if (focus.ChargePeriodStart !== undefined && focus.ChargePeriodEnd !== undefined) {
      const failure = notAfter(focus.ChargePeriodStart, focus.ChargePeriodEnd, ['focus', 'ChargePeriodEnd'], 'ChargePeriodStart');
      if (failure !== undefined) return failure;
    }
    const cost = COST_COLUMNS.find((column) => focus[column] !== undefined);
    if (cost !== undefined && focus.BillingCurrency === undefined) return at(['focus'], `missing member "BillingCurrency", required with ${cost}`);
  }
  return undefined;
}

export function overrideEventRules(payload: OverrideEventPayload): SchemaFailure | undefined {
  const { target } = payload;
  if ((payload.action === 'approve' || payload.action === 'deny') && (target.tasks === undefined || target.tasks.length === 0) && target.request === undefined) {
    return at(['target'], `${payload.action} must name what it answers: target.tasks (the gated tasks) or target.request`);
  }
  if (payload.agent !== undefined && !target.agents.includes(payload.agent.id)) {
    return at(['agent', 'id'], 'must be one of target.agents: only an overridden agent signs an agent phase');
  }
  if (payload.phase === 'acknowledged' && payload.result?.ack_at === undefined) return at(['result'], 'missing member "ack_at", required when phase is "acknowledged"');
  if (payload.phase === 'enforced' && payload.result?.effective_at === undefined) return at(['result'], 'missing member "effective_at", required when phase is "enforced"');
  return undefined;
}

export function behaviorProfileRules(payload: BehaviorProfilePayload): SchemaFailure | undefined {
  const rules = payload.human_approval ?? [];
  for (let i = 0; i < rules.length; i++) {
    const conditions = rules[i]!.when.tctx ?? [];
    for (let j = 0; j < conditions.length; j++) {
      const { op, value } = conditions[j]!;
      const path = ['human_approval', i, 'when', 'tctx', j, 'value'];
      if (op === 'in' && !Array.isArray(value)) return at(path, 'must be a list for op "in"');
      if (op !== 'in' && Array.isArray(value)) return at(path, `must be a single value for op "${op}"`);
      if ((op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') && typeof value !== 'number') return at(path, `must be a number for op "${op}"`);
    }
  }
  return undefined;
}
