import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import {
  claimExecutionCheck,
  type ExecutionSnapshot,
  executionDescriptionOf,
  executionSnapshotOf,
  type HeadDeps,
  readHead,
  recordExecution,
} from '#adapters/event-log.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import { executionArnOf } from '#domain/execution-arn.ts';
import { emptyView, hasEnded, statusBody } from '#domain/projection.ts';
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
 * GET /workflows/{id}/status — one GetItem of the workflow's head: its owner and the read model the
 * event log keeps in step with every append. No Step Functions call while the workflow logs
 * progress; one that has been silent longer than the staleness window gets one DescribeExecution per
 * window (claimed with a conditional write, so N pollers cause one call), and its outcome is stored
 * in the head for everyone. Closed executions are usually known before that: the janitor records
 * them from the execution's status-change event. Another user's workflow, a missing one and a
 * malformed id are the same 404.
 */

export interface StatusDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly stateTable: string;
  readonly stateMachineArn: string;
  /** Silence after which a poll asks Step Functions (ms). @default 60000 */
  readonly staleAfterMs?: number;
  readonly now?: () => Date;
}

export { executionArnOf };

export async function getStatus(event: ApiEvent, deps: StatusDeps): Promise<ApiResult> {
  const userId = userIdOf(event);
  const workflowId = pathWorkflowId(event);
  const log: HeadDeps & { now?: () => Date } = {
    client: deps.dynamo,
    stateTable: deps.stateTable,
    now: deps.now,
  };
  const head = await unavailableAs503(() => readHead(log, workflowId));
  let createdAt = head?.created_at;
  if (head?.user_id !== userId) {
    // A head written without its owner (the producer stopped between its writes): the record decides.
    if (head?.user_id !== undefined) throw notFound();
    const store = { client: deps.dynamo, tableName: deps.stateTable, now: deps.now };
    const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
    if (!record) throw notFound();
    createdAt = record.created_at;
  }
  const now = deps.now?.() ?? new Date();
  const view = head?.view;
  let snapshot = executionSnapshotOf(head);
  if (head && view && !hasEnded(view) && view.rollback === undefined) {
    const staleAfterMs = deps.staleAfterMs ?? 60_000;
    const lastHeard = [view.updated_at, createdAt, snapshot?.checked_at]
      .filter((t) => t !== undefined)
      .sort()
      .at(-1);
    // A closed execution with progress logged after it was recorded may have been redriven (from the
    // console, say): worth one check per window, like a silent workflow. (Steps still in flight when
    // the Map failed also log after the close: the check then confirms the snapshot.)
    const progressedSinceClose =
      snapshot !== undefined &&
      CLOSED_STATUSES.has(snapshot.status) &&
      view.updated_at !== undefined &&
      view.updated_at > snapshot.checked_at;
    const silent =
      progressedSinceClose || lastHeard === undefined || now.getTime() - Date.parse(lastHeard) > staleAfterMs;
    // Someone asked within this window already (its answer is in the head): no write, no call.
    const checked = typeof head.execution_checked_at === 'number' ? head.execution_checked_at : 0;
    const askedThisWindow = now.getTime() - checked < staleAfterMs;
    if (
      silent &&
      !askedThisWindow &&
      (await unavailableAs503(() => claimExecutionCheck(log, workflowId, now, staleAfterMs)))
    ) {
      snapshot = await describe(deps, log, workflowId, now).catch((error: unknown) => {
        // The poll still answers from the read model; the next window asks again.
        logger.warn('DescribeExecution failed; answering from the read model', {
          workflow_id: workflowId,
          error,
        });
        return snapshot;
      });
    }
  }
  return json(
    200,
    statusBody({
      workflowId,
      createdAt: createdAt ?? now.toISOString(),
      view: view ?? emptyView,
      execution: executionDescriptionOf(snapshot),
      ...(typeof head?.rollback_deadline === 'string' ? { rollbackDeadline: head.rollback_deadline } : {}),
    }),
  );
}

const CLOSED_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** DescribeExecution, stored in the head; undefined when the execution does not exist (not started yet). */
async function describe(
  deps: StatusDeps,
  log: HeadDeps,
  workflowId: string,
  now: Date,
): Promise<ExecutionSnapshot | undefined> {
  let out: DescribeExecutionCommandOutput;
  try {
    out = await deps.sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArnOf(deps.stateMachineArn, workflowId) }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
  const snapshot: ExecutionSnapshot = {
    status: out.status ?? 'RUNNING',
    ...(out.error ? { error: out.error } : {}),
    ...(out.startDate ? { start_date: out.startDate.toISOString() } : {}),
    ...(out.stopDate ? { stop_date: out.stopDate.toISOString() } : {}),
    ...(out.redriveDate ? { redrive_date: out.redriveDate.toISOString() } : {}),
    checked_at: now.toISOString(),
  };
  await recordExecution(log, workflowId, snapshot);
  return snapshot;
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
      stateMachineArn: required(env, 'STATE_MACHINE_ARN'),
      staleAfterMs: env.STATUS_STALE_AFTER_SECONDS * 1000,
    }),
  );
