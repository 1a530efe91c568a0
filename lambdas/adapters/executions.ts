import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { taskFailure } from '#domain/task-errors.ts';

/*
 * The Step Functions calls of the control routes (status, cancel, signal, redrive), each taking its
 * client: use cases hold ports, not SDK commands. Errors propagate as the SDK raises them (their
 * `name` is what callers decide on: ExecutionDoesNotExist, ExecutionNotRedrivable, TaskTimedOut...).
 */

/** The Step Functions client a use case is given (a port: tests pass a mocked one). */
export type StepFunctions = SFNClient;
/** The DynamoDB document client a use case is given. */
export type DocumentClient = DynamoDBDocumentClient;

export type ExecutionDetails = Pick<
  DescribeExecutionCommandOutput,
  'status' | 'error' | 'startDate' | 'stopDate' | 'redriveDate'
>;

/** DescribeExecution. */
export function describeExecution(sfn: StepFunctions, executionArn: string): Promise<ExecutionDetails> {
  return sfn.send(new DescribeExecutionCommand({ executionArn }));
}

/** RedriveExecution: resumes a FAILED, TIMED_OUT or ABORTED execution from where it stopped. */
export function redriveExecution(
  sfn: StepFunctions,
  executionArn: string,
): Promise<{ readonly redriveDate?: Date | undefined }> {
  return sfn.send(new RedriveExecutionCommand({ executionArn }));
}

/** SendTaskSuccess: answers a waiting task token with its output (JSON). */
export async function sendTaskSuccess(sfn: StepFunctions, taskToken: string, output: unknown): Promise<void> {
  await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
}

/**
 * SendTaskFailure: fails a waiting task with a domain error, in the state machine's one error
 * vocabulary (`WorkflowError`, the code first in the cause: the ASL's Catch, the saga reads the code).
 */
export async function sendTaskFailure(
  sfn: StepFunctions,
  taskToken: string,
  code: string,
  message: string,
): Promise<void> {
  await sfn.send(new SendTaskFailureCommand({ taskToken, ...taskFailure(code, message) }));
}
