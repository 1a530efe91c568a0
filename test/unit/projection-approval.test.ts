import { describe, expect, it } from 'vitest';
import { projectStatus } from '#domain/api/status-body.ts';
import type { WorkflowEvent, WorkflowEventType } from '#domain/schemas.ts';
import { logEvent } from '../support/events.ts';

const WF = 'wf_projectionApproval01';
const RUNNING = { status: 'RUNNING', startDate: new Date('2026-11-25T17:00:00.000Z') };

function log(...entries: [WorkflowEventType, Record<string, unknown>][]): WorkflowEvent[] {
  return entries.map(([type, data], i) =>
    logEvent(type, data, {
      workflow_id: WF,
      seq: i + 1,
      event_id: `${type}:${i}`,
      at: `2026-11-25T17:00:0${i % 10}.000Z`,
    }),
  );
}

const planned: [WorkflowEventType, Record<string, unknown>][] = [
  ['GoalReceived', {}],
  ['PlanCreated', { steps_total: 3 }],
  ['StepStarted', { step_id: 'search_flight_1', tool: 'search_flights' }],
  ['StepSucceeded', { step_id: 'search_flight_1', tool: 'search_flights' }],
  ['StepStarted', { step_id: 'approve_flight_1', tool: 'human_approval' }],
  ['ApprovalRequested', { step_ids: ['approve_flight_1'] }],
];

const status = (events: WorkflowEvent[]) =>
  projectStatus({ workflowId: WF, createdAt: '2026-11-25T17:00:00.000Z', events, execution: RUNNING });

describe('status projection: approvals and cancel', () => {
  it('is waiting while an approval is requested and unanswered, with the approval step as current', () => {
    expect(status(log(...planned))).toMatchObject({
      status: 'waiting',
      progress: { steps_total: 3, steps_done: 1, current: 'approve_flight_1' },
    });
  });

  it('is running again once the approval is granted', () => {
    const events = log(
      ...planned,
      ['ApprovalGranted', { step_ids: ['approve_flight_1'] }],
      ['StepSucceeded', { step_id: 'approve_flight_1', tool: 'human_approval' }],
    );
    expect(status(events)).toMatchObject({ status: 'running', progress: { steps_done: 2 } });
  });

  it('waits until every step of a multi-step approval is answered', () => {
    const events = log(
      ['ApprovalRequested', { step_ids: ['a', 'b'] }],
      ['ApprovalGranted', { step_ids: ['a'] }],
    );
    expect(status(events).status).toBe('waiting');
  });

  it('is cancelled with the compensated steps once WorkflowCancelled is recorded', () => {
    const events = log(
      ...planned,
      ['CancelRequested', {}],
      ['StepFailed', { step_id: 'approve_flight_1', tool: 'human_approval' }],
      ['WorkflowCancelled', { reason: 'cancelled_by_user', compensated: ['book_flight_1'] }],
    );
    expect(status(events)).toMatchObject({ status: 'cancelled', compensated: ['book_flight_1'] });
  });
});
