import { settingJson } from '../setting-json.js';
import type { Instant, SettingsStore } from '../store.js';
import type { PostgresDatabase } from './database.js';

export class PostgresSettings implements SettingsStore {
  constructor(private readonly db: PostgresDatabase) {}

  async get<T>(key: string): Promise<T | undefined> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM settings WHERE key = $1', key);
    return row && (JSON.parse(row.value) as T);
  }

  async put(key: string, value: unknown, at: Instant): Promise<void> {
    await this.db.run(
      `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      key, settingJson(key, value), at,
    );
  }
}
