import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { type ExecutionDescription, projectStatus } from '#core/projection.ts';
import { readEvents } from '#io/event-log.ts';
import { getOwnedWorkflowRecord } from '#io/workflow-store.ts';
import { dynamo, sfn } from '#shared/clients.ts';
import { readEnv, required } from '#shared/config.ts';
import { executionArnOf } from '#shared/execution-arn.ts';
import {
  type ApiEvent,
  type ApiResult,
  httpErrors,
  isUnavailableError,
  json,
  notFound,
  pathWorkflowId,
  serviceUnavailable,
  unavailableAs503,
  userIdOf,
} from '#shared/http.ts';
import { logger } from '#shared/observability.ts';
import { terminalEventTypes } from '#shared/schemas.ts';

/**
 * GET /workflows/{id}/status — the status projected from the event log (source of truth) and
 * DescribeExecution. Another user's workflow, a missing one and a malformed id are the same 404.
 */

export interface StatusDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly stateTable: string;
  readonly eventLogTable: string;
  readonly stateMachineArn: string;
  readonly now?: () => Date;
}

export { executionArnOf };

export async function getStatus(event: ApiEvent, deps: StatusDeps): Promise<ApiResult> {
  const userId = userIdOf(event);
  const workflowId = pathWorkflowId(event);
  const store = { client: deps.dynamo, tableName: deps.stateTable, now: deps.now };
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
  if (!record) throw notFound();

  const [events, execution] = await Promise.all([
    unavailableAs503(() => readEvents({ client: deps.dynamo, tableName: deps.eventLogTable }, workflowId)),
    describe(deps, workflowId).then(
      (description) => ({ ok: true as const, description }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
  ]);
  if (!execution.ok) {
    // A finished log does not need the execution; anything else cannot be answered without it.
    if (!events.some((e) => terminalEventTypes.includes(e.type))) {
      throw isUnavailableError(execution.error) ? serviceUnavailable(execution.error) : execution.error;
    }
    logger.warn('DescribeExecution failed; answering from the log', { workflow_id: workflowId });
  }
  return json(
    200,
    projectStatus({
      workflowId,
      createdAt: record.created_at,
      events,
      execution: execution.ok ? execution.description : undefined,
    }),
  );
}

/** DescribeExecution; undefined when the execution does not exist (not started yet). */
async function describe(deps: StatusDeps, workflowId: string): Promise<ExecutionDescription | undefined> {
  try {
    const out = await deps.sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArnOf(deps.stateMachineArn, workflowId) }),
    );
    return {
      status: out.status,
      startDate: out.startDate,
      stopDate: out.stopDate,
      redriveDate: out.redriveDate,
      error: out.error,
    };
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

const env = readEnv();

export const handler = middy<ApiEvent, ApiResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler((event) =>
    getStatus(event, {
      dynamo,
      sfn,
      stateTable: required(env, 'STATE_TABLE'),
      eventLogTable: required(env, 'EVENT_LOG_TABLE'),
      stateMachineArn: required(env, 'STATE_MACHINE_ARN'),
    }),
  );
