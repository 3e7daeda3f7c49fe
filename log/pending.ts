import type { InFlightItem } from './in-flight.js';
import type { AppendResult } from './sequencer.js';

/** Someone to tell where an entry went, or why it did not get there. */
export interface Waiter {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** The promise of one submitter of one entry. */
export class Deferred implements Waiter {
  readonly promise: Promise<AppendResult>;
  resolve!: (result: AppendResult) => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<AppendResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/**
 * The entries of one `appendMany` call: one promise for all, fulfilled with every result in
 * order once the last entry is answered, or rejected by the first failure. Each entry waits
 * through a small {@link GroupSlot} instead of a promise and three closures of its own.
 */
export class Group {
  readonly promise: Promise<AppendResult[]>;
  private readonly results: AppendResult[];
  private remaining: number;
  private settled = false;
  private fulfil!: (results: AppendResult[]) => void;
  private refuse!: (error: unknown) => void;

  constructor(size: number) {
    this.results = new Array<AppendResult>(size);
    this.remaining = size;
    this.promise = new Promise<AppendResult[]>((resolve, reject) => {
      this.fulfil = resolve;
      this.refuse = reject;
    });
    if (size === 0) this.fulfil(this.results);
  }

  slot(index: number): Waiter {
    return new GroupSlot(this, index);
  }

  answer(index: number, result: AppendResult): void {
    if (this.settled) return;
    this.results[index] = result;
    if (--this.remaining === 0) {
      this.settled = true;
      this.fulfil(this.results);
    }
  }

  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.refuse(error);
  }
}

class GroupSlot implements Waiter {
  constructor(
    private readonly group: Group,
    private readonly index: number,
  ) {}

  resolve(result: AppendResult): void {
    this.group.answer(this.index, result);
  }

  reject(error: unknown): void {
    this.group.fail(error);
  }
}

/** An accepted entry until it is answered, with everyone waiting for it. */
export class Pending implements InFlightItem<Pending> {
  nextInBucket: Pending | undefined = undefined;
  /** Submitters of the same entry while it was in flight: rare, so only then an array. */
  private others: Waiter[] | undefined = undefined;

  constructor(
    /** 0x00 ‖ entry, in a shared slab (see EntrySlabs). */
    readonly record: Uint8Array,
    readonly leafHash: Uint8Array,
    private readonly waiter: Waiter,
  ) {}

  get entryBytes(): number {
    return this.record.length - 1;
  }

  /** The entry's bytes, without the leaf prefix. */
  get entry(): Uint8Array {
    return this.record.subarray(1);
  }

  join(waiter: Waiter): void {
    (this.others ??= []).push(waiter);
  }

  resolve(result: AppendResult): void {
    this.waiter.resolve(result);
    if (this.others !== undefined) for (const waiter of this.others) waiter.resolve(result);
  }

  reject(error: unknown): void {
    this.waiter.reject(error);
    if (this.others !== undefined) for (const waiter of this.others) waiter.reject(error);
  }
}
