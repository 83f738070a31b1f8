// The PostgreSQL the store tests run on (see postgres-global-setup.ts), and a fresh schema of it
// for every store a test opens, so test files running at once never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, inject, test } from 'vitest';

/** What the global setup found: a server, an explicit skip, or why there is none. */
export type PostgresForTests = { readonly url: string } | { readonly skipped: true } | { readonly problem: string };

declare module 'vitest' {
  export interface ProvidedContext {
    portcullisPostgres: PostgresForTests;
  }
}

export const HOW_TO_PROVIDE_POSTGRES =
  'Install PostgreSQL 15 (Debian/Ubuntu: apt-get install postgresql-15; the tests start a throwaway server from /usr/lib/postgresql/15/bin), ' +
  'or set PORTCULLIS_TEST_POSTGRES_URL=postgres://USER:PASSWORD@HOST:PORT/DATABASE to a server whose user may create schemas there, ' +
  'or set PORTCULLIS_SKIP_POSTGRES=1 to skip the PostgreSQL tests on purpose.';

/**
 * `define` declares tests given the server's URL. Without a server the suite fails with how to
 * provide one: PostgreSQL tests are skipped only when PORTCULLIS_SKIP_POSTGRES=1 says so.
 */
export function describePostgres(name: string, define: (url: string) => void): void {
  const postgres = inject('portcullisPostgres');
  if ('url' in postgres) describe(name, () => define(postgres.url));
  else if ('skipped' in postgres) test.skip(`${name}: skipped, as PORTCULLIS_SKIP_POSTGRES=1 asks`, () => undefined);
  else {
    describe(name, () => {
      test('needs a PostgreSQL server', () => {
        throw new Error(`No PostgreSQL for the PostgreSQL tests: ${postgres.problem}\n${HOW_TO_PROVIDE_POSTGRES}`);
      });
    });
  }
}

/**
 * Fresh schemas of the server at `url`, each named by a connection URL whose search_path is
 * that schema; all of them are dropped after the file's tests. Call inside a describe.
 */
export function postgresSchemas(url: string): () => Promise<string> {
  const admin = new pg.Pool({ connectionString: url, max: 2 });
  const made: string[] = [];
  afterAll(async () => {
    try {
      for (const schema of made) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await admin.end();
    }
  });
  return async () => {
    const schema = `portcullis_test_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    made.push(schema);
    return withSearchPath(url, schema);
  };
}

/** `url` with `schema` as the only schema its sessions see (libpq's `options` parameter). */
export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  const options = [parsed.searchParams.get('options'), `-c search_path=${schema}`].filter((part) => part).join(' ');
  parsed.searchParams.set('options', options);
  return parsed.toString();
}
