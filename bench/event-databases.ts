// The store a benchmark of admission events runs against: a SQLite file in a temp directory, or
// PostgreSQL (PORTCULLIS_TEST_POSTGRES_URL, a fresh schema in it dropped at the end; else a
// throwaway server from /usr/lib/postgresql/15/bin, as the tests start one).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/store.js';
import { startThrowawayServer } from '../test/support/postgres-global-setup.js';

export function benchDatabase(kind: 'sqlite' | 'postgres', name: string): Promise<Database> {
  return kind === 'sqlite' ? sqlite(name) : postgres(name);
}

export interface Database {
  readonly store: Store;
  readonly description: string;
  size(): Promise<number>;
  /** After the bulk load: what autovacuum would have done by then on PostgreSQL. */
  settle(): Promise<string | undefined>;
  close(): Promise<void>;
}

async function sqlite(name: string): Promise<Database> {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-bench-${name}-`));
  const file = join(dir, 'portcullis.db');
  const store = await openStore(`sqlite:${file}`);
  const sizeOf = (path: string): number => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  return {
    store,
    description: `SQLite file in ${dir} (WAL, synchronous NORMAL)`,
    size: async () => sizeOf(file) + sizeOf(`${file}-wal`),
    settle: async () => undefined,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgres(name: string): Promise<Database> {
  const given = process.env.PORTCULLIS_TEST_POSTGRES_URL;
  let url: string;
  let description: string;
  let cleanup: () => Promise<void>;
  const schema = `portcullis_bench_${name.replaceAll('-', '_')}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  if (given) {
    const admin = new pg.Client({ connectionString: given });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const parsed = new URL(given);
    parsed.searchParams.set('options', [parsed.searchParams.get('options'), `-c search_path=${schema}`].filter((part) => part).join(' '));
    url = parsed.toString();
    description = `PostgreSQL from PORTCULLIS_TEST_POSTGRES_URL, schema ${schema}`;
    cleanup = async () => {
      const dropper = new pg.Client({ connectionString: given });
      await dropper.connect();
      await dropper.query(`DROP SCHEMA ${schema} CASCADE`);
      await dropper.end();
    };
  } else {
    const server = await startThrowawayServer();
    url = server.url;
    description = 'throwaway PostgreSQL 15 (fsync, synchronous_commit and full_page_writes off, as for the tests)';
    cleanup = server.stop;
  }
  stopOnInterrupt(cleanup);
  const store = await openStore(url);
  const direct = new pg.Pool({ connectionString: url, max: 1 });
  const version = (await direct.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?';
  return {
    store,
    description: `${description}, server ${version}`,
    size: async () => {
      const tables = ['events', 'event_rules', 'event_images', 'event_cves'];
      const sizes = await direct.query<{ bytes: string }>('SELECT sum(pg_total_relation_size(t::regclass))::text AS bytes FROM unnest($1::text[]) t', [tables]);
      return Number(sizes.rows[0]?.bytes ?? 0);
    },
    settle: async () => {
      const started = performance.now();
      await direct.query('ANALYZE');
      return `ANALYZE after the load: ${((performance.now() - started) / 1000).toFixed(1)} s (autovacuum would have run it by then)`;
    },
    close: async () => {
      await direct.end();
      await store.close();
      await cleanup();
    },
  };
}

/** A throwaway server is stopped even when the run is interrupted. */
function stopOnInterrupt(cleanup: () => Promise<void>): void {
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });
}
