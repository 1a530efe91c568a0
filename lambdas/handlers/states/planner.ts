import middy from '@middy/core';
import { bedrock } from '#adapters/aws/bedrock.ts';
import { createEmbedder } from '#adapters/embedders/index.ts';
import * as z from '#domain/zod.ts';
import { correlated } from '#middleware/correlation.ts';
import { eventLogDeps, planCacheDeps, stateTableDeps } from '#middleware/deps.ts';
import { describedTools } from '#middleware/described-tools.ts';
import {
  envField,
  envSchema,
  HTTP_TOOL_ENV,
  LLM_ENV,
  PLAN_CACHE_ENV,
  parseEnv,
  WORKFLOW_LOG_ENV,
} from '#middleware/env.ts';
import { agentModel } from '#middleware/models.ts';
import { stateTaskErrors } from '#middleware/state-errors.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { planWorkflow } from '#usecases/plan-steps.ts';

/** "Plan the steps": lambdas/usecases/plan-steps.ts on the model, the tools and the plan cache. */

const env = parseEnv(
  z.extend(
    envSchema(...WORKFLOW_LOG_ENV, 'DEFAULT_ORIGIN_CITY', ...PLAN_CACHE_ENV, ...LLM_ENV, ...HTTP_TOOL_ENV),
    { CACHE_TABLE: z.optional(envField('CACHE_TABLE')) },
  ), // no table: no cache
);
/** Flights that name no origin (and no `context.home_city`) leave from DEFAULT_ORIGIN_CITY. */
const model = agentModel(env, async () => ({
  rules: { planGoal: (await import('#domain/offline-planner.ts')).planGoalOffline },
  options: { defaultOrigin: env.DEFAULT_ORIGIN_CITY },
}));
const tools = describedTools(env);
const embedder = createEmbedder({
  kind: env.CACHE_EMBEDDER,
  bedrock,
  modelId: env.CACHE_EMBEDDING_MODEL_ID,
  dimensions: env.CACHE_EMBEDDING_DIMENSIONS,
});
const cache = planCacheDeps(env, { embedder, tools });

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  .use(stateTaskErrors())
  .handler((event) => {
    const now = new Date();
    return planWorkflow(
      { events: eventLogDeps(env, now), state: stateTableDeps(env), model, tools, ...(cache && { cache }) },
      event,
    );
  });
