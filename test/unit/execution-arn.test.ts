import { describe, expect, it } from 'vitest';
import { executionArnOf } from '#domain/execution-arn.ts';

/*
 * STATE_MACHINE_ARN is the alias executions start through (arn:…:stateMachine:<name>:<alias>), but an
 * execution's ARN names the state machine only (arn:…:execution:<name>:<execution>), whatever alias or
 * version it started through.
 */
describe('executionArnOf', () => {
  const account = 'arn:aws:states:eu-west-1:123456789012';

  it('names the execution of an unqualified state machine ARN', () => {
    expect(executionArnOf(`${account}:stateMachine:Workflow`, 'wf_1')).toBe(
      `${account}:execution:Workflow:wf_1`,
    );
  });

  it('drops the alias of an alias ARN', () => {
    expect(executionArnOf(`${account}:stateMachine:Workflow:live`, 'wf_1')).toBe(
      `${account}:execution:Workflow:wf_1`,
    );
  });

  it('drops the version of a version ARN', () => {
    expect(executionArnOf(`${account}:stateMachine:Workflow:42`, 'wf_1')).toBe(
      `${account}:execution:Workflow:wf_1`,
    );
  });

  it('keeps the partition and region of the ARN', () => {
    expect(
      executionArnOf('arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:Workflow:live', 'wf_1'),
    ).toBe('arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:Workflow:wf_1');
  });

  it('refuses an ARN that is not a state machine', () => {
    expect(() => executionArnOf(`${account}:activity:Workflow`, 'wf_1')).toThrow(/not a state machine ARN/);
  });
});
