import { appendEvent, type EventLogDeps } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import { getPlan, getStepOfPlan, type PlanGraph, type StateTableDeps } from '#adapters/plan-store.ts';
import { putStepOutputIfAbsent, readStepOutputsOf } from '#adapters/step-store.ts';
import { approvalStepIds, HUMAN_APPROVAL_TOOL, transitiveDependencies, waveSchedule } from '#domain/dag.ts';
import { InvalidStepInput, WorkflowCancelled, WorkflowStateMissing } from '#domain/errors.ts';
import { hasEnded } from '#domain/projection.ts';
import { referencedSteps, resolveReferences } from '#domain/references.ts';
import { type PlanStep, type RunStepInput, runStepInputSchema, type WaveSchedule } from '#domain/schemas.ts';
import { asRetryable, errorSummary, parseTaskInput } from '#domain/task-errors.ts';
import type { ToolRegistry } from '#domain/tools/registry.ts';
import type { BookingsPort } from '#domain/tools/types.ts';

export interface StepDeps {
  readonly events: EventLogDeps;
  readonly state: StateTableDeps;
  readonly bookings: BookingsPort;
  readonly tools: ToolRegistry;
  /** Timeout of the approval wait that follows a wave with human-approval steps (seconds). */
  readonly approvalTimeoutSeconds: number;
  readonly now?: () => Date;
  /** Overrides {@link START_SLOT_MS} (0: no slots). */
  readonly startSlotMs?: number;
}

/** The state machine's Map runs at most this many steps of a wave at once (its MaxConcurrency). */
export const WAVE_WIDTH = 10;
/** The pause between the starts of a wave's first steps (ms): about one append's round trip. */
export const START_SLOT_MS = 15;

export type RunStepResult = { step_id: string } & WaveSchedule;

/** The step and the plan's graph: from the step index, or from the whole plan when it has none. */
async function stepOfPlan(
  state: StateTableDeps,
  id: string,
  stepId: string,
): Promise<{ graph: PlanGraph; step: PlanStep }> {
  const indexed = await getStepOfPlan(state, id, stepId);
  if (indexed) return indexed;
  const stored = await getPlan(state, id);
  if (!stored) throw new WorkflowStateMissing(`workflow ${id} has no plan`);
  const step = stored.plan.steps.find((s) => s.id === stepId);
  if (!step) throw new WorkflowStateMissing(`the plan of ${id} has no step ${stepId}`);
  return { graph: stored.plan, step };
}

/**
 * "Run step": runs one plan step with its tool, exactly once per (workflow, step) — a stored output
 * (a retry after a crash) is reused without running the tool again — and returns the schedule after
 * this step's wave, the same for every step of the wave. A human-approval step is not run: it is
 * recorded as started and returned as awaiting (the state machine then waits for the signal). A
 * workflow whose log holds CancelRequested stops here with WorkflowCancelled (cooperative cancel).
 */
export async function runStep(deps: StepDeps, payload: unknown): Promise<RunStepResult> {
  const input: RunStepInput = parseTaskInput(runStepInputSchema, payload, 'step');
  const { workflow_id: id, step_id: stepId } = input;
  // The step and the plan's graph (two small items); the whole plan only for a plan stored without
  // its step index. Reads fail like the tool would: a transient failure is retried by the ASL.
  const ofPlan = await stepOfPlan(deps.state, id, stepId).catch((error: unknown) => {
    throw asRetryable(error) ?? error;
  });
  const { graph: plan, step } = ofPlan;

  // Only the outputs this step needs — its own (a retry after a crash), those its input references
  // and the answers of the wave's approval steps — so its reads do not grow with the plan.
  const approvals = approvalStepIds(plan);
  const needed = [stepId, ...referencedSteps(step.input), ...input.wave.filter((s) => approvals.has(s))];
  const outputs = await readStepOutputsOf(deps.state, id, needed).catch((error: unknown) => {
    throw asRetryable(error) ?? error;
  });
  const schedule = waveSchedule(plan, input.wave, input.done, {
    answered: new Set(outputs.keys()),
    approvalTimeoutSeconds: deps.approvalTimeoutSeconds,
  });

  // The Map starts a wave's first iterations at once, and each appends StepStarted to the same log
  // head: started together, all but one lose the race (a cancelled transaction each). Starting them
  // one slot apart, in wave order, keeps their appends (and, as often, their outcomes) apart.
  // As many appenders as the wave runs at once may race for the head: retries back off that much wider.
  const contenders = Math.min(input.wave.length, WAVE_WIDTH);
  const slot = input.wave.indexOf(stepId);
  const slotMs = deps.startSlotMs ?? START_SLOT_MS;
  if (slot > 0 && slot < WAVE_WIDTH && slotMs > 0) {
    await new Promise((resolve) => setTimeout(resolve, slot * slotMs));
  }
  await appendEvent(
    deps.events,
    id,
    { event_id: `StepStarted:${stepId}`, type: 'StepStarted', data: { step_id: stepId, tool: step.tool } },
    {
      contenders,
      // A step that has not started when a rollback begins never starts: the saga cannot see it. A
      // cancel requested before it stops it here (cooperative cancel): the saga rolls back.
      precondition: (current) => {
        if (current.cancel_requested) {
          throw new WorkflowCancelled(`workflow ${id} was cancelled before step ${stepId}`);
        }
        if (current.rollback !== undefined || hasEnded(current)) {
          throw new WorkflowCancelled(`workflow ${id} is being rolled back: step ${stepId} not started`);
        }
      },
    },
  );
  if (step.tool === HUMAN_APPROVAL_TOOL && !outputs.has(stepId)) {
    // Answered by POST /workflows/{id}/signals/approval during "Wait for approval".
    return { step_id: stepId, ...schedule };
  }
  try {
    const tool = deps.tools.get(step.tool);
    if (!tool) throw new InvalidStepInput(`step ${stepId} uses the unknown tool ${step.tool}`);
    let record = outputs.get(stepId);
    if (record) {
      logger.info('step output already stored: not running the tool again', {
        step_id: stepId,
      });
    } else {
      const upstream = transitiveDependencies(plan, stepId);
      const available = new Map<string, unknown>();
      for (const [depId, out] of outputs) if (upstream.has(depId)) available.set(depId, out.output);
      // A reference to a step this one does not depend on is left unresolved (validation refuses it).
      const resolved = resolveReferences(step.input, available);
      const now = deps.now ?? (() => new Date());
      const output = await tool.execute(resolved, {
        workflow_id: id,
        step_id: stepId,
        bookings: deps.bookings,
        now,
        recordModelCall: (call) =>
          appendEvent(deps.events, id, {
            event_id: `ModelCalled:${call.purpose}:${stepId}:${call.attempt}`,
            type: 'ModelCalled',
            data: { ...call, step_id: stepId },
          }).then(() => undefined),
      });
      record = await putStepOutputIfAbsent(deps.state, id, {
        step_id: stepId,
        tool: tool.name,
        output,
        stored_at: now().toISOString(),
      });
    }
    await appendEvent(
      deps.events,
      id,
      {
        event_id: `StepSucceeded:${stepId}`,
        type: 'StepSucceeded',
        data: { step_id: stepId, tool: step.tool, output: tool.summarize(record.output) },
      },
      { contenders },
    );
  } catch (error) {
    const retryable = asRetryable(error);
    if (retryable) throw retryable;
    try {
      await appendEvent(deps.events, id, {
        event_id: `StepFailed:${stepId}`,
        type: 'StepFailed',
        data: { step_id: stepId, tool: step.tool, error: errorSummary(error), retryable: false },
      });
    } catch (appendError) {
      logger.error('could not record StepFailed', { step_id: stepId, error: appendError });
    }
    throw error;
  }
  return { step_id: stepId, ...schedule };
}
