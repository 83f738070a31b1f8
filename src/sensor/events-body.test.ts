// The body the outbox posts to the control plane: the events' JSON texts written into one buffer,
// byte for byte what joining them into one string and encoding it would give.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { eventsBody } from './control-plane.js';

const joined = (events: readonly string[]) => Buffer.from(`{"events":[${events.join(',')}]}`, 'utf8');

test('no event, one event, and events whose texts hold characters of two, three and four bytes', () => {
  expect(eventsBody([]).toString('utf8')).toBe('{"events":[]}');
  expect(JSON.parse(eventsBody(['{"id":"a"}']).toString('utf8'))).toEqual({ events: [{ id: 'a' }] });
  const events = [JSON.stringify({ id: '1', reason: 'déploiement urgent' }), JSON.stringify({ id: '2', workload: '日本' }), JSON.stringify({ id: '3', note: 'ship it 🚀' })];
  const body = eventsBody(events);
  expect(body.equals(joined(events))).toBe(true);
  expect(JSON.parse(body.toString('utf8'))).toEqual({ events: events.map((text) => JSON.parse(text) as unknown) });
});

test('any JSON texts: the same bytes as the joined string encoded', () => {
  fc.assert(
    fc.property(fc.array(fc.json({ stringUnit: 'binary' }), { maxLength: 20 }), (events) => {
      expect(eventsBody(events).equals(joined(events))).toBe(true);
    }),
  );
});

test('written into a spare buffer when it is large enough (the same bytes), into a new one when not', () => {
  fc.assert(
    fc.property(fc.array(fc.json({ stringUnit: 'binary' }), { maxLength: 20 }), fc.nat({ max: 4096 }), (events, spareSize) => {
      const spare = Buffer.alloc(spareSize, 0x78);
      const body = eventsBody(events, spare);
      expect(body.equals(joined(events))).toBe(true);
      expect(body.buffer === spare.buffer).toBe(spareSize >= joined(events).length);
    }),
  );
});
