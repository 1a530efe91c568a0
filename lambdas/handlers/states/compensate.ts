import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { rollBackDeps } from '#middleware/roll-back.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { compensateWorkflow } from '#usecases/roll-back.ts';

/** "Roll back completed steps" (the saga state): lambdas/usecases/roll-back.ts. */

const env = parseEnv(
  envSchema(
    'EVENT_LOG_TABLE',
    'STATE_TABLE',
    'BOOKINGS_TABLE',
    'EVENT_LOG_TTL_DAYS',
    'WORKFLOW_RECORD_TTL_DAYS',
  ),
);

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  // (the state tasks' domain-error middleware goes here: one error name, the code in the cause)
  .handler((event) => compensateWorkflow(rollBackDeps(env), event));
