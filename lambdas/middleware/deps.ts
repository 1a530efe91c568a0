import { dynamo } from '#adapters/aws/dynamodb.ts';
import { createBookingsStore } from '#adapters/bookings-store.ts';
import type { EventLogDeps } from '#adapters/event-log.ts';
import type { StateTableDeps } from '#adapters/plan-store.ts';
import type { BookingsPort } from '#domain/tools/types.ts';
import { expiresAt } from '#domain/ttl.ts';
import { type Env, required } from './config.ts';

/*
 * The table wiring every workflow task repeats: which table, which client, how long what it writes
 * lives. Handlers call these per invocation (the event log's expiry is counted from "now").
 */

/** The event log as the tasks append to it. */
export function eventLogDeps(env: Env, now: Date = new Date()): EventLogDeps {
  return {
    client: dynamo,
    tableName: required(env, 'EVENT_LOG_TABLE'),
    stateTable: required(env, 'STATE_TABLE'),
    expiresAt: expiresAt(now, env.EVENT_LOG_TTL_DAYS),
  };
}

/** The state table (plans, step outputs, approvals) as the tasks use it. */
export function stateTableDeps(env: Env): StateTableDeps {
  return { client: dynamo, tableName: required(env, 'STATE_TABLE'), ttlDays: env.WORKFLOW_RECORD_TTL_DAYS };
}

/** The sandbox bookings table, as the travel tools and their compensations use it. */
export function bookingsDeps(env: Env): BookingsPort {
  return createBookingsStore({
    client: dynamo,
    tableName: required(env, 'BOOKINGS_TABLE'),
    ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
  });
}
