import { setTimeout as sleep } from 'node:timers/promises';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { HUMAN_APPROVAL_TOOL } from '#core/dag.ts';
import { resolveReferences } from '#core/references.ts';
import {
  cancellationReason,
  compensatedSteps,
  describeStateError,
  hasTerminalEvent,
  pendingApprovals,
  stepsToCompensate,
} from '#core/saga.ts';
import { errorSummary, parseTaskInput } from '#core/task-errors.ts';
import { defaultToolRegistry, type ToolRegistry } from '#core/tools/registry.ts';
import type { BookingsPort } from '#core/tools/types.ts';
import { expiresAt } from '#core/ttl.ts';
import { claimApproval, getApproval } from '#io/approval-store.ts';
import { createBookingsStore } from '#io/bookings-store.ts';
import { appendEvent, appendEvents, type EventLogDeps, readEvents } from '#io/event-log.ts';
import { getPlan, type StateTableDeps } from '#io/plan-store.ts';
import { readStepOutputs } from '#io/step-store.ts';
import { dynamo } from '#shared/clients.ts';
import { readEnv, required } from '#shared/config.ts';
import { logger } from '#shared/observability.ts';
import { stateErrorSchema, workflowIdSchema } from '#shared/schemas.ts';

export const compensateInputSchema = z.object({
  workflow_id: workflowIdSchema,
  // Whatever the Catch produced; a malformed error must not stop the rollback.
  error: z.unknown().optional(),
});

export interface CompensateDeps {
  readonly events: EventLogDeps;
  readonly state: StateTableDeps;
  readonly bookings: BookingsPort;
  readonly tools: ToolRegistry;
  readonly now?: () => Date;
  /** Attempts per compensation before it is recorded as CompensationFailed. @default 3 */
  readonly attempts?: number;
  /** Waits between attempts (exponential backoff from this base, ms). @default 200 */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<unknown>;
}

export interface CompensateResult {
  workflow_id: string;
  status: 'failed' | 'cancelled';
  compensated: string[];
}

/**
 * "Roll back completed steps" (saga): undoes, in reverse order of completion, every step the event
 * log shows may have had an effect, then records WorkflowFailed with the original error — or
 * WorkflowCancelled with its reason when the user cancelled, denied the approval or let it time out.
 * Safe to re-run: compensations are idempotent and already-undone steps are skipped.
 */
export async function compensateWorkflow(deps: CompensateDeps, payload: unknown): Promise<CompensateResult> {
  const input = parseTaskInput(compensateInputSchema, payload, 'compensate');
  const id = input.workflow_id;
  const stateError = stateErrorSchema.safeParse(input.error);
  const original = describeStateError(stateError.success ? stateError.data : undefined);
  const log = await readEvents(deps.events, id);
  const reason = cancellationReason(stateError.success ? stateError.data : undefined, log);
  const compensated = compensatedSteps(log);
  const todo = stepsToCompensate(log);

  if (todo.length > 0) {
    const stored = await getPlan(deps.state, id);
    const outputs = new Map([...(await readStepOutputs(deps.state, id))].map(([s, r]) => [s, r.output]));
    const now = deps.now ?? (() => new Date());
    for (const { step_id: stepId, tool: toolName } of todo) {
      const tool = deps.tools.get(toolName);
      const compensateStep = tool?.compensate;
      if (!tool?.sideEffect || !compensateStep) continue; // nothing to undo
      const step = stored?.plan.steps.find((s) => s.id === stepId);
      let stepInput: unknown = step?.input;
      try {
        stepInput = resolveReferences(step?.input, outputs);
      } catch {
        // Inputs whose references cannot be resolved are passed as planned.
      }
      const ctx = { workflow_id: id, step_id: stepId, bookings: deps.bookings, now };
      try {
        await withRetries(() => compensateStep(stepInput, outputs.get(stepId), ctx), deps);
        await appendEvent(deps.events, id, {
          event_id: `StepCompensated:${stepId}`,
          type: 'StepCompensated',
          data: { step_id: stepId, tool: toolName },
        });
        compensated.push(stepId);
      } catch (error) {
        logger.error('compensation failed', { workflow_id: id, step_id: stepId, error });
        await appendEvent(deps.events, id, {
          event_id: `CompensationFailed:${stepId}`,
          type: 'CompensationFailed',
          data: { step_id: stepId, tool: toolName, error: errorSummary(error) },
        });
      }
    }
  }

  if (!hasTerminalEvent(log)) {
    if (reason) {
      // Approval steps left waiting get their outcome, so every started step has one.
      const started = log
        .filter((e) => e.type === 'StepStarted' && e.data.tool === HUMAN_APPROVAL_TOOL)
        .map((e) => String(e.data.step_id));
      const unanswered = [...new Set([...started, ...pendingApprovals(log)])].filter(
        (stepId) =>
          !log.some(
            (e) => (e.type === 'StepFailed' || e.type === 'StepSucceeded') && e.data.step_id === stepId,
          ),
      );
      await appendEvents(deps.events, id, [
        ...unanswered.map((stepId) => ({
          event_id: `StepFailed:${stepId}`,
          type: 'StepFailed' as const,
          data: {
            step_id: stepId,
            tool: HUMAN_APPROVAL_TOOL,
            error: { code: reason, message: original.message },
            retryable: false,
          },
        })),
        { event_id: 'WorkflowCancelled', type: 'WorkflowCancelled', data: { reason, compensated } },
      ]);
    } else {
      await appendEvent(deps.events, id, {
        event_id: 'WorkflowFailed',
        type: 'WorkflowFailed',
        data: { error: original, compensated },
      });
    }
  }
  // A re-run after the terminal event answers what that event says.
  const ended = log.findLast((e) => e.type === 'WorkflowCancelled' || e.type === 'WorkflowFailed');
  const status = (ended ? ended.type === 'WorkflowCancelled' : reason !== undefined) ? 'cancelled' : 'failed';
  // An approval still marked pending (its wait timed out or failed) can no longer be answered.
  const approval = await getApproval(deps.state, id);
  if (approval?.status === 'pending') await claimApproval(deps.state, id, approval.token, 'cancelled');
  logger.info('workflow rolled back', { workflow_id: id, status, error_code: original.code, compensated });
  return { workflow_id: id, status, compensated };
}

async function withRetries(
  action: () => Promise<unknown>,
  options: Pick<CompensateDeps, 'attempts' | 'backoffMs' | 'sleep'>,
): Promise<void> {
  const attempts = options.attempts ?? 3;
  const base = options.backoffMs ?? 200;
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      await action();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await wait(base * 2 ** (attempt - 1));
    }
  }
}

const env = readEnv();
const tools = defaultToolRegistry();

export const handler = middy(async (event: unknown) => {
  const now = new Date();
  return compensateWorkflow(
    {
      events: {
        client: dynamo,
        tableName: required(env, 'EVENT_LOG_TABLE'),
        expiresAt: expiresAt(now, env.EVENT_LOG_TTL_DAYS),
      },
      state: {
        client: dynamo,
        tableName: required(env, 'STATE_TABLE'),
        ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
      },
      bookings: createBookingsStore({
        client: dynamo,
        tableName: required(env, 'BOOKINGS_TABLE'),
        ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
      }),
      tools,
    },
    event,
  );
}).use(injectLambdaContext(logger));
