import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { bookingsDeps, eventLogDeps, stateTableDeps } from '#middleware/deps.ts';
import { envSchema, HTTP_TOOL_ENV, LLM_ENV, parseEnv } from '#middleware/env.ts';
import { stateTaskErrors } from '#middleware/state-errors.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { toolRegistry } from '#middleware/tools.ts';
import { runStep } from '#usecases/run-step.ts';

/** "Run step": lambdas/usecases/run-step.ts on the tools, the bookings and the state tables. */

const env = parseEnv(
  envSchema(
    'EVENT_LOG_TABLE',
    'STATE_TABLE',
    'BOOKINGS_TABLE',
    'EVENT_LOG_TTL_DAYS',
    'WORKFLOW_RECORD_TTL_DAYS',
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
