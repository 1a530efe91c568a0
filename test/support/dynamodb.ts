import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deleteTables, ensureTables, startDynamo } from '../../lib/local/dynamo.ts';
import { type TableName, tableSpecs } from '../../lib/specs.ts';

/**
 * The project's tables in AWS's DynamoDB Local (the run's shared instance, see test/global-setup.ts),
 * under a prefix of their own, for tests that need real conditional writes and transactions.
 */
export interface TestDynamo {
  readonly client: DynamoDBDocumentClient;
  readonly tables: Record<TableName, string>;
  readonly url: string;
  stop(): Promise<void>;
}

export async function startTestDynamo(): Promise<TestDynamo> {
  const dynamo = await startDynamo();
  const prefix = `test-${crypto.randomUUID().slice(0, 8)}`;
  const tables = Object.fromEntries(
    Object.keys(tableSpecs).map((name) => [name, `${prefix}-${name}`]),
  ) as Record<TableName, string>;
  await ensureTables(
    dynamo.client,
    (Object.keys(tableSpecs) as TableName[]).map((name) => ({ name: tables[name], spec: tableSpecs[name] })),
  );
  const client = DynamoDBDocumentClient.from(dynamo.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    client,
    tables,
    url: dynamo.url,
    stop: async () => {
      await deleteTables(dynamo.client, Object.values(tables));
      await dynamo.stop();
    },
  };
}
