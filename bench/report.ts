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

/** The table's `met?` cell: yes, NO, or – for a figure shown for information. */
export function metWord(pass: boolean | null): string {
  return pass === null ? '–' : pass ? 'yes' : 'NO';
}

export function printTable(title: string, rows: readonly Row[]): void {
  const header = ['store', 'regime', 'scenario', 'measured', 'floor', 'ratio', 'target', 'met?', 'note'];
  const body = rows.map((r) => [r.store, r.regime, r.scenario, r.measured, r.floor, r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`, r.target, metWord(r.pass), r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}
