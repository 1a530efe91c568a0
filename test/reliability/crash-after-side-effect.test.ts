import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdForKey } from '#domain/idempotency.ts';
import { type Harness, isRecord, startHarness } from '../../lib/local/harness.ts';
import type { FaultAction, FunctionInvocation } from '../../lib/local/lambda.ts';
import {
  auditWorkflow,
  finalStatus,
  queryPartition,
  recordFigure,
  TASK_FUNCTIONS,
  tablesClient,
  workflowIdOf,
} from './support.ts';

/**
 * Reliability case 2: a Lambda that crashes after its side effect and before it returns (the booking
 * is written, the result is lost: Step Functions sees `Lambda.ServiceException` and retries). The
 * retry must find the booking and the stored output, and book nothing a second time.
 */

/** Crash plans per workflow id, invocations per function:workflow:step, and what crashed. */
const crashPlans = new Map<string, (invocation: FunctionInvocation, attempt: number) => boolean>();
const attempts = new Map<string, number>();
const crashed: string[] = [];

function faults(invocation: FunctionInvocation) {
  const event = isRecord(invocation.event) ? invocation.event : {};
  const workflowId = typeof event.workflow_id === 'string' ? event.workflow_id : undefined;
  const plan = workflowId ? crashPlans.get(workflowId) : undefined;
  if (!plan || !TASK_FUNCTIONS.has(invocation.functionName)) return undefined;
  const key = `${invocation.functionName}:${workflowId}:${String(event.step_id ?? '')}`;
  const attempt = (attempts.get(key) ?? 0) + 1;
  attempts.set(key, attempt);
  if (!plan(invocation, attempt)) return undefined;
  crashed.push(key);
  return crashAs.get(workflowId ?? '') ?? ('crash-after' as const);
}

/** Workflows whose crashes surface under another error name than Lambda.ServiceException. */
const crashAs = new Map<string, FaultAction>();

const USER = 'alice-crash';
let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness({ inMemory: true, faults });
  alice = await harness.runtime.token(USER);
});

afterAll(async () => {
  await harness?.cleanup();
});

/** Submits `goal` under `key`; the workflow id is derived from the key, so the crash plan is armed first. */
async function submitWithCrashes(
  goal: string,
  key: string,
  plan: (invocation: FunctionInvocation, attempt: number) => boolean,
): Promise<string> {
  crashPlans.set(workflowIdForKey(USER, key), plan);
  const accepted = await harness.api('POST', '/omnilink-agent', {
    token: alice,
    body: { goal },
    headers: { 'Idempotency-Key': key },
  });
  expect(accepted.status, accepted.text).toBe(202);
  return workflowIdOf(accepted);
}

describe('reliability: a crash after the side effect, before the task returns', () => {
  it('retries book_flight after the crash without a second booking', async () => {
    const id = await submitWithCrashes('Book a flight to NYC', 'crash-book-flight', (invocation, attempt) => {
      const event = isRecord(invocation.event) ? invocation.event : {};
      return invocation.functionName === 'step' && event.step_id === 'book_flight_1' && attempt === 1;
    });
    const status = await finalStatus(harness, id, alice);
    expect(status.status, JSON.stringify(status)).toBe('completed');
    expect(crashed).toContain(`step:${id}:book_flight_1`);
    expect(attempts.get(`step:${id}:book_flight_1`)).toBe(2);

    const client = tablesClient(harness.runtime.dynamoUrl);
    const bookings = await queryPartition(client, harness.runtime.tables.bookings, 'workflow_id', id);
    expect(bookings).toHaveLength(1);
    expect(bookings[0]).toMatchObject({ step_id: 'book_flight_1', kind: 'flight', status: 'booked' });
    const audit = await auditWorkflow(client, harness.runtime.tables, id, 'completed');
    expect(audit.problems).toEqual([]);
    const events = await queryPartition(client, harness.runtime.tables.eventLog, 'workflow_id', id);
    const succeeded = events
      .filter((e) => e.type === 'StepSucceeded')
      .map((e) => (e.data as { step_id: string }).step_id);
    expect(succeeded.sort()).toEqual(['book_flight_1', 'search_flight_1']);
    const execution = await harness.runtime.waitForExecution(id);
    const retried = execution.events.filter(
      (e) => e.type === 'TaskFailed' && JSON.stringify(e).includes('Lambda.ServiceException'),
    );
    expect(retried.length).toBeGreaterThanOrEqual(1);
    await recordFigure('case2-crash-after-book-flight', {
      workflows: 1,
      crashes: 1,
      status: status.status,
      bookings: bookings.length,
      booking_status: bookings[0]?.status,
      step_succeeded_events: succeeded.length,
    });
  });

  it('survives a crash after every task of a two-booking workflow: one booking per step, one event each', async () => {
    const id = await submitWithCrashes(
      'Book a flight to Rome and a hotel in Rome',
      'crash-every-task',
      (_invocation, attempt) => attempt === 1,
    );
    const status = await finalStatus(harness, id, alice);
    expect(status.status, JSON.stringify(status)).toBe('completed');
    const crashes = crashed.filter((key) => key.includes(id));
    // guardian, planner, 4 steps, finalize: each crashed once after doing its work.
    expect(crashes.length).toBeGreaterThanOrEqual(7);

    const client = tablesClient(harness.runtime.dynamoUrl);
    const bookings = await queryPartition(client, harness.runtime.tables.bookings, 'workflow_id', id);
    expect(bookings.map((b) => [b.step_id, b.status]).sort()).toEqual([
      ['book_flight_1', 'booked'],
      ['book_hotel_2', 'booked'],
    ]);
    const audit = await auditWorkflow(client, harness.runtime.tables, id, 'completed');
    expect(audit.problems).toEqual([]);
    const events = await queryPartition(client, harness.runtime.tables.eventLog, 'workflow_id', id);
    const types = events.map((e) => String(e.type));
    for (const type of ['GoalReceived', 'GuardianChecked', 'PlanCreated', 'WorkflowCompleted'])
      expect(
        types.filter((t) => t === type),
        type,
      ).toHaveLength(1);
    expect(types.filter((t) => t === 'StepSucceeded')).toHaveLength(4);
    await recordFigure('case2-crash-after-every-task', {
      workflows: 1,
      crashes: crashes.length,
      status: status.status,
      bookings: bookings.length,
      step_succeeded_events: types.filter((t) => t === 'StepSucceeded').length,
    });
  });

  it('leaves no booking behind when the crash surfaces as an error the ASL does not retry', async () => {
    // Runtime.ExitError: the process died (OOM, exit) after booking. Whatever the state machine
    // does with it (retry, or fail and roll back), the booking must not be orphaned or doubled.
    const key = 'crash-exit-error';
    crashAs.set(workflowIdForKey(USER, key), { kind: 'crash-after', errorName: 'Runtime.ExitError' });
    const id = await submitWithCrashes('Book a flight to NYC', key, (invocation, attempt) => {
      const event = isRecord(invocation.event) ? invocation.event : {};
      return invocation.functionName === 'step' && event.step_id === 'book_flight_1' && attempt === 1;
    });
    const status = await finalStatus(harness, id, alice);
    const client = tablesClient(harness.runtime.dynamoUrl);
    const bookings = await queryPartition(client, harness.runtime.tables.bookings, 'workflow_id', id);
    const audit = await auditWorkflow(client, harness.runtime.tables, id, String(status.status));
    await recordFigure('case2-crash-exit-error', {
      workflows: 1,
      status: status.status,
      error: isRecord(status.error) ? status.error.code : undefined,
      compensated: status.compensated,
      bookings: bookings.map((b) => `${String(b.step_id)}:${String(b.status)}`),
    });
    expect(['completed', 'failed']).toContain(status.status);
    expect(bookings).toHaveLength(1);
    // booked if the workflow completed, cancelled if it was rolled back (auditWorkflow checks both).
    expect(audit.problems).toEqual([]);
  });
});
