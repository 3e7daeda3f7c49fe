// The index's records in its key space (log/storage KeyValueSpace), and their byte layout:
//
//   "s"                                     → state: format ‖ u64 indexed size ‖ root at that size
//   "e" ‖ u64 index                         → u64 registeredAt ‖ u64 time ‖ the rest of its IndexedEntry, as JSON
//   "k" ‖ u8 field ‖ u16 len ‖ value ‖ u64 index → u64 time (ms) ‖ u8 type code
//
// A secondary key ends in the log index, so a field's entries come out in log order, and a
// range of one value is exact (the length prefix keeps "a" from matching "ab"). Its value holds
// what filters need (time, type), so a filtered scan reads no summaries until it has its page.

import { readUint64BE, writeUint64BE } from '../util/index.js';
import { IndexError } from './errors.js';
import type { KeyValue } from '../log/index.js';
import type { SignedStatement } from '../receipts/index.js';
import { type DescribedEntry, describeEntry, type EntryDescription, ENTRY_TYPE_CODES, type EntryType, type IndexedEntry, MAX_KEY_VALUE_BYTES } from './records.js';

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
export const INDEX_FORMAT = 2;

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

/** An entry record's value: its two times, then the rest of its record as JSON. */
const ENTRY_HEAD_BYTES = 16;

export function decodeEntry(value: Uint8Array, index: number): IndexedEntry {
  const registeredAt = value.length > ENTRY_HEAD_BYTES ? readUint64BE(value, 0) : undefined;
  const time = registeredAt === undefined ? undefined : readUint64BE(value, 8);
  if (registeredAt !== undefined && time !== undefined) {
    try {
      const rest = JSON.parse(Buffer.from(value.buffer, value.byteOffset + ENTRY_HEAD_BYTES, value.byteLength - ENTRY_HEAD_BYTES).toString('utf8')) as EntryDescription;
      if (typeof rest === 'object' && rest !== null && typeof rest.entryId === 'string') return { ...rest, index, registeredAt, time };
    } catch {
      // reported below
    }
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

export function decodeSecondaryValue(value: Uint8Array): { time: number; typeCode: number } {
  const time = value.length === 9 ? readUint64BE(value, 0) : undefined;
  if (time === undefined) throw new IndexError('INDEX_CORRUPT', 'a secondary index record is malformed; rebuild the index (atlog reindex)');
  return { time, typeCode: value[8]! };
}

/** Every (field, value) an entry is found by, each once. */
export function lookupsOf(record: EntryDescription): [Field, string][] {
  const out: [Field, string][] = [];
  const add = (field: Field, value: string | undefined) => {
    if (value !== undefined && value.length > 0) out.push([field, value]);
  };
  // Two fields never give the same key, so only a list can repeat one.
  const addAll = (field: Field, values: readonly string[]) => {
    if (values.length === 1) add(field, values[0]);
    else if (values.length > 1) for (const value of new Set(values)) add(field, value);
  };
  add('type', record.type);
  add('issuer', record.iss);
  add('subject', record.sub);
  add('domain', record.domain);
  addAll('agent', record.agents);
  add('workflow', record.wid);
  add('task', record.tid);
  addAll('parent', record.par);
  addAll('reference', record.refs);
  add('transaction', record.txn);
  add('trace', record.traceId);
  return out;
}

// An entry draft: every record of an entry but its place, made from the entry's bytes alone (where
// the statement was admitted, or from the log later) and completed once the log has placed it:
//
//   u8 version ‖ u8 type code ‖ u8 flags (1: the time is known) ‖ u64 time ‖ u32 JSON length ‖ JSON
//   ‖ (u16 length ‖ secondary key prefix)*
//
// Completing one writes two u64s into a copy of the JSON and the index after each prefix: no parse.
const DRAFT_VERSION = 1;
const DRAFT_HEAD_BYTES = 15;
const TIME_KNOWN = 1;

/**
 * The draft of an entry's records: {@link draftOf} its description (`admitted`: see
 * describeEntry). Pure; never throws on an entry.
 */
export function entryDraft(entry: Uint8Array, admitted?: SignedStatement): Uint8Array {
  return draftOf(describeEntry(entry, admitted));
}

export function draftOf({ description, time }: DescribedEntry): Uint8Array {
  const json = encoder.encode(JSON.stringify(description));
  const lookups = lookupsOf(description);
  let room = DRAFT_HEAD_BYTES + json.length;
  // UTF-8 takes at most three bytes per UTF-16 unit.
  for (const [, value] of lookups) room += 2 + 4 + 3 * value.length;
  const draft = new Uint8Array(room);
  draft[0] = DRAFT_VERSION;
  draft[1] = ENTRY_TYPE_CODES[description.type];
  if (time !== undefined) {
    draft[2] = TIME_KNOWN;
    writeUint64BE(draft, 3, clampTime(time));
  }
  writeUint32BE(draft, 11, json.length);
  draft.set(json, DRAFT_HEAD_BYTES);
  let at = DRAFT_HEAD_BYTES + json.length;
  for (const [field, value] of lookups) {
    const start = at + 2;
    draft[start] = BY;
    draft[start + 1] = FIELDS[field];
    const written = writeUtf8(value, draft, start + 4);
    if (written === 0 || written > MAX_KEY_VALUE_BYTES) continue; // too long to index under
    draft[start + 2] = written >> 8;
    draft[start + 3] = written & 0xff;
    const length = 4 + written;
    draft[at] = length >> 8;
    draft[at + 1] = length & 0xff;
    at = start + length;
  }
  return draft.subarray(0, at);
}

/** `value` as UTF-8 into `target` at `offset`, which has room for three bytes a unit: its length. */
function writeUtf8(value: string, target: Uint8Array, offset: number): number {
  // Nearly every indexed value is ASCII (ids, URIs, UUIDs): a plain copy, without a call out.
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0x80) return encoder.encodeInto(value, target.subarray(offset)).written;
    target[offset + i] = unit;
  }
  return value.length;
}

/** The records of a drafted entry placed at `index`, registered at `registeredAt` (ms). */
export function draftRecords(draft: Uint8Array, index: number, registeredAt: number): KeyValue[] {
  const jsonLength = draft.length >= DRAFT_HEAD_BYTES && draft[0] === DRAFT_VERSION ? readUint32BE(draft, 11) : -1;
  const known = (draft[2]! & TIME_KNOWN) !== 0 ? readUint64BE(draft, 3) : registeredAt;
  if (jsonLength < 0 || DRAFT_HEAD_BYTES + jsonLength > draft.length || known === undefined) throw malformedDraft();
  const time = clampTime(known);
  const value = new Uint8Array(ENTRY_HEAD_BYTES + jsonLength);
  writeUint64BE(value, 0, registeredAt);
  writeUint64BE(value, 8, time);
  value.set(draft.subarray(DRAFT_HEAD_BYTES, DRAFT_HEAD_BYTES + jsonLength), ENTRY_HEAD_BYTES);
  const records: KeyValue[] = [[entryKey(index), value]];
  // One value for all its secondary keys, and the keys as views of one buffer.
  const secondary = new Uint8Array(9);
  writeUint64BE(secondary, 0, time);
  secondary[8] = draft[1]!;
  const prefixesAt = DRAFT_HEAD_BYTES + jsonLength;
  let count = 0;
  let bytes = 0;
  for (let at = prefixesAt; at < draft.length; ) {
    const length = at + 2 <= draft.length ? (draft[at]! << 8) | draft[at + 1]! : 0;
    if (length === 0 || at + 2 + length > draft.length) throw malformedDraft();
    count++;
    bytes += length + 8;
    at += 2 + length;
  }
  const keys = new Uint8Array(bytes);
  let out = 0;
  for (let at = prefixesAt, i = 0; i < count; i++) {
    const length = (draft[at]! << 8) | draft[at + 1]!;
    keys.set(draft.subarray(at + 2, at + 2 + length), out);
    writeUint64BE(keys, out + length, index);
    records.push([keys.subarray(out, out + length + 8), secondary]);
    out += length + 8;
    at += 2 + length;
  }
  return records;
}

function malformedDraft(): IndexError {
  return new IndexError('INDEX_CORRUPT', 'an entry draft is malformed');
}

function clampTime(time: number): number {
  return Math.max(0, Math.min(time, Number.MAX_SAFE_INTEGER));
}

function writeUint32BE(target: Uint8Array, offset: number, n: number): void {
  target[offset] = n >>> 24;
  target[offset + 1] = (n >>> 16) & 0xff;
  target[offset + 2] = (n >>> 8) & 0xff;
  target[offset + 3] = n & 0xff;
}

function readUint32BE(source: Uint8Array, offset: number): number {
  return ((source[offset]! << 24) | (source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!) >>> 0;
}

/**
 * Every key and value the index stores for the entries [first, first + entries.length), each
 * registered at its `registeredAt`. Pure: the same bytes wherever its drafts were made.
 */
export function entryRecords(first: number, entries: readonly Uint8Array[], registeredAt: readonly number[]): KeyValue[] {
  const puts: KeyValue[] = [];
  for (let i = 0; i < entries.length; i++) {
    for (const put of draftRecords(entryDraft(entries[i]!), first + i, registeredAt[i]!)) puts.push(put);
  }
  return puts;
}

/** Makes the drafts of entries ({@link entryDraft} of each), here or elsewhere (a worker thread). */
export type DraftMaker = (entries: readonly Uint8Array[]) => Promise<readonly Uint8Array[]>;

/** Every key and value the index stores for one entry. */
export function recordsOf(record: IndexedEntry): KeyValue[] {
  const { index, registeredAt, time, ...description } = record;
  return draftRecords(draftOf({ description, time }), index, registeredAt);
}
