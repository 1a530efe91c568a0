import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { rollBackDeps } from '#middleware/roll-back.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { compensateWorkflow } from '#usecases/roll-back.ts';

/** "Roll back completed steps" (the saga state): lambdas/usecases/roll-back.ts. */

const env = parseEnv(envSchema(...WORKFLOW_LOG_ENV, 'BOOKINGS_TABLE'));

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  // No stateTaskErrors(): the rollback has no domain errors to report, and its state retries every error.
  .handler((event) => compensateWorkflow(rollBackDeps(env), event));
