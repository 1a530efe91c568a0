import { defaultToolRegistry, type ToolRegistry } from '#domain/tools/registry.ts';
import type { CompensateDeps } from '#usecases/roll-back.ts';
import { bookingsDeps, eventLogDeps, stateTableDeps } from './deps.ts';
import type { EnvOf, WORKFLOW_LOG_ENV } from './env.ts';

/*
 * The wiring of the functions that roll workflows back, in a module of its own so that the other
 * tasks do not bundle the tool registry.
 */

let undoTools: ToolRegistry | undefined;

/**
 * What a rollback runs on (the saga state, the janitor, the rollback sweep): the tables, and tools
 * wired to no model and no fetch, since only bookings have an undo.
 */
export function rollBackDeps(
  env: EnvOf<(typeof WORKFLOW_LOG_ENV)[number] | 'BOOKINGS_TABLE'>,
  now: Date = new Date(),
): CompensateDeps {
  undoTools ??= defaultToolRegistry();
  return {
    events: eventLogDeps(env, now),
    state: stateTableDeps(env),
    bookings: bookingsDeps(env),
    tools: undoTools,
  };
}
