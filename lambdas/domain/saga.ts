import {
  type RollbackOwner,
  type StateError,
  type StepRef,
  terminalEventTypes,
  type WorkflowEvent,
} from '#domain/schemas.ts';
import {
  parseWorkflowErrorMessage,
  STATE_RETRIED_ERRORS,
  TRANSIENT_ERROR_NAMES,
  WORKFLOW_ERROR,
} from '#domain/task-errors.ts';
import * as z from '#domain/zod.ts';
import type { WorkflowView } from './projection.ts';

/*
 * The saga's bookkeeping, derived from the event log (the Step Functions payload is lost on Catch):
 * which steps may have had an effect, in which order to undo them, and what the original error was.
 */

export type { RollbackOwner };

/** A step that may have had an effect, to undo. */
export type StepToUndo = StepRef;

const GENERIC_ERRORS = new Set(['States.TaskFailed', 'Error', 'Lambda.Unknown', 'States.Runtime']);
const MAX_MESSAGE = 500;

/**
 * The original error of a failed execution as `{code, message}`. Step Functions' Catch gives `{Error,
 * Cause}`; for a Lambda task the Cause is usually the JSON `{"errorType","errorMessage",...}`, but it
 * may be plain text (a SendTaskFailure's) or absent. A `WorkflowError` carries its specific code in
 * the message (`UnknownDestination: ...`): that code is the one reported.
 */
export function describeStateError(error: StateError | undefined): { code: string; message: string } {
  if (!error) return { code: 'WorkflowError', message: 'the workflow failed without an error description' };
  let code = error.Error || 'WorkflowError';
  let message = error.Cause?.trim() || code;
  if (error.Cause) {
    try {
      const cause: unknown = JSON.parse(error.Cause);
      const parsed = z
        .object({ errorType: z.optional(z.string()), errorMessage: z.optional(z.string()) })
        .safeParse(cause);
      if (parsed.success) {
        if (parsed.data.errorMessage) message = parsed.data.errorMessage;
        if (parsed.data.errorType && GENERIC_ERRORS.has(code)) code = parsed.data.errorType;
      }
    } catch {
      // A plain-text cause: keep it as the message.
    }
  }
  if (code === WORKFLOW_ERROR) ({ code, message } = parseWorkflowErrorMessage(message) ?? { code, message });
  return {
    code,
    message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message,
  };
}

/**
 * Steps that may have had an effect and are not compensated yet — those that succeeded, and those that
 * started without an outcome (a crash or timeout mid-step) — in reverse order of completion; steps
 * still in flight count as completed last.
 */
export function stepsToCompensate(events: readonly WorkflowEvent[]): StepToUndo[] {
  const started = new Map<string, { tool: string; seq: number }>();
  const succeeded = new Map<string, number>();
  const failed = new Set<string>();
  const compensated = new Set<string>();
  for (const event of events) {
    switch (event.type) {
      case 'StepStarted':
        started.set(event.data.step_id, { tool: event.data.tool, seq: event.seq });
        break;
      case 'StepSucceeded': {
        const { step_id, tool } = event.data;
        succeeded.set(step_id, event.seq);
        if (!started.has(step_id)) started.set(step_id, { tool, seq: event.seq });
        break;
      }
      case 'StepFailed':
        failed.add(event.data.step_id);
        break;
      case 'StepCompensated':
        compensated.add(event.data.step_id);
        break;
    }
  }
  const candidates = [...started.entries()]
    .filter(([id]) => !compensated.has(id) && (succeeded.has(id) || !failed.has(id)))
    .map(([step_id, { tool, seq }]) => ({
      step_id,
      tool,
      // In-flight steps sort after every completed one; among themselves, by start.
      key: succeeded.get(step_id) ?? Number.MAX_SAFE_INTEGER / 2 + seq,
    }));
  return candidates.sort((a, b) => b.key - a.key).map(({ step_id, tool }) => ({ step_id, tool }));
}

/** Step ids compensated so far, in the order they were undone. */
export function compensatedSteps(events: readonly WorkflowEvent[]): string[] {
  const ids: string[] = [];
  for (const event of events) {
    if (event.type === 'StepCompensated' && !ids.includes(event.data.step_id)) ids.push(event.data.step_id);
  }
  return ids;
}

/** True when the log already ends the workflow (completed, failed, cancelled or rejected). */
export function hasTerminalEvent(events: readonly WorkflowEvent[]): boolean {
  return events.some((e) => terminalEventTypes.includes(e.type));
}

/** Why a workflow ends `cancelled` (WorkflowCancelled.data.reason). */
export type CancellationReason = 'cancelled_by_user' | 'approval_denied' | 'approval_timed_out';

/**
 * Whether the saga ends the workflow `cancelled` rather than `failed`, and why: the user cancelled
 * (WorkflowCancelled from a step, finalize or the approval wait, or CancelRequested in the log), the
 * approval was denied (ApprovalDenied from the approval wait), or the approval wait timed out
 * (States.Timeout while an approval was pending). Anything else is a failure (undefined).
 */
export function cancellationReason(
  error: StateError | undefined,
  view: WorkflowView,
): CancellationReason | undefined {
  const code = error ? describeStateError(error).code : undefined;
  if (code === 'WorkflowCancelled') return 'cancelled_by_user';
  if (code === 'ApprovalDenied') return 'approval_denied';
  if (code === 'States.Timeout' && view.pending_approvals.length > 0) return 'approval_timed_out';
  if (view.cancel_requested) return 'cancelled_by_user';
  return undefined;
}

/** The exactly-once claim of a workflow's rollback: event_id `CompensationStarted`. */
export const ROLLBACK_CLAIM_EVENT_ID = 'CompensationStarted';

/**
 * Errors that mean "the service or a dependency was unavailable" rather than "this workflow cannot
 * succeed": the ASL retries them and, once the retries are spent, does not catch them, so the
 * execution fails at that state and can be redriven from it. Also the names tasks of older versions
 * failed under before they were all folded into TransientError (an execution runs the versions it
 * started with), and `States.Timeout` (a task timeout).
 */
export const TRANSIENT_EXECUTION_ERRORS: ReadonlySet<string> = new Set([
  ...STATE_RETRIED_ERRORS,
  ...TRANSIENT_ERROR_NAMES,
  'States.Timeout',
]);

/** Execution statuses of a closed execution that did not succeed. */
export type UnsuccessfulStatus = 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** What the janitor does about an execution that closed without succeeding. */
export type JanitorDecision =
  | { action: 'none'; why: 'finished' | 'redrivable' | 'owned_elsewhere' }
  | { action: 'rollback'; outcome: 'failed' | 'cancelled'; error: { code: string; message: string } };

/**
 * The janitor's decision for an execution that closed `status` with `error` (Step Functions' error
 * name) given the view of the workflow's log: nothing when the rollback has finished (a terminal event) or another
 * path owns an unfinished one that is still alive; nothing for a FAILED execution whose error is
 * transient (it stays redrivable; a cancel requested meanwhile is rolled back); otherwise a rollback —
 * `cancelled` for ABORTED or a requested cancel, `failed` for TIMED_OUT and any other failure.
 */
export function janitorDecision(
  status: UnsuccessfulStatus,
  error: string | undefined,
  cause: string | undefined,
  view: WorkflowView,
): JanitorDecision {
  // The rollback has finished: the saga records the terminal event last.
  if (view.terminal !== undefined) return { action: 'none', why: 'finished' };
  const claim = view.rollback;
  // A cancel or a Catch saga that still runs owns its rollback. A Catch saga whose execution then
  // FAILED (its own retries spent) is dead: the janitor finishes its work (idempotent steps).
  if (claim && claim.by !== 'janitor' && !(claim.by === 'catch' && status === 'FAILED')) {
    return { action: 'none', why: 'owned_elsewhere' };
  }
  if (status === 'ABORTED' || view.cancel_requested) {
    return {
      action: 'rollback',
      outcome: 'cancelled',
      error:
        status === 'ABORTED'
          ? { code: 'execution_aborted', message: 'the execution was stopped' }
          : { code: 'cancelled_by_user', message: 'the user cancelled the workflow' },
    };
  }
  if (status === 'TIMED_OUT') {
    return {
      action: 'rollback',
      outcome: 'failed',
      error: { code: 'ExecutionTimedOut', message: 'the workflow execution timed out' },
    };
  }
  if (!claim && error !== undefined && TRANSIENT_EXECUTION_ERRORS.has(error)) {
    return { action: 'none', why: 'redrivable' };
  }
  return {
    action: 'rollback',
    outcome: 'failed',
    error: describeStateError({ Error: error || 'ExecutionFailed', ...(cause ? { Cause: cause } : {}) }),
  };
}
