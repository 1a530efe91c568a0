import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createOfflineEmbedder } from '#core/cache/embedder.ts';
import { defaultToolRegistry } from '#core/tools/registry.ts';
import type { PlanCacheConfig, PlanCacheDeps } from '#io/cache-store.ts';
import { ensureTables, startDynamo } from '../../lib/local/dynamo.ts';
import { cacheTableSpec } from '../../lib/specs.ts';

/** An in-memory dynalite with the cache table, and request counters per command. */
export async function startCacheDynamo() {
  const dynamo = await startDynamo({});
  const tableName = 'test-cache';
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
  return { client, tableName, requests, stop: () => dynamo.stop() };
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
    embedder: createOfflineEmbedder(),
    tools: defaultToolRegistry(),
    ...rest,
    config: { ...defaultCacheConfig, ...config },
  };
}
