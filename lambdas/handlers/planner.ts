import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { initialSchedule } from '#core/dag.ts';
import { createAgentModel } from '#core/llm/index.ts';
import type { AgentModel } from '#core/llm/provider.ts';
import { assertValidPlan } from '#core/plan-validation.ts';
import { parseTaskInput } from '#core/task-errors.ts';
import { defaultToolRegistry, type ToolRegistry } from '#core/tools/registry.ts';
import { expiresAt } from '#core/ttl.ts';
import { appendEvent, type EventLogDeps } from '#io/event-log.ts';
import { getPlan, putPlanIfAbsent, type StateTableDeps } from '#io/plan-store.ts';
import { dynamo } from '#shared/clients.ts';
import { readEnv, required } from '#shared/config.ts';
import { logger } from '#shared/observability.ts';
import { type Schedule, workflowInputSchema } from '#shared/schemas.ts';

export const plannerInputSchema = workflowInputSchema.pick({
  workflow_id: true,
  user_id: true,
  goal: true,
  context: true,
});

export interface PlannerDeps {
  readonly events: EventLogDeps;
  readonly state: StateTableDeps;
  readonly model: AgentModel;
  readonly tools: ToolRegistry;
  readonly now?: () => Date;
}

/**
 * "Plan the steps": asks the model for a plan, validates it (PlanInvalid otherwise), stores it once
 * (a re-run keeps the first plan) and returns the first wave of the DAG.
 */
export async function planWorkflow(deps: PlannerDeps, payload: unknown): Promise<Schedule> {
  const input = parseTaskInput(plannerInputSchema, payload, 'planner');
  const id = input.workflow_id;
  let stored = await getPlan(deps.state, id);
  if (!stored) {
    const started = performance.now();
    const answer = await deps.model.planGoal({
      goal: input.goal,
      context: input.context,
      tools: deps.tools.describe(),
    });
    await appendEvent(deps.events, id, {
      event_id: 'ModelCalled:planner',
      type: 'ModelCalled',
      data: {
        purpose: 'planner',
        provider: deps.model.provider,
        model: deps.model.model,
        ...answer.usage,
        latency_ms: Math.round(performance.now() - started),
      },
    });
    const plan = assertValidPlan(answer.plan, deps.tools);
    stored = await putPlanIfAbsent(deps.state, id, {
      plan,
      source: 'planner',
      provider: deps.model.provider,
      model: deps.model.model,
      created_at: (deps.now?.() ?? new Date()).toISOString(),
    });
  }
  await appendEvent(deps.events, id, {
    event_id: 'PlanCreated',
    type: 'PlanCreated',
    data: {
      plan: stored.plan,
      source: stored.source,
      steps_total: stored.plan.steps.length,
      provider: stored.provider,
    },
  });
  logger.info('plan created', {
    workflow_id: id,
    steps_total: stored.plan.steps.length,
    provider: stored.provider,
  });
  return initialSchedule(stored.plan);
}

const env = readEnv();
/** Origin of flights that name none (and no `context.home_city`): a city name or IATA code. */
const { DEFAULT_ORIGIN_CITY } = z
  .object({ DEFAULT_ORIGIN_CITY: z.string().min(1).default('LON') })
  .parse(process.env);
const model = createAgentModel(env.LLM_PROVIDER, { defaultOrigin: DEFAULT_ORIGIN_CITY });
const tools = defaultToolRegistry({ defaultOrigins: [DEFAULT_ORIGIN_CITY] });

export const handler = middy(async (event: unknown) => {
  const now = new Date();
  return planWorkflow(
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
      model,
      tools,
    },
    event,
  );
}).use(injectLambdaContext(logger));
