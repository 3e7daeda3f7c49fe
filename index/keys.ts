// The index's records in its key space (log/storage KeyValueSpace), and their byte layout:
//
//   "s"                                           → state: format ‖ u64 indexed size ‖ root at that size
//   "e" ‖ u64 index                               → u64 registeredAt ‖ u64 time ‖ the rest of its IndexedEntry, as JSON
//   "k" ‖ u8 field ‖ u16 len ‖ value ‖ u64 block  → postings: (u16 offset ‖ u64 time (ms) ‖ u8 type code)*
//
// A (field, value)'s entries in one aligned block of POSTINGS_BLOCK log indices share one record,
// keyed by the block's first index, each entry a posting at its offset in the block. The values
// that repeat from entry to entry (a type, an issuer, a domain, an agent, a workflow) so cost a
// record a block instead of one an entry, and LevelDB's cost goes by records. A block's postings
// are written once, with the batch that completes it; until then the index keeps them in memory
// and, after a restart, reads them back from the block's entry records. Keys in key order give a
// field's entries in log order, a range of one value is exact (the length prefix keeps "a" from
// matching "ab"), and a posting holds what filters need (time, type), so a filtered scan reads no
// summaries until it has its page.

import { readUint64BE, writeUint64BE } from '../util/index.js';
import { IndexError } from './errors.js';
import type { KeyValue } from '../log/index.js';
import type { SignedStatement } from '../receipts/index.js';
import type { AgentPayload } from '../statements/index.js';
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
export const INDEX_FORMAT = 3;

/**
 * Log indices per block of postings. Part of the format: never change it without a format bump.
 * Larger blocks mean fewer records for repeated values and more to read back at a restart.
 */
export const POSTINGS_BLOCK = 1024;
const POSTING_BYTES = 11;

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

/** The first log index of the block that holds `index`. */
export function blockOf(index: number): number {
  return index - (index % POSTINGS_BLOCK);
}

/** The key of the postings of a value (its prefix) in the block from `block`. */
export function postingsKey(prefix: Uint8Array, block: number): Uint8Array {
  const key = new Uint8Array(prefix.length + 8);
  key.set(prefix);
  writeUint64BE(key, prefix.length, block);
  return key;
}

/** An entry found by a value: where it is, and what filters read. */
export interface Posting {
  readonly index: number;
  readonly time: number;
  readonly typeCode: number;
}

/** The postings of a record: entries in log order, each in the key's block. */
export function decodePostings(key: Uint8Array, value: Uint8Array): Posting[] {
  const block = key.length > 12 ? readUint64BE(key, key.length - 8) : undefined;
  if (block === undefined || block % POSTINGS_BLOCK !== 0 || value.length === 0 || value.length % POSTING_BYTES !== 0) throw corruptPostings();
  const postings: Posting[] = [];
  let previous = -1;
  for (let at = 0; at < value.length; at += POSTING_BYTES) {
    const offset = (value[at]! << 8) | value[at + 1]!;
    const time = readUint64BE(value, at + 2);
    if (offset <= previous || offset >= POSTINGS_BLOCK || time === undefined) throw corruptPostings();
    postings.push({ index: block + offset, time, typeCode: value[at + 10]! });
    previous = offset;
  }
  return postings;
}

function corruptPostings(): IndexError {
  return new IndexError('INDEX_CORRUPT', 'a postings record of the index is malformed; rebuild the index (atlog reindex)');
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
//   ‖ (u16 length ‖ key prefix of a (field, value))*
//
// Completing one writes two u64s before a copy of the JSON and takes the prefixes as they are: no parse.
const DRAFT_VERSION = 1;
const DRAFT_HEAD_BYTES = 15;
const TIME_KNOWN = 1;

/**
 * The draft of an entry's records: {@link draftOf} its description (`admitted` and
 * `admittedPayload`: see describeEntry). Pure; never throws on an entry.
 */
export function entryDraft(entry: Uint8Array, admitted?: SignedStatement, admittedPayload?: AgentPayload): Uint8Array {
  return draftOf(describeEntry(entry, admitted, admittedPayload));
}

export function draftOf({ description, time }: DescribedEntry): Uint8Array {
  const json = JSON.stringify(description);
  // Written in place: encode() would make a copy of its own to copy from.
  const jsonBytes = Buffer.byteLength(json, 'utf8');
  const lookups = lookupsOf(description);
  let room = DRAFT_HEAD_BYTES + jsonBytes;
  // UTF-8 takes at most three bytes per UTF-16 unit.
  for (const [, value] of lookups) room += 2 + 4 + 3 * value.length;
  const draft = new Uint8Array(room);
  draft[0] = DRAFT_VERSION;
  draft[1] = ENTRY_TYPE_CODES[description.type];
  if (time !== undefined) {
    draft[2] = TIME_KNOWN;
    writeUint64BE(draft, 3, clampTime(time));
  }
  writeUint32BE(draft, 11, jsonBytes);
  encoder.encodeInto(json, draft.subarray(DRAFT_HEAD_BYTES, DRAFT_HEAD_BYTES + jsonBytes));
  let at = DRAFT_HEAD_BYTES + jsonBytes;
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

/** A draft completed with its place: the entry's record, and the postings it adds. */
export interface PlacedEntry {
  readonly index: number;
  /** The "e" record. */
  readonly record: KeyValue;
  readonly time: number;
  readonly typeCode: number;
  /** The key prefix of each (field, value) it is found by, views of its draft. */
  readonly prefixes: readonly Uint8Array[];
}

/** A drafted entry placed at `index`, registered at `registeredAt` (ms). */
export function placeDraft(draft: Uint8Array, index: number, registeredAt: number): PlacedEntry {
  const jsonLength = draft.length >= DRAFT_HEAD_BYTES && draft[0] === DRAFT_VERSION ? readUint32BE(draft, 11) : -1;
  const known = (draft[2]! & TIME_KNOWN) !== 0 ? readUint64BE(draft, 3) : registeredAt;
  if (jsonLength < 0 || DRAFT_HEAD_BYTES + jsonLength > draft.length || known === undefined) throw malformedDraft();
  const time = clampTime(known);
  const value = new Uint8Array(ENTRY_HEAD_BYTES + jsonLength);
  writeUint64BE(value, 0, registeredAt);
  writeUint64BE(value, 8, time);
  value.set(draft.subarray(DRAFT_HEAD_BYTES, DRAFT_HEAD_BYTES + jsonLength), ENTRY_HEAD_BYTES);
  const prefixes: Uint8Array[] = [];
  for (let at = DRAFT_HEAD_BYTES + jsonLength; at < draft.length; ) {
    const length = at + 2 <= draft.length ? (draft[at]! << 8) | draft[at + 1]! : 0;
    if (length === 0 || at + 2 + length > draft.length) throw malformedDraft();
    prefixes.push(draft.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { index, record: [entryKey(index), value], time, typeCode: draft[1]!, prefixes };
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

/** Makes the drafts of entries ({@link entryDraft} of each), here or elsewhere (a worker thread). */
export type DraftMaker = (entries: readonly Uint8Array[]) => Promise<readonly Uint8Array[]>;

/** An indexed entry placed again: what the index holds for it, made from its record. */
export function placedOf(record: IndexedEntry): PlacedEntry {
  const { index, registeredAt, time, ...description } = record;
  return placeDraft(draftOf({ description, time }), index, registeredAt);
}

interface ValuePostings {
  readonly prefix: Uint8Array;
  /** (offset, time, type code) of each entry, flat, in log order. */
  readonly postings: number[];
  /** The next value whose prefix hashes the same. */
  next: ValuePostings | undefined;
}

/** FNV-1a of a key prefix: the block's values are found by it, then compared byte for byte. */
function prefixHash(prefix: Uint8Array): number {
  let hash = 0x811c9dc5 | 0;
  for (let i = 0; i < prefix.length; i++) hash = Math.imul(hash ^ prefix[i]!, 0x01000193);
  // 30 bits: a small integer, which a Map hashes and compares far faster than a heap number.
  return hash & 0x3fffffff;
}

/** util's bytesEqual, for the block's own use: the shared one, called with Buffers elsewhere too, measured slower here. */
function samePrefix(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One block's postings, as they fill: each value's entries of the block, in log order. */
export class PostingsBlock {
  // By hash, not by a string of the prefix: making a string of each key cost more than the postings saved.
  private readonly values = new Map<number, ValuePostings>();
  /** One past the last index added. */
  end: number;

  constructor(readonly start: number) {
    this.end = start;
  }

  get full(): boolean {
    return this.end === this.start + POSTINGS_BLOCK;
  }

  add(entry: PlacedEntry): void {
    const offset = entry.index - this.start;
    for (const prefix of entry.prefixes) {
      const hash = prefixHash(prefix);
      const first = this.values.get(hash);
      let value = first;
      while (value !== undefined && !samePrefix(value.prefix, prefix)) value = value.next;
      // A copy of the prefix: a view would keep the whole draft alive for as long as the block.
      if (value === undefined) this.values.set(hash, (value = { prefix: prefix.slice(), postings: [], next: first }));
      value.postings.push(offset, entry.time, entry.typeCode);
    }
    this.end = entry.index + 1;
  }

  /** The postings of a value (its prefix) from `start` and below `end`. */
  between(prefix: Uint8Array, start: number, end: number): Posting[] {
    let value = this.values.get(prefixHash(prefix));
    while (value !== undefined && !samePrefix(value.prefix, prefix)) value = value.next;
    const out: Posting[] = [];
    if (value === undefined) return out;
    const p = value.postings;
    for (let i = 0; i < p.length; i += 3) {
      const index = this.start + p[i]!;
      if (index >= end) break;
      if (index >= start) out.push({ index, time: p[i + 1]!, typeCode: p[i + 2]! });
    }
    return out;
  }

  /** Every value with postings, each once. */
  private *all(): Generator<ValuePostings> {
    for (const first of this.values.values()) for (let value: ValuePostings | undefined = first; value !== undefined; value = value.next) yield value;
  }

  /** Forgets every entry from `size` on. */
  truncate(size: number): void {
    if (size >= this.end) return;
    const offset = Math.max(0, size - this.start);
    // Rare (a write that failed): the values that keep postings are chained again from scratch.
    const kept = [...this.all()].filter(({ postings: p }) => {
      let keep = p.length;
      while (keep > 0 && p[keep - 3]! >= offset) keep -= 3;
      p.length = keep;
      return keep > 0;
    });
    this.values.clear();
    for (const value of kept) {
      const hash = prefixHash(value.prefix);
      value.next = this.values.get(hash);
      this.values.set(hash, value);
    }
    this.end = Math.max(this.start, size);
  }

  /** Its records: a value's postings each, the keys and the values as views of two buffers. */
  records(): KeyValue[] {
    let keyBytes = 0;
    let valueBytes = 0;
    for (const { prefix, postings } of this.all()) {
      keyBytes += prefix.length + 8;
      valueBytes += (postings.length / 3) * POSTING_BYTES;
    }
    const keys = new Uint8Array(keyBytes);
    const values = new Uint8Array(valueBytes);
    const records: KeyValue[] = [];
    let k = 0;
    let v = 0;
    for (const { prefix, postings } of this.all()) {
      keys.set(prefix, k);
      writeUint64BE(keys, k + prefix.length, this.start);
      const valueStart = v;
      for (let i = 0; i < postings.length; i += 3) {
        values[v] = postings[i]! >> 8;
        values[v + 1] = postings[i]! & 0xff;
        writeUint64BE(values, v + 2, postings[i + 1]!);
        values[v + 10] = postings[i + 2]!;
        v += POSTING_BYTES;
      }
      records.push([keys.subarray(k, k + prefix.length + 8), values.subarray(valueStart, v)]);
      k += prefix.length + 8;
    }
    return records;
  }
}

/**
 * The postings of entries placed in log order, a block at a time: {@link PostingsBuffer.add} gives
 * the records to write with them (each entry's own, and a block's postings once the block is
 * complete), and the postings of the blocks not yet written stay here to be read.
 */
export class PostingsBuffer {
  /** The blocks not known to be written, oldest first: the last is the one filling. */
  private blocks: PostingsBlock[] = [];
  /** The index the next entry must have; undefined until the first, which must start a block. */
  private next: number | undefined;

  /** Adds the entry at the next index and pushes the records to write onto `out`. */
  add(entry: PlacedEntry, out: KeyValue[]): void {
    const expected = this.next ?? blockOf(entry.index);
    if (entry.index !== expected) throw new IndexError('INDEX_CORRUPT', `entry ${entry.index} was indexed out of order (expected ${expected})`);
    let block = this.blocks.at(-1);
    if (block === undefined || block.full) {
      block = new PostingsBlock(entry.index);
      this.blocks.push(block);
    }
    out.push(entry.record);
    block.add(entry);
    this.next = entry.index + 1;
    if (block.full) for (const record of block.records()) out.push(record);
  }

  /** The postings held for the block from `block`, if it is not written yet. */
  held(block: number): PostingsBlock | undefined {
    return this.blocks.find((b) => b.start === block);
  }

  /** Forgets the entries from `size` on (a write that failed): the next entry added is `size`'s. */
  truncate(size: number): void {
    if (this.next === undefined || size >= this.next) return;
    for (const block of this.blocks) block.truncate(size);
    this.blocks = this.blocks.filter((block) => block.end > block.start);
    this.next = size;
  }

  /** Drops the complete blocks below `size`: they are written. */
  written(size: number): void {
    this.blocks = this.blocks.filter((block) => !(block.full && block.end <= size));
  }
}

/**
 * Every record an index of the first `entries.length` entries of a log holds, but its state: each
 * entry's record, and the postings of every complete block. Pure: the same bytes however the
 * entries were batched and wherever their drafts were made.
 */
export function indexRecords(entries: readonly PlacedEntry[]): KeyValue[] {
  const buffer = new PostingsBuffer();
  const out: KeyValue[] = [];
  for (const entry of entries) buffer.add(entry, out);
  return out;
}
