// Outboxes a webhook no longer uses (it became a pool, its pool shrank, it runs alone again):
// found, delivered to a real control plane once each, and removed; kept while the control plane
// is away, and kept when they hold events it refused.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { AdmissionEvent } from '../events/admission-event.js';
import { anEvent } from '../store/testing/builders.js';
import { HttpEventSink, RejectedEventsError } from './event-sinks.js';
import { OUTBOX_FILE, Outbox } from './outbox.js';
import { deliverStrandedOutboxes, strandedOutboxes, workerDataDir } from './stranded-outboxes.js';
import { listeningControlPlane, tempDir, type ListeningControlPlane } from './testing/control-plane.js';

let cp: ListeningControlPlane;
let temp: ReturnType<typeof tempDir>;
const logger = pino({ level: 'silent' });

beforeEach(async () => {
  cp = await listeningControlPlane();
  temp = tempDir();
});
afterEach(async () => {
  await cp.close();
  temp.remove();
});

let serial = 0;
function events(count: number): AdmissionEvent[] {
  return Array.from({ length: count }, (_, i) => anEvent({ time: new Date(Date.parse('2026-03-01T11:00:00.000Z') + i * 1000).toISOString(), seed: ++serial * 10_000 + i, cluster: 'prod-eu' }));
}

/** An outbox file left with these events undelivered, as a webhook that stopped leaves it. */
async function leftOutbox(file: string, batch: readonly AdmissionEvent[]): Promise<void> {
  const outbox = Outbox.open(file, { sink: new HttpEventSink(cp.connection('Sensor')) });
  await Promise.all(batch.map((event) => outbox.record(event)));
  await outbox.close();
}

async function storedIds(): Promise<string[]> {
  return (await cp.api.store.events.list({}, { limit: 500 })).events.map((event) => event.id);
}

describe('strandedOutboxes', () => {
  test('alone: every worker directory’s outbox; as a pool of two: the top-level one and those of workers 2 and up', () => {
    const data = temp.dir;
    writeFileSync(join(data, OUTBOX_FILE), '');
    for (const index of [0, 1, 2, 10]) {
      mkdirSync(workerDataDir(data, index));
      writeFileSync(join(workerDataDir(data, index), OUTBOX_FILE), '');
    }
    // Not a worker's, or no outbox in it.
    mkdirSync(join(data, 'worker-3'));
    mkdirSync(join(data, 'workers-4'));
    writeFileSync(join(data, 'workers-4', OUTBOX_FILE), '');
    mkdirSync(join(data, 'tls'));

    expect(strandedOutboxes(data)).toEqual([0, 1, 10, 2].map((index) => join(data, `worker-${index}`, OUTBOX_FILE)));
    expect(strandedOutboxes(data, 2)).toEqual([join(data, OUTBOX_FILE), join(data, 'worker-10', OUTBOX_FILE), join(data, 'worker-2', OUTBOX_FILE)]);
    expect(strandedOutboxes(data, 11)).toEqual([join(data, OUTBOX_FILE)]);
    expect(strandedOutboxes(join(data, 'absent'))).toEqual([]);
  });
});

describe('deliverStrandedOutboxes', () => {
  test('each file’s events arrive once; the files go, and a worker’s directory with them when it is empty', async () => {
    const top = join(temp.dir, OUTBOX_FILE);
    const worker = join(workerDataDir(temp.dir, 3), OUTBOX_FILE);
    const first = events(30);
    const second = events(7);
    await leftOutbox(top, first);
    await leftOutbox(worker, second);

    const delivery = deliverStrandedOutboxes([top, worker], { sink: new HttpEventSink(cp.connection('Sensor')), logger });
    await delivery.done;

    const ids = await storedIds();
    expect(ids).toHaveLength(37);
    expect(new Set(ids)).toEqual(new Set([...first, ...second].map((event) => event.id)));
    for (const file of [top, `${top}-wal`, `${top}-shm`, worker]) expect(existsSync(file)).toBe(false);
    expect(existsSync(workerDataDir(temp.dir, 3))).toBe(false);
    expect(existsSync(temp.dir)).toBe(true);
  });

  test('the control plane away: retried until it is back; stopped before that, the events stay for the next start', async () => {
    const file = join(workerDataDir(temp.dir, 1), OUTBOX_FILE);
    const batch = events(5);
    await leftOutbox(file, batch);
    await cp.stop();

    const stopped = deliverStrandedOutboxes([file], { sink: new HttpEventSink(cp.connection('Sensor')), logger, retryMs: 10, maxRetryMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await stopped.stop();
    expect(existsSync(file)).toBe(true);
    const reopened = Outbox.open(file, { sink: new HttpEventSink(cp.connection('Sensor')) });
    expect(reopened.pending()).toBe(5);
    await reopened.close();

    const retried = deliverStrandedOutboxes([file], { sink: new HttpEventSink(cp.connection('Sensor')), logger, retryMs: 10, maxRetryMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await cp.restart();
    await retried.done;
    expect(new Set(await storedIds())).toEqual(new Set(batch.map((event) => event.id)));
    expect(existsSync(file)).toBe(false);
  });

  test('a file that keeps an event the control plane refused stays, with that event set aside; the others arrive', async () => {
    const file = join(workerDataDir(temp.dir, 2), OUTBOX_FILE);
    const batch = events(4);
    const bad = { ...events(1)[0], id: 'not-a-uuidv7' } as AdmissionEvent;
    await leftOutbox(file, [...batch.slice(0, 2), bad, ...batch.slice(2)]);

    await deliverStrandedOutboxes([file], { sink: new HttpEventSink(cp.connection('Sensor')), logger }).done;
    expect(new Set(await storedIds())).toEqual(new Set(batch.map((event) => event.id)));
    expect(existsSync(file)).toBe(true);
    const kept = Outbox.open(file, { sink: new HttpEventSink(cp.connection('Sensor')) });
    expect([kept.pending(), kept.rejected()]).toEqual([0, 1]);
    await kept.close();
  });

  test('events a file set aside are tried once more: taken now, they arrive and the file goes', async () => {
    const file = join(workerDataDir(temp.dir, 3), OUTBOX_FILE);
    const batch = events(3);
    // Refused when it was delivered (a control plane of another version, say), taken now.
    const refused = batch[1]?.id ?? '';
    const outbox = Outbox.open(file, {
      sink: {
        deliver: async (handed) => {
          if (handed.some((event) => event.id === refused)) throw new RejectedEventsError('events[0]: unknown field');
        },
      },
    });
    await outbox.record(batch[1] as AdmissionEvent);
    await outbox.flush();
    expect(outbox.rejected()).toBe(1);
    await outbox.close();
    await leftOutbox(file, [batch[0], batch[2]] as AdmissionEvent[]);

    await deliverStrandedOutboxes([file], { sink: new HttpEventSink(cp.connection('Sensor')), logger }).done;
    expect(new Set(await storedIds())).toEqual(new Set(batch.map((event) => event.id)));
    expect(existsSync(file)).toBe(false);
  });

  test('a file that is not an outbox is left alone, and the next one is delivered', async () => {
    const broken = join(workerDataDir(temp.dir, 4), OUTBOX_FILE);
    mkdirSync(workerDataDir(temp.dir, 4));
    writeFileSync(broken, 'not a database');
    const file = join(workerDataDir(temp.dir, 5), OUTBOX_FILE);
    const batch = events(2);
    await leftOutbox(file, batch);

    await deliverStrandedOutboxes([broken, file], { sink: new HttpEventSink(cp.connection('Sensor')), logger }).done;
    expect(existsSync(broken)).toBe(true);
    expect(new Set(await storedIds())).toEqual(new Set(batch.map((event) => event.id)));
  });
});
