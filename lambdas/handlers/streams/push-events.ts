import middy from '@middy/core';
import { connectionPoster } from '#adapters/aws/apigateway-management.ts';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { pushRecords } from '#usecases/push-events.ts';

/** The event log's stream → the push channel's subscribers (lambdas/usecases/push-events.ts). */

const env = parseEnv(envSchema('CONNECTIONS_TABLE', 'WEBSOCKET_CALLBACK_URL'));
const post = connectionPoster(env.WEBSOCKET_CALLBACK_URL);

export const handler = middy<unknown>()
  // A batch spans workflows: no correlation ids of its own, Powertools' context only.
  .use(correlated(() => ({})))
  .handler((event) =>
    pushRecords({ connections: { client: dynamo, tableName: env.CONNECTIONS_TABLE }, post }, event),
  );
