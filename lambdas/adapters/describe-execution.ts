import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { executionArnOf } from '#domain/execution-arn.ts';

/** What a job needs to know about a workflow's execution. */
export interface ExecutionSummary {
  readonly status?: string;
  readonly error?: string;
  readonly redriveCount?: number;
}

/** Asks Step Functions about a workflow's execution; undefined when it does not exist. */
export type DescribeWorkflowExecution = (workflowId: string) => Promise<ExecutionSummary | undefined>;

/** DescribeExecution of the workflow's execution of `stateMachineArn` (its name is the workflow id). */
export function describeWorkflowExecution(
  sfn: SFNClient,
  stateMachineArn: string,
): DescribeWorkflowExecution {
  return async (workflowId) => {
    try {
      return await sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, workflowId) }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  };
}
