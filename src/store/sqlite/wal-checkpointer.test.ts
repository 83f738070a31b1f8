// The checkpoint thread against a real SQLite file: it copies the writer's WAL into the database
// file while the writer's own automatic checkpoints are off, and gives them back when it stops.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SqliteDatabase } from './database.js';
import { WalCheckpointer } from './wal-checkpointer.js';

let dir: string;
let db: SqliteDatabase;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-wal-'));
  file = join(dir, 'data.db');
  db = new SqliteDatabase(new Database(file));
  db.connection.pragma('journal_mode = WAL');
  db.connection.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** About 4 MB of rows, more than SQLite's own checkpoint threshold (1,000 pages). */
function writeRows(from: number, count = 400): void {
  const insert = db.writer(() => {
    for (let i = from; i < from + count; i++) db.run('INSERT INTO t (id, body) VALUES (?, ?)', i, 'x'.repeat(10_000));
  });
  insert();
}

test('the writer checkpoints on commit only far behind the thread, which copies every frame into the database file', async () => {
  const checkpointer = WalCheckpointer.start(db, file, { intervalMs: 5 });
  expect(db.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(16_000);
  const checkpointed = checkpointer.next();
  writeRows(0);
  const result = await checkpointed;
  expect(result.log).toBeGreaterThan(1000);
  // Frames keep coming only from writes: the next report, after the next write, is of a WAL started afresh.
  const again = checkpointer.next();
  writeRows(400, 10);
  const next = await again;
  expect(next.log).toBeLessThan(100);
  expect(next.checkpointed).toBe(next.log);
  await checkpointer.stop();
  expect(checkpointer.running).toBe(false);
  // Everything is in the database file itself: without its WAL, a copy holds every row.
  db.close();
  expect(existsSync(`${file}-wal`)).toBe(false);
  const reopened = new Database(file, { readonly: true });
  expect(reopened.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 410 });
  reopened.close();
});

test('when the thread cannot run, the writer checkpoints on commit again and the WAL stays bounded', async () => {
  // A path the thread cannot open: it fails at once.
  const checkpointer = WalCheckpointer.start(db, join(dir, 'missing.db'), { intervalMs: 5 });
  await expect.poll(() => checkpointer.running).toBe(false);
  expect(db.connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  for (let i = 0; i < 5; i++) writeRows(i * 400);
  // 20 MB written; SQLite's own checkpoints reused the WAL, and the size limit cut it back.
  expect(statSync(`${file}-wal`).size).toBeLessThan(16 * 1024 * 1024 + 1);
});
