import type { ReactNode } from 'react';

/** A nested list (groups, preview trees): each node rendered by `render`, sub-groups indented. */
export function Tree<T extends { children: T[] }>({ nodes, render, label, keyOf, testId }: { nodes: T[]; render: (node: T) => ReactNode; label: string; keyOf: (node: T, index: number) => string; testId?: string }) {
  const level = (items: T[], depth: number): ReactNode => (
    <ul className={depth === 0 ? 'tree' : 'tree-children'} aria-label={depth === 0 ? label : undefined} data-testid={depth === 0 ? testId : undefined}>
      {items.map((n, i) => (
        <li key={keyOf(n, i)}>
          <span className="tree-node">{render(n)}</span>
          {n.children.length > 0 && level(n.children, depth + 1)}
        </li>
      ))}
    </ul>
  );
  return <>{level(nodes, 0)}</>;
}

export function Headcount({ n }: { n: number }) {
  return <span className="muted small headcount">{n === 1 ? '1 person' : `${n.toLocaleString()} people`}</span>;
}
