// The clusters Portcullis guards: each with the cloud account it runs in and the switches that
// apply to it there; for an Admin, removing one, after a second click that says what follows.
import { useState } from 'react';
import type { AccountView, ClusterView } from '../api.js';
import { accountOf, PROVIDER_NAMES, switchesOf } from '../cloud-accounts.js';
import { formatTime } from '../format.js';
import { Failure } from './Failure.js';

/** Name, provider, account, switches, registered, last seen, and the Remove button. */
const COLUMNS = 7;

export function ClusterList({ clusters, accounts, onRemove, busy }: { clusters: readonly ClusterView[]; accounts: readonly AccountView[]; onRemove?: (name: string) => Promise<void>; busy: boolean }) {
  /** The cluster whose removal waits for its second click. */
  const [removing, setRemoving] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  if (clusters.length === 0) return <p className="empty">No clusters registered.</p>;
  const remove = (name: string) => {
    if (!onRemove) return;
    setError(undefined);
    onRemove(name).then(
      () => setRemoving(undefined),
      (failure: unknown) => setError(failure),
    );
  };
  return (
    <>
      <table className="clusters">
        <thead>
          <tr>
            <th>Name</th>
            <th>Provider</th>
            <th>Account</th>
            <th>Switches that apply</th>
            <th>Registered</th>
            <th>Last seen</th>
            {onRemove && <th />}
          </tr>
        </thead>
        {clusters.map((cluster) => (
          // One body per cluster: its row, and below it the confirmation its Remove asks for.
          <tbody key={cluster.name}>
            <tr>
              <td>{cluster.name}</td>
              <td>{cluster.provider === undefined ? <span className="muted">none</span> : PROVIDER_NAMES[cluster.provider]}</td>
              <td>{cluster.account ?? <span className="muted">none</span>}</td>
              <td>
                <Switches account={accountOf(cluster, accounts)} />
              </td>
              <td>{formatTime(cluster.registeredAt)}</td>
              <td>{cluster.lastSeenAt === undefined ? <span className="muted">never synced</span> : formatTime(cluster.lastSeenAt)}</td>
              {onRemove && (
                <td>
                  <button type="button" disabled={busy || removing === cluster.name} onClick={() => setRemoving(cluster.name)}>
                    Remove
                  </button>
                </td>
              )}
            </tr>
            {removing === cluster.name && (
              <tr>
                <td colSpan={COLUMNS}>
                  <RemoveConfirmation name={cluster.name} busy={busy} onRemove={() => remove(cluster.name)} onCancel={() => setRemoving(undefined)} />
                </td>
              </tr>
            )}
          </tbody>
        ))}
      </table>
      {error !== undefined && <Failure error={error} />}
    </>
  );
}

/** On and off marks, one per switch; a cluster without an account has every switch on. */
function Switches({ account }: { account: AccountView | undefined }) {
  return (
    <span className="switch-states">
      {switchesOf(account).map(({ name, on }) => (
        <span key={name} className={on ? 'badge enabled' : 'badge disabled'}>
          {name} {on ? 'on' : 'off'}
        </span>
      ))}
    </span>
  );
}

/** What removing a cluster does, which is less than it may seem: its webhook is not stopped. */
function RemoveConfirmation({ name, busy, onRemove, onCancel }: { name: string; busy: boolean; onRemove: () => void; onCancel: () => void }) {
  return (
    <div className="confirm" role="group" aria-label={`Remove the cluster ${name}`}>
      <p>
        Remove <strong>{name}</strong>? A webhook still running there goes on guarding it, but with no cloud account: every switch on, and rules scoped to a cloud no longer match it. Its
        admission events stay until retention prunes them.
      </p>
      <div className="actions">
        <button type="button" className="danger" disabled={busy} onClick={onRemove}>
          Remove the cluster
        </button>
        <button type="button" disabled={busy} onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
