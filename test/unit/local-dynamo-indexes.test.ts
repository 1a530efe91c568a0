import { DescribeTableCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTables, ensureTables, type LocalDynamo, startDynamo } from '../../lib/local/dynamo.ts';
import { tableSpecs, workflowsByOwnerIndex } from '../../lib/specs.ts';

/*
 * `npm start` on a data directory from before the owner index existed: ensureTables adds the index to
 * the existing state table (and the heads already there that carry `owner` become listable).
 */

let dynamo: LocalDynamo;
const name = `test-${crypto.randomUUID().slice(0, 8)}-state`;

beforeAll(async () => {
  dynamo = await startDynamo();
});
afterAll(async () => {
  await deleteTables(dynamo.client, [name]);
  await dynamo.stop();
});

describe('local tables', () => {
  it('adds an index the spec gained to a table created without it', async () => {
    const { indexes: _, ...withoutIndexes } = tableSpecs.state;
    await ensureTables(dynamo.client, [{ name, spec: withoutIndexes }]);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: name,
        Item: {
          pk: { S: 'WF#wf_old' },
          sk: { S: 'HEAD' },
          owner: { S: 'alice' },
          created_at: { S: '2026-01-01T00:00:00.000Z' },
        },
      }),
    );
    await ensureTables(dynamo.client, [{ name, spec: tableSpecs.state }]);
    const table = (await dynamo.client.send(new DescribeTableCommand({ TableName: name }))).Table;
    expect(
      table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.Projection?.ProjectionType]).sort(),
    ).toEqual([
      ['rollback-due', 'KEYS_ONLY'],
      [workflowsByOwnerIndex.name, 'KEYS_ONLY'],
    ]);
    const found = await dynamo.client.send(
      new QueryCommand({
        TableName: name,
        IndexName: workflowsByOwnerIndex.name,
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': { S: 'alice' } },
      }),
    );
    expect(found.Items?.map((i) => i.pk?.S)).toEqual(['WF#wf_old']);
  });
});
