import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOMAIN_ERRORS, TRANSIENT_EXECUTION_ERRORS } from '../../lambdas/domain/saga.ts';
import { RETRIED_ERROR_NAMES } from '../../lambdas/domain/task-errors.ts';

/**
 * Every error a workflow task can throw is either retried (and, once the retries are spent, left
 * uncaught so the execution can be redriven) or caught and rolled back — a new named error class in
 * lambdas/ that is in neither list fails here instead of silently falling through the Catch.
 */

const root = new URL('../..', import.meta.url).pathname;
const asl = JSON.parse(readFileSync(join(root, 'statemachines/workflow.asl.json'), 'utf8'));

type State = {
  Type: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: { States: Record<string, State> };
};
const states: Record<string, State> = asl.States;
const ROLLBACK = 'Roll back completed steps';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Error names thrown in lambdas/: NamedError subclasses, `this.name = '…'`, and SendTaskFailure errors. */
function thrownErrorNames(): Set<string> {
  const names = new Set<string>();
  for (const file of sources(join(root, 'lambdas'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/extends NamedError\s*\{[\s\S]*?super\(\s*'([A-Za-z.]+)'/g))
      names.add(m[1] ?? '');
    for (const m of text.matchAll(/new NamedError\(\s*'([A-Za-z.]+)'/g)) names.add(m[1] ?? '');
    for (const m of text.matchAll(/this\.name = '([A-Za-z.]+)'/g)) names.add(m[1] ?? '');
    for (const m of text.matchAll(/SendTaskFailureCommand\(\{[\s\S]*?error: '([A-Za-z.]+)'/g))
      names.add(m[1] ?? '');
  }
  names.delete('');
  return names;
}

/** Errors that never reach a workflow task: HTTP-only answers. */
const NOT_TASK_ERRORS = new Set(['HttpError']);

const catchesOf = (state: State) => (state.Catch ?? []).flatMap((c) => c.ErrorEquals);
const retriesOf = (state: State) => (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
const runStep = states['Run ready steps']?.ItemProcessor?.States['Run step'];
/** The states whose failures end the workflow: each top-level Task and the Map (its iterations' errors). */
const guarded = Object.entries(states).filter(
  ([name, s]) => (s.Type === 'Task' || s.Type === 'Map') && name !== ROLLBACK,
);

describe('ASL error coverage', () => {
  const thrown = thrownErrorNames();

  it('finds the named errors of lambdas/ (sanity)', () => {
    for (const name of [
      'UnknownDestination',
      'TransientError',
      'WorkflowCancelled',
      'FetchFailed',
      'ApprovalDenied',
    ]) {
      expect(thrown).toContain(name);
    }
  });

  it('classifies every named error thrown in lambdas/ as retried or caught, never both', () => {
    const unclassified = [...thrown].filter(
      (name) =>
        !NOT_TASK_ERRORS.has(name) && !DOMAIN_ERRORS.includes(name) && !TRANSIENT_EXECUTION_ERRORS.has(name),
    );
    expect(unclassified).toEqual([]);
    expect(DOMAIN_ERRORS.filter((name) => TRANSIENT_EXECUTION_ERRORS.has(name))).toEqual([]);
  });

  it.each(guarded)('"%s" catches every domain error and nothing else (no States.ALL)', (_name, state) => {
    const caught = catchesOf(state);
    expect(caught).not.toContain('States.ALL');
    expect(caught).not.toContain('States.TaskFailed');
    for (const name of DOMAIN_ERRORS) expect(caught).toContain(name);
    for (const name of caught)
      expect(TRANSIENT_EXECUTION_ERRORS.has(name) && name !== 'States.Timeout').toBe(false);
    for (const c of state.Catch ?? []) expect(c.Next).toBe(ROLLBACK);
  });

  it('catches States.Timeout only on the approval wait (an approval that times out ends cancelled)', () => {
    for (const [name, state] of guarded) {
      expect(catchesOf(state).includes('States.Timeout')).toBe(name === 'Wait for approval');
    }
  });

  it('retries every transient error name the tasks throw, on every task (Run step included)', () => {
    const tasks = [...guarded.filter(([, s]) => s.Type === 'Task').map(([, s]) => s), runStep];
    for (const state of tasks) {
      expect(state).toBeDefined();
      const retried = retriesOf(state ?? { Type: 'Task' });
      for (const name of RETRIED_ERROR_NAMES) expect(retried).toContain(name);
      for (const name of retried) expect(TRANSIENT_EXECUTION_ERRORS.has(name)).toBe(true);
      for (const name of DOMAIN_ERRORS) expect(retried).not.toContain(name);
    }
  });

  it('keeps the rollback itself retried on everything (it must not be given up lightly)', () => {
    const rollback = states[ROLLBACK];
    expect(rollback && retriesOf(rollback)).toContain('States.ALL');
    expect(rollback?.Catch).toBeUndefined();
  });
});
