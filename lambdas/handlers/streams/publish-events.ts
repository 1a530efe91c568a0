import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { eventBridge } from '#adapters/aws/eventbridge.ts';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { metrics } from '#middleware/metrics.ts';
import { publishRecords } from '#usecases/publish-events.ts';

/** The event log's stream → the event bus (lambdas/usecases/publish-events.ts). */

const env = parseEnv(envSchema('EVENT_BUS_NAME', 'EVENT_SOURCE'));

export const handler = middy<unknown>()
  // A batch spans workflows: no correlation ids of its own, Powertools' context only.
  .use(correlated(() => ({})))
  .use(logMetrics(metrics))
  .handler((event) =>
    publishRecords(
      { bus: { client: eventBridge }, eventBusName: env.EVENT_BUS_NAME, source: env.EVENT_SOURCE, metrics },
      event,
    ),
  );
