// A bounded map that forgets the least recently used entry first: a Map keeps insertion order,
// so a hit moves its entry to the end and the oldest is the first key. Bounded by a count of
// entries and, when weighed, by what they weigh together: an image's evidence grows with its
// findings (and with the answers remembered on it), so a count alone bounds nothing in bytes.

/** How a cache weighs its values, and how much it may hold in all. */
export interface Weighing<V> {
  readonly maxWeight: number;
  /** What a value weighs now; it may grow while cached (see reweigh). */
  weigh(value: V): number;
}

const NONE: readonly never[] = [];

interface Slot<V> {
  readonly value: V;
  /** What the value weighed when last weighed: the cache's total is the sum of these. */
  weight: number;
}

export class LruCache<K, V> {
  private readonly entries = new Map<K, Slot<V>>();
  private total = 0;

  constructor(
    readonly capacity: number,
    private readonly weighing?: Weighing<V>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`An LRU cache holds at least one entry, not ${capacity}.`);
    if (weighing && !(weighing.maxWeight > 0)) throw new Error(`An LRU cache may weigh more than 0 in all, not ${weighing.maxWeight}.`);
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, slot);
    return slot.value;
  }

  set(key: K, value: V): void {
    this.push(key, value);
  }

  /**
   * Sets the value as the most recently used; answers the entries it pushed out, oldest first.
   * The new entry itself stays, even when it alone weighs more than the cache may hold: it is
   * the one in use.
   */
  push(key: K, value: V): readonly [K, V][] {
    this.delete(key);
    const weight = this.weighing?.weigh(value) ?? 0;
    this.entries.set(key, { value, weight });
    this.total += weight;
    return this.evict(key);
  }

  /**
   * Weighs the entry's value again (it grew) and answers the entries that pushed out, oldest
   * first; the entry stays where it is in the order. Nothing happens unless `value` is the one
   * cached under `key` (one that was replaced or pushed out meanwhile weighs nothing here).
   */
  reweigh(key: K, value: V): readonly [K, V][] {
    const slot = this.entries.get(key);
    if (slot === undefined || slot.value !== value || this.weighing === undefined) return NONE;
    const weight = this.weighing.weigh(value);
    this.total += weight - slot.weight;
    slot.weight = weight;
    return this.evict(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  delete(key: K): void {
    const slot = this.entries.get(key);
    if (slot === undefined) return;
    this.entries.delete(key);
    this.total -= slot.weight;
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** What the entries weigh together (0 when not weighed). */
  get weight(): number {
    return this.total;
  }

  /** Pushes out the oldest entries, but `keep`, until the cache is within its bounds. */
  private evict(keep: K): readonly [K, V][] {
    const maxWeight = this.weighing?.maxWeight ?? Infinity;
    // The usual case, on the admission path: within bounds, nothing to walk.
    if (this.entries.size <= this.capacity && this.total <= maxWeight) return NONE;
    const out: [K, V][] = [];
    // Deleting the entry an iterator is on is safe with a Map: it goes on with the next.
    for (const [key, slot] of this.entries) {
      if (this.entries.size <= this.capacity && this.total <= maxWeight) break;
      if (key === keep) continue;
      this.entries.delete(key);
      this.total -= slot.weight;
      out.push([key, slot.value]);
    }
    return out;
  }
}

/**
 * An LRU that a stream of keys asked for once cannot flush (2Q): a new entry waits in a small
 * probation segment; asked for again while there, or soon after it fell out (its key is still
 * remembered, without its value), it goes to the protected segment. What falls out of the
 * protected segment gets one more chance in probation. Admission asks for the images of current
 * releases again and again, and now and then for an old one: the old one must not push a current
 * one out. Weighed, each segment has its share of the weight as of the count.
 */
export class SegmentedLruCache<K, V> {
  private readonly probation: LruCache<K, V>;
  private readonly protectedEntries: LruCache<K, V>;
  /** Keys that fell out of probation lately: one of them asked for again is not a one-off. */
  private readonly ghosts: LruCache<K, true>;

  constructor(
    readonly capacity: number,
    weighing?: Weighing<V>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new Error(`A segmented LRU cache holds at least two entries, not ${capacity}.`);
    const probation = Math.max(1, Math.floor(capacity / 8));
    const share = (part: number): Weighing<V> | undefined => weighing && { maxWeight: weighing.maxWeight * part, weigh: (value) => weighing.weigh(value) };
    this.probation = new LruCache(probation, share(1 / 8));
    this.protectedEntries = new LruCache(capacity - probation, share(7 / 8));
    this.ghosts = new LruCache(capacity * 4);
  }

  get(key: K): V | undefined {
    const hot = this.protectedEntries.get(key);
    if (hot !== undefined) return hot;
    const value = this.probation.get(key);
    if (value === undefined) return undefined;
    this.probation.delete(key);
    this.protect(key, value);
    return value;
  }

  set(key: K, value: V): void {
    if (this.protectedEntries.has(key)) this.protect(key, value);
    else if (this.ghosts.has(key)) {
      this.ghosts.delete(key);
      this.protect(key, value);
    } else this.onProbation(key, value);
  }

  /** Whether the key is cached, without making it used. */
  has(key: K): boolean {
    return this.protectedEntries.has(key) || this.probation.has(key);
  }

  /** The cached value under `key` grew: weighs it again, and pushes out what no longer fits. */
  reweigh(key: K, value: V): void {
    if (this.protectedEntries.has(key)) this.demote(this.protectedEntries.reweigh(key, value));
    else this.forget(this.probation.reweigh(key, value));
  }

  delete(key: K): void {
    this.probation.delete(key);
    this.protectedEntries.delete(key);
    this.ghosts.delete(key);
  }

  clear(): void {
    this.probation.clear();
    this.protectedEntries.clear();
    this.ghosts.clear();
  }

  get size(): number {
    return this.probation.size + this.protectedEntries.size;
  }

  /** What the entries weigh together (0 when not weighed). */
  get weight(): number {
    return this.probation.weight + this.protectedEntries.weight;
  }

  private protect(key: K, value: V): void {
    this.demote(this.protectedEntries.push(key, value));
  }

  private demote(entries: readonly [K, V][]): void {
    for (const [key, value] of entries) this.onProbation(key, value);
  }

  private onProbation(key: K, value: V): void {
    this.forget(this.probation.push(key, value));
  }

  private forget(entries: readonly [K, V][]): void {
    for (const [key] of entries) this.ghosts.set(key, true);
  }
}
