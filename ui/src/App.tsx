// The signed-in frame: who is signed in, the product's pages in the navigation (those the role
// may use), and the page the URL's hash names.
import { useCallback, useEffect, useState } from 'react';
import { ApiClient, type Caller, type Role } from './api.js';
import { Failure } from './components/Failure.js';
import { EnvironmentPage } from './pages/EnvironmentPage.js';
import { EventPage } from './pages/EventPage.js';
import { ImagePage } from './pages/ImagePage.js';
import { MonitoringPage } from './pages/MonitoringPage.js';
import { RulePage } from './pages/RulePage.js';
import { RulesPage } from './pages/RulesPage.js';
import { ScansPage } from './pages/ScansPage.js';
import { SignIn } from './pages/SignIn.js';
import { TokensPage } from './pages/TokensPage.js';
import { parseRoute, type Route } from './route.js';
import { mayAdminister } from './roles.js';
import { forgetToken, storedToken, storeToken } from './session.js';

interface Session {
  readonly api: ApiClient;
  readonly caller: Caller;
}

/** The navigation: each section, the pages it holds (its link is marked while one is shown), and who is offered it. */
const SECTIONS: readonly { readonly href: string; readonly label: string; readonly pages: readonly Route['page'][]; readonly offered?: (role: Role) => boolean }[] = [
  { href: '#/events', label: 'Admission monitoring', pages: ['events', 'event'] },
  { href: '#/rules', label: 'Security rules', pages: ['rules', 'rule'] },
  { href: '#/scans', label: 'Scans', pages: ['scans', 'image'] },
  { href: '#/environment', label: 'Environment settings', pages: ['environment'] },
  { href: '#/tokens', label: 'API tokens', pages: ['tokens'], offered: mayAdminister },
];

export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [checking, setChecking] = useState(storedToken() !== undefined);
  const [signInError, setSignInError] = useState<unknown>();
  const route = useHashRoute();

  const signOut = useCallback((reason?: string) => {
    forgetToken();
    setSession(undefined);
    setSignInError(reason === undefined ? undefined : new Error(reason));
  }, []);

  const opened = useCallback((token: string) => openSession(token, () => signOut('The control plane no longer accepts this token (revoked or expired): sign in again.')), [signOut]);

  const signIn = useCallback(
    (token: string) =>
      opened(token).then(
        (started) => {
          storeToken(token);
          setSignInError(undefined);
          setSession(started);
        },
        (error: unknown) => {
          forgetToken();
          setSignInError(error);
        },
      ),
    [opened],
  );

  // A reload of the tab keeps its session: the stored token is signed in with again.
  useEffect(() => {
    const token = storedToken();
    if (token !== undefined) void signIn(token).then(() => setChecking(false));
  }, [signIn]);

  if (checking) return <p className="loading">Signing in…</p>;
  if (!session) return <SignIn onSignIn={signIn} error={signInError} />;
  return (
    <>
      <header className="top">
        <span className="brand">Portcullis</span>
        <nav>
          {SECTIONS.filter((section) => section.offered?.(session.caller.role) ?? true).map((section) => (
            <a key={section.href} href={section.href} className={section.pages.includes(route.page) ? 'current' : ''}>
              {section.label}
            </a>
          ))}
        </nav>
        <span className="caller">
          {session.caller.name} <span className="muted">({session.caller.role})</span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        <Page route={route} session={session} />
      </main>
    </>
  );
}

function Page({ route, session }: { route: Route; session: Session }) {
  const { api, caller } = session;
  switch (route.page) {
    case 'events':
      return <MonitoringPage api={api} filters={route.filters} />;
    case 'event':
      return <EventPage api={api} id={route.id} />;
    case 'rules':
      return <RulesPage api={api} caller={caller} />;
    case 'rule':
      return <RulePage api={api} id={route.id} caller={caller} />;
    case 'image':
      return <ImagePage api={api} reference={route.reference} />;
    case 'scans':
      return <ScansPage api={api} caller={caller} />;
    case 'environment':
      return <EnvironmentPage api={api} caller={caller} />;
    case 'tokens':
      return mayAdminister(caller.role) ? <TokensPage api={api} /> : <Failure error={new Error('API tokens are for an Admin: the API refuses other roles.')} />;
  }
}

/** A session is a token the control plane accepts: whoami says whose it is and its role. */
async function openSession(token: string, onUnauthorized: () => void): Promise<Session> {
  const api = new ApiClient(token, onUnauthorized);
  return { api, caller: await api.get<Caller>('/api/v1/whoami') };
}

function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}
