// docs/statements.md holds the reference generated from the schemas, unchanged, so the document
// names every member of every schema with its limits. UPDATE_DOCS=1 rewrites the generated part.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED_BEGIN, GENERATED_END, agentStatementReference } from './agent-docs.js';
import { AGENT_STATEMENT_TYPES } from './index.js';

const DOC = fileURLToPath(new URL('../docs/statements.md', import.meta.url));

function generatedPart(text: string): string {
  const begin = text.indexOf(GENERATED_BEGIN);
  const end = text.indexOf(GENERATED_END);
  expect(begin, 'the generated part begins').toBeGreaterThanOrEqual(0);
  expect(end, 'the generated part ends').toBeGreaterThan(begin);
  return text.slice(begin, end + GENERATED_END.length);
}

/** Every member name anywhere in a JSON Schema. */
function memberNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (typeof schema !== 'object' || schema === null) return out;
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  if (properties !== undefined) for (const name of Object.keys(properties)) out.add(name);
  for (const value of Object.values(schema)) memberNames(value, out);
  return out;
}

describe('docs/statements.md', () => {
  it('holds the reference generated from the schemas', () => {
    let text = readFileSync(DOC, 'utf8');
    const generated = agentStatementReference();
    if (process.env.UPDATE_DOCS === '1') {
      text = text.replace(generatedPart(text), () => generated);
      writeFileSync(DOC, text);
    }
    expect(generatedPart(text)).toBe(generated);
  });

  it('names every member of every schema, and every media type and profile', () => {
    const text = readFileSync(DOC, 'utf8');
    for (const type of AGENT_STATEMENT_TYPES) {
      expect(text).toContain(type.mediaType);
      expect(text).toContain(type.profile);
      for (const name of memberNames(type.schema)) expect(text, `${type.name}: ${name}`).toMatch(new RegExp(`\`([^\`]*\\.)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\[\\])?\``));
    }
  });
});
