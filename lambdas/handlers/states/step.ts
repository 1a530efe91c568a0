import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { bookingsDeps, eventLogDeps, stateTableDeps } from '#middleware/deps.ts';
import { envSchema, HTTP_TOOL_ENV, LLM_ENV, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { stateTaskErrors } from '#middleware/state-errors.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { toolRegistry } from '#middleware/tools.ts';
import { runStep } from '#usecases/run-step.ts';

/** "Run step": lambdas/usecases/run-step.ts on the tools, the bookings and the state tables. */

const env = parseEnv(
  envSchema(
    ...WORKFLOW_LOG_ENV,
    'BOOKINGS_TABLE',
    'APPROVAL_TIMEOUT_SECONDS',
    'DEFAULT_ORIGIN_CITY',
    ...LLM_ENV,
    ...HTTP_TOOL_ENV,
  ),
);
const tools = toolRegistry(env);

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  .use(stateTaskErrors())
  .handler((event) => {
    const now = new Date();
    return runStep(
      {
        events: eventLogDeps(env, now),
        state: stateTableDeps(env),
        bookings: bookingsDeps(env),
        tools,
        approvalTimeoutSeconds: env.APPROVAL_TIMEOUT_SECONDS,
      },
      event,
    );
  });
