/**
 * The execution ARN of a workflow: `arn:<partition>:states:<region>:<account>:execution:<state machine>:<id>`.
 *
 * `stateMachineArn` may be qualified by an alias or a version (`…:stateMachine:<name>:live`, `…:<name>:7`):
 * executions started through either are still named after the state machine alone, so the qualifier is
 * dropped.
 */
export function executionArnOf(stateMachineArn: string, workflowId: string): string {
  const match = /^(arn:[^:]+:states:[^:]*:[^:]*):stateMachine:([^:]+)(?::[^:]+)?$/.exec(stateMachineArn);
  if (match === null) throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return `${match[1]}:execution:${match[2]}:${workflowId}`;
}
