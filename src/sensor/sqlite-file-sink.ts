// The all-in-one's admission events, written by the outbox's thread straight into the store's
// SQLite file: a connection of its own, and the store's own event code (checks, side rows for the
// filters). The event loop then neither parses nor indexes them: with about a hundred matched
// CVEs per event, storing one costs a millisecond or two, which used to hold up admissions.
// Two connections write the file (this one and the store's): each write transaction takes the
// lock up front and waits its turn (busy_timeout), as two processes would.
import Database from 'better-sqlite3';
import { SqliteDatabase } from '../store/sqlite/database.js';
import { SqliteEvents } from '../store/sqlite/events.js';
import { WAL_BEHIND_PAGES } from '../store/sqlite/wal-checkpointer.js';
import { parseEvents, StoreEventSink, type EventSink } from './event-sinks.js';
import type { AdmissionEvent } from '../events/admission-event.js';

/** As the store's own connection waits for another's write. */
const BUSY_TIMEOUT_MS = 5_000;
/** About 10 ms of the write lock at a time with events of about a hundred matched CVEs. */
const EVENTS_PER_TRANSACTION = 5;

export class SqliteFileEventSink implements EventSink {
  private readonly db: SqliteDatabase;
  private readonly store: StoreEventSink;

  /** `file`: the store's database, made and migrated by the store. */
  constructor(file: string) {
    const connection = new Database(file, { fileMustExist: true });
    try {
      connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      connection.pragma('foreign_keys = ON');
      connection.pragma('synchronous = NORMAL');
      // The store's checkpoint thread keeps the WAL short; this bounds it should that thread fall behind.
      connection.pragma(`wal_autocheckpoint = ${WAL_BEHIND_PAGES}`);
    } catch (error) {
      connection.close();
      throw error;
    }
    this.db = new SqliteDatabase(connection);
    this.store = new StoreEventSink({ events: new SqliteEvents(this.db) });
  }

  /**
   * In transactions of a few events: the store's write lock is held for one of them at a time,
   * so a write of the store's own connection (a rule changed, a scan imported) waits at most
   * that long on busy_timeout, which blocks the event loop it runs on. A batch is then stored in
   * parts; one refused event fails the delivery after the parts before it were stored, and the
   * outbox sends it again in halves, which stores nothing twice.
   */
  deliver(events: readonly AdmissionEvent[]): Promise<void> {
    return this.inTransactions(events, (part) => part);
  }

  deliverJson(events: readonly string[]): Promise<void> {
    return this.inTransactions(events, parseEvents);
  }

  /** `eventsOf` per part: events are parsed a few at a time too. */
  private async inTransactions<T>(items: readonly T[], eventsOf: (part: readonly T[]) => readonly AdmissionEvent[]): Promise<void> {
    for (let i = 0; i < items.length; i += EVENTS_PER_TRANSACTION) await this.store.deliver(eventsOf(items.slice(i, i + EVENTS_PER_TRANSACTION)));
  }

  close(): void {
    this.db.close();
  }
}
