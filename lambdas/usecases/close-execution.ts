import { appendEvent, readView, recordExecution, setRollbackDeadline } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import { janitorDecision } from '#domain/saga.ts';
import { goalReceivedEvent, workflowIdSchema, workflowInputSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';
import { type CompensateDeps, type CompensateResult, compensateWorkflow } from './roll-back.ts';

/**
 * The execution janitor: target of the EventBridge rule on this state machine's "Step Functions
 * Execution Status Change" events (source `aws.states`) for ABORTED, TIMED_OUT and FAILED. An
 * execution that died outside the happy path — stopped from the console, timed out, or failed
 * with an error no Catch handles — still gets its saga, exactly once (the CompensationStarted claim
 * in compensateWorkflow): ABORTED ends `cancelled` (execution_aborted), TIMED_OUT `failed`
 * (ExecutionTimedOut), FAILED with a transient error is left alone (redrivable; the status says so),
 * any other FAILED is rolled back and ends `failed` with the execution's error.
 */

export const executionStatusChangeSchema = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  source: z.literal('aws.states'),
  detail: z.object({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    input: z.nullish(z.string()),
    error: z.nullish(z.string()),
    cause: z.nullish(z.string()),
    redriveCount: z.nullish(z.number().check(z.int(), z.nonnegative())),
    /** Milliseconds since the epoch. */
    startDate: z.nullish(z.number()),
    stopDate: z.nullish(z.number()),
  }),
});

export type JanitorResult =
  | { workflow_id?: string; action: 'ignored' | 'none'; why: string }
  | ({ action: 'rollback' } & CompensateResult);

const UNSUCCESSFUL = new Set(['FAILED', 'TIMED_OUT', 'ABORTED'] as const);
const isUnsuccessful = (status: string): status is 'FAILED' | 'TIMED_OUT' | 'ABORTED' =>
  (UNSUCCESSFUL as ReadonlySet<string>).has(status);

/** Decides about one status-change event and runs the saga when the workflow needs it. */
export interface JanitorDeps extends CompensateDeps {
  /** Hours a workflow left redrivable waits for a redrive before the sweep rolls it back. @default 24 */
  readonly rollbackDeadlineHours?: number;
}

export async function cleanUpExecution(deps: JanitorDeps, event: unknown): Promise<JanitorResult> {
  const parsed = executionStatusChangeSchema.safeParse(event);
  if (!parsed.success) {
    logger.warn('not an execution status change event: ignored');
    return { action: 'ignored', why: 'not_a_status_change' };
  }
  const { detail } = parsed.data;
  const id = workflowIdSchema.safeParse(detail.name);
  if (!id.success) return { action: 'ignored', why: 'not_a_workflow_execution' };
  const workflowId = id.data;
  if (!isUnsuccessful(detail.status))
    return { workflow_id: workflowId, action: 'ignored', why: detail.status };

  // The read model learns how the execution closed now, not at the next silent-window check: a
  // transient failure shows as failed and redrivable at once.
  const checkedAt = (deps.now?.() ?? new Date()).toISOString();
  await recordExecution(deps.events, workflowId, {
    status: detail.status,
    ...(detail.error ? { error: detail.error } : {}),
    ...(detail.startDate ? { start_date: new Date(detail.startDate).toISOString() } : {}),
    ...(detail.stopDate ? { stop_date: new Date(detail.stopDate).toISOString() } : {}),
    checked_at: checkedAt,
  });
  const view = await readView(deps.events, workflowId);
  const decision = janitorDecision(detail.status, detail.error ?? undefined, detail.cause ?? undefined, view);
  logger.info('execution closed unsuccessfully', {
    status: detail.status,
    error_name: detail.error ?? undefined,
    decision: decision.action === 'none' ? decision.why : decision.outcome,
  });
  if (decision.action === 'none') {
    if (decision.why === 'redrivable') {
      // Left for a redrive, not forever: the sweep rolls it back at its deadline (never past the
      // 14-day redrive window), and the status shows when.
      const closed = detail.stopDate ? new Date(detail.stopDate) : (deps.now?.() ?? new Date());
      const deadline = new Date(closed.getTime() + (deps.rollbackDeadlineHours ?? 24) * 3_600_000);
      await setRollbackDeadline(deps.events, workflowId, deadline);
      logger.info('left redrivable until its rollback deadline', {
        rollback_deadline: deadline.toISOString(),
      });
    }
    return { workflow_id: workflowId, action: 'none', why: decision.why };
  }

  // Stopped before the guardian ran: the log still starts with GoalReceived (the same event the
  // guardian appends, from the execution input — already redacted by the producer).
  if (view.last_seq === 0 && detail.input) {
    const input = workflowInputSchema.safeParse(safeJson(detail.input));
    if (input.success) {
      await appendEvent(deps.events, workflowId, goalReceivedEvent(input.data));
    }
  }
  const result = await compensateWorkflow(
    deps,
    { workflow_id: workflowId },
    {
      by: 'janitor',
      attempt: String(detail.redriveCount ?? 0),
      takeOver: true,
      outcome: { status: decision.outcome, error: decision.error },
    },
  );
  return { action: 'rollback', ...result };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
