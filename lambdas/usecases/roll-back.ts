import { setTimeout as sleep } from 'node:timers/promises';
import { claimApproval, getApproval } from '#adapters/approval-store.ts';
import { appendEvent, appendEvents, type EventLogDeps, readEvents, readView } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import { getPlan, type StateTableDeps } from '#adapters/plan-store.ts';
import { readStepOutputs } from '#adapters/step-store.ts';
import { HUMAN_APPROVAL_TOOL } from '#domain/dag.ts';
import { hasEnded, type WorkflowView } from '#domain/projection.ts';
import { resolveReferences } from '#domain/references.ts';
import {
  cancellationReason,
  compensatedSteps,
  describeStateError,
  ROLLBACK_CLAIM_EVENT_ID,
  type RollbackOwner,
  stepsToCompensate,
} from '#domain/saga.ts';
import { stateErrorSchema, workflowIdSchema } from '#domain/schemas.ts';
import { errorSummary, parseTaskInput } from '#domain/task-errors.ts';
import type { ToolRegistry } from '#domain/tools/registry.ts';
import type { BookingsPort } from '#domain/tools/types.ts';
import * as z from '#domain/zod.ts';

export const compensateInputSchema = z.object({
  workflow_id: workflowIdSchema,
  // Whatever the Catch produced; a malformed error must not stop the rollback.
  error: z.optional(z.unknown()),
  /** `$$.Execution.RedriveCount`: which attempt of the execution caught the error. */
  attempt: z.optional(z.union([z.number(), z.string()])),
});

/** Who runs a rollback and, for the janitor, how the workflow ends. */
export interface RollbackOptions {
  /** @default 'catch' (the state machine's saga state) */
  readonly by?: RollbackOwner;
  /** The execution attempt (redrive count) of the owner. @default the payload's attempt, or '0' */
  readonly attempt?: string;
  /** Continue a rollback that a Catch saga (or an earlier janitor run) claimed and did not finish. */
  readonly takeOver?: boolean;
  /** How the workflow ends, instead of deriving it from the Catch's error. */
  readonly outcome?: { status: 'failed' | 'cancelled'; error: { code: string; message: string } };
}

/** Thrown inside the claim's precondition: the workflow already ended, nothing to roll back. */
class AlreadyEnded extends Error {}

/** One terminal event per workflow, even if two rollbacks race to record theirs. */
const onlyOnce = {
  precondition: (view: WorkflowView) => {
    if (hasEnded(view)) throw new AlreadyEnded();
  },
};

function ignoreEnded(error: unknown): undefined {
  if (error instanceof AlreadyEnded) return undefined;
  throw error;
}

export interface CompensateDeps {
  readonly events: EventLogDeps;
  readonly state: StateTableDeps;
  readonly bookings: BookingsPort;
  /**
   * The tools that undo steps, asked for only when a rollback has a step to undo (a rollback with
   * nothing to undo, the janitor's usual case, never loads them).
   */
  readonly tools: () => ToolRegistry | Promise<ToolRegistry>;
  readonly now?: () => Date;
  /** Attempts per compensation before it is recorded as CompensationFailed. @default 3 */
  readonly attempts?: number;
  /** Waits between attempts (exponential backoff from this base, ms). @default 200 */
  readonly backoffMs?: number;
  readonly sleep?: (ms: number) => Promise<unknown>;
  /**
   * How long a step that started without an outcome may still be running: its Lambda invocation
   * outlives a failed Map (Step Functions stops waiting, not the function). The saga waits for such
   * steps to record their outcome before undoing them, at most until this long after their start.
   * @default 125000 (the step function's timeout, 120 s, plus a margin)
   */
  readonly inFlightWaitMs?: number;
  /**
   * First pause while waiting for in-flight steps; each next one doubles, so the reads of the wait
   * (one head item each) are at most log2(inFlightWaitMs / pollMs) + 2, however long it lasts.
   * @default 250
   */
  readonly pollMs?: number;
}

export interface CompensateResult {
  workflow_id: string;
  status: 'failed' | 'cancelled';
  compensated: string[];
  /** False when another path owns the rollback (this run undid nothing). */
  owner?: boolean;
}

/**
 * "Roll back completed steps" (saga): undoes, in reverse order of completion, every step the event
 * log shows may have had an effect, then records WorkflowFailed with the original error — or
 * WorkflowCancelled with its reason when the user cancelled, denied the approval or let it time out.
 * Safe to re-run: compensations are idempotent and already-undone steps are skipped.
 */
export async function compensateWorkflow(
  deps: CompensateDeps,
  payload: unknown,
  options: RollbackOptions = {},
): Promise<CompensateResult> {
  const input = parseTaskInput(compensateInputSchema, payload, 'compensate');
  const id = input.workflow_id;
  const stateError = stateErrorSchema.safeParse(input.error);
  const original =
    options.outcome?.error ?? describeStateError(stateError.success ? stateError.data : undefined);
  let view = await readView(deps.events, id);
  const reason: string | undefined = options.outcome
    ? options.outcome.status === 'cancelled'
      ? options.outcome.error.code
      : undefined
    : cancellationReason(stateError.success ? stateError.data : undefined, view);

  // Exactly one rollback per workflow, whichever path triggers it (Catch, janitor, cancel): the
  // appender of CompensationStarted owns it; its replays continue it; everyone else stops here.
  if (!hasEnded(view)) {
    const by = options.by ?? 'catch';
    const attempt = options.attempt ?? String(input.attempt ?? 0);
    try {
      await appendEvent(
        deps.events,
        id,
        {
          event_id: ROLLBACK_CLAIM_EVENT_ID,
          type: 'CompensationStarted',
          data: { by, attempt, error: original, outcome: reason === undefined ? 'failed' : 'cancelled' },
        },
        onlyOnce,
      );
    } catch (error) {
      ignoreEnded(error);
    }
    // The claim's owner is in the view (a replay returns the event id, not who wrote it).
    view = await readView(deps.events, id);
    const claim = view.rollback;
    const mine = claim?.by === by && claim.attempt === attempt;
    if (claim && !mine && !(options.takeOver && claim.by !== 'cancel')) {
      logger.info('rollback owned by another path', { owner: claim.by, by });
      return {
        workflow_id: id,
        status: reason === undefined ? 'failed' : 'cancelled',
        compensated: [...view.compensated],
        owner: false,
      };
    }
  }
  view = await settleInFlightSteps(deps, id, view);
  // The whole log, once per rollback: what may have had an effect, in what order to undo it.
  const log = await readEvents(deps.events, id);
  const compensated = compensatedSteps(log);
  const todo = stepsToCompensate(log);

  if (todo.length > 0) {
    const stored = await getPlan(deps.state, id);
    const outputs = new Map([...(await readStepOutputs(deps.state, id))].map(([s, r]) => [s, r.output]));
    const now = deps.now ?? (() => new Date());
    const tools = await deps.tools();
    for (const { step_id: stepId, tool: toolName } of todo) {
      const tool = tools.get(toolName);
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
        logger.error('compensation failed', { step_id: stepId, error });
        await appendEvent(deps.events, id, {
          event_id: `CompensationFailed:${stepId}`,
          type: 'CompensationFailed',
          data: { step_id: stepId, tool: toolName, error: errorSummary(error) },
        });
      }
    }
  }

  if (!hasEnded(view)) {
    if (reason) {
      // Approval steps left waiting get their outcome, so every started step has one.
      const started = log.flatMap((e) =>
        e.type === 'StepStarted' && e.data.tool === HUMAN_APPROVAL_TOOL ? [e.data.step_id] : [],
      );
      const unanswered = [...new Set([...started, ...view.pending_approvals])].filter(
        (stepId) =>
          !log.some(
            (e) => (e.type === 'StepFailed' || e.type === 'StepSucceeded') && e.data.step_id === stepId,
          ),
      );
      await appendEvents(
        deps.events,
        id,
        [
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
        ],
        onlyOnce,
      ).catch(ignoreEnded);
    } else {
      await appendEvent(
        deps.events,
        id,
        { event_id: 'WorkflowFailed', type: 'WorkflowFailed', data: { error: original, compensated } },
        onlyOnce,
      ).catch(ignoreEnded);
    }
  }
  // A re-run after the terminal event (or a lost race to record it) answers what that event says.
  const ended = (await readView(deps.events, id)).terminal?.type;
  const status =
    ended === 'WorkflowCancelled' || (ended !== 'WorkflowFailed' && reason !== undefined)
      ? 'cancelled'
      : 'failed';
  // An approval still marked pending (its wait timed out or failed) can no longer be answered.
  const approval = await getApproval(deps.state, id);
  if (approval?.status === 'pending') await claimApproval(deps.state, id, approval.token, 'cancelled');
  logger.info('workflow rolled back', { status, error_code: original.code, compensated });
  return { workflow_id: id, status, compensated };
}

/**
 * Waits (bounded) until steps that started without an outcome and may still be running record one,
 * so that a sibling's side effect that lands after a failed Map is undone, not left behind. It reads
 * the head item (the view lists the steps in flight), never the log, with doubling pauses: a wait of
 * any length costs a handful of one-item reads.
 */
async function settleInFlightSteps(
  deps: CompensateDeps,
  id: string,
  initial: WorkflowView,
): Promise<WorkflowView> {
  const windowMs = deps.inFlightWaitMs ?? 125_000;
  const now = deps.now ?? (() => new Date());
  const wait = deps.sleep ?? sleep;
  let view = initial;
  for (let pause = deps.pollMs ?? 250; ; pause *= 2) {
    const limit = now().getTime() - windowMs;
    const running = view.running.filter((s) => s.tool !== HUMAN_APPROVAL_TOOL && Date.parse(s.at) > limit);
    if (running.length === 0) return view;
    // Never past the moment the last of them can still be running.
    const until = Math.max(...running.map((s) => Date.parse(s.at))) + windowMs - now().getTime();
    await wait(Math.max(1, Math.min(pause, until)));
    view = await readView(deps.events, id);
  }
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
