// Opens the store a database URL names. It does not migrate: the caller runs migrate() when it
// means to (a server at start, a test once it has its store).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** The directory a relative `sqlite:PATH` is resolved in; default the working directory. */
  readonly dataDir?: string;
  /**
   * A SQLite file's WAL checkpoints (a thread of their own); default true. false for a second
   * connection in the same process (the all-in-one's webhook and sync threads): the first one's run them.
   */
  readonly checkpoints?: boolean;
  /**
   * PostgreSQL: the most connections this store holds at once; default pg's 10. Fewer for a
   * thread that asks one thing at a time (the all-in-one's webhook and sync threads), so that the
   * all-in-one does not hold thirty connections of the server's.
   */
  readonly connections?: number;
}

const MEMORY = 'sqlite::memory:';

/**
 * `database` is `sqlite:PATH` (a file, created with its directory when missing),
 * `sqlite::memory:` (gone when closed), or `postgres://…` / `postgresql://…`.
 */
export async function openStore(database: string, options: OpenStoreOptions = {}): Promise<Store> {
  if (database === MEMORY) return new SqliteStore(':memory:');
  if (database.startsWith('sqlite:')) {
    const path = database.slice('sqlite:'.length);
    if (path === '') throw new Error("The database 'sqlite:' names no file: use sqlite:PATH, or sqlite::memory: for a database in memory.");
    const file = resolve(options.dataDir ?? '.', path);
    mkdirSync(dirname(file), { recursive: true });
    return new SqliteStore(file, { checkpoints: options.checkpoints ?? true });
  }
  if (/^postgres(ql)?:\/\//i.test(database)) return new PostgresStore(database, options);
  // Only the scheme is repeated: the rest of an unknown URL may hold a password.
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(database)?.[0];
  throw new Error(
    `The database ${scheme ? `'${scheme}…'` : 'given'} is not one Portcullis can open: use sqlite:PATH (a file), sqlite::memory:, or postgres://USER:PASSWORD@HOST:PORT/DATABASE.`,
  );
}
