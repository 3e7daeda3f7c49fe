// Query routes over the entry index: an agent's entries, a workflow's entries, filtered by type and
// time, paged. Every answer says which tree size the index reflects (`treeSize`) beside the log's
// own size, so a client can tell how fresh it is. Read-only: the index is written by its follower.
import { timeParam, integerParam } from './params.js';
import type { Context, Hono } from 'hono';
import { ENTRY_TYPES, type EntryPage, type EntryQuery, type EntryType, type Field, type IndexedEntry, MAX_PAGE_ENTRIES } from '../index/index.js';
import { malformed, problemResponse } from './problems.js';
import type { TransparencyService } from './service.js';

/** An index record as the API shows it: times in RFC 3339, and where to fetch the statement. */
export type EntrySummary = Omit<IndexedEntry, 'time' | 'registeredAt'> & {
  readonly time: string;
  readonly registeredAt: string;
  readonly statement: string;
  readonly receipt: string;
};

export interface EntryListing {
  /** The tree size the index reflects: every entry below it is included if it matches. */
  readonly treeSize: number;
  /** The log's size under its last signed checkpoint; above treeSize while the index catches up. */
  readonly logSize: number;
  readonly entries: readonly EntrySummary[];
  /** Pass as `after` for the next page. */
  readonly next?: number;
}

const MAX_ID_LENGTH = 1024;

export function queryRoutes(app: Hono, service: TransparencyService, basePath: string): void {
  const listing = (field: Field, param: string) => async (c: Context) => {
    const value = c.req.param(param) ?? '';
    if (value.length === 0 || value.length > MAX_ID_LENGTH) return problemResponse(malformed(`the ${param} is 1 to ${MAX_ID_LENGTH} characters`));
    const query = entryQuery(c);
    if (typeof query === 'string') return problemResponse(malformed(query));
    const page = await service.index.find(field, value, query);
    return c.json(listingOf(page, service.log.size, basePath), 200, { 'cache-control': 'no-store' });
  };
  app.get('/agents/:id/entries', listing('agent', 'id'));
  app.get('/workflows/:wid/entries', listing('workflow', 'wid'));
}

function listingOf(page: EntryPage, logSize: number, basePath: string): EntryListing {
  return {
    treeSize: page.treeSize,
    logSize,
    entries: page.entries.map((entry) => summary(entry, basePath)),
    ...(page.next === undefined ? {} : { next: page.next }),
  };
}

function summary(entry: IndexedEntry, basePath: string): EntrySummary {
  return {
    ...entry,
    time: new Date(entry.time).toISOString(),
    registeredAt: new Date(entry.registeredAt).toISOString(),
    statement: `${basePath}/entries/${entry.entryId}/statement`,
    receipt: `${basePath}/entries/${entry.entryId}`,
  };
}

/** The filters of a listing, or why they cannot be used. */
function entryQuery(c: Context): EntryQuery | string {
  const type = c.req.query('type');
  if (type !== undefined && !(ENTRY_TYPES as readonly string[]).includes(type)) return `type is one of ${ENTRY_TYPES.join(', ')}`;
  const from = timeParam(c.req.query('from'));
  const to = timeParam(c.req.query('to'));
  if (from === null || to === null) return 'from and to are RFC 3339 date-times (2026-01-01T00:00:00Z) or NumericDate seconds';
  if (from !== undefined && to !== undefined && from > to) return 'from is later than to';
  const after = integerParam(c.req.query('after'));
  const limit = integerParam(c.req.query('limit'));
  if (after === null) return 'after is a log index: the next of a previous page';
  if (limit === null || (limit !== undefined && (limit < 1 || limit > MAX_PAGE_ENTRIES))) return `limit is 1 to ${MAX_PAGE_ENTRIES}`;
  return {
    ...(type === undefined ? {} : { type: type as EntryType }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(after === undefined ? {} : { after }),
    ...(limit === undefined ? {} : { limit }),
  };
}


