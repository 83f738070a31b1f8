import type { AdmissionEvent } from '../../events/admission-event.js';
import { decodeCursor } from '../event-cursor.js';
import { EVENT_SIDE_TABLES, indexEvent } from '../event-index.js';
import { eventListQuery, pageLimit, pageOf, type EventListRow, type SqlDialect } from '../event-query.js';
import { millisOf } from '../instants.js';
import { eventOf } from '../rows.js';
import type { EventFilter, EventPage, EventStore, Instant } from '../store.js';
import { flag, optional, type Param, type SqliteDatabase } from './database.js';

const SQLITE: SqlDialect = { placeholder: () => '?', flag };

export class SqliteEvents implements EventStore {
  private readonly insertTx;
  private readonly pruneTx;

  constructor(private readonly db: SqliteDatabase) {
    this.insertTx = db.writer((events: readonly AdmissionEvent[]): number => {
      // Every event is checked before any is written: a bad one stores none of the batch.
      const indexed = events.map((event, i) => ({ event, index: indexEvent(event, `events[${i}]`) }));
      let stored = 0;
      for (const { event, index } of indexed) {
        const inserted = db.run(
          `INSERT INTO events (id, time_ms, cluster, namespace, decision, dry_run, kind, name, body)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          event.id, index.timeMs, optional(event.cluster), event.namespace, event.decision, flag(event.dryRun), event.kind, event.name, JSON.stringify(event),
        );
        // A retried delivery: the event and its side rows are there already.
        if (inserted.changes === 0) continue;
        stored += 1;
        for (const side of EVENT_SIDE_TABLES) {
          for (const value of side.values(index)) {
            db.run(`INSERT INTO ${side.table} (${side.column}, time_ms, event_id) VALUES (?, ?, ?)`, value, index.timeMs, event.id);
          }
        }
      }
      return stored;
    });

    this.pruneTx = db.writer((beforeMs: number): number => {
      // Side rows carry their event's time, so they go by the same condition and index.
      for (const side of EVENT_SIDE_TABLES) db.run(`DELETE FROM ${side.table} WHERE time_ms < ?`, beforeMs);
      return db.run('DELETE FROM events WHERE time_ms < ?', beforeMs).changes;
    });
  }

  async insert(events: readonly AdmissionEvent[]): Promise<number> {
    return events.length === 0 ? 0 : this.insertTx(events);
  }

  async list(filter: EventFilter, page: { limit: number; cursor?: string }): Promise<EventPage> {
    const limit = pageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const query = eventListQuery(filter, limit + 1, after, SQLITE);
    return pageOf(this.db.all<EventListRow>(query.text, ...(query.params as Param[])), limit);
  }

  async get(id: string): Promise<AdmissionEvent | undefined> {
    const row = this.db.get<{ body: string }>('SELECT body FROM events WHERE id = ?', id);
    return row && eventOf(row);
  }

  async prune(before: Instant): Promise<number> {
    return this.pruneTx(millisOf(before, 'before'));
  }
}
