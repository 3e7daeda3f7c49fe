// index/: the entry index. A follower of the log that records, for every entry, what the analyses
// (appraisal, correlation, privacy) and the query routes look entries up by: type, domain, agent,
// issuer, workflow, task, parents, references, time, dimensions and measurements. It lives in the
// log's own store, is written only by its follower, and every answer names the tree size it
// reflects. Imports log/, receipts/, statements/ and util/.

export { IndexError, type IndexErrorCode } from './errors.js';
export {
  type EntryIndexOptions,
  type EntryPage,
  type EntryQuery,
  type RebuildReason,
  EntryIndex,
  MAX_PAGE_ENTRIES,
} from './entry-index.js';
export {
  type DraftMaker,
  entryDraft,
  type Field,
  FIELDS,
  INDEX_FORMAT,
  indexRecords,
  placeDraft,
  type PlacedEntry,
  placedOf,
  POSTINGS_BLOCK,
  PostingsBuffer,
} from './keys.js';
export {
  type EntryType,
  type IndexedEntry,
  type IndexedLink,
  type IndexedMeasurement,
  type PayloadState,
  ENTRY_TYPES,
  indexEntry,
} from './records.js';
