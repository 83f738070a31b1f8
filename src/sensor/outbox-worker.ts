// One of the outbox's threads (started by outbox-thread.ts), with its own connection to
// outbox.db: the writer inserts the events recorded, deletes those delivered, and sets aside
// those refused (and puts them back to be tried again); the sender reads them and delivers them
// to a portable sink (a control plane's API, the all-in-one's SQLite store). The requests that
// arrived while it was busy are taken at once (receiveMessageOnPort), in order, and each run of
// writes among them is committed in one transaction (group commit); if that transaction fails,
// each write is tried on its own, so that one bad write does not fail the others.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { HttpEventSink, parseEvents, RejectedEventsError, type EventSink, type PortableSink } from './event-sinks.js';
import type { BatchRange, OutboxBatch, OutboxReply, OutboxRequest, OutboxThreadData } from './outbox-thread.js';
import { SqliteFileEventSink } from './sqlite-file-sink.js';

type Write = Extract<OutboxRequest, { kind: 'insert' | 'remove' | 'setAside' | 'requeue' }>;

const port = parentPort;
if (port === null) throw new Error('outbox-worker.ts runs as a worker thread (see outbox-thread.ts)');
const data = workerData as OutboxThreadData;

const db = new Database(data.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
db.pragma(`synchronous = ${data.synchronous}`);
db.pragma(`journal_size_limit = ${data.journalSizeLimit}`);
db.pragma(`wal_autocheckpoint = ${data.autocheckpoint}`);

const statements = {
  insert: db.prepare('INSERT INTO outbox (id, body) VALUES (?, ?)'),
  remove: db.prepare('DELETE FROM outbox WHERE seq BETWEEN ? AND ?'),
  setAside: db.prepare('INSERT OR REPLACE INTO rejected (seq, id, body, reason, rejected_at) SELECT seq, id, body, ?, ? FROM outbox WHERE seq = ?'),
  removeOne: db.prepare('DELETE FROM outbox WHERE seq = ?'),
  requeue: db.prepare('INSERT INTO outbox (id, body) SELECT id, body FROM rejected ORDER BY seq'),
  clearRejected: db.prepare('DELETE FROM rejected'),
  oldest: db.prepare<[number], [number, string, string]>('SELECT seq, id, body FROM outbox ORDER BY seq LIMIT ?').raw(),
  between: db.prepare<[number, number], [number, string, string]>('SELECT seq, id, body FROM outbox WHERE seq BETWEEN ? AND ? ORDER BY seq').raw(),
};

/** Answers the rows a requeue moved (0 for the other writes). */
function apply(write: Write): number {
  switch (write.kind) {
    case 'insert':
      for (const [id, body] of write.rows) statements.insert.run(id, body);
      return 0;
    case 'remove':
      statements.remove.run(write.from, write.to);
      return 0;
    case 'setAside':
      statements.setAside.run(write.reason, write.at, write.seq);
      statements.removeOne.run(write.seq);
      return 0;
    case 'requeue': {
      const { changes } = statements.requeue.run();
      statements.clearRejected.run();
      return changes;
    }
  }
}
// IMMEDIATE: the write lock is taken up front, so that a write waits its turn on busy_timeout
// rather than failing should another connection hold it (only the writer thread writes; the
// sender's and the admission thread's connections read).
const applyAll = db.transaction((writes: readonly Write[]) => writes.map(apply)).immediate;
const applyOne = db.transaction(apply).immediate;

const reply = (message: OutboxReply) => port.postMessage(message);
const failed = (ticket: number, error: unknown) => {
  const { message, code } = error as { message?: unknown; code?: unknown };
  reply({ kind: 'failed', ticket, message: String(message), ...(typeof code === 'string' && { code }) });
};

// The rows each write moved go back only when a requeue is among them: the inserts' replies stay as small as they were.
function write(writes: readonly Write[]): void {
  try {
    const moved = applyAll(writes);
    reply({ kind: 'done', tickets: writes.map((w) => w.ticket), ...(writes.some((w) => w.kind === 'requeue') && { moved }) });
  } catch {
    for (const w of writes) {
      try {
        const moved = applyOne(w);
        reply({ kind: 'done', tickets: [w.ticket], ...(w.kind === 'requeue' && { moved: [moved] }) });
      } catch (error) {
        failed(w.ticket, error);
      }
    }
  }
}

function batchOf(range: BatchRange): OutboxBatch {
  const rows = 'limit' in range ? statements.oldest.all(range.limit) : statements.between.all(range.from, range.to);
  const seqs: number[] = [];
  const ids: string[] = [];
  const bodies: string[] = [];
  for (const [seq, id, body] of rows) {
    seqs.push(seq);
    ids.push(id);
    bodies.push(body);
  }
  return { seqs, ids, bodies };
}

function sinkOf(portable: PortableSink): EventSink & { close?(): void } {
  switch (portable.kind) {
    case 'http':
      return new HttpEventSink(portable.endpoint);
    case 'sqlite':
      return new SqliteFileEventSink(portable.file);
  }
}

// Made at the first delivery, not at load: a sink that cannot be made (the store's file gone)
// fails that delivery, which is retried, rather than every operation of the thread.
let sink: (EventSink & { close?(): void }) | undefined;
let delivering: AbortController | undefined;

async function deliver(ticket: number, range: BatchRange): Promise<void> {
  let batch: OutboxBatch;
  try {
    batch = batchOf(range);
  } catch (error) {
    return failed(ticket, error);
  }
  const { seqs, ids, bodies } = batch;
  if (data.sink === undefined || seqs.length === 0) return reply({ kind: 'delivery', ticket, delivery: { seqs, ids } });
  delivering = new AbortController();
  try {
    sink ??= sinkOf(data.sink);
    await (sink.deliverJson ? sink.deliverJson(bodies, delivering.signal) : sink.deliver(parseEvents(bodies), delivering.signal));
  } catch (error) {
    return reply({ kind: 'delivery', ticket, delivery: { seqs, ids, error: { message: (error as Error).message, rejected: error instanceof RejectedEventsError } } });
  } finally {
    delivering = undefined;
  }
  reply({ kind: 'delivery', ticket, delivery: { seqs, ids } });
}

function close(): void {
  sink?.close?.();
  db.close();
  port?.close();
}

port.on('message', (first: OutboxRequest) => {
  const requests = [first];
  for (let next = receiveMessageOnPort(port); next !== undefined; next = receiveMessageOnPort(port)) requests.push(next.message as OutboxRequest);
  let writes: Write[] = [];
  const commit = () => {
    if (writes.length > 0) write(writes);
    writes = [];
  };
  for (const request of requests) {
    switch (request.kind) {
      case 'insert':
      case 'remove':
      case 'setAside':
      case 'requeue':
        writes.push(request);
        break;
      case 'read':
        commit();
        try {
          reply({ kind: 'batch', ticket: request.ticket, batch: batchOf(request.range) });
        } catch (error) {
          failed(request.ticket, error);
        }
        break;
      case 'deliver':
        commit();
        void deliver(request.ticket, request.range);
        break;
      case 'abort':
        delivering?.abort();
        break;
      case 'close':
        commit();
        return close();
    }
  }
  commit();
});
