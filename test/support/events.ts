import {
  type EventData,
  type NewWorkflowEvent,
  type WorkflowEvent,
  type WorkflowEventType,
  workflowEventSchema,
} from '#domain/schemas.ts';

/**
 * Log events for tests: each type's data filled in with plausible values, overridden by what a test
 * cares about, and validated by the log's own schema (a fixture of the wrong shape fails loudly).
 */
export const sampleData: { readonly [T in WorkflowEventType]: EventData<T> } = {
  GoalReceived: { goal: 'g', context_keys: [], submitted_at: '2026-05-01T10:00:00.000Z' },
  GuardianChecked: { allowed: true, provider: 'offline', model: 'offline-rules', source: 'model' },
  PlanCreated: {
    plan: { steps: [] },
    source: 'planner',
    steps_total: 0,
    provider: 'offline',
    model: 'offline-rules',
  },
  ModelCalled: {
    purpose: 'planner',
    provider: 'offline',
    model: 'offline-rules',
    tokens_in: 0,
    tokens_out: 0,
    latency_ms: 0,
    attempt: 1,
    outcome: 'ok',
  },
  StepStarted: { step_id: 's1', tool: 'book_flight' },
  StepSucceeded: { step_id: 's1', tool: 'book_flight', output: {} },
  StepFailed: {
    step_id: 's1',
    tool: 'book_flight',
    error: { code: 'Error', message: 'failed' },
    retryable: false,
  },
  ApprovalRequested: {
    step_ids: [],
    approvals: [],
    timeout_seconds: 3600,
    expires_at: '2026-05-01T11:00:00.000Z',
  },
  ApprovalGranted: { step_ids: [] },
  ApprovalDenied: { step_ids: [] },
  CancelRequested: { requested_at: '2026-05-01T10:00:00.000Z' },
  CompensationStarted: {
    by: 'catch',
    attempt: '0',
    error: { code: 'Error', message: 'failed' },
    outcome: 'failed',
  },
  StepCompensated: { step_id: 's1', tool: 'book_flight' },
  CompensationFailed: { step_id: 's1', tool: 'book_flight', error: { code: 'Error', message: 'failed' } },
  WorkflowCompleted: { result: null },
  WorkflowFailed: { error: { code: 'Error', message: 'failed' }, compensated: [] },
  WorkflowCancelled: { reason: 'cancelled_by_user', compensated: [] },
  WorkflowRejected: {
    error: { code: 'rejected_by_guardian', message: 'no' },
    category: 'other',
    reason: 'no',
  },
};

/** A stored event of `type`: the sample data with `data` over it; `event_id` defaults to `<type>:<seq>`. */
export function logEvent(
  type: WorkflowEventType,
  data: Record<string, unknown>,
  envelope: { workflow_id: string; seq: number; at: string; event_id?: string },
): WorkflowEvent {
  return workflowEventSchema.parse({
    event_id: `${type}:${envelope.seq}`,
    ...envelope,
    type,
    data: { ...sampleData[type], ...data },
  });
}

/** An event to append: the sample data of `type` with `data` over it. */
export function newEvent(
  eventId: string,
  type: WorkflowEventType,
  data: Record<string, unknown> = {},
): NewWorkflowEvent {
  const envelope = { workflow_id: 'wf_fixture000', seq: 1, at: '', event_id: eventId };
  const { workflow_id: _workflow, seq: _seq, at: _at, ...event } = logEvent(type, data, envelope);
  return event;
}
