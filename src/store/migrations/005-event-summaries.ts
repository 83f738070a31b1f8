// Each event in two parts (events/event-summary.ts): its summary, what Admission Monitoring
// lists of it, and in `events.body` from now on the rest of it. A page of events then reads a
// few hundred bytes an event instead of the whole event (15 KB for one of a hundred matched
// CVEs), and parses that much less; the parts do not overlap, so an event takes no more room.
// Events stored before keep their whole body and have no summary: they are summarized from the
// body when listed.
//
// SQLite: the summaries in a table of their own, keyed by the event's rowid. A column of `events`
// would come after the body in each row, and SQLite reaches it only through the body's overflow
// pages. PostgreSQL: a column; the body is kept out of line (TOAST), the row holds its pointer.
import type { Migration } from './migration.js';

export const eventSummaries: Migration = {
  version: 5,
  name: 'event-summaries',
  sqlite: `
CREATE TABLE event_summaries (
  event_rowid INTEGER PRIMARY KEY,
  summary     TEXT NOT NULL
);`,
  postgres: `
ALTER TABLE events ADD COLUMN summary text;`,
};
