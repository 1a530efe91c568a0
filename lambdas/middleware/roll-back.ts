import type { ToolRegistry } from '#domain/tools/registry.ts';
import type { CompensateDeps } from '#usecases/roll-back.ts';
import { bookingsDeps, eventLogDeps, stateTableDeps } from './deps.ts';
import type { EnvOf, WORKFLOW_LOG_ENV } from './env.ts';

/*
 * The wiring of the functions that roll workflows back, in a module of its own so that the other
 * tasks do not bundle the tool registry.
 */

let undoTools: Promise<ToolRegistry> | undefined;

/**
 * The tool registry, wired to no model and no fetch (only bookings have an undo), loaded at the first
 * rollback with a step to undo: the bundle keeps the tools' modules (their ~170 schemas, the catalog
 * index) uninitialized until then, since a dynamic import of a bundled module is a lazy one.
 */
function loadUndoTools(): Promise<ToolRegistry> {
  undoTools ??= import('#domain/tools/registry.ts').then(({ defaultToolRegistry }) => defaultToolRegistry());
  return undoTools;
}

/** What a rollback runs on (the saga state, the janitor, the rollback sweep): the tables and the undo tools. */
export function rollBackDeps(
  env: EnvOf<(typeof WORKFLOW_LOG_ENV)[number] | 'BOOKINGS_TABLE'>,
  now: Date = new Date(),
): CompensateDeps {
  return {
    events: eventLogDeps(env, now),
    state: stateTableDeps(env),
    bookings: bookingsDeps(env),
    tools: loadUndoTools,
  };
}
