// A pg pool with the query helpers the repositories share, and the transaction every writing
// method runs in: BEGIN … COMMIT on one client of the pool.
import type pg from 'pg';

/** What a repository queries: the pool itself, or the one client of a transaction. */
export class PostgresSession {
  constructor(protected readonly client: pg.Pool | pg.PoolClient) {}

  async all<T>(sql: string, ...params: unknown[]): Promise<T[]> {
    return (await this.client.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, ...params: unknown[]): Promise<T | undefined> {
    return (await this.client.query(sql, params)).rows[0] as T | undefined;
  }

  /** Answers how many rows the statement changed. */
  async run(sql: string, ...params: unknown[]): Promise<number> {
    return (await this.client.query(sql, params)).rowCount ?? 0;
  }

  /** Runs SQL of several statements (a migration) without parameters. */
  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  /**
   * The next number of the store-wide change sequence; only inside a transaction, as late in it
   * as can be: the row stays locked until commit, so numbers are handed out in commit order.
   */
  async nextSeq(): Promise<number> {
    const row = await this.get<{ value: number }>('UPDATE change_seq SET value = value + 1 WHERE id = 1 RETURNING value');
    if (!row) throw new Error('The change_seq row is missing: the database was not migrated, or was altered by hand.');
    return row.value;
  }
}

export class PostgresDatabase extends PostgresSession {
  private closed = false;

  constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  /** `fn` as one transaction on one client: committed when it returns, rolled back when it throws. */
  async transaction<R>(fn: (tx: PostgresSession) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PostgresSession(client));
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
        client.release();
      } catch (rollbackError) {
        // A connection that cannot even roll back is broken: it leaves the pool.
        client.release(rollbackError instanceof Error ? rollbackError : true);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** A unique violation (23505) of the named constraint or index. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23505' && 'constraint' in error && error.constraint === constraint;
}
