/**
 * The bench's figures: rows of measure / value / note (what `.local/bench/bench.json` holds), the
 * statistics they are made of, and their rendering as a Markdown table.
 */

export interface Row {
  readonly measure: string;
  readonly value: string;
  readonly note?: string;
}

/** The `p`th percentile (nearest rank) of `samples`; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** A row with the p50, p95 and p99 of latency samples (ms). */
export function latencyRow(measure: string, samples: readonly number[], note?: string): Row {
  const f = (n: number) => n.toFixed(1);
  return {
    measure,
    value: `p50 ${f(percentile(samples, 50))} ms · p95 ${f(percentile(samples, 95))} ms · p99 ${f(percentile(samples, 99))} ms`,
    note: note ?? `${samples.length} requests`,
  };
}

export const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/** A Markdown table with padded columns. */
export function renderTable(header: readonly string[], lines: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    `| ${header.map((_, i) => (cells[i] ?? '').padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/** Rows as the bench's measure / value / note table. */
export function renderRows(rows: readonly Row[]): string {
  return renderTable(
    ['measure', 'value', 'note'],
    rows.map((r) => [r.measure, r.value, r.note ?? '']),
  );
}
