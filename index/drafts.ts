// Drafts made where statements were admitted, waiting for their entries to be indexed: each saves
// the index a second read and parse of its entry. Bounded by count and bytes, oldest dropped
// first, so an entry that never comes (a duplicate, a failed write) costs only its place for a
// while: the index then makes that draft again from the log, with the same bytes.

/** What a draft is looked up by: its entry's leaf hash, as a string key. */
function keyOf(leafHash: Uint8Array): string {
  return Buffer.from(leafHash.buffer, leafHash.byteOffset, leafHash.byteLength).toString('latin1');
}

export const DEFAULT_EXPECTED_DRAFTS = 32_768;
export const DEFAULT_EXPECTED_DRAFT_BYTES = 32 * 1024 * 1024;

export class ExpectedDrafts {
  private readonly drafts = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(
    readonly maxDrafts = DEFAULT_EXPECTED_DRAFTS,
    readonly maxBytes = DEFAULT_EXPECTED_DRAFT_BYTES,
  ) {}

  get size(): number {
    return this.drafts.size;
  }

  /**
   * Keeps a copy of `draft` for the entry of `leafHash` (a draft already kept for it is replaced):
   * a copy, so that a draft left waiting never holds the rest of the buffer it came in.
   */
  put(leafHash: Uint8Array, draft: Uint8Array): void {
    if (this.maxDrafts === 0 || draft.length > this.maxBytes) return;
    const key = keyOf(leafHash);
    this.remove(key);
    this.drafts.set(key, draft.slice());
    this.bytes += draft.length;
    // Only when over: the first key of a map is found by skipping the entries deleted before it.
    if (this.drafts.size <= this.maxDrafts && this.bytes <= this.maxBytes) return;
    for (const [oldest] of this.drafts) {
      if (this.drafts.size <= this.maxDrafts && this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  /** The draft kept for the entry of `leafHash`, forgotten as it is handed out. */
  take(leafHash: Uint8Array): Uint8Array | undefined {
    const key = keyOf(leafHash);
    const draft = this.drafts.get(key);
    if (draft !== undefined) this.remove(key);
    return draft;
  }

  private remove(key: string): void {
    const draft = this.drafts.get(key);
    if (draft === undefined) return;
    this.drafts.delete(key);
    this.bytes -= draft.length;
  }
}
