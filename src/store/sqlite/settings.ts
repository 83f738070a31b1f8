import { settingJson } from '../setting-json.js';
import type { Instant, SettingsStore } from '../store.js';
import type { SqliteDatabase } from './database.js';

export class SqliteSettings implements SettingsStore {
  constructor(private readonly db: SqliteDatabase) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', key);
    return row && (JSON.parse(row.value) as T);
  }

  async put(key: string, value: unknown, at: Instant): Promise<void> {
    this.db.run(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      key, settingJson(key, value), at,
    );
  }
}
