import {
  compensationStartedObject,
  errorInfoSchema,
  type TerminalEventType,
  terminalEventTypeSchema,
  type WorkflowEvent,
  type WorkflowEventOf,
} from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';
import { ROLLBACK_CLAIM_EVENT_ID } from './saga.ts';

/**
 * The read model of a workflow: a left fold of its event log into one small view (`applyEvent`),
 * kept in the log's head item and written in the same transaction as each event, so that a status
 * poll is one item read whatever the log's length. `statusBody` (domain/api/status-body.ts) renders
 * the contract's status body from it.
 *
 * The view stays small on purpose (every append rewrites it): per-step state is only what is in
 * flight (`running`, at most the Map's concurrency) and what waits for an answer; counts, not sets,
 * for what is done. Pure: the event log adapter does the I/O.
 */

/** Built at its first parse (like the log's schemas: lambdas/domain/schemas.ts). */
export const workflowViewSchema = z.lazy(() =>
  z.object({
    /** seq of the last event folded in (0: none yet). */
    last_seq: z.number().check(z.int(), z.nonnegative()),
    started_at: z.optional(z.string()),
    updated_at: z.optional(z.string()),
    steps_total: z.number().check(z.int(), z.nonnegative()),
    steps_done: z.number().check(z.int(), z.nonnegative()),
    /** Steps started without an outcome yet, in start order (the last is the current one). */
    running: z.array(z.object({ step_id: z.string(), tool: z.optional(z.string()), at: z.string() })),
    /** Steps whose approval was requested and not answered. */
    pending_approvals: z.array(z.string()),
    cancel_requested: z.optional(z.boolean()),
    /** Who claimed the rollback (CompensationStarted), if anyone. */
    rollback: z.optional(z.pick(compensationStartedObject(), { by: true, attempt: true })),
    /** Steps undone so far, in undo order. */
    compensated: z.array(z.string()),
    terminal: z.optional(z.object({ type: terminalEventTypeSchema, at: z.string() })),
    result: z.optional(z.unknown()),
    error: z.optional(errorInfoSchema),
  }),
);
export type WorkflowView = z.infer<typeof workflowViewSchema>;

/** The view of a workflow whose log is empty. */
export const emptyView: WorkflowView = {
  last_seq: 0,
  steps_total: 0,
  steps_done: 0,
  running: [],
  pending_approvals: [],
  compensated: [],
};

const isRunning = (view: WorkflowView, id: string) => view.running.some((s) => s.step_id === id);
const notRunning = (view: WorkflowView, id: string) => view.running.filter((s) => s.step_id !== id);

/** The view after one more event. */
export function applyEvent(view: WorkflowView, event: WorkflowEvent): WorkflowView {
  const next: WorkflowView = {
    ...view,
    last_seq: event.seq,
    started_at: view.started_at ?? event.at,
    updated_at: event.at,
  };
  switch (event.type) {
    case 'PlanCreated':
      return { ...next, steps_total: event.data.steps_total };
    case 'StepStarted': {
      const { step_id, tool } = event.data;
      if (isRunning(view, step_id)) return next;
      return { ...next, running: [...view.running, { step_id, tool, at: event.at }] };
    }
    case 'StepSucceeded':
      // Counted once, when it ends a step in flight (a step succeeds once; replays write nothing).
      return isRunning(view, event.data.step_id)
        ? { ...next, running: notRunning(view, event.data.step_id), steps_done: view.steps_done + 1 }
        : next;
    case 'StepFailed':
      return { ...next, running: notRunning(view, event.data.step_id) };
    case 'ApprovalRequested':
      return {
        ...next,
        pending_approvals: [...new Set([...view.pending_approvals, ...event.data.step_ids])],
      };
    case 'ApprovalGranted':
    case 'ApprovalDenied': {
      const ids = event.data.step_ids;
      // An answer naming no step answers everything.
      const pending = ids.length === 0 ? [] : view.pending_approvals.filter((id) => !ids.includes(id));
      return { ...next, pending_approvals: pending };
    }
    case 'CancelRequested':
      return { ...next, cancel_requested: true };
    case 'CompensationStarted':
      return event.event_id === ROLLBACK_CLAIM_EVENT_ID
        ? { ...next, rollback: { by: event.data.by, attempt: event.data.attempt } }
        : next;
    case 'StepCompensated':
      return view.compensated.includes(event.data.step_id)
        ? next
        : { ...next, compensated: [...view.compensated, event.data.step_id] };
    case 'WorkflowCompleted':
    case 'WorkflowFailed':
    case 'WorkflowCancelled':
    case 'WorkflowRejected':
      return withTerminal(next, event);
    case 'GoalReceived':
    case 'GuardianChecked':
    case 'ModelCalled':
    case 'CompensationFailed':
      return next;
  }
}

type TerminalEvent = WorkflowEventOf<TerminalEventType>;

function withTerminal(view: WorkflowView, event: TerminalEvent): WorkflowView {
  const ended: WorkflowView = {
    ...view,
    terminal: { type: event.type, at: event.at },
    running: [],
    pending_approvals: [],
  };
  switch (event.type) {
    case 'WorkflowCompleted':
      return { ...ended, result: event.data.result ?? null };
    case 'WorkflowFailed':
      return { ...ended, compensated: event.data.compensated, error: event.data.error };
    case 'WorkflowCancelled':
      return { ...ended, compensated: event.data.compensated };
    case 'WorkflowRejected':
      return { ...ended, error: event.data.error };
  }
}

/** The view of a whole log (tests, and a rebuild of the read model). */
export function foldEvents(events: readonly WorkflowEvent[], from: WorkflowView = emptyView): WorkflowView {
  return events.reduce(applyEvent, from);
}

/** True once the view holds a terminal event. */
export const hasEnded = (view: WorkflowView): boolean => view.terminal !== undefined;
