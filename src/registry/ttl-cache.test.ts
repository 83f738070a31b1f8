import fc from 'fast-check';
import { expect, test } from 'vitest';
import { TtlCache } from './ttl-cache.js';

test('an entry is answered until it expires, then forgotten', () => {
  const cache = new TtlCache<string>(1000, 10);
  cache.set('a', 'A', 0);
  expect(cache.get('a', 999)).toBe('A');
  expect(cache.get('a', 1000)).toBeUndefined();
  expect(cache.size).toBe(0);
});

test('when full, an entry read since it was set survives, and the oldest unread one goes', () => {
  const cache = new TtlCache<number>(60_000, 3);
  for (const [i, key] of ['a', 'b', 'c'].entries()) cache.set(key, i, 0);
  cache.get('a', 1);
  cache.set('d', 3, 2);
  expect([cache.get('a', 3), cache.get('b', 3), cache.get('c', 3), cache.get('d', 3)]).toEqual([0, undefined, 2, 3]);
});

test('any mix of reads and writes: never more than maxEntries, and what was just set is there', () => {
  const op = fc.tuple(fc.constantFrom('get', 'set'), fc.integer({ min: 0, max: 20 }));
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
      const cache = new TtlCache<number>(60_000, max);
      for (const [kind, key] of ops) {
        if (kind === 'set') {
          cache.set(String(key), key, 0);
          expect(cache.get(String(key), 0)).toBe(key);
        } else expect([undefined, key]).toContain(cache.get(String(key), 0));
        expect(cache.size).toBeLessThanOrEqual(max);
      }
    }),
  );
});
