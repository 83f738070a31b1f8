// The syncer in a thread of its own (sync-worker.ts), for a source that can be described in data
// (a control plane's API, or the all-in-one's store). Syncing parses each page, checks it and
// writes it into the snapshot's SQLite file: some 35 ms for a page of 5,000 findings, and a
// nightly rescan brings hundreds of pages. On the admission thread every one of those held the
// answers back. Here the thread writes the file through its own connection and tells of each
// change it committed; the admission thread's snapshot only follows it (LocalSnapshot.follow, as
// a pool's workers follow worker 0): it drops the evidence of the keys that changed and reads the
// rules again if they did.
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { startModuleWorker } from '../threads/module-worker.js';
import type { SnapshotChange } from './local-snapshot.js';
import type { PortableSource, SnapshotSyncer, SyncReport } from './sync.js';

/** What the thread is started with. */
export interface SyncThreadData {
  /** The snapshot file (it exists: the admission thread's snapshot made it). */
  readonly file: string;
  readonly source: PortableSource;
  readonly intervalMs?: number;
  readonly logLevel: string;
  readonly logBindings: Record<string, unknown>;
}

export type SyncThreadRequest = { readonly kind: 'syncNow'; readonly ticket: number } | { readonly kind: 'stop' };

export type SyncThreadMessage =
  | { readonly kind: 'change'; readonly change: SnapshotChange }
  | { readonly kind: 'synced'; readonly ticket: number; readonly report: SyncReport }
  | { readonly kind: 'failed'; readonly ticket: number; readonly message: string };

export interface SyncThreadOptions {
  readonly file: string;
  readonly source: PortableSource;
  readonly intervalMs?: number;
  readonly logger: Logger;
  /** Each change the thread committed to the file, in order. */
  readonly onChange: (change: SnapshotChange) => void;
  /** The thread ended without being asked to (an error); another is started after restartMs. */
  readonly onStopped?: (error?: Error) => void;
  /** After a thread that died, the wait before the next; default 1 s. */
  readonly restartMs?: number;
}

/** How long stop() waits for the thread to end on its own. */
const STOP_WAIT_MS = 5_000;

export class SyncThread implements SnapshotSyncer {
  private worker: Worker | undefined;
  private running = false;
  private nextTicket = 0;
  private readonly waiting = new Map<number, { resolve: (report: SyncReport) => void; reject: (error: Error) => void }>();
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SyncThreadOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.spawn();
  }

  syncNow(): Promise<SyncReport> {
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(new Error('the sync thread is not running'));
    const ticket = this.nextTicket++;
    return new Promise((resolve, reject) => {
      this.waiting.set(ticket, { resolve, reject });
      worker.postMessage({ kind: 'syncNow', ticket } satisfies SyncThreadRequest);
    });
  }

  /** Stops the thread: a round in flight is aborted; what it committed stays in the file. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker === undefined) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ kind: 'stop' } satisfies SyncThreadRequest);
    // Should something keep the thread's loop alive once it stopped, it is ended: the file holds
    // only committed changes, whatever moment a thread ends at.
    const stuck = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
    await exited;
    clearTimeout(stuck);
  }

  private spawn(): void {
    const { logger } = this.options;
    const workerData: SyncThreadData = {
      file: this.options.file,
      source: this.options.source,
      ...(this.options.intervalMs !== undefined && { intervalMs: this.options.intervalMs }),
      logLevel: logger.level,
      logBindings: logger.bindings(),
    };
    const worker = startModuleWorker(import.meta.url, 'sync-worker', { workerData });
    // The webhook's server keeps the process alive, not its syncer.
    worker.unref();
    worker.on('message', (message: SyncThreadMessage) => {
      if (message.kind === 'change') this.options.onChange(message.change);
      else if (message.kind === 'synced') this.settle(message.ticket)?.resolve(message.report);
      else if (message.kind === 'failed') this.settle(message.ticket)?.reject(new Error(message.message));
    });
    const ended = (error?: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const [ticket, waiting] of this.waiting) {
        this.waiting.delete(ticket);
        waiting.reject(new Error(`the sync thread stopped${error ? `: ${error.message}` : ''}`));
      }
      if (!this.running) return;
      logger.error({ err: error }, 'the sync thread stopped; starting another');
      this.options.onStopped?.(error);
      this.restartTimer = setTimeout(() => this.spawn(), this.options.restartMs ?? 1_000);
      this.restartTimer.unref();
    };
    worker.on('error', ended);
    worker.on('exit', () => ended());
    this.worker = worker;
  }

  private settle(ticket: number) {
    const waiting = this.waiting.get(ticket);
    this.waiting.delete(ticket);
    return waiting;
  }
}
