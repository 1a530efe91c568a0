import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { executionDescriptionOf, executionSnapshotOf } from '#adapters/event-log.ts';
import { queryOwnedHeads } from '#adapters/workflow-index.ts';
import { HttpError } from '#domain/errors.ts';
import { decodeListCursor, encodeListCursor } from '#domain/list-cursor.ts';
import { statusBody } from '#domain/projection.ts';
import { listWorkflowsQuerySchema } from '#domain/schemas.ts';
import { readEnv, required } from '#middleware/config.ts';
import {
  type ApiEvent,
  type ApiResult,
  httpErrors,
  json,
  unavailableAs503,
  userIdOf,
} from '#middleware/http.ts';
import { logger } from '#middleware/logger.ts';

/**
 * GET /workflows?limit=<n>&next=<cursor> — the caller's workflows, newest first, a page at a time:
 * one Query of the owner index and one BatchGetItem of the page's heads, whatever the number of
 * workflows. Each status is the read model's (`statusBody` of the head's view and last known
 * execution), without a Step Functions call. A cursor that is not one of the caller's is a 400.
 */

export const DEFAULT_LIMIT = 20;

export interface ListDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly stateTable: string;
  readonly now?: () => Date;
}

export async function listWorkflows(event: ApiEvent, deps: ListDeps): Promise<ApiResult> {
  const userId = userIdOf(event);
  const query = listWorkflowsQuerySchema.safeParse(event.queryStringParameters ?? {});
  if (!query.success) {
    const issues = query.error.issues.map(({ path, message }) => ({ path, message }));
    throw new HttpError(400, 'invalid_request', 'invalid query parameters', { details: { issues } });
  }
  const after = query.data.next === undefined ? undefined : decodeListCursor(userId, query.data.next);
  if (query.data.next !== undefined && after === undefined) {
    const issues = [{ path: ['next'], message: 'not a cursor of this listing' }];
    throw new HttpError(400, 'invalid_request', 'invalid query parameters', { details: { issues } });
  }
  const page = await unavailableAs503(() =>
    queryOwnedHeads({ client: deps.dynamo, stateTable: deps.stateTable, now: deps.now }, userId, {
      limit: query.data.limit ?? DEFAULT_LIMIT,
      ...(after ? { after } : {}),
    }),
  );
  const workflows = page.heads.map((head) => {
    const status = statusBody({
      workflowId: head.workflow_id,
      createdAt: head.created_at,
      view: head.view,
      execution: executionDescriptionOf(executionSnapshotOf(head)),
    });
    return {
      workflow_id: head.workflow_id,
      goal: typeof head.goal === 'string' ? head.goal : '',
      status: status.status,
      progress: status.progress,
      created_at: head.created_at,
      updated_at: status.updated_at,
    };
  });
  return json(200, {
    workflows,
    ...(page.next ? { next: encodeListCursor(userId, page.next) } : {}),
  });
}

const env = readEnv();

export const handler = middy<ApiEvent, ApiResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler((event) => listWorkflows(event, { dynamo, stateTable: required(env, 'STATE_TABLE') }));
