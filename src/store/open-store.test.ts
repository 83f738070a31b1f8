import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openStore } from './open-store.js';

describe('openStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-open-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('sqlite::memory: is a SQLite store in memory', async () => {
    const store = await openStore('sqlite::memory:');
    expect(store.kind).toBe('sqlite');
    await store.migrate();
    await store.close();
  });

  test('a relative sqlite:PATH is a file in the data directory, made with its directories', async () => {
    const store = await openStore('sqlite:nested/portcullis.db', { dataDir: dir });
    await store.migrate();
    await store.close();
    expect(existsSync(join(dir, 'nested', 'portcullis.db'))).toBe(true);
  });

  test('an absolute sqlite:PATH is that file, whatever the data directory', async () => {
    const file = join(dir, 'absolute.db');
    const store = await openStore(`sqlite:${file}`, { dataDir: '/nonexistent' });
    await store.close();
    expect(existsSync(file)).toBe(true);
  });

  test.each(['postgres://portcullis:secret@127.0.0.1:1/portcullis', 'postgresql://127.0.0.1:1/portcullis'])('%s is a PostgreSQL store, connected when first used', async (url) => {
    const store = await openStore(url);
    expect(store.kind).toBe('postgres');
    await expect(store.ping()).rejects.toThrow();
    await store.close();
  });

  test.each(['mysql://root:hunter2@db/portcullis', 'portcullis.db', ''])("'%s' is refused with what to write instead, and no secret repeated", async (database) => {
    const refusal = openStore(database);
    await expect(refusal).rejects.toThrow(/use sqlite:PATH.*postgres:\/\//s);
    await expect(refusal).rejects.not.toThrow(/hunter2/);
  });

  test("'sqlite:' without a path is refused", async () => {
    await expect(openStore('sqlite:')).rejects.toThrow(/names no file: use sqlite:PATH/);
  });
});
