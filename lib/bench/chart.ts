/** The bench's chart: a hand-written SVG (no dependency) with the producer latencies and the bundles. */
import { BUNDLE_GOAL_KIB } from './bundles.ts';

export interface LatencyBar {
  readonly label: string;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface BundleBar {
  readonly label: string;
  readonly kib: number;
  readonly importMs: number;
}

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Two panels: latency p50/p95/p99 per case (log-free, capped scale) and bundle size vs the bundle goal. */
export function renderChart(latencies: readonly LatencyBar[], bundles: readonly BundleBar[]): string {
  const width = 900;
  const left = 300;
  const barArea = width - left - 120;
  const rowH = 26;
  const parts: string[] = [];
  let y = 30;
  parts.push(
    `<text x="10" y="${y}" font-size="16" font-weight="bold">Producer latency (ms): p50 / p95 / p99</text>`,
  );
  y += 15;
  const maxMs = Math.max(50, ...latencies.map((l) => l.p99));
  const xMs = (ms: number) => left + (Math.min(ms, maxMs) / maxMs) * barArea;
  const colors = { p50: '#2b8a3e', p95: '#f59f00', p99: '#c92a2a' } as const;
  for (const l of latencies) {
    parts.push(`<text x="${left - 8}" y="${y + 17}" font-size="12" text-anchor="end">${esc(l.label)}</text>`);
    for (const key of ['p99', 'p95', 'p50'] as const) {
      parts.push(
        `<rect x="${left}" y="${y + 4}" width="${(xMs(l[key]) - left).toFixed(1)}" height="18" fill="${colors[key]}"><title>${key} ${l[key].toFixed(1)} ms</title></rect>`,
      );
    }
    parts.push(
      `<text x="${xMs(l.p99) + 6}" y="${y + 17}" font-size="11">${l.p50.toFixed(1)} / ${l.p95.toFixed(1)} / ${l.p99.toFixed(1)}</text>`,
    );
    y += rowH;
  }
  for (const [goal, label] of [
    [25, 'p99 goal (in process) 25 ms'],
    [50, 'p95 goal (HTTP) 50 ms'],
  ] as const) {
    const x = xMs(goal);
    parts.push(
      `<line x1="${x}" y1="45" x2="${x}" y2="${y}" stroke="#495057" stroke-dasharray="4 3"/><text x="${x + 3}" y="${y + 12}" font-size="10">${label}</text>`,
    );
  }
  y += 45;
  parts.push(
    `<text x="10" y="${y}" font-size="16" font-weight="bold">Lambda bundles (KiB) and import time (ms)</text>`,
  );
  y += 15;
  const top = y;
  const maxKib = Math.max(BUNDLE_GOAL_KIB + 20, ...bundles.map((b) => b.kib));
  const xKib = (kib: number) => left + (kib / maxKib) * barArea;
  for (const b of bundles) {
    parts.push(`<text x="${left - 8}" y="${y + 17}" font-size="12" text-anchor="end">${esc(b.label)}</text>`);
    parts.push(
      `<rect x="${left}" y="${y + 4}" width="${(xKib(b.kib) - left).toFixed(1)}" height="18" fill="${b.kib <= BUNDLE_GOAL_KIB ? '#1c7ed6' : '#c92a2a'}"/>`,
    );
    parts.push(
      `<text x="${xKib(b.kib) + 6}" y="${y + 17}" font-size="11">${b.kib.toFixed(0)} KiB · ${b.importMs.toFixed(0)} ms</text>`,
    );
    y += rowH;
  }
  const goalX = xKib(BUNDLE_GOAL_KIB);
  parts.push(
    `<line x1="${goalX}" y1="${top}" x2="${goalX}" y2="${y}" stroke="#495057" stroke-dasharray="4 3"/><text x="${goalX + 3}" y="${y + 12}" font-size="10">${BUNDLE_GOAL_KIB} KiB goal</text>`,
  );
  const height = y + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
