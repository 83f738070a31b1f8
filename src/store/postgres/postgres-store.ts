// The store on PostgreSQL: what stateless control-plane replicas share.
import { MIGRATIONS, pendingMigrations } from '../migrations/index.js';
import type { Store } from '../store.js';
import { PostgresClusters } from './clusters.js';
import { PostgresDatabase } from './database.js';
import { PostgresEvents } from './events.js';
import { createPool } from './pool.js';
import { PostgresRules } from './rules.js';
import { PostgresScans } from './scans.js';
import { PostgresSettings } from './settings.js';
import { PostgresTokens } from './tokens.js';

/** The advisory lock migrations hold: one per database, whatever the schema. */
const MIGRATION_LOCK = 0x706f7274; // 'port'

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly tokens: PostgresTokens;
  readonly rules: PostgresRules;
  readonly scans: PostgresScans;
  readonly events: PostgresEvents;
  readonly clusters: PostgresClusters;
  readonly settings: PostgresSettings;
  private readonly db: PostgresDatabase;

  /** `url` is a `postgres://` connection string; connections are made when first needed, `connections` at most (default 10). */
  constructor(url: string, options: { readonly connections?: number } = {}) {
    this.db = new PostgresDatabase(createPool(url, options.connections));
    this.tokens = new PostgresTokens(this.db);
    this.rules = new PostgresRules(this.db);
    this.scans = new PostgresScans(this.db);
    this.events = new PostgresEvents(this.db);
    this.clusters = new PostgresClusters(this.db);
    this.settings = new PostgresSettings(this.db);
  }

  async migrate(): Promise<void> {
    // Replicas starting together queue on the lock; each then finds what the one before it
    // applied. The lock is the transaction's: a replica that dies mid-way releases it, and its
    // steps roll back (PostgreSQL DDL is transactional).
    await this.db.transaction(async (tx) => {
      await tx.get('SELECT pg_advisory_xact_lock($1)', MIGRATION_LOCK);
      await tx.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL)');
      const applied = (await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version);
      for (const migration of pendingMigrations(MIGRATIONS, applied)) {
        await tx.exec(migration.postgres);
        await tx.run('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', migration.version, migration.name);
      }
    });
  }

  async ping(): Promise<void> {
    await this.db.get('SELECT 1');
  }

  async changeSeq(): Promise<number> {
    return Number((await this.db.get<{ value: number | string }>('SELECT value FROM change_seq WHERE id = 1'))?.value ?? 0);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
