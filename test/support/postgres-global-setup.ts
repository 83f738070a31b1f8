// A PostgreSQL for the store tests, found or made once per test run (a vitest globalSetup):
//   1. PORTCULLIS_SKIP_POSTGRES=1: none; the PostgreSQL tests are skipped, as asked.
//   2. PORTCULLIS_TEST_POSTGRES_URL: that server (each store the tests open gets its own schema).
//   3. PostgreSQL 15's initdb at /usr/lib/postgresql/15/bin (Debian's postgresql-15), or in
//      PORTCULLIS_TEST_POSTGRES_BIN: a throwaway server in a temp directory, on a free port of
//      127.0.0.1, stopped and removed at the end.
//   Else the PostgreSQL tests fail, saying how to provide one (test/support/postgres.ts).
// Nothing is thrown here: a missing PostgreSQL must not stop the tests that do not need it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import type { PostgresForTests } from './postgres.js';

const run = promisify(execFile);

/** Where Debian's postgresql-15 puts its programs; PORTCULLIS_TEST_POSTGRES_BIN names another. */
const POSTGRES_BIN = process.env.PORTCULLIS_TEST_POSTGRES_BIN || '/usr/lib/postgresql/15/bin';
const DATABASE = 'portcullis_test';
const SUPERUSER = 'postgres';

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.PORTCULLIS_SKIP_POSTGRES === '1') {
    provide(project, { skipped: true });
    return undefined;
  }
  const given = process.env.PORTCULLIS_TEST_POSTGRES_URL;
  if (given) {
    provide(project, { url: given });
    return undefined;
  }
  if (!existsSync(join(POSTGRES_BIN, 'initdb'))) {
    provide(project, { problem: `no PORTCULLIS_TEST_POSTGRES_URL is set, and there is no ${POSTGRES_BIN}/initdb to start a server with.` });
    return undefined;
  }
  try {
    const server = await startThrowawayServer();
    provide(project, { url: server.url });
    return server.stop;
  } catch (error) {
    provide(project, { problem: `starting a throwaway server from ${POSTGRES_BIN} failed: ${error instanceof Error ? error.message : String(error)}` });
    return undefined;
  }
}

function provide(project: TestProject, postgres: PostgresForTests): void {
  project.provide('portcullisPostgres', postgres);
}

export interface ThrowawayServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** A PostgreSQL 15 in a temp directory (durability off), as the tests use; the benchmarks start one too. */
export async function startThrowawayServer(): Promise<ThrowawayServer> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  // initdb refuses to run as root: as root, the server is run by the postgres user of the package.
  const asRoot = process.getuid?.() === 0;
  const command = async (tool: string, args: readonly string[]): Promise<void> => {
    const [file, argv] = asRoot ? ['runuser', ['-u', SUPERUSER, '--', join(POSTGRES_BIN, tool), ...args]] : [join(POSTGRES_BIN, tool), [...args]];
    await run(file, argv, { cwd: dir, timeout: 60_000 });
  };
  let started = false;
  const stop = async (): Promise<void> => {
    try {
      // Immediate: the data is thrown away anyway.
      if (started) await command('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    if (asRoot) {
      const [uid, gid] = await Promise.all([idOf('-u'), idOf('-g')]);
      await chown(dir, uid, gid);
    }
    await command('initdb', ['-D', data, '-U', SUPERUSER, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    // Durability is worth nothing here, and costs time on every commit.
    const options = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off'].join(' ');
    // Set first: a start that timed out may still have left a server running.
    started = true;
    try {
      await command('pg_ctl', ['start', '-D', data, '-l', log, '-o', options, '-w', '-t', '60']);
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await readFile(log, 'utf8').catch(() => '')}`);
    }
    const admin = new pg.Client({ connectionString: `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end();
    }
    return { url: `postgres://${SUPERUSER}@127.0.0.1:${port}/${DATABASE}`, stop };
  } catch (error) {
    // The first failure is the one to report, not a failing stop of a server that never ran.
    await stop().catch(() => undefined);
    throw error;
  }
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  return Number((await run('id', [flag, SUPERUSER])).stdout.trim());
}

/** A port nothing listens on now (the server takes it a moment later; a clash fails the start, loudly). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
