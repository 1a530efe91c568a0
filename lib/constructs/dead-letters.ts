import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue as every one of this stack is: SQS-managed encryption, TLS only, 14 days to
 * look at what landed there. `destinationOf` says whose failures it takes when something writes to it
 * directly (a stream mapping's on-failure destination, a rule's or an async invocation's dead-letter
 * target): such a queue has no dead-letter queue of its own, which cdk-nag's SQS3 is told why.
 */
export function deadLetterQueue(
  scope: Construct,
  id: string,
  props: { readonly removalPolicy?: RemovalPolicy; readonly destinationOf?: string },
): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: props.removalPolicy,
  });
  if (props.destinationOf) {
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter destination: ${props.destinationOf}.`,
    });
  }
  return queue;
}

/** Fires as soon as a dead-letter queue holds a message (5-minute periods; no data is not a breach). */
export function deadLetterAlarm(scope: Construct, id: string, queue: Queue, description: string): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: description,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
