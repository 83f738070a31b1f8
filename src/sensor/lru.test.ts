import { describe, expect, test } from 'vitest';
import { LruCache, SegmentedLruCache } from './lru.js';

describe('LruCache', () => {
  test('forgets the least recently used first, and push says what it pushed out', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    expect(cache.push('c', 3)).toEqual(['b', 2]);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
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
});
