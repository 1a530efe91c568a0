import { CfnOutput, Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import {
  EventSourceMapping,
  FilterCriteria,
  FilterRule,
  type Function as LambdaFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamMappingSpec } from '../specs.ts';

/** `Source` of the lifecycle events unless told otherwise (lambdas/domain/bus-events.ts has the same). */
export const DEFAULT_EVENT_SOURCE = 'omnilink.orchestrator';

/** Detail-types the example subscription receives. */
export const OUTCOME_DETAIL_TYPES = ['WorkflowCompleted', 'WorkflowFailed'] as const;

/** Props of {@link EventPublishing}. */
export interface EventPublishingProps {
  /** The publisher function (lambdas/handlers/streams/publish-events.ts); it already may PutEvents to `bus`. */
  readonly publisher: LambdaFunction;
  /** The event log table; it must have a stream with new images. */
  readonly table: ITable;
  /** The bus the events go to (and the example rule listens on). */
  readonly bus: IEventBus;
  /**
   * `Source` of the published events (`EVENT_SOURCE` of the publisher).
   * @default 'omnilink.orchestrator'
   */
  readonly source?: string;
  /**
   * The publisher's mapping: records per invocation, how long Lambda gathers them (latency vs. fewer,
   * fuller PutEvents calls) and retries of a failing batch before the dead-letter queue (its spec's
   * `streamMapping` in lib/specs.ts, which the local runtime also reads).
   */
  readonly mapping: StreamMappingSpec;
  /**
   * Records older than this go to the dead-letter queue instead of being retried.
   * @default Duration.hours(24) (the stream's own retention)
   */
  readonly maxRecordAge?: Duration;
  /** What happens to the queues (and the messages in them) when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Every event appended to the log reaches the bus, at least once: the log table's stream (new
 * images) → an event-source mapping (batches of 100, INSERTs only, bisect on error, partial batch
 * responses, bounded retries and record age, an encrypted SQS on-failure destination with an alarm)
 * → the publisher function → PutEvents. Plus an example subscription: WorkflowCompleted and
 * WorkflowFailed into an encrypted SQS queue, the way another system would subscribe.
 */
export class EventPublishing extends Construct {
  readonly source: string;
  readonly mapping: EventSourceMapping;
  /** Descriptions of stream batches that could not be published (Lambda's on-failure records). */
  readonly deadLetterQueue: Queue;
  /** The example subscriber's queue: workflow outcomes. */
  readonly outcomesQueue: Queue;
  readonly outcomesRule: Rule;

  constructor(scope: Construct, id: string, props: EventPublishingProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (streamArn === undefined) throw new Error('EventPublishing: the event log table has no stream');
    this.source = props.source ?? DEFAULT_EVENT_SOURCE;
    if (this.source.startsWith('aws.')) throw new Error(`event source "${this.source}" is reserved for AWS`);
    props.publisher.addEnvironment('EVENT_SOURCE', this.source);

    this.deadLetterQueue = new Queue(this, 'PublisherDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter destination: the on-failure destination of the event-log ' +
        'stream mapping, which AWS Lambda writes to directly (not through a RedrivePolicy).',
    });

    // Only what the mapping reads, on this stream only (CDK's grantStreamRead adds ListStreams on "*").
    props.table.grantStream(
      props.publisher,
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    );
    this.mapping = new EventSourceMapping(this, 'EventLogStream', {
      target: props.publisher,
      eventSourceArn: streamArn,
      // Nothing in the 24-hour stream is skipped when the mapping is created or re-created.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: props.mapping.batchSize,
      maxBatchingWindow: Duration.seconds(props.mapping.maxBatchingWindowSeconds),
      // One batch per shard at a time keeps each workflow's records in order (a workflow is one key).
      parallelizationFactor: 1,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: props.mapping.retryAttempts,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(24),
      onFailure: new SqsDlq(this.deadLetterQueue),
      // Appends only: TTL expiry (REMOVE) is not a lifecycle event, and log events are never modified.
      filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT') })],
    });
    // Lambda validates the stream permissions when the mapping is created: the role's policy comes first.
    if (props.publisher.role) this.mapping.node.addDependency(props.publisher.role);

    new Alarm(this, 'PublisherDeadLetterAlarm', {
      alarmDescription:
        'Events of the log could not be published to the bus: the dead-letter queue holds the failed ' +
        'batches (shard, sequence numbers); republish them from the log.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    // The example subscriber. Its dead-letter queue takes both messages it fails to process and
    // events EventBridge fails to deliver.
    const outcomesDeadLetterQueue = new Queue(this, 'OutcomesDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    this.outcomesQueue = new Queue(this, 'OutcomesQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: outcomesDeadLetterQueue, maxReceiveCount: 5 },
      removalPolicy: props.removalPolicy,
    });
    this.outcomesRule = new Rule(this, 'OutcomesRule', {
      eventBus: props.bus,
      description: `Example subscription: ${OUTCOME_DETAIL_TYPES.join(' and ')} events into an SQS queue.`,
      eventPattern: { source: [this.source], detailType: [...OUTCOME_DETAIL_TYPES] },
      targets: [
        new SqsQueue(this.outcomesQueue, {
          deadLetterQueue: outcomesDeadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    new CfnOutput(this, 'PublisherDeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Stream batches the publisher could not put on the bus',
    });
    new CfnOutput(this, 'OutcomesQueueUrl', {
      value: this.outcomesQueue.queueUrl,
      description: 'Example subscription: WorkflowCompleted and WorkflowFailed events',
    });
  }
}
