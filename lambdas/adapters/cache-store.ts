import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { entryKey } from '#domain/cache/entries.ts';
import {
  type CacheLookup,
  type CacheRequest,
  type CacheStore,
  lookupPlan as lookupIn,
  type PlanCacheParts,
  type PlanCacheTable,
  storePlan as storeIn,
} from '#domain/cache/plan-cache.ts';
import type { Plan } from '#domain/schemas.ts';
import { writeIfCondition } from './event-log.ts';

export type {
  CacheLookup,
  CacheRequest,
  CacheStore,
  PlanCacheConfig,
} from '#domain/cache/plan-cache.ts';

/*
 * The plan cache in DynamoDB (CACHE_TABLE: pk `pk` S, sk `sk` S, TTL `expires_at`): reads and writes
 * only, what to read and write is lambdas/domain/cache/plan-cache.ts's.
 *
 *   entry  pk `C#<scope>`  sk `G#<goal>`   the planner's plan for one normalised goal, its template
 *   index  pk `C#<scope>`  sk `INDEX`      the scope's entries: wording, slots, embedding (capped)
 *
 * (`<scope>` and `<goal>` are SHA-256 digests: no user id or goal text in keys.)
 *
 * A lookup is ONE BatchGetItem of two items (the goal's own entry and the index), plus, when a
 * template fits, one BatchGetItem of at most three entries. No writes. A store writes the entry and
 * the index (optimistic, on its version), and deletes what the cap evicts. The finalize task confirms
 * the entry (one UpdateItem): only confirmed entries serve.
 */

export interface PlanCacheTableDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly config: Pick<PlanCacheParts['config'], 'scope'>;
}

export interface PlanCacheDeps extends PlanCacheTableDeps, PlanCacheParts {
  readonly config: PlanCacheParts['config'];
}

/** Where a goal's entry lives: what the planner records with the plan, and finalize confirms. */
export function cacheEntryKey(table: PlanCacheTableDeps, request: CacheRequest): { pk: string; sk: string } {
  return entryKey(table.config.scope, request);
}

/** The table's reads and writes on DynamoDB. */
function dynamoTable(deps: PlanCacheTableDeps): PlanCacheTable {
  const { client, tableName } = deps;
  return {
    async getMany(keys) {
      let requested: Record<string, unknown>[] = [...keys];
      const items: Record<string, unknown>[] = [];
      for (let attempt = 0; requested.length > 0 && attempt < 5; attempt++) {
        const out = await client.send(
          new BatchGetCommand({
            RequestItems: { [tableName]: { Keys: requested } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        items.push(...(out.Responses?.[tableName] ?? []));
        requested = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
      return items;
    },
    async putEntry(item, now) {
      return writeIfCondition(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk) OR confirmed = :false OR expires_at <= :now',
            ExpressionAttributeValues: { ':false': false, ':now': Math.floor(now.getTime() / 1000) },
          }),
        ),
      );
    },
    async getIndex(key) {
      const { Item } = await client.send(
        new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
      );
      return Item;
    },
    async putIndex(item, version) {
      return writeIfCondition(() =>
        client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression:
              version === undefined ? 'attribute_not_exists(version)' : 'version = :version',
            ...(version !== undefined && { ExpressionAttributeValues: { ':version': version } }),
          }),
        ),
      );
    },
    async delete(key) {
      await client.send(new DeleteCommand({ TableName: tableName, Key: key }));
    },
  };
}

/** Looks a goal up (lambdas/domain/cache/plan-cache.ts `lookupPlan`) in the DynamoDB table. */
export function lookupPlan(deps: PlanCacheDeps, request: CacheRequest): Promise<CacheLookup> {
  return lookupIn(dynamoTable(deps), deps, request);
}

/** Stores a plan the planner made (lambdas/domain/cache/plan-cache.ts `storePlan`) in the DynamoDB table. */
export function storePlan(
  deps: PlanCacheDeps,
  request: CacheRequest & { readonly plan: Plan; readonly workflow_id: string },
): Promise<CacheStore> {
  return storeIn(dynamoTable(deps), deps, request);
}

export { confirmPlan } from './cache-confirm.ts';
