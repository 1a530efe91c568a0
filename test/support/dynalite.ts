import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { type TableName, tableSpecs } from '../../lib/specs.ts';

/** An in-memory dynalite with the project's tables, for tests that need real conditional writes. */
export interface TestDynamo {
  readonly client: DynamoDBDocumentClient;
  readonly tables: Record<TableName, string>;
  stop(): Promise<void>;
}

export async function startTestDynamo(): Promise<TestDynamo> {
  // createTableMs 0: tables are ACTIVE at once, no waiter needed
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const raw = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const tables = {} as Record<TableName, string>;
  for (const [name, spec] of Object.entries(tableSpecs) as [TableName, (typeof tableSpecs)[TableName]][]) {
    const tableName = `test-${name}`;
    await raw.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: spec.partitionKey.name, AttributeType: spec.partitionKey.type },
          { AttributeName: spec.sortKey.name, AttributeType: spec.sortKey.type },
        ],
        KeySchema: [
          { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
        ],
      }),
    );
    tables[name] = tableName;
  }
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    client,
    tables,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error?: Error) => (error ? reject(error) : resolve())),
      );
    },
  };
}
