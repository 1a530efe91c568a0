import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionSpecs, type TableName, tableSpecs } from '../../lib/specs.ts';
import { actionsOf, functionId, onlyResourceId, resourcesOf, statementsOfFunction, synth } from './synth.ts';

const STREAM_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];

describe('event publishing', () => {
  const synthesized = synth();
  const { template, stack } = synthesized;
  const resources = template.toJSON().Resources;
  const tableId = (name: TableName): string => stack.resolve(stack.tables.byName[name].tableName).Ref;
  const eventLogId = tableId('eventLog');
  const publisherId = functionId(stack, 'publisher');
  const busId = onlyResourceId(template, 'AWS::Events::EventBus');
  const dlqId = stack.getLogicalId(stack.eventPublishing.deadLetterQueue.node.defaultChild as never);
  const outcomesQueueId = stack.getLogicalId(stack.eventPublishing.outcomesQueue.node.defaultChild as never);

  it('enables a NEW_IMAGE stream on the event log table, and on no other table', () => {
    expect(resources[eventLogId].Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    for (const name of Object.keys(tableSpecs) as TableName[]) {
      if (name !== 'eventLog')
        expect(resources[tableId(name)].Properties.StreamSpecification).toBeUndefined();
    }
  });

  it('invokes the publisher from the stream: batches of 100, INSERTs only, bisect, partial batch responses', () => {
    // Two consumers of the log's stream: this publisher and the push channel's (push-channel.test.ts).
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: publisherId },
      EventSourceArn: { 'Fn::GetAtt': [eventLogId, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86400,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  it('creates the mapping only after the publisher may read the stream', () => {
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find(
      (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: publisherId }),
    );
    const dependsOn: string[] = mapping?.DependsOn ?? [];
    expect(dependsOn.some((id) => id.startsWith('PublisherFunctionRoleDefaultPolicy'))).toBe(true);
  });

  it('sends failed batches to an encrypted, TLS-only dead-letter queue with an alarm', () => {
    expect(resources[dlqId].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('lets the publisher read this stream only, put events on this bus only, and use no table', () => {
    const statements = statementsOfFunction(synthesized, 'publisher');
    const stream = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(stream.flatMap(actionsOf).sort()).toEqual(STREAM_ACTIONS);
    expect(stream.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [eventLogId, 'StreamArn'] }]);
    const put = statements.filter((s) => actionsOf(s).includes('events:PutEvents'));
    expect(put.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [busId, 'Arn'] }]);
    const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(sqs.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [dlqId, 'Arn'] }]);
    expect(functionSpecs.publisher.tables).toEqual({});
    expect(resources[publisherId].Properties.Environment.Variables).not.toHaveProperty('EVENT_LOG_TABLE');
  });

  it('gives no function but the two stream consumers access to the stream', () => {
    const streamArn = JSON.stringify({ 'Fn::GetAtt': [eventLogId, 'StreamArn'] });
    for (const name of Object.keys(functionSpecs) as (keyof typeof functionSpecs)[]) {
      if (name === 'publisher' || name === 'pushEvents') continue;
      const resources = statementsOfFunction(synthesized, name).flatMap(resourcesOf);
      expect(resources.map((r) => JSON.stringify(r))).not.toContain(streamArn);
    }
  });

  it('configures the publisher with the bus name and the event source', () => {
    expect(resources[publisherId].Properties.Environment.Variables).toMatchObject({
      EVENT_BUS_NAME: { Ref: busId },
      EVENT_SOURCE: 'omnilink.orchestrator',
    });
  });

  it('takes the event source from the context, for the publisher and the example rule alike', () => {
    const custom = synth({ eventSource: 'acme.omnilink' });
    const fn = custom.template.toJSON().Resources[functionId(custom.stack, 'publisher')];
    expect(fn.Properties.Environment.Variables.EVENT_SOURCE).toBe('acme.omnilink');
    custom.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['acme.omnilink'] },
    });
  });

  it('refuses an event source in the aws. namespace', () => {
    expect(() => synth({ eventSource: 'aws.omnilink' })).toThrow(/reserved for AWS/);
  });

  it('shows a subscription: WorkflowCompleted and WorkflowFailed into an encrypted queue, with a DLQ', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: {
        source: ['omnilink.orchestrator'],
        'detail-type': ['WorkflowCompleted', 'WorkflowFailed'],
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [outcomesQueueId, 'Arn'] },
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
        }),
      ],
    });
    expect(resources[outcomesQueueId].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    // EventBridge may send to the queue, from this rule only.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: outcomesQueueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('outputs the dead-letter and example queues', () => {
    const outputs = Object.values(template.toJSON().Outputs) as { Value: unknown }[];
    expect(outputs).toContainEqual(expect.objectContaining({ Value: { Ref: dlqId } }));
    expect(outputs).toContainEqual(expect.objectContaining({ Value: { Ref: outcomesQueueId } }));
  });

  it('acknowledges only SQS3 on the dead-letter queue, with a reason', () => {
    const acknowledged = stack.eventPublishing.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as Record<string, string>));
    expect(acknowledged).toEqual([expect.stringMatching(/(^|::)AwsSolutions-SQS3$/)]);
  });
});
