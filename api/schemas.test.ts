// GET /schemas and /schemas/{name} over a real server: the published JSON Schemas are the ones
// the policy enforces, and an independent validator (ajv) accepts each type's example with them.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_STATEMENT_EXAMPLES, AGENT_STATEMENT_TYPES, agentStatementSchema } from '../statements/index.js';
import { decodeCbor } from '../receipts/index.js';
import { startTestServer, type TestServer } from '../test/support/service.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('published schemas', () => {
  it('lists every agent statement type with its media type, profile id and schema', async () => {
    const response = await fetch(`${server.url}/schemas`);
    expect(response.status).toBe(200);
    const { schemas } = (await response.json()) as { schemas: { name: string; mediaType: string; profile: string; schema: string }[] };
    expect(schemas.map((s) => s.name)).toEqual(AGENT_STATEMENT_TYPES.map((t) => t.name));
    for (const s of schemas) {
      const type = AGENT_STATEMENT_TYPES.find((t) => t.name === s.name)!;
      expect(s).toMatchObject({ mediaType: type.mediaType, profile: type.profile, schema: `/schemas/${type.name}` });
    }
  });

  it('serves each JSON Schema as the policy enforces it, and ajv accepts the examples with it', async () => {
    for (const type of AGENT_STATEMENT_TYPES) {
      const response = await fetch(`${server.url}/schemas/${type.name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/schema+json');
      const schema = (await response.json()) as Record<string, unknown>;
      expect(schema).toEqual(JSON.parse(JSON.stringify(agentStatementSchema(type.name))));
      expect(schema.$id).toBe(type.profile);
      const ajv = new Ajv2020({ strict: false, validateFormats: false });
      const validate = ajv.compile(schema);
      expect(validate(AGENT_STATEMENT_EXAMPLES[type.name]), JSON.stringify(validate.errors)).toBe(true);
      expect(validate({ ...AGENT_STATEMENT_EXAMPLES[type.name], unexpected: 1 })).toBe(false);
    }
  });

  it('answers 404 with problem details for a name it does not know', async () => {
    const response = await fetch(`${server.url}/schemas/exec-audit2`);
    expect(response.status).toBe(404);
    const problem = decodeCbor(new Uint8Array(await response.arrayBuffer()), { tags: [] }) as Map<number, string>;
    expect(problem.get(-2)).toMatch(/no schema named "exec-audit2"/);
  });
});
