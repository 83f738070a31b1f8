// A bounded map whose entries expire: when it is full, an entry not read since it was last passed
// over goes first (CLOCK, "second chance": close to least recently used, without moving an entry
// on every read — a hit is a lookup and a flag, however large the map). Time is a parameter, so
// tests move a clock instead of waiting.

interface Entry<V> {
  readonly value: V;
  readonly expiresAt: number;
  /** Read since it was set or last passed over. */
  used: boolean;
}

export class TtlCache<V> {
  // A Map iterates in insertion order: the first keys are the ones set or passed over longest ago.
  private readonly entries = new Map<string, Entry<V>>();

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
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    entry.used = true;
    return entry.value;
  }

  set(key: string, value: V, now: number): void {
    this.entries.delete(key);
    // Room first, so the new entry is never the one pushed out. Each entry passed over loses its
    // flag, so this ends within one round of the map.
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.entries().next();
      if (oldest.done) return;
      const [oldKey, entry] = oldest.value;
      this.entries.delete(oldKey);
      if (entry.used) {
        entry.used = false;
        this.entries.set(oldKey, entry);
      }
    }
    this.entries.set(key, { value, expiresAt: now + this.ttlMs, used: false });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
