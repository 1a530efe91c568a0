import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../../lib/local/aws-json.ts';
import { createEventBridgeServer, EventsSink } from '../../lib/local/eventbridge.ts';

let dir: string;
let sink: EventsSink;
let server: Server;
let client: EventBridgeClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omnilink-events-'));
  sink = new EventsSink({ file: join(dir, 'events.jsonl') });
  server = createEventBridgeServer(sink);
  const port = await listen(server, 0);
  client = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  await close(server);
  await rm(dir, { recursive: true, force: true });
});

const entry = (n: number) => ({
  EventBusName: 'omnilink-local',
  Source: 'omnilink.workflows',
  DetailType: 'WorkflowCompleted',
  Detail: JSON.stringify({ workflow_id: `wf_test${n}`, n }),
});

describe('local EventBridge sink (through @aws-sdk/client-eventbridge)', () => {
  it('records PutEvents entries in memory and in the JSON-lines file', async () => {
    const result = await client.send(new PutEventsCommand({ Entries: [entry(1), entry(2)] }));
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toHaveLength(2);
    expect(result.Entries?.[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sink.events.slice(-2).map((e) => e.Detail)).toEqual([
      { workflow_id: 'wf_test1', n: 1 },
      { workflow_id: 'wf_test2', n: 2 },
    ]);
    await sink.flush();
    const lines = (await readFile(join(dir, 'events.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({
      DetailType: 'WorkflowCompleted',
      EventBusName: 'omnilink-local',
    });
  });

  it('reports injected and malformed entries per entry, without throwing', async () => {
    sink.failEntries((_, index) =>
      index === 1 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : undefined,
    );
    const before = sink.events.length;
    const result = await client.send(
      new PutEventsCommand({ Entries: [entry(3), entry(4), { ...entry(5), Detail: 'not json' }] }),
    );
    sink.clearFailures();
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries?.[0]?.EventId).toBeDefined();
    expect(result.Entries?.[1]).toMatchObject({ ErrorCode: 'ThrottlingException' });
    expect(result.Entries?.[2]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(sink.events.length).toBe(before + 1);
  });

  it('rejects more than 10 entries like AWS', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => entry(i));
    await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('keeps the latest `keep` events in memory and every one in the file', async () => {
    const file = join(dir, 'kept.jsonl');
    const small = new EventsSink({ file, keep: 5 });
    for (let n = 0; n < 3; n++) small.putEvents({ Entries: [entry(n), entry(n + 100), entry(n + 200)] });
    await small.flush();
    expect(small.events.map((e) => (e.Detail as { n: number }).n)).toEqual([101, 201, 2, 102, 202]);
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(9);
  });
});
