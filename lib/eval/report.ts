import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The common shape of `npm run eval`: each part (guardian, planner, plan cache) measures itself on a
 * directory of JSON-lines corpora (the format of `shared/realdata`, see its README) and returns one
 * section; `bin/eval.ts` prints them. Proportions carry a Wilson 95% interval.
 */

/** One measured figure. `n` is the denominator of a proportion (undefined for other figures). */
export interface EvalRow {
  readonly metric: string;
  /** A proportion in [0, 1] when `n` is set, otherwise a plain number (ms, count, ...). */
  readonly value: number;
  readonly n?: number;
  readonly ci95?: readonly [number, number];
  /** The goal, as text ("≥ 85%"), and whether the figure meets it. */
  readonly goal?: string;
  readonly met?: boolean;
  readonly unit?: string;
}

export interface EvalSection {
  readonly title: string;
  readonly rows: readonly EvalRow[];
  /** Free-text notes: what was measured how, examples of misses. */
  readonly notes?: readonly string[];
}

/** One part of the evaluation. */
export type EvalPart = (dir: string) => Promise<EvalSection>;

/** The Wilson score interval for `successes` of `n` at 95% (z = 1.96). */
export function wilson(successes: number, n: number, z = 1.96): [number, number] {
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** A proportion row: `successes` of `n`, with its interval and, if given, the goal it is held to. */
export function proportion(
  metric: string,
  successes: number,
  n: number,
  goal?: { readonly text: string; readonly test: (p: number) => boolean },
): EvalRow {
  const value = n === 0 ? 0 : successes / n;
  return {
    metric,
    value,
    n,
    ci95: wilson(successes, n),
    ...(goal ? { goal: goal.text, met: n > 0 && goal.test(value) } : {}),
  };
}

/** Goal helpers: `atLeast(0.85)` is "≥ 85%". */
export const atLeast = (p: number) => ({ text: `≥ ${fmtPct(p)}`, test: (v: number) => v >= p });
export const atMost = (p: number) => ({ text: `≤ ${fmtPct(p)}`, test: (v: number) => v <= p });

/** Reads one JSON-lines file of a corpus directory; a missing file is an empty corpus. */
export function readJsonl<T = Record<string, unknown>>(dir: string, file: string): T[] {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

const fmtPct = (p: number) => `${(p * 100).toFixed(p * 100 === Math.round(p * 100) ? 0 : 1)}%`;

/** The section as a text table. */
export function formatSection(section: EvalSection): string {
  const lines = [`## ${section.title}`, ''];
  lines.push('| metric | value | 95% interval | n | goal | met |', '|---|---|---|---|---|---|');
  for (const row of section.rows) {
    const value =
      row.n !== undefined ? fmtPct(row.value) : `${round(row.value)}${row.unit ? ` ${row.unit}` : ''}`;
    const ci = row.ci95 ? `${fmtPct(row.ci95[0])}–${fmtPct(row.ci95[1])}` : '';
    const met = row.met === undefined ? '' : row.met ? 'yes' : '**no**';
    lines.push(`| ${row.metric} | ${value} | ${ci} | ${row.n ?? ''} | ${row.goal ?? ''} | ${met} |`);
  }
  for (const note of section.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

const round = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1));
