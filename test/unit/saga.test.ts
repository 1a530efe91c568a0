import { describe, expect, it } from 'vitest';
import { compensatedSteps, describeStateError, hasTerminalEvent, stepsToCompensate } from '#domain/saga.ts';
import type { WorkflowEvent } from '#domain/schemas.ts';
import { logEvent } from '../support/events.ts';

let seq = 0;
const ev = (type: WorkflowEvent['type'], step_id?: string, tool = 'book_flight'): WorkflowEvent =>
  logEvent(type, step_id ? { step_id, tool } : {}, {
    workflow_id: 'wf_sagaunit00001',
    seq: ++seq,
    event_id: `${type}:${step_id ?? ''}`,
    at: '2026-11-25T17:00:00.000Z',
  });

describe('saga bookkeeping', () => {
  it('undoes succeeded and in-flight steps in reverse order of completion, skipping failed and compensated ones', () => {
    seq = 0;
    const log = [
      ev('PlanCreated'),
      ev('StepStarted', 'a'),
      ev('StepStarted', 'b'),
      ev('StepStarted', 'c'),
      ev('StepSucceeded', 'b'),
      ev('StepSucceeded', 'a'),
      ev('StepStarted', 'd'), // in flight: no outcome
      ev('StepStarted', 'e'),
      ev('StepFailed', 'e'),
      ev('StepSucceeded', 'c'),
      ev('StepCompensated', 'c'),
    ];
    expect(stepsToCompensate(log).map((s) => s.step_id)).toEqual(['d', 'a', 'b']);
    expect(compensatedSteps(log)).toEqual(['c']);
  });

  it('knows terminal events', () => {
    expect(hasTerminalEvent([ev('StepStarted', 'a')])).toBe(false);
    expect(hasTerminalEvent([ev('WorkflowCompleted')])).toBe(true);
    expect(hasTerminalEvent([ev('WorkflowRejected')])).toBe(true);
  });

  it('reads the original error from a Lambda JSON cause', () => {
    expect(
      describeStateError({
        Error: 'UnknownDestination',
        Cause: JSON.stringify({
          errorType: 'UnknownDestination',
          errorMessage: 'city "Atlantis" is unknown',
          trace: [],
        }),
      }),
    ).toEqual({ code: 'UnknownDestination', message: 'city "Atlantis" is unknown' });
  });

  it('reads the specific code a WorkflowError carries in its message (Lambda cause or plain text)', () => {
    expect(
      describeStateError({
        Error: 'WorkflowError',
        Cause: JSON.stringify({
          errorType: 'WorkflowError',
          errorMessage: 'UnknownDestination: city "Atlantis" is unknown',
          trace: [],
        }),
      }),
    ).toEqual({ code: 'UnknownDestination', message: 'city "Atlantis" is unknown' });
    expect(
      describeStateError({ Error: 'WorkflowError', Cause: 'ApprovalDenied: The user denied the approval.' }),
    ).toEqual({ code: 'ApprovalDenied', message: 'The user denied the approval.' });
    expect(
      describeStateError({
        Error: 'States.TaskFailed',
        Cause: JSON.stringify({ errorType: 'WorkflowError', errorMessage: 'PlanInvalid: a: b' }),
      }),
    ).toEqual({ code: 'PlanInvalid', message: 'a: b' });
    // A WorkflowError without a code stays readable.
    expect(describeStateError({ Error: 'WorkflowError', Cause: 'something broke' })).toEqual({
      code: 'WorkflowError',
      message: 'something broke',
    });
  });

  it('takes the errorType when the Error is generic', () => {
    expect(
      describeStateError({
        Error: 'States.TaskFailed',
        Cause: JSON.stringify({ errorType: 'PlanInvalid', errorMessage: 'bad' }),
      }),
    ).toEqual({ code: 'PlanInvalid', message: 'bad' });
  });

  it('keeps a plain-text cause, an absent cause and an absent error readable', () => {
    expect(describeStateError({ Error: 'States.Timeout', Cause: 'Task timed out' })).toEqual({
      code: 'States.Timeout',
      message: 'Task timed out',
    });
    expect(describeStateError({ Error: 'States.Timeout' })).toEqual({
      code: 'States.Timeout',
      message: 'States.Timeout',
    });
    expect(describeStateError(undefined).code).toBe('WorkflowError');
    expect(describeStateError({ Error: 'X', Cause: 'y'.repeat(2000) }).message.length).toBeLessThanOrEqual(
      500,
    );
  });
});
