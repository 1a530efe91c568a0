import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableSpec } from '../specs.ts';
import { close, listen } from './aws-json.ts';

/**
 * DynamoDB, emulated by dynalite: LevelDB on disk under the data directory (so data survives a
 * restart), or in memory. dynalite has no TTL expiry, transactions or streams; the Lambda I/O code
 * treats expired items as absent and uses single-item conditional writes only.
 */

export interface LocalDynamo {
  readonly url: string;
  readonly port: number;
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1:`port` (0 = free); `path` = LevelDB directory, undefined = memory. */
export async function startDynamo(options: { path?: string; port?: number }): Promise<LocalDynamo> {
  const server: Server = dynalite({
    ...(options.path ? { path: options.path } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const port = await listen(server, options.port ?? 0);
  const url = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    url,
    port,
    client,
    stop: async () => {
      client.destroy();
      await close(server);
    },
  };
}

/** Creates the tables that are missing (on-demand, keys from the spec) and waits until they are active. */
export async function ensureTables(
  client: DynamoDBClient,
  tables: readonly { readonly name: string; readonly spec: TableSpec }[],
): Promise<void> {
  const existing = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
    for (const name of page.TableNames ?? []) existing.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);
  for (const { name, spec } of tables) {
    if (existing.has(name)) continue;
    const keys = [spec.partitionKey, spec.sortKey];
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
        KeySchema: [
          { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
        ],
      }),
    );
    for (let i = 0; i < 100; i += 1) {
      const described = await client.send(new DescribeTableCommand({ TableName: name }));
      if (described.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
