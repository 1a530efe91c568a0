import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { metrics } from '#middleware/metrics.ts';
import type { MetricDatum, MetricsSink } from '../../lambdas/domain/metrics.ts';
import type { WorkflowEvent } from '../../lambdas/domain/schemas.ts';
import { handler } from '../../lambdas/handlers/streams/publish-events.ts';
import { type PublishDeps, publishRecords } from '../../lambdas/usecases/publish-events.ts';
import { sampleData } from '../support/events.ts';
import { lambdaContext } from './harness.ts';

vi.hoisted(() => {
  process.env.EVENT_BUS_NAME = 'test-bus';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  delete process.env.EVENT_SOURCE;
});

const eventBridge = mockClient(EventBridgeClient);
const sleeps: number[] = [];

const deps = (overrides: Partial<PublishDeps['bus']> = {}): PublishDeps => ({
  bus: {
    client: new EventBridgeClient({ region: 'us-east-1' }),
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 1,
    ...overrides,
  },
  eventBusName: 'test-bus',
  source: 'omnilink.orchestrator',
});

const WF = 'wf_publishevents001';

/** A stream record of the event with this seq, as DynamoDB Streams delivers it (NEW_IMAGE). */
function streamRecord(seq: number, overrides: Partial<WorkflowEvent> = {}, eventName = 'INSERT') {
  const type = overrides.type ?? 'StepStarted';
  return {
    eventID: `event-${seq}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: { workflow_id: { S: overrides.workflow_id ?? WF }, seq: { N: String(seq) } },
      NewImage: {
        workflow_id: { S: overrides.workflow_id ?? WF },
        seq: { N: String(seq) },
        event_id: { S: overrides.event_id ?? `${type}:s${seq}` },
        type: { S: type },
        at: { S: '2026-11-25T17:00:00.000Z' },
        data: { M: marshall({ ...sampleData[type], step_id: `s${seq}` }, { removeUndefinedValues: true }) },
        expires_at: { N: '1800000000' },
      },
      SequenceNumber: String(1000 + seq),
      SizeBytes: 200,
      StreamViewType: 'NEW_IMAGE',
    },
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/log/stream/2026',
  };
}

const batch = (...seqs: number[]) => ({ Records: seqs.map((seq) => streamRecord(seq)) });

const detailOf = (entry: PutEventsRequestEntry): Record<string, unknown> => JSON.parse(entry.Detail ?? '{}');

/** Every entry put so far, across calls, as `seq`s. */
const putSeqs = (): number[][] =>
  eventBridge
    .commandCalls(PutEventsCommand)
    .map((call) => (call.args[0].input.Entries ?? []).map((e) => Number(detailOf(e).seq)));

/** Answers PutEvents per entry: `fail(seq, attempt)` says whether that entry fails on that attempt. */
function respondPerEntry(fail: (seq: number, attempt: number) => string | undefined): void {
  const attempts = new Map<number, number>();
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => {
    const entries = input.Entries.map((entry) => {
      const seq = Number(detailOf(entry).seq);
      const attempt = (attempts.get(seq) ?? 0) + 1;
      attempts.set(seq, attempt);
      const code = fail(seq, attempt);
      return code
        ? { ErrorCode: code, ErrorMessage: `${code} for ${seq}` }
        : { EventId: `id-${seq}-${attempt}` };
    });
    return { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries };
  });
}

beforeEach(() => {
  eventBridge.reset();
  sleeps.length = 0;
});

describe('publish-events handler', () => {
  it('publishes every record of the batch as one entry with source, detail-type, detail and no resources', async () => {
    respondPerEntry(() => undefined);
    const result = await publishRecords(deps(), batch(1, 2, 3));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const entries = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(3);
    expect(entries[0]).toEqual({
      EventBusName: 'test-bus',
      Source: 'omnilink.orchestrator',
      DetailType: 'StepStarted',
      Detail: expect.any(String),
      Time: new Date('2026-11-25T17:00:00.000Z'),
      Resources: [],
    });
    expect(detailOf(entries[0] ?? {})).toEqual({
      dedup_id: `${WF}#1`,
      workflow_id: WF,
      seq: 1,
      event_id: 'StepStarted:s1',
      type: 'StepStarted',
      at: '2026-11-25T17:00:00.000Z',
      data: { step_id: 's1', tool: 'book_flight' },
    });
  });

  it('sends at most 10 entries per PutEvents request, in order', async () => {
    respondPerEntry(() => undefined);
    const seqs = Array.from({ length: 25 }, (_, i) => i + 1);
    const result = await publishRecords(deps(), batch(...seqs));
    expect(result.batchItemFailures).toEqual([]);
    expect(putSeqs().map((chunk) => chunk.length)).toEqual([10, 10, 5]);
    expect(putSeqs().flat()).toEqual(seqs);
  });

  it('retries only the entries PutEvents reported as failed, with backoff, and then reports success', async () => {
    respondPerEntry((seq, attempt) => (seq % 2 === 0 && attempt === 1 ? 'ThrottlingException' : undefined));
    const result = await publishRecords(deps(), batch(1, 2, 3, 4, 5));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(putSeqs()).toEqual([
      [1, 2, 3, 4, 5],
      [2, 4],
    ]);
    expect(sleeps).toEqual([100]);
  });

  it('backs off exponentially with full jitter between attempts, up to the cap', async () => {
    respondPerEntry(() => 'InternalFailure');
    await publishRecords(
      deps({ maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 500, random: () => 0.5 }),
      batch(1),
    );
    expect(sleeps).toEqual([50, 100, 200, 250, 250]);
  });

  it('reports records whose entries fail on every attempt as batch item failures', async () => {
    respondPerEntry((seq) => (seq === 2 || seq === 4 ? 'InternalFailure' : undefined));
    const result = await publishRecords(deps(), batch(1, 2, 3, 4, 5));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1002' }, { itemIdentifier: '1004' }] });
    // 1 full request, then 3 retries of the two failing entries (4 attempts in all).
    expect(putSeqs()).toEqual([
      [1, 2, 3, 4, 5],
      [2, 4],
      [2, 4],
      [2, 4],
    ]);
  });

  it('retries a request that throws, and reports all its records if it keeps throwing', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    const result = await publishRecords(deps({ maxAttempts: 2 }), batch(1, 2));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '1001' }, { itemIdentifier: '1002' }]);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 2);
  });

  it('recovers from a request that throws once', async () => {
    eventBridge
      .on(PutEventsCommand)
      .rejectsOnce(new Error('socket hang up'))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    expect(await publishRecords(deps(), batch(1, 2))).toEqual({ batchItemFailures: [] });
  });

  it('treats a response without a result for an entry as a failure of that entry', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }] });
    const result = await publishRecords(deps({ maxAttempts: 1 }), batch(1, 2));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '1002' }]);
  });

  it('publishes nothing for MODIFY or REMOVE records and for images that are not log events', async () => {
    respondPerEntry(() => undefined);
    const removed = streamRecord(1, {}, 'REMOVE');
    const garbage = streamRecord(2);
    garbage.dynamodb.NewImage.workflow_id = { S: 'not-a-workflow' };
    const result = await publishRecords(deps(), { Records: [removed, garbage, streamRecord(3)] });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(putSeqs()).toEqual([[3]]);
  });

  it('makes no call for a batch with nothing to publish', async () => {
    expect(await publishRecords(deps(), { Records: [streamRecord(1, {}, 'REMOVE')] })).toEqual({
      batchItemFailures: [],
    });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('rejects an event that is not a stream batch (Lambda retries or bisects it)', async () => {
    await expect(publishRecords(deps(), { nope: true })).rejects.toThrow();
  });

  it('runs as a Lambda handler on the bus from EVENT_BUS_NAME, with the default source', async () => {
    respondPerEntry(() => undefined);
    const result = await handler(batch(1), lambdaContext);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [expect.objectContaining({ EventBusName: 'test-bus', Source: 'omnilink.orchestrator' })],
    });
  });
});

// --- Metrics -------------------------------------------------------------------------------------

/** A stream record of an event of this type and data. */
function typedRecord(seq: number, type: WorkflowEvent['type'], data: Record<string, unknown>) {
  const record = streamRecord(seq, { type, event_id: `${type}:${seq}` });
  return {
    ...record,
    dynamodb: {
      ...record.dynamodb,
      NewImage: { ...record.dynamodb.NewImage, data: { M: marshall({ ...sampleData[type], ...data }) } },
    },
  };
}

/** A sink that records what is emitted, single (dimensioned) metrics included. */
function recordingSink(): MetricsSink & { data: MetricDatum[] } {
  const data: MetricDatum[] = [];
  return {
    data,
    addMetric: (name, unit, value) => data.push({ name: name as MetricDatum['name'], unit, value }),
    singleMetric: () => {
      const dimensions: Record<string, string> = {};
      return {
        addDimension: (key, value) => {
          dimensions[key] = value;
        },
        addMetric: (name, unit, value) =>
          data.push({ name: name as MetricDatum['name'], unit, value, dimensions: { ...dimensions } }),
      };
    },
  };
}

const lifecycleBatch = () => ({
  Records: [
    typedRecord(1, 'ModelCalled', {
      purpose: 'guardian',
      provider: 'bedrock',
      tokens_in: 120,
      tokens_out: 8,
    }),
    typedRecord(2, 'ModelCalled', {
      purpose: 'planner',
      provider: 'bedrock',
      tokens_in: 300,
      tokens_out: 90,
    }),
    typedRecord(3, 'PlanCreated', { source: 'cache', steps_total: 2 }),
    typedRecord(4, 'StepFailed', {
      step_id: 'book_1',
      tool: 'book_flight',
      error: { code: 'X', message: 'x' },
    }),
    typedRecord(5, 'StepCompensated', { step_id: 'search_1', tool: 'search_flights' }),
    typedRecord(6, 'CompensationFailed', { step_id: 'hotel_1', tool: 'book_hotel' }),
    typedRecord(7, 'WorkflowFailed', { error: { code: 'X', message: 'x' } }),
  ],
});

describe('publish-events metrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('emits outcome, step, compensation, plan-source and token metrics of the published events', async () => {
    respondPerEntry(() => undefined);
    const sink = recordingSink();
    await publishRecords({ ...deps(), metrics: sink }, lifecycleBatch());
    expect(sink.data).toEqual(
      expect.arrayContaining([
        { name: 'EventsPublished', unit: 'Count', value: 7 },
        { name: 'ModelTokensIn', unit: 'Count', value: 420, dimensions: { provider: 'bedrock' } },
        { name: 'ModelTokensOut', unit: 'Count', value: 98, dimensions: { provider: 'bedrock' } },
        { name: 'PlanCreated', unit: 'Count', value: 1, dimensions: { source: 'cache' } },
        { name: 'StepFailed', unit: 'Count', value: 1 },
        { name: 'StepCompensated', unit: 'Count', value: 1 },
        { name: 'CompensationFailed', unit: 'Count', value: 1 },
        { name: 'WorkflowFailed', unit: 'Count', value: 1 },
      ]),
    );
    expect(sink.data).toHaveLength(8);
  });

  it('counts only the events that reached the bus (a failed record is counted when it comes back)', async () => {
    respondPerEntry((seq) => (seq === 7 ? 'InternalFailure' : undefined));
    const sink = recordingSink();
    const result = await publishRecords({ ...deps(), metrics: sink }, lifecycleBatch());
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '1007' }]);
    expect(sink.data.find((d) => d.name === 'WorkflowFailed')).toBeUndefined();
    expect(sink.data).toContainEqual({ name: 'EventsPublished', unit: 'Count', value: 6 });
  });

  it('emits EventsPublished 0 for a batch with nothing to publish (no empty flush)', async () => {
    const sink = recordingSink();
    await publishRecords({ ...deps(), metrics: sink }, { Records: [streamRecord(1, {}, 'REMOVE')] });
    expect(sink.data).toEqual([{ name: 'EventsPublished', unit: 'Count', value: 0 }]);
  });

  it('the handler emits into the shared Metrics instance and flushes it (logMetrics)', async () => {
    respondPerEntry(() => undefined);
    const added: string[] = [];
    const dimensioned: string[] = [];
    vi.spyOn(metrics, 'addMetric').mockImplementation((name) => {
      added.push(name);
      return metrics;
    });
    vi.spyOn(metrics, 'singleMetric').mockImplementation(() => {
      const fake = {
        addDimension: () => fake,
        addMetric: (name: string) => {
          dimensioned.push(name);
          return fake;
        },
      };
      return fake as unknown as ReturnType<typeof metrics.singleMetric>;
    });
    const flush = vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    await handler(lifecycleBatch(), lambdaContext);
    expect(added).toEqual(
      expect.arrayContaining([
        'EventsPublished',
        'StepFailed',
        'StepCompensated',
        'CompensationFailed',
        'WorkflowFailed',
      ]),
    );
    expect(dimensioned).toEqual(expect.arrayContaining(['ModelTokensIn', 'ModelTokensOut', 'PlanCreated']));
    expect(flush).toHaveBeenCalledTimes(1);
  });
});
