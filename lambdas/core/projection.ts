import { z } from 'zod';
import { terminalEventTypes, type WorkflowEvent, type WorkflowStatus } from '#shared/schemas.ts';
import { rollbackClaim, TRANSIENT_EXECUTION_ERRORS } from './saga.ts';

/**
 * The status of a workflow, projected from its event log (the source of truth) and, while the log has
 * no terminal event, from its Step Functions execution. Pure: the handler does the reading.
 */

/** What the projection needs from DescribeExecution (undefined: no execution yet). */
export interface ExecutionDescription {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
  readonly status?: string;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly redriveDate?: Date;
  readonly error?: string;
}

export interface StatusError {
  readonly code: string;
  readonly message: string;
}

/** The body of GET /workflows/{id}/status (contract). */
export interface StatusBody {
  workflow_id: string;
  status: WorkflowStatus;
  result?: unknown;
  error?: StatusError;
  compensated?: string[];
  /** A failed workflow that POST /workflows/{id}/redrive can resume (a transient failure, not rolled back). */
  redrivable?: boolean;
  progress: { steps_total: number; steps_done: number; current?: string };
  started_at: string;
  updated_at: string;
}

export interface ProjectionInput {
  readonly workflowId: string;
  /** The workflow record's `created_at`: the start time until the log or the execution says more. */
  readonly createdAt: string;
  readonly events: readonly WorkflowEvent[];
  readonly execution: ExecutionDescription | undefined;
}

const errorSchema = z.object({ code: z.string(), message: z.string() });
const compensatedSchema = z.array(z.string());
const stepRefSchema = z.object({ step_id: z.string() });
const stepIdsSchema = z.object({ step_ids: z.array(z.string()) });
const planCreatedSchema = z.object({
  steps_total: z.number().int().nonnegative().optional(),
  plan: z.object({ steps: z.array(z.unknown()) }).optional(),
});

const stepIdOf = (event: WorkflowEvent): string | undefined =>
  stepRefSchema.safeParse(event.data).data?.step_id;

/** The status body for a workflow. */
export function projectStatus(input: ProjectionInput): StatusBody {
  const { events, execution } = input;
  const startedAt = execution?.startDate?.toISOString() ?? events[0]?.at ?? input.createdAt;
  const times = [
    startedAt,
    events.at(-1)?.at,
    execution?.stopDate?.toISOString(),
    execution?.redriveDate?.toISOString(),
  ];
  // ISO-8601 UTC strings sort chronologically.
  const updatedAt =
    times
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1) ?? startedAt;

  const body: StatusBody = {
    workflow_id: input.workflowId,
    status: 'running',
    progress: progressOf(events),
    started_at: startedAt,
    updated_at: updatedAt,
  };

  const terminal = events.findLast((e) => terminalEventTypes.includes(e.type));
  // A redriven execution runs again after its WorkflowFailed: the live execution wins over that event.
  const redrivenSince =
    terminal !== undefined &&
    execution?.status === 'RUNNING' &&
    execution.redriveDate !== undefined &&
    execution.redriveDate.toISOString() > terminal.at;

  if (terminal && !redrivenSince) return withTerminal(body, terminal);
  // A rollback that has begun but not finished: bookings may still be live, so the workflow is not
  // over yet whatever the execution says (a client that stops polling at "failed" would miss it).
  if (!redrivenSince && rollbackClaim(events) !== undefined) return body;

  switch (execution?.status) {
    case 'FAILED': {
      const code = execution.error || 'ExecutionFailed';
      // A transient failure that outlasted its retries is not rolled back: the workflow can be redriven.
      const redrivable = TRANSIENT_EXECUTION_ERRORS.has(code) && rollbackClaim(events) === undefined;
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
      };
    }
    case 'TIMED_OUT':
      return {
        ...body,
        status: 'failed',
        error: { code: execution.error || 'ExecutionTimedOut', message: 'the workflow execution timed out' },
      };
    case 'ABORTED':
      return { ...body, status: 'cancelled', ...compensatedOf(events) };
    default:
      // RUNNING, PENDING_REDRIVE, not started yet, or SUCCEEDED before its last event is readable.
      return { ...body, status: awaitingApproval(events) ? 'waiting' : 'running' };
  }
}

function withTerminal(body: StatusBody, event: WorkflowEvent): StatusBody {
  const error = errorSchema.safeParse(event.data.error).data;
  const compensated = compensatedSchema.safeParse(event.data.compensated).data;
  switch (event.type) {
    case 'WorkflowCompleted':
      return { ...body, status: 'completed', result: event.data.result ?? null };
    case 'WorkflowFailed':
      return {
        ...body,
        status: 'failed',
        error: error ?? { code: 'WorkflowFailed', message: 'the workflow failed' },
        ...(compensated ? { compensated } : {}),
      };
    case 'WorkflowCancelled':
      return { ...body, status: 'cancelled', ...(compensated ? { compensated } : {}) };
    default:
      return {
        ...body,
        status: 'rejected',
        error: error ?? { code: 'rejected_by_guardian', message: 'the goal was rejected' },
      };
  }
}

/** Compensated steps in undo order, from StepCompensated events (when no terminal event says it). */
function compensatedOf(events: readonly WorkflowEvent[]): { compensated?: string[] } {
  const ids = events.filter((e) => e.type === 'StepCompensated').flatMap((e) => stepIdOf(e) ?? []);
  return ids.length > 0 ? { compensated: ids } : {};
}

function progressOf(events: readonly WorkflowEvent[]): StatusBody['progress'] {
  const plan = events.findLast((e) => e.type === 'PlanCreated');
  const planData = plan ? planCreatedSchema.safeParse(plan.data).data : undefined;
  const stepsTotal = planData?.steps_total ?? planData?.plan?.steps.length ?? 0;

  const succeeded = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  for (const event of events) {
    const stepId = stepIdOf(event);
    if (stepId === undefined) continue;
    if (event.type === 'StepSucceeded') succeeded.add(stepId);
    if (event.type === 'StepSucceeded' || event.type === 'StepFailed') finished.add(stepId);
  }
  // The most recent StepStarted without an outcome.
  for (const event of events) {
    const stepId = stepIdOf(event);
    if (event.type === 'StepStarted' && stepId !== undefined && !finished.has(stepId)) current = stepId;
  }
  return {
    steps_total: stepsTotal,
    steps_done: succeeded.size,
    ...(current !== undefined ? { current } : {}),
  };
}

/**
 * True when an ApprovalRequested has no later ApprovalGranted/ApprovalDenied for its steps (`step_ids`,
 * or a single `step_id`; an answer naming no step answers everything).
 */
function awaitingApproval(events: readonly WorkflowEvent[]): boolean {
  const pending = new Set<string>();
  for (const event of events) {
    const ids = stepIdsSchema.safeParse(event.data).data?.step_ids ?? [stepIdOf(event) ?? ''];
    if (event.type === 'ApprovalRequested') for (const id of ids) pending.add(id);
    if (event.type === 'ApprovalGranted' || event.type === 'ApprovalDenied') {
      if (ids.length === 1 && ids[0] === '') pending.clear();
      else for (const id of ids) pending.delete(id);
    }
  }
  return pending.size > 0;
}
