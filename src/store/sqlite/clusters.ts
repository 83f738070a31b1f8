import type { CloudProvider } from '../../policy/rule.js';
import { accountOf, clusterOf, type AccountRow, type ClusterRow } from '../rows.js';
import type { AccountChange, AccountSettings, Cluster, ClusterStore, Instant } from '../store.js';
import { flag, optional, type SqliteDatabase } from './database.js';

export class SqliteClusters implements ClusterStore {
  constructor(private readonly db: SqliteDatabase) {}

  async list(): Promise<Cluster[]> {
    return this.db.all<ClusterRow>('SELECT * FROM clusters ORDER BY name').map(clusterOf);
  }

  async get(name: string): Promise<Cluster | undefined> {
    const row = this.db.get<ClusterRow>('SELECT * FROM clusters WHERE name = ?', name);
    return row && clusterOf(row);
  }

  async upsert(cluster: { name: string; provider?: CloudProvider; account?: string }, at: Instant): Promise<Cluster> {
    // Re-registering replaces provider and account; the cluster keeps when it was first registered and last seen.
    const row = this.db.get<ClusterRow>(
      `INSERT INTO clusters (name, provider, account, registered_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET provider = excluded.provider, account = excluded.account
       RETURNING *`,
      cluster.name, optional(cluster.provider), optional(cluster.account), at,
    );
    return clusterOf(row as ClusterRow);
  }

  async delete(name: string): Promise<boolean> {
    return this.db.run('DELETE FROM clusters WHERE name = ?', name).changes > 0;
  }

  async touch(name: string, at: Instant): Promise<void> {
    this.db.run('UPDATE clusters SET last_seen_at = ? WHERE name = ?', at, name);
  }

  async listAccounts(): Promise<AccountSettings[]> {
    return this.db.all<AccountRow>('SELECT * FROM accounts ORDER BY provider, account').map(accountOf);
  }

  async account(provider: CloudProvider, account: string): Promise<AccountSettings | undefined> {
    const row = this.db.get<AccountRow>('SELECT * FROM accounts WHERE provider = ? AND account = ?', provider, account);
    return row && accountOf(row);
  }

  async changeAccount(provider: CloudProvider, account: string, change: AccountChange, actor: string, at: Instant): Promise<AccountSettings> {
    const switches = [change.gating, change.registryAccess, change.securityFindings].map((value) => (value === undefined ? null : flag(value)));
    const row = this.db.get<AccountRow>(
      `INSERT INTO accounts (provider, account, gating, registry_access, security_findings, updated_at, updated_by)
       VALUES (?, ?, COALESCE(?, 1), COALESCE(?, 1), COALESCE(?, 1), ?, ?)
       ON CONFLICT (provider, account) DO UPDATE SET gating = COALESCE(?, gating), registry_access = COALESCE(?, registry_access),
         security_findings = COALESCE(?, security_findings), updated_at = excluded.updated_at, updated_by = excluded.updated_by
       RETURNING *`,
      provider, account, ...switches, at, actor, ...switches,
    );
    return accountOf(row as AccountRow);
  }
}
