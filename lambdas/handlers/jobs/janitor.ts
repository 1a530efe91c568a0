import middy from '@middy/core';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { rollBackDeps } from '#middleware/roll-back.ts';
import { cleanUpExecution } from '#usecases/close-execution.ts';

/**
 * The execution janitor, target of the rule on this state machine's "Step Functions Execution Status
 * Change" events (ABORTED, TIMED_OUT, FAILED): lambdas/usecases/close-execution.ts.
 */

const env = parseEnv(envSchema(...WORKFLOW_LOG_ENV, 'BOOKINGS_TABLE', 'ROLLBACK_DEADLINE_HOURS'));

/** The execution's name is the workflow id; the payload is raw here (the use case validates it). */
const ofExecution = (event: unknown) => {
  const { name, executionArn } =
    (event as { detail?: { name?: unknown; executionArn?: unknown } })?.detail ?? {};
  return {
    ...(typeof name === 'string' && { workflowId: name }),
    ...(typeof executionArn === 'string' && { executionArn }),
  };
};

export const handler = middy<unknown>()
  .use(correlated(ofExecution))
  .handler((event) =>
    cleanUpExecution({ ...rollBackDeps(env), rollbackDeadlineHours: env.ROLLBACK_DEADLINE_HOURS }, event),
  );
