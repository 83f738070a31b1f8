// Environment settings (the seeds' Environment Settings): the clusters Portcullis guards, the
// switches of the cloud accounts they run in (Security Gating, Registry Access, Security
// Findings), and the installation's settings. An Admin changes them; the other roles read them.
import { useState } from 'react';
import type { AccountSwitch, AccountView, ApiClient, Caller, ClusterRegistration, ClusterView, SettingsView } from '../api.js';
import { AccountSwitches } from '../components/AccountSwitches.js';
import { ClusterForm } from '../components/ClusterForm.js';
import { ClusterList } from '../components/ClusterList.js';
import { Failure } from '../components/Failure.js';
import { SettingsFacts } from '../components/SettingsFacts.js';
import { SettingsForm } from '../components/SettingsForm.js';
import { accountPath, clustersIn, withAccount } from '../cloud-accounts.js';
import { mayAdminister } from '../roles.js';
import type { SettingsChange } from '../settings-change.js';
import { useLoaded } from '../useApi.js';

export function EnvironmentPage({ api, caller }: { api: ApiClient; caller: Caller }) {
  const mayChange = mayAdminister(caller.role);
  return (
    <section className="environment">
      <h1>Environment settings</h1>
      <CloudEnvironment api={api} mayChange={mayChange} />
      <InstallationSettings api={api} mayChange={mayChange} />
    </section>
  );
}

interface Environment {
  readonly clusters: readonly ClusterView[];
  readonly accounts: readonly AccountView[];
}

/**
 * Clusters and accounts, read together: registering a cluster lists its account, and a cluster
 * shows its account's switches. One change at a time, so each starts from what is shown and no
 * answer overwrites another's.
 */
function CloudEnvironment({ api, mayChange }: { api: ApiClient; mayChange: boolean }) {
  const load = async (): Promise<Environment> => {
    const [{ clusters }, { accounts }] = await Promise.all([api.get<{ clusters: ClusterView[] }>('/api/v1/clusters'), api.get<{ accounts: AccountView[] }>('/api/v1/accounts')]);
    return { clusters, accounts };
  };
  const [loaded, setLoaded] = useLoaded(load, 'clusters and accounts');
  const [busy, setBusy] = useState(false);

  if (loaded.state !== 'loaded') {
    return loaded.state === 'loading' ? <p className="loading">Loading…</p> : <Failure error={loaded.error} />;
  }
  const environment = loaded.value;
  /** A change made, then what it answered shown; a refusal is thrown to the part that shows it. */
  const changing = async (change: () => Promise<Environment>) => {
    setBusy(true);
    try {
      setLoaded(await change());
    } finally {
      setBusy(false);
    }
  };
  const register = (cluster: ClusterRegistration) =>
    changing(async () => {
      await api.post('/api/v1/clusters', cluster);
      return load();
    });
  const remove = (name: string) =>
    changing(async () => {
      await api.delete(`/api/v1/clusters/${encodeURIComponent(name)}`);
      return load();
    });
  const turn = (account: AccountView) => (change: Partial<Record<AccountSwitch, boolean>>) =>
    changing(async () => ({ ...environment, accounts: withAccount(environment.accounts, await api.put<AccountView>(accountPath(account), change)) }));

  return (
    <>
      <h2>Clusters</h2>
      <p className="muted">The clusters Portcullis guards. The cloud account a cluster runs in decides which rules&apos; cloud scopes and which switches apply to it.</p>
      <ClusterList clusters={environment.clusters} accounts={environment.accounts} busy={busy} {...(mayChange && { onRemove: remove })} />
      {mayChange && <ClusterForm onRegister={register} disabled={busy} />}
      <h2>Cloud accounts</h2>
      <p className="muted">
        Per Azure subscription, AWS account or GCP project, the switches of its clusters&apos; protection. A switch never changed is on, as in a new environment; a webhook applies a change at its next sync.
      </p>
      {environment.accounts.length === 0 && <p className="empty">No cloud accounts: register a cluster with its provider and account.</p>}
      {environment.accounts.map((account) => (
        <AccountSwitches
          key={`${account.provider}/${account.account}`}
          account={account}
          clusters={clustersIn(account, environment.clusters)}
          busy={busy}
          {...(mayChange && { onChange: turn(account) })}
        />
      ))}
    </>
  );
}

function InstallationSettings({ api, mayChange }: { api: ApiClient; mayChange: boolean }) {
  const [loaded, setLoaded] = useLoaded(() => api.get<SettingsView>('/api/v1/settings'), 'settings');
  const save = async (change: SettingsChange) => setLoaded(await api.put<SettingsView>('/api/v1/settings', change));
  return (
    <>
      <h2>Settings</h2>
      <p className="muted">For the whole installation: retention on the control plane; recording and break glass in every cluster&apos;s webhook, from its next sync.</p>
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <Failure error={loaded.error} />}
      {loaded.state === 'loaded' &&
        (mayChange ? (
          // A new draft from each answer of the API: what it kept, not what was typed.
          <SettingsForm key={JSON.stringify(loaded.value)} settings={loaded.value} onSave={save} />
        ) : (
          <SettingsFacts settings={loaded.value} />
        ))}
    </>
  );
}
