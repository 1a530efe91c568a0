import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { readEventPage } from '#adapters/event-log.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import { HttpError } from '#domain/errors.ts';
import { readEnv, required } from '#middleware/config.ts';
import {
  type ApiEvent,
  type ApiResult,
  httpErrors,
  json,
  notFound,
  pathWorkflowId,
  unavailableAs503,
  userIdOf,
} from '#middleware/http.ts';
import { logger } from '#middleware/logger.ts';

/**
 * GET /workflows/{id}/events?after=<seq>&limit=<n> — the audit trail in order, a page at a time.
 * `next_after` is present when more events remain: pass it as `after` to read on.
 */

export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 1000;

export interface EventsDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly stateTable: string;
  readonly eventLogTable: string;
  readonly now?: () => Date;
}

export async function listEvents(event: ApiEvent, deps: EventsDeps): Promise<ApiResult> {
  const userId = userIdOf(event);
  const workflowId = pathWorkflowId(event);
  const { after, limit } = pageOf(event);
  const store = { client: deps.dynamo, tableName: deps.stateTable, now: deps.now };
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
  if (!record) throw notFound();

  // One extra event tells whether more remain without a second, possibly empty, page.
  const page = await unavailableAs503(() =>
    readEventPage({ client: deps.dynamo, tableName: deps.eventLogTable }, workflowId, after, limit + 1),
  );
  const events = page.events.slice(0, limit);
  const last = events.at(-1);
  const more = page.events.length > limit || page.nextSeq !== undefined;
  return json(200, {
    events: events.map(({ seq, type, at, data }) => ({ seq, type, at, data })),
    ...(more && last ? { next_after: last.seq } : {}),
  });
}

/** `after` (default 0) and `limit` (default 500, 1..1000) from the query; bad values → 400. */
function pageOf(event: ApiEvent): { after: number; limit: number } {
  const query = event.queryStringParameters ?? {};
  const issues: { path: string[]; message: string }[] = [];
  const after = integerParam(query.after, 0);
  if (after === undefined || after < 0)
    issues.push({ path: ['after'], message: 'must be a non-negative integer' });
  const limit = integerParam(query.limit, DEFAULT_LIMIT);
  if (limit === undefined || limit < 1 || limit > MAX_LIMIT) {
    issues.push({ path: ['limit'], message: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  if (after === undefined || limit === undefined || issues.length > 0) {
    throw new HttpError(400, 'invalid_request', 'invalid query parameters', { details: { issues } });
  }
  return { after, limit };
}

function integerParam(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

const env = readEnv();

export const handler = middy<ApiEvent, ApiResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler((event) =>
    listEvents(event, {
      dynamo,
      stateTable: required(env, 'STATE_TABLE'),
      eventLogTable: required(env, 'EVENT_LOG_TABLE'),
    }),
  );
