import type { MiddlewareObj } from '@middy/core';
import { emitMetrics, type MetricsSink, producerMetrics } from '#domain/metrics.ts';
import { type ApiEvent, type ApiResult, asHttpError } from './http.ts';

/**
 * The producer's metrics, whatever the outcome: GoalAccepted (202) or GoalRejected by reason class,
 * and ProducerLatency (ms, the producer's own work: authentication to StartExecution). Every
 * invocation emits at least one metric. Put it after `apiErrors()` and before `authenticated()`, so
 * it times every check and sees each error as the status it answers with.
 */
export function producerMetered(sink: MetricsSink): MiddlewareObj<ApiEvent, ApiResult> {
  const started = new WeakMap<object, number>();
  const emit = (request: object, statusCode: number) =>
    emitMetrics(
      sink,
      producerMetrics(statusCode, performance.now() - (started.get(request) ?? performance.now())),
    );
  return {
    before: (request) => {
      started.set(request, performance.now());
    },
    after: (request) => emit(request, request.response?.statusCode ?? 200),
    onError: (request) => emit(request, asHttpError(request.error)?.statusCode ?? 500),
  };
}
