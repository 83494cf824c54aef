/** Small statistics and formatting helpers for the benchmark table. */

/** Nearest-rank percentile (p in 0..100) of the values; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function max(values: readonly number[]): number {
  return values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
}

/** Nanoseconds since an arbitrary origin, as a plain number (good to well under a microsecond). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

export const ms = (ns: number): string => `${(ns / 1e6).toFixed(1)} ms`;
export const us = (ns: number): string => `${Math.round(ns / 1e3)} µs`;

export interface Row {
  name: string;
  measured: string;
  budget: string;
  /** undefined: a reference row without a budget. */
  ok?: boolean;
}

export function formatRow(r: Row): string {
  const verdict = r.ok === undefined ? 'info' : r.ok ? 'ok' : 'OVER';
  return `${r.name}: ${r.measured} (${r.budget}) ${verdict}`;
}
