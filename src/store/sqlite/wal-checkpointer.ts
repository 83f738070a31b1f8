// Checkpoints a WAL-mode SQLite file from a worker thread, so that the connection on the event
// loop never does. SQLite's automatic checkpoint runs inside the commit that crosses its
// threshold (1,000 pages): that commit copies about 4 MB into the database file and fsyncs it.
// On the webhook's outbox, with events of ~10 KB, that was one commit in a hundred taking 8 ms
// and more, and every admission waiting behind it. Here a second connection in a worker thread
// runs a PASSIVE checkpoint (it never blocks the writer) every few milliseconds, and the
// writer's own automatic checkpoint waits for a WAL 16 times larger: it runs only when the
// thread falls behind a writer faster than the disk (then the writer slows down to the disk's
// pace, and the WAL stays bounded, as SQLite does on its own). Should the thread fail, the
// writer's automatic checkpoints come back at SQLite's default.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { SqliteDatabase } from './database.js';

export interface CheckpointResult {
  /** Frames in the WAL when the checkpoint ran. */
  readonly log: number;
  /** Frames of it now in the database file. */
  readonly checkpointed: number;
}

export interface WalCheckpointerOptions {
  /** Between checkpoints; default 25 ms. */
  readonly intervalMs?: number;
  readonly logger?: Logger;
}

/** SQLite's default wal_autocheckpoint, restored if the thread fails. */
const AUTOCHECKPOINT_PAGES = 1000;
/** The writer's own checkpoint while the thread runs: only when the thread is this far behind (64 MB of 4 KB pages). */
export const WAL_BEHIND_PAGES = 16 * AUTOCHECKPOINT_PAGES;
/** After a checkpoint resets the WAL, the file is cut back to this size. */
export const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

// Plain CommonJS run with `eval`: a worker file would need the TypeScript loader the parent
// runs under (tsx), which a worker thread does not inherit under every runner.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.library);
const db = new Database(workerData.file, { fileMustExist: true });
let reported = { log: 0, checkpointed: 0 };
const checkpoint = () => {
  const [result] = db.pragma('wal_checkpoint(PASSIVE)');
  if (result.log === reported.log && result.checkpointed === reported.checkpointed) return;
  reported = { log: result.log, checkpointed: result.checkpointed };
  if (result.log > 0) parentPort.postMessage(reported);
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private stopping = false;
  private readonly waiting: ((result: CheckpointResult) => void)[] = [];

  /** Takes over `db`'s checkpoints; `file` is its path (not `:memory:`). */
  static start(db: SqliteDatabase, file: string, options: WalCheckpointerOptions = {}): WalCheckpointer {
    return new WalCheckpointer(db, file, options);
  }

  private constructor(
    private readonly db: SqliteDatabase,
    file: string,
    options: WalCheckpointerOptions,
  ) {
    db.connection.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    db.connection.pragma(`wal_autocheckpoint = ${WAL_BEHIND_PAGES}`);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { library: createRequire(import.meta.url).resolve('better-sqlite3'), file, intervalMs: options.intervalMs ?? 25 },
    });
    this.worker.unref();
    this.worker.on('message', (result: CheckpointResult) => {
      for (const resolve of this.waiting.splice(0)) resolve(result);
    });
    const failed = (error?: Error) => {
      if (this.stopping) return;
      this.stopping = true;
      if (this.db.connection.open) this.db.connection.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      options.logger?.warn({ err: error, file }, 'the WAL checkpoint thread stopped: checkpoints run on commit again');
    };
    this.worker.on('error', failed);
    this.worker.on('exit', () => failed());
  }

  /** Whether checkpoints still run in the thread (false once it failed or was stopped). */
  get running(): boolean {
    return !this.stopping;
  }

  /** The next checkpoint that copied frames. */
  next(): Promise<CheckpointResult> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Stops the thread (its connection closed) before the writer closes: the writer's close then checkpoints what is left. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const exited = new Promise((resolve) => this.worker.once('exit', resolve));
    // Unreferenced, the thread would not keep the process alive until it has closed its connection.
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }
}
