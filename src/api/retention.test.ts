import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import type { AdmissionEvent } from '../events/admission-event.js';
import { eventId } from '../events/event-id.js';
import type { Store } from '../store/store.js';
import { startRetention } from './retention.js';
import { startApi, type ApiHarness } from './testing/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());
afterEach(() => vi.useRealTimers());

const NOW = new Date('2026-04-01T00:00:00.000Z');
const daysAgo = (days: number, extraMs = 0): string => new Date(NOW.getTime() - days * 86_400_000 + extraMs).toISOString();

function anEvent(time: string): AdmissionEvent {
  return {
    id: eventId(new Date(time)),
    time,
    namespace: 'shop',
    kind: 'Pod',
    name: 'web',
    workload: 'web',
    operation: 'CREATE',
    dryRun: false,
    decision: 'Allowed',
    message: 'Allowed',
    images: [],
    rules: [],
    source: 'webhook',
  };
}

/** Every event gone, whatever its time, so each test starts from an empty table. */
async function clear(): Promise<void> {
  await api.store.events.prune('3000-01-01T00:00:00.000Z');
}

async function remaining(): Promise<string[]> {
  const page = await api.store.events.list({}, { limit: 500 });
  return page.events.map((event) => event.time).sort();
}

function recordingLogger(): { logger: Logger; lines: { level: string; fields: unknown; message: string }[] } {
  const lines: { level: string; fields: unknown; message: string }[] = [];
  const log = (level: string) => (fields: unknown, message: string) => lines.push({ level, fields, message });
  return { logger: { info: log('info'), warn: log('warn') } as unknown as Logger, lines };
}

const NEVER = 24 * 60 * 60 * 1000;

/** Moves the fake clock, then lets the run it started finish (its store calls are promises). */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await new Promise((resolve) => setImmediate(resolve));
}

describe('event retention', () => {
  test('a run deletes the events older than the retention period and keeps the rest', async () => {
    await clear();
    const times = [daysAgo(45), daysAgo(30, -1), daysAgo(30), daysAgo(29), daysAgo(0)];
    await api.store.events.insert(times.map(anEvent));
    const { logger, lines } = recordingLogger();
    const stop = startRetention(api.store, { days: 30, now: () => NOW, intervalMs: NEVER, firstRunMs: NEVER, logger });
    try {
      expect(await stop.runOnce()).toBe(2);
      expect(await remaining()).toEqual([daysAgo(30), daysAgo(29), daysAgo(0)]);
      expect(lines).toEqual([{ level: 'info', fields: { pruned: 2, before: daysAgo(30), days: 30 }, message: 'admission events pruned' }]);
      // Nothing older is left: a second run deletes nothing and says nothing.
      expect(await stop.runOnce()).toBe(0);
      expect(lines).toHaveLength(1);
    } finally {
      stop();
    }
  });

  test('the time is read at every run: as the clock moves, more events age out', async () => {
    await clear();
    await api.store.events.insert([daysAgo(10), daysAgo(5), daysAgo(1)].map(anEvent));
    let now = NOW;
    const stop = startRetention(api.store, { days: 7, now: () => now, intervalMs: NEVER, firstRunMs: NEVER });
    try {
      expect(await stop.runOnce()).toBe(1);
      now = new Date(NOW.getTime() + 3 * 86_400_000);
      expect(await stop.runOnce()).toBe(1);
      expect(await remaining()).toEqual([daysAgo(1)]);
    } finally {
      stop();
    }
  });

  test("an Admin's retentionDays setting wins over the started default, from the next run on", async () => {
    // An API of its own: a setting, once made, cannot be unmade, and would hold for the other tests.
    const own = await startApi();
    try {
      await own.store.events.insert([daysAgo(20), daysAgo(8), daysAgo(2)].map(anEvent));
      const stop = startRetention(own.store, { days: 30, now: () => NOW, intervalMs: NEVER, firstRunMs: NEVER });
      expect(await stop.runOnce()).toBe(0);
      expect((await own.call('Admin', 'PUT', '/api/v1/settings', { body: { retentionDays: 7 } })).statusCode).toBe(200);
      expect(await stop.runOnce()).toBe(2);
      expect((await own.store.events.list({}, { limit: 10 })).events.map((event) => event.time)).toEqual([daysAgo(2)]);
      stop();
    } finally {
      await own.close();
    }
  });

  test('the timer runs first after firstRunMs, then every intervalMs, until stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    await clear();
    let now = NOW;
    const stop = startRetention(api.store, { days: 1, now: () => now, intervalMs: 60_000, firstRunMs: 1_000 });
    await api.store.events.insert([anEvent(daysAgo(2))]);
    await advance(999);
    expect(await remaining()).toEqual([daysAgo(2)]);
    await advance(1);
    expect(await remaining()).toEqual([]);

    await api.store.events.insert([anEvent(daysAgo(0))]);
    now = new Date(NOW.getTime() + 2 * 86_400_000);
    await advance(59_999);
    expect(await remaining()).toEqual([daysAgo(0)]);
    await advance(1);
    expect(await remaining()).toEqual([]);

    stop();
    await api.store.events.insert([anEvent(daysAgo(0))]);
    await advance(10 * 60_000);
    expect(await remaining()).toEqual([daysAgo(0)]);
  });

  test('a failing run is logged and the timer goes on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] });
    const { logger, lines } = recordingLogger();
    let calls = 0;
    // Retention reads the settings and prunes events: nothing else of the store.
    const prune = async (): Promise<number> => {
      calls += 1;
      if (calls === 1) throw new Error('database is locked');
      return 0;
    };
    const failing = { settings: api.store.settings, events: { prune } } as unknown as Store;
    const stop = startRetention(failing, { days: 1, now: () => NOW, intervalMs: 1_000, firstRunMs: 1_000, logger });
    try {
      await advance(1_000);
      expect(lines).toEqual([{ level: 'warn', fields: { err: expect.any(Error) }, message: expect.stringContaining('pruning admission events failed') }]);
      await advance(1_000);
      expect(calls).toBe(2);
    } finally {
      stop();
    }
  });

  test('days must be a whole number of at least 1', () => {
    expect(() => startRetention(api.store, { days: 0, now: () => NOW })).toThrow(RangeError);
    expect(() => startRetention(api.store, { days: 1.5, now: () => NOW })).toThrow(RangeError);
  });
});
