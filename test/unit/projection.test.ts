import { describe, expect, it } from 'vitest';
import { type ExecutionDescription, projectStatus } from '#domain/api/status-body.ts';
import { type WorkflowEvent, type WorkflowEventType, workflowEventSchema } from '#domain/schemas.ts';
import { logEvent, sampleData } from '../support/events.ts';

const WF = 'wf_abcdefghijklmnopqrstuvwxyz';
const CREATED = '2026-05-01T10:00:00.000Z';

/** A log from [type, data] pairs: seq 1..n, one second apart (data over test/support's samples). */
function log(...entries: [WorkflowEventType, Record<string, unknown>?][]): WorkflowEvent[] {
  return entries.map(([type, data = {}], i) =>
    logEvent(type, data, {
      workflow_id: WF,
      seq: i + 1,
      event_id: `${type}:${i}`,
      at: new Date(Date.parse(CREATED) + (i + 1) * 1000).toISOString(),
    }),
  );
}

const running: ExecutionDescription = { status: 'RUNNING', startDate: new Date(CREATED) };
const project = (events: WorkflowEvent[], execution: ExecutionDescription | undefined = running) =>
  projectStatus({ workflowId: WF, createdAt: CREATED, events, execution });

const planned = [
  ['GoalReceived', { goal: 'g' }],
  ['PlanCreated', { steps_total: 2, source: 'planner' }],
] as [WorkflowEventType, Record<string, unknown>][];

describe('status projection', () => {
  it('is running with empty progress before anything is logged or started', () => {
    expect(project([], undefined)).toEqual({
      workflow_id: WF,
      status: 'running',
      progress: { steps_total: 0, steps_done: 0 },
      started_at: CREATED,
      updated_at: CREATED,
    });
  });

  it('counts distinct succeeded steps and names the step in flight', () => {
    const body = project(
      log(
        ...planned,
        ['StepStarted', { step_id: 'flight' }],
        ['StepSucceeded', { step_id: 'flight' }],
        ['StepSucceeded', { step_id: 'flight' }],
        ['StepStarted', { step_id: 'hotel' }],
      ),
    );
    expect(body).toMatchObject({
      status: 'running',
      progress: { steps_total: 2, steps_done: 1, current: 'hotel' },
    });
    expect(body.updated_at).toBe('2026-05-01T10:00:06.000Z');
  });

  it('refuses a PlanCreated that lacks steps_total when the log is read', () => {
    const { steps_total: _, ...data } = sampleData.PlanCreated;
    const event = {
      workflow_id: WF,
      seq: 1,
      event_id: 'PlanCreated',
      type: 'PlanCreated',
      at: CREATED,
      data,
    };
    expect(workflowEventSchema.safeParse(event).success).toBe(false);
  });

  it('has no current step once every started step has an outcome', () => {
    const body = project(
      log(
        ...planned,
        ['StepStarted', { step_id: 'a' }],
        ['StepFailed', { step_id: 'a', error: { code: 'x', message: 'y' } }],
      ),
    );
    expect(body.progress).toEqual({ steps_total: 2, steps_done: 0 });
  });

  it('is completed with the result after WorkflowCompleted', () => {
    const body = project(log(...planned, ['WorkflowCompleted', { result: { summary: 'booked' } }]), {
      status: 'SUCCEEDED',
      startDate: new Date(CREATED),
      stopDate: new Date('2026-05-01T10:00:04.000Z'),
    });
    expect(body).toMatchObject({
      status: 'completed',
      result: { summary: 'booked' },
      updated_at: '2026-05-01T10:00:04.000Z',
    });
    expect(body).not.toHaveProperty('error');
  });

  it('is failed with the error and the compensated steps after WorkflowFailed', () => {
    const body = project(
      log(
        ...planned,
        ['StepCompensated', { step_id: 'flight' }],
        [
          'WorkflowFailed',
          { error: { code: 'UnknownDestination', message: 'no such city' }, compensated: ['flight'] },
        ],
      ),
      { status: 'FAILED', error: 'States.TaskFailed' },
    );
    expect(body).toMatchObject({
      status: 'failed',
      error: { code: 'UnknownDestination', message: 'no such city' },
      compensated: ['flight'],
    });
  });

  it('is cancelled with the compensated steps after WorkflowCancelled', () => {
    const body = project(log(...planned, ['WorkflowCancelled', { reason: 'user', compensated: ['b', 'a'] }]));
    expect(body).toMatchObject({ status: 'cancelled', compensated: ['b', 'a'] });
  });

  it('is rejected with the error after WorkflowRejected', () => {
    const body = project(
      log(
        ['GoalReceived', {}],
        ['WorkflowRejected', { error: { code: 'rejected_by_guardian', message: 'no' }, reason: 'x' }],
      ),
    );
    expect(body).toMatchObject({
      status: 'rejected',
      error: { code: 'rejected_by_guardian', message: 'no' },
    });
  });

  it('lets the terminal event win over a stale execution status', () => {
    expect(project(log(...planned, ['WorkflowCompleted', { result: 1 }]), running).status).toBe('completed');
  });

  it('is waiting while an approval has no answer, and running again once granted', () => {
    const asked = log(...planned, ['ApprovalRequested', { step_ids: ['approve_flight'] }]);
    expect(project(asked).status).toBe('waiting');
    const granted = log(
      ...planned,
      ['ApprovalRequested', { step_ids: ['approve_flight'] }],
      ['ApprovalGranted', { step_ids: ['approve_flight'] }],
    );
    expect(project(granted).status).toBe('running');
  });

  it('keeps waiting while another parallel approval is still open', () => {
    const events = log(
      ['ApprovalRequested', { step_ids: ['a'] }],
      ['ApprovalRequested', { step_ids: ['b'] }],
      ['ApprovalDenied', { step_ids: ['a'] }],
    );
    expect(project(events).status).toBe('waiting');
  });

  it('is failed with the execution error when the execution failed without a terminal event', () => {
    expect(project(log(...planned), { status: 'FAILED', error: 'States.Runtime' })).toMatchObject({
      status: 'failed',
      error: { code: 'States.Runtime' },
    });
    expect(project(log(...planned), { status: 'FAILED' }).error?.code).toBe('ExecutionFailed');
  });

  it('is failed and redrivable when a task was killed past its timeout or out of memory (Lambda.Unknown)', () => {
    for (const error of ['Lambda.Unknown', 'Sandbox.Timedout']) {
      expect(project(log(...planned), { status: 'FAILED', error })).toMatchObject({
        status: 'failed',
        error: { code: error },
        redrivable: true,
      });
    }
  });

  it('is failed with ExecutionTimedOut when the execution timed out', () => {
    expect(project(log(...planned), { status: 'TIMED_OUT' }).error?.code).toBe('ExecutionTimedOut');
  });

  it('is cancelled when the execution was aborted', () => {
    expect(
      project(log(...planned, ['StepCompensated', { step_id: 'x' }]), { status: 'ABORTED' }),
    ).toMatchObject({
      status: 'cancelled',
      compensated: ['x'],
    });
  });

  it('is still running when the execution succeeded but its last event is not readable yet', () => {
    expect(project(log(...planned), { status: 'SUCCEEDED' }).status).toBe('running');
  });

  it('is running again when a failed workflow was redriven after its WorkflowFailed', () => {
    const events = log(...planned, [
      'WorkflowFailed',
      { error: { code: 'E', message: 'm' }, compensated: [] },
    ]);
    const redriven = {
      status: 'RUNNING',
      startDate: new Date(CREATED),
      redriveDate: new Date('2026-05-01T11:00:00.000Z'),
    };
    expect(project(events, redriven)).toMatchObject({
      status: 'running',
      updated_at: '2026-05-01T11:00:00.000Z',
    });
  });

  it('never says started_at after updated_at', () => {
    const body = project(log(...planned), {
      status: 'RUNNING',
      startDate: new Date('2026-05-01T09:59:59.000Z'),
    });
    expect(body.started_at <= body.updated_at).toBe(true);
    expect(body.started_at).toBe('2026-05-01T09:59:59.000Z');
  });

  it('stays running while a claimed rollback has not recorded its terminal event, whatever the execution says', () => {
    const events = log(...planned, ['CompensationStarted', { by: 'janitor', attempt: '0' }]);
    const claim = events.at(-1);
    if (claim) claim.event_id = 'CompensationStarted';
    for (const execution of [
      running,
      { status: 'FAILED', error: 'TypeError', startDate: new Date(CREATED) },
      { status: 'ABORTED', startDate: new Date(CREATED) },
    ] as ExecutionDescription[]) {
      const status = project(events, execution);
      expect(status.status).toBe('running');
      expect(status.error).toBeUndefined();
    }
  });
});
