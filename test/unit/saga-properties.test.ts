import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../lambdas/domain/projection.ts';
import { janitorDecision, stepsToCompensate } from '../../lambdas/domain/saga.ts';
import type { WorkflowEvent } from '../../lambdas/domain/schemas.ts';
import { logEvent } from '../support/events.ts';

/**
 * Compensation order as properties over arbitrary logs: completed steps are undone in reverse order
 * of completion, steps started without an outcome ("maybe") first, failed steps and already-undone
 * steps never, and each step at most once. Plus the janitor's decision table.
 */

const ID = 'wf_propertytest0001';

type Outcome = 'succeeded' | 'failed' | 'inflight';
interface StepRun {
  readonly id: string;
  readonly outcome: Outcome;
  readonly compensated: boolean;
}

/** A log in which each step starts, then (in a shuffled order) finishes or not. */
function logOf(runs: readonly StepRun[], finishOrder: readonly number[]): WorkflowEvent[] {
  const events: [WorkflowEvent['type'], string][] = [];
  const push = (type: WorkflowEvent['type'], stepId: string) => events.push([type, stepId]);
  for (const run of runs) push('StepStarted', run.id);
  for (const index of finishOrder) {
    const run = runs[index];
    if (!run || run.outcome === 'inflight') continue;
    push(run.outcome === 'succeeded' ? 'StepSucceeded' : 'StepFailed', run.id);
  }
  for (const run of runs) if (run.compensated && run.outcome === 'succeeded') push('StepCompensated', run.id);
  return events.map(([type, stepId], i) =>
    logEvent(
      type,
      { step_id: stepId, tool: 'book_flight' },
      { workflow_id: ID, seq: i + 1, event_id: `${type}:${stepId}`, at: '2026-01-01T00:00:00.000Z' },
    ),
  );
}

const runsArb = fc
  .uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 })
  .chain((ids) =>
    fc.tuple(
      fc.tuple(
        ...ids.map((n) =>
          fc.record({
            id: fc.constant(`step_${n}`),
            outcome: fc.constantFrom<Outcome>('succeeded', 'failed', 'inflight'),
            compensated: fc.boolean(),
          }),
        ),
      ),
      fc.shuffledSubarray(
        ids.map((_, i) => i),
        { minLength: ids.length, maxLength: ids.length },
      ),
    ),
  );

describe('compensation order (properties)', () => {
  it('undoes each step at most once, never a failed or already-compensated one', () => {
    fc.assert(
      fc.property(runsArb, ([runs, order]) => {
        const todo = stepsToCompensate(logOf(runs, order)).map((s) => s.step_id);
        expect(new Set(todo).size).toBe(todo.length);
        for (const run of runs) {
          const expected = run.outcome === 'inflight' || (run.outcome === 'succeeded' && !run.compensated);
          expect(todo.includes(run.id)).toBe(expected);
        }
      }),
    );
  });

  it('undoes steps without an outcome first, then completed ones in reverse order of completion', () => {
    fc.assert(
      fc.property(runsArb, ([runs, order]) => {
        const log = logOf(runs, order);
        const todo = stepsToCompensate(log).map((s) => s.step_id);
        const inflight = runs.filter((r) => r.outcome === 'inflight').map((r) => r.id);
        // "Maybe" steps first (most recently started first).
        expect(todo.slice(0, inflight.length).sort()).toEqual([...inflight].sort());
        const completed = log
          .filter((e) => e.type === 'StepSucceeded')
          .map((e) => String(e.data.step_id))
          .filter((id) => !runs.find((r) => r.id === id)?.compensated);
        expect(todo.slice(inflight.length)).toEqual([...completed].reverse());
      }),
    );
  });

  it('a replay after some compensations continues with the rest, in the same order', () => {
    fc.assert(
      fc.property(runsArb, fc.nat(), ([runs, order], cut) => {
        const log = logOf(
          runs.map((r) => ({ ...r, compensated: false })),
          order,
        );
        const full = stepsToCompensate(log).map((s) => s.step_id);
        const done = full.slice(0, full.length === 0 ? 0 : cut % (full.length + 1));
        const replayLog = [
          ...log,
          ...done.map((stepId, i) =>
            logEvent(
              'StepCompensated',
              { step_id: stepId, tool: 'book_flight' },
              {
                workflow_id: ID,
                seq: log.length + i + 1,
                event_id: `StepCompensated:${stepId}`,
                at: '2026-01-01T00:00:01.000Z',
              },
            ),
          ),
        ];
        expect(stepsToCompensate(replayLog).map((s) => s.step_id)).toEqual(full.slice(done.length));
      }),
    );
  });
});

const event = (
  seq: number,
  type: WorkflowEvent['type'],
  data: Record<string, unknown> = {},
  eventId: string = type,
): WorkflowEvent =>
  logEvent(type, data, { workflow_id: ID, seq, event_id: eventId, at: '2026-01-01T00:00:00.000Z' });

describe('janitor decision', () => {
  const started = [
    event(1, 'GoalReceived'),
    event(2, 'StepStarted', { step_id: 'a', tool: 't' }, 'StepStarted:a'),
  ];

  it('does nothing once the log has a terminal event', () => {
    expect(
      janitorDecision('ABORTED', undefined, undefined, foldEvents([...started, event(3, 'WorkflowFailed')])),
    ).toEqual({
      action: 'none',
      why: 'finished',
    });
  });

  it('rolls back a stopped execution as cancelled (execution_aborted)', () => {
    expect(janitorDecision('ABORTED', undefined, undefined, foldEvents(started))).toMatchObject({
      action: 'rollback',
      outcome: 'cancelled',
      error: { code: 'execution_aborted' },
    });
  });

  it('rolls back a timed-out execution as failed (ExecutionTimedOut)', () => {
    expect(janitorDecision('TIMED_OUT', 'States.Timeout', undefined, foldEvents(started))).toMatchObject({
      action: 'rollback',
      outcome: 'failed',
      error: { code: 'ExecutionTimedOut' },
    });
  });

  it('leaves a transient failure redrivable, unless the user asked to cancel', () => {
    expect(janitorDecision('FAILED', 'TransientError', 'x', foldEvents(started))).toEqual({
      action: 'none',
      why: 'redrivable',
    });
    expect(janitorDecision('FAILED', 'Lambda.ServiceException', 'x', foldEvents(started))).toMatchObject({
      action: 'none',
    });
    // A task killed past its timeout or out of memory: Step Functions says Lambda.Unknown.
    const killed = 'The cause could not be determined because Lambda did not return an error type.';
    expect(janitorDecision('FAILED', 'Lambda.Unknown', killed, foldEvents(started))).toEqual({
      action: 'none',
      why: 'redrivable',
    });
    expect(
      janitorDecision('FAILED', 'TransientError', 'x', foldEvents([...started, event(3, 'CancelRequested')])),
    ).toMatchObject({ action: 'rollback', outcome: 'cancelled', error: { code: 'cancelled_by_user' } });
  });

  it('rolls back any other failure (a bug, States.Runtime) as failed with its error', () => {
    const cause = JSON.stringify({ errorType: 'TypeError', errorMessage: 'x is not a function' });
    expect(janitorDecision('FAILED', 'TypeError', cause, foldEvents(started))).toEqual({
      action: 'rollback',
      outcome: 'failed',
      error: { code: 'TypeError', message: 'x is not a function' },
    });
    expect(janitorDecision('FAILED', 'States.Runtime', 'bad path', foldEvents(started))).toMatchObject({
      action: 'rollback',
      error: { code: 'States.Runtime' },
    });
  });

  it("leaves a live Catch saga's rollback alone, but finishes one whose execution then failed", () => {
    const claimed = [...started, event(3, 'CompensationStarted', { by: 'catch', attempt: '0' })];
    expect(foldEvents(claimed).rollback).toEqual({ by: 'catch', attempt: '0' });
    expect(janitorDecision('ABORTED', undefined, undefined, foldEvents(claimed))).toEqual({
      action: 'none',
      why: 'owned_elsewhere',
    });
    expect(janitorDecision('FAILED', 'TransientError', 'x', foldEvents(claimed))).toMatchObject({
      action: 'rollback',
      outcome: 'failed',
    });
  });
});
