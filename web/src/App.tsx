import { useEffect, type ReactNode } from 'react';
import { useAuth } from './auth.tsx';
import { Layout } from './components/Layout.tsx';
import { Spinner } from './components/ui.tsx';
import { match, useLocation, useNavigate } from './router.tsx';
import { LoginPage } from './pages/Login.tsx';
import { IntegrationsPage } from './pages/Integrations.tsx';
import { ConnectPage } from './pages/Connect.tsx';
import { UserSyncListPage } from './pages/UserSyncList.tsx';
import { UserSyncPage } from './pages/UserSync.tsx';
import { RunPage } from './pages/Run.tsx';
import { EmployeesPage } from './pages/Employees.tsx';
import { EmployeePage } from './pages/Employee.tsx';
import { GroupPage, GroupsPage } from './pages/Groups.tsx';
import { GroupSyncListPage, GroupSyncPage } from './pages/GroupSync.tsx';
import { IntegrationPage } from './pages/Integration.tsx';
import { CorrelationCasesPage } from './pages/CorrelationCases.tsx';
import { NotFoundPage } from './pages/NotFound.tsx';
import { ApiKeysPage } from './pages/ApiKeys.tsx';

const ROUTES: { pattern: string; render: (p: Record<string, string>) => ReactNode }[] = [
  { pattern: '/settings/integrations', render: () => <IntegrationsPage /> },
  { pattern: '/settings/integrations/connect/:provider', render: (p) => <ConnectPage provider={p.provider!} /> },
  { pattern: '/settings/integrations/:id', render: (p) => <IntegrationPage id={p.id!} /> },
  { pattern: '/settings/user-sync', render: () => <UserSyncListPage /> },
  { pattern: '/settings/user-sync/:id', render: (p) => <UserSyncPage id={p.id!} /> },
  { pattern: '/settings/user-sync/:id/runs/:runId', render: (p) => <RunPage integrationId={p.id!} runId={p.runId!} /> },
  { pattern: '/settings/employees', render: () => <EmployeesPage /> },
  { pattern: '/settings/employees/:id', render: (p) => <EmployeePage id={p.id!} /> },
  { pattern: '/settings/correlation-cases', render: () => <CorrelationCasesPage /> },
  { pattern: '/settings/groups', render: () => <GroupsPage /> },
  { pattern: '/settings/groups/:id', render: (p) => <GroupPage id={p.id!} /> },
  { pattern: '/settings/group-sync', render: () => <GroupSyncListPage /> },
  { pattern: '/settings/group-sync/:id', render: (p) => <GroupSyncPage id={p.id!} /> },
  { pattern: '/settings/api-keys', render: () => <ApiKeysPage /> },
];

export function App() {
  const { user } = useAuth();
  const { pathname, search } = useLocation();
  const navigate = useNavigate();

  const isLogin = pathname === '/login';
  useEffect(() => {
    if (user === null && !isLogin) navigate(`/login?next=${encodeURIComponent(pathname + search)}`, { replace: true });
    if (user && (isLogin || pathname === '/' || pathname === '/settings' || pathname === '/settings/')) {
      const next = new URLSearchParams(search).get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login') ? next : '/settings/user-sync', { replace: true });
    }
  }, [user, isLogin, pathname, search, navigate]);

  if (user === undefined) return <Spinner label="Loading ReFresh…" />;
  if (!user || isLogin) return user ? <Spinner /> : <LoginPage />;

  let page: ReactNode = null;
  for (const r of ROUTES) {
    const params = match(r.pattern, pathname);
    if (params) {
      page = r.render(params);
      break;
    }
  }
  // Keyed by path so each page starts with fresh state.
  return <Layout>{page ? <div key={pathname}>{page}</div> : <NotFoundPage />}</Layout>;
}
