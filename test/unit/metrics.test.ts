import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  emitMetrics,
  eventMetrics,
  producerMetrics,
  rejectionReasonOf,
} from '../../lambdas/domain/metrics.ts';
import { type WorkflowEvent, workflowEventSchema } from '../../lambdas/domain/schemas.ts';
import { logEvent, sampleData } from '../support/events.ts';

const event = (seq: number, type: WorkflowEvent['type'], data: Record<string, unknown> = {}): WorkflowEvent =>
  logEvent(type, data, { workflow_id: 'wf_metricsunit0001', seq, at: '2026-11-25T17:00:00.000Z' });

describe('producer metrics', () => {
  it.each([
    [400, 'validation'],
    [401, 'validation'],
    [413, 'validation'],
    [415, 'validation'],
    [422, 'guardian'],
    [429, 'rate_limited'],
    [409, 'conflict'],
    [503, 'unavailable'],
    [500, 'internal'],
  ] as const)('classifies %i as %s', (status, reason) => {
    expect(rejectionReasonOf(status)).toBe(reason);
  });

  it('counts a 202 as GoalAccepted and always records the latency', () => {
    expect(producerMetrics(202, 12.5)).toEqual([
      { name: 'GoalAccepted', unit: 'Count', value: 1 },
      { name: 'ProducerLatency', unit: 'Milliseconds', value: 12.5 },
    ]);
    expect(producerMetrics(429, 3)[0]).toEqual({
      name: 'GoalRejected',
      unit: 'Count',
      value: 1,
      dimensions: { reason: 'rate_limited' },
    });
  });
});

describe('event metrics', () => {
  it('sums per metric and dimensions, and counts PlanCreated by source for the cache hit rate', () => {
    const data = eventMetrics([
      event(1, 'PlanCreated', { source: 'planner' }),
      event(2, 'PlanCreated', { source: 'cache' }),
      event(3, 'PlanCreated', { source: 'cache' }),
      event(4, 'WorkflowCompleted'),
      event(5, 'WorkflowCancelled'),
      event(6, 'WorkflowRejected'),
      event(7, 'StepSucceeded', { step_id: 'a' }),
    ]);
    expect(data).toEqual(
      expect.arrayContaining([
        { name: 'EventsPublished', unit: 'Count', value: 7 },
        { name: 'PlanCreated', unit: 'Count', value: 1, dimensions: { source: 'planner' } },
        { name: 'PlanCreated', unit: 'Count', value: 2, dimensions: { source: 'cache' } },
        { name: 'WorkflowCompleted', unit: 'Count', value: 1 },
        { name: 'WorkflowCancelled', unit: 'Count', value: 1 },
        { name: 'WorkflowRejected', unit: 'Count', value: 1 },
      ]),
    );
    expect(data).toHaveLength(6);
  });

  it('labels an unknown model provider "other" (bounded cardinality)', () => {
    const data = eventMetrics([
      event(1, 'ModelCalled', { provider: 'acme', tokens_in: 5, tokens_out: 1 }),
      event(2, 'ModelCalled', { provider: 'offline', tokens_in: 15, tokens_out: 0 }),
    ]);
    expect(data).toEqual([
      { name: 'EventsPublished', unit: 'Count', value: 2 },
      { name: 'ModelTokensIn', unit: 'Count', value: 5, dimensions: { provider: 'other' } },
      { name: 'ModelTokensOut', unit: 'Count', value: 1, dimensions: { provider: 'other' } },
      { name: 'ModelTokensIn', unit: 'Count', value: 15, dimensions: { provider: 'offline' } },
      { name: 'ModelTokensOut', unit: 'Count', value: 0, dimensions: { provider: 'offline' } },
    ]);
  });
});

describe('malformed event data', () => {
  it('never reaches the metrics: the log schema refuses it', () => {
    const envelope = {
      workflow_id: 'wf_metricsunit0001',
      seq: 1,
      event_id: 'e',
      at: '2026-11-25T17:00:00.000Z',
    };
    for (const [type, data] of [
      ['ModelCalled', { ...sampleData.ModelCalled, tokens_in: 'many' }],
      ['PlanCreated', { ...sampleData.PlanCreated, source: 'oracle' }],
    ] as const) {
      expect(workflowEventSchema.safeParse({ ...envelope, type, data }).success).toBe(false);
    }
  });
});

describe('emitMetrics with Powertools (EMF)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('prints dimensioned metrics as their own EMF documents, leaving the others on [service] only', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'svc' });
    emitMetrics(metrics, producerMetrics(422, 7));
    metrics.publishStoredMetrics();
    const docs = lines.flatMap((line) => line.split('\n').filter(Boolean)).map((l) => JSON.parse(l));
    expect(docs).toHaveLength(2);
    const rejected = docs.find((d) => 'GoalRejected' in d);
    const latency = docs.find((d) => 'ProducerLatency' in d);
    expect(rejected._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'Test',
      Dimensions: [['service', 'reason']],
      Metrics: [{ Name: 'GoalRejected', Unit: 'Count' }],
    });
    expect(rejected).toMatchObject({ service: 'svc', reason: 'guardian', GoalRejected: 1 });
    expect(latency._aws.CloudWatchMetrics[0]).toMatchObject({
      Dimensions: [['service']],
      Metrics: [{ Name: 'ProducerLatency', Unit: 'Milliseconds' }],
    });
    expect(latency.reason).toBeUndefined();
  });
});
