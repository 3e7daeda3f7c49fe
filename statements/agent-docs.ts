// The reference part of docs/statements.md, generated from the schemas themselves: every member
// of every type with its type, limits and meaning, the shared blocks once, the string formats, and
// the examples. A test keeps the document equal to this output (UPDATE_DOCS=1 rewrites it).

import { AGENT_STATEMENT_EXAMPLES } from './agent-examples.js';
import { AGENT_STATEMENT_TYPES } from './agent-statements.js';
import { agentBlock, corrBlock, dpBlock, execAuditCorrBlock, link, profileRef } from './agent-formats.js';
import { behaviorAttestationSchema, behaviorProfileSchema, execAuditSchema, focusBlock, measurement, overrideEventSchema, resourceUsageSchema } from './agent-types.js';
import type { Spec } from './schema-dsl.js';

export const GENERATED_BEGIN = '<!-- generated from the schemas (statements/agent-docs.ts): do not edit by hand -->';
export const GENERATED_END = '<!-- end of the generated part -->';

/** Blocks documented once, in their own section, and referred to elsewhere. */
const SHARED: readonly [string, Spec][] = [
  ['agent', agentBlock.spec],
  ['profile-ref', profileRef.spec],
  ['corr', corrBlock.spec],
  ['exec-audit-corr', execAuditCorrBlock.spec],
  ['link', link.spec],
  ['dp', dpBlock.spec],
  ['measurement', measurement.spec],
  ['focus', focusBlock.spec],
];
const SHARED_NAMES = new Set(SHARED.map(([name]) => name));

const TYPES: readonly [string, Spec][] = [
  ['exec-audit', execAuditSchema.spec],
  ['behavior-attestation', behaviorAttestationSchema.spec],
  ['resource-usage', resourceUsageSchema.spec],
  ['override-event', overrideEventSchema.spec],
  ['behavior-profile', behaviorProfileSchema.spec],
];

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(spec: Spec, formats: Map<string, Spec>): string {
  if (spec.def !== undefined && SHARED_NAMES.has(spec.def)) return `[${spec.def}](#${spec.def})`;
  if (spec.def?.startsWith('actor-') === true) return '[actor](#actor)';
  switch (spec.kind) {
    case 'string':
      if (spec.values !== undefined) return spec.values.length === 1 ? `\`${spec.values[0]}\`` : `one of ${spec.values.map((value) => `\`${value}\``).join(', ')}`;
      if (spec.pattern !== undefined) {
        if (spec.def !== undefined) {
          formats.set(spec.def, spec);
          return `[${spec.def}](#format-${spec.def})`;
        }
        return `string ≤ ${spec.maxLength}: ${spec.what}`;
      }
      return `string ${spec.minLength === 0 ? '0' : '1'}…${spec.maxLength}`;
    case 'integer':
    case 'number':
      return `${spec.kind} ${spec.minimum}…${spec.maximum === Number.MAX_SAFE_INTEGER ? '2⁵³−1' : spec.maximum}`;
    case 'boolean':
      return 'boolean';
    case 'array':
      return `array of ${spec.minItems}…${spec.maxItems}${spec.unique ? ' distinct' : ''} ${typeOf(spec.items, formats)}`;
    case 'object':
      return 'object';
    case 'map':
      return `map of ${spec.minKeys === 0 ? '≤' : `${spec.minKeys}…`} ${spec.maxKeys} (keys: ${spec.keyWhat}) to ${typeOf(spec.values, formats)}`;
    case 'anyOf':
      return spec.what;
    case 'json':
      return 'any JSON';
    case 'never':
      return 'refused';
  }
}

interface Row {
  readonly member: string;
  readonly type: string;
  readonly required: string;
  readonly meaning: string;
}

function memberRows(spec: Spec, prefix: string, formats: Map<string, Spec>, out: Row[]): void {
  if (spec.kind !== 'object') return;
  for (const [name, member] of Object.entries(spec.members)) {
    const path = `${prefix}${name}`;
    if (member.forbidden !== undefined) {
      out.push({ member: path, type: 'refused', required: '—', meaning: `Refused: ${member.forbidden}.` });
      continue;
    }
    const conditions = (spec.when ?? [])
      .filter((rule) => rule.require?.includes(name) === true || rule.forbid?.includes(name) === true)
      .map((rule) => `${rule.require?.includes(name) === true ? 'required' : 'absent'} when ${rule.member} is ${rule.in !== undefined ? rule.in.join(' or ') : `not ${(rule.notIn ?? []).join(' or ')}`}`);
    const meaning = [member.description ?? member.spec.description ?? '', ...(member.spec.kind === 'string' && member.spec.extraDoc !== undefined ? [member.spec.extraDoc] : [])].join(' ');
    out.push({
      member: path,
      type: typeOf(member.spec, formats),
      required: member.required ? 'yes' : conditions.length > 0 ? conditions.join('; ') : 'no',
      meaning,
    });
    expand(member.spec, path, formats, out);
  }
  if (spec.atLeastOne !== undefined) out.push({ member: prefix === '' ? '(object)' : prefix.replace(/\.$/, ''), type: '', required: '', meaning: `At least one of ${spec.atLeastOne.map((name) => `\`${name}\``).join(', ')}.` });
}

function expand(spec: Spec, path: string, formats: Map<string, Spec>, out: Row[]): void {
  if (spec.def !== undefined && (SHARED_NAMES.has(spec.def) || spec.def.startsWith('actor-'))) return;
  if (spec.kind === 'object') memberRows(spec, `${path}.`, formats, out);
  else if (spec.kind === 'array') expand(spec.items, `${path}[]`, formats, out);
  else if (spec.kind === 'map' && (spec.values.kind === 'object' || spec.values.kind === 'map')) expand(spec.values, `${path}.<key>`, formats, out);
}

function table(rows: readonly Row[]): string {
  return [
    '| member | type | required | meaning |',
    '|---|---|---|---|',
    ...rows.map((row) => `| \`${row.member}\` | ${cell(row.type)} | ${cell(row.required)} | ${cell(row.meaning)} |`),
  ].join('\n');
}

/** The generated reference: types, shared blocks, formats and examples, in Markdown. */
export function agentStatementReference(): string {
  const formats = new Map<string, Spec>();
  const parts: string[] = [GENERATED_BEGIN, ''];
  for (const [name, spec] of TYPES) {
    const type = AGENT_STATEMENT_TYPES.find((candidate) => candidate.name === name)!;
    const rows: Row[] = [];
    memberRows(spec, '', formats, rows);
    parts.push(
      `### ${name}`,
      '',
      `${type.title}: media type \`${type.mediaType}\`, profile \`${type.profile}\`, schema \`GET /schemas/${name}\`; the CWT \`sub\` is \`${type.subjectPath}\`.`,
      '',
      spec.description ?? '',
      '',
      ...(spec.kind === 'object' && spec.comment !== undefined ? [spec.comment, ''] : []),
      table(rows),
      '',
    );
  }
  parts.push('### Shared blocks', '');
  for (const [name, spec] of SHARED) {
    const rows: Row[] = [];
    memberRows(spec, '', formats, rows);
    parts.push(`#### ${name}`, '', spec.description ?? '', '', ...(spec.kind === 'object' && spec.comment !== undefined ? [spec.comment, ''] : []), table(rows), '');
  }
  const actorRows: Row[] = [];
  memberRows(actorSpec(), '', formats, actorRows);
  parts.push('#### actor', '', 'An RFC 8693 actor; `act` nests up to 8 actors in all.', '', table(actorRows), '');
  parts.push('### Formats', '', '| format | what | pattern |', '|---|---|---|');
  for (const [name, spec] of [...formats.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (spec.kind !== 'string') continue;
    const extra = spec.extraDoc === undefined ? '' : ` ${spec.extraDoc}`;
    parts.push(`| <a id="format-${name}"></a>\`${name}\` | ${cell(`${spec.description ?? spec.what ?? ''}${extra}`)} | \`${cell(spec.pattern ?? '')}\` (≤ ${spec.maxLength}) |`);
  }
  parts.push('', '### Examples', '');
  for (const [name] of TYPES) {
    parts.push(`#### ${name}`, '', '```json', JSON.stringify(AGENT_STATEMENT_EXAMPLES[name as keyof typeof AGENT_STATEMENT_EXAMPLES], null, 2), '```', '');
  }
  parts.push(GENERATED_END);
  return parts.join('\n');
}

function actorSpec(): Spec {
  const authority = (execAuditSchema.spec as Extract<Spec, { kind: 'object' }>).members.authority!.spec as Extract<Spec, { kind: 'object' }>;
  return authority.members.act!.spec;
}
