import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LruCache, SegmentedLruCache, type Weighing } from './lru.js';

/** Values that say what they weigh, and can grow. */
interface Box {
  size: number;
}
const byBoxSize = (maxWeight: number): Weighing<Box> => ({ maxWeight, weigh: (box) => box.size });

describe('LruCache', () => {
  test('forgets the least recently used first, and push says what it pushed out', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    expect(cache.push('c', 3)).toEqual([['b', 2]]);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
  });

  test('weighed, it holds no more than its weight: the oldest go first, as many as it takes', () => {
    const cache = new LruCache<string, Box>(100, byBoxSize(10));
    cache.set('a', { size: 4 });
    cache.set('b', { size: 4 });
    expect(cache.push('c', { size: 1 })).toEqual([]);
    expect(cache.weight).toBe(9);
    expect(cache.push('d', { size: 8 }).map(([key]) => key)).toEqual(['a', 'b']);
    expect([cache.has('c'), cache.has('d'), cache.weight]).toEqual([true, true, 9]);
  });

  test('an entry heavier than the whole cache stays alone: it is the one in use', () => {
    const cache = new LruCache<string, Box>(100, byBoxSize(10));
    cache.set('a', { size: 3 });
    expect(cache.push('huge', { size: 50 }).map(([key]) => key)).toEqual(['a']);
    expect([cache.size, cache.weight, cache.get('huge')?.size]).toEqual([1, 50, 50]);
    cache.set('b', { size: 1 });
    expect([cache.has('huge'), cache.has('b'), cache.weight]).toEqual([false, true, 1]);
  });

  test('an entry that grew is weighed again: others go, it keeps its place', () => {
    const cache = new LruCache<string, Box>(100, byBoxSize(10));
    const a = { size: 2 };
    cache.set('a', a);
    cache.set('b', { size: 2 });
    cache.set('c', { size: 2 });
    a.size = 7;
    expect(cache.reweigh('a', a).map(([key]) => key)).toEqual(['b']);
    expect(cache.weight).toBe(9);
    // The oldest still: the next push takes it first.
    expect(cache.push('d', { size: 2 }).map(([key]) => key)).toEqual(['a']);
  });

  test('a value no longer cached under its key is not weighed again', () => {
    const cache = new LruCache<string, Box>(100, byBoxSize(10));
    const old = { size: 2 };
    cache.set('a', old);
    cache.set('a', { size: 3 });
    old.size = 9;
    expect(cache.reweigh('a', old)).toEqual([]);
    expect(cache.weight).toBe(3);
    cache.delete('a');
    expect([cache.weight, cache.reweigh('a', old)]).toEqual([0, []]);
  });
});

describe('SegmentedLruCache', () => {
  test('a stream of keys asked for once does not push out the keys asked for again and again', () => {
    const cache = new SegmentedLruCache<string, number>(80);
    const hot = Array.from({ length: 60 }, (_, i) => `hot-${i}`);
    for (const key of hot) {
      cache.set(key, 1);
      expect(cache.get(key)).toBe(1); // the second use protects it
    }
    for (let i = 0; i < 10_000; i++) {
      if (cache.get(`cold-${i}`) === undefined) cache.set(`cold-${i}`, 0);
    }
    expect(hot.filter((key) => cache.get(key) === undefined)).toEqual([]);
    expect(cache.size).toBeLessThanOrEqual(80);
  });

  test('a plain LRU loses them all to the same stream', () => {
    const cache = new LruCache<string, number>(80);
    const hot = Array.from({ length: 60 }, (_, i) => `hot-${i}`);
    for (const key of hot) cache.set(key, 1);
    for (let i = 0; i < 10_000; i++) cache.set(`cold-${i}`, 0);
    expect(hot.filter((key) => cache.get(key) !== undefined)).toEqual([]);
  });

  test('a key asked for again soon after it fell out of probation is protected on its return', () => {
    const cache = new SegmentedLruCache<string, number>(16);
    // A cycle over 14 keys: each comes back after 13 others, long after probation (2) forgot it.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 14; i++) if (cache.get(`k${i}`) === undefined) cache.set(`k${i}`, i);
    }
    const misses = Array.from({ length: 14 }, (_, i) => cache.get(`k${i}`)).filter((v) => v === undefined);
    expect(misses).toEqual([]);
  });

  test('delete and clear reach both segments; a protected key can be set anew', () => {
    const cache = new SegmentedLruCache<string, number>(16);
    cache.set('a', 1);
    cache.get('a');
    cache.set('a', 2);
    cache.set('b', 3);
    expect([cache.get('a'), cache.get('b')]).toEqual([2, 3]);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });

  test('weighed, each segment keeps to its share: a heavy stream of one-offs does not push out what is used', () => {
    const cache = new SegmentedLruCache<string, Box>(1_000, byBoxSize(800));
    const hot = Array.from({ length: 10 }, (_, i) => `hot-${i}`);
    for (const key of hot) {
      cache.set(key, { size: 50 });
      cache.get(key);
    }
    for (let i = 0; i < 1_000; i++) if (cache.get(`cold-${i}`) === undefined) cache.set(`cold-${i}`, { size: 30 });
    expect(hot.filter((key) => cache.get(key) === undefined)).toEqual([]);
    expect(cache.weight).toBeLessThanOrEqual(800);
  });

  test('a protected entry that grows past its share pushes the others down to probation', () => {
    // Probation: 2 entries, 10 in weight; protected: 14 entries, 70.
    const cache = new SegmentedLruCache<string, Box>(16, byBoxSize(80));
    const big = { size: 10 };
    for (const key of ['a', 'b', 'c']) {
      cache.set(key, key === 'a' ? big : { size: 10 });
      cache.get(key);
    }
    big.size = 65;
    cache.reweigh('a', big);
    // a, the oldest, stays (it is in use); b and c go down to probation, where c pushes b out.
    expect([cache.has('a'), cache.has('b'), cache.has('c'), cache.weight]).toEqual([true, false, true, 75]);
  });

  test('whatever is asked, set, grown or deleted: its weight is what it holds, and within bounds but for one entry in use', () => {
    type Op = { kind: 'get' | 'set' | 'grow' | 'delete'; key: number; size: number };
    const op = fc.record({ kind: fc.constantFrom<Op['kind']>('get', 'set', 'set', 'grow', 'delete'), key: fc.integer({ min: 0, max: 40 }), size: fc.integer({ min: 1, max: 60 }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const maxWeight = 200;
        const cache = new SegmentedLruCache<number, Box>(24, byBoxSize(maxWeight));
        const boxes = new Map<number, Box>();
        for (const { kind, key, size } of ops) {
          if (kind === 'get') cache.get(key);
          else if (kind === 'set') {
            const box = { size };
            boxes.set(key, box);
            cache.set(key, box);
          } else if (kind === 'grow') {
            const box = boxes.get(key);
            if (box) {
              box.size += size;
              cache.reweigh(key, box);
            }
          } else {
            boxes.delete(key);
            cache.delete(key);
          }
        }
        let held = 0;
        let heaviest = 0;
        for (const [key, box] of boxes) {
          if (cache.has(key)) {
            held += box.size;
            heaviest = Math.max(heaviest, box.size);
          }
        }
        expect(cache.weight).toBe(held);
        // Each segment may hold one entry over its share (the one just set or grown).
        expect(cache.weight).toBeLessThanOrEqual(maxWeight + 2 * heaviest);
        expect(cache.size).toBeLessThanOrEqual(24);
      }),
    );
  });
});
