// SQLite: an event's rowid becomes a declared column, `time_key INTEGER PRIMARY KEY`. The CVE
// index (event_cve_terms) and the summaries (event_summaries) are keyed by it, and SQLite keeps
// the rowids of a table as they are through VACUUM (and VACUUM INTO, a common way to back a file
// up) only when the table declares its INTEGER PRIMARY KEY: of a table whose rowid is implicit,
// its documentation lets VACUUM renumber the rows, which would join each event to another's CVEs
// and summary. The rows are copied with their rowids into the declared table; `rowid` still
// names the column, so no query changes. A store of many events takes a while to copy, once
// (53,091 events of 11 KB, 600 MB, in 9 s on a slow 2-core machine); the file keeps the pages the
// old table leaves, for the events that come later.
//
// PostgreSQL: nothing (its events have no rowids).
import type { Migration } from './migration.js';

export const eventTimeKeys: Migration = {
  version: 6,
  name: 'event-time-keys',
  sqlite: `
CREATE TABLE events_keyed (
  time_key  INTEGER PRIMARY KEY,
  id        TEXT NOT NULL UNIQUE,
  time_ms   INTEGER NOT NULL,
  cluster   TEXT,
  namespace TEXT NOT NULL,
  decision  TEXT NOT NULL,
  dry_run   INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  name      TEXT NOT NULL,
  body      TEXT NOT NULL
);
INSERT INTO events_keyed (time_key, id, time_ms, cluster, namespace, decision, dry_run, kind, name, body)
  SELECT rowid, id, time_ms, cluster, namespace, decision, dry_run, kind, name, body FROM events ORDER BY rowid;
DROP TABLE events;
ALTER TABLE events_keyed RENAME TO events;
CREATE INDEX events_time ON events (time_ms, id);
CREATE INDEX events_decision ON events (decision, time_ms, id);
CREATE INDEX events_namespace ON events (namespace, time_ms, id);
CREATE INDEX events_cluster ON events (cluster, time_ms, id);`,
  postgres: `
SELECT 1;`,
};
