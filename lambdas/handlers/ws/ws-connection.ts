import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { z } from 'zod';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { type ConnectionsDeps, deleteConnection, putConnection } from '#adapters/push-channel.ts';
import { readEnv, required } from '#middleware/config.ts';
import { logger } from '#middleware/logger.ts';

/**
 * The push channel's `$connect` and `$disconnect` routes. `$connect` runs after the authorizer
 * allowed the connection and records its owner (the token's `sub`), so later messages on it act for
 * that user; `$disconnect` forgets the connection and its subscriptions (one Query of its partition).
 */

const connectionEventSchema = z.object({
  requestContext: z.object({
    routeKey: z.enum(['$connect', '$disconnect']),
    connectionId: z.string().min(1),
    authorizer: z.object({ principalId: z.string().optional(), user_id: z.string().optional() }).nullish(),
  }),
});

export interface ConnectionDeps {
  readonly connections: ConnectionsDeps;
}

export async function onConnection(deps: ConnectionDeps, event: unknown): Promise<{ statusCode: number }> {
  const { requestContext } = connectionEventSchema.parse(event);
  const { connectionId } = requestContext;
  if (requestContext.routeKey === '$connect') {
    const userId = requestContext.authorizer?.user_id ?? requestContext.authorizer?.principalId;
    // The authorizer runs first; without its identity the connection is refused.
    if (!userId) return { statusCode: 401 };
    await putConnection(deps.connections, connectionId, userId);
    return { statusCode: 200 };
  }
  const subscriptions = await deleteConnection(deps.connections, connectionId);
  logger.info('connection closed', { subscriptions });
  return { statusCode: 200 };
}

const env = readEnv();
const deps = (client: DynamoDBDocumentClient): ConnectionDeps => ({
  connections: { client, tableName: required(env, 'CONNECTIONS_TABLE'), ttlHours: env.PUSH_TTL_HOURS },
});

export const handler = middy(async (event: unknown) => onConnection(deps(dynamo), event)).use(
  injectLambdaContext(logger),
);
