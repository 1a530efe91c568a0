import { confirmPlan } from '#adapters/cache-confirm.ts';
import { appendEvent, type EventLogDeps, readView } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import { getPlan, type StateTableDeps } from '#adapters/plan-store.ts';
import { readStepOutputs } from '#adapters/step-store.ts';
import { WorkflowCancelled, WorkflowStateMissing } from '#domain/errors.ts';
import { buildResult } from '#domain/result.ts';
import { workflowIdSchema } from '#domain/schemas.ts';
import { parseTaskInput } from '#domain/task-errors.ts';
import * as z from '#domain/zod.ts';

export const finalizeInputSchema = z.object({ workflow_id: workflowIdSchema });

export interface FinalizeDeps {
  readonly events: EventLogDeps;
  readonly state: StateTableDeps;
  /** The plan cache, whose entry for this plan a completion confirms; absent = off. */
  readonly cache?: Parameters<typeof confirmPlan>[0];
}

/**
 * "Summarize results": aggregates the steps' outputs into the result and records WorkflowCompleted —
 * unless the user cancelled meanwhile (CancelRequested in the log): then WorkflowCancelled sends the
 * workflow to the saga, which undoes the steps.
 */
export async function finalizeWorkflow(
  deps: FinalizeDeps,
  payload: unknown,
): Promise<{ workflow_id: string; status: 'completed' }> {
  const { workflow_id: id } = parseTaskInput(finalizeInputSchema, payload, 'finalize');
  if ((await readView(deps.events, id)).cancel_requested) {
    throw new WorkflowCancelled(`workflow ${id} was cancelled before it completed`);
  }
  const stored = await getPlan(deps.state, id);
  if (!stored) throw new WorkflowStateMissing(`workflow ${id} has no plan`);
  const outputs = new Map(
    [...(await readStepOutputs(deps.state, id))].map(([stepId, r]) => [stepId, r.output]),
  );
  const result = buildResult(stored.plan, outputs, { provider: stored.provider, source: stored.source });
  await appendEvent(
    deps.events,
    id,
    { event_id: 'WorkflowCompleted', type: 'WorkflowCompleted', data: { result } },
    {
      // A cancel that lands while the result is being built wins: the saga then rolls back.
      precondition: (view) => {
        if (view.cancel_requested) {
          throw new WorkflowCancelled(`workflow ${id} was cancelled before it completed`);
        }
      },
    },
  );
  logger.info('workflow completed', { bookings: result.bookings.length });
  if (deps.cache && stored.cache_entry) {
    // the plan ran to completion: its cache entry may now serve (a failure only costs a later hit)
    await confirmPlan(deps.cache, stored.cache_entry, id).catch((error: unknown) =>
      logger.warn('plan cache confirm failed', { error }),
    );
  }
  return { workflow_id: id, status: 'completed' };
}
