import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DescribeExecutionCommand, RedriveExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { clearRollbackDeadline, readView, recordExecution } from '#adapters/event-log.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import { HttpError } from '#domain/errors.ts';
import { hasEnded } from '#domain/projection.ts';
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
import { executionArnOf } from './status.ts';

/**
 * POST /workflows/{id}/redrive — resumes a failed workflow from the state where it failed (Step
 * Functions RedriveExecution: same execution, successful states are not run again; the step task
 * reuses stored outputs, so no side effect happens twice). 202 `{"status":"redriving"}`; 404 like
 * status; 409 `not_redrivable` when the execution is not FAILED/TIMED_OUT/ABORTED, when the log
 * shows a rollback (started or finished) or a terminal event, or when Step Functions refuses
 * (ExecutionNotRedrivable, e.g. past the 14-day window); 503 when a dependency is unavailable.
 */

export interface RedriveDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly stateTable: string;
  readonly stateMachineArn: string;
  readonly now?: () => Date;
}

const REDRIVABLE_STATUSES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);
/** Step Functions' answers that mean "this execution cannot be redriven". */
const NOT_REDRIVABLE_ERRORS = new Set(['ExecutionNotRedrivable', 'ExecutionDoesNotExist']);

export function notRedrivable(message: string): HttpError {
  return new HttpError(409, 'not_redrivable', message);
}

export async function redriveWorkflow(event: ApiEvent, deps: RedriveDeps): Promise<ApiResult> {
  const userId = userIdOf(event);
  const workflowId = pathWorkflowId(event);
  const store = { client: deps.dynamo, tableName: deps.stateTable, now: deps.now };
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
  if (!record) throw notFound();

  const view = await unavailableAs503(() =>
    readView({ client: deps.dynamo, stateTable: deps.stateTable }, workflowId),
  );
  // A rolled-back, cancelled, completed or rejected workflow cannot be resumed.
  if (hasEnded(view)) throw notRedrivable('the workflow has ended');
  if (view.rollback) throw notRedrivable('the workflow is being rolled back');

  const executionArn = executionArnOf(deps.stateMachineArn, workflowId);
  const execution = await sfnCall(() => deps.sfn.send(new DescribeExecutionCommand({ executionArn })));
  if (!REDRIVABLE_STATUSES.has(String(execution.status))) {
    throw notRedrivable(`the workflow's execution is ${String(execution.status).toLowerCase()}`);
  }
  const redriven = await sfnCall(() => deps.sfn.send(new RedriveExecutionCommand({ executionArn })));
  // The read model stops saying "failed" now, not at the execution's next event.
  await recordExecution({ client: deps.dynamo, stateTable: deps.stateTable }, workflowId, {
    status: 'RUNNING',
    redrive_date: (redriven.redriveDate ?? deps.now?.() ?? new Date()).toISOString(),
    checked_at: (deps.now?.() ?? new Date()).toISOString(),
  })
    .then(() => clearRollbackDeadline({ client: deps.dynamo, stateTable: deps.stateTable }, workflowId))
    .catch((error: unknown) => logger.warn('could not record the redrive in the read model', { error }));
  logger.info('workflow redriven', { workflow_id: workflowId, from_status: execution.status });
  return json(202, { status: 'redriving', workflow_id: workflowId });
}

/** A Step Functions call: "cannot be redriven" answers are 409, outages 503. */
async function sfnCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await unavailableAs503(call);
  } catch (error) {
    if (error instanceof Error && NOT_REDRIVABLE_ERRORS.has(error.name)) {
      throw notRedrivable('Step Functions cannot redrive this execution');
    }
    throw error;
  }
}

const env = readEnv();

export const handler = middy<ApiEvent, ApiResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler((event) =>
    redriveWorkflow(event, {
      dynamo,
      sfn,
      stateTable: required(env, 'STATE_TABLE'),
      stateMachineArn: required(env, 'STATE_MACHINE_ARN'),
    }),
  );
