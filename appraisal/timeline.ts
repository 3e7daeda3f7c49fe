// A list kept in time order: what the rules over time windows read (sliding rate and resource
// windows, an attestation's window, a pause). Entries arrive in log order, which is nearly time
// order: concurrent registrations and issuer clocks shuffle it a little, so an item is inserted
// where its time puts it (after the last one: a push; a little earlier: a short shift).

export interface Timed {
  /** The item's time, in ms. */
  readonly at: number;
  /** Its log index: the tie-break between items of the same time. */
  readonly index: number;
}

export class Timeline<T extends Timed> {
  private readonly items: T[] = [];
  /** Items dropped from the front by `prune`. */
  private dropped = 0;

  get length(): number {
    return this.items.length;
  }

  /** How many items were ever inserted: changes whenever the list does. */
  get inserted(): number {
    return this.items.length + this.dropped;
  }

  item(position: number): T {
    return this.items[position]!;
  }

  last(): T | undefined {
    return this.items.at(-1);
  }

  /** Inserts `item` in (time, index) order and returns its position. */
  insert(item: T): number {
    const items = this.items;
    let position = items.length;
    while (position > 0 && before(item, items[position - 1]!)) position--;
    if (position === items.length) items.push(item);
    else items.splice(position, 0, item);
    return position;
  }

  /** The position of the first item at or after `at`. */
  lowerBound(at: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.at < at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The position of the first item after `at`. */
  upperBound(at: number): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.items[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** How many items have from ≤ at < to (either bound may be open). */
  count(from = -Infinity, to = Infinity): number {
    return Math.max(0, this.lowerBound(to) - this.lowerBound(from));
  }

  /** The items with from ≤ at < to, in order. */
  *range(from = -Infinity, to = Infinity): Generator<T> {
    const end = this.lowerBound(to);
    for (let i = this.lowerBound(from); i < end; i++) yield this.items[i]!;
  }

  /**
   * Forgets the items before `at`, for windows that never look further back. Amortised: the
   * front is cut only once it is a good part of the list, so pruning after every insert stays
   * O(1) on average (counts read explicit bounds, so the items kept meanwhile change nothing).
   */
  prune(at: number): void {
    const cut = this.lowerBound(at);
    if (cut < 64 || cut < this.items.length / 4) return;
    this.items.splice(0, cut);
    this.dropped += cut;
  }
}

function before(a: Timed, b: Timed): boolean {
  return a.at < b.at || (a.at === b.at && a.index < b.index);
}
