import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { eventLogDeps, stateTableDeps } from '#middleware/deps.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { stateTaskErrors } from '#middleware/state-errors.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { requestApproval } from '#usecases/request-approval.ts';

/** "Wait for approval" (callback task): lambdas/usecases/request-approval.ts. */

const env = parseEnv(
  envSchema('EVENT_LOG_TABLE', 'STATE_TABLE', 'EVENT_LOG_TTL_DAYS', 'WORKFLOW_RECORD_TTL_DAYS'),
);

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  .use(stateTaskErrors())
  .handler((event) => {
    const now = new Date();
    return requestApproval({ events: eventLogDeps(env, now), state: stateTableDeps(env) }, event);
  });
