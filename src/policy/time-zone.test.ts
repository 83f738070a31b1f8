import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { endOfDay, isValidTimeZone, localDay } from './time-zone.js';

describe('endOfDay', () => {
  test.each([
    ['2026-03-31', 'UTC', '2026-03-31T23:59:59.999Z'],
    ['2026-03-31', 'America/New_York', '2026-04-01T03:59:59.999Z'],
    ['2026-01-15', 'America/New_York', '2026-01-16T04:59:59.999Z'],
    ['2026-06-30', 'Asia/Kolkata', '2026-06-30T18:29:59.999Z'],
    ['2026-12-31', 'Pacific/Kiritimati', '2026-12-31T09:59:59.999Z'],
    ['2026-12-31', 'Pacific/Pago_Pago', '2027-01-01T10:59:59.999Z'],
    // The day DST starts in Europe is 23 hours long; the end is still local midnight.
    ['2026-03-29', 'Europe/Berlin', '2026-03-29T21:59:59.999Z'],
    // Santiago moves its clocks at midnight: local midnight does not exist on that day.
    ['2026-09-05', 'America/Santiago', '2026-09-06T03:59:59.999Z'],
  ])('%s in %s ends at %s', (day, zone, expected) => {
    expect(new Date(endOfDay(day, zone)).toISOString()).toBe(expected);
  });

  test('the end of a day is on that day and the next millisecond is on a later day', () => {
    const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/Santiago'];
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2090-12-31'), noInvalidDate: true }), fc.constantFrom(...zones), (date, zone) => {
        const day = date.toISOString().slice(0, 10);
        const end = endOfDay(day, zone);
        expect(localDay(end, zone)).toBe(day);
        expect(localDay(end + 1, zone) > day).toBe(true);
      }),
    );
  });

  test('rejects what is not a day', () => {
    expect(() => endOfDay('31/03/2026', 'UTC')).toThrow(/not a calendar day/);
  });
});

test('isValidTimeZone knows IANA zones', () => {
  expect(isValidTimeZone('Europe/Amsterdam')).toBe(true);
  expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
});
