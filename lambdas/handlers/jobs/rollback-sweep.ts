import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import { sfn } from '#adapters/aws/sfn.ts';
import { clearRollbackDeadline, dueRollbacks } from '#adapters/event-log.ts';
import { executionArnOf } from '#domain/execution-arn.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import { readEnv, required } from '#middleware/config.ts';
import { bookingsDeps, eventLogDeps, stateTableDeps } from '#middleware/deps.ts';
import { logger } from '#middleware/logger.ts';
import { type CompensateDeps, compensateWorkflow } from '../states/compensate.ts';

/**
 * The rollback deadline sweep (an EventBridge schedule, every 15 minutes). A transient failure that
 * outlasts its retries leaves the execution FAILED and redrivable, with its bookings live; the
 * janitor gives such a workflow a deadline (ROLLBACK_DEADLINE_HOURS, 24 by default, never past the
 * 14-day redrive window). A workflow still failed at its deadline is rolled back here — the saga
 * under its exactly-once claim (`by: deadline`) — and ends `failed`, its steps undone, the reason in
 * its error. One redriven meanwhile (its execution runs again) just leaves the index.
 */

export interface SweepDeps {
  readonly saga: CompensateDeps;
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  /** Workflows per run (each costs one DescribeExecution: 15/s is the account's default refill). @default 25 */
  readonly batch?: number;
}

export interface SweepResult {
  readonly rolledBack: string[];
  readonly redriven: string[];
}

export async function sweepRollbacks(deps: SweepDeps, now: Date = new Date()): Promise<SweepResult> {
  const heads = { client: deps.saga.events.client, stateTable: deps.saga.events.stateTable };
  const due = await dueRollbacks(heads, now, deps.batch ?? 25);
  const result: SweepResult = { rolledBack: [], redriven: [] };
  for (const { workflow_id: id, deadline } of due) {
    let execution: { status?: string; error?: string; redriveCount?: number } | undefined;
    try {
      execution = await deps.sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArnOf(deps.stateMachineArn, id) }),
      );
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ExecutionDoesNotExist')) throw error;
    }
    if (execution?.status !== 'FAILED') {
      // Redriven (from the API or the console), or gone: nothing to roll back here.
      await clearRollbackDeadline(heads, id);
      result.redriven.push(id);
      continue;
    }
    const code = execution.error || 'TransientError';
    await compensateWorkflow(
      deps.saga,
      { workflow_id: id },
      {
        by: 'deadline',
        attempt: String(execution.redriveCount ?? 0),
        takeOver: true,
        outcome: {
          status: 'failed',
          error: {
            code,
            message: `the workflow failed on a transient error (${code}) and was not redriven before its rollback deadline (${deadline}): its completed steps were rolled back`,
          },
        },
      },
    );
    await clearRollbackDeadline(heads, id);
    logger.info('rolled back at its deadline', {
      workflow_id: id,
      rollback_deadline: deadline,
      error_code: code,
    });
    result.rolledBack.push(id);
  }
  return result;
}

const env = readEnv();
const tools = defaultToolRegistry();

export const handler = middy(async () => {
  const now = new Date();
  return sweepRollbacks(
    {
      saga: {
        events: eventLogDeps(env, now),
        state: stateTableDeps(env),
        bookings: bookingsDeps(env),
        tools,
      },
      sfn,
      stateMachineArn: required(env, 'STATE_MACHINE_ARN'),
    },
    now,
  );
}).use(injectLambdaContext(logger));
