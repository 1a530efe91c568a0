import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Embedder } from '#domain/cache/embedder.ts';
import {
  type CacheEntry,
  type CacheGoal,
  type CacheIndex,
  candidatesFor,
  entryKey,
  entrySchema,
  INDEX_SK,
  indexSchema,
  indexWith,
  newEntry,
  rankBySimilarity,
  serveExact,
  serveTemplate,
} from '#domain/cache/entries.ts';
import type { CacheScope } from '#domain/cache/settings.ts';
import { type Rebinding, readGoal } from '#domain/cache/template.ts';
import type { Plan } from '#domain/schemas.ts';
import type { ToolRegistry } from '#domain/tools/types.ts';
import { expiresAt, isExpired } from '#domain/ttl.ts';
import type { Env } from '#middleware/config.ts';
import { isConditionalCheckFailure } from './event-log.ts';

/*
 * The plan cache in DynamoDB (CACHE_TABLE: pk `pk` S, sk `sk` S, TTL `expires_at`): I/O only, the
 * decisions are lambdas/domain/cache/entries.ts's.
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

export interface PlanCacheConfig {
  /** `user`: entries never leave their user; `global`: shared by everyone (opt-in). */
  readonly scope: CacheScope;
  readonly ttlDays: number;
  /** Entries per scope (the index is capped at 350 KB besides). */
  readonly maxEntriesPerScope: number;
  /** Minimum cosine between the wordings of the goal and a template (when an embedder is set). */
  readonly minSimilarity: number;
}

export interface PlanCacheTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly config: Pick<PlanCacheConfig, 'scope'>;
}

export interface PlanCacheDeps extends PlanCacheTable {
  /** Ranks fitting templates by meaning; absent = most recent first. */
  readonly embedder?: Embedder;
  readonly tools: ToolRegistry;
  readonly config: PlanCacheConfig;
  readonly now?: () => Date;
}

export type CacheRequest = CacheGoal;

export type CacheLookup =
  | {
      readonly hit: true;
      readonly plan: Plan;
      /** Cosine of the wordings (1 for exact repeats and without an embedder). */
      readonly similarity: number;
      /** `exact`: the same goal, the plan as it was; `template`: re-bound to this goal's values. */
      readonly match: 'exact' | 'template';
      /** Slots whose values differ from the cached goal's, with old and new values. */
      readonly rebound: readonly Rebinding[];
      readonly embedder: string;
    }
  | { readonly hit: false; readonly reason: string };

export type CacheStore =
  | { readonly stored: true; readonly rebindable: boolean; readonly evicted: number }
  | { readonly stored: false; readonly reason: string };

const INDEX_MAX_BYTES = 350_000;

/**
 * The cache's settings from the environment (CACHE_*), or undefined when it is off
 * (CACHE_ENABLED=false) or has no table (CACHE_TABLE unset).
 */
export function planCacheFromEnv(
  env: Env,
  deps: Pick<PlanCacheDeps, 'client' | 'embedder' | 'tools'>,
): PlanCacheDeps | undefined {
  if (!env.CACHE_ENABLED || !env.CACHE_TABLE) return undefined;
  return {
    client: deps.client,
    tableName: env.CACHE_TABLE,
    ...(deps.embedder && { embedder: deps.embedder }),
    tools: deps.tools,
    config: {
      scope: env.CACHE_SCOPE,
      ttlDays: env.CACHE_TTL_DAYS,
      maxEntriesPerScope: env.CACHE_MAX_ENTRIES_PER_SCOPE,
      minSimilarity: env.CACHE_MIN_SIMILARITY,
    },
  };
}

/** Where a goal's entry lives: what the planner records with the plan, and finalize confirms. */
export function cacheEntryKey(table: PlanCacheTable, request: CacheRequest): { pk: string; sk: string } {
  return entryKey(table.config.scope, request);
}

async function batchGet(
  deps: PlanCacheTable,
  keys: readonly { pk: string; sk: string }[],
): Promise<Record<string, unknown>[]> {
  let requested: Record<string, unknown>[] = [...keys];
  const items: Record<string, unknown>[] = [];
  for (let attempt = 0; requested.length > 0 && attempt < 5; attempt++) {
    const out = await deps.client.send(
      new BatchGetCommand({
        RequestItems: { [deps.tableName]: { Keys: requested } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    items.push(...(out.Responses?.[deps.tableName] ?? []));
    requested = out.UnprocessedKeys?.[deps.tableName]?.Keys ?? [];
  }
  return items;
}

function parseEntry(item: Record<string, unknown> | undefined, now: Date): CacheEntry | undefined {
  if (!item || isExpired(item, now)) return undefined;
  const parsed = entrySchema.safeParse(item);
  return parsed.success ? parsed.data : undefined;
}

function parseIndex(item: Record<string, unknown> | undefined, now: Date): CacheIndex {
  if (!item || isExpired(item, now)) return { entries: [], version: 0 };
  const parsed = indexSchema.safeParse(item);
  return parsed.success ? parsed.data : { entries: [], version: 0 };
}

/**
 * Looks a goal up: a hit is a VALID plan for this goal (its exact repeat, or a template re-bound to
 * its values). One BatchGetItem of two items, plus one of ≤ 3 entries when a template fits.
 */
export async function lookupPlan(deps: PlanCacheDeps, request: CacheRequest): Promise<CacheLookup> {
  const now = deps.now?.() ?? new Date();
  const key = cacheEntryKey(deps, request);
  const items = await batchGet(deps, [key, { pk: key.pk, sk: INDEX_SK }]);
  const own = parseEntry(
    items.find((i) => i.sk === key.sk),
    now,
  );
  const embedderId = deps.embedder?.id ?? 'none';
  let reason = own ? 'own entry' : 'no entry for this goal';
  if (own) {
    const served = serveExact(own, deps.tools, now);
    if (served.ok) return { hit: true, ...served, similarity: 1, embedder: embedderId };
    reason = served.reason;
  }
  const read = readGoal(request.goal);
  const index = parseIndex(
    items.find((i) => i.sk === INDEX_SK),
    now,
  );
  const fitting = candidatesFor(read, request, index, now, key.sk);
  if (fitting.length === 0) return { hit: false, reason: `${reason}; no template fits` };
  const ranked = deps.embedder
    ? await rankBySimilarity(fitting, request.goal, deps.embedder, deps.config.minSimilarity)
    : fitting.map((line) => ({ line, similarity: 1 }));
  if (ranked.length === 0) return { hit: false, reason: `${reason}; fitting templates below similarity` };
  const top = ranked.slice(0, 3);
  const entries = await batchGet(
    deps,
    top.map((c) => ({ pk: key.pk, sk: c.line.sk })),
  );
  for (const candidate of top) {
    const entry = parseEntry(
      entries.find((i) => i.sk === candidate.line.sk),
      now,
    );
    if (!entry) continue;
    const served = serveTemplate(entry, read, deps.tools, now);
    if (served.ok) return { hit: true, ...served, similarity: candidate.similarity, embedder: embedderId };
    reason = served.reason;
  }
  return { hit: false, reason };
}

/**
 * Stores a plan the planner made (and validated) for a goal, unconfirmed until its workflow
 * completes; an unconfirmed entry of the same goal is replaced. Never store tool results here.
 */
export async function storePlan(
  deps: PlanCacheDeps,
  request: CacheRequest & { readonly plan: Plan; readonly workflow_id: string },
): Promise<CacheStore> {
  const now = deps.now?.() ?? new Date();
  const key = cacheEntryKey(deps, request);
  const expires = expiresAt(now, deps.config.ttlDays);
  const { entry, line } = await newEntry(key, request, now, deps.embedder);
  try {
    await deps.client.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: { ...entry, expires_at: expires },
        ConditionExpression: 'attribute_not_exists(pk) OR confirmed = :false OR expires_at <= :now',
        ExpressionAttributeValues: { ':false': false, ':now': Math.floor(now.getTime() / 1000) },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailure(error)) return { stored: false, reason: 'already cached' };
    throw error;
  }
  const indexKey = { pk: key.pk, sk: INDEX_SK };
  for (let attempt = 0; attempt < 8; attempt++) {
    const { Item } = await deps.client.send(
      new GetCommand({ TableName: deps.tableName, Key: indexKey, ConsistentRead: true }),
    );
    // an expired or unreadable index starts afresh, but on the stored item's version all the same
    const version = typeof Item?.version === 'number' ? Item.version : undefined;
    const current = { ...parseIndex(Item, now), version: version ?? 0 };
    const next = indexWith(current, line, {
      maxEntries: deps.config.maxEntriesPerScope,
      maxBytes: INDEX_MAX_BYTES,
      ttlDays: deps.config.ttlDays,
      now,
    });
    try {
      await deps.client.send(
        new PutCommand({
          TableName: deps.tableName,
          Item: { ...indexKey, ...next.index, expires_at: expires },
          ConditionExpression: version === undefined ? 'attribute_not_exists(version)' : 'version = :version',
          ...(version !== undefined && { ExpressionAttributeValues: { ':version': version } }),
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) continue; // a concurrent store: read again
      throw error;
    }
    for (const sk of next.evicted) {
      await deps.client.send(new DeleteCommand({ TableName: deps.tableName, Key: { pk: key.pk, sk } }));
    }
    return { stored: true, rebindable: line.t, evicted: next.evicted.length };
  }
  return { stored: false, reason: 'index busy' };
}

export { confirmPlan } from './cache-confirm.ts';
