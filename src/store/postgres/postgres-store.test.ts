import pg from 'pg';
import { expect, test } from 'vitest';
import { describePostgres, postgresSchemas } from '../../../test/support/postgres.js';
import type { AdmissionEvent } from '../../events/admission-event.js';
import { summarizeEvent } from '../../events/event-summary.js';
import { aRule } from '../../policy/testing/builders.js';
import { openStore } from '../open-store.js';
import { EVENT_SIDE_TABLES, indexEvent } from '../event-index.js';
import { describeStoreContract } from '../store.contract.js';
import { anEvent, at, migratedPage, SCHEMA_2_SCANS } from '../testing/builders.js';
import { MIGRATIONS } from '../migrations/index.js';

describePostgres('PostgreSQL', (url) => {
  const freshSchema = postgresSchemas(url);

  describeStoreContract('postgres', async () => openStore(await freshSchema()));

  test('replicas migrating one new database at once: one applies the schema, the others find it done', async () => {
    const schemaUrl = await freshSchema();
    const replicas = await Promise.all([1, 2, 3, 4].map(() => openStore(schemaUrl)));
    try {
      await Promise.all(replicas.map((replica) => replica.migrate()));
      const [first, second] = replicas;
      const rule = await first?.rules.create(aRule({ name: 'shared' }), 'alice', at(0));
      expect(await second?.rules.getByName('shared')).toStrictEqual(rule);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
    const client = new pg.Client({ connectionString: schemaUrl });
    await client.connect();
    try {
      expect((await client.query('SELECT version, name FROM schema_migrations ORDER BY version')).rows).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    } finally {
      await client.end();
    }
  });

  test('migration 3 counts the findings of the scans stored before it, so that sync pages keep their budget', async () => {
    const schemaUrl = await freshSchema();
    const client = new pg.Client({ connectionString: schemaUrl });
    await client.connect();
    try {
      await client.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL)');
      for (const migration of MIGRATIONS.slice(0, 2)) {
        await client.query(migration.postgres);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      }
      for (const row of SCHEMA_2_SCANS) {
        await client.query(
          `INSERT INTO scans (id, scanner, keys, scanned_at, received_at, effective_ms, report_hash, body, seq) VALUES ($1, 'trivy', $2::jsonb, NULL, $3, 0, 'h', $4::jsonb, $5)`,
          [row.id, row.keys, row.receivedAt, row.body, row.seq],
        );
      }
    } finally {
      await client.end();
    }
    const store = await openStore(schemaUrl);
    try {
      await store.migrate();
      expect(await migratedPage(store)).toEqual({ ids: ['scan-1', 'scan-2'], more: true });
    } finally {
      await store.close();
    }
  });

  test('events stored before migration 5 (a whole body, no summary) are listed summarized from their bodies, and read back whole', async () => {
    const schemaUrl = await freshSchema();
    const store = await openStore(schemaUrl);
    const cves = { reference: 'registry.example.com/team/app:1.0', violations: [{ rule: 'audit-high', cves: ['CVE-2024-0001'] }] };
    const [earlier, later] = [anEvent({ time: at(0), seed: 1, images: [cves] }), anEvent({ time: at(1), seed: 2, images: [cves, { reference: 'nginx:1.25' }] })] as [AdmissionEvent, AdmissionEvent];
    const client = new pg.Client({ connectionString: schemaUrl });
    try {
      await store.migrate();
      await client.connect();
      // As an earlier build stored it: the whole event its body, with its side rows.
      const index = indexEvent(earlier, 'earlier');
      await client.query(
        `INSERT INTO events (id, time_ms, cluster, namespace, decision, dry_run, kind, name, body) VALUES ($1, $2, NULL, $3, $4, false, $5, $6, $7::jsonb)`,
        [earlier.id, index.timeMs, earlier.namespace, earlier.decision, earlier.kind, earlier.name, JSON.stringify(earlier)],
      );
      for (const side of EVENT_SIDE_TABLES) {
        for (const value of side.values(index)) await client.query(`INSERT INTO ${side.table} (${side.column}, time_ms, event_id) VALUES ($1, $2, $3)`, [value, index.timeMs, earlier.id]);
      }
      await store.events.insert([later]);
      expect((await client.query<{ n: number }>('SELECT count(summary)::int AS n FROM events')).rows[0]?.n).toBe(1);
      expect((await store.events.list({}, { limit: 10 })).events).toStrictEqual([later, earlier].map(summarizeEvent));
      expect((await store.events.list({ cve: 'CVE-2024-0001' }, { limit: 10 })).events).toStrictEqual([later, earlier].map(summarizeEvent));
      expect(await store.events.get(earlier.id)).toStrictEqual(earlier);
      expect(await store.events.get(later.id)).toStrictEqual(later);
    } finally {
      await client.end();
      await store.close();
    }
  });

  test('connections: a store holds no more than it is given, however many ask at once (the all-in-one’s threads take 2 each)', async () => {
    const schemaUrl = await freshSchema();
    const migrating = await openStore(schemaUrl);
    await migrating.migrate();
    await migrating.close();
    const named = (name: string) => {
      const parsed = new URL(schemaUrl);
      parsed.searchParams.set('application_name', name);
      return parsed.toString();
    };
    const client = new pg.Client({ connectionString: schemaUrl });
    await client.connect();
    /** The most connections the store held at once while 20 lists were asked for together. */
    const held = async (name: string, connections?: number) => {
      const store = await openStore(named(name), connections === undefined ? {} : { connections });
      try {
        let most = 0;
        const lists = Promise.all(Array.from({ length: 20 }, () => store.events.list({}, { limit: 50 })));
        for (let done = false; !done; ) {
          const row = (await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = $1', [name])).rows[0];
          most = Math.max(most, Number(row?.n ?? 0));
          done = await Promise.race([lists.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1))]);
        }
        return most;
      } finally {
        await store.close();
      }
    };
    try {
      expect(await held('portcullis-pool-two', 2)).toBeLessThanOrEqual(2);
      // Without the option pg opens up to 10: the same load opens more than 2 (what makes the check above mean something).
      expect(await held('portcullis-pool-default')).toBeGreaterThan(2);
    } finally {
      await client.end();
    }
  });
});
