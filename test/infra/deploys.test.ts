import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { OmnilinkStack } from '../../lib/omnilink-stack.ts';
import {
  functionId,
  onlyResourceId,
  type Statement,
  statementsOfFunction,
  statementsOfRole,
  synth,
} from './synth.ts';

/*
 * A Standard execution can wait days for an approval. A deploy in that time must not change the code
 * under it: every deploy publishes a state machine version whose definition names qualified Lambda
 * versions, new executions start through an alias, and old versions (of both) are kept for the
 * executions still running on them. Expectations are written out literally, not derived from the stack.
 */

const TASKS = {
  GuardianFunctionArn: 'guardian',
  PlannerFunctionArn: 'planner',
  StepFunctionArn: 'step',
  RequestApprovalFunctionArn: 'requestApproval',
  FinalizeFunctionArn: 'finalize',
  CompensateFunctionArn: 'compensate',
} as const;

describe('deploys under running workflows', () => {
  const synthesized = synth();
  const { template, stack } = synthesized;
  const resources = template.toJSON().Resources as Record<
    string,
    {
      Type: string;
      Properties: Record<string, unknown>;
      UpdateReplacePolicy?: string;
      DeletionPolicy?: string;
    }
  >;
  const resource = (id: string) => {
    const found = resources[id];
    if (found === undefined) throw new Error(`no resource ${id}`);
    return found;
  };
  const stateMachineId = onlyResourceId(template, 'AWS::StepFunctions::StateMachine');
  const stateMachine = resource(stateMachineId);
  const lambdaVersionOf = (fnId: string): string => {
    const ids = Object.entries(resources)
      .filter(
        ([, r]) =>
          r.Type === 'AWS::Lambda::Version' &&
          JSON.stringify(r.Properties.FunctionName) === JSON.stringify({ Ref: fnId }),
      )
      .map(([id]) => id);
    expect(ids, `one Lambda version of ${fnId}`).toHaveLength(1);
    return ids[0] as string;
  };
  const statesStatements = (name: Parameters<typeof functionId>[1]): Statement[] =>
    statementsOfFunction(synthesized, name).filter((s) =>
      [s.Action].flat().some((a) => String(a).startsWith('states:')),
    );

  it('publishes a version of the state machine from its current revision, kept when a deploy replaces it', () => {
    const versionId = onlyResourceId(template, 'AWS::StepFunctions::StateMachineVersion');
    const version = resources[versionId];
    expect(version?.Properties).toMatchObject({
      StateMachineArn: { Ref: stateMachineId },
      // A new revision (any change of definition or role) replaces the resource: a new version is published.
      StateMachineRevisionId: { 'Fn::GetAtt': [stateMachineId, 'StateMachineRevisionId'] },
    });
    // The old version stays for the executions still running on it.
    expect(version?.UpdateReplacePolicy).toBe('Retain');
    expect(version?.DeletionPolicy).toBe('Retain');
  });

  it('points an alias at that version with an all-at-once deployment preference', () => {
    const versionId = onlyResourceId(template, 'AWS::StepFunctions::StateMachineVersion');
    const aliasId = onlyResourceId(template, 'AWS::StepFunctions::StateMachineAlias');
    expect(resources[aliasId]?.Properties).toMatchObject({
      Name: 'live',
      DeploymentPreference: { Type: 'ALL_AT_ONCE', StateMachineVersionArn: { Ref: versionId } },
    });
    expect(resources[aliasId]?.Properties.RoutingConfiguration).toBeUndefined();
  });

  it.each(Object.entries(TASKS))(
    'substitutes %s with a retained, qualified version of the %s function',
    (placeholder, name) => {
      const fnId = functionId(stack, name);
      const versionId = lambdaVersionOf(fnId);
      const substitutions = stateMachine.Properties.DefinitionSubstitutions as Record<string, unknown>;
      // Ref of AWS::Lambda::Version is the version-qualified ARN (…:function:name:7).
      expect(substitutions[placeholder]).toEqual({ Ref: versionId });
      expect(resources[versionId]?.UpdateReplacePolicy).toBe('Retain');
      expect(resources[versionId]?.DeletionPolicy).toBe('Retain');
    },
  );

  it('lets the state machine invoke any version of each task function (old executions run old versions), and nothing else in Lambda', () => {
    const roleId = (stateMachine.Properties.RoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const lambdaStatements = statementsOfRole(template, roleId).filter((s) =>
      [s.Action].flat().some((a) => String(a).startsWith('lambda:')),
    );
    expect(lambdaStatements.flatMap((s) => [s.Action].flat())).toEqual(['lambda:InvokeFunction']);
    const resourcesInvoked = lambdaStatements.flatMap((s) => [s.Resource].flat());
    expect(resourcesInvoked).toHaveLength(Object.keys(TASKS).length);
    expect(resourcesInvoked).toEqual(
      expect.arrayContaining(
        Object.values(TASKS).map((name) => ({
          'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId(stack, name), 'Arn'] }, ':*']],
        })),
      ),
    );
  });

  it('gives the producer the alias as STATE_MACHINE_ARN and StartExecution on the alias only', () => {
    const aliasId = onlyResourceId(template, 'AWS::StepFunctions::StateMachineAlias');
    const producer = resource(functionId(stack, 'producer'));
    const variables = (producer.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.STATE_MACHINE_ARN).toEqual({ Ref: aliasId });
    const starts = statesStatements('producer').filter((s) =>
      [s.Action].flat().includes('states:StartExecution'),
    );
    expect(starts.flatMap((s) => [s.Action].flat())).toEqual(['states:StartExecution']);
    expect(starts.flatMap((s) => [s.Resource].flat())).toEqual([{ Ref: aliasId }]);
    // Its only other Step Functions action settles an ambiguous start: DescribeExecution, on executions.
    const others = statesStatements('producer').filter((s) => !starts.includes(s));
    expect(others.flatMap((s) => [s.Action].flat())).toEqual(['states:DescribeExecution']);
    expect(JSON.stringify(others.flatMap((s) => [s.Resource].flat()))).toContain(':execution:');
  });

  it.each(['signal', 'cancel'] as const)(
    'scopes the task-token answers of %s to this state machine and its versions/aliases, not "*"',
    (name) => {
      const tokens = statesStatements(name).filter((s) =>
        [s.Action].flat().some((a) => a === 'states:SendTaskSuccess' || a === 'states:SendTaskFailure'),
      );
      expect(tokens.length).toBeGreaterThan(0);
      for (const statement of tokens) {
        expect([statement.Resource].flat()).toEqual([
          { Ref: stateMachineId },
          { 'Fn::Join': ['', [{ Ref: stateMachineId }, ':*']] },
        ]);
      }
    },
  );

  it('routes status changes of executions of any version or alias of the state machine to the janitor', () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.states'] } },
    });
    const [rule] = Object.values(rules);
    expect(rule?.Properties.EventPattern.detail.stateMachineArn).toEqual([
      { Ref: stateMachineId },
      { prefix: { 'Fn::Join': ['', [{ Ref: stateMachineId }, ':']] } },
    ]);
  });

  it('outputs the alias ARN next to the state machine ARN', () => {
    const aliasId = onlyResourceId(template, 'AWS::StepFunctions::StateMachineAlias');
    template.hasOutput('StateMachineAliasArn', { Value: { Ref: aliasId } });
    template.hasOutput('StateMachineArn', { Value: { Ref: stateMachineId } });
  });

  it('shifts the alias as a canary when the stack asks for one', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const canary = new OmnilinkStack(app, 'Canary', {
      workflowDeployment: { type: 'CANARY', percentage: 10, interval: 15 },
    });
    const aliases = Template.fromStack(canary).findResources('AWS::StepFunctions::StateMachineAlias');
    expect(Object.values(aliases)[0]?.Properties.DeploymentPreference).toMatchObject({
      Type: 'CANARY',
      Percentage: 10,
      Interval: 15,
    });
  });
});
