import type { Correlation } from './correlation.ts';

/**
 * The correlation ids of a state-machine task: every task's payload names its workflow and its
 * execution (`$$.Execution.Id`), and the first tasks their user. The payload is raw here (validated by
 * the use case), so anything that is not a string is left out.
 */
export function taskCorrelation(event: unknown): Correlation {
  const payload = (event ?? {}) as { workflow_id?: unknown; user_id?: unknown; execution_arn?: unknown };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    workflowId: text(payload.workflow_id),
    userId: text(payload.user_id),
    executionArn: text(payload.execution_arn),
  };
}
