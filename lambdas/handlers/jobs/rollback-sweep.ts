import middy from '@middy/core';
import { sfn } from '#adapters/aws/sfn.ts';
import { describeWorkflowExecution } from '#adapters/describe-execution.ts';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { rollBackDeps } from '#middleware/roll-back.ts';
import { sweepRollbacks } from '#usecases/sweep-rollbacks.ts';

/**
 * The rollback deadline sweep (an EventBridge schedule, every 15 minutes):
 * lambdas/usecases/sweep-rollbacks.ts. Each workflow it handles is its log lines' correlation id.
 */

const env = parseEnv(envSchema(...WORKFLOW_LOG_ENV, 'BOOKINGS_TABLE', 'STATE_MACHINE_ARN'));
const describeExecution = describeWorkflowExecution(sfn, env.STATE_MACHINE_ARN);

export const handler = middy()
  .use(correlated(() => ({})))
  .handler(() => {
    const now = new Date();
    return sweepRollbacks({ saga: rollBackDeps(env, now), describeExecution }, now);
  });
