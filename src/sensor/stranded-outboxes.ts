// Outboxes in a webhook's data directory that no process writes any more: the top-level one once
// the webhook runs as a pool (each worker keeps its own under worker-<i>/), a worker's beyond the
// pool's size once the pool shrinks, and every worker's once the webhook runs alone again. Their
// undelivered events exist nowhere else, so one process (the webhook alone, or a pool's worker 0)
// delivers them through its sink, and removes each file once it holds nothing. A file that keeps
// events the control plane refused (set aside for a person to look at) stays, and is logged.
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EventSink } from './event-sinks.js';
import { OUTBOX_FILE, Outbox, retryDelayMs } from './outbox.js';

const WORKER_DIR = /^worker-(\d+)$/;

/** Where worker `index` of a pool keeps its outbox (and anything else of its own). */
export function workerDataDir(dataDir: string, index: number): string {
  return join(dataDir, `worker-${index}`);
}

/** Every outbox of `dataDir`: the webhook's own, and each worker's of a pool (`worker-<i>/`). */
export function outboxesIn(dataDir: string): string[] {
  // With a pool of none, every one of them is another layout's.
  return strandedOutboxes(dataDir, 0);
}

/**
 * The outboxes of `dataDir` that nothing uses: `workers` is the pool's size, or undefined when
 * the webhook runs alone (its outbox at the top of the directory).
 */
export function strandedOutboxes(dataDir: string, workers?: number): string[] {
  const files = workers === undefined ? [] : [join(dataDir, OUTBOX_FILE)];
  const entries = existsSync(dataDir) ? readdirSync(dataDir, { withFileTypes: true }) : [];
  for (const entry of entries) {
    const index = entry.isDirectory() ? WORKER_DIR.exec(entry.name)?.[1] : undefined;
    if (index !== undefined && (workers === undefined || Number(index) >= workers)) files.push(join(dataDir, entry.name, OUTBOX_FILE));
  }
  return files.filter((file) => existsSync(file)).sort();
}

export interface StrandedOutboxOptions {
  readonly sink: EventSink;
  readonly logger: Logger;
  /** The wait after a failed delivery, doubled each time up to maxRetryMs; default 1 s, 60 s. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

export interface StrandedOutboxDelivery {
  /** Settles once every file is delivered and removed, kept for its refused events, or given up on at stop(). */
  readonly done: Promise<void>;
  /** Stops delivering (a delivery in flight is aborted; what is left waits for the next start). */
  stop(): Promise<void>;
}

/** Delivers the files' events one file after another, in the background, retrying while the sink is away. */
export function deliverStrandedOutboxes(files: readonly string[], options: StrandedOutboxOptions): StrandedOutboxDelivery {
  const stopping = new AbortController();
  let current: Outbox | undefined;
  const done = (async () => {
    for (const file of files) {
      if (stopping.signal.aborted) return;
      await deliverFile(file);
    }
  })();

  async function deliverFile(file: string): Promise<void> {
    const { logger } = options;
    let outbox: Outbox;
    try {
      outbox = Outbox.open(file, { sink: options.sink, logger, synchronous: 'NORMAL' });
    } catch (error) {
      logger.error({ err: error, file }, 'an outbox no longer in use could not be opened: its events stay in it');
      return;
    }
    current = outbox;
    // The events the control plane refused, once more with the rest: it may take them now.
    try {
      await outbox.retryRejected();
    } catch (error) {
      logger.warn({ err: error, file }, 'the events an outbox no longer in use set aside could not be tried again');
    }
    const pending = outbox.pending();
    if (pending > 0) logger.info({ file, pending }, 'delivering the events of an outbox no longer in use');
    for (let failures = 1; !stopping.signal.aborted; failures++) {
      try {
        await outbox.flush();
        break;
      } catch {
        // The outbox logged why; wait as its own sender would, then try again.
        await delay(retryDelayMs(options, failures), undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
    if (stopping.signal.aborted) {
      // stop() closed it (or is about to): what is left waits for the next start.
      await outbox.close();
      return;
    }
    // Checked again before anything is removed: the file's events exist nowhere else.
    const left = outbox.pending();
    const refused = outbox.rejected();
    await outbox.close();
    current = undefined;
    if (left > 0) return;
    if (refused > 0) {
      logger.warn({ file, refused }, 'an outbox no longer in use keeps events the control plane refused; look at its `rejected` table');
      return;
    }
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    // A worker's directory goes with it when nothing else is left in it.
    if (WORKER_DIR.test(basename(dirname(file)))) {
      try {
        rmdirSync(dirname(file));
      } catch {
        // Not empty: something else of that worker's is there; it stays.
      }
    }
    logger.info({ file, delivered: pending }, 'an outbox no longer in use is delivered and removed');
  }

  return {
    done,
    stop: async () => {
      stopping.abort();
      await current?.close();
      await done;
    },
  };
}
