import { foldEvents, type WorkflowView } from '../projection.ts';
import { TRANSIENT_EXECUTION_ERRORS } from '../saga.ts';
import type { WorkflowEvent, WorkflowEventType, WorkflowStatus } from '../schemas.ts';
import type { WorkflowStatusBody } from './bodies.ts';

/**
 * The status body of a workflow (GET /workflows/{id}/status, and each workflow of GET /workflows),
 * rendered from its read model (domain/projection.ts) and, for a workflow whose execution closed
 * without a terminal event (a transient failure, a stop, a timeout), from what is known of its
 * execution. Pure.
 */

/** What the status needs from DescribeExecution (undefined: no execution yet). */
export interface ExecutionDescription {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  readonly status?: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly redriveDate?: Date;
  readonly error?: string;
}

export interface StatusInput {
  readonly workflowId: string;
  /** The workflow record's `created_at`: the start time until the log or the execution says more. */
  readonly createdAt: string;
  readonly view: WorkflowView;
  /** The execution, when it is known (it closed, or the workflow was silent for a while). */
  readonly execution: ExecutionDescription | undefined;
  /** The rollback deadline of a workflow left redrivable (ISO-8601), if one is set. */
  readonly rollbackDeadline?: string;
}

const terminalStatus: Partial<Record<WorkflowEventType, WorkflowStatus>> = {
  WorkflowCompleted: 'completed',
  WorkflowFailed: 'failed',
  WorkflowCancelled: 'cancelled',
  WorkflowRejected: 'rejected',
};

/** The status body of a workflow from its view (and its execution, when known). */
export function statusBody(input: StatusInput): WorkflowStatusBody {
  const { view, execution } = input;
  const startedAt = execution?.startDate?.toISOString() ?? input.createdAt;
  const times = [
    startedAt,
    view.updated_at,
    execution?.stopDate?.toISOString(),
    execution?.redriveDate?.toISOString(),
  ];
  // ISO-8601 UTC strings sort chronologically.
  const updatedAt =
    times
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1) ?? startedAt;
  const current = view.running.at(-1)?.step_id;
  const body: WorkflowStatusBody = {
    workflow_id: input.workflowId,
    status: 'running',
    progress: {
      steps_total: view.steps_total,
      steps_done: view.steps_done,
      ...(current !== undefined ? { current } : {}),
    },
    started_at: startedAt,
    updated_at: updatedAt,
  };
  const compensated = view.compensated.length > 0 ? { compensated: [...view.compensated] } : {};

  // A redriven execution runs again after its WorkflowFailed: the live execution wins over that event.
  const redrivenSince =
    view.terminal !== undefined &&
    execution?.status === 'RUNNING' &&
    execution.redriveDate !== undefined &&
    execution.redriveDate.toISOString() > view.terminal.at;
  if (view.terminal && !redrivenSince) {
    const status = terminalStatus[view.terminal.type] ?? 'failed';
    return {
      ...body,
      status,
      ...(status === 'completed' ? { result: view.result ?? null } : {}),
      ...(view.error && (status === 'failed' || status === 'rejected') ? { error: view.error } : {}),
      ...(status === 'failed' || status === 'cancelled' ? compensated : {}),
    };
  }
  // A rollback that has begun but not finished: bookings may still be live, so the workflow is not
  // over yet whatever the execution says (a client that stops polling at "failed" would miss it).
  if (!redrivenSince && view.rollback !== undefined) return body;

  switch (execution?.status) {
    case 'FAILED': {
      const code = execution.error || 'ExecutionFailed';
      // A transient failure that outlasted its retries is not rolled back: the workflow can be redriven.
      const redrivable = TRANSIENT_EXECUTION_ERRORS.has(code) && view.rollback === undefined;
      return {
        ...body,
        status: 'failed',
        error: {
          code,
          message: redrivable
            ? 'the workflow failed on a transient error; it can be redriven (POST /workflows/{id}/redrive) or cancelled'
            : 'the workflow execution failed',
        },
        ...(redrivable ? { redrivable: true } : {}),
        ...(redrivable && input.rollbackDeadline ? { rollback_deadline: input.rollbackDeadline } : {}),
      };
    }
    case 'TIMED_OUT':
      return {
        ...body,
        status: 'failed',
        error: { code: execution.error || 'ExecutionTimedOut', message: 'the workflow execution timed out' },
      };
    case 'ABORTED':
      return { ...body, status: 'cancelled', ...compensated };
    default:
      // RUNNING, PENDING_REDRIVE, not started yet, or SUCCEEDED before its last event is readable.
      return { ...body, status: view.pending_approvals.length > 0 ? 'waiting' : 'running' };
  }
}

export interface ProjectionInput {
  readonly workflowId: string;
  readonly createdAt: string;
  readonly events: readonly WorkflowEvent[];
  readonly execution: ExecutionDescription | undefined;
}

/** The status body of a whole log: `statusBody` of its fold. */
export function projectStatus(input: ProjectionInput): WorkflowStatusBody {
  return statusBody({ ...input, view: foldEvents(input.events) });
}
