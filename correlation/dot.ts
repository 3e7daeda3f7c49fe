// A task graph as Graphviz DOT: one cluster per domain, parents as solid edges, links (and every
// edge that crosses a domain) dashed with their relation, failed tasks filled, foreign tasks
// dashed, dangling parents as plain text. Every string is quoted and escaped: task ids, agents and
// workflow ids come from signed statements, not from us.

import type { TaskGraph } from './graph.js';

const OUTCOME_FILL: Readonly<Record<string, string>> = { error: '#f4b6b6', denied: '#f4b6b6', cancelled: '#dddddd', compensated: '#fbe3a6' };

/** DOT of `graph`, titled with its workflow and the tree size it reflects. */
export function toDot(graph: TaskGraph, options: { title: string }): string {
  const lines: string[] = [];
  lines.push(`digraph ${quote(options.title)} {`);
  lines.push(`  graph [rankdir=LR, label=${quote(options.title)}, labelloc=t, fontname="Helvetica"];`);
  lines.push('  node [shape=box, style="rounded,filled", fillcolor="#ffffff", fontname="Helvetica", fontsize=10];');
  lines.push('  edge [fontname="Helvetica", fontsize=9];');
  const byDomain = new Map<string, number[]>();
  graph.tasks.forEach((task, p) => {
    const domain = task.domain ?? '';
    byDomain.set(domain, [...(byDomain.get(domain) ?? []), p]);
  });
  let cluster = 0;
  for (const domain of [...byDomain.keys()].sort()) {
    lines.push(`  subgraph ${quote(`cluster_${cluster++}`)} {`);
    lines.push(`    label=${quote(domain === '' ? '(no domain)' : domain)};`);
    for (const p of byDomain.get(domain)!) {
      const task = graph.tasks[p]!;
      const label = [task.tid, task.action ?? '', task.outcome ?? '', task.agent ?? '', graph.foreign(p) ? `workflow ${task.wid}` : ''].filter((l) => l !== '').join('\n');
      const style = graph.foreign(p) ? 'rounded,filled,dashed' : 'rounded,filled';
      lines.push(`    ${quote(`t${p}`)} [label=${quote(label)}, style=${quote(style)}, fillcolor=${quote(OUTCOME_FILL[task.outcome ?? ''] ?? '#ffffff')}, tooltip=${quote(task.entryId)}];`);
    }
    lines.push('  }');
  }
  for (const edge of graph.edges) {
    const attributes: string[] = [];
    if (edge.kind === 'link') attributes.push('style=dashed');
    if (edge.crossDomain) attributes.push('color="#c0392b"', 'penwidth=1.6');
    if (edge.rel !== undefined) attributes.push(`label=${quote(edge.rel)}`);
    lines.push(`  ${quote(`t${edge.from}`)} -> ${quote(`t${edge.to}`)}${attributes.length === 0 ? '' : ` [${attributes.join(', ')}]`};`);
  }
  graph.dangling.forEach((d, i) => {
    const child = graph.positionOf(d.task);
    if (child === undefined) return;
    lines.push(`  ${quote(`missing${i}`)} [shape=plaintext, style="", label=${quote(`${d.tid}\n(${d.foreign ? 'foreign, ' : ''}not in the log)`)}];`);
    lines.push(`  ${quote(`missing${i}`)} -> ${quote(`t${child}`)} [style=dotted${d.rel === undefined ? '' : `, label=${quote(d.rel)}`}];`);
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** A DOT quoted string: backslash and quote escaped, line breaks as \n, other control characters dropped. */
function quote(text: string): string {
  let out = '"';
  for (const ch of text) {
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f) out += ch;
  }
  return `${out}"`;
}
