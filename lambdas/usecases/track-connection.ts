import { logger } from '#adapters/logger.ts';
import { type ConnectionsDeps, deleteConnection, putConnection } from '#adapters/push-channel.ts';
import * as z from '#domain/zod.ts';

/**
 * The push channel's `$connect` and `$disconnect` routes. `$connect` runs after the authorizer
 * allowed the connection and records its owner (the token's `sub`), so later messages on it act for
 * that user; `$disconnect` forgets the connection and its subscriptions (one Query of its partition).
 */

const connectionEventSchema = z.object({
  requestContext: z.object({
    routeKey: z.enum(['$connect', '$disconnect']),
    connectionId: z.string().check(z.minLength(1)),
    authorizer: z.nullish(z.object({ principalId: z.optional(z.string()), user_id: z.optional(z.string()) })),
  }),
});

/** The caller of a `$connect` (the authorizer's `user_id`), for correlation; undefined when absent. */
export function connectingUser(event: unknown): string | undefined {
  const parsed = connectionEventSchema.safeParse(event);
  const authorizer = parsed.success ? parsed.data.requestContext.authorizer : undefined;
  return authorizer?.user_id ?? authorizer?.principalId;
}

export interface ConnectionDeps {
  readonly connections: ConnectionsDeps;
}

/** `$connect` records the connection's owner (401 without one); `$disconnect` forgets it. */
export async function onConnection(deps: ConnectionDeps, event: unknown): Promise<{ statusCode: number }> {
  const { requestContext } = z.parse(connectionEventSchema, event);
  const { connectionId } = requestContext;
  if (requestContext.routeKey === '$connect') {
    const userId = connectingUser(event);
    // The authorizer runs first; without its identity the connection is refused.
    if (!userId) return { statusCode: 401 };
    await putConnection(deps.connections, connectionId, userId);
    return { statusCode: 200 };
  }
  const subscriptions = await deleteConnection(deps.connections, connectionId);
  logger.info('connection closed', { subscriptions });
  return { statusCode: 200 };
}
