// Sign in with a bearer token: an Admin makes one per person (`portcullis tokens create --role
// SecurityReader --name alice`); the first start prints the admin's.
import { useState, type FormEvent } from 'react';
import { Failure } from '../components/Failure.js';

export function SignIn({ onSignIn, error }: { onSignIn: (token: string) => Promise<void>; error: unknown }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    void onSignIn(token.trim()).finally(() => setBusy(false));
  };
  return (
    <main className="sign-in">
      <h1>Portcullis</h1>
      <p>Gated deployment for Kubernetes: admission monitoring and security rules.</p>
      <form onSubmit={submit}>
        <label>
          API token
          <input type="password" name="token" autoComplete="off" value={token} onChange={(event) => setToken(event.target.value)} required />
        </label>
        <button type="submit" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
      </form>
      <p className="muted">
        An Admin creates tokens: <code>portcullis tokens create --role SecurityReader --name alice</code>. The token is kept in this tab only, until it closes.
      </p>
      {error !== undefined && <Failure error={error} />}
    </main>
  );
}
