import {
  CLOSED_TOKEN_ERRORS,
  claimApproval,
  getApproval,
  markApprovalDelivered,
} from '#adapters/approval-store.ts';
import { appendEvents, readView } from '#adapters/event-log.ts';
import { sendTaskFailure, sendTaskSuccess } from '#adapters/executions.ts';
import { logger } from '#adapters/logger.ts';
import { getPlan } from '#adapters/plan-store.ts';
import { putStepOutputIfAbsent } from '#adapters/step-store.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import type { ControlAnswer } from '#domain/api/bodies.ts';
import { notFound, unavailableAs503 } from '#domain/api/errors.ts';
import type { ApprovalSignalBody } from '#domain/api/requests.ts';
import { approvedSchedule, HUMAN_APPROVAL_TOOL } from '#domain/dag.ts';
import { HttpError, WorkflowStateMissing } from '#domain/errors.ts';
import { hasEnded } from '#domain/projection.ts';
import { redactText } from '#domain/redact.ts';
import type { NewWorkflowEvent } from '#domain/schemas.ts';
import type { ApprovalOutput } from '#domain/tools/approval.ts';
import { type ControlPorts, controlStores } from './control-ports.ts';
import type { WorkflowRequest } from './get-status.ts';

/**
 * Decide a workflow's pending human approval (POST /workflows/{id}/signals/approval
 * `{"approved": boolean, "comment"?: string}`). Approved: the approval steps' outputs are stored,
 * ApprovalGranted and their StepSucceeded recorded, and the next schedule goes to the waiting task
 * (SendTaskSuccess). Denied: ApprovalDenied and StepFailed recorded, the task fails with
 * `ApprovalDenied` (the saga ends the workflow cancelled). 404 like status; 409 `not_waiting` when
 * nothing is pending.
 *
 * The first decision is final: the claim keeps it even when Step Functions cannot be reached (503), so
 * the log can only ever hold that decision's outcome (its events have fixed ids: a retry appends
 * nothing twice), and only that decision ever reaches the token. A retry of the same decision sends it
 * again (a token found closed then counts as delivered: the lost response of the earlier send); the
 * other decision answers 409 not_waiting.
 */

export interface DecideApprovalRequest extends WorkflowRequest {
  /** Reads the body; called once the workflow is known to be the caller's (else 404, whatever the body). */
  readonly body: () => ApprovalSignalBody;
}

export type DecideApprovalPorts = ControlPorts;

export function notWaiting(): HttpError {
  return new HttpError(409, 'not_waiting', 'the workflow is not waiting for an approval');
}

export async function decideApproval(
  request: DecideApprovalRequest,
  ports: DecideApprovalPorts,
): Promise<ControlAnswer> {
  const { userId, workflowId } = request;
  const now = ports.now?.() ?? new Date();
  const { records, approvals: state, events } = controlStores(ports, now);
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(records, workflowId, userId));
  if (!record) throw notFound();
  const body = request.body();

  let approval = await unavailableAs503(() => getApproval(state, workflowId));
  if (approval === undefined) throw notWaiting();
  // A wait that timed out leaves its record pending until the saga closes it: the log knows better.
  if (hasEnded(await unavailableAs503(() => readView(events, workflowId)))) throw notWaiting();
  const decision = body.approved ? 'approved' : 'denied';
  let claimedNow = false;
  if (approval.status === 'pending') {
    const { token } = approval;
    claimedNow = await unavailableAs503(() => claimApproval(state, workflowId, token, decision));
    // Lost the race: whatever won is on the record now.
    if (!claimedNow) approval = await unavailableAs503(() => getApproval(state, workflowId));
  }
  // Not ours to send: another decision (or a cancel) came first, or this one reached Step Functions.
  const retrying = approval?.status === decision && approval.delivered_at === undefined;
  if (approval === undefined || !(claimedNow || retrying)) throw notWaiting();
  const comment = body.comment === undefined ? undefined : redactText(body.comment).text;
  const ids = approval.step_ids;
  const decidedAt = now.toISOString();

  try {
    if (body.approved) {
      const stored = await getPlan(state, workflowId);
      if (!stored) throw new WorkflowStateMissing(`workflow ${workflowId} has no plan`);
      const output: ApprovalOutput = {
        approved: true,
        ...(comment ? { comment } : {}),
        decided_at: decidedAt,
      };
      for (const stepId of ids) {
        await putStepOutputIfAbsent(state, workflowId, {
          step_id: stepId,
          tool: HUMAN_APPROVAL_TOOL,
          output,
          stored_at: decidedAt,
        });
      }
      await appendEvents(events, workflowId, [
        {
          event_id: `ApprovalGranted:${ids.join(',')}`,
          type: 'ApprovalGranted',
          data: { step_ids: ids, ...(comment ? { comment } : {}) },
        },
        ...ids.map(
          (stepId): NewWorkflowEvent => ({
            event_id: `StepSucceeded:${stepId}`,
            type: 'StepSucceeded',
            data: { step_id: stepId, tool: HUMAN_APPROVAL_TOOL, output: { approved: true } },
          }),
        ),
      ]);
      const schedule = approvedSchedule(stored.plan, ids, approval.done, approval.timeout_seconds);
      await sendTaskSuccess(ports.sfn, approval.token, schedule);
    } else {
      await appendEvents(events, workflowId, [
        {
          event_id: `ApprovalDenied:${ids.join(',')}`,
          type: 'ApprovalDenied',
          data: { step_ids: ids, ...(comment ? { comment } : {}) },
        },
        ...ids.map(
          (stepId): NewWorkflowEvent => ({
            event_id: `StepFailed:${stepId}`,
            type: 'StepFailed',
            data: {
              step_id: stepId,
              tool: HUMAN_APPROVAL_TOOL,
              error: { code: 'ApprovalDenied', message: 'the approval was denied' },
              retryable: false,
            },
          }),
        ),
      ]);
      await sendTaskFailure(ports.sfn, approval.token, 'ApprovalDenied', 'The user denied the approval.');
    }
  } catch (error) {
    if (error instanceof Error && CLOSED_TOKEN_ERRORS.has(error.name)) {
      if (claimedNow) {
        // The wait is over (timed out, or the execution stopped): nothing is waiting for this answer.
        logger.warn('approval token already closed', { error_name: error.name });
        throw notWaiting();
      }
      // A retry: the earlier send of this decision reached Step Functions and only its answer was lost.
      logger.info('approval token closed on a retry; counted as delivered', { error_name: error.name });
    } else {
      // Not delivered (or not known to be): the claim keeps this decision for a retry of the same request.
      return unavailableAs503(() => Promise.reject(error));
    }
  }
  await markApprovalDelivered(state, workflowId, approval.token, decision).catch((markError: unknown) => {
    // A repeat then sends again and finds the token closed: still one outcome.
    logger.warn('could not mark the approval delivered', { error: markError });
  });
  logger.info('approval signal delivered', { approved: body.approved });
  return {
    status: body.approved ? 'resumed' : 'cancelling',
    workflow_id: workflowId,
    approved: body.approved,
  };
}
