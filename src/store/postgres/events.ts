import type { AdmissionEvent } from '../../events/admission-event.js';
import { splitEvent } from '../../events/event-summary.js';
import { decodeCursor } from '../event-cursor.js';
import { EVENT_SIDE_TABLES, indexEvent } from '../event-index.js';
import { eventListQuery, pageLimit, pageOf, placeholders, selectEvent, type EventListRow, type SqlDialect } from '../event-query.js';
import { millisOf } from '../instants.js';
import { storedEventOf } from '../rows.js';
import type { EventFilter, EventPage, EventStore, Instant } from '../store.js';
import type { PostgresDatabase } from './database.js';

const POSTGRES: SqlDialect = { placeholder: (n) => `$${n}`, flag: (value) => value, summary: { column: 'e.summary', join: '' } };

/** Rows of one INSERT: 10,000 parameters, well under PostgreSQL's 65,535. */
const EVENTS_PER_STATEMENT = 1_000;

export class PostgresEvents implements EventStore {
  constructor(private readonly db: PostgresDatabase) {}

  async insert(events: readonly AdmissionEvent[]): Promise<number> {
    // Every event is checked before any is written: a bad one stores none of the batch.
    const indexed = events.map((event, i) => ({ event, index: indexEvent(event, `events[${i}]`) }));
    if (indexed.length === 0) return 0;
    // In id order: two batches sharing events then wait for each other instead of deadlocking.
    indexed.sort((a, b) => (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0));
    // An event twice in one batch is stored once, as the first of them (the sort keeps their
    // order): ON CONFLICT skips its second row, but its side rows would go in twice.
    const unique = indexed.filter((entry, i) => i === 0 || indexed[i - 1]?.event.id !== entry.event.id);
    // Set-based: a statement for the events (per thousand) and one per side table, whatever the
    // batch size (a statement per event made ingestion wait on round trips).
    return this.db.transaction(async (tx) => {
      // A delivery retried while the first is still in flight waits on the ids' index entries
      // and then inserts none of them, so the side rows are written once too.
      const inserted: { id: string }[] = [];
      for (let start = 0; start < unique.length; start += EVENTS_PER_STATEMENT) {
        const rows = unique.slice(start, start + EVENTS_PER_STATEMENT);
        // A row of parameters per event, not unnest() over arrays as the side tables: the pg
        // driver writes an array as one literal, escaping each quote of each event's JSON, and
        // the server parses it back; for events of 15 KB that took three quarters of the insert.
        const params: unknown[] = [];
        const p = placeholders(params, POSTGRES);
        const values = rows.map(({ event, index }) => {
          // The summary is what a page lists; the body holds the rest.
          const { summary, details } = splitEvent(event);
          return `(${p(event.id)}, ${p(index.timeMs)}::bigint, ${p(event.cluster ?? null)}, ${p(event.namespace)}, ${p(event.decision)}, ${p(event.dryRun)}::boolean, ${p(event.kind)}, ${p(event.name)}, ${p(JSON.stringify(details))}::jsonb, ${p(JSON.stringify(summary))})`;
        });
        inserted.push(
          ...(await tx.all<{ id: string }>(
            `INSERT INTO events (id, time_ms, cluster, namespace, decision, dry_run, kind, name, body, summary)
             VALUES ${values.join(', ')}
             ON CONFLICT (id) DO NOTHING
             RETURNING id`,
            ...params,
          )),
        );
      }
      const fresh = new Set(inserted.map((row) => row.id));
      for (const side of EVENT_SIDE_TABLES) {
        const values: string[] = [];
        const times: number[] = [];
        const ids: string[] = [];
        for (const { event, index } of unique) {
          if (!fresh.has(event.id)) continue;
          for (const value of side.values(index)) {
            values.push(value);
            times.push(index.timeMs);
            ids.push(event.id);
          }
        }
        if (values.length === 0) continue;
        await tx.run(`INSERT INTO ${side.table} (${side.column}, time_ms, event_id) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])`, values, times, ids);
      }
      return fresh.size;
    });
  }

  async list(filter: EventFilter, page: { limit: number; cursor?: string }): Promise<EventPage> {
    const limit = pageLimit(page.limit);
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const query = eventListQuery(filter, limit + 1, after, POSTGRES);
    return pageOf(await this.db.all<EventListRow>(query.text, ...query.params), limit);
  }

  async get(id: string): Promise<AdmissionEvent | undefined> {
    const row = await this.db.get<{ body: string; summary: string | null }>(selectEvent(POSTGRES), id);
    return row && storedEventOf(row);
  }

  async prune(before: Instant): Promise<number> {
    // Side rows carry their event's time, so they go by the same condition and index. One
    // statement, so one snapshot: an old event delivered meanwhile goes with all its side rows,
    // or stays with all of them (separate statements could take the event and leave the rows).
    const sides = EVENT_SIDE_TABLES.map((side) => `${side.table}_pruned AS (DELETE FROM ${side.table} WHERE time_ms < $1)`);
    return this.db.run(`WITH ${sides.join(', ')} DELETE FROM events WHERE time_ms < $1`, millisOf(before, 'before'));
  }
}
