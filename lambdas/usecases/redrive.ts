import { clearRollbackDeadline, readView, recordExecution } from '#adapters/event-log.ts';
import {
  type DocumentClient,
  describeExecution,
  redriveExecution,
  type StepFunctions,
} from '#adapters/executions.ts';
import { logger } from '#adapters/logger.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import type { ControlAnswer } from '#domain/api/bodies.ts';
import { notFound, unavailableAs503 } from '#domain/api/errors.ts';
import { HttpError } from '#domain/errors.ts';
import { executionArnOf } from '#domain/execution-arn.ts';
import { hasEnded } from '#domain/projection.ts';
import type { WorkflowRequest } from './get-status.ts';

/**
 * Redrive a failed workflow (POST /workflows/{id}/redrive): resumes it from the state where it failed
 * (Step Functions RedriveExecution: same execution, successful states are not run again; the step
 * task reuses stored outputs, so no side effect happens twice). `{"status":"redriving"}`; 404 like
 * status; 409 `not_redrivable` when the execution is not FAILED/TIMED_OUT/ABORTED, when the log
 * shows a rollback (started or finished) or a terminal event, or when Step Functions refuses
 * (ExecutionNotRedrivable, e.g. past the 14-day window); 503 when a dependency is unavailable.
 */

export interface RedrivePorts {
  readonly dynamo: DocumentClient;
  readonly sfn: StepFunctions;
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

export async function redriveWorkflow(request: WorkflowRequest, ports: RedrivePorts): Promise<ControlAnswer> {
  const { userId, workflowId } = request;
  const store = { client: ports.dynamo, tableName: ports.stateTable, now: ports.now };
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
  if (!record) throw notFound();

  const head = { client: ports.dynamo, stateTable: ports.stateTable };
  const view = await unavailableAs503(() => readView(head, workflowId));
  // A rolled-back, cancelled, completed or rejected workflow cannot be resumed.
  if (hasEnded(view)) throw notRedrivable('the workflow has ended');
  if (view.rollback) throw notRedrivable('the workflow is being rolled back');

  const executionArn = executionArnOf(ports.stateMachineArn, workflowId);
  const execution = await sfnCall(() => describeExecution(ports.sfn, executionArn));
  if (!REDRIVABLE_STATUSES.has(String(execution.status))) {
    throw notRedrivable(`the workflow's execution is ${String(execution.status).toLowerCase()}`);
  }
  const redriven = await sfnCall(() => redriveExecution(ports.sfn, executionArn));
  // The read model stops saying "failed" now, not at the execution's next event.
  await recordExecution(head, workflowId, {
    status: 'RUNNING',
    redrive_date: (redriven.redriveDate ?? ports.now?.() ?? new Date()).toISOString(),
    checked_at: (ports.now?.() ?? new Date()).toISOString(),
  })
    .then(() => clearRollbackDeadline(head, workflowId))
    .catch((error: unknown) => logger.warn('could not record the redrive in the read model', { error }));
  logger.info('workflow redriven', { from_status: execution.status });
  return { status: 'redriving', workflow_id: workflowId };
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
