import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { appendEvent } from '../../lambdas/adapters/event-log.ts';
import { ROLLBACK_CLAIM_EVENT_ID } from '../../lambdas/domain/saga.ts';
import { handler as compensate } from '../../lambdas/handlers/states/compensate.ts';
import { handler as finalize } from '../../lambdas/handlers/states/finalize.ts';
import { handler as guardian } from '../../lambdas/handlers/states/guardian.ts';
import { handler as planner } from '../../lambdas/handlers/states/planner.ts';
import { handler as step } from '../../lambdas/handlers/states/step.ts';
import { eventLogDeps } from '../../lambdas/middleware/deps.ts';
import {
  eventTrail,
  installFakeDynamo,
  lambdaContext,
  simulateWorkflow,
  storedEvents,
  TABLES,
} from './harness.ts';

vi.hoisted(() => {
  process.env.EVENT_LOG_TABLE = 'test-events';
  process.env.STATE_TABLE = 'test-state';
  process.env.BOOKINGS_TABLE = 'test-bookings';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const fake = installFakeDynamo();
const handlers = { guardian, planner, step, finalize, compensate };
const input = (workflow_id: string, goal: string, context: Record<string, unknown> = {}) => ({
  workflow_id,
  user_id: 'alice',
  goal,
  context,
  submitted_at: '2026-11-25T17:00:00.000Z',
});

beforeEach(() => fake.reset());

describe('step task', () => {
  it('HappyPath: "Book a flight to NYC" runs search then booking and completes with a confirmation code', async () => {
    const id = 'wf_happypath0001';
    const run = await simulateWorkflow(handlers, input(id, 'Book a flight to NYC'));
    expect(run.outcome).toBe('completed');
    expect(run.waves).toEqual([['search_flight_1'], ['book_flight_1']]);
    expect(eventTrail(fake, id)).toEqual([
      'GoalReceived',
      'ModelCalled',
      'GuardianChecked',
      'ModelCalled',
      'PlanCreated',
      'StepStarted:search_flight_1',
      'StepSucceeded:search_flight_1',
      'StepStarted:book_flight_1',
      'StepSucceeded:book_flight_1',
      'WorkflowCompleted',
    ]);
    const [booking] = fake.items(TABLES.bookings);
    expect(booking).toMatchObject({
      workflow_id: id,
      step_id: 'book_flight_1',
      kind: 'flight',
      city: 'NYC',
      status: 'booked',
    });
    expect(booking?.confirmation_code).toMatch(/^OMN-[A-Z2-9]{6}$/);
    expect(fake.mock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLES.bookings,
      ConditionExpression: expect.stringContaining('attribute_not_exists(step_id)'),
    });
  });

  it('runs independent requests in one wave, and every iteration of the wave returns the same schedule', async () => {
    const id = 'wf_parallelwave01';
    const run = await simulateWorkflow(
      handlers,
      input(id, 'Book a flight from London to Paris and a hotel in Paris'),
    );
    expect(run.outcome).toBe('completed');
    expect(run.waves).toEqual([
      ['search_flight_1', 'search_hotel_2'],
      ['book_flight_1', 'book_hotel_2'],
    ]);
    const wave = ['book_flight_1', 'book_hotel_2'];
    const done = ['search_flight_1', 'search_hotel_2'];
    const a = await step({ workflow_id: id, step_id: 'book_flight_1', wave, done }, lambdaContext);
    const b = await step({ workflow_id: id, step_id: 'book_hotel_2', wave, done }, lambdaContext);
    expect(a).toEqual({
      step_id: 'book_flight_1',
      ready: [],
      done: [...done, ...wave],
      awaiting_approval: [],
      approval_timeout_seconds: 86_400,
    });
    expect(b).toEqual({
      step_id: 'book_hotel_2',
      ready: [],
      done: [...done, ...wave],
      awaiting_approval: [],
      approval_timeout_seconds: 86_400,
    });
  });

  it('starts the steps of a wave one slot apart, in wave order, however the Map invokes them (their appends do not race)', async () => {
    const id = 'wf_slottedwave01';
    const submitted = input(id, 'Book a flight from London to Paris and a hotel in Paris');
    await guardian(submitted, lambdaContext);
    const dag = (await planner(
      { workflow_id: id, user_id: 'alice', goal: submitted.goal, context: {} },
      lambdaContext,
    )) as { ready: string[]; done: string[] };
    expect(dag.ready).toEqual(['search_flight_1', 'search_hotel_2']);
    // Invoked last first, at once: the first of the wave still starts first.
    await Promise.all(
      [...dag.ready]
        .reverse()
        .map((stepId) =>
          step({ workflow_id: id, step_id: stepId, wave: dag.ready, done: dag.done }, lambdaContext),
        ),
    );
    expect(eventTrail(fake, id).filter((e) => e.startsWith('StepStarted'))).toEqual([
      'StepStarted:search_flight_1',
      'StepStarted:search_hotel_2',
    ]);
  });

  it('a replayed step does not book twice and returns the same output', async () => {
    const id = 'wf_replaystep0001';
    await planner(input(id, 'Book a flight to Rome'), lambdaContext);
    await step(
      { workflow_id: id, step_id: 'search_flight_1', wave: ['search_flight_1'], done: [] },
      lambdaContext,
    );
    const event = {
      workflow_id: id,
      step_id: 'book_flight_1',
      wave: ['book_flight_1'],
      done: ['search_flight_1'],
    };
    const first = await step(event, lambdaContext);
    const second = await step(event, lambdaContext);
    expect(second).toEqual(first);
    expect(fake.items(TABLES.bookings)).toHaveLength(1);
    const bookingPuts = fake.mock
      .commandCalls(PutCommand)
      .filter((c) => c.args[0].input.TableName === TABLES.bookings);
    expect(bookingPuts).toHaveLength(1);
    expect(eventTrail(fake, id).filter((e) => e === 'StepSucceeded:book_flight_1')).toHaveLength(1);
  });

  it('a retry after a crash between booking and storing the output keeps the one booking', async () => {
    const id = 'wf_crashretry0001';
    await planner(input(id, 'Book a hotel in Lisbon'), lambdaContext);
    await step(
      { workflow_id: id, step_id: 'search_hotel_1', wave: ['search_hotel_1'], done: [] },
      lambdaContext,
    );
    const throttled = Object.assign(new Error('throughput exceeded'), {
      name: 'ProvisionedThroughputExceededException',
    });
    fake.failWhen(
      'PutCommand',
      (i) => i.TableName === TABLES.state && JSON.stringify(i.Item).includes('STEP#book_hotel_1'),
      throttled,
    );
    const event = {
      workflow_id: id,
      step_id: 'book_hotel_1',
      wave: ['book_hotel_1'],
      done: ['search_hotel_1'],
    };
    await expect(step(event, lambdaContext)).rejects.toMatchObject({
      name: 'TransientError',
      message: 'ProvisionedThroughputExceededException: throughput exceeded',
    });
    expect(eventTrail(fake, id)).not.toContain('StepFailed:book_hotel_1');
    await step(event, lambdaContext);
    const bookings = fake.items(TABLES.bookings);
    expect(bookings).toHaveLength(1);
    const output = fake.items(TABLES.state).find((i) => i.sk === 'STEP#book_hotel_1')?.output;
    expect(output).toMatchObject({ booking: { confirmation_code: bookings[0]?.confirmation_code } });
  });

  it('a step that starts after a rollback was claimed never starts: nothing is booked, so nothing is left to undo', async () => {
    // The rollback waits for the steps it sees started (settleInFlightSteps); a sibling the Map had
    // dispatched but whose StepStarted comes after the claim is refused by the append's precondition.
    const id = 'wf_claimedfirst01';
    await planner(input(id, 'Book a flight to Rome'), lambdaContext);
    await step(
      { workflow_id: id, step_id: 'search_flight_1', wave: ['search_flight_1'], done: [] },
      lambdaContext,
    );
    const log = eventLogDeps({
      EVENT_LOG_TABLE: TABLES.events,
      STATE_TABLE: TABLES.state,
      EVENT_LOG_TTL_DAYS: 1,
    });
    await appendEvent(log, id, {
      event_id: ROLLBACK_CLAIM_EVENT_ID,
      type: 'CompensationStarted',
      data: {
        by: 'catch',
        attempt: 'attempt-1',
        error: { code: 'UnknownDestination', message: 'a sibling failed' },
        outcome: 'failed',
      },
    });
    await expect(
      step(
        { workflow_id: id, step_id: 'book_flight_1', wave: ['book_flight_1'], done: ['search_flight_1'] },
        lambdaContext,
      ),
    ).rejects.toMatchObject({ name: 'WorkflowError', code: 'WorkflowCancelled' });
    expect(fake.items(TABLES.bookings)).toEqual([]);
    expect(eventTrail(fake, id).slice(-2)).toEqual(['StepSucceeded:search_flight_1', 'CompensationStarted']);
  });

  it('CatchUnknownDestination: a city outside the catalog fails the step with a non-retryable StepFailed', async () => {
    const id = 'wf_unknowndest001';
    await planner(input(id, 'Book a hotel in Atlantis'), lambdaContext);
    await expect(
      step({ workflow_id: id, step_id: 'search_hotel_1', wave: ['search_hotel_1'], done: [] }, lambdaContext),
    ).rejects.toMatchObject({ name: 'WorkflowError', code: 'UnknownDestination' });
    const failed = storedEvents(fake, id).find((e) => e.type === 'StepFailed');
    expect(failed?.data).toEqual({
      step_id: 'search_hotel_1',
      tool: 'search_hotels',
      error: { code: 'UnknownDestination', message: expect.stringContaining('Atlantis') },
      retryable: false,
    });
    expect(failed?.event_id).toBe('StepFailed:search_hotel_1');
  });

  it('turns a retryable SDK failure into TransientError without recording StepFailed', async () => {
    const id = 'wf_transient00001';
    await planner(input(id, 'Book a flight to Rome'), lambdaContext);
    fake.failWhen(
      'PutCommand',
      (i) => i.TableName === TABLES.state,
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
    );
    await expect(
      step(
        { workflow_id: id, step_id: 'search_flight_1', wave: ['search_flight_1'], done: [] },
        lambdaContext,
      ),
    ).rejects.toMatchObject({ name: 'TransientError' });
    expect(eventTrail(fake, id)).toEqual(['ModelCalled', 'PlanCreated', 'StepStarted:search_flight_1']);
  });

  it('fails with WorkflowStateMissing when the workflow has no plan', async () => {
    await expect(
      step({ workflow_id: 'wf_noplanatall01', step_id: 's1', wave: ['s1'], done: [] }, lambdaContext),
    ).rejects.toMatchObject({ name: 'WorkflowError', code: 'WorkflowStateMissing' });
  });

  it('rejects a malformed task input as InvalidTaskInput', async () => {
    await expect(step({ workflow_id: 'nope', step_id: 's1' }, lambdaContext)).rejects.toMatchObject({
      name: 'WorkflowError',
      code: 'InvalidTaskInput',
    });
  });
});
