import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { eventLogDeps, stateTableDeps } from '#middleware/deps.ts';
import { envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { stateTaskErrors } from '#middleware/state-errors.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { requestApproval } from '#usecases/request-approval.ts';

/** "Wait for approval" (callback task): lambdas/usecases/request-approval.ts. */

const env = parseEnv(envSchema(...WORKFLOW_LOG_ENV));

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  .use(stateTaskErrors())
  .handler((event) => {
    const now = new Date();
    return requestApproval({ events: eventLogDeps(env, now), state: stateTableDeps(env) }, event);
  });
