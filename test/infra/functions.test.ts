import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { type FunctionName, type FunctionSpec, functionSpecs, tableSpecs } from '../../lib/specs.ts';
import { functionId, synth } from './synth.ts';

const names = Object.keys(functionSpecs) as FunctionName[];
const spec = (name: FunctionName): FunctionSpec => functionSpecs[name];

describe('functions', () => {
  const synthesized = synth();
  const { template, stack } = synthesized;
  const resources = template.toJSON().Resources;

  it('builds one function per entry of functionSpecs', () => {
    template.resourceCountIs('AWS::Lambda::Function', names.length);
  });

  it.each(names)('%s runs Node.js 24 on ARM64 with active X-Ray tracing', (name) => {
    const fn = resources[functionId(stack, name)];
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Timeout: spec(name).timeoutSeconds,
      MemorySize: spec(name).memoryMiB,
      Description: spec(name).description,
    });
  });

  it.each(names)('%s logs to its own log group with a retention', (name) => {
    const logGroupId: string = resources[functionId(stack, name)].Properties.LoggingConfig.LogGroup.Ref;
    expect(resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
    const others = names.filter((other) => other !== name);
    for (const other of others) {
      expect(resources[functionId(stack, other)].Properties.LoggingConfig.LogGroup.Ref).not.toBe(logGroupId);
    }
  });

  it.each(names)('%s has source maps and Powertools settings', (name) => {
    expect(resources[functionId(stack, name)].Properties.Environment.Variables).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME: 'omnilink-orchestrator',
      POWERTOOLS_METRICS_NAMESPACE: 'Omnilink',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      LLM_PROVIDER: 'bedrock',
      RATE_LIMIT_PER_MINUTE: '120',
      RATE_LIMIT_BURST: '30',
    });
  });

  it.each(names)('%s receives the names of exactly the tables it uses', (name) => {
    const variables = resources[functionId(stack, name)].Properties.Environment.Variables;
    for (const [tableName, tableSpec] of Object.entries(tableSpecs)) {
      const table = stack.tables.byName[tableName as keyof typeof tableSpecs];
      if (tableName in spec(name).tables) {
        expect(variables[tableSpec.envVar]).toEqual({ Ref: stack.resolve(table.tableName).Ref });
      } else {
        expect(variables[tableSpec.envVar]).toBeUndefined();
      }
    }
  });

  it.each(names)('%s gets STATE_MACHINE_ARN only when it calls Step Functions', (name) => {
    const variables = resources[functionId(stack, name)].Properties.Environment.Variables;
    const stateMachineRef = stack.resolve(stack.workflow.stateMachine.stateMachineArn);
    if ((spec(name).stepFunctions ?? []).length > 0)
      expect(variables.STATE_MACHINE_ARN).toEqual(stateMachineRef);
    else expect(variables.STATE_MACHINE_ARN).toBeUndefined();
  });

  it('gives every function its own role without AWS managed policies', () => {
    const roleIds = names.map((name) => resources[functionId(stack, name)].Properties.Role['Fn::GetAtt'][0]);
    expect(new Set(roleIds).size).toBe(names.length);
    for (const roleId of roleIds) {
      expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets functions write only to their own log group', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProducerFunctionLogGroup'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('takes rate limits, LLM provider, log level and retention from the context', () => {
    const custom = synth({
      rateLimitPerMinute: '60',
      rateLimitBurst: 5,
      llmProvider: 'offline',
      logLevel: 'DEBUG',
      logRetentionDays: '7',
    });
    const producer = custom.template.toJSON().Resources[functionId(custom.stack, 'producer')];
    expect(producer.Properties.Environment.Variables).toMatchObject({
      RATE_LIMIT_PER_MINUTE: '60',
      RATE_LIMIT_BURST: '5',
      LLM_PROVIDER: 'offline',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    custom.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('rejects context values that are not valid settings', () => {
    expect(() => synth({ rateLimitPerMinute: 'lots' })).toThrow(
      /rateLimitPerMinute must be a positive integer/,
    );
    expect(() => synth({ llmProvider: 'gpt' })).toThrow(/llmProvider must be one of/);
    expect(() => synth({ logRetentionDays: 8 })).toThrow(
      /logRetentionDays must be a CloudWatch Logs retention/,
    );
  });
});
