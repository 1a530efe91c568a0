import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type IEventSourceDlq,
  type IFunction,
  type StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { StreamMappingSpec } from '../specs.ts';

/**
 * A consumer of the event log's stream, as both of them read it: the stream permissions it needs and
 * no more (CDK's grantStreamRead adds ListStreams on "*"), one batch per shard at a time so that each
 * workflow's records stay in order (a workflow is one key), a poison record bisected out and reported
 * per item, and appends only (TTL expiry is a REMOVE, and log events are never modified). The mapping
 * depends on the role's policy: Lambda validates the stream permissions when the mapping is created.
 */
export function logStreamMapping(
  scope: Construct,
  props: {
    readonly table: ITable;
    readonly target: IFunction;
    readonly mapping: StreamMappingSpec;
    readonly startingPosition: StartingPosition;
    readonly maxRecordAge: Duration;
    readonly onFailure?: IEventSourceDlq;
  },
): EventSourceMapping {
  const streamArn = props.table.tableStreamArn;
  if (streamArn === undefined) throw new Error('the event log table has no stream');
  props.table.grantStream(
    props.target,
    'dynamodb:DescribeStream',
    'dynamodb:GetRecords',
    'dynamodb:GetShardIterator',
    'dynamodb:ListStreams',
  );
  const mapping = new EventSourceMapping(scope, 'EventLogStream', {
    target: props.target,
    eventSourceArn: streamArn,
    startingPosition: props.startingPosition,
    batchSize: props.mapping.batchSize,
    maxBatchingWindow: Duration.seconds(props.mapping.maxBatchingWindowSeconds),
    parallelizationFactor: 1,
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    retryAttempts: props.mapping.retryAttempts,
    maxRecordAge: props.maxRecordAge,
    ...(props.onFailure ? { onFailure: props.onFailure } : {}),
    filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
  });
  if (props.target.role) mapping.node.addDependency(props.target.role);
  return mapping;
}
