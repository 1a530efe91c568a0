import { describe, expect, it } from 'vitest';
import { type FunctionName, functionSpecs, type TableName } from '../../lib/specs.ts';
import { actionsOf, resourcesOf, type Statement, statementsOfFunction, synth } from '../infra/synth.ts';

/*
 * Least privilege, as an exact allow-list per function, written out literally below (not derived from
 * lib/specs.ts, which the stack itself reads: a wrong spec would otherwise pass its own check). Every
 * (action, resource) pair a function's role holds must be listed, and every listed pair must be there.
 * Resources are classified (table X, stream of X, own log group, the state machine, its versions and
 * aliases, the alias, its executions, the bus, a dead-letter queue, the model) so the comparison reads
 * like the policy.
 *
 * The table grants are the calls lambdas/io makes (lib/omnilink-stack.ts tableActions), not CDK's
 * grant*Data: no Scan, no BatchWriteItem, and DeleteItem only where the code deletes (`requiredDeletes`).
 */

const BASE = [
  'xray:PutTraceSegments @ *',
  'xray:PutTelemetryRecords @ *',
  'logs:CreateLogStream @ own-log-group',
  'logs:PutLogEvents @ own-log-group',
];
const read = (table: string): string[] =>
  ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem', 'DescribeTable'].map(
    (a) => `dynamodb:${a} @ table:${table}`,
  );
const readWrite = (table: string): string[] => [
  ...read(table),
  `dynamodb:PutItem @ table:${table}`,
  `dynamodb:UpdateItem @ table:${table}`,
];
const DLQ = [
  'sqs:SendMessage @ dead-letter-queue',
  'sqs:GetQueueAttributes @ dead-letter-queue',
  'sqs:GetQueueUrl @ dead-letter-queue',
];
const MODEL = ['bedrock:InvokeModel @ model'];

/** Every function's allow-list (default context: Bedrock, a user pool). */
const EXPECTED: Record<FunctionName, string[]> = {
  producer: [
    ...readWrite('state'),
    'dynamodb:DeleteItem @ table:state',
    'states:StartExecution @ state-machine-alias',
    // Settles an ambiguous StartExecution (lambdas/adapters/start-execution.ts).
    'states:DescribeExecution @ workflow-executions',
  ],
  // The read model is one item of the state table: a poll reads it, a silent workflow's check writes it.
  status: [...readWrite('state'), 'states:DescribeExecution @ workflow-executions'],
  events: [...read('state'), ...read('eventLog')],
  // One Query of the owner index, one BatchGetItem of the page's heads; nothing else has the index.
  list: [...read('state'), 'dynamodb:Query @ index:state/workflows-by-owner'],
  // Appends write the log's head and markers in the state table too.
  guardian: [...readWrite('eventLog'), ...readWrite('state'), ...MODEL],
  planner: [
    ...readWrite('eventLog'),
    ...readWrite('state'),
    ...readWrite('cache'),
    'dynamodb:DeleteItem @ table:cache',
    ...MODEL,
  ],
  step: [...readWrite('eventLog'), ...readWrite('state'), ...readWrite('bookings'), ...MODEL],
  finalize: [
    ...readWrite('eventLog'),
    ...readWrite('state'),
    'dynamodb:PutItem @ table:cache',
    'dynamodb:UpdateItem @ table:cache',
    'dynamodb:DescribeTable @ table:cache',
  ],
  compensate: [...readWrite('eventLog'), ...readWrite('state'), ...readWrite('bookings')],
  publisher: [
    'dynamodb:DescribeStream @ stream:eventLog',
    'dynamodb:GetRecords @ stream:eventLog',
    'dynamodb:GetShardIterator @ stream:eventLog',
    'dynamodb:ListStreams @ stream:eventLog',
    'events:PutEvents @ event-bus',
    ...DLQ,
  ],
  requestApproval: [...readWrite('eventLog'), ...readWrite('state')],
  signal: [
    ...readWrite('state'),
    ...readWrite('eventLog'),
    'states:SendTaskSuccess @ state-machine',
    'states:SendTaskSuccess @ state-machine-versions',
    'states:SendTaskFailure @ state-machine',
    'states:SendTaskFailure @ state-machine-versions',
  ],
  cancel: [
    ...readWrite('state'),
    ...readWrite('eventLog'),
    'states:SendTaskFailure @ state-machine',
    'states:SendTaskFailure @ state-machine-versions',
    'states:DescribeExecution @ workflow-executions',
    'states:RedriveExecution @ workflow-executions',
  ],
  janitor: [...readWrite('eventLog'), ...readWrite('state'), ...readWrite('bookings'), ...DLQ],
  rollbackSweep: [
    ...readWrite('eventLog'),
    ...readWrite('state'),
    ...readWrite('bookings'),
    'dynamodb:Query @ index:state/rollback-due',
    'states:DescribeExecution @ workflow-executions',
  ],
  redrive: [
    ...readWrite('state'),
    'states:DescribeExecution @ workflow-executions',
    'states:RedriveExecution @ workflow-executions',
  ],
  // Verifies tokens against the issuer's JWKS (HTTPS): no AWS permissions at all.
  wsAuthorizer: [],
  // Records a connection's owner; forgets it and its subscriptions at $disconnect.
  wsConnection: [...readWrite('connections'), 'dynamodb:DeleteItem @ table:connections'],
  // Ownership from the workflow record, the replay from the log, the subscription, and the posts.
  wsSubscribe: [
    ...readWrite('connections'),
    'dynamodb:DeleteItem @ table:connections',
    ...read('state'),
    ...read('eventLog'),
    'execute-api:ManageConnections @ push-connections',
  ],
  // One Query of the workflow's subscribers, a post to each, a delete of gone or finished ones.
  pushEvents: [
    ...read('connections'),
    'dynamodb:DeleteItem @ table:connections',
    'dynamodb:DescribeStream @ stream:eventLog',
    'dynamodb:GetRecords @ stream:eventLog',
    'dynamodb:GetShardIterator @ stream:eventLog',
    'dynamodb:ListStreams @ stream:eventLog',
    'execute-api:ManageConnections @ push-connections',
  ],
};

/**
 * DeleteItem the code actually issues (lambdas/io: workflow-store deleteWorkflowRecord — the producer
 * removes the record of an execution that never started; cache-store — the planner evicts templates).
 */
const requiredDeletes = [
  'producer → state',
  'planner → cache',
  // lambdas/adapters/push-channel.ts: subscriptions of closed connections, finished workflows, unsubscribes.
  'pushEvents → connections',
  'wsConnection → connections',
  'wsSubscribe → connections',
];

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
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  const joinedAtt = (join?.[1]?.[0] as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  const indexTable = joinedAtt && joinedAtt[1] === 'Arn' ? tableIds[JSON.stringify(joinedAtt[0])] : undefined;
  const suffix = join?.[1]?.[1];
  if (
    indexTable &&
    join?.[1]?.length === 2 &&
    typeof suffix === 'string' &&
    /^\/index\/[\w.-]+$/.test(suffix)
  )
    return `index:${indexTable}/${suffix.slice('/index/'.length)}`;
  if (json === resolved(stack.workflow.stateMachine.stateMachineArn)) return 'state-machine';
  if (json === resolved(stack.workflow.aliasArn)) return 'state-machine-alias';
  if (
    json ===
    JSON.stringify({ 'Fn::Join': ['', [stack.resolve(stack.workflow.stateMachine.stateMachineArn), ':*']] })
  )
    return 'state-machine-versions';
  if (json.includes(':execution:') && json.endsWith(':*"]]}')) return 'workflow-executions';
  if (json.includes(':bedrock:')) return 'model';
  if (
    json.includes(':execute-api:') &&
    json.includes(resolved(stack.pushChannel.api.apiId)) &&
    json.endsWith('/live/POST/@connections/*"]]}')
  )
    return 'push-connections';
  return `UNKNOWN ${json}`;
}

const pairsOf = (statements: readonly Statement[], name: FunctionName): string[] =>
  statements.flatMap((s) =>
    s.Effect !== 'Allow'
      ? [`DENY ${JSON.stringify(s)}`]
      : actionsOf(s).flatMap((a) => resourcesOf(s).map((r) => `${a} @ ${classify(r, name)}`)),
  );

const sorted = (values: string[]) => [...new Set(values)].sort();

describe('least privilege: every function’s policy is exactly its allow-list', () => {
  it('lists every function of the stack, and no other', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(stack.functions).sort());
  });

  it.each(names)('%s', (name) => {
    const actual = sorted(pairsOf(statementsOfFunction(synthesized, name), name));
    expect(actual.filter((p) => p.includes('UNKNOWN') || p.startsWith('DENY'))).toEqual([]);
    expect(actual).toEqual(sorted([...BASE, ...EXPECTED[name]]));
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

  it('grants "*" resources only to X-Ray (whose actions support no resource type)', () => {
    for (const name of names) {
      for (const pair of pairsOf(statementsOfFunction(synthesized, name), name).filter((p) =>
        p.endsWith(' @ *'),
      )) {
        expect(pair.startsWith('xray:'), `${name}: ${pair}`).toBe(true);
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
