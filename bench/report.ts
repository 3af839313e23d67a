/** The bench's table: one row per figure, each beside its floor and its target, PASS or FAIL. */

export interface Row {
  readonly store: string;
  readonly regime: string;
  readonly scenario: string;
  /** The measured figure, formatted with its unit. */
  readonly measured: string;
  /** The floor it is compared with (formatted), or '–'. */
  readonly floor: string;
  /** measured ÷ floor, when that is what the target bounds. */
  readonly ratio: number | null;
  readonly target: string;
  /** null: a figure shown for information, with no target of its own. */
  readonly pass: boolean | null;
  readonly note: string;
}

export const seconds = (s: number) => `${s.toFixed(2)} s`;
export const ms = (v: number) => `${v.toFixed(1)} ms`;
export const mb = (v: number) => `${v.toFixed(0)} MB`;

export function printTable(title: string, rows: readonly Row[]): void {
  const header = ['store', 'regime', 'scenario', 'measured', 'floor', 'ratio', 'target', 'result', 'note'];
  const body = rows.map((r) => [r.store, r.regime, r.scenario, r.measured, r.floor, r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`, r.target, r.pass === null ? 'info' : r.pass ? 'PASS' : 'FAIL', r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}
