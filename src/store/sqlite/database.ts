// A better-sqlite3 connection with its prepared statements cached by SQL text, and the two kinds
// of transaction the repositories run every method in.
import type BetterSqlite3 from 'better-sqlite3';

export type Param = string | number | bigint | Buffer | null;
type Statement = BetterSqlite3.Statement<Param[], unknown>;

export class SqliteDatabase {
  private readonly statements = new Map<string, Statement>();
  private readonly int64Statements = new Map<string, Statement>();

  constructor(readonly connection: BetterSqlite3.Database) {}

  all<T>(sql: string, ...params: Param[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  get<T>(sql: string, ...params: Param[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  /**
   * The first column of the first row as a bigint, or null when there is no row or it is NULL:
   * for integers that may pass 2^53, such as the events' rowids, which a number would round.
   */
  int64(sql: string, ...params: Param[]): bigint | null {
    let statement = this.int64Statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare<Param[], unknown>(sql).pluck().safeIntegers();
      this.int64Statements.set(sql, statement);
    }
    const value = statement.get(...params);
    return typeof value === 'bigint' ? value : null;
  }

  run(sql: string, ...params: Param[]): BetterSqlite3.RunResult {
    return this.statement(sql).run(...params);
  }

  /**
   * `fn` as one write transaction. BEGIN IMMEDIATE takes the write lock up front: two processes
   * on one file then queue on busy_timeout instead of failing to upgrade a read lock.
   */
  writer<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const transaction = this.connection.transaction(fn);
    return (...args: A) => transaction.immediate(...args);
  }

  /** `fn` as one read transaction: every statement in it sees the same snapshot. */
  reader<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const transaction = this.connection.transaction(fn);
    return (...args: A) => transaction.deferred(...args);
  }

  /** The next number of the store-wide change sequence; only inside a writer. */
  nextSeq(): number {
    const row = this.get<{ value: number }>('UPDATE change_seq SET value = value + 1 WHERE id = 1 RETURNING value');
    if (!row) throw new Error('The change_seq row is missing: the database was not migrated, or was altered by hand.');
    return row.value;
  }

  /** False once closed. */
  get open(): boolean {
    return this.connection.open;
  }

  close(): void {
    this.statements.clear();
    this.int64Statements.clear();
    if (this.connection.open) this.connection.close();
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare<Param[], unknown>(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/** SQLite has no booleans. */
export function flag(value: boolean): number {
  return value ? 1 : 0;
}

/** better-sqlite3 binds null, not undefined. */
export function optional(value: string | undefined): string | null {
  return value ?? null;
}
