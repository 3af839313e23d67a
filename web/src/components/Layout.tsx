import type { ReactNode } from 'react';
import { q } from '../api/queries.ts';
import { useAuth } from '../auth.tsx';
import { useApiQuery } from '../hooks.ts';
import { Link, useLocation } from '../router.tsx';

export const NAV = [
  { to: '/settings/employees', label: 'Employees' },
  { to: '/settings/correlation-cases', label: 'Match review' },
  { to: '/settings/groups', label: 'Groups' },
  { to: '/settings/user-sync', label: 'User Auto-Sync' },
  { to: '/settings/group-sync', label: 'Group Sync' },
  { to: '/settings/integrations', label: 'Integrations' },
  { to: '/settings/api-keys', label: 'API keys' },
];

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useAuth();
  const { pathname } = useLocation();
  // People an HR system sent that need a decision: counted beside "Match review".
  const cases = useApiQuery({ ...q.correlationCases({ status: 'open', limit: 100 }), refetchInterval: 60_000 });
  const open = cases.data ? `${cases.data.data.length}${cases.data.nextCursor ? '+' : ''}` : null;
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/settings/user-sync" className="brand" aria-label="ReFresh Settings home">
          <span className="brand-mark" aria-hidden="true">
            R
          </span>
          <span className="brand-name">ReFresh</span>
          <span className="brand-section">Settings</span>
        </Link>
        <div className="topbar-user">
          <span className="topbar-email" title={user?.email}>
            {user?.email}
          </span>
          <button type="button" className="btn btn-ghost btn-small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="shell">
        <nav className="sidenav" aria-label="Settings">
          <ul>
            {NAV.map((item) => {
              const active = pathname === item.to || pathname.startsWith(item.to + '/');
              return (
                <li key={item.to}>
                  <Link to={item.to} className={active ? 'active' : undefined} aria-current={active ? 'page' : undefined}>
                    {item.label}
                    {item.to === '/settings/correlation-cases' && open !== null && open !== '0' && (
                      <span className="nav-count" data-testid="match-review-count">
                        {open}
                      </span>
                    )}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
