// The first schema. Times an interface method only hands back are kept as the ISO text it was
// given; times the store orders or compares by are epoch milliseconds (`*_ms`).
import type { Migration } from './migration.js';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  sqlite: `
-- The store-wide change sequence of rules and scans, for incremental sync.
CREATE TABLE change_seq (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO change_seq (id, value) VALUES (1, 0);

CREATE TABLE tokens (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  hash       TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  created_by TEXT,
  expires_at TEXT,
  revoked_at TEXT
);

CREATE TABLE rules (
  id         TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  name_key   TEXT NOT NULL,
  version    INTEGER NOT NULL,
  document   TEXT NOT NULL,
  enabled    INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  deleted_at TEXT,
  seq        INTEGER NOT NULL
);
-- A deleted rule frees its name.
CREATE UNIQUE INDEX rules_live_name ON rules (name_key) WHERE deleted_at IS NULL;
CREATE INDEX rules_seq ON rules (seq);

CREATE TABLE rule_versions (
  rule_id  TEXT NOT NULL REFERENCES rules (id),
  version  INTEGER NOT NULL,
  name     TEXT NOT NULL,
  document TEXT NOT NULL,
  change   TEXT NOT NULL,
  actor    TEXT NOT NULL,
  at       TEXT NOT NULL,
  PRIMARY KEY (rule_id, version)
);

CREATE TABLE scans (
  id           TEXT PRIMARY KEY,
  scanner      TEXT NOT NULL,
  keys         TEXT NOT NULL,
  scanned_at   TEXT,
  received_at  TEXT NOT NULL,
  effective_ms INTEGER NOT NULL,
  report_hash  TEXT NOT NULL,
  body         TEXT NOT NULL,
  seq          INTEGER NOT NULL
);
CREATE INDEX scans_seq ON scans (seq);

-- The current scan of each key from each scanner; a scan no key points at any more is deleted.
CREATE TABLE scan_keys (
  key          TEXT NOT NULL,
  scanner      TEXT NOT NULL,
  scan_id      TEXT NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  report_hash  TEXT NOT NULL,
  effective_ms INTEGER NOT NULL,
  PRIMARY KEY (key, scanner)
) WITHOUT ROWID;
CREATE INDEX scan_keys_scan ON scan_keys (scan_id);

CREATE TABLE image_tags (
  tag        TEXT PRIMARY KEY,
  key        TEXT NOT NULL,
  scanned_ms INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE events (
  id        TEXT PRIMARY KEY,
  time_ms   INTEGER NOT NULL,
  cluster   TEXT,
  namespace TEXT NOT NULL,
  decision  TEXT NOT NULL,
  dry_run   INTEGER NOT NULL,
  kind      TEXT NOT NULL,
  name      TEXT NOT NULL,
  body      TEXT NOT NULL
);
CREATE INDEX events_time ON events (time_ms, id);
CREATE INDEX events_decision ON events (decision, time_ms, id);
CREATE INDEX events_namespace ON events (namespace, time_ms, id);
CREATE INDEX events_cluster ON events (cluster, time_ms, id);

CREATE TABLE event_rules (
  rule_key TEXT NOT NULL,
  time_ms  INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (rule_key, time_ms, event_id)
) WITHOUT ROWID;
CREATE INDEX event_rules_time ON event_rules (time_ms);

CREATE TABLE event_images (
  image    TEXT NOT NULL,
  time_ms  INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (image, time_ms, event_id)
) WITHOUT ROWID;
CREATE INDEX event_images_time ON event_images (time_ms);

CREATE TABLE event_cves (
  cve      TEXT NOT NULL,
  time_ms  INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  PRIMARY KEY (cve, time_ms, event_id)
) WITHOUT ROWID;
CREATE INDEX event_cves_time ON event_cves (time_ms);

CREATE TABLE clusters (
  name          TEXT PRIMARY KEY,
  provider      TEXT,
  account       TEXT,
  registered_at TEXT NOT NULL,
  last_seen_at  TEXT
);

CREATE TABLE accounts (
  provider          TEXT NOT NULL,
  account           TEXT NOT NULL,
  gating            INTEGER NOT NULL,
  registry_access   INTEGER NOT NULL,
  security_findings INTEGER NOT NULL,
  updated_at        TEXT NOT NULL,
  updated_by        TEXT NOT NULL,
  PRIMARY KEY (provider, account)
);

CREATE TABLE settings (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`,
  postgres: `
-- A counter row rather than a SEQUENCE: nextval() hands out numbers in call order, not commit
-- order, so a reader syncing "changes after N" could pass a change that commits late. Bumping
-- this row last in a transaction holds its lock only until commit: numbers follow commits.
CREATE TABLE change_seq (
  id    integer PRIMARY KEY CHECK (id = 1),
  value bigint NOT NULL
);
INSERT INTO change_seq (id, value) VALUES (1, 0);

-- Text that results are ordered by is COLLATE "C": byte order, as SQLite compares, whatever the
-- locale the database was created with, so both stores list and page in the same order.
CREATE TABLE tokens (
  id         text COLLATE "C" PRIMARY KEY,
  name       text COLLATE "C" NOT NULL,
  role       text NOT NULL,
  hash       text NOT NULL UNIQUE,
  created_at text COLLATE "C" NOT NULL,
  created_by text,
  expires_at text,
  revoked_at text
);

CREATE TABLE rules (
  id         text COLLATE "C" PRIMARY KEY,
  name       text NOT NULL,
  name_key   text COLLATE "C" NOT NULL,
  version    integer NOT NULL,
  document   jsonb NOT NULL,
  enabled    boolean NOT NULL,
  created_at text NOT NULL,
  created_by text NOT NULL,
  updated_at text NOT NULL,
  updated_by text NOT NULL,
  deleted_at text,
  seq        bigint NOT NULL
);
CREATE UNIQUE INDEX rules_live_name ON rules (name_key) WHERE deleted_at IS NULL;
CREATE INDEX rules_seq ON rules (seq);

CREATE TABLE rule_versions (
  rule_id  text NOT NULL REFERENCES rules (id),
  version  integer NOT NULL,
  name     text NOT NULL,
  document jsonb NOT NULL,
  change   text NOT NULL,
  actor    text NOT NULL,
  at       text NOT NULL,
  PRIMARY KEY (rule_id, version)
);

CREATE TABLE scans (
  id           text PRIMARY KEY,
  scanner      text NOT NULL,
  keys         jsonb NOT NULL,
  scanned_at   text,
  received_at  text NOT NULL,
  effective_ms bigint NOT NULL,
  report_hash  text NOT NULL,
  body         jsonb NOT NULL,
  seq          bigint NOT NULL
);
CREATE INDEX scans_seq ON scans (seq);

CREATE TABLE scan_keys (
  key          text NOT NULL,
  scanner      text NOT NULL,
  scan_id      text NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
  report_hash  text NOT NULL,
  effective_ms bigint NOT NULL,
  PRIMARY KEY (key, scanner)
);
CREATE INDEX scan_keys_scan ON scan_keys (scan_id);

CREATE TABLE image_tags (
  tag        text PRIMARY KEY,
  key        text NOT NULL,
  scanned_ms bigint NOT NULL
);

CREATE TABLE events (
  id        text COLLATE "C" PRIMARY KEY,
  time_ms   bigint NOT NULL,
  cluster   text,
  namespace text NOT NULL,
  decision  text NOT NULL,
  dry_run   boolean NOT NULL,
  kind      text NOT NULL,
  name      text NOT NULL,
  body      jsonb NOT NULL
);
CREATE INDEX events_time ON events (time_ms DESC, id DESC);
CREATE INDEX events_decision ON events (decision, time_ms DESC, id DESC);
CREATE INDEX events_namespace ON events (namespace, time_ms DESC, id DESC);
CREATE INDEX events_cluster ON events (cluster, time_ms DESC, id DESC);

CREATE TABLE event_rules (
  rule_key text NOT NULL,
  time_ms  bigint NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (rule_key, time_ms, event_id)
);
CREATE INDEX event_rules_time ON event_rules (time_ms);

CREATE TABLE event_images (
  image    text NOT NULL,
  time_ms  bigint NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (image, time_ms, event_id)
);
CREATE INDEX event_images_time ON event_images (time_ms);

CREATE TABLE event_cves (
  cve      text NOT NULL,
  time_ms  bigint NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (cve, time_ms, event_id)
);
CREATE INDEX event_cves_time ON event_cves (time_ms);

CREATE TABLE clusters (
  name          text COLLATE "C" PRIMARY KEY,
  provider      text,
  account       text,
  registered_at text NOT NULL,
  last_seen_at  text
);

CREATE TABLE accounts (
  provider          text COLLATE "C" NOT NULL,
  account           text COLLATE "C" NOT NULL,
  gating            boolean NOT NULL,
  registry_access   boolean NOT NULL,
  security_findings boolean NOT NULL,
  updated_at        text NOT NULL,
  updated_by        text NOT NULL,
  PRIMARY KEY (provider, account)
);

CREATE TABLE settings (
  key        text PRIMARY KEY,
  value      jsonb NOT NULL,
  updated_at text NOT NULL
);
`,
};
