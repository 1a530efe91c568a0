import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { createAgentModel } from '#core/llm/index.ts';
import type { AgentModel, GuardianVerdict } from '#core/llm/provider.ts';
import { guardianCategories } from '#core/llm/provider.ts';
import { parseTaskInput } from '#core/task-errors.ts';
import { expiresAt } from '#core/ttl.ts';
import { appendEvents, type EventLogDeps, readEvents } from '#io/event-log.ts';
import { dynamo } from '#shared/clients.ts';
import { readEnv, required } from '#shared/config.ts';
import { logger } from '#shared/observability.ts';
import { type NewWorkflowEvent, workflowInputSchema } from '#shared/schemas.ts';

export interface GuardianDeps {
  readonly events: EventLogDeps;
  readonly model: AgentModel;
}

const recordedVerdictSchema = z.object({
  allowed: z.boolean(),
  category: z.enum(guardianCategories).optional(),
  reason: z.string().optional(),
  provider: z.string(),
  model: z.string(),
});

/**
 * "Screen goal with guardian": records the goal, asks the model whether it is allowed and records the
 * verdict (and the rejection). A re-run reuses the recorded verdict instead of asking again.
 */
export async function screenGoal(deps: GuardianDeps, payload: unknown): Promise<{ allowed: boolean }> {
  const input = parseTaskInput(workflowInputSchema, payload, 'guardian');
  const id = input.workflow_id;
  const log = await readEvents(deps.events, id);
  const events: NewWorkflowEvent[] = [
    {
      event_id: 'GoalReceived',
      type: 'GoalReceived',
      data: {
        goal: input.goal,
        context_keys: Object.keys(input.context).sort(),
        submitted_at: input.submitted_at,
      },
    },
  ];

  const recorded = recordedVerdictSchema.safeParse(log.find((e) => e.type === 'GuardianChecked')?.data);
  let verdict: GuardianVerdict & { provider: string; model: string };
  if (recorded.success) {
    verdict = recorded.data;
  } else {
    const started = performance.now();
    const answer = await deps.model.screenGoal({
      goal: input.goal,
      context_keys: Object.keys(input.context),
    });
    const latency = Math.round(performance.now() - started);
    verdict = { ...answer.verdict, provider: deps.model.provider, model: deps.model.model };
    events.push(
      {
        event_id: 'ModelCalled:guardian',
        type: 'ModelCalled',
        data: {
          purpose: 'guardian',
          provider: deps.model.provider,
          model: deps.model.model,
          ...answer.usage,
          latency_ms: latency,
        },
      },
      { event_id: 'GuardianChecked', type: 'GuardianChecked', data: verdict },
    );
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
  logger.info('goal screened', { workflow_id: id, allowed: verdict.allowed, category: verdict.category });
  return { allowed: verdict.allowed };
}

const env = readEnv();
const model = createAgentModel(env.LLM_PROVIDER);

export const handler = middy(async (event: unknown) =>
  screenGoal(
    {
      events: {
        client: dynamo,
        tableName: required(env, 'EVENT_LOG_TABLE'),
        expiresAt: expiresAt(new Date(), env.EVENT_LOG_TTL_DAYS),
      },
      model,
    },
    event,
  ),
).use(injectLambdaContext(logger));
