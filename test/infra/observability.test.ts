import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { functionSpecs } from '../../lib/specs.ts';
import { buildApp, functionId, onlyResourceId, synth } from './synth.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The dashboard body as JSON (CloudFormation joins it from strings and tokens). */
function dashboardBody(template: ReturnType<typeof synth>['template']): {
  widgets: { type: string; properties: Record<string, unknown> }[];
} {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard') as Record<string, Resource>;
  const [dashboard] = Object.values(dashboards);
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  // Tokens (function names, ARNs) become placeholders; the structure is what is asserted.
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** The dimensions of a dashboard metric line `[namespace, name, dim, value, ..., options?]`. */
function dims(line: unknown[]): Record<string, unknown> {
  const parts = line.slice(2).filter((part) => typeof part === 'string');
  const result: Record<string, unknown> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) result[String(parts[i])] = parts[i + 1];
  return result;
}

const alarmsOf = (template: ReturnType<typeof synth>['template']) =>
  Object.values(template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>);

describe('observability: dashboard', () => {
  const { template, stack } = synth();
  const body = dashboardBody(template);
  const graphs = body.widgets.filter((w) => w.type === 'metric');
  const byTitle = (title: string) => {
    const widget = graphs.find((w) => w.properties.title === title);
    if (!widget) throw new Error(`no widget "${title}"`);
    return widget.properties as { metrics: unknown[][]; stat?: string; annotations?: unknown };
  };
  const fnEnv = template.toJSON().Resources[functionId(stack, 'producer')].Properties.Environment.Variables;

  it('creates one dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('graphs every panel of issue 7', () => {
    expect(graphs.map((w) => w.properties.title)).toEqual([
      'Goals accepted / rejected',
      'Producer latency (ms)',
      'Executions by status',
      'Workflow outcomes',
      'Step failures and compensations',
      'Plan cache hit rate',
      'Model tokens by provider',
      'API requests and errors',
      'Lambda errors',
      'Lambda throttles',
    ]);
    expect(body.widgets.some((w) => w.type === 'alarm')).toBe(true);
  });

  it('reads the Powertools metrics in the namespace and service the functions publish to', () => {
    const goals = byTitle('Goals accepted / rejected').metrics;
    expect(goals[0]).toEqual([
      fnEnv.POWERTOOLS_METRICS_NAMESPACE,
      'GoalAccepted',
      'service',
      fnEnv.POWERTOOLS_SERVICE_NAME,
      expect.objectContaining({ stat: 'Sum' }),
    ]);
    const rejected = goals.slice(1);
    expect(rejected.map((m) => dims(m).reason)).toEqual([
      'validation',
      'guardian',
      'rate_limited',
      'conflict',
      'unavailable',
      'internal',
    ]);
    for (const m of rejected) {
      expect(m[0]).toBe(fnEnv.POWERTOOLS_METRICS_NAMESPACE);
      expect(m[1]).toBe('GoalRejected');
      expect(dims(m).service).toBe(fnEnv.POWERTOOLS_SERVICE_NAME);
    }
  });

  it('shows producer latency p50 and p99 with the alarm threshold', () => {
    const latency = byTitle('Producer latency (ms)');
    const stats = latency.metrics.map((m) => (m.at(-1) as { stat: string }).stat);
    expect(stats).toEqual(['p50', 'p99']);
    expect(latency.annotations).toEqual({ horizontal: [{ value: 1000, label: 'p99 alarm', yAxis: 'left' }] });
  });

  it('shows executions by status from AWS/States for the state machine', () => {
    const names = byTitle('Executions by status').metrics.map((m) => m[1]);
    expect(names).toEqual([
      'ExecutionsStarted',
      'ExecutionsSucceeded',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
    ]);
    expect(
      byTitle('Executions by status').metrics.every(
        (m) => m[0] === 'AWS/States' && m[2] === 'StateMachineArn',
      ),
    ).toBe(true);
  });

  it('computes the cache hit rate with metric math over PlanCreated by source', () => {
    const metrics = byTitle('Plan cache hit rate').metrics;
    const expression = metrics.find((m) => typeof m[0] === 'object' && m[0] !== null && 'expression' in m[0]);
    expect(expression?.[0]).toMatchObject({
      expression: '100 * FILL(cache, 0) / (FILL(cache, 0) + FILL(planner, 0))',
    });
    const sources = metrics.filter((m) => m[1] === 'PlanCreated').map((m) => dims(m).source);
    expect(sources.sort()).toEqual(['cache', 'planner']);
  });

  it('graphs model tokens in and out per provider, and step failures and compensations', () => {
    const tokens = byTitle('Model tokens by provider').metrics;
    expect(tokens.map((m) => `${m[1]}:${dims(m).provider}`)).toEqual([
      'ModelTokensIn:offline',
      'ModelTokensOut:offline',
      'ModelTokensIn:bedrock',
      'ModelTokensOut:bedrock',
      'ModelTokensIn:openai',
      'ModelTokensOut:openai',
    ]);
    expect(byTitle('Step failures and compensations').metrics.map((m) => m[1])).toEqual([
      'StepFailed',
      'StepCompensated',
      'CompensationFailed',
    ]);
  });

  it('graphs API 4xx/5xx and every function’s errors and throttles', () => {
    expect(byTitle('API requests and errors').metrics.map((m) => m[1])).toEqual(['4xx', '5xx', 'Count']);
    const count = Object.keys(functionSpecs).length;
    expect(byTitle('Lambda errors').metrics).toHaveLength(count);
    expect(byTitle('Lambda throttles').metrics).toHaveLength(count);
    expect(byTitle('Lambda errors').metrics.every((m) => m[0] === 'AWS/Lambda' && m[1] === 'Errors')).toBe(
      true,
    );
  });
});

describe('observability: alarms', () => {
  const { template, stack } = synth();
  const alarms = alarmsOf(template);

  it('alarms on producer p99 over 1 s in 2 of 3 five-minute periods', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Omnilink',
      MetricName: 'ProducerLatency',
      Dimensions: [{ Name: 'service', Value: 'omnilink-orchestrator' }],
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on failed or timed-out executions with metric math', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(failed, 0) + FILL(timedOut, 0)' }),
        Match.objectLike({
          Id: 'failed',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsFailed' }) }),
        }),
        Match.objectLike({
          Id: 'timedOut',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'ExecutionsTimedOut' }) }),
        }),
      ]),
    });
  });

  it('alarms on API 5xx and on any CompensationFailed', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Omnilink',
      MetricName: 'CompensationFailed',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on throttles of every function', () => {
    const throttles = alarms.filter((a) => a.Properties.MetricName === 'Throttles');
    expect(throttles).toHaveLength(Object.keys(functionSpecs).length);
    const producer = functionId(stack, 'producer');
    expect(throttles.some((a) => JSON.stringify(a.Properties.Dimensions).includes(producer))).toBe(true);
  });

  it('keeps the publisher dead-letter alarm single (not duplicated)', () => {
    const queueId = stack.getLogicalId(stack.eventPublishing.deadLetterQueue.node.defaultChild as never);
    const dlq = alarms.filter(
      (a) =>
        a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
        JSON.stringify(a.Properties.Dimensions).includes(queueId),
    );
    expect(dlq).toHaveLength(1);
  });

  it('shows every alarm of the stack on the dashboard, those of other constructs included', () => {
    const widget = dashboardBody(template).widgets.find((w) => w.type === 'alarm');
    expect(widget?.properties.alarms).toHaveLength(alarms.length);
  });

  it('creates no topic and no alarm actions by default', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    expect(alarms.every((a) => a.Properties.AlarmActions === undefined)).toBe(true);
  });
});

describe('observability: notifications', () => {
  const { template } = synth({ alarmEmail: 'ops@example.com' });
  const topicId = onlyResourceId(template, 'AWS::SNS::Topic');
  const keyId = onlyResourceId(template, 'AWS::KMS::Key');

  it('creates a topic encrypted with a rotating customer-managed key that CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('refuses plain-HTTP publishing on the topic', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('subscribes the e-mail address', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
  });

  it('notifies the topic from every alarm, the publisher dead-letter alarm included', () => {
    const alarms = alarmsOf(template);
    expect(alarms.length).toBeGreaterThan(5);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('stays cdk-nag clean with the topic', () => {
    const { app } = buildApp({ alarmTopic: 'true' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });
});
