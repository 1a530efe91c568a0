import { z } from 'zod';
import { terminalEventTypes, type WorkflowEvent, workflowEventTypeSchema } from '#domain/schemas.ts';
import { statusErrorSchema } from './api/bodies.ts';
import { ROLLBACK_CLAIM_EVENT_ID, rollbackOwners } from './saga.ts';

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

export const workflowViewSchema = z.object({
  /** seq of the last event folded in (0: none yet). */
  last_seq: z.number().int().nonnegative(),
  started_at: z.string().optional(),
  updated_at: z.string().optional(),
  steps_total: z.number().int().nonnegative(),
  steps_done: z.number().int().nonnegative(),
  /** Steps started without an outcome yet, in start order (the last is the current one). */
  running: z.array(z.object({ step_id: z.string(), tool: z.string().optional(), at: z.string() })),
  /** Steps whose approval was requested and not answered. */
  pending_approvals: z.array(z.string()),
  cancel_requested: z.boolean().optional(),
  /** Who claimed the rollback (CompensationStarted), if anyone. */
  rollback: z.object({ by: z.enum(rollbackOwners), attempt: z.string() }).optional(),
  /** Steps undone so far, in undo order. */
  compensated: z.array(z.string()),
  terminal: z.object({ type: workflowEventTypeSchema, at: z.string() }).optional(),
  result: z.unknown().optional(),
  error: statusErrorSchema.optional(),
});
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

const stepRefSchema = z.object({ step_id: z.string(), tool: z.string().optional() });
const stepIdsSchema = z.object({ step_ids: z.array(z.string()) });
const planCreatedSchema = z.object({
  steps_total: z.number().int().nonnegative().optional(),
  plan: z.object({ steps: z.array(z.unknown()) }).optional(),
});
const claimSchema = z.object({ by: z.enum(rollbackOwners), attempt: z.string() });
const compensatedSchema = z.array(z.string());

const stepIdOf = (event: Pick<WorkflowEvent, 'data'>): string | undefined =>
  stepRefSchema.safeParse(event.data).data?.step_id;
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
  const stepId = stepIdOf(event);
  switch (event.type) {
    case 'PlanCreated': {
      const plan = planCreatedSchema.safeParse(event.data).data;
      return { ...next, steps_total: plan?.steps_total ?? plan?.plan?.steps.length ?? 0 };
    }
    case 'StepStarted': {
      if (stepId === undefined || isRunning(view, stepId)) return next;
      const tool = stepRefSchema.safeParse(event.data).data?.tool;
      return {
        ...next,
        running: [...view.running, { step_id: stepId, ...(tool ? { tool } : {}), at: event.at }],
      };
    }
    case 'StepSucceeded':
      // Counted once, when it ends a step in flight (a step succeeds once; replays write nothing).
      return stepId !== undefined && isRunning(view, stepId)
        ? { ...next, running: notRunning(view, stepId), steps_done: view.steps_done + 1 }
        : next;
    case 'StepFailed':
      return stepId === undefined ? next : { ...next, running: notRunning(view, stepId) };
    case 'ApprovalRequested': {
      const ids = stepIdsSchema.safeParse(event.data).data?.step_ids ?? (stepId ? [stepId] : []);
      return { ...next, pending_approvals: [...new Set([...view.pending_approvals, ...ids])] };
    }
    case 'ApprovalGranted':
    case 'ApprovalDenied': {
      const ids = stepIdsSchema.safeParse(event.data).data?.step_ids ?? (stepId ? [stepId] : []);
      // An answer naming no step answers everything.
      const pending = ids.length === 0 ? [] : view.pending_approvals.filter((id) => !ids.includes(id));
      return { ...next, pending_approvals: pending };
    }
    case 'CancelRequested':
      return { ...next, cancel_requested: true };
    case 'CompensationStarted':
      return event.event_id === ROLLBACK_CLAIM_EVENT_ID
        ? { ...next, rollback: claimSchema.safeParse(event.data).data ?? { by: 'catch', attempt: '' } }
        : next;
    case 'StepCompensated':
      return stepId === undefined || view.compensated.includes(stepId)
        ? next
        : { ...next, compensated: [...view.compensated, stepId] };
    default:
      return terminalEventTypes.includes(event.type) ? withTerminal(next, event) : next;
  }
}

function withTerminal(view: WorkflowView, event: WorkflowEvent): WorkflowView {
  const error = statusErrorSchema.safeParse(event.data.error).data;
  const compensated = compensatedSchema.safeParse(event.data.compensated).data;
  const ended: WorkflowView = {
    ...view,
    terminal: { type: event.type, at: event.at },
    running: [],
    pending_approvals: [],
    ...(compensated ? { compensated } : {}),
  };
  switch (event.type) {
    case 'WorkflowCompleted':
      return { ...ended, result: event.data.result ?? null };
    case 'WorkflowFailed':
      return { ...ended, error: error ?? { code: 'WorkflowFailed', message: 'the workflow failed' } };
    case 'WorkflowCancelled':
      return ended;
    default:
      return { ...ended, error: error ?? { code: 'rejected_by_guardian', message: 'the goal was rejected' } };
  }
}

/** The view of a whole log (tests, and a rebuild of the read model). */
export function foldEvents(events: readonly WorkflowEvent[], from: WorkflowView = emptyView): WorkflowView {
  return events.reduce(applyEvent, from);
}

/** True once the view holds a terminal event. */
export const hasEnded = (view: WorkflowView): boolean => view.terminal !== undefined;
