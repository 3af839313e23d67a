import type { ReactNode } from 'react';

/**
 * A nested list (groups, preview trees): each node rendered by `render`, sub-groups indented.
 * `links` adds items under a node for groups nested there as a further parent (a group in two
 * groups sits in the tree once; its other parents name it with a link to it).
 */
export function Tree<T extends { children: T[] }>({
  nodes,
  render,
  label,
  keyOf,
  testId,
  links,
}: {
  nodes: T[];
  render: (node: T) => ReactNode;
  label: string;
  keyOf: (node: T, index: number) => string;
  testId?: string;
  links?: (node: T) => { key: string; content: ReactNode }[];
}) {
  const level = (items: T[], depth: number): ReactNode => (
    <ul className={depth === 0 ? 'tree' : 'tree-children'} aria-label={depth === 0 ? label : undefined} data-testid={depth === 0 ? testId : undefined}>
      {items.map((n, i) => {
        const extra = links?.(n) ?? [];
        return (
          <li key={keyOf(n, i)}>
            <span className="tree-node">{render(n)}</span>
            {(n.children.length > 0 || extra.length > 0) && (
              <>
                {n.children.length > 0 && level(n.children, depth + 1)}
                {extra.length > 0 && (
                  <ul className="tree-children tree-links">
                    {extra.map((x) => (
                      <li key={x.key} className="tree-link">
                        <span className="tree-node">{x.content}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
  return <>{level(nodes, 0)}</>;
}

export function Headcount({ n }: { n: number }) {
  return <span className="muted small headcount">{n === 1 ? '1 person' : `${n.toLocaleString()} people`}</span>;
}
