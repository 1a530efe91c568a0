import type { CfnElement } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  type FunctionName,
  type FunctionSpec,
  functionSpecs,
  type TableName,
  workflowsByOwnerIndex,
} from '../../lib/specs.ts';
import { actionsOf, resourcesOf, type Statement, statementsOfFunction, synth } from './synth.ts';

const unique = (values: unknown[]): string[] => [...new Set(values.map((value) => JSON.stringify(value)))];
const writeActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

describe('least privilege', () => {
  const synthesized = synth();
  const { stack } = synthesized;
  const stateMachineArn = stack.resolve(stack.workflow.stateMachine.stateMachineArn);
  const aliasArn = stack.resolve(stack.workflow.aliasArn);
  // Task-token answers: this state machine and its versions/aliases (`<arn>:*`), never "*".
  const tokenResources = [stateMachineArn, { 'Fn::Join': ['', [stateMachineArn, ':*']] }];
  const tableArn = (name: TableName): unknown => stack.resolve(stack.tables.byName[name].tableArn);
  const indexArn = (name: TableName, index: string): unknown =>
    stack.resolve(`${stack.tables.byName[name].tableArn}/index/${index}`);
  const statesStatements = (name: FunctionName): Statement[] =>
    statementsOfFunction(synthesized, name).filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
  // Stream reads (the publisher's event-source mapping) name a table's stream, not the table:
  // test/infra/event-publishing.test.ts pins them down.
  const onStreamOnly = (s: Statement): boolean =>
    resourcesOf(s).every((r) => JSON.stringify(r).endsWith('"StreamArn"]}'));
  const dynamoStatements = (name: FunctionName): Statement[] =>
    statementsOfFunction(synthesized, name).filter(
      (s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')) && !onStreamOnly(s),
    );

  it('lets the producer start executions through the workflow alias and describe its executions, nothing else in Step Functions', () => {
    const statements = statesStatements('producer');
    expect(statements.flatMap(actionsOf)).toEqual(['states:StartExecution', 'states:DescribeExecution']);
    const [start, describe] = statements;
    expect(start && resourcesOf(start)).toEqual([aliasArn]);
    // DescribeExecution settles an ambiguous StartExecution: this workflow's executions only.
    const executions = describe ? resourcesOf(describe) : [];
    expect(executions).toHaveLength(1);
    const arn = JSON.stringify(executions[0]);
    expect(arn).toContain(':execution:');
    expect(arn).toContain(stack.getLogicalId(stack.workflow.stateMachine.node.defaultChild as CfnElement));
    expect(arn).toMatch(/:\*"\]\]\}$/);
  });

  it('gives the producer no access to the event log, so no DeleteItem on it', () => {
    const statements = dynamoStatements('producer');
    const onEventLog = statements.filter((s) =>
      resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(tableArn('eventLog'))),
    );
    expect(onEventLog).toEqual([]);
    expect(unique(statements.flatMap(resourcesOf))).toEqual([JSON.stringify(tableArn('state'))]);
  });

  it('gives the status function its read model only: the state table (one GetItem a poll, an UpdateItem to record a silent execution), not the log', () => {
    const statements = dynamoStatements('status');
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(statements.flatMap(resourcesOf)).toEqual(expect.arrayContaining([tableArn('state')]));
    expect(statements.flatMap(resourcesOf)).not.toContainEqual(tableArn('eventLog'));
    expect(statements.flatMap(resourcesOf)).not.toContainEqual(tableArn('bookings'));
  });

  it('lets the status function describe executions of this workflow only', () => {
    const statements = statesStatements('status');
    expect(statements.flatMap(actionsOf)).toEqual(['states:DescribeExecution']);
    const resources = statements.flatMap(resourcesOf);
    expect(resources).toHaveLength(1);
    const arn = JSON.stringify(resources[0]);
    expect(arn).toContain(':execution:');
    expect(arn).toContain(stack.getLogicalId(stack.workflow.stateMachine.node.defaultChild as CfnElement));
    expect(arn).toMatch(/:\*"\]\]\}$/);
  });

  it('lets only the list function query the owner index, and only the sweep the rollback-due index (no index/* grants)', () => {
    const expected: Partial<Record<FunctionName, unknown[]>> = {
      list: [indexArn('state', workflowsByOwnerIndex.name)],
      rollbackSweep: [indexArn('state', 'rollback-due')],
    };
    for (const name of Object.keys(functionSpecs) as FunctionName[]) {
      const onIndexes = dynamoStatements(name)
        .flatMap(resourcesOf)
        .filter((r) => JSON.stringify(r).includes('/index/'));
      expect(onIndexes, name).toEqual(expected[name] ?? []);
    }
  });

  it('gives functions without Step Functions actions no Step Functions permissions', () => {
    for (const name of Object.keys(functionSpecs) as FunctionName[]) {
      if (!('stepFunctions' in functionSpecs[name])) expect(statesStatements(name)).toEqual([]);
    }
  });

  it.each(Object.keys(functionSpecs) as FunctionName[])(
    '%s may use only the tables its spec lists, with the listed access',
    (name) => {
      const tables = functionSpecs[name].tables as Partial<Record<TableName, string>>;
      const statements = dynamoStatements(name);
      const queries = (functionSpecs[name] as FunctionSpec).queries ?? [];
      const allowed = [
        ...Object.keys(tables).map((t) => JSON.stringify(tableArn(t as TableName))),
        ...queries.map(({ table, index }) => JSON.stringify(indexArn(table, index))),
      ];
      for (const resource of statements.flatMap(resourcesOf))
        expect(allowed).toContain(JSON.stringify(resource));
      // An index is queried, nothing more.
      for (const { table, index } of queries) {
        const onIndex = statements.filter((s) =>
          resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(indexArn(table, index))),
        );
        expect(onIndex.flatMap(actionsOf)).toEqual(['dynamodb:Query']);
      }
      for (const [table, access] of Object.entries(tables)) {
        const actions = statements
          .filter((s) =>
            resourcesOf(s).some((r) => JSON.stringify(r) === JSON.stringify(tableArn(table as TableName))),
          )
          .flatMap(actionsOf);
        // A read-only table may still be one the code deletes from (`deletesFrom`), nothing more.
        const deletes = ((functionSpecs[name] as FunctionSpec).deletesFrom ?? []) as readonly string[];
        if (access === 'read') {
          for (const action of writeActions) {
            if (action === 'dynamodb:DeleteItem' && deletes.includes(table)) continue;
            expect(actions).not.toContain(action);
          }
        } else expect(actions).toContain('dynamodb:PutItem');
      }
    },
  );

  it('grants no action wildcard, and "*" resources to X-Ray only', () => {
    for (const name of Object.keys(functionSpecs) as FunctionName[]) {
      for (const statement of statementsOfFunction(synthesized, name)) {
        for (const action of actionsOf(statement)) expect(action).not.toContain('*');
        if (resourcesOf(statement).includes('*')) {
          expect(actionsOf(statement).every((action) => action.startsWith('xray:'))).toBe(true);
        }
      }
    }
  });

  it('lets the signal function answer task tokens (SendTaskSuccess/Failure), and nothing else in Step Functions', () => {
    const statements = statesStatements('signal');
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
    ]);
    expect(statements.flatMap(resourcesOf)).toEqual(tokenResources);
  });

  it('lets the cancel function fail task tokens, and describe and redrive executions of this state machine', () => {
    const statements = statesStatements('cancel');
    const tokens = statements.filter((st) => actionsOf(st).includes('states:SendTaskFailure'));
    expect(tokens.flatMap(actionsOf)).toEqual(['states:SendTaskFailure']);
    expect(tokens.flatMap(resourcesOf)).toEqual(tokenResources);
    const executions = statements.filter((st) => !tokens.includes(st));
    expect(executions.flatMap(actionsOf).sort()).toEqual([
      'states:DescribeExecution',
      'states:RedriveExecution',
    ]);
    expect(JSON.stringify(executions.flatMap(resourcesOf))).toContain(':execution:');
  });

  it('gives the approval task no Step Functions permissions: it only stores the token', () => {
    expect(statesStatements('requestApproval')).toEqual([]);
  });
});
