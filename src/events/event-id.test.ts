import { describe, expect, test } from 'vitest';
import { EVENT_ID, eventId } from './event-id.js';

describe('eventId', () => {
  test('a UUIDv7 whose first 48 bits are the milliseconds', () => {
    const id = eventId(new Date(0x0123456789ab));
    expect(id).toMatch(EVENT_ID);
    expect(id.startsWith('01234567-89ab-7')).toBe(true);
  });

  test('sorts by time, and never repeats within a millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => eventId(new Date(1_795_617_271_590)));
    expect(new Set(ids).size).toBe(1000);
    expect(eventId(new Date(1_795_617_271_589)) < eventId(new Date(1_795_617_271_590))).toBe(true);
  });
});
