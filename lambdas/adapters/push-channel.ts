import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { connectionKeys } from '#domain/push-protocol.ts';

/**
 * The push channel's I/O: connections and subscriptions in CONNECTIONS_TABLE, and messages to
 * connections through the API Gateway Management API (PostToConnection).
 *
 * A subscription is two small items: `WF#<workflow>`/`CONN#<connection>`, so the stream consumer
 * finds a workflow's subscribers with one Query of one partition (never a scan), and
 * `CONN#<connection>`/`SUB#<workflow>`, so `$disconnect` finds what to forget with one Query.
 * Every item carries a TTL past API Gateway's 2-hour connection limit, for a `$disconnect` that
 * never arrived.
 */

export interface ConnectionsDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Hours the items live (PUSH_TTL_HOURS). */
  readonly ttlHours: number;
  readonly now?: () => Date;
}

const nowOf = (deps: Pick<ConnectionsDeps, 'now'>) => deps.now?.() ?? new Date();
const expiresAt = (deps: ConnectionsDeps) => Math.floor(nowOf(deps).getTime() / 1000 + deps.ttlHours * 3600);
const live = (deps: Pick<ConnectionsDeps, 'now'>, item: Record<string, unknown>) =>
  typeof item.expires_at !== 'number' || item.expires_at > nowOf(deps).getTime() / 1000;

/** Records an authorized connection and its owner (at `$connect`). */
export async function putConnection(
  deps: ConnectionsDeps,
  connectionId: string,
  userId: string,
): Promise<void> {
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        ...connectionKeys.connection(connectionId),
        user_id: userId,
        connected_at: nowOf(deps).toISOString(),
        expires_at: expiresAt(deps),
      },
    }),
  );
}

/** The owner of a connection; undefined when it is not (or no longer) recorded. */
export async function connectionOwner(
  deps: Omit<ConnectionsDeps, 'ttlHours'>,
  connectionId: string,
): Promise<string | undefined> {
  const { Item } = await deps.client.send(
    new GetCommand({
      TableName: deps.tableName,
      Key: connectionKeys.connection(connectionId),
      ConsistentRead: true,
    }),
  );
  if (!Item || !live(deps, Item) || typeof Item.user_id !== 'string') return undefined;
  return Item.user_id;
}

/** Subscribes a connection to a workflow (both items; the by-workflow one first, so it is live soonest). */
export async function putSubscription(
  deps: ConnectionsDeps,
  connectionId: string,
  workflowId: string,
): Promise<void> {
  const expires_at = expiresAt(deps);
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        ...connectionKeys.byWorkflow(workflowId, connectionId),
        connection_id: connectionId,
        expires_at,
      },
    }),
  );
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: { ...connectionKeys.byConnection(connectionId, workflowId), workflow_id: workflowId, expires_at },
    }),
  );
}

/** Forgets one subscription (both items). */
export async function deleteSubscription(
  deps: Pick<ConnectionsDeps, 'client' | 'tableName'>,
  connectionId: string,
  workflowId: string,
): Promise<void> {
  await Promise.all([
    deps.client.send(
      new DeleteCommand({
        TableName: deps.tableName,
        Key: connectionKeys.byWorkflow(workflowId, connectionId),
      }),
    ),
    deps.client.send(
      new DeleteCommand({
        TableName: deps.tableName,
        Key: connectionKeys.byConnection(connectionId, workflowId),
      }),
    ),
  ]);
}

/** The connections subscribed to a workflow: one Query of the workflow's partition, page by page. */
export async function subscribersOf(
  deps: Pick<ConnectionsDeps, 'client' | 'tableName' | 'now'>,
  workflowId: string,
): Promise<string[]> {
  const connections: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.client.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :conn)',
        ExpressionAttributeValues: { ':pk': `WF#${workflowId}`, ':conn': 'CONN#' },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (live(deps, item) && typeof item.connection_id === 'string') connections.push(item.connection_id);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return connections;
}

/** Forgets a connection and every subscription it had (at `$disconnect`, or when it is gone). */
export async function deleteConnection(
  deps: Pick<ConnectionsDeps, 'client' | 'tableName'>,
  connectionId: string,
): Promise<number> {
  let start: Record<string, unknown> | undefined;
  let subscriptions = 0;
  do {
    const page = await deps.client.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `CONN#${connectionId}` },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    await Promise.all(
      (page.Items ?? []).map(async (item) => {
        if (typeof item.workflow_id === 'string') {
          subscriptions += 1;
          await deleteSubscription(deps, connectionId, item.workflow_id);
        }
      }),
    );
    start = page.LastEvaluatedKey;
  } while (start);
  await deps.client.send(
    new DeleteCommand({ TableName: deps.tableName, Key: connectionKeys.connection(connectionId) }),
  );
  return subscriptions;
}

/** The connection is closed (API Gateway's GoneException, HTTP 410). */
export function isGone(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const named = 'name' in error && error.name === 'GoneException';
  const status =
    '$metadata' in error &&
    typeof error.$metadata === 'object' &&
    error.$metadata !== null &&
    'httpStatusCode' in error.$metadata &&
    error.$metadata.httpStatusCode === 410;
  return named || status;
}

/** Sends one message to a connection; false when the connection is gone. */
export async function postToConnection(
  management: ApiGatewayManagementApiClient,
  connectionId: string,
  message: string,
): Promise<boolean> {
  try {
    await management.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(message) }),
    );
    return true;
  } catch (error) {
    if (isGone(error)) return false;
    throw error;
  }
}
