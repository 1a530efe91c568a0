import { CfnOutput, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import {
  type EventSourceMapping,
  type Function as LambdaFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StreamMappingSpec } from '../specs.ts';
import { deadLetterAlarm, deadLetterQueue } from './dead-letters.ts';
import { logStreamMapping } from './log-stream.ts';

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
    this.source = props.source ?? DEFAULT_EVENT_SOURCE;
    if (this.source.startsWith('aws.')) throw new Error(`event source "${this.source}" is reserved for AWS`);
    props.publisher.addEnvironment('EVENT_SOURCE', this.source);

    this.deadLetterQueue = deadLetterQueue(this, 'PublisherDeadLetterQueue', {
      removalPolicy: props.removalPolicy,
      destinationOf:
        'the on-failure destination of the event-log stream mapping, which AWS Lambda writes to directly (not through a RedrivePolicy)',
    });
    this.mapping = logStreamMapping(this, {
      table: props.table,
      target: props.publisher,
      mapping: props.mapping,
      // Nothing in the 24-hour stream is skipped when the mapping is created or re-created.
      startingPosition: StartingPosition.TRIM_HORIZON,
      maxRecordAge: props.maxRecordAge ?? Duration.hours(24),
      onFailure: new SqsDlq(this.deadLetterQueue),
    });

    deadLetterAlarm(
      this,
      'PublisherDeadLetterAlarm',
      this.deadLetterQueue,
      'Events of the log could not be published to the bus: the dead-letter queue holds the failed ' +
        'batches (shard, sequence numbers); republish them from the log.',
    );

    // The example subscriber. Its dead-letter queue takes both messages it fails to process and
    // events EventBridge fails to deliver.
    const outcomesDeadLetterQueue = deadLetterQueue(this, 'OutcomesDeadLetterQueue', {
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
