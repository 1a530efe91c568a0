import { describe, expect, it } from 'vitest';
import { WORKFLOWS_BY_OWNER_INDEX } from '../../lambdas/adapters/workflow-index.ts';
import { type TableName, tableSpecs, workflowsByOwnerIndex } from '../../lib/specs.ts';
import { synth } from './synth.ts';

const names = Object.keys(tableSpecs) as TableName[];

describe('tables', () => {
  const { template, stack } = synth();
  const resources = template.toJSON().Resources;
  const tableId = (name: TableName): string => stack.resolve(stack.tables.byName[name].tableName).Ref;

  it('creates one table per entry of tableSpecs, with generated names', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', names.length);
    for (const name of names) expect(resources[tableId(name)].Properties.TableName).toBeUndefined();
  });

  it.each(names)('%s is on-demand, with PITR, AWS-managed encryption and the TTL attribute', (name) => {
    const spec = tableSpecs[name];
    expect(resources[tableId(name)].Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: spec.ttlAttribute, Enabled: true },
      KeySchema: [
        { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: expect.arrayContaining([
        { AttributeName: spec.partitionKey.name, AttributeType: spec.partitionKey.type },
        { AttributeName: spec.sortKey.name, AttributeType: spec.sortKey.type },
      ]),
    });
    expect(resources[tableId(name)].Properties.ProvisionedThroughput).toBeUndefined();
  });

  it('indexes the workflow heads by owner and creation time: a sparse, keys-only GSI of the state table', () => {
    expect(WORKFLOWS_BY_OWNER_INDEX).toBe(workflowsByOwnerIndex.name);
    const state = resources[tableId('state')].Properties;
    expect(state.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'workflows-by-owner',
        KeySchema: [
          { AttributeName: 'owner', KeyType: 'HASH' },
          { AttributeName: 'created_at', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        // The rollback deadline sweep's list (lambdas/handlers/jobs/rollback-sweep.ts): also keys only, so
        // appends, which rewrite the head, never write this index.
        IndexName: 'rollback-due',
        KeySchema: [
          { AttributeName: 'rollback_due', KeyType: 'HASH' },
          { AttributeName: 'rollback_due_at', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
    expect(state.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'owner', AttributeType: 'S' },
        { AttributeName: 'created_at', AttributeType: 'S' },
      ]),
    );
    // Sparse: the workflow record carries `user_id`, never the index's `owner`.
    expect(workflowsByOwnerIndex.partitionKey.name).not.toBe('user_id');
  });

  it('gives no other table an index', () => {
    for (const name of names.filter((n) => n !== 'state')) {
      expect(resources[tableId(name)].Properties.GlobalSecondaryIndexes, name).toBeUndefined();
    }
  });

  it.each(names)('%s is retained when the stack is deleted, by default', (name) => {
    expect(resources[tableId(name)]).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('deletes tables with the stack when the context says removalPolicy=destroy', () => {
    const destroyed = synth({ removalPolicy: 'destroy' });
    for (const table of Object.values(destroyed.template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.DeletionPolicy).toBe('Delete');
    }
  });

  it('outputs every table name', () => {
    for (const name of names) {
      const output = `${name.charAt(0).toUpperCase()}${name.slice(1)}TableName`;
      template.hasOutput(output, { Value: { Ref: tableId(name) } });
    }
  });
});
