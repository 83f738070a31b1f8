import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.js';
import { tokenOf, type TokenRow } from '../rows.js';
import type { Instant, TokenRecord, TokenStore } from '../store.js';
import { optional, type SqliteDatabase } from './database.js';

export class SqliteTokens implements TokenStore {
  private readonly createTx;
  private readonly revokeTx;

  constructor(private readonly db: SqliteDatabase) {
    this.createTx = db.writer((input: Parameters<TokenStore['create']>[0], at: Instant): TokenRecord => {
      if (db.get('SELECT 1 FROM tokens WHERE hash = ?', input.hash)) throw new ConflictError('A token with this secret already exists.');
      const id = randomUUID();
      db.run(
        'INSERT INTO tokens (id, name, role, hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        id, input.name, input.role, input.hash, at, optional(input.createdBy), optional(input.expiresAt),
      );
      return this.byId(id) as TokenRecord;
    });
    this.revokeTx = db.writer((id: string, at: Instant): TokenRecord | undefined => {
      // The first revocation time stands: revoking again changes nothing.
      db.run('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', at, id);
      return this.byId(id);
    });
  }

  async create(input: Parameters<TokenStore['create']>[0], at: Instant): Promise<TokenRecord> {
    return this.createTx(input, at);
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = this.db.get<TokenRow>('SELECT * FROM tokens WHERE hash = ?', hash);
    return row && tokenOf(row);
  }

  async list(): Promise<TokenRecord[]> {
    return this.db.all<TokenRow>('SELECT * FROM tokens ORDER BY created_at, name, id').map(tokenOf);
  }

  async revoke(id: string, at: Instant): Promise<TokenRecord | undefined> {
    return this.revokeTx(id, at);
  }

  async count(): Promise<number> {
    return this.db.get<{ n: number }>('SELECT count(*) AS n FROM tokens')?.n ?? 0;
  }

  private byId(id: string): TokenRecord | undefined {
    const row = this.db.get<TokenRow>('SELECT * FROM tokens WHERE id = ?', id);
    return row && tokenOf(row);
  }
}
