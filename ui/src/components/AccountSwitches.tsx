// One cloud account's switches, the seeds' plan extensions (Security Gating, Registry Access,
// Security Findings), each with what turning it off means, and who changed them when. An Admin
// turns one on or off; the box shows the switch as the API answered, never as clicked. Other
// roles see them disabled: the API refuses them a change whatever the page does.
import { useId, useState } from 'react';
import type { AccountSwitch, AccountView } from '../api.js';
import { ACCOUNT_SWITCHES, accountTitle, changedText } from '../cloud-accounts.js';
import { Failure } from './Failure.js';

export function AccountSwitches({
  account,
  clusters,
  onChange,
  busy,
}: {
  account: AccountView;
  /** The registered clusters that run in the account. */
  clusters: readonly string[];
  /** Absent for the roles that may not change switches. */
  onChange?: (change: Partial<Record<AccountSwitch, boolean>>) => Promise<void>;
  busy: boolean;
}) {
  const id = useId();
  const [error, setError] = useState<unknown>();
  const turn = (key: AccountSwitch, on: boolean) => {
    if (!onChange) return;
    setError(undefined);
    onChange({ [key]: on }).catch((failure: unknown) => setError(failure));
  };
  const title = accountTitle(account);
  return (
    <section className="account" aria-label={title}>
      <h3>{title}</h3>
      <p className="muted">{clusters.length > 0 ? `Clusters: ${clusters.join(', ')}` : 'No registered cluster runs in it.'}</p>
      <ul className="switches">
        {ACCOUNT_SWITCHES.map(({ key, name, whenOff }) => (
          <li key={key}>
            <label className="check">
              <input type="checkbox" name={key} checked={account[key]} disabled={!onChange || busy} aria-describedby={`${id}-${key}`} onChange={(event) => turn(key, event.target.checked)} />
              {name}
            </label>
            <span className={account[key] ? 'badge enabled' : 'badge disabled'}>{account[key] ? 'On' : 'Off'}</span>
            <p id={`${id}-${key}`} className="muted">
              {whenOff}
            </p>
          </li>
        ))}
      </ul>
      <p className="muted">{changedText(account)}</p>
      {error !== undefined && <Failure error={error} />}
    </section>
  );
}
