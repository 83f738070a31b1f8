import type { CloudProvider } from '../../policy/rule.js';
import { accountOf, clusterOf, type AccountRow, type ClusterRow } from '../rows.js';
import type { AccountChange, AccountSettings, Cluster, ClusterStore, Instant } from '../store.js';
import type { PostgresDatabase } from './database.js';

export class PostgresClusters implements ClusterStore {
  constructor(private readonly db: PostgresDatabase) {}

  async list(): Promise<Cluster[]> {
    return (await this.db.all<ClusterRow>('SELECT * FROM clusters ORDER BY name')).map(clusterOf);
  }

  async get(name: string): Promise<Cluster | undefined> {
    const row = await this.db.get<ClusterRow>('SELECT * FROM clusters WHERE name = $1', name);
    return row && clusterOf(row);
  }

  async upsert(cluster: { name: string; provider?: CloudProvider; account?: string }, at: Instant): Promise<Cluster> {
    // Re-registering replaces provider and account; the cluster keeps when it was first registered and last seen.
    const row = await this.db.get<ClusterRow>(
      `INSERT INTO clusters (name, provider, account, registered_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO UPDATE SET provider = excluded.provider, account = excluded.account
       RETURNING *`,
      cluster.name, cluster.provider ?? null, cluster.account ?? null, at,
    );
    return clusterOf(row as ClusterRow);
  }

  async delete(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM clusters WHERE name = $1', name)) > 0;
  }

  async touch(name: string, at: Instant): Promise<void> {
    await this.db.run('UPDATE clusters SET last_seen_at = $2 WHERE name = $1', name, at);
  }

  async listAccounts(): Promise<AccountSettings[]> {
    return (await this.db.all<AccountRow>('SELECT * FROM accounts ORDER BY provider, account')).map(accountOf);
  }

  async account(provider: CloudProvider, account: string): Promise<AccountSettings | undefined> {
    const row = await this.db.get<AccountRow>('SELECT * FROM accounts WHERE provider = $1 AND account = $2', provider, account);
    return row && accountOf(row);
  }

  async changeAccount(provider: CloudProvider, account: string, change: AccountChange, actor: string, at: Instant): Promise<AccountSettings> {
    const row = await this.db.get<AccountRow>(
      `INSERT INTO accounts (provider, account, gating, registry_access, security_findings, updated_at, updated_by)
       VALUES ($1, $2, COALESCE($3::boolean, true), COALESCE($4::boolean, true), COALESCE($5::boolean, true), $6, $7)
       ON CONFLICT (provider, account) DO UPDATE SET gating = COALESCE($3::boolean, accounts.gating), registry_access = COALESCE($4::boolean, accounts.registry_access),
         security_findings = COALESCE($5::boolean, accounts.security_findings), updated_at = excluded.updated_at, updated_by = excluded.updated_by
       RETURNING *`,
      provider, account, change.gating ?? null, change.registryAccess ?? null, change.securityFindings ?? null, at, actor,
    );
    return accountOf(row as AccountRow);
  }
}
