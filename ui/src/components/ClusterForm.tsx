// Register a cluster: its name, and the cloud provider and account it runs in, which decide which
// rules' cloud scopes and which account's switches apply to it. The API checks the name's form
// and that an account comes with its provider.
import { useState, type FormEvent } from 'react';
import { CLOUD_PROVIDERS, type CloudProvider } from '../../../src/policy/rule.js';
import type { ClusterRegistration } from '../api.js';
import { ACCOUNT_KINDS, PROVIDER_NAMES } from '../cloud-accounts.js';
import { useSubmission } from '../useSubmission.js';
import { Failure } from './Failure.js';

const ACCOUNT_EXAMPLES: Readonly<Record<CloudProvider, string>> = { azure: '00000000-0000-0000-0000-000000000000', aws: '123456789012', gcp: 'my-project' };

export function ClusterForm({ onRegister, disabled }: { onRegister: (cluster: ClusterRegistration) => Promise<void>; disabled: boolean }) {
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<CloudProvider | ''>('');
  const [account, setAccount] = useState('');
  const { busy, error, send } = useSubmission();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const cluster: ClusterRegistration = { name: name.trim(), ...(provider !== '' && { provider }), ...(account.trim() !== '' && { account: account.trim() }) };
    send(async () => {
      await onRegister(cluster);
      setName('');
      setAccount('');
    });
  };
  return (
    <form className="cluster-form" onSubmit={submit} aria-label="Register a cluster">
      <label>
        Name
        <input name="name" value={name} onChange={(event) => setName(event.target.value)} placeholder="prod-eu" required />
      </label>
      <label>
        Cloud provider
        <select name="provider" value={provider} onChange={(event) => setProvider(event.target.value as CloudProvider | '')}>
          <option value="">none</option>
          {CLOUD_PROVIDERS.map((option) => (
            <option key={option} value={option}>
              {PROVIDER_NAMES[option]}
            </option>
          ))}
        </select>
      </label>
      <label>
        {provider === '' ? 'Account' : `Account (${ACCOUNT_KINDS[provider]} id)`}
        <input name="account" value={account} onChange={(event) => setAccount(event.target.value)} placeholder={provider === '' ? 'none' : ACCOUNT_EXAMPLES[provider]} />
      </label>
      <div className="actions">
        <button type="submit" disabled={busy || disabled}>
          Register cluster
        </button>
      </div>
      <p className="muted hint">A name registered already is registered again: its provider and account are replaced.</p>
      {error !== undefined && <Failure error={error} />}
    </form>
  );
}
