import { setTimeout as delay } from 'node:timers/promises';
import type { AdmissionEvent } from '../../events/admission-event.js';
import { splitEvent } from '../../events/event-summary.js';
import { decodeCursor } from '../event-cursor.js';
import { indexEvent, RULE_AND_IMAGE_TABLES } from '../event-index.js';
import { eventListQuery, pageLimit, pageOf, selectEvent, sideFilters, type EventListRow, type SqlDialect } from '../event-query.js';
import { millisOf } from '../instants.js';
import { storedEventOf } from '../rows.js';
import type { EventFilter, EventPage, EventStore, Instant } from '../store.js';
import { flag, optional, type Param, type SqliteDatabase } from './database.js';
import { CVE_TERMS_TABLE, cveDocument, listByCve, nextEventRowid } from './event-cve-terms.js';

/** Each event's summary, keyed by its rowid (migration 5); `events.body` holds the rest of it. */
const SUMMARIES_TABLE = 'event_summaries';

const SQLITE: SqlDialect = { placeholder: () => '?', flag, summary: { column: 's.summary', join: ` LEFT JOIN ${SUMMARIES_TABLE} s ON s.event_rowid = e.rowid` } };

/**
 * Events pruned per transaction. A deletion holds the thread (better-sqlite3 is synchronous) and
 * the file's write lock. When an event's CVEs were side rows (a hundred and more), it took 0.3 to
 * 0.5 ms an event: an hour of a busy cluster's events in one go held the API's thread and every
 * writer of the file (the all-in-one's webhook's events among them) for seconds (20,000 events:
 * 8 s). In chunks of 25 it held them about 13 ms at a time (at most 182 ms measured), and let go
 * between. With the CVEs in event_cve_terms an event takes about 0.2 ms on a slower machine, so
 * a chunk about 5 ms. The whole takes longer than one transaction would (more commits, more
 * WAL), in the background.
 */
export const PRUNE_CHUNK = 25;
/** Between chunks: the event loop answers what waits, and the WAL's checkpoint keeps up. */
const PRUNE_PAUSE_MS = 10;

export class SqliteEvents implements EventStore {
  private readonly insertTx;
  private readonly pruneTx;

  constructor(private readonly db: SqliteDatabase) {
    this.insertTx = db.writer((events: readonly AdmissionEvent[]): number => {
      // Every event is checked before any is written: a bad one stores none of the batch.
      const indexed = events.map((event, i) => ({ event, index: indexEvent(event, `events[${i}]`) }));
      let stored = 0;
      for (const { event, index } of indexed) {
        const rowid = nextEventRowid(db, index.timeMs);
        const { summary, details } = splitEvent(event);
        const inserted = db.run(
          `INSERT INTO events (rowid, id, time_ms, cluster, namespace, decision, dry_run, kind, name, body)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
          rowid, event.id, index.timeMs, optional(event.cluster), event.namespace, event.decision, flag(event.dryRun), event.kind, event.name, JSON.stringify(details),
        );
        // A retried delivery: the event and its side rows are there already.
        if (inserted.changes === 0) continue;
        stored += 1;
        for (const side of RULE_AND_IMAGE_TABLES) {
          for (const value of side.values(index)) {
            db.run(`INSERT INTO ${side.table} (${side.column}, time_ms, event_id) VALUES (?, ?, ?)`, value, index.timeMs, event.id);
          }
        }
        db.run(`INSERT INTO ${SUMMARIES_TABLE} (event_rowid, summary) VALUES (?, ?)`, rowid, JSON.stringify(summary));
        if (index.cves.length > 0) db.run(`INSERT INTO ${CVE_TERMS_TABLE} (rowid, cves) VALUES (?, ?)`, rowid, cveDocument(index.cves));
      }
      return stored;
    });

    this.pruneTx = db.writer((beforeMs: number, chunk: number): { pruned: number; done: boolean } => {
      // The chunk ends at the time of the first event past it; should the whole chunk share that
      // millisecond, it takes the millisecond's events whole. Side rows carry their event's time,
      // so they go by the same condition and index; the CVE index's rows and the summaries go by
      // their events' rowids.
      const times = (offset: number) => db.get<{ time_ms: number }>('SELECT time_ms FROM events WHERE time_ms < ? ORDER BY time_ms LIMIT 1 OFFSET ?', beforeMs, offset)?.time_ms;
      const next = times(chunk);
      const oldest = next === undefined ? undefined : times(0);
      const upTo = next === undefined || oldest === undefined ? beforeMs : Math.max(next, oldest + 1);
      for (const side of RULE_AND_IMAGE_TABLES) db.run(`DELETE FROM ${side.table} WHERE time_ms < ?`, upTo);
      db.run(`DELETE FROM ${CVE_TERMS_TABLE} WHERE rowid IN (SELECT rowid FROM events WHERE time_ms < ?)`, upTo);
      db.run(`DELETE FROM ${SUMMARIES_TABLE} WHERE event_rowid IN (SELECT rowid FROM events WHERE time_ms < ?)`, upTo);
      return { pruned: db.run('DELETE FROM events WHERE time_ms < ?', upTo).changes, done: next === undefined };
    });
  }

  async insert(events: readonly AdmissionEvent[]): Promise<number> {
    return events.length === 0 ? 0 : this.insertTx(events);
  }

  async list(filter: EventFilter, page: { limit: number; cursor?: string }): Promise<EventPage> {
    const limit = pageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const [driver, ...others] = sideFilters(filter);
    if (driver?.name === 'cve') return pageOf(listByCve(this.db, SQLITE, filter, driver, others, limit + 1, after), limit);
    const query = eventListQuery(filter, limit + 1, after, SQLITE);
    return pageOf(this.db.all<EventListRow>(query.text, ...(query.params as Param[])), limit);
  }

  async get(id: string): Promise<AdmissionEvent | undefined> {
    const row = this.db.get<{ body: string; summary: string | null }>(selectEvent(SQLITE), id);
    return row && storedEventOf(row);
  }

  async prune(before: Instant): Promise<number> {
    const beforeMs = millisOf(before, 'before');
    let pruned = 0;
    for (;;) {
      const step = this.pruneTx(beforeMs, PRUNE_CHUNK);
      pruned += step.pruned;
      if (step.done) return pruned;
      // What waits on the thread goes first: the webhook's reviews, in `serve`.
      await delay(PRUNE_PAUSE_MS);
      // Closed meanwhile (the server stopping): each chunk is committed, the next run goes on.
      if (!this.db.open) return pruned;
    }
  }
}
