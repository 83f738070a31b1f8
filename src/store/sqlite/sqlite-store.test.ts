import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import type { AdmissionEvent } from '../../events/admission-event.js';
import { summarizeEvent } from '../../events/event-summary.js';
import { aRule } from '../../policy/testing/builders.js';
import { EVENT_SIDE_TABLES, indexEvent } from '../event-index.js';
import { openStore } from '../open-store.js';
import type { EventFilter } from '../store.js';
import { describeStoreContract, newestFirst, walk } from '../store.contract.js';
import { anEvent, at, migratedPage, SCHEMA_2_SCANS } from '../testing/builders.js';
import { PRUNE_CHUNK } from './events.js';
import { SqliteStore } from './sqlite-store.js';
import { MIGRATIONS } from '../migrations/index.js';

describeStoreContract('sqlite', () => openStore('sqlite::memory:'));

describe('the SQLite store on a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('opens the file in WAL mode', () => {
    const file = join(dir, 'pragmas.db');
    const store = new SqliteStore(file);
    void store.close();
    const connection = new Database(file);
    try {
      expect(connection.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      connection.close();
    }
  });

  test('what one store wrote, another store on the file reads, also after a restart', async () => {
    const file = join(dir, 'shared.db');
    const first = await openStore(`sqlite:${file}`);
    await first.migrate();
    const rule = await first.rules.create(aRule({ name: 'kept' }), 'alice', at(0));
    const second = await openStore(`sqlite:${file}`);
    await second.migrate();
    expect(await second.rules.get(rule.id)).toStrictEqual(rule);
    await first.close();
    await second.close();
  });

  test('two processes migrating one new file at once: one applies the schema, the other finds it done', async () => {
    const file = join(dir, 'race.db');
    const script = `import { SqliteStore } from ${JSON.stringify(new URL('./sqlite-store.ts', import.meta.url).href)};
      const store = new SqliteStore(${JSON.stringify(file)}); await store.migrate(); await store.close();`;
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    await Promise.all([run(), run(), run()]);
    const connection = new Database(file, { readonly: true });
    try {
      expect(connection.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    } finally {
      connection.close();
    }
  });

  test('migration 3 counts the findings of the scans stored before it, so that sync pages keep their budget', async () => {
    const file = join(dir, 'schema-2.db');
    const raw = databaseAtSchema(file, 2);
    const insert = raw.prepare(`INSERT INTO scans (id, scanner, keys, scanned_at, received_at, effective_ms, report_hash, body, seq) VALUES (?, 'trivy', ?, NULL, ?, 0, 'h', ?, ?)`);
    for (const row of SCHEMA_2_SCANS) insert.run(row.id, row.keys, row.receivedAt, row.body, row.seq);
    raw.close();
    const store = await openStore(`sqlite:${file}`);
    try {
      await store.migrate();
      expect(await migratedPage(store)).toEqual({ ids: ['scan-1', 'scan-2'], more: true });
    } finally {
      await store.close();
    }
  });

  test('migration 4 indexes the CVEs of the events stored before it, and gives them rowids of their time', async () => {
    const file = join(dir, 'schema-3.db');
    const raw = databaseAtSchema(file, 3);
    // Three in one millisecond, stored greatest id first (their old rowids disagree with their ids), and two others.
    const crowded = [3, 2, 1].map((seed) => anEvent({ time: at(1), seed, images: imageNaming(['CVE-2024-0001', 'GHSA-aaaa-bbbb-cccc']) }));
    const old = [...crowded, anEvent({ time: at(0), seed: 4, images: imageNaming(['CVE-2024-0001']) }), anEvent({ time: at(2), seed: 5, images: imageNaming(['CVE-2024-0002']) })];
    const insertEvent = raw.prepare(`INSERT INTO events (id, time_ms, cluster, namespace, decision, dry_run, kind, name, body) VALUES (?, ?, NULL, ?, ?, 0, ?, ?, ?)`);
    for (const [i, event] of old.entries()) {
      const index = indexEvent(event, `old[${i}]`);
      insertEvent.run(event.id, index.timeMs, event.namespace, event.decision, event.kind, event.name, JSON.stringify(event));
      for (const side of EVENT_SIDE_TABLES) {
        for (const value of side.values(index)) raw.prepare(`INSERT INTO ${side.table} (${side.column}, time_ms, event_id) VALUES (?, ?, ?)`).run(value, index.timeMs, event.id);
      }
    }
    raw.close();
    const store = await openStore(`sqlite:${file}`);
    try {
      await store.migrate();
      const ids = (events: readonly AdmissionEvent[]) => newestFirst(events).map((e) => e.id);
      const walked = (filter: EventFilter) => walk(store, filter, 1);
      expect(await walked({ cve: 'cve-2024-0001' })).toEqual(ids(old.slice(0, 4)));
      expect(await walked({ cve: 'GHSA-aaaa-bbbb-cccc' })).toEqual(ids(crowded));
      expect(await walked({ cve: 'CVE-2024-0002' })).toEqual(ids(old.slice(4)));
      expect(await walked({})).toEqual(ids(old));
      for (const event of old) expect(await store.events.get(event.id)).toStrictEqual(event);
      // Stored before migration 5 kept summaries: listed, they are summarized from their bodies.
      expect((await store.events.list({}, { limit: 10 })).events).toStrictEqual(newestFirst(old).map(summarizeEvent));
      expect((await store.events.list({ cve: 'GHSA-aaaa-bbbb-cccc' }, { limit: 10 })).events).toStrictEqual(newestFirst(crowded).map(summarizeEvent));
      // Stored after it, in the same millisecond: found beside them, in order; pruned with them.
      const later = anEvent({ time: at(1), seed: 9, images: imageNaming(['CVE-2024-0001']) });
      expect(await store.events.insert([later, ...old])).toBe(1);
      expect(await walked({ cve: 'CVE-2024-0001' })).toEqual(ids([...old.slice(0, 4), later]));
      // Its summary is kept, and goes with it.
      expect(summaries(file)).toBe(1);
      expect(await store.events.prune(at(2))).toBe(5);
      expect(summaries(file)).toBe(0);
      expect(await walked({ cve: 'CVE-2024-0001' })).toEqual([]);
      expect(await walked({ cve: 'CVE-2024-0002' })).toEqual(ids(old.slice(4)));
    } finally {
      await store.close();
    }
    const after = new Database(file, { readonly: true });
    try {
      expect(after.prepare(`SELECT name FROM sqlite_schema WHERE name = 'event_cves'`).all()).toEqual([]);
      expect(after.prepare('SELECT count(*) AS n FROM events WHERE rowid / 2097152 != time_ms').get()).toEqual({ n: 0 });
    } finally {
      after.close();
    }
  });

  test('migration 6 declares the events\' rowids, which their CVEs and summaries are keyed by: copied as they were, and kept through VACUUM', async () => {
    const file = join(dir, 'schema-5.db');
    databaseAtSchema(file, 5).close();
    // Odd seeds also name CVE-2024-0002; seeds 3 and 6 are the oldest, pruned below.
    const cvesOf = (seed: number) => (seed % 2 === 0 ? ['CVE-2024-0001'] : ['CVE-2024-0001', 'CVE-2024-0002']);
    const events = [1, 2, 3, 4, 5, 6].map((seed) => anEvent({ time: at(seed % 3), seed, images: imageNaming(cvesOf(seed)) }));
    // Stored as a build at schema 5 stored them: its event code is this one.
    const early = new SqliteStore(file);
    expect(await early.events.insert(events)).toBe(events.length);
    await early.close();
    // As BigInts: the rowids pass 2^53, where numbers would round neighbours together.
    const rowids = (connection: Database.Database) => connection.prepare('SELECT rowid AS rowid, id FROM events ORDER BY rowid').safeIntegers(true).all();
    const before = new Database(file, { readonly: true });
    const stored = rowids(before);
    before.close();

    const store = await openStore(`sqlite:${file}`);
    try {
      await store.migrate();
      const raw = new Database(file);
      try {
        const columns = raw.prepare('SELECT name, type, pk FROM pragma_table_info(?) WHERE pk > 0').all('events');
        expect(columns).toEqual([{ name: 'time_key', type: 'INTEGER', pk: 1 }]);
        expect(rowids(raw)).toEqual(stored);
        // Rows freed among the rest, as retention leaves them, then the file compacted.
        expect(await store.events.prune(at(1))).toBe(2);
        raw.exec('VACUUM');
        expect(rowids(raw)).toEqual(stored.slice(2));
      } finally {
        raw.close();
      }
      const kept = events.filter((event) => event.time >= at(1));
      const ids = (list: readonly AdmissionEvent[]) => newestFirst(list).map((e) => e.id);
      expect(await walk(store, { cve: 'CVE-2024-0002' }, 1)).toEqual(ids([events[0], events[4]] as AdmissionEvent[]));
      expect(await walk(store, { cve: 'CVE-2024-0001' }, 1)).toEqual(ids(kept));
      expect((await store.events.list({}, { limit: 10 })).events).toStrictEqual(newestFirst(kept).map(summarizeEvent));
      for (const event of kept) expect(await store.events.get(event.id)).toStrictEqual(event);
      // A delivery repeated after the migration stores nothing: the id is still unique.
      expect(await store.events.insert(kept)).toBe(0);
    } finally {
      await store.close();
    }
  });

  test('prune lets go of the thread between chunks, so that what shares it (the webhook of `serve`) answers meanwhile', async () => {
    const store = await openStore(`sqlite:${join(dir, 'prune.db')}`);
    try {
      await store.migrate();
      const events = Array.from({ length: 4 * PRUNE_CHUNK }, (_, i) => anEvent({ time: at(i), seed: i, images: [{ reference: 'registry.example.com/team/app:1.0', violations: [{ rule: 'audit-high', cves: ['CVE-2024-0001'] }] }] }));
      await store.events.insert(events);
      let ticks = 0;
      const ticking = setInterval(() => (ticks += 1), 1);
      try {
        expect(await store.events.prune(at(4 * PRUNE_CHUNK))).toBe(events.length);
      } finally {
        clearInterval(ticking);
      }
      // A single transaction would run it through before any timer could fire.
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      await store.close();
    }
  });

  test('a prune the store is closed under stops between chunks, without an error; the next run takes the rest', async () => {
    const file = join(dir, 'prune-closed.db');
    const store = await openStore(`sqlite:${file}`);
    await store.migrate();
    // Forty chunks, with their pauses: the close (which first stops the WAL's checkpoint thread) lands among them.
    const events = Array.from({ length: 40 * PRUNE_CHUNK }, (_, i) => anEvent({ time: at(i), seed: i }));
    await store.events.insert(events);
    const pruning = store.events.prune(at(events.length));
    await store.close();
    const pruned = await pruning;
    expect(pruned).toBeGreaterThan(0);
    const reopened = await openStore(`sqlite:${file}`);
    try {
      expect(await reopened.events.prune(at(events.length))).toBe(events.length - pruned);
    } finally {
      await reopened.close();
    }
  });
});

/** An event's images: one, whose one violation matched these CVEs. */
function imageNaming(cves: string[]) {
  return [{ reference: 'registry.example.com/team/app:1.0', violations: [{ rule: 'audit-high', cves }] }];
}

/** How many event summaries the file holds (read through a connection of its own). */
function summaries(file: string): number {
  const connection = new Database(file, { readonly: true });
  try {
    return (connection.prepare('SELECT count(*) AS n FROM event_summaries').get() as { n: number }).n;
  } finally {
    connection.close();
  }
}

/** A new database file migrated up to `version` and no further, as an older Portcullis left it. */
function databaseAtSchema(file: string, version: number): Database.Database {
  const raw = new Database(file);
  raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  for (const migration of MIGRATIONS.filter((m) => m.version <= version)) {
    raw.exec(migration.sqlite);
    raw.prepare('INSERT INTO schema_migrations (version, name) VALUES (?, ?)').run(migration.version, migration.name);
  }
  return raw;
}
