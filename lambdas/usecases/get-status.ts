import {
  claimExecutionCheck,
  type ExecutionSnapshot,
  executionDescriptionOf,
  executionSnapshotOf,
  type HeadDeps,
  readHead,
  recordExecution,
} from '#adapters/event-log.ts';
import {
  type DocumentClient,
  describeExecution,
  type ExecutionDetails,
  type StepFunctions,
} from '#adapters/executions.ts';
import { logger } from '#adapters/logger.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import type { WorkflowStatusBody } from '#domain/api/bodies.ts';
import { notFound, unavailableAs503 } from '#domain/api/errors.ts';
import { statusBody } from '#domain/api/status-body.ts';
import { executionArnOf } from '#domain/execution-arn.ts';
import { emptyView, hasEnded } from '#domain/projection.ts';

/**
 * A workflow's status (GET /workflows/{id}/status): one GetItem of the workflow's head, its owner and
 * the read model the event log keeps in step with every append. No Step Functions call while the
 * workflow logs progress; one that has been silent longer than the staleness window gets one
 * DescribeExecution per window (claimed with a conditional write, so N pollers cause one call), and
 * its outcome is stored in the head for everyone. Closed executions are usually known before that:
 * the janitor records them from the execution's status-change event. Another user's workflow, a
 * missing one and a malformed id are the same 404.
 */

export interface WorkflowRequest {
  readonly userId: string;
  readonly workflowId: string;
}

export interface GetStatusPorts {
  readonly dynamo: DocumentClient;
  readonly sfn: StepFunctions;
  readonly stateTable: string;
  readonly stateMachineArn: string;
  /** Silence after which a poll asks Step Functions (ms). @default 60000 */
  readonly staleAfterMs?: number;
  readonly now?: () => Date;
}

export async function getStatus(
  request: WorkflowRequest,
  ports: GetStatusPorts,
): Promise<WorkflowStatusBody> {
  const { userId, workflowId } = request;
  const log: HeadDeps & { now?: () => Date } = {
    client: ports.dynamo,
    stateTable: ports.stateTable,
    now: ports.now,
  };
  const head = await unavailableAs503(() => readHead(log, workflowId));
  let createdAt = head?.created_at;
  if (head?.user_id !== userId) {
    // A head written without its owner (the producer stopped between its writes): the record decides.
    if (head?.user_id !== undefined) throw notFound();
    const store = { client: ports.dynamo, tableName: ports.stateTable, now: ports.now };
    const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
    if (!record) throw notFound();
    createdAt = record.created_at;
  }
  const now = ports.now?.() ?? new Date();
  const view = head?.view;
  let snapshot = executionSnapshotOf(head);
  if (head && view && !hasEnded(view) && view.rollback === undefined) {
    const staleAfterMs = ports.staleAfterMs ?? 60_000;
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
      snapshot = await describe(ports, log, workflowId, now).catch((error: unknown) => {
        // The poll still answers from the read model; the next window asks again.
        logger.warn('DescribeExecution failed; answering from the read model', { error });
        return snapshot;
      });
    }
  }
  return statusBody({
    workflowId,
    createdAt: createdAt ?? now.toISOString(),
    view: view ?? emptyView,
    execution: executionDescriptionOf(snapshot),
    ...(typeof head?.rollback_deadline === 'string' ? { rollbackDeadline: head.rollback_deadline } : {}),
  });
}

const CLOSED_STATUSES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** DescribeExecution, stored in the head; undefined when the execution does not exist (not started yet). */
async function describe(
  ports: GetStatusPorts,
  log: HeadDeps,
  workflowId: string,
  now: Date,
): Promise<ExecutionSnapshot | undefined> {
  let out: ExecutionDetails;
  try {
    out = await describeExecution(ports.sfn, executionArnOf(ports.stateMachineArn, workflowId));
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
