// The JSON Schemas of the agent statement types (statements/), as published documents: what a
// producer validates against before signing, and what the registration policy enforces.
import type { Hono } from 'hono';
import { AGENT_STATEMENT_TYPES, agentStatementSchema } from '../statements/index.js';
import { notFound, problemResponse } from './problems.js';

const SCHEMA_TYPE = 'application/schema+json';
const CACHE = 'public, max-age=3600';

export function schemaRoutes(app: Hono): void {
  // The index: each type's name, media type, profile id and where its schema is.
  const list = JSON.stringify({
    schemas: AGENT_STATEMENT_TYPES.map((type) => ({ name: type.name, title: type.title, mediaType: type.mediaType, profile: type.profile, schema: `/schemas/${type.name}` })),
  });
  const documents = new Map(AGENT_STATEMENT_TYPES.map((type) => [type.name as string, JSON.stringify(agentStatementSchema(type.name))]));
  app.get('/schemas', () => new Response(list, { headers: { 'content-type': 'application/json', 'cache-control': CACHE } }));
  app.get('/schemas/:name', (c) => {
    const document = documents.get(c.req.param('name'));
    if (document === undefined) {
      return problemResponse(notFound(`no schema named ${JSON.stringify(c.req.param('name').slice(0, 64))}; GET /schemas lists them`));
    }
    return new Response(document, { headers: { 'content-type': SCHEMA_TYPE, 'cache-control': CACHE } });
  });
}
