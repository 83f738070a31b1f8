// The store on one SQLite file (or in memory): the embedded default for one machine.
import Database from 'better-sqlite3';
import { MIGRATIONS, pendingMigrations } from '../migrations/index.js';
import type { Store } from '../store.js';
import { SqliteClusters } from './clusters.js';
import { SqliteDatabase } from './database.js';
import { SqliteEvents } from './events.js';
import { SqliteRules } from './rules.js';
import { SqliteScans } from './scans.js';
import { SqliteSettings } from './settings.js';
import { SqliteTokens } from './tokens.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** How long a write waits for another process's write transaction before it fails. */
const BUSY_TIMEOUT_MS = 5_000;

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly sqliteFile: string | undefined;
  readonly tokens: SqliteTokens;
  readonly rules: SqliteRules;
  readonly scans: SqliteScans;
  readonly events: SqliteEvents;
  readonly clusters: SqliteClusters;
  readonly settings: SqliteSettings;
  private readonly db: SqliteDatabase;
  private readonly checkpointer: WalCheckpointer | undefined;

  /**
   * `filename` is a path, or `:memory:` for a database that lives as long as this store.
   * `checkpoints`: false when another connection of this process checkpoints the file's WAL.
   */
  constructor(filename: string, { checkpoints = true }: { readonly checkpoints?: boolean } = {}) {
    const connection = new Database(filename);
    try {
      // WAL: readers never wait for the writer. NORMAL is durable across crashes of the process
      // in WAL mode (a power cut may lose the last commits, never corrupt the file).
      connection.pragma('journal_mode = WAL');
      connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      connection.pragma('foreign_keys = ON');
      connection.pragma('synchronous = NORMAL');
    } catch (error) {
      connection.close();
      throw error;
    }
    this.db = new SqliteDatabase(connection);
    this.sqliteFile = filename === ':memory:' ? undefined : filename;
    // Events arrive in batches of hundreds: SQLite's own checkpoint, inside a commit, would hold
    // up the event loop (and the admissions of an all-in-one server) while it copies and fsyncs.
    this.checkpointer = filename === ':memory:' || !checkpoints ? undefined : WalCheckpointer.start(this.db, filename);
    this.tokens = new SqliteTokens(this.db);
    this.rules = new SqliteRules(this.db);
    this.scans = new SqliteScans(this.db);
    this.events = new SqliteEvents(this.db);
    this.clusters = new SqliteClusters(this.db);
    this.settings = new SqliteSettings(this.db);
  }

  async migrate(): Promise<void> {
    // One write transaction: a second process migrating the same file waits for the first and
    // then finds nothing left to do; a failing step leaves the schema as it was.
    this.db.writer(() => {
      this.db.connection.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)');
      const applied = this.db.all<{ version: number }>('SELECT version FROM schema_migrations').map((row) => row.version);
      for (const migration of pendingMigrations(MIGRATIONS, applied)) {
        this.db.connection.exec(migration.sqlite);
        this.db.run('INSERT INTO schema_migrations (version, name) VALUES (?, ?)', migration.version, migration.name);
      }
    })();
  }

  async ping(): Promise<void> {
    this.db.get('SELECT 1');
  }

  async changeSeq(): Promise<number> {
    return this.db.get<{ value: number }>('SELECT value FROM change_seq WHERE id = 1')?.value ?? 0;
  }

  async close(): Promise<void> {
    await this.checkpointer?.stop();
    this.db.close();
  }
}
