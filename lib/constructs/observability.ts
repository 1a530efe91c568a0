import { CfnOutput, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { modelProviders } from '../../lambdas/domain/llm/provider.ts';
import { rejectionReasons } from '../../lambdas/domain/metrics.ts';
import { planSources } from '../../lambdas/domain/schemas.ts';

/** Props of {@link Observability}. */
export interface ObservabilityProps {
  /** Namespace of the functions' Powertools metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
  readonly namespace: string;
  /** Their `service` dimension (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  readonly stateMachine: IStateMachine;
  readonly httpApi: IHttpApi;
  /** Every function of the stack, by name: errors and throttles are graphed, throttles alarmed. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /**
   * Alarms made elsewhere (e.g. the publisher's dead-letter alarm) that should notify the topic too.
   * @default - none
   */
  readonly otherAlarms?: readonly Alarm[];
  /**
   * Create an SNS topic (KMS-encrypted, TLS only) that every alarm notifies.
   * @default false (true when `alarmEmail` is set)
   */
  readonly alarmTopic?: boolean;
  /**
   * An e-mail address subscribed to the alarm topic (AWS asks it to confirm).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Producer p99 latency (ms) above which the latency alarm fires.
   * @default 1000
   */
  readonly producerLatencyP99Ms?: number;
  /**
   * Failed + timed-out executions per period at which the executions alarm fires. Executions also
   * fail for user errors (an unknown city fails a booking, and the saga ends in Fail): raise it if
   * those are common.
   * @default 1
   */
  readonly failedExecutionsThreshold?: number;
  /**
   * API 5xx answers per period at which the API alarm fires.
   * @default 1
   */
  readonly apiServerErrorsThreshold?: number;
  /**
   * Period of the alarms and graphs.
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * What happens to the topic's key when it leaves the stack.
   * @default - CDK's default for keys (retain)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Operations: one CloudWatch dashboard (goals, producer latency, executions by status, workflow
 * outcomes, step failures and compensations, plan-cache hit rate, model tokens, API 4xx/5xx, Lambda
 * errors and throttles, alarm status) and the alarms (producer p99, failed or timed-out executions,
 * API 5xx, Lambda throttles, compensation failures), optionally notifying an encrypted SNS topic.
 *
 * The business metrics come from Powertools (EMF) in the producer and the event publisher
 * (lambdas/domain/metrics.ts). The publisher runs at least once per record, so a retried batch may
 * count a few events twice: the graphs are operational signals, the event log the exact record.
 */
export class Observability extends Construct {
  readonly dashboard: Dashboard;
  /** Every alarm created here, by a stable id. */
  readonly alarms: Readonly<Record<string, Alarm>>;
  readonly topic?: Topic;

  readonly #props: ObservabilityProps;
  readonly #period: Duration;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.#props = props;
    this.#period = props.period ?? Duration.minutes(5);
    const period = this.#period;
    const sum = (name: string, label: string, dimensions: Record<string, string> = {}) =>
      this.#metric(name, 'Sum', label, dimensions);

    // --- Metrics ---------------------------------------------------------------------------------
    const accepted = sum('GoalAccepted', 'accepted');
    const rejectedByReason = rejectionReasons.map((reason) =>
      sum('GoalRejected', `rejected: ${reason}`, { reason }),
    );
    const latencyP50 = this.#metric('ProducerLatency', 'p50', 'p50');
    const latencyP99 = this.#metric('ProducerLatency', 'p99', 'p99');
    const sm = props.stateMachine;
    const executions = {
      started: sm.metricStarted({ period, label: 'started' }),
      succeeded: sm.metricSucceeded({ period, label: 'succeeded' }),
      failed: sm.metricFailed({ period, label: 'failed' }),
      timedOut: sm.metricTimedOut({ period, label: 'timed out' }),
      aborted: sm.metricAborted({ period, label: 'aborted' }),
    };
    const outcomes = ['WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled', 'WorkflowRejected'].map(
      (name) => sum(name, name.replace('Workflow', '').toLowerCase()),
    );
    const stepFailed = sum('StepFailed', 'step failed');
    const stepCompensated = sum('StepCompensated', 'step compensated');
    const compensationFailed = sum('CompensationFailed', 'compensation failed');
    const plans = Object.fromEntries(
      planSources.map((source) => [source, sum('PlanCreated', `plans: ${source}`, { source })]),
    );
    const cacheHitRate = new MathExpression({
      expression: '100 * FILL(cache, 0) / (FILL(cache, 0) + FILL(planner, 0))',
      usingMetrics: { cache: plans.cache as IMetric, planner: plans.planner as IMetric },
      label: 'cache hit rate (%)',
      period,
    });
    const tokens = modelProviders.flatMap((provider) => [
      sum('ModelTokensIn', `${provider} in`, { provider }),
      sum('ModelTokensOut', `${provider} out`, { provider }),
    ]);
    const api = props.httpApi;
    const api4xx = api.metricClientError({ period, statistic: 'Sum', label: '4xx' });
    const api5xx = api.metricServerError({ period, statistic: 'Sum', label: '5xx' });
    const apiCount = api.metricCount({ period, statistic: 'Sum', label: 'requests' });
    const functions = Object.entries(props.functions);
    const lambdaErrors = functions.map(([name, fn]) => fn.metricErrors({ period, label: name }));
    const lambdaThrottles = functions.map(([name, fn]) => fn.metricThrottles({ period, label: name }));

    // --- Alarms ----------------------------------------------------------------------------------
    const alarms: Record<string, Alarm> = {};
    const latencyThreshold = props.producerLatencyP99Ms ?? 1000;
    // Alarms use unlabelled metrics: CDK renders a labelled one as a metric-math query.
    alarms.ProducerLatencyP99 = new Alarm(this, 'ProducerLatencyP99Alarm', {
      alarmDescription: `Producer p99 latency above ${latencyThreshold} ms in 2 of 3 periods: POST /omnilink-agent is slow (DynamoDB or StartExecution throttling? cold starts?).`,
      metric: this.#metric('ProducerLatency', 'p99'),
      threshold: latencyThreshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarms.ExecutionsFailed = new Alarm(this, 'ExecutionsFailedAlarm', {
      alarmDescription:
        'Workflow executions failed or timed out: open the state machine in the Step Functions console, and the workflow events (GET /workflows/{id}/events); a failed one can be redriven.',
      metric: new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: { failed: executions.failed, timedOut: executions.timedOut },
        label: 'failed + timed out executions',
        period,
      }),
      threshold: props.failedExecutionsThreshold ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarms.ApiServerErrors = new Alarm(this, 'ApiServerErrorsAlarm', {
      alarmDescription: 'The HTTP API answered 5xx: see the access logs and the functions’ logs.',
      metric: api.metricServerError({ period, statistic: 'Sum' }),
      threshold: props.apiServerErrorsThreshold ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarms.CompensationFailed = new Alarm(this, 'CompensationFailedAlarm', {
      alarmDescription:
        'A saga could not undo a completed step (CompensationFailed): a booking may still stand. Check the workflow events and undo it by hand.',
      metric: this.#metric('CompensationFailed', 'Sum'),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // One alarm per function: an alarm's metric math may use at most 10 metrics.
    for (const [name, fn] of functions) {
      alarms[`${name}Throttles`] = new Alarm(this, `${pascalCase(name)}ThrottlesAlarm`, {
        alarmDescription: `The ${name} function was throttled (account or reserved concurrency exhausted).`,
        metric: fn.metricThrottles({ period, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    this.alarms = alarms;

    // --- Notifications -----------------------------------------------------------------------------
    if (props.alarmTopic === true || props.alarmEmail !== undefined) {
      // A customer-managed key: CloudWatch cannot publish to a topic under the AWS-managed SNS key.
      const key = new Key(this, 'AlarmTopicKey', {
        description: 'Encrypts the Omnilink alarm topic',
        enableKeyRotation: true,
        ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
      });
      key.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
      const topic = new Topic(this, 'AlarmTopic', {
        displayName: 'Omnilink alarms',
        masterKey: key,
        enforceSSL: true,
      });
      if (props.alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(props.alarmEmail));
      const action = new SnsAction(topic);
      for (const alarm of [...Object.values(alarms), ...(props.otherAlarms ?? [])]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      this.topic = topic;
      new CfnOutput(this, 'AlarmTopicArn', { value: topic.topicArn, description: 'SNS topic of the alarms' });
    }

    // --- Dashboard -------------------------------------------------------------------------------
    const graph = (
      title: string,
      left: IMetric[],
      extra: Partial<ConstructorParameters<typeof GraphWidget>[0]> = {},
    ) => new GraphWidget({ title, left, width: 8, height: 6, period, ...extra });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new TextWidget({
            markdown:
              '# Omnilink agent orchestrator\n' +
              'Goals through the skinny producer, workflow executions, and what the event log says happened ' +
              '(counts from the event publisher: at least once, so a retried batch may count twice).',
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Goals accepted / rejected', [accepted, ...rejectedByReason], { stacked: true }),
          graph('Producer latency (ms)', [latencyP50, latencyP99], {
            leftAnnotations: [{ value: latencyThreshold, label: 'p99 alarm' }],
          }),
          graph('Executions by status', Object.values(executions)),
        ],
        [
          graph('Workflow outcomes', outcomes, { stacked: true }),
          graph('Step failures and compensations', [stepFailed, stepCompensated, compensationFailed]),
          graph('Plan cache hit rate', [cacheHitRate], {
            right: Object.values(plans),
            leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
          }),
        ],
        [
          graph('Model tokens by provider', tokens, { stacked: true }),
          graph('API requests and errors', [api4xx, api5xx], { right: [apiCount] }),
          graph('Lambda errors', lambdaErrors, { stacked: true }),
        ],
        [
          graph('Lambda throttles', lambdaThrottles, { stacked: true }),
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms: [...Object.values(alarms), ...(props.otherAlarms ?? [])],
            width: 16,
            height: 6,
          }),
        ],
      ],
    });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
  }

  #metric(name: string, statistic: string, label?: string, dimensions: Record<string, string> = {}): Metric {
    return new Metric({
      namespace: this.#props.namespace,
      metricName: name,
      dimensionsMap: { service: this.#props.serviceName, ...dimensions },
      statistic,
      ...(label !== undefined ? { label } : {}),
      period: this.#period,
    });
  }
}

const pascalCase = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
