import { EmptyState } from '../components/ui.tsx';
import { Link } from '../router.tsx';
import { useTitle } from '../hooks.ts';

export function NotFoundPage() {
  useTitle('Not found');
  return (
    <EmptyState title="This page does not exist" action={<Link to="/settings/user-sync" className="btn btn-secondary">Go to User Auto-Sync</Link>}>
      The address may be mistyped, or the page has moved.
    </EmptyState>
  );
}
