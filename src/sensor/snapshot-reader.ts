// The snapshot's file read from a thread of its own (snapshot-reader-worker.ts), for what admission
// asks about and the snapshot does not keep in memory: an image's findings, the key of a tag.
// Read on the admission thread, a read that waits on the disk (a page the kernel let go of, a
// node busy pulling images) holds every review in flight behind it, and no deadline can cut it
// short; here it holds only the reviews that need it, for as long as their deadline allows.
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { startModuleWorker } from '../threads/module-worker.js';

/** An image's findings as one scanner's current scan keeps them (LocalSnapshot's `scans` row). */
export interface EvidenceRow {
  readonly scanner: string;
  readonly scannedAt: string | null;
  readonly receivedAt: string;
  readonly findings: string;
}

/** Every current scan of a key (a digest, or `id:` an image id), in scanner order: one statement, one consistent read. */
export const EVIDENCE_ROWS_SQL =
  'SELECT s.scanner, s.scanned_at AS scannedAt, s.received_at AS receivedAt, s.findings FROM scan_keys k JOIN scans s ON s.id = k.scan_id WHERE k.key = ? ORDER BY k.scanner';

/** The key scans name a tag by. */
export const TAG_KEY_SQL = 'SELECT key FROM tags WHERE tag = ?';

export type SnapshotReadRequest =
  | { readonly kind: 'open'; readonly ticket: number }
  | { readonly kind: 'evidence'; readonly ticket: number; readonly key: string }
  | { readonly kind: 'tag'; readonly ticket: number; readonly tag: string }
  | { readonly kind: 'stop' };

export type SnapshotReadAnswer =
  | { readonly kind: 'opened'; readonly ticket: number }
  | { readonly kind: 'evidence'; readonly ticket: number; readonly rows: EvidenceRow[] }
  | { readonly kind: 'tag'; readonly ticket: number; readonly key: string | null }
  | { readonly kind: 'failed'; readonly ticket: number; readonly message: string };

export interface SnapshotReaderData {
  readonly file: string;
}

/** After a thread died, how long before the next read starts another (reads fail meanwhile): a thread that cannot start is not started for every review. */
const RESTART_MS = 1_000;

/** Reads of a snapshot's file, answered later (LocalSnapshotOptions.reader). */
export interface SnapshotReads {
  /** The current scans of `key`, each scanner's; none when no scan covers it. */
  evidenceRows(key: string): Promise<EvidenceRow[]>;
  /** The key scans name `tag` by; undefined when none does. */
  keyOfTag(tag: string): Promise<string | undefined>;
  /** Reads in flight fail; later ones too. */
  close(): void;
}

/** How a read ended, and how long it took from asked to answered (its wait for the thread included): what admission waited. */
export type SnapshotReadObserver = (outcome: 'read' | 'failed', seconds: number) => void;

interface Waiting {
  resolve(answer: SnapshotReadAnswer): void;
  reject(error: Error): void;
  /** performance.now() when asked; undefined for the file's opening, which no review waits on. */
  readonly askedAt: number | undefined;
}

/**
 * Reads of one snapshot file in a thread, started at the first read. A thread that dies fails the
 * reads it had (the reviews waiting on them are decided by the failure mode, as for any fault), and
 * a read a second later starts another.
 */
export class SnapshotReader implements SnapshotReads {
  private worker: Worker | undefined;
  private nextTicket = 0;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;
  /** performance.now() before which no thread is started again. */
  private restartAt = 0;

  constructor(
    private readonly file: string,
    private readonly logger?: Logger,
    /** Told of each read (a metric). */
    private readonly onRead?: SnapshotReadObserver,
  ) {}

  async evidenceRows(key: string): Promise<EvidenceRow[]> {
    const answer = await this.ask({ kind: 'evidence', ticket: this.nextTicket++, key });
    return answer.kind === 'evidence' ? answer.rows : [];
  }

  /**
   * Starts the thread and has it open the file, so that the first reviews wait for neither (some
   * 200 ms on a busy node). A file it cannot open is logged, and left for the reads to meet: each
   * tries again, and fails with SQLite's reason.
   */
  async ready(): Promise<void> {
    try {
      await this.ask({ kind: 'open', ticket: this.nextTicket++ });
    } catch (error) {
      this.logger?.warn({ err: error, file: this.file }, 'the snapshot reader thread could not open the snapshot; each read tries again');
    }
  }

  async keyOfTag(tag: string): Promise<string | undefined> {
    const answer = await this.ask({ kind: 'tag', ticket: this.nextTicket++, tag });
    return answer.kind === 'tag' && answer.key !== null ? answer.key : undefined;
  }

  close(): void {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll(new Error('the snapshot was closed'));
    worker?.postMessage({ kind: 'stop' } satisfies SnapshotReadRequest);
  }

  private ask(request: Exclude<SnapshotReadRequest, { kind: 'stop' }>): Promise<SnapshotReadAnswer> {
    if (this.closed) return Promise.reject(new Error('the snapshot was closed'));
    if (this.worker === undefined && performance.now() < this.restartAt) return Promise.reject(new Error(`the thread reading the snapshot ${this.file} stopped; another starts in a moment`));
    const worker = this.worker ?? this.spawn();
    return new Promise((resolve, reject) => {
      this.waiting.set(request.ticket, { resolve, reject, askedAt: request.kind === 'open' ? undefined : performance.now() });
      worker.postMessage(request);
    });
  }

  private spawn(): Worker {
    const workerData: SnapshotReaderData = { file: this.file };
    const worker = startModuleWorker(import.meta.url, 'snapshot-reader-worker', { workerData });
    // The webhook's server keeps the process alive, not a read.
    worker.unref();
    worker.on('message', (answer: SnapshotReadAnswer) => {
      const waiting = this.waiting.get(answer.ticket);
      if (waiting === undefined) return;
      this.waiting.delete(answer.ticket);
      this.observe(waiting, answer.kind === 'failed' ? 'failed' : 'read');
      if (answer.kind === 'failed') waiting.reject(new Error(`reading the snapshot ${this.file}: ${answer.message}`));
      else waiting.resolve(answer);
    });
    const ended = (error?: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.restartAt = performance.now() + RESTART_MS;
      this.logger?.error({ err: error, file: this.file }, 'the snapshot reader thread stopped; the next read starts another');
      this.failAll(new Error(`the thread reading the snapshot ${this.file} stopped${error ? `: ${error.message ?? String(error)}` : ''}`));
    };
    worker.on('error', ended);
    worker.on('exit', () => ended());
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const read of waiting) {
      this.observe(read, 'failed');
      read.reject(error);
    }
  }

  private observe(read: Waiting, outcome: 'read' | 'failed'): void {
    if (read.askedAt !== undefined) this.onRead?.(outcome, (performance.now() - read.askedAt) / 1000);
  }
}
