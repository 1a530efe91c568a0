import middy from '@middy/core';
import { connectionPoster } from '#adapters/aws/apigateway-management.ts';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { messageWorkflowId, onMessage, type SubscribeDeps } from '#usecases/subscribe.ts';

/** The push channel's `subscribe` and `unsubscribe` messages (lambdas/usecases/subscribe.ts). */

const env = parseEnv(
  envSchema(
    'CONNECTIONS_TABLE',
    'PUSH_TTL_HOURS',
    'STATE_TABLE',
    'EVENT_LOG_TABLE',
    'WEBSOCKET_CALLBACK_URL',
  ),
);
const deps: SubscribeDeps = {
  dynamo,
  connections: { client: dynamo, tableName: env.CONNECTIONS_TABLE, ttlHours: env.PUSH_TTL_HOURS },
  stateTable: env.STATE_TABLE,
  eventLogTable: env.EVENT_LOG_TABLE,
  post: connectionPoster(env.WEBSOCKET_CALLBACK_URL),
};

export const handler = middy<unknown>()
  .use(correlated((event: unknown) => ({ workflowId: messageWorkflowId(event) })))
  .handler((event) => onMessage(deps, event));
