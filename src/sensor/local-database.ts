// The webhook's own SQLite files in its data directory (snapshot.db, outbox.db): opened in WAL
// mode with their schema, through the same statement-caching helper the store uses.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteDatabase } from '../store/sqlite/database.js';

export interface LocalSchema {
  /** Kept in `PRAGMA user_version`. */
  readonly version: number;
  /** Idempotent DDL (CREATE … IF NOT EXISTS). */
  readonly sql: string;
  /**
   * A file written by another schema version: `reset` drops its tables (a cache, refilled by the
   * next sync); `refuse` throws (it holds what exists nowhere else).
   */
  readonly onOtherVersion: { readonly reset: readonly string[] } | 'refuse';
}

/**
 * `synchronous`: NORMAL survives the process dying at any point (WAL); FULL also a power cut,
 * at the price of an fsync per commit.
 */
export function openLocalDatabase(file: string, schema: LocalSchema, synchronous: 'NORMAL' | 'FULL'): SqliteDatabase {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const connection = new Database(file);
  try {
    connection.pragma('journal_mode = WAL');
    connection.pragma('busy_timeout = 5000');
    connection.pragma(`synchronous = ${synchronous}`);
    const found = connection.pragma('user_version', { simple: true }) as number;
    if (found !== 0 && found !== schema.version) {
      if (schema.onOtherVersion === 'refuse') {
        throw new Error(`${file} was written by another version of Portcullis (schema ${found}, this one reads ${schema.version}): move it aside to start afresh.`);
      }
      connection.exec(schema.onOtherVersion.reset.map((table) => `DROP TABLE IF EXISTS ${table};`).join('\n'));
    }
    connection.exec(schema.sql);
    connection.pragma(`user_version = ${schema.version}`);
  } catch (error) {
    connection.close();
    throw error;
  }
  return new SqliteDatabase(connection);
}
