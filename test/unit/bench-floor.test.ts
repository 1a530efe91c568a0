import { describe, expect, it } from 'vitest';
import { tablesOf } from '../../lib/bench/dynamo-meter.ts';
import { floorRows } from '../../lib/bench/floor.ts';
import { benchSettings } from '../../lib/bench/settings.ts';

describe('the DynamoDB floor of the bench', () => {
  it('names the tables a request touches, without the local prefix', () => {
    expect(tablesOf({ TableName: 'omnilink-local-state' })).toBe('state');
    expect(tablesOf({ RequestItems: { 'omnilink-local-cache': {}, 'omnilink-local-state': {} } })).toBe(
      'cache+state',
    );
    expect(
      tablesOf({
        TransactItems: [
          { Put: { TableName: 'omnilink-local-event-log' } },
          { Update: { TableName: 'omnilink-local-state' } },
          { Put: { TableName: 'omnilink-local-state' } },
        ],
      }),
    ).toBe('event-log+state');
    expect(tablesOf(undefined)).toBe('');
  });

  it('turns requests × CPU per request into the throughput DynamoDB Local alone allows', () => {
    const rows = floorRows(
      [
        {
          dataDir: true,
          requests: 40,
          readBacks: 8,
          byTable: [['GetItem state', 10]],
          cpuPerRequestMs: 5,
          idleCpuMsPerS: 30,
        },
        {
          dataDir: false,
          requests: 40,
          readBacks: 8,
          byTable: [['GetItem state', 10]],
          cpuPerRequestMs: 1,
          idleCpuMsPerS: 30,
        },
      ],
      2,
    );
    expect(rows[0]).toMatchObject({ value: '40.0', note: 'GetItem state 10.00' });
    // 40 × 5 ms = 200 ms per workflow: 2 cores serve 10/s at most, below the goal of 25.
    expect(rows[1]?.value).toBe('5.00 ms → 200 ms per workflow');
    expect(rows[1]?.note).toContain('caps 2 cores at 10.0 workflows/s');
    expect(rows[1]?.note).toContain('blocked by it');
    // 40 × 1 ms = 40 ms: 50/s, so DynamoDB Local alone does not stand in the goal's way.
    expect(rows[2]?.note).toContain('caps 2 cores at 50.0 workflows/s');
    expect(rows[2]?.note).toContain('not blocked by it');
  });

  it('is a part of its own', () => {
    expect(benchSettings({ BENCH_ONLY: 'floor' }).only).toBe('floor');
  });
});
