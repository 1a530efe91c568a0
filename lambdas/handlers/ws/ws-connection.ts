import middy from '@middy/core';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { connectingUser, onConnection } from '#usecases/track-connection.ts';

/** The push channel's `$connect` and `$disconnect` routes (lambdas/usecases/track-connection.ts). */

const env = parseEnv(envSchema('CONNECTIONS_TABLE', 'PUSH_TTL_HOURS'));
const connections = { client: dynamo, tableName: env.CONNECTIONS_TABLE, ttlHours: env.PUSH_TTL_HOURS };

export const handler = middy<unknown>()
  .use(correlated((event: unknown) => ({ userId: connectingUser(event) })))
  .handler((event) => onConnection({ connections }, event));
