// A bounded map whose entries expire: least recently used entries go first when it is full.
// Time is a parameter, so tests move a clock instead of waiting.

export class TtlCache<V> {
  // A Map iterates in insertion order; re-inserting on every read keeps it in LRU order.
  private readonly entries = new Map<string, { readonly value: V; readonly expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {
    if (!(ttlMs >= 0) || !Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`a cache needs ttlMs >= 0 and maxEntries >= 1 (got ${ttlMs}, ${maxEntries})`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
