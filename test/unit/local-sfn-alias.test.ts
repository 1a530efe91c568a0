import { describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../lib/local/step-functions.ts';

/*
 * In AWS the producer starts executions through the state machine's alias (STATE_MACHINE_ARN is
 * arn:…:stateMachine:<name>:<alias>). The local engine has one version; it accepts a qualified ARN of
 * its state machine and names the execution after the state machine, as AWS does.
 */
describe('local Step Functions: StartExecution through an alias', () => {
  const engine = () =>
    new LocalStepFunctions({
      definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
      taskHandlers: {},
      stateMachineName: 'workflow',
    });

  it('starts an execution on an alias ARN, named after the state machine', () => {
    const local = engine();
    const { executionArn } = local.startExecution({
      stateMachineArn: `${local.stateMachineArn}:live`,
      name: 'wf_1',
    });
    expect(executionArn).toBe(`${local.stateMachineArn.replace(':stateMachine:', ':execution:')}:wf_1`);
  });

  it('still refuses another state machine, qualified or not', () => {
    const local = engine();
    const other = local.stateMachineArn.replace(':workflow', ':other');
    expect(() => local.startExecution({ stateMachineArn: `${other}:live`, name: 'wf_2' })).toThrow(
      /State Machine Does Not Exist/,
    );
    expect(() => local.startExecution({ stateMachineArn: other, name: 'wf_3' })).toThrow(
      /State Machine Does Not Exist/,
    );
  });
});
