import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { installFakeDynamo, TABLES } from './harness.ts';

/*
 * The handler tests' fake DynamoDB implements `SET a = :v` updates, simple conditions and key queries.
 * Everything else must throw (and fail the test even if the code under test swallows the error), never
 * be skipped: a test must not pass on an ADD, if_not_exists or `a + :n` the fake did not perform.
 */
const fake = installFakeDynamo();
beforeEach(() => fake.reset());

const key = { pk: 'RATE#u', sk: 'BUCKET' };
const update = (UpdateExpression: string, values: Record<string, unknown>, extra: object = {}) =>
  dynamo.send(
    new UpdateCommand({
      TableName: TABLES.state,
      Key: key,
      UpdateExpression,
      ExpressionAttributeValues: values,
      ...extra,
    }),
  );

describe('fake DynamoDB', () => {
  it('performs SET of values, with and without attribute names', async () => {
    await dynamo.send(
      new UpdateCommand({
        TableName: TABLES.state,
        Key: key,
        UpdateExpression: 'SET n = :n, #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':n': 1, ':s': 'ok' },
      }),
    );
    const { Item } = await dynamo.send(new GetCommand({ TableName: TABLES.state, Key: key }));
    expect(Item).toEqual({ ...key, n: 1, status: 'ok' });
    expect(fake.takeRefused()).toEqual([]);
  });

  it('performs REMOVE of top-level attributes (the read model clears its rollback deadline so)', async () => {
    await update('SET n = :n, m = :n', { ':n': 1 });
    await dynamo.send(
      new UpdateCommand({ TableName: TABLES.state, Key: key, UpdateExpression: 'REMOVE n, m' }),
    );
    const { Item } = await dynamo.send(new GetCommand({ TableName: TABLES.state, Key: key }));
    expect(Item).toEqual(key);
    expect(fake.takeRefused()).toEqual([]);
  });

  it.each([
    ['arithmetic', 'SET n = n + :one'],
    ['if_not_exists', 'SET n = if_not_exists(n, :one)'],
    ['ADD', 'ADD n :one'],
    ['ADD after SET', 'SET m = :one ADD n :one'],
    ['REMOVE after SET', 'SET m = :one REMOVE n'],
    ['REMOVE of a nested path', 'REMOVE a.b'],
    ['list_append', 'SET l = list_append(l, :one)'],
    ['a nested path', 'SET a.b = :one'],
  ])('throws on %s instead of skipping it', async (_name, expression) => {
    await expect(update(expression, { ':one': 1 })).rejects.toThrow(/fake dynamo: unsupported/);
    expect(fake.takeRefused()).toHaveLength(1);
  });

  it('throws on ReturnValues it would not return', async () => {
    await expect(update('SET n = :one', { ':one': 1 }, { ReturnValues: 'UPDATED_NEW' })).rejects.toThrow(
      /ReturnValues="UPDATED_NEW" is not implemented/,
    );
    await expect(
      dynamo.send(new PutCommand({ TableName: TABLES.state, Item: key, ReturnValues: 'ALL_OLD' })),
    ).rejects.toThrow(/is not implemented/);
    expect(fake.takeRefused()).toHaveLength(2);
  });

  it('throws on query options it does not implement', async () => {
    const query = (extra: object) =>
      dynamo.send(
        new QueryCommand({
          TableName: TABLES.state,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'RATE#u' },
          ...extra,
        }),
      );
    await expect(query({ FilterExpression: 'n > :pk' })).rejects.toThrow(/FilterExpression/);
    await expect(query({ IndexName: 'by-user' })).rejects.toThrow(/IndexName/);
    await expect(query({ ScanIndexForward: false })).rejects.toThrow(/ScanIndexForward/);
    expect(fake.takeRefused()).toHaveLength(3);
  });

  it('throws on a condition it cannot evaluate', async () => {
    await expect(
      update('SET n = :one', { ':one': 1 }, { ConditionExpression: 'begins_with(pk, :one)' }),
    ).rejects.toThrow(/unsupported expression/);
    expect(fake.takeRefused()).toHaveLength(1);
  });
});
