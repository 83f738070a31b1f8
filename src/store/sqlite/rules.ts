import { randomUUID } from 'node:crypto';
import type { Rule } from '../../policy/rule.js';
import { checkExpectedVersion, checkUpdateChange, nameKey, nameTaken, ruleNotFound } from '../rule-checks.js';
import { ruleOf, ruleVersionOf, type RuleRow, type RuleVersionRow } from '../rows.js';
import type { Instant, RuleChange, RuleStore, RuleVersion, StoredRule } from '../store.js';
import { flag, type SqliteDatabase } from './database.js';

const LIVE_BY_ID = 'SELECT * FROM rules WHERE id = ? AND deleted_at IS NULL';
const LIVE_BY_NAME = 'SELECT * FROM rules WHERE name_key = ? AND deleted_at IS NULL';
const INSERT_VERSION = 'INSERT INTO rule_versions (rule_id, version, name, document, change, actor, at) VALUES (?, ?, ?, ?, ?, ?, ?)';

export class SqliteRules implements RuleStore {
  private readonly createTx;
  private readonly updateTx;
  private readonly deleteTx;

  constructor(private readonly db: SqliteDatabase) {
    this.createTx = db.writer((document: Rule, actor: string, at: Instant): StoredRule => {
      const key = nameKey(document.name);
      if (db.get(LIVE_BY_NAME, key)) throw nameTaken(document);
      const id = randomUUID();
      const json = JSON.stringify(document);
      db.run(
        `INSERT INTO rules (id, name, name_key, version, document, enabled, created_at, created_by, updated_at, updated_by, seq)
         VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`,
        id, document.name, key, json, flag(document.enabled), at, actor, at, actor, db.nextSeq(),
      );
      db.run(INSERT_VERSION, id, 1, document.name, json, 'Created', actor, at);
      return this.live(id) as StoredRule;
    });

    this.updateTx = db.writer((id: string, document: Rule, change: RuleChange, actor: string, at: Instant, expectedVersion: number | undefined): StoredRule => {
      checkUpdateChange(change);
      const current = db.get<RuleRow>(LIVE_BY_ID, id);
      if (!current) throw ruleNotFound(id);
      checkExpectedVersion(current.name, current.version, expectedVersion);
      const key = nameKey(document.name);
      const holder = db.get<RuleRow>(LIVE_BY_NAME, key);
      if (holder && holder.id !== id) throw nameTaken(document);
      const version = current.version + 1;
      const json = JSON.stringify(document);
      db.run(
        `UPDATE rules SET name = ?, name_key = ?, version = ?, document = ?, enabled = ?, updated_at = ?, updated_by = ?, seq = ?
         WHERE id = ?`,
        document.name, key, version, json, flag(document.enabled), at, actor, db.nextSeq(), id,
      );
      db.run(INSERT_VERSION, id, version, document.name, json, change, actor, at);
      return this.live(id) as StoredRule;
    });

    this.deleteTx = db.writer((id: string, actor: string, at: Instant): boolean => {
      const current = db.get<RuleRow>(LIVE_BY_ID, id);
      if (!current) return false;
      const version = current.version + 1;
      db.run('UPDATE rules SET version = ?, updated_at = ?, updated_by = ?, deleted_at = ?, seq = ? WHERE id = ?', version, at, actor, at, db.nextSeq(), id);
      // The last version keeps the document as it was, so history shows what was deleted.
      db.run(INSERT_VERSION, id, version, current.name, current.document, 'Deleted', actor, at);
      return true;
    });
  }

  async list(): Promise<StoredRule[]> {
    return this.db.all<RuleRow>('SELECT * FROM rules WHERE deleted_at IS NULL ORDER BY name_key, id').map(ruleOf);
  }

  async get(id: string): Promise<StoredRule | undefined> {
    return this.live(id);
  }

  async getByName(name: string): Promise<StoredRule | undefined> {
    const row = this.db.get<RuleRow>(LIVE_BY_NAME, nameKey(name));
    return row && ruleOf(row);
  }

  async create(document: Rule, actor: string, at: Instant): Promise<StoredRule> {
    return this.createTx(document, actor, at);
  }

  async update(id: string, document: Rule, change: RuleChange, actor: string, at: Instant, expectedVersion?: number): Promise<StoredRule> {
    return this.updateTx(id, document, change, actor, at, expectedVersion);
  }

  async delete(id: string, actor: string, at: Instant): Promise<boolean> {
    return this.deleteTx(id, actor, at);
  }

  async versions(id: string): Promise<RuleVersion[]> {
    return this.db.all<RuleVersionRow>('SELECT * FROM rule_versions WHERE rule_id = ? ORDER BY version', id).map(ruleVersionOf);
  }

  async changesSince(seq: number): Promise<{ rule: StoredRule; deleted: boolean }[]> {
    return this.db.all<RuleRow>('SELECT * FROM rules WHERE seq > ? ORDER BY seq', seq).map((row) => ({ rule: ruleOf(row), deleted: row.deleted_at !== null }));
  }

  private live(id: string): StoredRule | undefined {
    const row = this.db.get<RuleRow>(LIVE_BY_ID, id);
    return row && ruleOf(row);
  }
}
