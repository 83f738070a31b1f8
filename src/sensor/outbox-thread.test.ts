// The outbox's thread on a real outbox.db: group commit, a bad write failing alone, reads by
// range, deliveries that only read, close after the writes in flight, and a thread that stops.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { PortableSink } from './event-sinks.js';
import { Outbox } from './outbox.js';
import { OutboxThread, OutboxThreadError } from './outbox-thread.js';
import { tempDir } from './testing/control-plane.js';

let temp: ReturnType<typeof tempDir>;
let file: string;
const threads: OutboxThread[] = [];

beforeEach(async () => {
  temp = tempDir();
  file = join(temp.dir, 'outbox.db');
  // The outbox makes the file and its schema; the thread is handed the file.
  await Outbox.open(file, { sink: { deliver: async () => {} } }).close();
});
afterEach(async () => {
  for (const thread of threads.splice(0)) await thread.close();
  temp.remove();
});

function thread(sink?: PortableSink): OutboxThread {
  const started = new OutboxThread(file, { synchronous: 'NORMAL', ...(sink && { sink }) });
  threads.push(started);
  return started;
}

function rowsOnDisk(): { id: string; body: string }[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT id, body FROM outbox ORDER BY seq').all() as { id: string; body: string }[];
  } finally {
    db.close();
  }
}

describe('the outbox thread', () => {
  test('writes asked for together are committed, in order; one that fails, fails alone', async () => {
    const outbox = thread();
    const results = await Promise.allSettled([
      outbox.insert([['a', '{"n":1}']]),
      // NOT NULL: SQLite refuses it, and the transaction of the three with it.
      outbox.insert([['b', null as unknown as string]]),
      outbox.insert([
        ['c', '{"n":3}'],
        ['d', '{"n":4}'],
      ]),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const failure = (results[1] as PromiseRejectedResult).reason as OutboxThreadError;
    expect(failure).toBeInstanceOf(OutboxThreadError);
    expect(failure.message).toMatch(/^outbox\.db: NOT NULL constraint failed: outbox\.body/);
    expect(failure.code).toBe('SQLITE_CONSTRAINT_NOTNULL');
    expect(rowsOnDisk()).toEqual([
      { id: 'a', body: '{"n":1}' },
      { id: 'c', body: '{"n":3}' },
      { id: 'd', body: '{"n":4}' },
    ]);
  });

  test('reads the oldest events, or a range of seqs, after the writes asked for before; removes and sets aside by seq', async () => {
    const outbox = thread();
    void outbox.insert(['a', 'b', 'c', 'd', 'e'].map((id, i) => [id, `{"id":"${id}","n":${i}}`]));
    const oldest = await outbox.read({ limit: 2 });
    expect(oldest).toEqual({ seqs: [1, 2], ids: ['a', 'b'], bodies: ['{"id":"a","n":0}', '{"id":"b","n":1}'] });
    expect((await outbox.read({ from: 2, to: 4 })).ids).toEqual(['b', 'c', 'd']);

    await outbox.remove(1, 2);
    await outbox.setAside(4, 'refused: too large', '2026-11-25T10:00:00.000Z');
    expect((await outbox.read({ limit: 10 })).ids).toEqual(['c', 'e']);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT seq, id, body, reason, rejected_at FROM rejected').all()).toEqual([{ seq: 4, id: 'd', body: '{"id":"d","n":3}', reason: 'refused: too large', rejected_at: '2026-11-25T10:00:00.000Z' }]);
    } finally {
      db.close();
    }
  });

  test('close waits for the writes asked for before it', async () => {
    const outbox = thread();
    const written = outbox.insert([['late', '{}']]);
    await outbox.close();
    await written;
    expect(rowsOnDisk()).toEqual([{ id: 'late', body: '{}' }]);
    await expect(outbox.insert([['after', '{}']])).rejects.toThrow('the outbox is closed');
  });

  test('a delivery only reads: it goes on while another connection holds the write lock, and leaves the delete to the writer', async () => {
    // A control plane that takes every batch.
    const posted: string[][] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const { events } = JSON.parse(body) as { events: { id: string }[] };
        posted.push(events.map((event) => event.id));
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ received: events.length }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await thread().insert([['a', '{"id":"a"}'], ['b', '{"id":"b"}']]);
      const sender = thread({ kind: 'http', endpoint: { url, token: 'sensor' } });
      // Were the sender to delete what it delivered, it would wait here for the lock (SQLite's
      // busy handler sleeping), as would the writer behind it.
      const holder = new Database(file);
      holder.pragma('busy_timeout = 0');
      holder.prepare('BEGIN IMMEDIATE').run();
      try {
        const delivery = await Promise.race([sender.deliver({ limit: 10 }), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the delivery waited for the write lock')), 2_000))]);
        expect(delivery).toEqual({ seqs: [1, 2], ids: ['a', 'b'] });
      } finally {
        holder.prepare('ROLLBACK').run();
        holder.close();
      }
      expect(posted).toEqual([['a', 'b']]);
      expect(rowsOnDisk().map((row) => row.id)).toEqual(['a', 'b']);
    } finally {
      server.close();
    }
  });

  test('a delivery needs a portable sink', async () => {
    await expect(thread().deliver({ limit: 10 })).rejects.toThrow('the outbox thread has no sink to deliver to');
  });

  test('a thread that stops fails the operations in flight, and the next one starts another', async () => {
    const outbox = thread();
    await outbox.insert([['before', '{}']]);
    const worker = (outbox as unknown as { worker: Worker }).worker;
    // Asked of a thread that is stopping: never answered.
    const stopped = worker.terminate();
    const inFlight = outbox.read({ limit: 10 });
    await stopped;
    await expect(inFlight).rejects.toThrow(/^outbox\.db: the outbox thread stopped/);
    await outbox.insert([['after', '{}']]);
    expect((await outbox.read({ limit: 10 })).ids).toEqual(['before', 'after']);
  });
});
