// The dashboard: restore the session from the refresh cookie, then either the
// sign-in page or the signed-in shell with its pages (each loaded on demand,
// so the first load is the shell alone).
import { lazy, Suspense, useEffect, useRef, type ComponentType, type LazyExoticComponent } from 'react';
import { refresh, signOut } from '../api/session';
import { Loading } from '../components/states';
import { SignIn } from '../pages/SignIn';
import { Link, match, navigate, useLocation } from './router';
import { useSession } from './session';

type Page = LazyExoticComponent<ComponentType<{ params: Record<string, string> }>>;

const Overview = lazy(() => import('../pages/Overview'));
const Kanban = lazy(() => import('../pages/kanban/Kanban'));
const TaskDetail = lazy(() => import('../pages/TaskDetail'));
const Search = lazy(() => import('../pages/Search'));
const Chat = lazy(() => import('../pages/Chat'));
const Modules = lazy(() => import('../pages/Modules'));
const ModuleDetail = lazy(() => import('../pages/ModuleDetail'));
const Functions = lazy(() => import('../pages/Functions'));
const Audit = lazy(() => import('../pages/Audit'));
const Cost = lazy(() => import('../pages/ops/Cost'));
const Snapshots = lazy(() => import('../pages/ops/Snapshots'));
const Settings = lazy(() => import('../pages/Settings'));
const System = lazy(() => import('../pages/system/System'));
const RepoGraph = lazy(() => import('../pages/graph/RepoGraph'));
const KnowledgeGraph = lazy(() => import('../pages/graph/KnowledgeGraph'));
const Workflows = lazy(() => import('../pages/workflows/Workflows'));
const NotFound = lazy(() => import('../pages/NotFound'));

interface Route {
  pattern: string;
  page: Page;
}

const ROUTES: Route[] = [
  { pattern: '/', page: Overview },
  { pattern: '/tasks', page: Kanban },
  { pattern: '/tasks/:id', page: TaskDetail },
  { pattern: '/search', page: Search },
  { pattern: '/chat', page: Chat },
  { pattern: '/chat/:id', page: Chat },
  { pattern: '/modules', page: Modules },
  { pattern: '/modules/:name', page: ModuleDetail },
  { pattern: '/functions', page: Functions },
  { pattern: '/graph', page: RepoGraph },
  { pattern: '/knowledge', page: KnowledgeGraph },
  { pattern: '/system', page: System },
  { pattern: '/workflows', page: Workflows },
  { pattern: '/workflows/:id', page: Workflows },
  { pattern: '/cost', page: Cost },
  { pattern: '/snapshots', page: Snapshots },
  { pattern: '/audit', page: Audit },
  { pattern: '/settings', page: Settings },
];

interface NavItem {
  to: string;
  label: string;
  admin?: boolean;
}

const NAV: NavItem[] = [
  { to: '/', label: 'Overview' },
  { to: '/tasks', label: 'Kanban' },
  { to: '/search', label: 'Search' },
  { to: '/chat', label: 'Chat' },
  { to: '/modules', label: 'Modules' },
  { to: '/functions', label: 'Functions' },
  { to: '/graph', label: 'Graph' },
  { to: '/knowledge', label: 'Knowledge' },
  { to: '/system', label: 'Data flow' },
  { to: '/workflows', label: 'Workflows' },
  { to: '/cost', label: 'Cost', admin: true },
  { to: '/snapshots', label: 'Snapshots', admin: true },
  { to: '/audit', label: 'Audit log', admin: true },
  { to: '/settings', label: 'Settings' },
];

function isCurrent(to: string, path: string) {
  return to === '/' ? path === '/' : path === to || path.startsWith(`${to}/`);
}

function Shell() {
  const { path } = useLocation();
  const { user } = useSession();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After navigating, move focus to the new page (screen readers announce it).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);

  let page: Page = NotFound;
  let params: Record<string, string> = {};
  for (const r of ROUTES) {
    const m = match(r.pattern, path);
    if (m) {
      page = r.page;
      params = m;
      break;
    }
  }
  const Page = page;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Docrunch
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => !n.admin || user?.role === 'admin').map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={isCurrent(n.to, path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="whoami">
          <span>
            {user?.name} <span className="role-badge">{user?.role}</span>
          </span>
          <button type="button" className="button small" onClick={() => void signOut().then(() => navigate('/'))}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Suspense fallback={<Loading />}>
          <Page params={params} />
        </Suspense>
      </main>
    </div>
  );
}

export function App() {
  const session = useSession();
  useEffect(() => {
    void refresh();
  }, []);
  useEffect(() => {
    if (session.status === 'signed-in' && location.pathname === '/signin') navigate('/', { replace: true });
  }, [session.status]);

  if (session.status === 'loading') {
    return (
      <main className="center">
        <Loading label="Restoring your session…" />
      </main>
    );
  }
  if (session.status === 'signed-out') return <SignIn notice={session.notice} />;
  return <Shell />;
}
