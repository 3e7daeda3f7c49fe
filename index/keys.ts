// The index's records in its key space (log/storage KeyValueSpace), and their byte layout:
//
//   "s"                                     → state: format ‖ u64 indexed size ‖ root at that size
//   "e" ‖ u64 index                         → the entry's IndexedEntry, as JSON
//   "k" ‖ u8 field ‖ u16 len ‖ value ‖ u64 index → u64 time (ms) ‖ u8 type code
//
// A secondary key ends in the log index, so a field's entries come out in log order, and a
// range of one value is exact (the length prefix keeps "a" from matching "ab"). Its value holds
// what filters need (time, type), so a filtered scan reads no summaries until it has its page.

import { readUint64BE, writeUint64BE } from '../util/index.js';
import { IndexError } from './errors.js';
import type { KeyValue } from '../log/index.js';
import { ENTRY_TYPE_CODES, type EntryType, type IndexedEntry, indexEntry, MAX_KEY_VALUE_BYTES } from './records.js';

/** The fields an entry can be looked up by. Stored as one byte: never renumber. */
export const FIELDS = {
  agent: 1,
  workflow: 2,
  task: 3,
  parent: 4,
  type: 5,
  domain: 6,
  issuer: 7,
  reference: 8,
  subject: 9,
  transaction: 10,
  trace: 11,
} as const;
export type Field = keyof typeof FIELDS;

/** Bumped whenever what is indexed or how changes: an index of another format is rebuilt. */
export const INDEX_FORMAT = 1;

export const STATE_KEY = Uint8Array.of(0x73);
const ENTRY = 0x65;
const BY = 0x6b;
const encoder = new TextEncoder();

export interface IndexState {
  readonly format: number;
  /** Entries [0, size) are indexed. */
  readonly size: number;
  /** The log's root at `size`: ties the index to the log it was built from. */
  readonly rootHash: Uint8Array;
}

export function encodeState(state: IndexState): Uint8Array {
  const value = new Uint8Array(1 + 8 + 32);
  value[0] = state.format;
  writeUint64BE(value, 1, state.size);
  value.set(state.rootHash, 9);
  return value;
}

export function decodeState(value: Uint8Array): IndexState {
  const size = value.length === 41 ? readUint64BE(value, 1) : undefined;
  if (size === undefined) throw new IndexError('INDEX_CORRUPT', 'the index state record is malformed; rebuild the index (atlog reindex)');
  return { format: value[0]!, size, rootHash: value.slice(9) };
}

export function entryKey(index: number): Uint8Array {
  const key = new Uint8Array(9);
  key[0] = ENTRY;
  writeUint64BE(key, 1, index);
  return key;
}

export function encodeEntry(record: IndexedEntry): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

export function decodeEntry(value: Uint8Array, index: number): IndexedEntry {
  try {
    const record = JSON.parse(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')) as IndexedEntry;
    if (record.index === index) return record;
  } catch {
    // reported below
  }
  throw new IndexError('INDEX_CORRUPT', `the index record of entry ${index} is malformed; rebuild the index (atlog reindex)`);
}

/** The prefix of every key of one field and value; undefined if the value is too long to index. */
export function valuePrefix(field: Field, value: string): Uint8Array | undefined {
  const bytes = encoder.encode(value);
  if (bytes.length === 0 || bytes.length > MAX_KEY_VALUE_BYTES) return undefined;
  const prefix = new Uint8Array(4 + bytes.length);
  prefix[0] = BY;
  prefix[1] = FIELDS[field];
  prefix[2] = bytes.length >> 8;
  prefix[3] = bytes.length & 0xff;
  prefix.set(bytes, 4);
  return prefix;
}

/** The secondary key of `value` for the entry at `index`. */
export function secondaryKey(prefix: Uint8Array, index: number): Uint8Array {
  const key = new Uint8Array(prefix.length + 8);
  key.set(prefix);
  writeUint64BE(key, prefix.length, index);
  return key;
}

export function indexOfSecondaryKey(key: Uint8Array): number {
  const index = key.length > 12 ? readUint64BE(key, key.length - 8) : undefined;
  if (index === undefined) throw new IndexError('INDEX_CORRUPT', 'a secondary index key is malformed; rebuild the index (atlog reindex)');
  return index;
}

export function encodeSecondaryValue(time: number, type: EntryType): Uint8Array {
  const value = new Uint8Array(9);
  writeUint64BE(value, 0, Math.max(0, Math.min(time, Number.MAX_SAFE_INTEGER)));
  value[8] = ENTRY_TYPE_CODES[type];
  return value;
}

export function decodeSecondaryValue(value: Uint8Array): { time: number; typeCode: number } {
  const time = value.length === 9 ? readUint64BE(value, 0) : undefined;
  if (time === undefined) throw new IndexError('INDEX_CORRUPT', 'a secondary index record is malformed; rebuild the index (atlog reindex)');
  return { time, typeCode: value[8]! };
}

/** Every (field, value) an entry is found by, each once. */
export function lookupsOf(record: IndexedEntry): [Field, string][] {
  const out: [Field, string][] = [];
  const seen = new Set<string>();
  const add = (field: Field, value: string | undefined) => {
    if (value === undefined || value.length === 0) return;
    const id = `${field}\u0000${value}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push([field, value]);
  };
  add('type', record.type);
  add('issuer', record.iss);
  add('subject', record.sub);
  add('domain', record.domain);
  for (const agent of record.agents) add('agent', agent);
  add('workflow', record.wid);
  add('task', record.tid);
  for (const parent of record.par) add('parent', parent);
  for (const ref of record.refs) add('reference', ref);
  add('transaction', record.txn);
  add('trace', record.traceId);
  return out;
}

/**
 * Every key and value the index stores for the entries [first, first + entries.length): what a
 * {@link RecordsMaker} must return. Pure, so it may run anywhere (a worker thread).
 */
export function entryRecords(first: number, entries: readonly Uint8Array[], registeredAt: readonly number[]): [Uint8Array, Uint8Array][] {
  const puts: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < entries.length; i++) {
    for (const put of recordsOf(indexEntry(entries[i]!, first + i, registeredAt[i]!))) puts.push(put);
  }
  return puts;
}

/** Makes the records of a run of entries: {@link entryRecords}, here or elsewhere (a worker thread). */
export type RecordsMaker = (first: number, entries: readonly Uint8Array[], registeredAt: readonly number[]) => Promise<readonly KeyValue[]>;

/** Every key and value the index stores for one entry. */
export function recordsOf(record: IndexedEntry): [Uint8Array, Uint8Array][] {
  const puts: [Uint8Array, Uint8Array][] = [[entryKey(record.index), encodeEntry(record)]];
  const value = encodeSecondaryValue(record.time, record.type);
  for (const [field, v] of lookupsOf(record)) {
    const prefix = valuePrefix(field, v);
    if (prefix !== undefined) puts.push([secondaryKey(prefix, record.index), value]);
  }
  return puts;
}
