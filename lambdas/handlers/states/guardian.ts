import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { eventLogDeps } from '#middleware/deps.ts';
import { envSchema, LLM_ENV, parseEnv } from '#middleware/env.ts';
import { agentModel, guardrail } from '#middleware/models.ts';
import { stateTaskErrors } from '#middleware/state-errors.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { screenGoal } from '#usecases/screen-goal.ts';

/** "Screen goal with guardian": lambdas/usecases/screen-goal.ts on the configured model and guardrail. */

const env = parseEnv(envSchema('EVENT_LOG_TABLE', 'STATE_TABLE', 'EVENT_LOG_TTL_DAYS', ...LLM_ENV));
const model = agentModel(env, async () => ({
  rules: { screenGoal: (await import('#domain/offline-guardian.ts')).screenGoalOffline },
}));
const screen = guardrail(env);

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  .use(stateTaskErrors())
  .handler((event) =>
    screenGoal(
      { events: eventLogDeps(env), model, ...(screen === undefined ? {} : { guardrail: screen }) },
      event,
    ),
  );
