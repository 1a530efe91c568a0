import { dynamo } from '#adapters/aws/dynamodb.ts';
import { createBookingsStore } from '#adapters/bookings-store.ts';
import type { PlanCacheDeps } from '#adapters/cache-store.ts';
import type { EventLogDeps } from '#adapters/event-log.ts';
import type { StateTableDeps } from '#adapters/plan-store.ts';
import type { BookingsPort } from '#domain/tools/types.ts';
import { expiresAt } from '#domain/ttl.ts';
import type { EnvOf } from './env.ts';

/*
 * The table wiring every workflow task repeats: which table, which client, how long what it writes
 * lives, from the handler's parsed environment. Handlers call these per invocation (the event log's
 * expiry is counted from "now").
 */

/** The event log as the tasks append to it. */
export function eventLogDeps(
  env: EnvOf<'EVENT_LOG_TABLE' | 'STATE_TABLE' | 'EVENT_LOG_TTL_DAYS'>,
  now: Date = new Date(),
): EventLogDeps {
  return {
    client: dynamo,
    tableName: env.EVENT_LOG_TABLE,
    stateTable: env.STATE_TABLE,
    expiresAt: expiresAt(now, env.EVENT_LOG_TTL_DAYS),
  };
}

/** The state table (plans, step outputs, approvals) as the tasks use it. */
export function stateTableDeps(env: EnvOf<'STATE_TABLE' | 'WORKFLOW_RECORD_TTL_DAYS'>): StateTableDeps {
  return { client: dynamo, tableName: env.STATE_TABLE, ttlDays: env.WORKFLOW_RECORD_TTL_DAYS };
}

/** The sandbox bookings table, as the travel tools and their compensations use it. */
export function bookingsDeps(env: EnvOf<'BOOKINGS_TABLE' | 'WORKFLOW_RECORD_TTL_DAYS'>): BookingsPort {
  return createBookingsStore({
    client: dynamo,
    tableName: env.BOOKINGS_TABLE,
    ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
  });
}

/** The variables of the plan cache; its table is optional (no table = no cache). */
export type PlanCacheEnv = EnvOf<
  'CACHE_ENABLED' | 'CACHE_SCOPE' | 'CACHE_TTL_DAYS' | 'CACHE_MAX_ENTRIES_PER_SCOPE' | 'CACHE_MIN_SIMILARITY'
> & { readonly CACHE_TABLE?: string | undefined };

/** The plan cache's table, or undefined when the cache is off (CACHE_ENABLED=false) or has no table. */
export function cacheTableDeps(
  env: EnvOf<'CACHE_ENABLED'> & { readonly CACHE_TABLE?: string | undefined },
): { readonly client: typeof dynamo; readonly tableName: string } | undefined {
  return env.CACHE_ENABLED && env.CACHE_TABLE ? { client: dynamo, tableName: env.CACHE_TABLE } : undefined;
}

/** The plan cache's settings (CACHE_*), or undefined when it is off or has no table. */
export function planCacheDeps(
  env: PlanCacheEnv,
  parts: Pick<PlanCacheDeps, 'embedder' | 'tools'>,
): PlanCacheDeps | undefined {
  const table = cacheTableDeps(env);
  if (!table) return undefined;
  return {
    ...table,
    ...(parts.embedder && { embedder: parts.embedder }),
    tools: parts.tools,
    config: {
      scope: env.CACHE_SCOPE,
      ttlDays: env.CACHE_TTL_DAYS,
      maxEntriesPerScope: env.CACHE_MAX_ENTRIES_PER_SCOPE,
      minSimilarity: env.CACHE_MIN_SIMILARITY,
    },
  };
}
