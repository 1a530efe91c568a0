import middy from '@middy/core';
import * as z from '#domain/zod.ts';
import { correlated } from '#middleware/correlation.ts';
import { cacheTableDeps, eventLogDeps, stateTableDeps } from '#middleware/deps.ts';
import { envField, envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { stateTaskErrors } from '#middleware/state-errors.ts';
import { taskCorrelation } from '#middleware/task.ts';
import { finalizeWorkflow } from '#usecases/finalize.ts';

/** "Summarize results": lambdas/usecases/finalize.ts, confirming the plan's cache entry. */

const env = parseEnv(
  z.extend(envSchema(...WORKFLOW_LOG_ENV, 'CACHE_ENABLED'), {
    CACHE_TABLE: z.optional(envField('CACHE_TABLE')),
  }), // no table: no cache
);
const cache = cacheTableDeps(env);

export const handler = middy<unknown>()
  .use(correlated(taskCorrelation))
  .use(stateTaskErrors())
  .handler((event) =>
    finalizeWorkflow(
      { events: eventLogDeps(env), state: stateTableDeps(env), ...(cache && { cache }) },
      event,
    ),
  );
