// The outbox against a real control plane and real SQLite files: no event lost, none stored twice,
// whether the control plane is away, the webhook dies, or a delivery fails halfway.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { AdmissionEvent } from '../events/admission-event.js';
import { anEvent } from '../store/testing/builders.js';
import { ControlPlaneError } from './control-plane.js';
import { HttpEventSink, RejectedEventsError, StoreEventSink, type EventSink } from './event-sinks.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { Outbox, type OutboxOptions } from './outbox.js';
import { listeningControlPlane, tempDir, type ListeningControlPlane } from './testing/control-plane.js';

let cp: ListeningControlPlane;
let temp: ReturnType<typeof tempDir>;
const opened: Outbox[] = [];

beforeEach(async () => {
  cp = await listeningControlPlane();
  temp = tempDir();
});
afterEach(async () => {
  for (const outbox of opened.splice(0)) await outbox.close();
  await cp.close();
  temp.remove();
});

function openOutbox(options: OutboxOptions): Outbox {
  const outbox = Outbox.open(join(temp.dir, 'data', 'outbox.db'), options);
  opened.push(outbox);
  return outbox;
}

let serial = 0;
function events(count: number): AdmissionEvent[] {
  return Array.from({ length: count }, (_, i) => anEvent({ time: new Date(Date.parse('2026-03-01T11:00:00.000Z') + i * 1000).toISOString(), seed: ++serial * 10_000 + i, cluster: 'prod-eu' }));
}

/** How many events the store holds, counted page by page. */
async function stored(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await cp.api.store.events.list({}, { limit: 500, ...(cursor !== undefined && { cursor }) });
    ids.push(...page.events.map((event) => event.id));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return ids;
}

/** A sink that records every delivery (and how many events the store took as new) before passing it on. */
function recording(inner: EventSink, fail: (delivery: number) => 'before' | 'after' | undefined = () => undefined) {
  const deliveries: { size: number; failed?: 'before' | 'after' }[] = [];
  let newlyStored = 0;
  const sink: EventSink = {
    deliver: async (batch, signal) => {
      const failure = fail(deliveries.length + 1);
      deliveries.push({ size: batch.length, ...(failure && { failed: failure }) });
      if (failure === 'before') throw new ControlPlaneError('POST /api/v1/events: 500 internal', 500, 'internal');
      const before = (await stored()).length;
      await inner.deliver(batch, signal);
      newlyStored += (await stored()).length - before;
      // The control plane stored the batch, but its answer was lost on the way back.
      if (failure === 'after') throw new ControlPlaneError('POST /api/v1/events: socket hang up');
    },
  };
  return { sink, deliveries, newlyStored: () => newlyStored };
}

describe('the outbox', () => {
  test('1,000 events recorded while the control plane is away all arrive once it is back, none twice', async () => {
    const { sink, deliveries, newlyStored } = recording(new HttpEventSink(cp.connection('Sensor')));
    const outbox = openOutbox({ sink });
    await cp.stop();

    const batch = events(1000);
    await recordAll(outbox, batch);
    expect(outbox.pending()).toBe(1000);
    await expect(outbox.flush()).rejects.toThrow(/POST \/api\/v1\/events at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    expect(outbox.pending()).toBe(1000);

    await cp.restart();
    await outbox.flush();
    expect(outbox.pending()).toBe(0);
    const ids = await stored();
    expect(ids).toHaveLength(1000);
    expect(new Set(ids)).toEqual(new Set(batch.map((event) => event.id)));
    expect(newlyStored()).toBe(1000);
    // In batches of at most 500: the refused first try, then two.
    expect(deliveries.map((delivery) => delivery.size)).toEqual([500, 500, 500]);
  });

  test('the webhook dies before delivering: the reopened outbox still has every event and delivers it', async () => {
    const first = Outbox.open(join(temp.dir, 'data', 'outbox.db'), { sink: new HttpEventSink(cp.connection('Sensor')) });
    const batch = events(25);
    await recordAll(first, batch);
    // No flush: the process is gone (close does not deliver).
    await first.close();

    const reopened = openOutbox({ sink: new HttpEventSink(cp.connection('Sensor')) });
    expect(reopened.pending()).toBe(25);
    await reopened.flush();
    expect(reopened.pending()).toBe(0);
    expect(new Set(await stored())).toEqual(new Set(batch.map((event) => event.id)));
  });

  test('record: the events of one turn share one transaction, written before any resolves, and survive the process dying', async () => {
    const first = Outbox.open(join(temp.dir, 'data', 'outbox.db'), { sink: new HttpEventSink(cp.connection('Sensor')) });
    const batch = events(40);
    let writtenWhenFirstResolved = -1;
    const recorded = batch.map((event, i) =>
      first.record(event).then(() => {
        if (i === 0) writtenWhenFirstResolved = first.pending();
      }),
    );
    // Nothing is written until the turn ends: then all of them at once.
    expect(first.pending()).toBe(0);
    await Promise.all(recorded);
    expect(writtenWhenFirstResolved).toBe(40);
    await first.close();

    const reopened = openOutbox({ sink: new HttpEventSink(cp.connection('Sensor')) });
    expect(reopened.pending()).toBe(40);
    await reopened.flush();
    expect(new Set(await stored())).toEqual(new Set(batch.map((event) => event.id)));
  });

  test('record: an event that cannot be made into text fails alone; the others of its turn are written', async () => {
    const outbox = openOutbox({ sink: new HttpEventSink(cp.connection('Sensor')) });
    const [good, other] = events(2);
    const broken = { ...events(1)[0], message: 10n } as unknown as AdmissionEvent;
    const results = await Promise.allSettled([outbox.record(good!), outbox.record(broken), outbox.record(other!)]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(outbox.pending()).toBe(2);
  });

  test.each([
    ['fails before storing it', 'before'],
    ['stores it and loses the answer', 'after'],
  ] as const)('a control plane that %s for the 2nd batch: retried with backoff, no loss, no duplicates', async (_name, failure) => {
    const { sink, deliveries, newlyStored } = recording(new HttpEventSink(cp.connection('Sensor')), (n) => (n === 2 ? failure : undefined));
    const outbox = openOutbox({ sink, batchSize: 100, retryMs: 10, lingerMs: 1 });
    const batch = events(350);
    await recordAll(outbox, batch);
    outbox.start();
    // In the background: the writer thread deletes each batch once the sender has delivered it.
    await until(() => outbox.pending() === 0 && outbox.consecutiveFailures === 0);

    expect(deliveries.map((delivery) => [delivery.size, delivery.failed])).toEqual([
      [100, undefined],
      [100, failure],
      [100, undefined],
      [100, undefined],
      [50, undefined],
    ]);
    expect(outbox.consecutiveFailures).toBe(0);
    const ids = await stored();
    expect(ids).toHaveLength(350);
    expect(new Set(ids)).toEqual(new Set(batch.map((event) => event.id)));
    expect(newlyStored()).toBe(350);
  });

  test('delivers in the background soon after a record', async () => {
    const outbox = openOutbox({ sink: new HttpEventSink(cp.connection('Sensor')), lingerMs: 5 });
    outbox.start();
    const [event] = events(1);
    if (event) await outbox.record(event);
    await until(() => outbox.pending() === 0);
    expect(await stored()).toEqual([event?.id]);
  });

  test('at a steady rate each delivery carries what one linger gathered, not what the last round trip let gather', async () => {
    const sizes: number[] = [];
    const received = new Set<string>();
    const sink: EventSink = {
      deliver: async (batch) => {
        sizes.push(batch.length);
        for (const event of batch) received.add(event.id);
        await sleep(10);
      },
    };
    const lingerMs = 100;
    const outbox = openOutbox({ sink, lingerMs, batchSize: 500 });
    // Both threads up first: a sender thread still starting would take the first second's events in one delivery.
    await outbox.ready();
    outbox.start();
    const started = performance.now();
    for (const event of events(300)) {
      await outbox.record(event);
      await sleep(1);
    }
    const elapsed = performance.now() - started;
    await until(() => outbox.pending() === 0);
    expect(received.size).toBe(300);
    // Back to back, each delivery would take the events of the last one's 10 ms: dozens of them.
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(elapsed / lingerMs) + 2);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(300);
  });

  test('an event the control plane refuses is set aside; the rest of its batch is delivered', async () => {
    const outbox = openOutbox({ sink: new HttpEventSink(cp.connection('Sensor')) });
    const batch = events(9);
    const bad = { ...events(1)[0], id: 'not-a-uuidv7' } as AdmissionEvent;
    await recordAll(outbox, [...batch.slice(0, 4), bad, ...batch.slice(4)]);
    await outbox.flush();
    expect(outbox.pending()).toBe(0);
    expect(outbox.rejected()).toBe(1);
    expect(new Set(await stored())).toEqual(new Set(batch.map((event) => event.id)));
  });

  /** A control plane that refuses `refused` events for what they are until it is upgraded. */
  function versionSkewed(refused: ReadonlySet<string>) {
    const taken: string[] = [];
    const state = { upgraded: false };
    const sink: EventSink = {
      deliver: async (batch) => {
        if (!state.upgraded && batch.some((event) => refused.has(event.id))) throw new RejectedEventsError('events[0]: unknown field');
        taken.push(...batch.map((event) => event.id));
      },
    };
    return { sink, taken, state };
  }

  test('events set aside are tried again: a control plane that takes them now gets them, and they are no longer set aside', async () => {
    const batch = events(5);
    const skewed = versionSkewed(new Set([batch[2]?.id ?? '']));
    const outbox = openOutbox({ sink: skewed.sink });
    await recordAll(outbox, batch);
    await outbox.flush();
    expect([outbox.pending(), outbox.rejected()]).toEqual([0, 1]);
    expect(skewed.taken).toHaveLength(4);

    // Refused again: set aside again, nothing lost.
    expect(await outbox.retryRejected()).toBe(1);
    await outbox.flush();
    expect([outbox.pending(), outbox.rejected()]).toEqual([0, 1]);

    skewed.state.upgraded = true;
    expect(await outbox.retryRejected()).toBe(1);
    await outbox.flush();
    expect([outbox.pending(), outbox.rejected()]).toEqual([0, 0]);
    expect(new Set(skewed.taken)).toEqual(new Set(batch.map((event) => event.id)));
    expect(await outbox.retryRejected()).toBe(0);
  });

  test('a started outbox tries the events set aside again every rejectedRetryMs, and at its start', async () => {
    const [bad, ...rest] = events(3);
    const skewed = versionSkewed(new Set([bad?.id ?? '']));
    const outbox = openOutbox({ sink: skewed.sink, lingerMs: 5, rejectedRetryMs: 100 });
    outbox.start();
    await recordAll(outbox, [bad, ...rest] as AdmissionEvent[]);
    await until(() => outbox.rejected() === 1 && outbox.pending() === 0);
    skewed.state.upgraded = true;
    await until(() => outbox.rejected() === 0 && outbox.pending() === 0);
    expect(skewed.taken).toContain(bad?.id);
    await outbox.close();

    // Set aside in an earlier run: the start tries them (the interval here is hours).
    const later = events(1);
    const again = versionSkewed(new Set([later[0]?.id ?? '']));
    const first = openOutbox({ sink: again.sink });
    await recordAll(first, later);
    await first.flush();
    expect(first.rejected()).toBe(1);
    await first.close();
    again.state.upgraded = true;
    const reopened = openOutbox({ sink: again.sink, lingerMs: 5 });
    expect(reopened.rejected()).toBe(1);
    reopened.start();
    await until(() => reopened.rejected() === 0 && reopened.pending() === 0);
    expect(again.taken).toEqual([later[0]?.id]);
  });

  test('handing over takes the events set aside too: in an outbox about to go they would be lost', async () => {
    const batch = events(4);
    const skewed = versionSkewed(new Set([batch[1]?.id ?? '']));
    const outbox = openOutbox({ sink: skewed.sink });
    await recordAll(outbox, batch);
    await outbox.flush();
    expect(outbox.rejected()).toBe(1);
    await recordAll(outbox, events(2));
    const peer: string[] = [];
    await outbox.handOff({ deliver: async (handed) => void peer.push(...handed.map((event) => event.id)) });
    expect([outbox.pending(), outbox.rejected()]).toEqual([0, 0]);
    expect(peer).toHaveLength(3);
    expect(peer).toContain(batch[1]?.id);
  });

  test('a token the control plane refuses keeps the events for later', async () => {
    const outbox = openOutbox({ sink: new HttpEventSink(cp.connection('Scanner')) });
    await recordAll(outbox, events(3));
    await expect(outbox.flush()).rejects.toThrow(/403/);
    expect(outbox.pending()).toBe(3);
    expect(outbox.rejected()).toBe(0);
  });

  test('StoreEventSink on a SQLite file: the outbox thread writes the events into the store itself, refusing invalid events alone', async () => {
    const store = new SqliteStore(join(temp.dir, 'portcullis.db'));
    try {
      await store.migrate();
      const sink = new StoreEventSink(store);
      expect(sink.portable).toEqual({ kind: 'sqlite', file: join(temp.dir, 'portcullis.db') });
      const outbox = openOutbox({ sink });
      const withCve = anEvent({ time: '2026-03-01T12:00:00.000Z', seed: ++serial, images: [{ reference: 'registry.example.com/shop/cart:1.2', violations: [{ rule: 'deny-critical', cves: ['CVE-2024-3094'] }] }] });
      const batch = [...events(19), withCve];
      await recordAll(outbox, [...batch.slice(0, 7), { ...batch[0], id: 'x', time: 'yesterday' } as AdmissionEvent, ...batch.slice(7)]);
      await outbox.flush();
      expect(outbox.pending()).toBe(0);
      expect(outbox.rejected()).toBe(1);
      // Read through the store's own connection: the thread's writes, with their filter rows.
      const page = await store.events.list({}, { limit: 50 });
      expect(new Set(page.events.map((event) => event.id))).toEqual(new Set(batch.map((event) => event.id)));
      expect((await store.events.list({ cve: 'CVE-2024-3094' }, { limit: 50 })).events.map((event) => event.id)).toEqual([withCve.id]);
    } finally {
      await store.close();
    }
  });

  test('a portable sink that cannot be made fails its deliveries, which are retried; records go on', async () => {
    const missing = join(temp.dir, 'gone', 'portcullis.db');
    const outbox = openOutbox({ sink: { deliver: async () => {}, portable: { kind: 'sqlite', file: missing } } });
    await recordAll(outbox, events(3));
    await expect(outbox.flush()).rejects.toThrow(/directory does not exist|unable to open/);
    expect(outbox.pending()).toBe(3);
    await recordAll(outbox, events(2));
    expect(outbox.pending()).toBe(5);
    await expect(outbox.flush()).rejects.toThrow(/directory does not exist|unable to open/);
  });

  test('StoreEventSink: the all-in-one serve delivers to its own store, refusing invalid events alone', async () => {
    const outbox = openOutbox({ sink: new StoreEventSink(cp.api.store) });
    const batch = events(20);
    await recordAll(outbox, [...batch, { ...batch[0], id: 'x', time: 'yesterday' } as AdmissionEvent]);
    await outbox.flush();
    expect(outbox.pending()).toBe(0);
    expect(outbox.rejected()).toBe(1);
    expect(await stored()).toHaveLength(20);
    await expect(new StoreEventSink(cp.api.store).deliver([{ ...batch[0], time: 'yesterday' } as AdmissionEvent])).rejects.toBeInstanceOf(RejectedEventsError);
  });
});

async function recordAll(outbox: Outbox, batch: readonly AdmissionEvent[]): Promise<void> {
  await Promise.all(batch.map((event) => outbox.record(event)));
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
