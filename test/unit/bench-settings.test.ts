import { describe, expect, it } from 'vitest';
import { benchSettings } from '../../lib/bench/settings.ts';
import { latencyRow, percentile, renderRows, renderTable } from '../../lib/bench/table.ts';
import { cutPlan } from '../../lib/bench/workflows.ts';

describe('bench settings', () => {
  it('default to the full run', () => {
    expect(benchSettings({})).toEqual({
      only: undefined,
      requests: 300,
      concurrency: 50,
      spawns: 21,
      maxSpawns: 101,
      functions: undefined,
      load: { inMemory: false, burstUsers: 30, burstEach: 10, workflows: 2000, clients: 60 },
      push: { workflows: 12, approvalDelayMs: 3000 },
    });
  });

  it('read the BENCH_* variables', () => {
    const settings = benchSettings({
      BENCH_ONLY: 'load',
      BENCH_WORKFLOWS: '3',
      BENCH_LOAD_DATA: 'memory',
      BENCH_FUNCTIONS: 'producer, status',
      BENCH_SPAWNS: '1',
    });
    expect(settings).toMatchObject({
      only: 'load',
      spawns: 1,
      functions: ['producer', 'status'],
      load: { inMemory: true, workflows: 3 },
    });
  });

  it('refuse an unknown part and a number that is not one', () => {
    expect(() => benchSettings({ BENCH_ONLY: 'everything' })).toThrow(/BENCH_ONLY must be one of/);
    expect(() => benchSettings({ BENCH_REQUESTS: 'many' })).toThrow(/BENCH_REQUESTS must be/);
  });
});

describe('bench tables', () => {
  it('take the nearest-rank percentile, NaN without samples', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([5, 1, 4, 2, 3], 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('render padded Markdown tables', () => {
    expect(renderTable(['a', 'bb'], [['long', 'x']])).toBe('| a    | bb |\n| ---- | -- |\n| long | x  |');
    expect(renderRows([latencyRow('m', [1, 2])])).toContain(
      '| m       | p50 1.0 ms · p95 2.0 ms · p99 2.0 ms | 2 requests |',
    );
  });
});

describe("the bench's plans of a given size", () => {
  const template = {
    steps: [{ id: 'a' }, { id: 'b', depends_on: ['a'] }, { id: 'c', depends_on: ['x'] }, { id: 'd' }],
  };

  it('keep the first steps whose dependencies are kept', () => {
    expect(cutPlan(template, 3).steps.map((s) => s.id)).toEqual(['a', 'b', 'd']);
  });

  it('refuse a size the template cannot give', () => {
    expect(() => cutPlan(template, 4)).toThrow(/cannot cut a 4-step plan/);
  });
});
