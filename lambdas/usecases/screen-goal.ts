import { appendEvents, type EventLogDeps, readEvents } from '#adapters/event-log.ts';
import type { GuardrailCheck } from '#adapters/llm/guardrail.ts';
import { logger } from '#adapters/logger.ts';
import { guardrailCategory, modelCalledEvents } from '#domain/llm/model-calls.ts';
import type { AgentModel, GuardianVerdict, ModelCallReport } from '#domain/llm/provider.ts';
import { guardianCategories } from '#domain/llm/provider.ts';
import { goalReceivedEvent, type NewWorkflowEvent, workflowInputSchema } from '#domain/schemas.ts';
import { parseTaskInput } from '#domain/task-errors.ts';
import * as z from '#domain/zod.ts';

export interface GuardianDeps {
  readonly events: EventLogDeps;
  readonly model: AgentModel;
  /** The configured Bedrock guardrail, applied to the goal before the model sees it. */
  readonly guardrail?: {
    readonly id: string;
    readonly version: string;
    readonly check: GuardrailCheck;
  };
}

const recordedVerdictSchema = z.object({
  allowed: z.boolean(),
  category: z.optional(z.enum(guardianCategories)),
  reason: z.optional(z.string()),
  provider: z.string(),
  model: z.string(),
});

type RecordedVerdict = GuardianVerdict & {
  provider: string;
  model: string;
  source?: 'guardrail' | 'model';
  guardrail_reasons?: string[];
};

/**
 * Asks the guardrail (when configured) and then the model. A guardrail intervention is a deny with
 * the category its policy codes suggest, and the model is not asked. Every call is reported.
 */
async function judge(
  deps: GuardianDeps,
  goal: string,
  contextKeys: string[],
  record: (call: ModelCallReport) => void,
): Promise<RecordedVerdict> {
  const guardrail = deps.guardrail;
  if (guardrail !== undefined) {
    const started = performance.now();
    const result = await guardrail.check(goal, 'INPUT');
    const model = `guardrail/${guardrail.id}:${guardrail.version}`;
    record({
      purpose: 'guardrail',
      provider: 'bedrock',
      model,
      // ApplyGuardrail is billed in text units, not tokens.
      tokens_in: 0,
      tokens_out: 0,
      latency_ms: Math.round(performance.now() - started),
      attempt: 1,
      outcome: 'ok',
    });
    if (result.action === 'GUARDRAIL_INTERVENED') {
      return {
        allowed: false,
        category: guardrailCategory(result.reasons),
        reason: 'The goal was blocked by the content guardrail.',
        provider: 'bedrock',
        model,
        source: 'guardrail',
        guardrail_reasons: result.reasons.slice(0, 20),
      };
    }
  }
  const answer = await deps.model.screenGoal({ goal, context_keys: contextKeys, onModelCall: record });
  return { ...answer.verdict, provider: deps.model.provider, model: deps.model.model, source: 'model' };
}

/**
 * "Screen goal with guardian": records the goal, asks the guardrail and/or the model whether it is
 * allowed and records every model call and the verdict (and the rejection). A re-run reuses the
 * recorded verdict instead of asking again.
 */
export async function screenGoal(deps: GuardianDeps, payload: unknown): Promise<{ allowed: boolean }> {
  const input = parseTaskInput(workflowInputSchema, payload, 'guardian');
  const id = input.workflow_id;
  const log = await readEvents(deps.events, id);
  const events: NewWorkflowEvent[] = [goalReceivedEvent(input)];

  const recorded = recordedVerdictSchema.safeParse(log.find((e) => e.type === 'GuardianChecked')?.data);
  let verdict: RecordedVerdict;
  if (recorded.success) {
    verdict = recorded.data;
  } else {
    const calls: ModelCallReport[] = [];
    const callEvents = () =>
      modelCalledEvents(
        log.map((e) => e.event_id),
        calls,
      );
    try {
      verdict = await judge(deps, input.goal, Object.keys(input.context), (call) => calls.push(call));
    } catch (error) {
      // The calls that were answered were billed: record them before the task fails (or is retried).
      if (calls.length > 0) {
        await appendEvents(deps.events, id, [...events, ...callEvents()]).catch((appendError: unknown) =>
          logger.error('could not record the model calls', { error: appendError }),
        );
      }
      throw error;
    }
    events.push(...callEvents(), { event_id: 'GuardianChecked', type: 'GuardianChecked', data: verdict });
  }
  if (!verdict.allowed) {
    const category = verdict.category ?? 'other';
    const reason = verdict.reason ?? 'The goal is not allowed.';
    events.push({
      event_id: 'WorkflowRejected',
      type: 'WorkflowRejected',
      data: { error: { code: 'rejected_by_guardian', message: reason }, category, reason },
    });
  }
  await appendEvents(deps.events, id, events);
  logger.info('goal screened', { allowed: verdict.allowed, category: verdict.category });
  return { allowed: verdict.allowed };
}
