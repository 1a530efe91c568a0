import { describe, expect, it } from 'vitest';
import { type FunctionName, type FunctionSpec, functionSpecs, type TableName } from '../../lib/specs.ts';
import { actionsOf, resourcesOf, type Statement, statementsOfFunction, synth } from '../infra/synth.ts';

/*
 * Least privilege, as an exact allow-list per function derived from lib/specs.ts (so a new function
 * or a new table access changes the expectation by itself): every (action, resource) pair a
 * function's role holds must be expected, and every expected pair must be there. Resources are
 * classified (table X, stream of X, own log group, the state machine, its executions, the bus, a
 * dead-letter queue, the model) so the comparison reads like the policy.
 *
 * The table grants are the calls lambdas/io makes (lib/omnilink-stack.ts tableActions), not CDK's
 * grant*Data: no Scan, no BatchWriteItem, and DeleteItem only where a spec lists the table in
 * `deletesFrom` (pinned below as `requiredDeletes`).
 */

/** What `read` grants (lib/omnilink-stack.ts tableActions): the calls lambdas/io makes, no Scan. */
const READ = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
/** What `write` adds: no BatchWriteItem, and DeleteItem only through `deletesFrom`. */
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem'];
const STREAM = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];
const DLQ = ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];
/** Functions that call the model (lib/omnilink-stack.ts `modelFunctions`), with the default provider bedrock. */
const MODEL_FUNCTIONS: readonly string[] = ['guardian', 'planner', 'step'];
/** Step Functions actions on the state machine itself, and those with no resource type. */
const ON_STATE_MACHINE = ['states:StartExecution'];
const ON_TASK_TOKENS = ['states:SendTaskSuccess', 'states:SendTaskFailure'];

/**
 * DeleteItem the code actually issues (lambdas/io: workflow-store deleteWorkflowRecord — the producer
 * removes the record of an execution that never started; cache-store — the planner evicts templates).
 */
const requiredDeletes = ['producer → state', 'planner → cache'];

const names = Object.keys(functionSpecs) as FunctionName[];
const synthesized = synth();
const { stack, template } = synthesized;
const resolved = (value: unknown) => JSON.stringify(stack.resolve(value));
const tableIds = Object.fromEntries(
  (Object.keys(stack.tables.byName) as TableName[]).map((t) => [
    JSON.stringify(
      (stack.resolve(stack.tables.byName[t].tableArn) as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0],
    ),
    t,
  ]),
);
const queueIds = new Set(Object.keys(template.findResources('AWS::SQS::Queue')));

/** A readable name for a policy resource. */
function classify(resource: unknown, name: FunctionName): string {
  if (resource === '*') return '*';
  const json = JSON.stringify(resource);
  const getAtt = (resource as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (getAtt) {
    const table = tableIds[JSON.stringify(getAtt[0])];
    if (table && getAtt[1] === 'Arn') return `table:${table}`;
    if (table && getAtt[1] === 'StreamArn') return `stream:${table}`;
    if (queueIds.has(getAtt[0])) return 'dead-letter-queue';
    if (json === resolved(stack.functions[name].logGroup.logGroupArn)) return 'own-log-group';
    if (json === resolved(stack.eventBus.bus.eventBusArn)) return 'event-bus';
  }
  if (json === resolved(stack.workflow.stateMachine.stateMachineArn)) return 'state-machine';
  if (json.includes(':execution:') && json.endsWith(':*"]]}')) return 'workflow-executions';
  if (json.includes(':bedrock:')) return 'model';
  return `UNKNOWN ${json}`;
}

const pairsOf = (statements: readonly Statement[], name: FunctionName): string[] =>
  statements.flatMap((s) =>
    s.Effect !== 'Allow'
      ? [`DENY ${JSON.stringify(s)}`]
      : actionsOf(s).flatMap((a) => resourcesOf(s).map((r) => `${a} @ ${classify(r, name)}`)),
  );

/** The allow-list of a function, from its spec. */
function expectedPairs(name: FunctionName): string[] {
  const spec: FunctionSpec = functionSpecs[name];
  const pairs = [
    'xray:PutTraceSegments @ *',
    'xray:PutTelemetryRecords @ *',
    'logs:CreateLogStream @ own-log-group',
    'logs:PutLogEvents @ own-log-group',
  ];
  for (const [table, access] of Object.entries(spec.tables)) {
    const actions =
      access === 'read'
        ? READ
        : access === 'write'
          ? [...WRITE, 'dynamodb:DescribeTable']
          : [...READ, ...WRITE];
    const deletes = (spec.deletesFrom as readonly string[] | undefined)?.includes(table)
      ? ['dynamodb:DeleteItem']
      : [];
    pairs.push(...[...actions, ...deletes].map((a) => `${a} @ table:${table}`));
  }
  for (const action of spec.stepFunctions ?? []) {
    const where = ON_STATE_MACHINE.includes(action)
      ? 'state-machine'
      : ON_TASK_TOKENS.includes(action)
        ? '*'
        : 'workflow-executions';
    pairs.push(`${action} @ ${where}`);
  }
  if (spec.putsEvents) pairs.push('events:PutEvents @ event-bus');
  if (spec.streamSource) pairs.push(...STREAM.map((a) => `${a} @ stream:${spec.streamSource}`));
  if (spec.streamSource || ('executionStatusRule' in spec && spec.executionStatusRule))
    pairs.push(...DLQ.map((a) => `${a} @ dead-letter-queue`));
  if (MODEL_FUNCTIONS.includes(name)) pairs.push('bedrock:InvokeModel @ model');
  return pairs;
}

const sorted = (values: string[]) => [...new Set(values)].sort();

describe('least privilege: every function’s policy is exactly its allow-list from lib/specs.ts', () => {
  it.each(names)('%s', (name) => {
    const actual = sorted(pairsOf(statementsOfFunction(synthesized, name), name));
    expect(actual.filter((p) => p.includes('UNKNOWN') || p.startsWith('DENY'))).toEqual([]);
    expect(actual).toEqual(sorted(expectedPairs(name)));
  });

  it('grants no wildcard action (no "*", no "dynamodb:*", no "service:Prefix*")', () => {
    for (const name of names) {
      for (const statement of statementsOfFunction(synthesized, name)) {
        for (const action of actionsOf(statement)) {
          expect(action, name).not.toContain('*');
          expect(action, name).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
        }
      }
    }
  });

  it('grants "*" resources only to X-Ray and the task-token responses (which support no resource type)', () => {
    for (const name of names) {
      for (const pair of pairsOf(statementsOfFunction(synthesized, name), name).filter((p) =>
        p.endsWith(' @ *'),
      )) {
        expect(
          pair.startsWith('xray:') || ON_TASK_TOKENS.some((a) => pair.startsWith(`${a} `)),
          `${name}: ${pair}`,
        ).toBe(true);
      }
    }
  });

  it('grants no control-plane action: no table, bus, state machine, role or key management', () => {
    const forbidden =
      /^(?:dynamodb:(?:CreateTable|DeleteTable|UpdateTable|UpdateTimeToLive|RestoreTable\w*|DeleteBackup|ExportTable\w*|PartiQL\w*)|states:(?:CreateStateMachine|DeleteStateMachine|UpdateStateMachine|StopExecution)|events:(?:PutRule|DeleteRule|PutTargets|RemoveTargets|DeleteEventBus)|iam:\w+|sts:\w+|kms:\w+|lambda:\w+|logs:(?:DeleteLogGroup|PutRetentionPolicy|CreateLogGroup))$/;
    for (const name of names) {
      for (const statement of statementsOfFunction(synthesized, name)) {
        for (const action of actionsOf(statement)) expect(action, name).not.toMatch(forbidden);
      }
    }
  });

  const grantedDeletes = sorted(
    names.flatMap((name) =>
      pairsOf(statementsOfFunction(synthesized, name), name)
        .filter((p) => p.startsWith('dynamodb:DeleteItem @ table:'))
        .map((p) => `${name} → ${p.slice('dynamodb:DeleteItem @ table:'.length)}`),
    ),
  );

  it('grants DeleteItem where the code needs it', () => {
    console.info(
      `[security] IAM: DeleteItem granted on ${grantedDeletes.length} (function → table) pairs, required on ` +
        `${requiredDeletes.length} (${requiredDeletes.join(', ')}); excess: ` +
        grantedDeletes.filter((p) => !requiredDeletes.includes(p)).join(', '),
    );
    expect(grantedDeletes).toEqual(expect.arrayContaining(requiredDeletes));
  });

  // CDK's grantReadWriteData would also grant DeleteItem (and BatchWriteItem, Scan) on every readWrite
  // table, so the stack grants the calls the code makes: no task can delete audit-trail events.
  it('grants DeleteItem ONLY where the code needs it (none on the event log)', () => {
    expect(grantedDeletes).toEqual(sorted(requiredDeletes));
  });

  it('gives no function other than the producer StartExecution, and none StopExecution', () => {
    for (const name of names) {
      const actions = statementsOfFunction(synthesized, name).flatMap(actionsOf);
      if (name !== 'producer') expect(actions, name).not.toContain('states:StartExecution');
      expect(actions, name).not.toContain('states:StopExecution');
    }
  });
});
