import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PlanCacheConfig, PlanCacheDeps } from '#adapters/cache-store.ts';
import { shippedWordVectors } from '#adapters/embedders/word-vectors.ts';
import { createOfflineEmbedder } from '#domain/cache/embedder.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import { deleteTables, ensureTables, startDynamo } from '../../lib/local/dynamo.ts';
import { cacheTableSpec } from '../../lib/specs.ts';

/** The cache table in the run's DynamoDB Local, and request counters per command. */
export async function startCacheDynamo() {
  const dynamo = await startDynamo({});
  const tableName = `test-cache-${crypto.randomUUID().slice(0, 8)}`;
  await ensureTables(dynamo.client, [{ name: tableName, spec: cacheTableSpec }]);
  const client = DynamoDBDocumentClient.from(dynamo.client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const requests: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      requests[name] = (requests[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'testCounter' },
  );
  return {
    client,
    tableName,
    requests,
    stop: async () => {
      await deleteTables(dynamo.client, [tableName]);
      await dynamo.stop();
    },
  };
}

export const defaultCacheConfig: PlanCacheConfig = {
  scope: 'user',
  ttlDays: 30,
  maxEntriesPerScope: 500,
  minSimilarity: 0.6,
};

export function cacheDeps(
  store: { client: DynamoDBDocumentClient; tableName: string },
  overrides: Omit<Partial<PlanCacheDeps>, 'config'> & { config?: Partial<PlanCacheConfig> } = {},
): PlanCacheDeps {
  const { config, ...rest } = overrides;
  return {
    client: store.client,
    tableName: store.tableName,
    embedder: createOfflineEmbedder(shippedWordVectors()),
    tools: defaultToolRegistry(),
    ...rest,
    config: { ...defaultCacheConfig, ...config },
  };
}
