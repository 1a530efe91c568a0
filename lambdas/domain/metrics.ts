import { modelProviders } from '#domain/llm/provider.ts';
import type { WorkflowEvent, WorkflowEventType } from '#domain/schemas.ts';

/*
 * The business metrics (CloudWatch, through Powertools Metrics / EMF), as pure functions: which
 * metrics a producer answer or a batch of log events stands for. The handlers emit them with
 * {@link emitMetrics}; lib/constructs/observability.ts graphs and alarms on the same names.
 */

/** Metric names: the dashboard and alarms (lib/constructs/observability.ts) use these. */
export const MetricNames = {
  GoalAccepted: 'GoalAccepted',
  GoalRejected: 'GoalRejected',
  ProducerLatency: 'ProducerLatency',
  EventsPublished: 'EventsPublished',
  WorkflowCompleted: 'WorkflowCompleted',
  WorkflowFailed: 'WorkflowFailed',
  WorkflowCancelled: 'WorkflowCancelled',
  WorkflowRejected: 'WorkflowRejected',
  StepFailed: 'StepFailed',
  StepCompensated: 'StepCompensated',
  CompensationFailed: 'CompensationFailed',
  PlanCreated: 'PlanCreated',
  ModelTokensIn: 'ModelTokensIn',
  ModelTokensOut: 'ModelTokensOut',
} as const;
export type MetricName = (typeof MetricNames)[keyof typeof MetricNames];

/** Why the producer refused a goal: the `reason` dimension of GoalRejected. */
export const rejectionReasons = [
  'validation',
  'guardian',
  'rate_limited',
  'conflict',
  'unavailable',
  'internal',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

export type MetricUnitName = 'Count' | 'Milliseconds';

/** One metric value; `dimensions` beyond the default `service` dimension. */
export interface MetricDatum {
  readonly name: MetricName;
  readonly unit: MetricUnitName;
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * The reason class of a producer answer that was not a 202: 400/401/413/415 validation, 422 guardian,
 * 429 rate_limited, 409 conflict, 503 unavailable, anything else (a 500: a bug) internal.
 */
export function rejectionReasonOf(statusCode: number): RejectionReason {
  if (statusCode === 422) return 'guardian';
  if (statusCode === 429) return 'rate_limited';
  if (statusCode === 409) return 'conflict';
  if (statusCode === 503) return 'unavailable';
  if (statusCode >= 400 && statusCode < 500) return 'validation';
  return 'internal';
}

/** The metrics of one producer answer: accepted or rejected (by reason), and the latency. */
export function producerMetrics(statusCode: number, latencyMs: number): MetricDatum[] {
  const outcome: MetricDatum =
    statusCode === 202
      ? { name: 'GoalAccepted', unit: 'Count', value: 1 }
      : {
          name: 'GoalRejected',
          unit: 'Count',
          value: 1,
          dimensions: { reason: rejectionReasonOf(statusCode) },
        };
  return [outcome, { name: 'ProducerLatency', unit: 'Milliseconds', value: Math.max(0, latencyMs) }];
}

/** Log event types counted one for one under their own name. */
const countedTypes = [
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
  'WorkflowRejected',
  'StepFailed',
  'StepCompensated',
  'CompensationFailed',
] as const satisfies readonly (WorkflowEventType & MetricName)[];
const isCounted = (type: WorkflowEventType): type is (typeof countedTypes)[number] =>
  countedTypes.some((counted) => counted === type);

/**
 * The metrics of a batch of published log events, summed per (name, dimensions): outcome counts,
 * step failures, compensations, plans by source and model tokens by provider — plus EventsPublished
 * (always present, so a batch never flushes empty). Providers outside {@link modelProviders} count as
 * `other`, keeping the dimension's cardinality bounded.
 *
 * The publisher is invoked at least once per record, so a retried batch may count a few events
 * twice: these are operational signals, not billing; the event log is the exact record.
 */
export function eventMetrics(events: readonly WorkflowEvent[]): MetricDatum[] {
  const sums = new Map<string, MetricDatum>();
  const add = (datum: MetricDatum) => {
    const key = JSON.stringify([datum.name, datum.dimensions ?? {}]);
    const existing = sums.get(key);
    sums.set(key, existing ? { ...existing, value: existing.value + datum.value } : datum);
  };
  add({ name: 'EventsPublished', unit: 'Count', value: events.length });
  for (const event of events) {
    if (isCounted(event.type)) {
      add({ name: event.type, unit: 'Count', value: 1 });
    } else if (event.type === 'PlanCreated') {
      // The `source` dimension: cache hit rate = cache / all.
      add({ name: 'PlanCreated', unit: 'Count', value: 1, dimensions: { source: event.data.source } });
    } else if (event.type === 'ModelCalled') {
      const known = modelProviders.find((p) => p === event.data.provider);
      const dimensions = { provider: known ?? 'other' };
      add({ name: 'ModelTokensIn', unit: 'Count', value: event.data.tokens_in, dimensions });
      add({ name: 'ModelTokensOut', unit: 'Count', value: event.data.tokens_out, dimensions });
    }
  }
  return [...sums.values()];
}

/** The parts of Powertools' `Metrics` that {@link emitMetrics} uses. */
export interface MetricsSink {
  addMetric(name: string, unit: MetricUnitName, value: number): unknown;
  singleMetric(): {
    addDimension(name: string, value: string): unknown;
    addMetric(name: string, unit: MetricUnitName, value: number): unknown;
  };
}

/**
 * Emits the data: plain ones into the invocation's buffer (flushed by the logMetrics middleware),
 * dimensioned ones as single metrics of their own (flushed at once), so a dimension never leaks onto
 * the other metrics of the invocation.
 */
export function emitMetrics(sink: MetricsSink, data: readonly MetricDatum[]): void {
  for (const datum of data) {
    const dimensions = Object.entries(datum.dimensions ?? {});
    if (dimensions.length === 0) {
      sink.addMetric(datum.name, datum.unit, datum.value);
      continue;
    }
    const single = sink.singleMetric();
    for (const [name, value] of dimensions) single.addDimension(name, value);
    single.addMetric(datum.name, datum.unit, datum.value);
  }
}
