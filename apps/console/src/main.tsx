import { render, type FunctionComponent } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ME, type Member } from './operations.js';
import { AlertsPage } from './pages/alerts.js';
import { AuditPage } from './pages/audit.js';
import { InvitationsPage } from './pages/invitations.js';
import { KeysPage } from './pages/keys.js';
import { MembersPage } from './pages/members.js';
import { EXTRA_PAGES } from './pages/extra.js';
import { ReportPage } from './pages/report.js';
import { SuppressionPage } from './pages/suppression.js';
import { WebhooksPage } from './pages/webhooks.js';
import { parseCredentialFile, Session, SignInError } from './session.js';
import { ErrorBox } from './ui.js';
import './styles.css';

const BASE = '/console/';

interface PageDef {
  path: string;
  label: string;
  adminOnly: boolean;
  component: FunctionComponent<{ session: Session; me: Member; reload: () => void }>;
}

const PAGES: PageDef[] = [
  { path: 'members', label: 'Members', adminOnly: true, component: MembersPage },
  { path: 'invitations', label: 'Invitations', adminOnly: true, component: InvitationsPage },
  { path: 'report', label: 'Report', adminOnly: true, component: ReportPage },
  { path: 'suppression', label: 'Suppression', adminOnly: true, component: SuppressionPage },
  { path: 'audit', label: 'Audit log', adminOnly: true, component: AuditPage },
  { path: 'alerts', label: 'Alerts', adminOnly: false, component: AlertsPage },
  { path: 'webhooks', label: 'Webhooks', adminOnly: false, component: WebhooksPage },
  { path: 'keys', label: 'Keys', adminOnly: false, component: KeysPage },
  ...EXTRA_PAGES,
];

const currentPath = () => location.pathname.slice(BASE.length).replace(/\/+$/, '');

function SignIn({ onSignedIn }: { onSignedIn: (session: Session, me: Member) => void }) {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const pick = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      const session = await Session.start(parseCredentialFile(await file.text()));
      const { me } = await session.gql<{ me: Member }>(ME);
      onSignedIn(session, me);
    } catch (e) {
      setError(e instanceof SignInError ? e.message : `Sign-in failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Sigfed console</h1>
      <p>
        Sign in with the credentials file onboarding wrote for you (<code>sigfed join</code> or <code>bootstrap-admin</code>).
      </p>
      <label class="file">
        Credentials file
        <input type="file" accept=".json,application/json" disabled={busy} onChange={(e) => void pick(e.currentTarget.files?.[0])} />
      </label>
      <p class="muted">
        The private key is used inside this tab to sign each sign-in request and is never sent or stored: closing the tab signs you out.
      </p>
      {busy ? <p role="status">Signing in…</p> : null}
      <ErrorBox error={error} />
    </main>
  );
}

function App() {
  const [signedIn, setSignedIn] = useState<{ session: Session; me: Member } | undefined>();
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const onPop = () => setPath(currentPath());
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const go = useCallback((to: string) => {
    history.pushState(null, '', BASE + to);
    setPath(to);
  }, []);
  const reloadMe = useCallback(() => {
    if (!signedIn) return;
    void signedIn.session.gql<{ me: Member }>(ME).then(({ me }) => setSignedIn({ session: signedIn.session, me }));
  }, [signedIn]);

  if (!signedIn) return <SignIn onSignedIn={(session, me) => setSignedIn({ session, me })} />;
  const { session, me } = signedIn;
  const allowed = PAGES.filter((p) => !p.adminOnly || me.role === 'ADMIN');
  const page = allowed.find((p) => p.path === path) ?? allowed[0];
  const Page = page.component;
  return (
    <>
      <header class="top">
        <span class="brand">Sigfed</span>
        <nav aria-label="Pages">
          {allowed.map((p) => (
            <a
              href={BASE + p.path}
              aria-current={p === page ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                go(p.path);
              }}
            >
              {p.label}
            </a>
          ))}
        </nav>
        <div class="who" data-testid="who">
          Signed in as <strong>{me.name}</strong> <span class="role">{me.role === 'ADMIN' ? 'operator (admin)' : 'member'}</span>
          <button type="button" class="link" onClick={() => location.reload()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main">
        <h1 class="page-title">{page.label}</h1>
        <Page session={session} me={me} reload={reloadMe} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
