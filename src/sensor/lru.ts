// A bounded map that forgets the least recently used entry first: a Map keeps insertion order,
// so a hit moves its entry to the end and the oldest is the first key.

export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`An LRU cache holds at least one entry, not ${capacity}.`);
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** Sets the value as the most recently used; answers the entry it pushed out, if any. */
  push(key: K, value: V): [K, V] | undefined {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size <= this.capacity) return undefined;
    const oldest = this.entries.entries().next();
    if (oldest.done) return undefined;
    this.entries.delete(oldest.value[0]);
    return oldest.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * An LRU that a stream of keys asked for once cannot flush (2Q): a new entry waits in a small
 * probation segment; asked for again while there, or soon after it fell out (its key is still
 * remembered, without its value), it goes to the protected segment. What falls out of the
 * protected segment gets one more chance in probation. Admission asks for the images of current
 * releases again and again, and now and then for an old one: the old one must not push a current
 * one out.
 */
export class SegmentedLruCache<K, V> {
  private readonly probation: LruCache<K, V>;
  private readonly protectedEntries: LruCache<K, V>;
  /** Keys that fell out of probation lately: one of them asked for again is not a one-off. */
  private readonly ghosts: LruCache<K, true>;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new Error(`A segmented LRU cache holds at least two entries, not ${capacity}.`);
    const probation = Math.max(1, Math.floor(capacity / 8));
    this.probation = new LruCache(probation);
    this.protectedEntries = new LruCache(capacity - probation);
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
    if (this.protectedEntries.has(key)) this.protectedEntries.set(key, value);
    else if (this.ghosts.has(key)) {
      this.ghosts.delete(key);
      this.protect(key, value);
    } else this.onProbation(key, value);
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

  private protect(key: K, value: V): void {
    const demoted = this.protectedEntries.push(key, value);
    if (demoted) this.onProbation(demoted[0], demoted[1]);
  }

  private onProbation(key: K, value: V): void {
    const out = this.probation.push(key, value);
    if (out) this.ghosts.set(out[0], true);
  }
}
