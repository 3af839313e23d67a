import { setFlagsFromString } from 'node:v8';

/**
 * How far a process that runs syncs lets its JavaScript heap grow past what the last full
 * collection kept, in percent. A sync allocates fast and briefly (each page's records, rows and
 * statements), and V8 sizes the next collection's threshold from that rate: by default up to 4×
 * the live heap, so a first sync of 100,000 people, whose live heap never passes ~80 MB, reached
 * ~230 MB of heap (peak RSS ~350 MB) with mostly dead pages in it. At 50 % the same run peaks at
 * ~150 MB of heap (RSS ~260 MB) for a few more full collections; its CPU time did not measurably move.
 */
export const SYNC_HEAP_GROWING_PERCENT = 50;

let bounded = false;

/**
 * Bounds the heap's growth between full collections (once per process; a process that runs
 * syncs: `refresh worker`, `start`, `sync`). An operator's own `--heap-growing-percent` wins.
 * The API node (`refresh serve`) keeps V8's default: its read cache is a large live heap that
 * frequent full collections would only mark again and again.
 */
export function boundHeapGrowth(): void {
  if (bounded) return;
  bounded = true;
  if (process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a))) return;
  setFlagsFromString(`--heap-growing-percent=${SYNC_HEAP_GROWING_PERCENT}`);
}
