import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpError, NamedError, TransientError } from '../../lambdas/domain/errors.ts';
import { describeStateError, TRANSIENT_EXECUTION_ERRORS } from '../../lambdas/domain/saga.ts';
import {
  STATE_RETRIED_ERRORS,
  taskFailure,
  toStateError,
  WORKFLOW_ERROR,
  WorkflowError,
} from '../../lambdas/domain/task-errors.ts';

/**
 * One error vocabulary: every domain error a workflow task can throw reaches Step Functions as
 * `WorkflowError` (its code in the message), which every task's Catch takes to the saga; transient
 * failures are `TransientError`, retried by every task's one Retry policy and, once the retries are
 * spent, left uncaught so the execution can be redriven. A new NamedError class in lambdas/ is covered
 * by construction; one the mapping missed fails here instead of silently falling through the Catch.
 */

const root = new URL('../..', import.meta.url).pathname;
const asl = JSON.parse(readFileSync(join(root, 'statemachines/workflow.asl.json'), 'utf8'));

type Retrier = { ErrorEquals: string[] } & Record<string, unknown>;
type State = {
  Type: string;
  Retry?: Retrier[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  ItemProcessor?: { States: Record<string, State> };
};
const states: Record<string, State> = asl.States;
const ROLLBACK = 'Roll back completed steps';
const APPROVAL = 'Wait for approval';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every NamedError subclass exported by a module of lambdas/ that declares one (by import, not regex). */
async function namedErrorClasses(): Promise<(new (...args: never[]) => NamedError)[]> {
  const classes = new Set<new (...args: never[]) => NamedError>();
  for (const file of sources(join(root, 'lambdas'))) {
    if (!readFileSync(file, 'utf8').includes('extends NamedError')) continue;
    const module: Record<string, unknown> = await import(file);
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && value.prototype instanceof NamedError) {
        classes.add(value as new (...args: never[]) => NamedError);
      }
    }
  }
  return [...classes];
}

/** Codes the API fails a callback task with (SendTaskFailure through `taskFailure`). */
function taskFailureCodes(): string[] {
  return sources(join(root, 'lambdas')).flatMap((file) =>
    [
      ...readFileSync(file, 'utf8').matchAll(
        /(?:sendTaskFailure\(\s*[\w.]+,\s*[\w.]+,|\btaskFailure\()\s*'([A-Za-z.]+)'/g,
      ),
    ].map((m) => m[1] ?? ''),
  );
}

const runStep = states['Run ready steps']?.ItemProcessor?.States['Run step'];
/** The states whose failures end the workflow: each top-level Task and the Map (its iterations' errors). */
const guarded = Object.entries(states).filter(
  ([name, s]) => (s.Type === 'Task' || s.Type === 'Map') && name !== ROLLBACK,
);
/** Every task that invokes a function, but the rollback: Run step (inside the Map) included. */
const tasks = [...guarded.filter(([, s]) => s.Type === 'Task'), ['Run step', runStep] as const];

/** What a Lambda task's Catch receives when the function throws `error` (the Node runtime's Cause). */
function caughtAs(error: Error) {
  return {
    Error: error.name,
    Cause: JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }),
  };
}

describe('one error vocabulary', () => {
  it('finds the NamedError classes of lambdas/ (sanity)', async () => {
    const names = (await namedErrorClasses()).map((c) => c.name);
    for (const name of ['UnknownDestination', 'TransientError', 'FetchFailed', 'ModelOutputInvalid']) {
      expect(names).toContain(name);
    }
    expect(taskFailureCodes().sort()).toEqual(['ApprovalDenied', 'WorkflowCancelled']);
  });

  it('maps every domain error class to WorkflowError, its code read back by describeStateError', async () => {
    const domain = (await namedErrorClasses()).filter(
      (c) => c !== TransientError && c !== HttpError && c !== WorkflowError,
    );
    // The 18 names the ASL used to list, but ApprovalDenied (a SendTaskFailure code, below).
    expect(domain.map((c) => c.name).sort()).toEqual(
      expect.arrayContaining([
        'UnknownDestination',
        'InvalidStepInput',
        'InvalidTaskInput',
        'PlanInvalid',
        'WorkflowStateMissing',
      ]),
    );
    expect(domain.length).toBeGreaterThanOrEqual(17);
    for (const ErrorClass of domain) {
      // (message, options): every domain error's constructor; the options fit the ones that need some.
      const original = Reflect.construct(ErrorClass, ['boom', { reason: 'empty', code: 'x' }]) as NamedError;
      const mapped = toStateError(original);
      expect(mapped, ErrorClass.name).toBeInstanceOf(WorkflowError);
      expect(mapped).toMatchObject({ name: WORKFLOW_ERROR, code: original.name });
      expect(describeStateError(caughtAs(mapped as Error))).toEqual({ code: original.name, message: 'boom' });
    }
  });

  it('reads the code of a callback task failed by the API (SendTaskFailure, plain-text cause)', () => {
    for (const code of taskFailureCodes()) {
      const { error, cause } = taskFailure(code, 'why');
      expect(error).toBe(WORKFLOW_ERROR);
      expect(describeStateError({ Error: error, Cause: cause })).toEqual({ code, message: 'why' });
    }
  });

  it('maps transient failures to TransientError and leaves bugs alone', () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $retryable: { throttling: true },
    });
    expect(toStateError(throttled)).toMatchObject({
      name: 'TransientError',
      message: 'ThrottlingException: Rate exceeded',
    });
    const transient = new TransientError('later');
    expect(toStateError(transient)).toBe(transient);
    const bug = new TypeError('x is undefined');
    expect(toStateError(bug)).toBe(bug);
    expect(toStateError(new HttpError(400, 'invalid_request', 'no'))).toMatchObject({ name: 'HttpError' });
  });

  it('never counts the domain name as transient (the janitor rolls it back, the projection does not offer redrive)', () => {
    expect(TRANSIENT_EXECUTION_ERRORS.has(WORKFLOW_ERROR)).toBe(false);
    for (const name of STATE_RETRIED_ERRORS) expect(TRANSIENT_EXECUTION_ERRORS.has(name)).toBe(true);
  });
});

describe('ASL error handling', () => {
  it.each(guarded)('"%s" catches WorkflowError only and rolls back', (name, state) => {
    expect(state.Catch).toEqual([
      {
        ErrorEquals: name === APPROVAL ? [WORKFLOW_ERROR, 'States.Timeout'] : [WORKFLOW_ERROR],
        ResultPath: '$.error',
        Next: ROLLBACK,
      },
    ]);
  });

  it('retries transient errors with one policy, the same on every task (Run step included)', () => {
    const [first] = tasks;
    const policy = first?.[1]?.Retry;
    expect(policy).toHaveLength(1);
    expect(policy?.[0]?.ErrorEquals).toEqual(STATE_RETRIED_ERRORS);
    expect(policy?.[0]?.ErrorEquals).not.toContain(WORKFLOW_ERROR);
    for (const [name, state] of tasks) expect(state?.Retry, name).toEqual(policy);
  });

  it('keeps the rollback itself retried on everything (it must not be given up lightly)', () => {
    const rollback = states[ROLLBACK];
    expect(rollback?.Retry?.flatMap((r) => r.ErrorEquals)).toContain('States.ALL');
    expect(rollback?.Catch).toBeUndefined();
  });
});
