import { readFileSync } from 'node:fs';
import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { aslPlaceholders } from '../../lib/constructs/workflow.ts';
import {
  type FunctionName,
  type FunctionSpec,
  functionSpecs,
  workflowDefinitionPath,
} from '../../lib/specs.ts';
import { actionsOf, functionId, onlyResourceId, resourcesOf, statementsOfRole, synth } from './synth.ts';

const asl = readFileSync(new URL(`../../${workflowDefinitionPath}`, import.meta.url), 'utf8');
const taskFunctions = (Object.keys(functionSpecs) as FunctionName[]).filter(
  (name) => (functionSpecs[name] as FunctionSpec).aslPlaceholder !== undefined,
);

describe('workflow', () => {
  const { template, stack } = synth();
  const stateMachineId = onlyResourceId(template, 'AWS::StepFunctions::StateMachine');
  const stateMachine = template.toJSON().Resources[stateMachineId];
  const definition: string = stateMachine.Properties.DefinitionString;
  const substitutions: Record<string, unknown> = stateMachine.Properties.DefinitionSubstitutions;

  it('is one Standard state machine with the ASL file inline', () => {
    expect(stateMachine.Properties.StateMachineType).toBe('STANDARD');
    expect(JSON.parse(definition)).toEqual(JSON.parse(asl));
  });

  it('substitutes every placeholder of the ASL, leaving no placeholder behind', () => {
    const placeholders = aslPlaceholders(definition);
    expect(placeholders.length).toBeGreaterThan(0);
    expect(Object.keys(substitutions).sort()).toEqual([...placeholders].sort());
    let substituted = definition;
    for (const [name, value] of Object.entries(substitutions)) {
      substituted = substituted.replaceAll(`\${${name}}`, JSON.stringify(value).replaceAll('"', "'"));
    }
    expect(substituted).not.toContain('${');
  });

  it.each(taskFunctions)('references the %s task function by its ASL placeholder', (name) => {
    const placeholder = (functionSpecs[name] as FunctionSpec).aslPlaceholder as string;
    expect(definition).toContain(`\${${placeholder}}`);
    // The version-qualified ARN (Ref of the function's published version): test/infra/deploys.test.ts.
    const version = template.toJSON().Resources[(substitutions[placeholder] as { Ref: string }).Ref];
    expect(version.Type).toBe('AWS::Lambda::Version');
    expect(version.Properties.FunctionName).toEqual({ Ref: functionId(stack, name) });
  });

  it('logs every event to its log group without execution data', () => {
    const logGroupId = stack.getLogicalId(stack.workflow.logGroup.node.defaultChild as CfnElement);
    expect(stateMachine.Properties.LoggingConfiguration).toEqual({
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } } }],
    });
    expect(template.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBe(30);
  });

  it('traces executions with X-Ray', () => {
    expect(stateMachine.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('may invoke exactly the task functions (any version of them), and no other function', () => {
    const roleId: string = stateMachine.Properties.RoleArn['Fn::GetAtt'][0];
    const statements = statementsOfRole(template, roleId);
    const lambdaStatements = statements.filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('lambda:')),
    );
    expect(lambdaStatements.flatMap(actionsOf)).toEqual(['lambda:InvokeFunction']);
    const invoked = lambdaStatements.flatMap(resourcesOf);
    expect(invoked).toHaveLength(taskFunctions.length);
    expect(invoked).toEqual(
      expect.arrayContaining(
        taskFunctions.map((name) => ({
          'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId(stack, name), 'Arn'] }, ':*']],
        })),
      ),
    );
    // Nothing else the role may do touches Lambda or data.
    const otherActions = statements.flatMap(actionsOf).filter((action) => !action.startsWith('lambda:'));
    expect(otherActions.every((action) => action.startsWith('logs:') || action.startsWith('xray:'))).toBe(
      true,
    );
  });

  describe('human approval and cancel in the ASL', () => {
    type State = Record<string, unknown> & { Retry?: { ErrorEquals: string[] }[] };
    const states: Record<string, State> = JSON.parse(asl).States;
    const processor = states['Run ready steps']?.ItemProcessor as
      | { States: Record<string, State> }
      | undefined;
    const allStates = { ...states, ...processor?.States };

    it('waits for approval with a Lambda callback whose timeout comes from the schedule', () => {
      expect(states['Wait for approval']).toMatchObject({
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder
          FunctionName: '${RequestApprovalFunctionArn}',
          Payload: { 'task_token.$': '$$.Task.Token' },
        },
        TimeoutSecondsPath: '$.dag.approval_timeout_seconds',
        ResultPath: '$.dag',
        // Domain errors (a denial and a cancel are WorkflowErrors coded ApprovalDenied and
        // WorkflowCancelled) and the approval timeout end in the saga; transient ones stay uncaught (redrive).
        Catch: [
          {
            ErrorEquals: ['WorkflowError', 'States.Timeout'],
            Next: 'Roll back completed steps',
          },
        ],
        Next: 'Any steps ready?',
      });
      const choices = states['Any steps ready?']?.Choices as unknown[] | undefined;
      expect(choices?.[0]).toEqual({
        Variable: '$.dag.awaiting_approval[0]',
        IsPresent: true,
        Next: 'Wait for approval',
      });
    });

    it('never retries a cancel, a denial or an approval timeout', () => {
      for (const [name, state] of Object.entries(allStates)) {
        if (name === 'Roll back completed steps') continue; // the saga itself retries everything
        for (const retrier of state.Retry ?? []) {
          for (const error of ['WorkflowError', 'States.Timeout', 'States.ALL']) {
            expect(retrier.ErrorEquals, `${name} retries ${error}`).not.toContain(error);
          }
        }
      }
    });

    it('ends a rolled-back cancellation in its own Fail state', () => {
      expect(states['Roll back completed steps']).toMatchObject({
        ResultSelector: { 'status.$': '$.Payload.status' },
        Next: 'Cancelled or failed?',
      });
      expect(states['Cancelled or failed?']).toMatchObject({
        Type: 'Choice',
        Choices: [{ Variable: '$.rollback.status', StringEquals: 'cancelled', Next: 'Workflow cancelled' }],
        Default: 'Workflow failed',
      });
      expect(states['Workflow cancelled']).toMatchObject({ Type: 'Fail', Error: 'WorkflowCancelled' });
    });
  });

  describe('executions that die outside the happy path, and redrive', () => {
    it('routes ABORTED, TIMED_OUT and FAILED status changes of this state machine to the janitor', () => {
      const rules = template.findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { source: ['aws.states'] } },
      });
      const [rule] = Object.values(rules);
      expect(Object.keys(rules)).toHaveLength(1);
      expect(rule?.Properties.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          // The state machine and any version or alias of it (executions start through the alias).
          stateMachineArn: [
            { Ref: stateMachineId },
            { prefix: { 'Fn::Join': ['', [{ Ref: stateMachineId }, ':']] } },
          ],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      });
      const [target] = rule?.Properties.Targets ?? [];
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [functionId(stack, 'janitor'), 'Arn'] });
      expect(target.DeadLetterConfig?.Arn).toBeDefined();
      expect(target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 185 });
    });

    it('gives the janitor async retries with a dead-letter destination, and alarms on it', () => {
      const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
      const config = configs.find(
        (c) =>
          JSON.stringify(c.Properties.FunctionName) === JSON.stringify({ Ref: functionId(stack, 'janitor') }),
      );
      expect(config?.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: expect.anything() } },
      });
      const alarms = template.findResources('AWS::CloudWatch::Alarm');
      expect(
        Object.values(alarms).some((a) => String(a.Properties.AlarmDescription).includes('janitor')),
      ).toBe(true);
    });

    it('lets the redrive function describe and redrive executions of this state machine only', () => {
      const statements = statementsOfRole(
        template,
        stack.getLogicalId(stack.functions.redrive.role?.node.defaultChild as CfnElement),
      ).filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
      expect(statements.flatMap(actionsOf).sort()).toEqual([
        'states:DescribeExecution',
        'states:RedriveExecution',
      ]);
      expect(JSON.stringify(statements.flatMap(resourcesOf))).toContain(':execution:');
    });

    it('catches domain errors only: a transient error past its retries fails the execution (redrivable)', () => {
      const states = JSON.parse(asl).States as Record<string, { Catch?: { ErrorEquals: string[] }[] }>;
      for (const name of [
        'Screen goal with guardian',
        'Plan the steps',
        'Run ready steps',
        'Summarize results',
      ]) {
        const caught = (states[name]?.Catch ?? []).flatMap((c) => c.ErrorEquals);
        expect(caught).toContain('WorkflowError');
        expect(caught).not.toContain('States.ALL');
        expect(caught).not.toContain('TransientError');
      }
    });
  });
});
