import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStreamTailer, type StreamRecord } from '../../lib/local/event-stream.ts';
import type { RecordedEvent } from '../../lib/local/eventbridge.ts';
import { tableSpecs } from '../../lib/specs.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';
import { type Harness, isRecord, pollStatus, startHarness } from './harness.ts';

/**
 * Every event appended to the log reaches the bus: real workflows on the local runtime, whose
 * event-log "stream" (the tailer) invokes the real publisher handler, which puts the events to the
 * local EventBridge sink through @aws-sdk/client-eventbridge — with injected per-entry failures.
 */

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness({
    eventStream: { intervalMs: 20, maxIntervalMs: 100, retryBaseMs: 20, retryMaxMs: 100 },
  });
  alice = await harness.runtime.token('alice');
});

afterAll(async () => {
  await harness?.cleanup();
});

interface LogEvent {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

async function runWorkflow(goal: string): Promise<{ id: string; events: LogEvent[] }> {
  const submitted = await harness.api('POST', '/omnilink-agent', { token: alice, body: { goal } });
  expect(submitted.status).toBe(202);
  const body = submitted.json;
  if (!isRecord(body) || typeof body.workflow_id !== 'string') throw new Error(submitted.text);
  const id = body.workflow_id;
  await pollStatus(harness, id, alice);
  const response = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
  expect(response.status).toBe(200);
  const events = isRecord(response.json) && Array.isArray(response.json.events) ? response.json.events : [];
  return { id, events: events as LogEvent[] };
}

const detailOf = (event: RecordedEvent): Record<string, unknown> =>
  isRecord(event.Detail) ? event.Detail : {};

/** Bus events of one workflow, in the order the sink received them. */
const busEventsOf = (id: string): RecordedEvent[] =>
  harness.runtime.eventsSink.find((event) => detailOf(event).workflow_id === id);

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until every seq of the log is on the bus. */
async function waitForAll(id: string, count: number): Promise<void> {
  await waitFor(`${count} events of ${id} on the bus`, () => {
    const seqs = new Set(busEventsOf(id).map((event) => detailOf(event).seq));
    return seqs.size >= count;
  });
}

describe('event bus: every event of the log is published', () => {
  it('publishes every event of a completed workflow, in order, with source, detail-type and detail', async () => {
    const { id, events } = await runWorkflow('Book a flight to NYC');
    expect(events.at(-1)?.type).toBe('WorkflowCompleted');
    await waitForAll(id, events.length);
    const published = busEventsOf(id);
    expect(published.map((event) => detailOf(event).seq)).toEqual(events.map((event) => event.seq));
    published.forEach((busEvent, index) => {
      const logEvent = events[index];
      expect(busEvent).toMatchObject({
        EventBusName: harness.runtime.eventBusName,
        Source: 'omnilink.orchestrator',
        DetailType: logEvent?.type,
        // The entry's Time is when the event was appended (EventBridge keeps it as the event's time).
        Time: logEvent?.at,
        Resources: [],
      });
      expect(busEvent.Detail).toEqual({
        dedup_id: `${id}#${logEvent?.seq}`,
        workflow_id: id,
        seq: logEvent?.seq,
        event_id: expect.any(String),
        type: logEvent?.type,
        at: logEvent?.at,
        data: logEvent?.data,
      });
    });
  });

  it('retries only the entries PutEvents failed, so each event arrives exactly once here', async () => {
    const seen = new Set<string>();
    let injected = 0;
    // Every entry fails on its first attempt (per entry, like EventBridge: the request succeeds).
    harness.runtime.eventsSink.failEntries((entry) => {
      const detail = JSON.parse(String(entry.Detail));
      const key = String(detail.dedup_id);
      if (seen.has(key)) return undefined;
      seen.add(key);
      injected += 1;
      return { ErrorCode: 'InternalFailure', ErrorMessage: 'injected' };
    });
    try {
      const { id, events } = await runWorkflow('Book a hotel in Paris');
      await waitForAll(id, events.length);
      expect(injected).toBeGreaterThanOrEqual(events.length);
      const seqs = busEventsOf(id).map((event) => detailOf(event).seq);
      expect([...seqs].sort((a, b) => Number(a) - Number(b))).toEqual(events.map((event) => event.seq));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      harness.runtime.eventsSink.clearFailures();
    }
  });

  it('re-delivers records the publisher reported as failed until the bus takes them', async () => {
    const stream = harness.runtime.eventStream;
    if (!stream) throw new Error('the runtime has no event stream');
    const failedBefore = stream.failedInvocations;
    // The bus rejects every WorkflowCompleted for now: the publisher retries, then reports the record.
    harness.runtime.eventsSink.failEntries((entry) =>
      entry.DetailType === 'WorkflowCompleted'
        ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'injected' }
        : undefined,
    );
    let id: string;
    let events: LogEvent[];
    try {
      ({ id, events } = await runWorkflow('Book a flight to Tokyo'));
      await waitFor('a failed delivery', () => stream.failedInvocations > failedBefore);
      expect(busEventsOf(id).map((event) => event.DetailType)).not.toContain('WorkflowCompleted');
    } finally {
      harness.runtime.eventsSink.clearFailures();
    }
    await waitForAll(id, events.length);
    const published = busEventsOf(id);
    expect(published.filter((event) => event.DetailType === 'WorkflowCompleted')).toHaveLength(1);
    // Only the failed record was delivered again: what had been published was not published twice.
    const seqs = published.map((event) => detailOf(event).seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(stream.cursorOf(id)).toBe(events.length);
  });

  it('does not publish the log again after a restart, and publishes what comes next', async () => {
    const before = await runWorkflow('Book a hotel in Rome');
    await waitForAll(before.id, before.events.length);
    await harness.restart();
    const stream = harness.runtime.eventStream;
    await stream?.drain();
    expect(busEventsOf(before.id)).toEqual([]);
    expect(stream?.cursorOf(before.id)).toBe(before.events.length);
    const state = JSON.parse(await readFile(join(harness.dataDir, 'stream-eventLog.json'), 'utf8'));
    expect(state.cursors[before.id]).toBe(before.events.length);

    const after = await runWorkflow('Book a flight to London');
    await waitForAll(after.id, after.events.length);
    expect(busEventsOf(after.id).map((event) => detailOf(event).seq)).toEqual(after.events.map((e) => e.seq));
  });
});

describe('event stream emulator (against DynamoDB Local)', () => {
  let dynamo: TestDynamo;
  let raw: DynamoDBClient;
  let dir: string;
  const table = () => dynamo.tables.eventLog;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
    // The tailer reads marshalled items, as stream records carry them.
    raw = new DynamoDBClient({
      endpoint: await dynamo.client.config.endpoint?.().then((e) => `${e.protocol}//${e.hostname}:${e.port}`),
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    dir = await mkdtemp(join(tmpdir(), 'omnilink-stream-'));
  });

  afterAll(async () => {
    raw?.destroy();
    await dynamo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function append(workflowId: string, seq: number): Promise<void> {
    await dynamo.client.send(
      new PutCommand({
        TableName: table(),
        Item: {
          workflow_id: workflowId,
          seq,
          event_id: `E${seq}`,
          type: 'StepStarted',
          at: new Date().toISOString(),
          data: { step_id: `s${seq}` },
        },
      }),
    );
  }

  function tailer(invoke: (event: unknown) => Promise<unknown>, name: string, maxRetryAttempts = 3) {
    return new EventStreamTailer({
      client: raw,
      tableName: table(),
      spec: tableSpecs.eventLog,
      invoke,
      stateFile: join(dir, `${name}.json`),
      failureFile: join(dir, `${name}-failures.jsonl`),
      retryBaseMs: 1,
      retryMaxMs: 5,
      maxRetryAttempts,
      onError: () => undefined,
    });
  }

  const recordsOf = (event: unknown): StreamRecord[] =>
    isRecord(event) && Array.isArray(event.Records) ? (event.Records as StreamRecord[]) : [];

  it('delivers new items as DynamoDB stream INSERT records with marshalled images, in order per partition', async () => {
    await append('wf_streamtest00001', 1);
    await append('wf_streamtest00001', 2);
    await append('wf_streamtest00002', 1);
    const batches: StreamRecord[][] = [];
    const t = tailer(async (event) => {
      batches.push(recordsOf(event));
      return { batchItemFailures: [] };
    }, 'shape');
    await t.drain();
    const records = batches.flat();
    expect(records).toHaveLength(3);
    const first = records.find((r) => r.dynamodb.Keys.workflow_id?.S === 'wf_streamtest00001');
    expect(first).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventVersion: '1.1',
      dynamodb: {
        Keys: { workflow_id: { S: 'wf_streamtest00001' }, seq: { N: '1' } },
        NewImage: { seq: { N: '1' }, type: { S: 'StepStarted' }, data: { M: { step_id: { S: 's1' } } } },
        StreamViewType: 'NEW_IMAGE',
      },
    });
    const seqsOf1 = records
      .filter((r) => r.dynamodb.Keys.workflow_id?.S === 'wf_streamtest00001')
      .map((r) => r.dynamodb.Keys.seq?.N);
    expect(seqsOf1).toEqual(['1', '2']);
    const sequenceNumbers = records.map((r) => r.dynamodb.SequenceNumber);
    expect(new Set(sequenceNumbers).size).toBe(3);
    expect([...sequenceNumbers].sort()).toEqual(sequenceNumbers);

    // A second tailer on the same state file (a restart) delivers nothing again.
    const again: StreamRecord[] = [];
    await tailer(async (event) => {
      again.push(...recordsOf(event));
      return {};
    }, 'shape').drain();
    expect(again).toEqual([]);
  });

  it('re-delivers from the first failed record of a partition, and retries a batch whose invocation threw', async () => {
    await append('wf_streamtest00003', 1);
    await append('wf_streamtest00003', 2);
    await append('wf_streamtest00003', 3);
    const delivered: string[] = [];
    let calls = 0;
    const t = tailer(async (event) => {
      calls += 1;
      const records = recordsOf(event).filter((r) => r.dynamodb.Keys.workflow_id?.S === 'wf_streamtest00003');
      if (calls === 1) throw new Error('function crashed');
      const failed = calls === 2 ? records.filter((r) => r.dynamodb.Keys.seq?.N === '2') : [];
      for (const r of records) if (!failed.includes(r)) delivered.push(r.dynamodb.Keys.seq?.N ?? '');
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })) };
    }, 'retry');
    await t.drain();
    // Call 2 published 1 and 3 but failed 2: 2 and 3 come again (3 is after the failure).
    expect(delivered.filter((seq) => seq !== '')).toEqual(expect.arrayContaining(['1', '2', '3']));
    expect(t.cursorOf('wf_streamtest00003')).toBe(3);
    expect(calls).toBeGreaterThanOrEqual(3);
  });

  it('gives up on a record after the retry limit, records it in the failure file and moves on', async () => {
    await append('wf_streamtest00004', 1);
    await append('wf_streamtest00004', 2);
    const t = tailer(async (event) => {
      const poison = recordsOf(event).filter(
        (r) => r.dynamodb.Keys.workflow_id?.S === 'wf_streamtest00004' && r.dynamodb.Keys.seq?.N === '1',
      );
      return { batchItemFailures: poison.map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })) };
    }, 'poison');
    await t.drain();
    expect(t.cursorOf('wf_streamtest00004')).toBe(2);
    const lines = (await readFile(join(dir, 'poison-failures.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => JSON.parse(line)).map((l) => [l.partition, l.seq])).toEqual(
      expect.arrayContaining([['wf_streamtest00004', 1]]),
    );
  });
});
