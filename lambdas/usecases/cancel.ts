import {
  CLOSED_TOKEN_ERRORS,
  claimApproval,
  getApproval,
  releaseApproval,
} from '#adapters/approval-store.ts';
import { appendEvents, clearRollbackDeadline, readView, recordExecution } from '#adapters/event-log.ts';
import { describeExecution, redriveExecution, sendTaskFailure } from '#adapters/executions.ts';
import { logger } from '#adapters/logger.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import type { ControlAnswer } from '#domain/api/bodies.ts';
import { notFound, unavailableAs503 } from '#domain/api/errors.ts';
import { HttpError } from '#domain/errors.ts';
import { executionArnOf } from '#domain/execution-arn.ts';
import { hasEnded } from '#domain/projection.ts';
import { goalReceivedEvent, type NewWorkflowEvent } from '#domain/schemas.ts';
import { type ControlPorts, controlStores } from './control-ports.ts';
import type { WorkflowRequest } from './get-status.ts';

/**
 * Cancel a workflow (POST /workflows/{id}/cancel), cooperatively: records CancelRequested; the next
 * step, the summary or the approval wait sees it and fails with WorkflowCancelled, and the saga undoes
 * the completed steps and records WorkflowCancelled. A pending approval is answered at once
 * (SendTaskFailure `WorkflowCancelled`). `{"status":"cancelling"}`; 404 like status; 409
 * `not_running` once the workflow has ended. Repeating a cancel is harmless (one CancelRequested).
 */

export interface CancelPorts extends ControlPorts {
  /** The workflow's state machine: a failed (redrivable) execution is redriven into its cancellation. */
  readonly stateMachineArn?: string | undefined;
}

const notRunning = () => new HttpError(409, 'not_running', 'the workflow has already ended');

export async function cancelWorkflow(request: WorkflowRequest, ports: CancelPorts): Promise<ControlAnswer> {
  const { userId, workflowId } = request;
  const now = ports.now?.() ?? new Date();
  const { records, approvals: state, events } = controlStores(ports, now);
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(records, workflowId, userId));
  if (!record) throw notFound();

  const view = await unavailableAs503(() => readView(events, workflowId));
  if (hasEnded(view)) throw notRunning();
  const append: NewWorkflowEvent[] = [];
  if (view.last_seq === 0) {
    // Cancelled before the guardian ran: the log still starts with GoalReceived — the same event
    // (same id, same data from the execution input) the guardian would append, which then finds it.
    append.push(goalReceivedEvent(record.input));
  }
  append.push({
    event_id: 'CancelRequested',
    type: 'CancelRequested',
    data: { requested_at: now.toISOString() },
  });
  // Refused if the workflow ended meanwhile (its last step and this cancel may race).
  await unavailableAs503(() =>
    appendEvents(events, workflowId, append, {
      precondition: (current) => {
        if (hasEnded(current)) throw notRunning();
      },
    }),
  );

  // A workflow waiting for an approval would wait until the timeout: answer its token now.
  const approval = await unavailableAs503(() => getApproval(state, workflowId));
  if (
    approval?.status === 'pending' &&
    (await claimApproval(state, workflowId, approval.token, 'cancelled'))
  ) {
    try {
      await sendTaskFailure(
        ports.sfn,
        approval.token,
        'WorkflowCancelled',
        'The user cancelled the workflow.',
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
  if (ports.stateMachineArn && !view.rollback) {
    const executionArn = executionArnOf(ports.stateMachineArn, workflowId);
    const execution = await unavailableAs503(() => describeExecution(ports.sfn, executionArn)).catch(
      (error: unknown) => {
        if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      },
    );
    if (execution?.status === 'FAILED') {
      await unavailableAs503(() => redriveExecution(ports.sfn, executionArn))
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
          logger.warn('failed execution not redrivable: cancel recorded only');
        });
    }
  }
  logger.info('cancel requested');
  return { status: 'cancelling', workflow_id: workflowId };
}
