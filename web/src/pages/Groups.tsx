import type { ReactNode } from 'react';
import type { Group, Page } from '../api/types.ts';
import { useCapabilities } from '../capabilities.tsx';
import { Badge, Card, EmptyState, ErrorState, LockIcon, PageHeader, Placeholder, Spinner } from '../components/ui.tsx';
import { useApi, useTitle } from '../hooks.ts';
import { Link } from '../router.tsx';

export function GroupsPage() {
  useTitle('Groups');
  const caps = useCapabilities();
  const available = caps.has('get', '/groups');
  return (
    <>
      <PageHeader title="Groups" subtitle="Departments, locations, teams and your own groups. Synced structure follows the HR system; manual groups and members are yours to edit." />
      {!caps.ready ? (
        <Spinner />
      ) : available ? (
        <GroupList />
      ) : (
        <Placeholder title="Groups are on their way">
          <p>
            Here you will see the group tree with type labels and headcounts (including sub-groups), members with where they came from, and manage manual groups. Synced groups will be
            shown as locked.
          </p>
          <p>
            Meanwhile, people and their departments are in <Link to="/settings/employees">Employees</Link>.
          </p>
        </Placeholder>
      )}
    </>
  );
}

/** The groups list, shown as soon as the Groups API answers; a nested tree when groups carry a parent. */
function GroupList() {
  const list = useApi<Page<Group>>('/groups?limit=1000');
  if (list.loading && !list.data) return <Spinner label="Loading groups…" />;
  if (list.error) return <ErrorState error={list.error} onRetry={list.reload} />;
  const groups = list.data?.data ?? [];
  if (groups.length === 0) return <EmptyState title="No groups yet">Turn on Group Sync for an integration, or create a group.</EmptyState>;
  const children = new Map<string | null, Group[]>();
  const ids = new Set(groups.map((g) => g.id));
  for (const g of groups) {
    const parent = g.parentId && ids.has(g.parentId) ? g.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), g]);
  }
  const render = (parent: string | null, depth: number): ReactNode => {
    const items = children.get(parent);
    if (!items) return null;
    return (
      <ul className={depth === 0 ? 'tree' : 'tree-children'}>
        {items.map((g) => (
          <li key={g.id}>
            <span className="tree-node">
              <strong>{g.name}</strong>
              {g.type && <Badge tone="info">{g.type}</Badge>}
              {typeof g.headcount === 'number' && <span className="muted small">{g.headcount} people</span>}
              {g.locked ? (
                <span className="locked-by" title="Synced structure follows the HR system">
                  <LockIcon />
                  <span>Managed by {g.lockedBy ?? 'an HR system'}</span>
                </span>
              ) : g.origin === 'manual' ? (
                <span className="muted small">manual</span>
              ) : null}
              {g.archived && <Badge tone="neutral">archived</Badge>}
            </span>
            {render(g.id, depth + 1)}
          </li>
        ))}
      </ul>
    );
  };
  return <Card>{render(null, 0)}</Card>;
}
