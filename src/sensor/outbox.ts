// A webhook's admission events on their way to the control plane. `record` writes an event to
// `outbox.db` before the answer goes back: the events of the admissions decided in one turn of
// the event loop share one transaction (group commit), so a burst of admissions costs one write
// to disk rather than one each. (`enqueue` is the single synchronous INSERT.) A sender delivers them in
// batches and deletes them only once the sink has taken them. At least once: the control plane
// stores each event once by its id, so a delivery repeated after a crash or a lost answer
// stores nothing twice, and while it is away the events wait here, across restarts.
import { pino, type Logger } from 'pino';
import type { AdmissionEvent } from '../events/admission-event.js';
import { InputError } from '../problems.js';
import type { SqliteDatabase } from '../store/sqlite/database.js';
import { WalCheckpointer } from '../store/sqlite/wal-checkpointer.js';
import type { Store } from '../store/store.js';
import { ControlPlaneError, requestControlPlane, type ControlPlaneConnection } from './control-plane.js';
import { openLocalDatabase, type LocalSchema } from './local-database.js';
import { Serial } from './serial.js';

export const OUTBOX_FILE = 'outbox.db';
/** Events per delivery at most: a POST of 500 events with their findings stays a few MB. */
export const OUTBOX_BATCH_MAX = 500;

// ---- sinks ------------------------------------------------------------------------------------

/** Where events go. */
export interface EventSink {
  /**
   * Resolves once every event is stored (or was already). Throws RejectedEventsError when the
   * sink will never take these events as they are; any other error is worth retrying.
   */
  deliver(events: readonly AdmissionEvent[], signal?: AbortSignal): Promise<void>;
  /**
   * The same for events as the outbox keeps them, JSON text: a sink that sends them on as text
   * need not parse and serialize each one again. Optional; the outbox uses it when present.
   */
  deliverJson?(events: readonly string[], signal?: AbortSignal): Promise<void>;
}

/** The sink refuses these events for what they are (invalid, too large), however often they are sent. */
export class RejectedEventsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RejectedEventsError';
  }
}

/** The store itself: the all-in-one `serve`. */
export class StoreEventSink implements EventSink {
  constructor(private readonly store: Store) {}

  async deliver(events: readonly AdmissionEvent[]): Promise<void> {
    try {
      await this.store.events.insert(events);
    } catch (error) {
      if (error instanceof InputError) throw new RejectedEventsError(error.message);
      throw error;
    }
  }
}

/** POST /api/v1/events of a control plane, with a Sensor token. */
export class HttpEventSink implements EventSink {
  constructor(private readonly connection: ControlPlaneConnection) {}

  deliver(events: readonly AdmissionEvent[], signal?: AbortSignal): Promise<void> {
    return this.deliverJson(events.map((event) => JSON.stringify(event)), signal);
  }

  async deliverJson(events: readonly string[], signal?: AbortSignal): Promise<void> {
    let answer: unknown;
    try {
      answer = await requestControlPlane(this.connection, 'POST', '/api/v1/events', { rawBody: `{"events":[${events.join(',')}]}`, ...(signal && { signal }) });
    } catch (error) {
      if (error instanceof ControlPlaneError && error.permanent) throw new RejectedEventsError(error.message);
      throw error;
    }
    const received = (answer as { received?: unknown } | null)?.received;
    if (received !== events.length) throw new Error(`POST /api/v1/events answered received: ${String(received)} for ${events.length} events`);
  }
}

// ---- the outbox -------------------------------------------------------------------------------

export interface OutboxOptions {
  readonly sink: EventSink;
  readonly logger?: Logger;
  /** Events per delivery, 1 to 500; default 500. */
  readonly batchSize?: number;
  /** How long the sender waits after an enqueue, so that a burst goes in one delivery; default 100 ms. */
  readonly lingerMs?: number;
  /** The wait after a failed delivery, doubled each time up to maxRetryMs; default 1 s, 60 s. */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
  /**
   * FULL (default): an enqueued event survives a power cut too (an fsync per event); NORMAL:
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

interface OutboxRow {
  seq: number;
  id: string;
  body: string;
}

export class Outbox {
  private readonly serial = new Serial();
  private readonly logger: Logger;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  private abort = new AbortController();
  private failures = 0;
  private readonly rejectTx: (row: OutboxRow, reason: string, at: string) => void;
  private readonly insertGroup: (events: readonly AdmissionEvent[]) => void;
  private group: { event: AdmissionEvent; resolve: () => void; reject: (error: Error) => void }[] = [];

  /** `file`: a path (created with its directory), or `:memory:` (tests only: nothing durable). */
  static open(file: string, options: OutboxOptions): Outbox {
    const db = openLocalDatabase(file, SCHEMA, options.synchronous ?? 'FULL');
    // Each event is a few pages: SQLite's own checkpoint would stall an admission every few hundred.
    const checkpointer = file === ':memory:' ? undefined : WalCheckpointer.start(db, file, options.logger ? { logger: options.logger } : {});
    return new Outbox(db, checkpointer, options);
  }

  private constructor(
    private readonly db: SqliteDatabase,
    private readonly checkpointer: WalCheckpointer | undefined,
    private readonly options: OutboxOptions,
  ) {
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.batchSize = Math.max(1, Math.min(OUTBOX_BATCH_MAX, Math.floor(options.batchSize ?? OUTBOX_BATCH_MAX)));
    this.insertGroup = db.writer((events: readonly AdmissionEvent[]) => {
      for (const event of events) db.run('INSERT INTO outbox (id, body) VALUES (?, ?)', event.id, JSON.stringify(event));
    });
    this.rejectTx = db.writer((row: OutboxRow, reason: string, at: string) => {
      db.run('INSERT OR REPLACE INTO rejected (seq, id, body, reason, rejected_at) VALUES (?, ?, ?, ?, ?)', row.seq, row.id, row.body, reason, at);
      db.run('DELETE FROM outbox WHERE seq = ?', row.seq);
    });
  }

  /** Writes the event durably; it is delivered later. On the admission path: one INSERT, no waiting on the network. */
  /**
   * Writes the event durably with the others recorded in this turn of the event loop, in one
   * transaction, and resolves once it is written (rejects if the write failed).
   */
  record(event: AdmissionEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.group.push({ event, resolve, reject });
      if (this.group.length === 1) setImmediate(() => this.commitGroup());
    });
  }

  private commitGroup(): void {
    const group = this.group;
    this.group = [];
    try {
      this.insertGroup(group.map((g) => g.event));
      for (const g of group) g.resolve();
      this.wake(this.options.lingerMs ?? 100);
    } catch (error) {
      for (const g of group) g.reject(error as Error);
    }
  }

  enqueue(event: AdmissionEvent): void {
    this.insertGroup([event]);
    this.wake(this.options.lingerMs ?? 100);
  }

  /** Events not yet delivered. */
  pending(): number {
    return this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox')?.n ?? 0;
  }

  /** Events the sink refused for what they are, kept aside (not retried) for a person to look at. */
  rejected(): number {
    return this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM rejected')?.n ?? 0;
  }

  /** Delivery failures since the last delivery that succeeded. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Delivers in the background: soon after each enqueue, and again with backoff after a failure. */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.abort = new AbortController();
    if (this.pending() > 0) this.wake(0);
  }

  /**
   * Delivers everything pending now (after a delivery in flight). Rejects at the first failed
   * delivery; what was not delivered stays pending (and a started outbox retries it).
   */
  flush(): Promise<void> {
    return this.send();
  }

  /** Stops the sender (a delivery in flight is aborted: it stays pending) and closes the file. Does not flush. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.serial.idle();
    await this.checkpointer?.stop();
    this.db.close();
  }

  private wake(delayMs: number): void {
    if (!this.running || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A failure is logged and retried by send(); nothing to do here.
      this.send().catch(() => undefined);
    }, delayMs);
    this.timer.unref();
  }

  private send(): Promise<void> {
    return this.serial.run(async () => {
      try {
        await this.drain();
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        if (this.closed) throw error;
        const retryMs = Math.min((this.options.retryMs ?? 1_000) * 2 ** Math.min(this.failures - 1, 16), this.options.maxRetryMs ?? 60_000);
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

  private async drain(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const rows = this.db.all<OutboxRow>('SELECT seq, id, body FROM outbox ORDER BY seq LIMIT ?', this.batchSize);
      if (rows.length === 0) return;
      await this.deliver(rows);
    }
  }

  /**
   * One batch. A batch refused for what it is goes again in halves, down to the one event at
   * fault, which is set aside: one bad event must not hold back every event after it.
   */
  private async deliver(rows: readonly OutboxRow[]): Promise<void> {
    const { sink } = this.options;
    try {
      if (sink.deliverJson) await sink.deliverJson(rows.map((row) => row.body), this.abort.signal);
      else {
        const events: AdmissionEvent[] = [];
        for (const row of rows) {
          try {
            events.push(JSON.parse(row.body) as AdmissionEvent);
          } catch (error) {
            if (rows.length === 1) return this.reject(row, `not JSON: ${(error as Error).message}`);
            return this.split(rows);
          }
        }
        await sink.deliver(events, this.abort.signal);
      }
    } catch (error) {
      if (!(error instanceof RejectedEventsError)) throw error;
      const [only] = rows;
      if (rows.length === 1 && only) return this.reject(only, error.message);
      return this.split(rows);
    }
    const first = rows[0];
    const last = rows.at(-1);
    if (first && last) this.db.run('DELETE FROM outbox WHERE seq BETWEEN ? AND ?', first.seq, last.seq);
  }

  private async split(rows: readonly OutboxRow[]): Promise<void> {
    const half = Math.ceil(rows.length / 2);
    await this.deliver(rows.slice(0, half));
    await this.deliver(rows.slice(half));
  }

  private reject(row: OutboxRow, reason: string): void {
    this.logger.error({ eventId: row.id, reason }, 'admission event refused by the control plane: set aside in the outbox, not retried');
    this.rejectTx(row, reason, (this.options.now ?? (() => new Date()))().toISOString());
  }
}
