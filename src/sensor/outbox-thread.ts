// A thread of the outbox's (outbox-worker.ts), with its own connection to outbox.db; the outbox
// runs two: a writer, for the inserts answers wait on (and every other write, so that the two
// never contend for SQLite's write lock), and a sender, which reads and delivers. Writing
// an event of ~10 KB into SQLite, reading it back and sending it cost the admission thread more
// than the statements themselves: the page writes, the commits, the copies of each event's text
// and the garbage they leave. Measured on the webhook benchmark, dropping the outbox's reads and
// writes raised throughput by a third. Here the admission thread only posts each turn's events,
// as JSON text, to the writer; it commits whatever has arrived by then in one transaction and
// says which writes are done. `record` still resolves only once its event is committed, so an
// answer leaves after its event is durable (unless the deadline comes first: see
// AdmissionHandler), and on a slow disk the admissions go on while the thread waits on it. A
// portable sink (a control plane's API, the all-in-one's SQLite store) is delivered to by the
// sender itself, so the events never come back to the admission thread.
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { WAL_BEHIND_PAGES, WAL_SIZE_LIMIT_BYTES } from '../store/sqlite/wal-checkpointer.js';
import { startModuleWorker } from '../threads/module-worker.js';
import type { PortableSink } from './event-sinks.js';

export interface OutboxThreadOptions {
  /** Of its connection: see OutboxOptions.synchronous. */
  readonly synchronous: 'FULL' | 'NORMAL';
  /** The sink the thread delivers to itself, when it is portable. */
  readonly sink?: PortableSink;
  readonly logger?: Logger;
}

/** What the thread is started with. */
export interface OutboxThreadData {
  readonly file: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly journalSizeLimit: number;
  readonly autocheckpoint: number;
  readonly sink?: PortableSink;
}

/** Which undelivered events: the oldest `limit`, or those of seq `from` to `to`. */
export type BatchRange = { readonly limit: number } | { readonly from: number; readonly to: number };

/** Undelivered events, oldest first. */
export interface OutboxBatch {
  readonly seqs: readonly number[];
  readonly ids: readonly string[];
  /** The events' JSON texts. */
  readonly bodies: readonly string[];
}

/** A delivery the thread made to its sink: which events it was, and why it failed if it did. */
export interface Delivery {
  readonly seqs: readonly number[];
  readonly ids: readonly string[];
  readonly error?: { readonly message: string; readonly rejected: boolean };
}

export type OutboxRequest =
  | { readonly kind: 'insert'; readonly ticket: number; readonly rows: readonly (readonly [id: string, body: string])[] }
  | { readonly kind: 'remove'; readonly ticket: number; readonly from: number; readonly to: number }
  | { readonly kind: 'setAside'; readonly ticket: number; readonly seq: number; readonly reason: string; readonly at: string }
  | { readonly kind: 'requeue'; readonly ticket: number }
  | { readonly kind: 'read'; readonly ticket: number; readonly range: BatchRange }
  | { readonly kind: 'deliver'; readonly ticket: number; readonly range: BatchRange }
  | { readonly kind: 'abort' }
  | { readonly kind: 'close' };

export type OutboxReply =
  /** `moved`: beside the tickets, the rows each requeue moved (present when one is among them). */
  | { readonly kind: 'done'; readonly tickets: readonly number[]; readonly moved?: readonly number[] }
  | { readonly kind: 'failed'; readonly ticket: number; readonly message: string; readonly code?: string }
  | { readonly kind: 'batch'; readonly ticket: number; readonly batch: OutboxBatch }
  | { readonly kind: 'delivery'; readonly ticket: number; readonly delivery: Delivery };

/** What the thread could not do (SQLite's message and code, e.g. SQLITE_FULL), or the thread stopped. */
export class OutboxThreadError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'OutboxThreadError';
  }
}

type Request = OutboxRequest extends infer R ? (R extends { ticket: number } ? Omit<R, 'ticket'> : never) : never;

interface Waiting {
  readonly resolve: (reply: OutboxReply) => void;
  readonly reject: (error: Error) => void;
}

export class OutboxThread {
  private worker: Worker | undefined;
  private nextTicket = 0;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;

  /** `file` exists with the outbox's schema (the admission thread's connection made it). */
  constructor(
    private readonly file: string,
    private readonly options: OutboxThreadOptions,
  ) {}

  /**
   * Inserts the events (id, JSON text) in one transaction; resolves once it is committed. Not
   * async: a suspended async function would hold the texts (copied to the thread already) until
   * the commit.
   */
  insert(rows: readonly (readonly [id: string, body: string])[]): Promise<void> {
    return this.ask({ kind: 'insert', rows }).then(() => undefined);
  }

  /** Deletes the delivered rows, seq `from` to `to`. */
  async remove(from: number, to: number): Promise<void> {
    await this.ask({ kind: 'remove', from, to });
  }

  /** Moves the row the sink refused into `rejected`. */
  async setAside(seq: number, reason: string, at: string): Promise<void> {
    await this.ask({ kind: 'setAside', seq, reason, at });
  }

  /** Moves every row set aside back among the undelivered, after them, to be delivered again; answers how many. */
  async requeue(): Promise<number> {
    const reply = await this.ask({ kind: 'requeue' });
    return reply.kind === 'done' ? (reply.moved?.[0] ?? 0) : 0;
  }

  /** Undelivered events (after the writes asked for before), for a sink on this thread. */
  async read(range: BatchRange): Promise<OutboxBatch> {
    const reply = await this.ask({ kind: 'read', range });
    if (reply.kind !== 'batch') throw new OutboxThreadError(`the outbox thread answered a read with ${reply.kind}`);
    return reply.batch;
  }

  /** Delivers undelivered events to the sink from the thread; the caller deletes them (on the writer thread) once it took them. */
  async deliver(range: BatchRange): Promise<Delivery> {
    if (this.options.sink === undefined) throw new OutboxThreadError('the outbox thread has no sink to deliver to');
    const reply = await this.ask({ kind: 'deliver', range });
    if (reply.kind !== 'delivery') throw new OutboxThreadError(`the outbox thread answered a delivery with ${reply.kind}`);
    return reply.delivery;
  }

  /** Aborts the thread's delivery in flight, if any (its events stay undelivered). */
  abortDelivery(): void {
    this.worker?.postMessage({ kind: 'abort' } satisfies OutboxRequest);
  }

  /** Waits for the operations asked for before (the thread takes them in order), then stops the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage({ kind: 'close' } satisfies OutboxRequest);
    await exited;
  }

  private ask(request: Request): Promise<OutboxReply> {
    if (this.closed) return Promise.reject(new OutboxThreadError('the outbox is closed'));
    const worker = this.worker ?? this.start();
    const ticket = this.nextTicket++;
    return new Promise((resolve, reject) => {
      this.waiting.set(ticket, { resolve, reject });
      // Held open while operations are in flight: an unreferenced thread would let the process exit before they commit.
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ ...request, ticket });
    });
  }

  private start(): Worker {
    const { synchronous, sink } = this.options;
    const workerData: OutboxThreadData = {
      file: this.file,
      synchronous,
      // The WAL checkpointer's thread keeps the WAL short; this bounds it should that thread fall behind.
      journalSizeLimit: WAL_SIZE_LIMIT_BYTES,
      autocheckpoint: WAL_BEHIND_PAGES,
      ...(sink && { sink }),
    };
    const worker = startModuleWorker(import.meta.url, 'outbox-worker', { workerData });
    worker.unref();
    worker.on('message', (reply: OutboxReply) => {
      if (reply.kind === 'done' && reply.moved !== undefined) reply.tickets.forEach((ticket, i) => this.settle(ticket)?.resolve({ kind: 'done', tickets: [ticket], moved: [reply.moved?.[i] ?? 0] }));
      else if (reply.kind === 'done') for (const ticket of reply.tickets) this.settle(ticket)?.resolve(reply);
      else if (reply.kind === 'failed') this.settle(reply.ticket)?.reject(new OutboxThreadError(`outbox.db: ${reply.message}`, reply.code));
      else this.settle(reply.ticket)?.resolve(reply);
    });
    const stopped = (error?: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      // Closed as asked: every operation was answered before the thread ended, so none waits
      // (one that did would be failed below rather than left pending).
      if (!this.closed || error !== undefined) {
        // Its writes in flight may or may not have committed: their records fail (the failure
        // mode decides those admissions); the next operation starts a new thread.
        this.options.logger?.error({ err: error, file: this.file }, 'the outbox thread stopped; the next operation starts another');
      }
      const failure = new OutboxThreadError(`outbox.db: the outbox thread stopped${error ? `: ${error.message}` : ''}`);
      for (const [ticket, waiting] of this.waiting) {
        this.waiting.delete(ticket);
        waiting.reject(failure);
      }
    };
    worker.on('error', stopped);
    worker.on('exit', () => stopped());
    this.worker = worker;
    return worker;
  }

  private settle(ticket: number): Waiting | undefined {
    const waiting = this.waiting.get(ticket);
    this.waiting.delete(ticket);
    if (this.waiting.size === 0) this.worker?.unref();
    return waiting;
  }
}
