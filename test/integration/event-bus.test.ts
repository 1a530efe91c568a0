import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../lib/local/eventbridge.ts';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';
import { StreamEventSourceMapping } from '../../lib/local/stream-mapping.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';

/**
 * Every event appended to the log reaches the bus: real workflows on the local runtime, whose
 * event-log "stream" (the tailer) invokes the real publisher handler, which puts the events to the
 * local EventBridge sink through @aws-sdk/client-eventbridge — with injected per-entry failures.
 */

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness({
    eventStream: { pollIntervalMs: 20, retryBaseMs: 20, retryMaxMs: 100 },
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
  });

  it('does not publish the log again after a restart, and publishes what comes next', async () => {
    const before = await runWorkflow('Book a hotel in Rome');
    await waitForAll(before.id, before.events.length);
    await harness.restart();
    const stream = harness.runtime.eventStream;
    await stream?.drain();
    expect(busEventsOf(before.id)).toEqual([]);
    // The mapping resumed after its checkpoint (the last sequence number delivered, per shard).
    const state = JSON.parse(await readFile(join(harness.dataDir, 'stream-eventLog.json'), 'utf8'));
    expect(Object.keys(state.checkpoints).length).toBeGreaterThan(0);

    const after = await runWorkflow('Book a flight to London');
    await waitForAll(after.id, after.events.length);
    expect(busEventsOf(after.id).map((event) => detailOf(event).seq)).toEqual(after.events.map((e) => e.seq));
  });
});

describe('event-source mapping on the Streams API (against DynamoDB Local)', () => {
  let dynamo: TestDynamo;
  let raw: DynamoDBClient;
  let dir: string;
  const table = () => dynamo.tables.eventLog;

  beforeAll(async () => {
    dynamo = await startTestDynamo();
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

  async function mapping(
    invoke: (event: unknown) => Promise<unknown>,
    name: string,
    options: {
      maxRetryAttempts?: number;
      batchSize?: number;
      bisectBatchOnFunctionError?: boolean;
      maxBatchingWindowMs?: number;
      pollIntervalMs?: number;
    } = {},
  ): Promise<StreamEventSourceMapping> {
    const m = new StreamEventSourceMapping({
      client: raw,
      tableName: table(),
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:publisher',
      invoke,
      stateFile: join(dir, `${name}.json`),
      failureFile: join(dir, `${name}-failures.jsonl`),
      pollIntervalMs: 10,
      retryBaseMs: 1,
      retryMaxMs: 5,
      ...options,
      onError: () => undefined,
    });
    await m.start();
    return m;
  }

  type Rec = {
    eventName: string;
    dynamodb: { Keys: Record<string, { S?: string; N?: string }>; SequenceNumber: string };
  };
  const recordsOf = (event: unknown): Rec[] =>
    isRecord(event) && Array.isArray(event.Records) ? (event.Records as Rec[]) : [];
  const wf = (r: Rec) => r.dynamodb.Keys.workflow_id?.S;
  const seq = (r: Rec) => r.dynamodb.Keys.seq?.N;

  it('gathers records for the batching window (the maxBatchingWindow of the stack) before it invokes', async () => {
    const batches: Rec[][] = [];
    const m = await mapping(
      async (event) => {
        batches.push(recordsOf(event));
        return {};
      },
      'window',
      { maxBatchingWindowMs: 800, pollIntervalMs: 50 },
    );
    await m.drain();
    const before = batches.length;
    for (let i = 1; i <= 5; i++) {
      await append('wf_streamwindow001', i);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await m.stop();
    const later = batches.slice(before).filter((b) => b.some((r) => wf(r) === 'wf_streamwindow001'));
    // Five records appended over ~300 ms, polled every 50 ms: one invocation, in order.
    expect(later).toHaveLength(1);
    expect(later[0]?.map((r) => seq(r))).toEqual(['1', '2', '3', '4', '5']);
  });

  it('delivers new items as DynamoDB stream INSERT records with marshalled images, in order, and resumes after its checkpoint', async () => {
    await append('wf_streamtest00001', 1);
    await append('wf_streamtest00001', 2);
    await append('wf_streamtest00002', 1);
    const batches: Rec[][] = [];
    const m = await mapping(async (event) => {
      batches.push(recordsOf(event));
      return { batchItemFailures: [] };
    }, 'shape');
    await m.drain();
    await m.stop();
    const records = batches.flat().filter((r) => wf(r)?.startsWith('wf_streamtest0000'));
    expect(records.map((r) => `${wf(r)}#${seq(r)}`)).toEqual([
      'wf_streamtest00001#1',
      'wf_streamtest00001#2',
      'wf_streamtest00002#1',
    ]);
    expect(records[0]).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: m.streamArn,
      dynamodb: {
        Keys: { workflow_id: { S: 'wf_streamtest00001' }, seq: { N: '1' } },
        NewImage: { seq: { N: '1' }, type: { S: 'StepStarted' }, data: { M: { step_id: { S: 's1' } } } },
        StreamViewType: 'NEW_IMAGE',
        ApproximateCreationDateTime: expect.any(Number),
      },
    });
    // A second mapping on the same state file (a restart) delivers nothing again.
    const again: Rec[] = [];
    const restarted = await mapping(async (event) => {
      again.push(...recordsOf(event));
      return {};
    }, 'shape');
    await restarted.drain();
    await restarted.stop();
    expect(again).toEqual([]);
  });

  it('retries a partial failure from the lowest failed record, and a batch whose invocation threw', async () => {
    await append('wf_streamtest00003', 1);
    await append('wf_streamtest00003', 2);
    await append('wf_streamtest00003', 3);
    const delivered: string[] = [];
    let calls = 0;
    const m = await mapping(
      async (event) => {
        calls += 1;
        const records = recordsOf(event).filter((r) => wf(r) === 'wf_streamtest00003');
        if (calls === 1) throw new Error('function crashed');
        const failed = calls === 2 ? records.filter((r) => seq(r) === '2') : [];
        for (const r of records) if (!failed.includes(r)) delivered.push(seq(r) ?? '');
        return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber })) };
      },
      'retry',
      { bisectBatchOnFunctionError: false },
    );
    await m.drain();
    await m.stop();
    expect(delivered).toEqual(expect.arrayContaining(['1', '2', '3']));
    expect(m.failedInvocations).toBeGreaterThanOrEqual(2);
    expect(m.failures).toEqual([]);
  });

  it("bisects a poison record out of its batch into the on-failure destination; other workflows' events are delivered", async () => {
    for (let i = 1; i <= 4; i++) await append('wf_streamhealthy01', i);
    await append('wf_streampoison001', 1);
    for (let i = 1; i <= 4; i++) await append('wf_streamhealthy02', i);
    const delivered: string[] = [];
    const m = await mapping(
      async (event) => {
        const records = recordsOf(event).filter((r) => wf(r)?.startsWith('wf_stream'));
        // The function fails any batch that holds the poison record (it cannot publish it).
        if (records.some((r) => wf(r) === 'wf_streampoison001')) throw new Error('poison record');
        for (const r of records) delivered.push(`${wf(r)}#${seq(r)}`);
        return {};
      },
      'poison',
      { maxRetryAttempts: 2 },
    );
    await m.drain(20_000);
    await m.stop();
    // Every healthy record was delivered, in order per workflow, the poison one never.
    expect(delivered.filter((d) => d.startsWith('wf_streamhealthy01'))).toEqual(
      [1, 2, 3, 4].map((i) => `wf_streamhealthy01#${i}`),
    );
    expect(delivered.filter((d) => d.startsWith('wf_streamhealthy02'))).toEqual(
      [1, 2, 3, 4].map((i) => `wf_streamhealthy02#${i}`),
    );
    expect(delivered.some((d) => d.startsWith('wf_streampoison001'))).toBe(false);
    // The on-failure destination got Lambda's failure record for exactly that one record.
    expect(m.failures).toHaveLength(1);
    expect(m.failures[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      DDBStreamBatchInfo: { batchSize: 1, streamArn: m.streamArn },
    });
    const lines = (await readFile(join(dir, 'poison-failures.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1);
  });
});
