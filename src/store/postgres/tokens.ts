import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.js';
import { tokenOf, type TokenRow } from '../rows.js';
import type { Instant, TokenRecord, TokenStore } from '../store.js';
import { isUniqueViolation, type PostgresDatabase } from './database.js';

export class PostgresTokens implements TokenStore {
  constructor(private readonly db: PostgresDatabase) {}

  async create(input: Parameters<TokenStore['create']>[0], at: Instant): Promise<TokenRecord> {
    try {
      const row = await this.db.get<TokenRow>(
        `INSERT INTO tokens (id, name, role, hash, created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING *`,
        randomUUID(), input.name, input.role, input.hash, at, input.createdBy ?? null, input.expiresAt ?? null,
      );
      return tokenOf(row as TokenRow);
    } catch (error) {
      if (isUniqueViolation(error, 'tokens_hash_key')) throw new ConflictError('A token with this secret already exists.');
      throw error;
    }
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = await this.db.get<TokenRow>('SELECT * FROM tokens WHERE hash = $1', hash);
    return row && tokenOf(row);
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.db.all<TokenRow>('SELECT * FROM tokens ORDER BY created_at, name, id')).map(tokenOf);
  }

  async revoke(id: string, at: Instant): Promise<TokenRecord | undefined> {
    // The first revocation time stands: revoking again changes nothing.
    const row = await this.db.get<TokenRow>('UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING *', id, at);
    return row && tokenOf(row);
  }

  async count(): Promise<number> {
    return (await this.db.get<{ n: number }>('SELECT count(*) AS n FROM tokens'))?.n ?? 0;
  }
}
