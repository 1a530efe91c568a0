import { putPendingApproval } from '#adapters/approval-store.ts';
import { appendEvent, type EventLogDeps, readView } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import { getPlan, type StateTableDeps } from '#adapters/plan-store.ts';
import { readStepOutputsOf } from '#adapters/step-store.ts';
import { WorkflowCancelled, WorkflowStateMissing } from '#domain/errors.ts';
import { referencedSteps, resolveReferences } from '#domain/references.ts';
import { stepIdSchema, workflowIdSchema } from '#domain/schemas.ts';
import { parseTaskInput } from '#domain/task-errors.ts';
import { approvalInputSchema } from '#domain/tools/approval.ts';
import * as z from '#domain/zod.ts';

/** Payload of "Wait for approval" (a `lambda:invoke.waitForTaskToken` task). */
export const requestApprovalInputSchema = z.object({
  workflow_id: workflowIdSchema,
  step_ids: z.array(stepIdSchema).check(z.minLength(1)),
  done: z.array(stepIdSchema),
  task_token: z.string().check(z.minLength(1), z.maxLength(2048)),
  timeout_seconds: z.number().check(z.int(), z.positive()),
});

export interface RequestApprovalDeps {
  readonly events: EventLogDeps;
  readonly state: StateTableDeps;
  readonly now?: () => Date;
}

/**
 * "Wait for approval" (callback task): stores the task token for the signal route, records
 * ApprovalRequested with what is to be approved, and returns at once — the state machine waits until
 * the signal (or a cancel) answers the token, or the wait times out. A cancel that arrived before the
 * token was stored fails the task here with WorkflowCancelled (both sides write, then read).
 */
export async function requestApproval(
  deps: RequestApprovalDeps,
  payload: unknown,
): Promise<{ workflow_id: string; step_ids: string[] }> {
  const input = parseTaskInput(requestApprovalInputSchema, payload, 'request-approval');
  const id = input.workflow_id;
  const now = deps.now?.() ?? new Date();
  const stored = await getPlan(deps.state, id);
  if (!stored) throw new WorkflowStateMissing(`workflow ${id} has no plan`);
  const referenced = input.step_ids.flatMap((stepId) =>
    referencedSteps(stored.plan.steps.find((s) => s.id === stepId)?.input),
  );
  const outputs = new Map(
    [...(await readStepOutputsOf(deps.state, id, referenced))].map(([s, r]) => [s, r.output]),
  );
  const approvals = input.step_ids.map((stepId) => {
    const step = stored.plan.steps.find((s) => s.id === stepId);
    if (!step) throw new WorkflowStateMissing(`the plan of ${id} has no step ${stepId}`);
    let resolved: unknown = step.input;
    try {
      resolved = resolveReferences(step.input, outputs);
    } catch {
      // Shown as planned when a reference cannot be resolved.
    }
    const parsed = approvalInputSchema().safeParse(resolved);
    return {
      step_id: stepId,
      prompt: parsed.success ? parsed.data.prompt : (step.description ?? `Approve step ${stepId}?`),
      ...(parsed.success && parsed.data.details !== undefined ? { details: parsed.data.details } : {}),
    };
  });

  await putPendingApproval(deps.state, {
    workflow_id: id,
    token: input.task_token,
    step_ids: input.step_ids,
    done: input.done,
    timeout_seconds: input.timeout_seconds,
    requested_at: now.toISOString(),
  });
  if ((await readView(deps.events, id)).cancel_requested) {
    throw new WorkflowCancelled(`workflow ${id} was cancelled before its approval was requested`);
  }
  await appendEvent(deps.events, id, {
    event_id: `ApprovalRequested:${input.step_ids.join(',')}`,
    type: 'ApprovalRequested',
    data: {
      step_ids: input.step_ids,
      approvals,
      timeout_seconds: input.timeout_seconds,
      expires_at: new Date(now.getTime() + input.timeout_seconds * 1000).toISOString(),
    },
  });
  logger.info('approval requested', { step_ids: input.step_ids });
  return { workflow_id: id, step_ids: input.step_ids };
}
