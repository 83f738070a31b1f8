// A webhook's admission events on their way to the control plane. `record` writes an event to
// `outbox.db` before the answer goes back: the events of the admissions decided in one turn of
// the event loop go to the writer thread together (outbox-thread.ts), which commits what has
// arrived in one transaction (group commit), so a burst of admissions costs one write to disk
// rather than one each, and none of it on the admission thread. A sender delivers them in
// batches, and the writer deletes them only once the sink has taken them; to a portable sink (a
// control plane's API, the all-in-one's SQLite store), a second thread delivers them itself. Two
// threads, so that the writes admissions wait on never queue behind a delivery; one of them
// writes, so that they never wait on each other for the file's write lock. At least once: the control plane
// stores each event once by its id, so a delivery repeated after a crash or a lost answer
// stores nothing twice, and while it is away the events wait here, across restarts.
import { pino, type Logger } from 'pino';
import type { AdmissionEvent } from '../events/admission-event.js';
import type { SqliteDatabase } from '../store/sqlite/database.js';
import { WalCheckpointer } from '../store/sqlite/wal-checkpointer.js';
import { parseEvents, RejectedEventsError, type EventSink } from './event-sinks.js';
import { openLocalDatabase, type LocalSchema } from './local-database.js';
import { OutboxThread, type BatchRange, type Delivery } from './outbox-thread.js';
import { Serial } from './serial.js';

export const OUTBOX_FILE = 'outbox.db';
/** Events per delivery at most: a POST of 500 events with their findings stays a few MB. */
export const OUTBOX_BATCH_MAX = 500;
/** How often events the sink refused are tried again: a control plane upgraded since may take them. */
export const DEFAULT_REJECTED_RETRY_MS = 6 * 3_600_000;

export interface OutboxOptions {
  readonly sink: EventSink;
  readonly logger?: Logger;
  /** Events per delivery, 1 to 500; default 500. */
  readonly batchSize?: number;
  /** How long the sender waits after a record, so that a burst goes in one delivery, and a steady load one delivery a linger; default 100 ms. */
  readonly lingerMs?: number;
  /** The wait after a failed delivery, doubled each time up to maxRetryMs; default 1 s, 60 s. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /**
   * How often the events the sink refused are tried again (at a start too); default 6 hours. A
   * control plane upgraded since, or one of another version behind the same address, may take
   * them now; one that still refuses them leaves them set aside again.
   */
  readonly rejectedRetryMs?: number;
  /**
   * FULL (default): a recorded event survives a power cut too (an fsync per commit); NORMAL:
   * it survives the process dying at any point, which is what a pod's emptyDir can keep anyway.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  readonly now?: () => Date;
}

const SCHEMA: LocalSchema = {
  version: 1,
  sql: `
    -- AUTOINCREMENT: a seq is never reused, so the oldest rows are always a contiguous range.
    CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, body TEXT NOT NULL, reason TEXT NOT NULL, rejected_at TEXT NOT NULL);
  `,
  // Undelivered events exist nowhere else.
  onOtherVersion: 'refuse',
};

/** The wait after the `failures`-th failed delivery in a row: retryMs, doubled each time up to maxRetryMs. */
export function retryDelayMs(options: Pick<OutboxOptions, 'retryMs' | 'maxRetryMs'>, failures: number): number {
  return Math.min((options.retryMs ?? 1_000) * 2 ** Math.min(failures - 1, 16), options.maxRetryMs ?? 60_000);
}

export class Outbox {
  private readonly serial = new Serial();
  private readonly logger: Logger;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  private abort = new AbortController();
  private failures = 0;
  /**
   * Events in the file, kept here as they are written and deleted: COUNT(*) walks every page of
   * the table, and while the control plane is away for hours (hundreds of thousands of events)
   * that held the admission thread for tens of milliseconds at every look (the metrics' every 5 s).
   */
  private count: number;
  /** Events set aside, kept here as `count` is: the metrics ask every 5 s. */
  private rejectedCount: number;
  private recounting = false;
  private rejectedTimer: NodeJS.Timeout | undefined;
  /** This turn's events, as the rows to write: [id, JSON text]. */
  private group: { row: readonly [string, string]; resolve: () => void; reject: (error: Error) => void }[] = [];

  /**
   * `file`: a path (created with its directory). This thread's connection makes the schema and
   * counts; the connections of the writer and sender threads write and read the events.
   */
  static open(file: string, options: OutboxOptions): Outbox {
    const synchronous = options.synchronous ?? 'FULL';
    const db = openLocalDatabase(file, SCHEMA, synchronous);
    // Each event is a few pages: SQLite's own checkpoint would stall the writer every few hundred.
    // (This connection never writes; the threads' connections bound the WAL themselves should the
    // checkpoints fall behind.)
    const checkpointer = WalCheckpointer.start(db, file, options.logger ? { logger: options.logger } : {});
    const { portable } = options.sink;
    const logger = options.logger && { logger: options.logger };
    const writer = new OutboxThread(file, { synchronous, ...logger });
    const sender = new OutboxThread(file, { synchronous, ...(portable && { sink: portable }), ...logger });
    return new Outbox(db, writer, sender, checkpointer, options);
  }

  private constructor(
    private readonly db: SqliteDatabase,
    /** Every write: inserts the events recorded, deletes those delivered, sets aside those refused. */
    private readonly writer: OutboxThread,
    /** Reads, and delivers to a portable sink; never writes. */
    private readonly sender: OutboxThread,
    private readonly checkpointer: WalCheckpointer,
    private readonly options: OutboxOptions,
  ) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.batchSize = Math.max(1, Math.min(OUTBOX_BATCH_MAX, Math.floor(options.batchSize ?? OUTBOX_BATCH_MAX)));
    this.lingerMs = options.lingerMs ?? 100;
    // Once, at the start: from here on this outbox is the file's only writer.
    this.count = db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox')?.n ?? 0;
    this.rejectedCount = this.rejectedInFile();
  }

  /**
   * Writes the event durably with the others recorded in this turn of the event loop, in one
   * transaction, and resolves once it is written (rejects if the write failed). It is delivered later.
   */
  record(event: AdmissionEvent): Promise<void> {
    // Made into text now, not when the turn's group is committed: the event object is let go at
    // once rather than living to the end of the turn (at full load, long enough for a scavenge or
    // two to copy it into the old generation); and an event that cannot be written fails alone.
    let row: readonly [string, string];
    try {
      row = [event.id, JSON.stringify(event)];
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise((resolve, reject) => {
      this.group.push({ row, resolve, reject });
      if (this.group.length === 1) setImmediate(() => this.commitGroup());
    });
  }

  private commitGroup(): void {
    const group = this.group;
    this.group = [];
    this.insert(
      group.map(({ row }) => row),
      group.map(({ resolve, reject }) => ({ resolve, reject })),
    );
  }

  /**
   * Apart from commitGroup, and counting rather than keeping the rows: the texts are copied to the
   * writer thread, and need not be held here while it writes them.
   */
  private insert(rows: readonly (readonly [string, string])[], group: readonly { resolve: () => void; reject: (error: Error) => void }[]): void {
    const written = this.writer.insert(rows);
    const count = rows.length;
    written.then(
      () => {
        this.count += count;
        for (const g of group) g.resolve();
        this.wake(this.lingerMs);
      },
      (error: Error) => {
        for (const g of group) g.reject(error);
      },
    );
  }

  /** Events not yet delivered. */
  pending(): number {
    return this.count;
  }

  /** Events the sink refused for what they are, set aside: tried again every rejectedRetryMs, and kept for a person to look at. */
  rejected(): number {
    return this.rejectedCount;
  }

  /**
   * Counts the events set aside again from the file: a person may have dropped some
   * (`portcullis outbox drop-rejected`) beside the running webhook. In the serial, so that no
   * delivery sets one aside meanwhile; skipped while one such count waits there already.
   */
  recountRejected(): Promise<void> {
    if (this.recounting || this.closed) return Promise.resolve();
    this.recounting = true;
    return this.serial
      .run(async () => {
        if (!this.closed) this.rejectedCount = this.rejectedInFile();
      })
      .finally(() => (this.recounting = false));
  }

  private rejectedInFile(): number {
    return this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM rejected')?.n ?? 0;
  }

  /**
   * Puts every event set aside back among those to deliver (after them), and delivers them soon
   * if the outbox is started; answers how many. Those the sink refuses again are set aside again.
   */
  retryRejected(): Promise<number> {
    return this.serial.run(async () => {
      const moved = await this.requeueRejected();
      if (moved > 0) this.logger.info({ events: moved }, 'admission events the control plane refused are tried again');
      this.wake(0);
      return moved;
    });
  }

  /** In the serial: the rows set aside back among those to deliver. */
  private async requeueRejected(): Promise<number> {
    if (this.rejectedCount === 0 || this.closed) return 0;
    // The rows the writer moved, not the count kept here: `portcullis outbox drop-rejected` may have taken some.
    const moved = await this.writer.requeue();
    this.rejectedCount = 0;
    this.count += moved;
    return moved;
  }

  /** Delivery failures since the last delivery that succeeded. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * Resolves once both threads are up (each starts at its first operation otherwise): a webhook
   * waits for it before it listens, so that its first admissions do not wait on a thread's start
   * (tens of milliseconds, seconds on a starved machine) and a thread that cannot start fails the start.
   */
  async ready(): Promise<void> {
    await Promise.all([this.writer.insert([]), this.sender.read({ limit: 0 })]);
  }

  /** Delivers in the background: soon after each record, and again with backoff after a failure. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.abort = new AbortController();
    if (this.pending() > 0) this.wake(0);
    const retryRejected = () => {
      // Logged by the delivery that follows; a failure of the move itself is retried next time.
      this.retryRejected().catch((error: unknown) => this.logger.warn({ err: error }, 'admission events set aside could not be tried again'));
    };
    if (this.rejectedCount > 0) retryRejected();
    this.rejectedTimer = setInterval(retryRejected, this.options.rejectedRetryMs ?? DEFAULT_REJECTED_RETRY_MS);
    this.rejectedTimer.unref();
  }

  /**
   * Delivers everything pending now (after a delivery in flight). Rejects at the first failed
   * delivery; what was not delivered stays pending (and a started outbox retries it).
   */
  flush(): Promise<void> {
    return this.send(true);
  }

  /**
   * Hands every pending event, and every one set aside, to `sink` instead (another replica, see
   * peer-handoff.ts), deleting what it took, batch by batch, after a delivery in flight: for a
   * webhook that stops for good while the control plane is away. Rejects at the first batch not
   * taken; what was not taken stays pending.
   */
  handOff(sink: EventSink): Promise<void> {
    // No more deliveries to the control plane: one in flight is given up (its events stay
    // pending, and go to the peer), and none is retried after.
    this.stopDeliveries();
    this.abort = new AbortController();
    // The events set aside go too: in an outbox about to go, they would be lost. The other
    // replica tries them on the control plane, and sets them aside itself if it refuses them again.
    return this.serial.run(async () => {
      await this.requeueRejected();
      await this.drain(sink);
    });
  }

  /** No more deliveries, nor retries of what was set aside; one in flight is aborted (its events stay pending). */
  private stopDeliveries(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    clearInterval(this.rejectedTimer);
    this.abort.abort();
    this.sender.abortDelivery();
  }

  /** Stops the sender (a delivery in flight is aborted: it stays pending) and closes the file. Does not flush. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopDeliveries();
    await this.serial.idle();
    // Records not yet answered are written first: a thread takes its messages in order.
    await this.writer.close();
    await this.sender.close();
    await this.checkpointer.stop();
    this.db.close();
  }

  private wake(delayMs: number): void {
    if (!this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failure is logged and retried by send(); nothing to do here.
      this.send(false).catch(() => undefined);
    }, delayMs);
    this.timer.unref();
  }

  /** `untilEmpty` false (the background's): see drain. */
  private send(untilEmpty: boolean): Promise<void> {
    return this.serial.run(async () => {
      try {
        await this.drain(this.options.sink, untilEmpty);
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        if (this.closed) throw error;
        const retryMs = retryDelayMs(this.options, this.failures);
        this.logger.warn({ err: error, pending: this.pending(), failures: this.failures, retryInMs: this.running ? retryMs : undefined }, 'admission events not delivered: kept in the outbox');
        if (this.running) {
          clearTimeout(this.timer);
          this.timer = undefined;
          this.wake(retryMs);
        }
        throw error;
      }
    });
  }

  /**
   * Delivers batch after batch; `untilEmpty` false: stops after a batch that was not full, and
   * what was recorded meanwhile waits for the linger its records started. Going on at once made
   * the sender post whatever the last delivery's round trip had let gather, a few events, so
   * that under a steady load every POST, with its answer and its delete, carried a few events
   * rather than what one linger gathers (webhook benchmark, full load, two alternated pairs: the
   * sender thread's CPU 123 and 142 µs an event before, 75 and 73 after; paced at half its
   * full-load rate, the whole process's 2,319 and 3,011 µs a review before, 1,845 and 1,900 after).
   */
  private async drain(sink: EventSink, untilEmpty = true): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const delivered = await this.deliver({ limit: this.batchSize }, sink);
      if (delivered === 0) return;
      if (!untilEmpty && delivered < this.batchSize) {
        if (this.pending() > 0) this.wake(this.lingerMs);
        return;
      }
    }
  }

  /**
   * One batch; answers how many events it held. A batch refused for what it is goes again in
   * halves, down to the one event at fault, which is set aside: one bad event must not hold back
   * every event after it.
   */
  private async deliver(range: BatchRange, sink: EventSink): Promise<number> {
    const { seqs, ids, error } = await this.attempt(range, sink);
    if (error === undefined) return seqs.length;
    if (!(error instanceof RejectedEventsError)) throw error;
    const [seq] = seqs;
    const [id] = ids;
    if (seqs.length === 1 && seq !== undefined) {
      this.logger.error({ eventId: id, reason: error.message }, 'admission event refused by the control plane: set aside in the outbox, tried again later');
      await this.writer.setAside(seq, error.message, (this.options.now ?? (() => new Date()))().toISOString());
      this.count -= 1;
      this.rejectedCount += 1;
      return 1;
    }
    const half = Math.ceil(seqs.length / 2);
    await this.deliver({ from: seq ?? 0, to: seqs[half - 1] ?? 0 }, sink);
    await this.deliver({ from: seqs[half] ?? 0, to: seqs.at(-1) ?? 0 }, sink);
    return seqs.length;
  }

  /**
   * Delivers the range once: from the sender thread when the sink is the outbox's own and
   * portable (the thread made its own from the description), else here. Deletes what was delivered.
   */
  private async attempt(range: BatchRange, sink: EventSink): Promise<Omit<Delivery, 'error'> & { error?: Error }> {
    let delivery: Delivery;
    if (sink === this.options.sink && sink.portable) delivery = await this.sender.deliver(range);
    else {
      const { seqs, ids, bodies } = await this.sender.read(range);
      delivery = { seqs, ids };
      if (seqs.length > 0) {
        try {
          if (sink.deliverJson) await sink.deliverJson(bodies, this.abort.signal);
          else await sink.deliver(parseEvents(bodies), this.abort.signal);
        } catch (error) {
          return { seqs, ids, error: error as Error };
        }
      }
    }
    const { seqs, ids, error } = delivery;
    if (error) return { seqs, ids, error: error.rejected ? new RejectedEventsError(error.message) : new Error(error.message) };
    const first = seqs[0];
    const last = seqs.at(-1);
    // Deleted by the writer, the one thread that writes the file: were the sender to delete, each
    // thread would now and then find the other holding the write lock, and SQLite's busy handler
    // sleeps (1, 2, 5, 10 ms and more) before it tries again, with every answer waiting on the
    // writer's commit behind it. (Delivered but not deleted, an event goes again, and the
    // control plane stores it once.)
    if (first !== undefined && last !== undefined) {
      await this.writer.remove(first, last);
      // The range holds exactly these: only this outbox writes, later records go after it.
      this.count -= seqs.length;
    }
    return { seqs, ids };
  }
}

