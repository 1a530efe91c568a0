import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import {
  CLOSED_TOKEN_ERRORS,
  claimApproval,
  getApproval,
  releaseApproval,
} from '#adapters/approval-store.ts';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { appendEvents, clearRollbackDeadline, readView, recordExecution } from '#adapters/event-log.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import { HttpError } from '#domain/errors.ts';
import { executionArnOf } from '#domain/execution-arn.ts';
import { hasEnded } from '#domain/projection.ts';
import type { NewWorkflowEvent } from '#domain/schemas.ts';
import { taskFailure } from '#domain/task-errors.ts';
import { expiresAt } from '#domain/ttl.ts';
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
 * POST /workflows/{id}/cancel — cooperative cancel: records CancelRequested; the next step, the
 * summary or the approval wait sees it and fails with WorkflowCancelled, and the saga undoes the
 * completed steps and records WorkflowCancelled. A pending approval is answered at once
 * (SendTaskFailure `WorkflowCancelled`). 202 `{"status":"cancelling"}`; 404 like status; 409
 * `not_running` once the workflow has ended. Repeating a cancel is harmless (one CancelRequested).
 */

export interface CancelDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly stateTable: string;
  readonly eventLogTable: string;
  readonly ttlDays: number;
  readonly eventLogTtlDays: number;
  /** The workflow's state machine: a failed (redrivable) execution is redriven into its cancellation. */
  readonly stateMachineArn?: string;
  readonly now?: () => Date;
}

export async function cancelWorkflow(event: ApiEvent, deps: CancelDeps): Promise<ApiResult> {
  const userId = userIdOf(event);
  const workflowId = pathWorkflowId(event);
  const now = deps.now?.() ?? new Date();
  const store = { client: deps.dynamo, tableName: deps.stateTable, now: deps.now };
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
  if (!record) throw notFound();

  const events = {
    client: deps.dynamo,
    tableName: deps.eventLogTable,
    stateTable: deps.stateTable,
    expiresAt: expiresAt(now, deps.eventLogTtlDays),
    now: deps.now,
  };
  const view = await unavailableAs503(() => readView(events, workflowId));
  if (hasEnded(view)) throw new HttpError(409, 'not_running', 'the workflow has already ended');
  const append: NewWorkflowEvent[] = [];
  if (view.last_seq === 0) {
    // Cancelled before the guardian ran: the log still starts with GoalReceived — the same event
    // (same id, same data from the execution input) the guardian would append, which then finds it.
    const input = record.input;
    append.push({
      event_id: 'GoalReceived',
      type: 'GoalReceived',
      data: {
        goal: input.goal,
        context_keys: Object.keys(input.context).sort(),
        submitted_at: input.submitted_at,
      },
    });
  }
  append.push({
    event_id: 'CancelRequested',
    type: 'CancelRequested',
    data: { requested_at: now.toISOString() },
  });
  // Refused if the workflow ended meanwhile (its last step and this cancel may race).
  const notRunning = () => new HttpError(409, 'not_running', 'the workflow has already ended');
  await unavailableAs503(() =>
    appendEvents(events, workflowId, append, {
      precondition: (current) => {
        if (hasEnded(current)) throw notRunning();
      },
    }),
  );

  // A workflow waiting for an approval would wait until the timeout: answer its token now.
  const state = { client: deps.dynamo, tableName: deps.stateTable, ttlDays: deps.ttlDays, now: deps.now };
  const approval = await unavailableAs503(() => getApproval(state, workflowId));
  if (
    approval?.status === 'pending' &&
    (await claimApproval(state, workflowId, approval.token, 'cancelled'))
  ) {
    try {
      await deps.sfn.send(
        new SendTaskFailureCommand({
          taskToken: approval.token,
          ...taskFailure('WorkflowCancelled', 'The user cancelled the workflow.'),
        }),
      );
    } catch (error) {
      if (!(error instanceof Error && CLOSED_TOKEN_ERRORS.has(error.name))) {
        // Not delivered: a retried cancel answers the token (CancelRequested is already recorded).
        await releaseApproval(state, workflowId, approval.token, 'cancelled').catch(() => undefined);
        return unavailableAs503(() => Promise.reject(error));
      }
    }
  }
  // A workflow whose execution failed on a transient error (left redrivable, not rolled back) has
  // nothing running to see the cancel: redrive it, and its next task meets CancelRequested and ends
  // it through the Catch saga (`cancelled`, steps undone). Stopped or timed-out executions are the
  // janitor's; an execution that does not exist yet meets the cancel at its first step.
  if (deps.stateMachineArn && !view.rollback) {
    const executionArn = executionArnOf(deps.stateMachineArn, workflowId);
    const execution = await unavailableAs503(() =>
      deps.sfn.send(new DescribeExecutionCommand({ executionArn })),
    ).catch((error: unknown) => {
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    });
    if (execution?.status === 'FAILED') {
      await unavailableAs503(() => deps.sfn.send(new RedriveExecutionCommand({ executionArn })))
        .then(() =>
          recordExecution(events, workflowId, {
            status: 'RUNNING',
            redrive_date: now.toISOString(),
            checked_at: now.toISOString(),
          }),
        )
        .then(() => clearRollbackDeadline(events, workflowId))
        .catch((error: unknown) => {
          if (!(error instanceof Error && error.name === 'ExecutionNotRedrivable')) throw error;
          logger.warn('failed execution not redrivable: cancel recorded only', { workflow_id: workflowId });
        });
    }
  }
  logger.info('cancel requested', { workflow_id: workflowId });
  return json(202, { status: 'cancelling', workflow_id: workflowId });
}

const env = readEnv();

export const handler = middy<ApiEvent, ApiResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler((event) =>
    cancelWorkflow(event, {
      dynamo,
      sfn,
      stateTable: required(env, 'STATE_TABLE'),
      eventLogTable: required(env, 'EVENT_LOG_TABLE'),
      ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
      eventLogTtlDays: env.EVENT_LOG_TTL_DAYS,
      stateMachineArn: env.STATE_MACHINE_ARN,
    }),
  );
