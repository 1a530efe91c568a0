import type { DescribeWorkflowExecution } from '#adapters/describe-execution.ts';
import { clearRollbackDeadline, dueRollbacks } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import { type CompensateDeps, compensateWorkflow } from './roll-back.ts';

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
  /** DescribeExecution of a workflow's execution (`#adapters/describe-execution.ts`). */
  readonly describeExecution: DescribeWorkflowExecution;
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
    // One invocation, many workflows: each one's log lines carry its id.
    logger.appendKeys({ workflow_id: id });
    try {
      const rolledBack = await rollBackAtDeadline(deps, id, deadline);
      (rolledBack ? result.rolledBack : result.redriven).push(id);
    } finally {
      logger.removeKeys(['workflow_id']);
    }
  }
  return result;
}

/** Rolls one due workflow back unless it was redriven (or is gone); true when it was rolled back. */
async function rollBackAtDeadline(deps: SweepDeps, id: string, deadline: string): Promise<boolean> {
  const heads = { client: deps.saga.events.client, stateTable: deps.saga.events.stateTable };
  const execution = await deps.describeExecution(id);
  if (execution?.status !== 'FAILED') {
    // Redriven (from the API or the console), or gone: nothing to roll back here.
    await clearRollbackDeadline(heads, id);
    return false;
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
  logger.info('rolled back at its deadline', { rollback_deadline: deadline, error_code: code });
  return true;
}
