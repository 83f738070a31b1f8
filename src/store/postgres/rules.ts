import { randomUUID } from 'node:crypto';
import type { Rule } from '../../policy/rule.js';
import { checkExpectedVersion, checkUpdateChange, nameKey, nameTaken, ruleNotFound } from '../rule-checks.js';
import { ruleOf, ruleVersionOf, type RuleRow, type RuleVersionRow } from '../rows.js';
import type { Instant, RuleChange, RuleStore, RuleVersion, StoredRule } from '../store.js';
import { isUniqueViolation, type PostgresDatabase, type PostgresSession } from './database.js';

const LIVE_BY_ID = 'SELECT * FROM rules WHERE id = $1 AND deleted_at IS NULL';
const LIVE_BY_NAME = 'SELECT * FROM rules WHERE name_key = $1 AND deleted_at IS NULL';
/** The rule row a change is made to, locked until commit so changes to one rule queue up. */
const LIVE_BY_ID_FOR_UPDATE = `${LIVE_BY_ID} FOR UPDATE`;
const INSERT_VERSION = 'INSERT INTO rule_versions (rule_id, version, name, document, change, actor, at) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)';

export class PostgresRules implements RuleStore {
  constructor(private readonly db: PostgresDatabase) {}

  async list(): Promise<StoredRule[]> {
    return (await this.db.all<RuleRow>('SELECT * FROM rules WHERE deleted_at IS NULL ORDER BY name_key, id')).map(ruleOf);
  }

  async get(id: string): Promise<StoredRule | undefined> {
    const row = await this.db.get<RuleRow>(LIVE_BY_ID, id);
    return row && ruleOf(row);
  }

  async getByName(name: string): Promise<StoredRule | undefined> {
    const row = await this.db.get<RuleRow>(LIVE_BY_NAME, nameKey(name));
    return row && ruleOf(row);
  }

  async create(document: Rule, actor: string, at: Instant): Promise<StoredRule> {
    return this.naming(document, (tx) => this.insert(tx, document, actor, at));
  }

  async update(id: string, document: Rule, change: RuleChange, actor: string, at: Instant, expectedVersion?: number): Promise<StoredRule> {
    checkUpdateChange(change);
    return this.naming(document, async (tx) => {
      const current = await tx.get<RuleRow>(LIVE_BY_ID_FOR_UPDATE, id);
      if (!current) throw ruleNotFound(id);
      checkExpectedVersion(current.name, current.version, expectedVersion);
      const key = nameKey(document.name);
      const holder = await tx.get<RuleRow>(LIVE_BY_NAME, key);
      if (holder && holder.id !== id) throw nameTaken(document);
      const version = current.version + 1;
      const json = JSON.stringify(document);
      await tx.run(INSERT_VERSION, id, version, document.name, json, change, actor, at);
      const row = await tx.get<RuleRow>(
        `UPDATE rules SET name = $2, name_key = $3, version = $4, document = $5::jsonb, enabled = $6, updated_at = $7, updated_by = $8, seq = $9
         WHERE id = $1 RETURNING *`,
        id, document.name, key, version, json, document.enabled, at, actor, await tx.nextSeq(),
      );
      return ruleOf(row as RuleRow);
    });
  }

  async delete(id: string, actor: string, at: Instant): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const current = await tx.get<RuleRow>(LIVE_BY_ID_FOR_UPDATE, id);
      if (!current) return false;
      const version = current.version + 1;
      // The last version keeps the document as it was, so history shows what was deleted.
      await tx.run(INSERT_VERSION, id, version, current.name, current.document, 'Deleted', actor, at);
      await tx.run('UPDATE rules SET version = $2, updated_at = $3, updated_by = $4, deleted_at = $5, seq = $6 WHERE id = $1', id, version, at, actor, at, await tx.nextSeq());
      return true;
    });
  }

  async versions(id: string): Promise<RuleVersion[]> {
    return (await this.db.all<RuleVersionRow>('SELECT * FROM rule_versions WHERE rule_id = $1 ORDER BY version', id)).map(ruleVersionOf);
  }

  async changesSince(seq: number): Promise<{ rule: StoredRule; deleted: boolean }[]> {
    return (await this.db.all<RuleRow>('SELECT * FROM rules WHERE seq > $1 ORDER BY seq', seq)).map((row) => ({ rule: ruleOf(row), deleted: row.deleted_at !== null }));
  }

  private async insert(tx: PostgresSession, document: Rule, actor: string, at: Instant): Promise<StoredRule> {
    const key = nameKey(document.name);
    if (await tx.get(LIVE_BY_NAME, key)) throw nameTaken(document);
    const id = randomUUID();
    const json = JSON.stringify(document);
    const row = await tx.get<RuleRow>(
      `INSERT INTO rules (id, name, name_key, version, document, enabled, created_at, created_by, updated_at, updated_by, seq)
       VALUES ($1, $2, $3, 1, $4::jsonb, $5, $6, $7, $6, $7, $8) RETURNING *`,
      id, document.name, key, json, document.enabled, at, actor, await tx.nextSeq(),
    );
    await tx.run(INSERT_VERSION, id, 1, document.name, json, 'Created', actor, at);
    return ruleOf(row as RuleRow);
  }

  /**
   * `fn` in a transaction, where a name taken by a transaction that committed after our look
   * (two replicas creating the same rule at once) fails on the unique index: the same conflict.
   */
  private async naming<R>(document: Rule, fn: (tx: PostgresSession) => Promise<R>): Promise<R> {
    try {
      return await this.db.transaction(fn);
    } catch (error) {
      if (isUniqueViolation(error, 'rules_live_name')) throw nameTaken(document);
      throw error;
    }
  }
}
