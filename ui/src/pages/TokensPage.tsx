// API tokens, for an Admin: who and what may call Portcullis with which role. A new token's
// secret is shown once, as the API answers it once; a token is revoked after a second click.
import { useState, type FormEvent } from 'react';
import { ROLES } from '../../../src/store/roles.js';
import type { ApiClient, Role } from '../api.js';
import { Failure } from '../components/Failure.js';
import { formatTime, localInputToInstant } from '../format.js';
import { useLoaded } from '../useApi.js';
import { useSubmission } from '../useSubmission.js';

export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly state: 'active' | 'revoked' | 'expired';
  readonly createdAt: string;
  readonly createdBy?: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

/** What each role is for, in the words of the README's table. */
const ROLE_USES: Readonly<Record<Role, string>> = {
  Admin: 'everything: tokens, settings, clusters and account switches',
  SecurityAdmin: 'create, change, disable and delete rules and exemptions; post scans; read all',
  SecurityReader: 'read everything',
  Sensor: "a cluster's webhook: read rules, sync, post admission events",
  Scanner: 'post scan reports (a CI pipeline)',
};

export function TokensPage({ api }: { api: ApiClient }) {
  const load = () => api.get<{ tokens: TokenView[] }>('/api/v1/tokens');
  const [loaded, setLoaded] = useLoaded(load, 'tokens');
  const [created, setCreated] = useState<(TokenView & { token: string }) | undefined>();
  const [revoking, setRevoking] = useState<string | undefined>();
  const { error, send } = useSubmission();
  const reload = async () => setLoaded(await load());

  const revoke = (id: string) =>
    send(async () => {
      await api.delete<TokenView>(`/api/v1/tokens/${encodeURIComponent(id)}`);
      setRevoking(undefined);
      await reload();
    });

  return (
    <section>
      <h1>API tokens</h1>
      <NewTokenForm
        onCreate={async (request) => {
          const token = await api.post<TokenView & { token: string }>('/api/v1/tokens', request);
          setCreated(token);
          await reload();
        }}
      />
      {created && (
        <div className="secret" role="status">
          <p>
            The token for <strong>{created.name}</strong> ({created.role}). It is shown this once: store it now.
          </p>
          <code className="token">{created.token}</code>
          <div className="actions">
            <button type="button" onClick={() => setCreated(undefined)}>
              I have stored it
            </button>
          </div>
        </div>
      )}
      {error !== undefined && <Failure error={error} />}
      {loaded.state === 'loading' && <p className="loading">Loading…</p>}
      {loaded.state === 'failed' && <Failure error={loaded.error} />}
      {loaded.state === 'loaded' && (
        <table className="tokens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>State</th>
              <th>Created</th>
              <th>Expires</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {loaded.value.tokens.map((token) => (
              <tr key={token.id} className={token.state === 'active' ? '' : 'disabled'}>
                <td>{token.name}</td>
                <td>{token.role}</td>
                <td>{token.state === 'revoked' && token.revokedAt !== undefined ? `revoked ${formatTime(token.revokedAt)}` : token.state}</td>
                <td>
                  {formatTime(token.createdAt)} {token.createdBy !== undefined && <span className="muted">by {token.createdBy}</span>}
                </td>
                <td>{token.expiresAt !== undefined ? formatTime(token.expiresAt) : 'never'}</td>
                <td>
                  {token.state === 'active' &&
                    (revoking === token.id ? (
                      <span className="actions">
                        <button type="button" className="danger" onClick={() => revoke(token.id)}>
                          Revoke {token.name}
                        </button>
                        <button type="button" onClick={() => setRevoking(undefined)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button type="button" onClick={() => setRevoking(token.id)}>
                        Revoke
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function NewTokenForm({ onCreate }: { onCreate: (request: { name: string; role: Role; expiresAt?: string }) => Promise<void> }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('SecurityReader');
  const [expires, setExpires] = useState('');
  const { busy, error, send } = useSubmission();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const expiresAt = localInputToInstant(expires);
    send(async () => {
      await onCreate({ name: name.trim(), role, ...(expiresAt !== '' && { expiresAt }) });
      setName('');
      setExpires('');
    });
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="New token">
      <label>
        Name
        <input name="name" value={name} onChange={(event) => setName(event.target.value)} placeholder="alice, ci-scanner, cluster prod-eu" required />
      </label>
      <label>
        Role
        <select name="role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
          {ROLES.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      </label>
      <label>
        Expires
        <input type="datetime-local" name="expires" value={expires} onChange={(event) => setExpires(event.target.value)} />
      </label>
      <p className="muted">{ROLE_USES[role]}</p>
      <div className="actions">
        <button type="submit" disabled={busy}>
          Create token
        </button>
      </div>
      {error !== undefined && <Failure error={error} />}
    </form>
  );
}
