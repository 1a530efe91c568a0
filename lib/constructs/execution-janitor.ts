import { CfnOutput, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { deadLetterAlarm, deadLetterQueue } from './dead-letters.ts';

/** Props of {@link ExecutionJanitor}. */
export interface ExecutionJanitorProps {
  /** The workflow whose executions are watched. */
  readonly stateMachine: IStateMachine;
  /** The janitor function (lambdas/handlers/jobs/janitor.ts). */
  readonly janitor: IFunction;
  /**
   * Execution statuses that invoke the janitor.
   * @default ['FAILED', 'TIMED_OUT', 'ABORTED']
   */
  readonly statuses?: readonly string[];
  /** What happens to the dead-letter queue when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Executions that die outside the happy path still get their saga: an EventBridge rule on the default
 * bus matches this state machine's "Step Functions Execution Status Change" events (source
 * `aws.states`) for ABORTED, TIMED_OUT and FAILED and invokes the janitor asynchronously. Events the
 * rule cannot deliver, and invocations that still fail after Lambda's async retries, land in one
 * dead-letter queue with an alarm: a rollback is never dropped silently.
 */
export class ExecutionJanitor extends Construct {
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;
  /** Fires when the dead-letter queue is not empty (for dashboards and notifications). */
  readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ExecutionJanitorProps) {
    super(scope, id);
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      removalPolicy: props.removalPolicy,
      destinationOf:
        'of the janitor rule (events EventBridge could not deliver) and of the janitor function (async ' +
        'invocations that failed after their retries)',
    });

    // Lambda's own async retries (two), then the failed event goes to the queue.
    props.janitor.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    this.rule = new Rule(this, 'StatusChangeRule', {
      description: 'Rolls back workflow executions that were stopped, timed out or failed outside the Catch.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          // The state machine, and any version or alias of it that an execution started through.
          stateMachineArn: [
            props.stateMachine.stateMachineArn,
            ...Match.prefix(`${props.stateMachine.stateMachineArn}:`),
          ],
          status: [...(props.statuses ?? ['FAILED', 'TIMED_OUT', 'ABORTED'])],
        },
      },
      targets: [
        new LambdaFunction(props.janitor, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 185,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    this.deadLetterAlarm = deadLetterAlarm(
      this,
      'DeadLetterAlarm',
      this.deadLetterQueue,
      'A workflow rollback could not be run by the janitor: inspect the dead-letter queue and re-drive it.',
    );
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Execution status changes the janitor could not handle',
    });
  }
}
