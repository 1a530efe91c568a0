import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createBookingsStore } from '../../lambdas/adapters/bookings-store.ts';
import { appendEvent } from '../../lambdas/adapters/event-log.ts';
import { defaultToolRegistry } from '../../lambdas/domain/tools/registry.ts';
import { handler as compensate } from '../../lambdas/handlers/states/compensate.ts';
import { handler as finalize } from '../../lambdas/handlers/states/finalize.ts';
import { handler as guardian } from '../../lambdas/handlers/states/guardian.ts';
import { handler as planner } from '../../lambdas/handlers/states/planner.ts';
import { handler as step } from '../../lambdas/handlers/states/step.ts';
import { compensateWorkflow } from '../../lambdas/usecases/roll-back.ts';
import {
  eventTrail,
  installFakeDynamo,
  lambdaContext,
  putLog,
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
const input = (workflow_id: string, goal: string) => ({
  workflow_id,
  user_id: 'alice',
  goal,
  context: {},
  submitted_at: '2026-11-25T17:00:00.000Z',
});
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const deps = () => ({
  events: { client, tableName: TABLES.events, stateTable: TABLES.state },
  state: { client, tableName: TABLES.state, ttlDays: 90 },
  bookings: createBookingsStore({ client, tableName: TABLES.bookings, ttlDays: 90 }),
  tools: () => defaultToolRegistry(),
  sleep: async () => undefined,
});

beforeEach(() => fake.reset());

describe('compensate task (saga)', () => {
  it('CatchUnknownDestination: "flight to NYC, then hotel in Atlantis" plans, fails at the hotel and cancels the flight', async () => {
    const id = 'wf_sagaatlantis01';
    const run = await simulateWorkflow(
      handlers,
      input(id, 'Book a flight to NYC, then book a hotel in Atlantis'),
    );
    expect(run.outcome).toBe('failed');
    expect(run.output).toEqual({ workflow_id: id, status: 'failed', compensated: ['book_flight_1'] });
    expect(eventTrail(fake, id).slice(4)).toEqual([
      'PlanCreated',
      'StepStarted:search_flight_1',
      'StepSucceeded:search_flight_1',
      'StepStarted:book_flight_1',
      'StepSucceeded:book_flight_1',
      'StepStarted:search_hotel_2',
      'StepFailed:search_hotel_2',
      'CompensationStarted',
      'StepCompensated:book_flight_1',
      'WorkflowFailed',
    ]);
    const failed = storedEvents(fake, id).at(-1);
    expect(failed?.data).toEqual({
      error: { code: 'UnknownDestination', message: expect.stringContaining('Atlantis') },
      compensated: ['book_flight_1'],
    });
    const [booking] = fake.items(TABLES.bookings);
    expect(booking).toMatchObject({
      step_id: 'book_flight_1',
      status: 'cancelled',
      cancelled_at: expect.any(String),
    });
    expect(fake.mock).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: TABLES.bookings,
      Key: { workflow_id: id, step_id: 'book_flight_1' },
    });
  });

  it('undoes steps in reverse order of completion', async () => {
    const id = 'wf_sagareverse001';
    // Two bookings in parallel, then a third request that fails.
    const run = await simulateWorkflow(
      handlers,
      input(id, 'Book a flight from Paris to Rome and a hotel in Rome, then a flight from Rome to Atlantis'),
    );
    expect(run.outcome).toBe('failed');
    const succeeded = eventTrail(fake, id)
      .filter((e) => e.startsWith('StepSucceeded:book_'))
      .map((e) => e.split(':')[1]);
    expect(succeeded).toEqual(['book_flight_1', 'book_hotel_2']);
    expect(run.output).toMatchObject({ compensated: ['book_hotel_2', 'book_flight_1'] });
    expect(fake.items(TABLES.bookings).map((b) => b.status)).toEqual(['cancelled', 'cancelled']);
    // Searches have no effect: nothing to undo, no StepCompensated.
    expect(eventTrail(fake, id).filter((e) => e.startsWith('StepCompensated'))).toEqual([
      'StepCompensated:book_hotel_2',
      'StepCompensated:book_flight_1',
    ]);
  });

  it('records a compensation that keeps failing as CompensationFailed and goes on with the rest', async () => {
    const id = 'wf_sagacompfail01';
    await runUntilFailure(id, 'Book a flight to Rome and a hotel in Rome');
    fake.failWhen(
      'UpdateCommand',
      (i) => JSON.stringify(i.Key).includes('book_hotel_2'),
      Object.assign(new Error('access denied'), { name: 'AccessDeniedException' }),
      10,
    );
    const sleeps: number[] = [];
    const result = await compensateWorkflow(
      { ...deps(), sleep: async (ms: number) => sleeps.push(ms) },
      { workflow_id: id, error: { Error: 'States.Timeout', Cause: 'the step timed out' } },
    );
    expect(result.compensated).toEqual(['book_flight_1']);
    expect(sleeps).toEqual([200, 400]);
    const hotelUpdates = fake.mock
      .commandCalls(UpdateCommand)
      .filter((c) => JSON.stringify(c.args[0].input.Key).includes('book_hotel_2'));
    expect(hotelUpdates).toHaveLength(3);
    const events = storedEvents(fake, id);
    expect(events.find((e) => e.type === 'CompensationFailed')?.data).toEqual({
      step_id: 'book_hotel_2',
      tool: 'book_hotel',
      error: { code: 'AccessDeniedException', message: 'access denied' },
    });
    expect(events.at(-1)?.data).toEqual({
      error: { code: 'States.Timeout', message: 'the step timed out' },
      compensated: ['book_flight_1'],
    });
    expect(fake.items(TABLES.bookings).map((b) => [b.step_id, b.status])).toEqual([
      ['book_flight_1', 'cancelled'],
      ['book_hotel_2', 'booked'],
    ]);
  });

  it('compensates a step that started without an outcome (a crash mid-step) first', async () => {
    const id = 'wf_sagainflight01';
    await runUntilFailure(id, 'Book a flight to Rome and a hotel in Rome');
    // The hotel booking "crashed" after booking: StepSucceeded:book_hotel_2 never happened.
    const events = fake.items(TABLES.events).filter((e) => e.event_id !== 'StepSucceeded:book_hotel_2');
    fake.reset();
    putLog(fake, id, events);
    await seedBookings(id);
    // No in-flight window: the crashed step cannot still be running (see the next test for the wait).
    const result = await compensateWorkflow(
      { ...deps(), inFlightWaitMs: 0 },
      { workflow_id: id, error: { Error: 'States.Timeout' } },
    );
    expect(result).toEqual({
      workflow_id: id,
      status: 'failed',
      compensated: ['book_hotel_2', 'book_flight_1'],
    });
  });

  it('waits for a sibling step that is still running before undoing it (its Lambda outlives the failed Map)', async () => {
    const id = 'wf_sagainflight02';
    await runUntilFailure(id, 'Book a flight to Rome and a hotel in Rome');
    const events = fake.items(TABLES.events).filter((e) => e.event_id !== 'StepSucceeded:book_hotel_2');
    fake.reset();
    putLog(fake, id, events);
    await seedBookings(id);
    let polls = 0;
    const result = await compensateWorkflow(
      {
        ...deps(),
        inFlightWaitMs: 60_000,
        sleep: async () => {
          polls += 1;
          // The sibling finishes while the saga waits.
          if (polls === 2) {
            await appendEvent({ client, tableName: TABLES.events, stateTable: TABLES.state }, id, {
              event_id: 'StepSucceeded:book_hotel_2',
              type: 'StepSucceeded',
              data: { step_id: 'book_hotel_2', tool: 'book_hotel', output: {} },
            });
          }
        },
      },
      { workflow_id: id, error: { Error: 'UnknownDestination' } },
    );
    expect(polls).toBeGreaterThanOrEqual(2);
    // Undone in reverse order of completion: the hotel completed last.
    expect(result.compensated).toEqual(['book_hotel_2', 'book_flight_1']);
  });

  it('is safe to re-run: nothing is undone twice, the failure is recorded once', async () => {
    const id = 'wf_sagarerun00001';
    await runUntilFailure(id, 'Book a flight to Rome, then book a hotel in Atlantis');
    const error = { Error: 'UnknownDestination', Cause: 'city "Atlantis" is not in the catalog' };
    const first = await compensate({ workflow_id: id, error }, lambdaContext);
    const again = await compensate({ workflow_id: id, error }, lambdaContext);
    expect(again).toEqual(first);
    const trail = eventTrail(fake, id);
    expect(trail.filter((e) => e === 'StepCompensated:book_flight_1')).toHaveLength(1);
    expect(trail.filter((e) => e === 'WorkflowFailed')).toHaveLength(1);
    expect(storedEvents(fake, id).at(-1)?.data).toMatchObject({
      error: { code: 'UnknownDestination', message: 'city "Atlantis" is not in the catalog' },
    });
  });

  it('does not record WorkflowFailed when the log already ends the workflow', async () => {
    const id = 'wf_sagaterminal01';
    await appendEvent({ client, tableName: TABLES.events, stateTable: TABLES.state }, id, {
      event_id: 'WorkflowRejected',
      type: 'WorkflowRejected',
      data: { error: { code: 'rejected_by_guardian', message: 'no' }, category: 'fraud', reason: 'no' },
    });
    const result = await compensate({ workflow_id: id, error: { Error: 'States.Runtime' } }, lambdaContext);
    expect(result).toEqual({ workflow_id: id, status: 'failed', compensated: [] });
    expect(eventTrail(fake, id)).toEqual(['WorkflowRejected']);
  });

  it('records the error of a failed guardian or planner, with nothing to undo', async () => {
    const id = 'wf_sagaplanfail01';
    const run = await simulateWorkflow(handlers, input(id, 'colorless green ideas sleep furiously'));
    expect(run.outcome).toBe('failed');
    expect(storedEvents(fake, id).at(-1)).toMatchObject({
      type: 'WorkflowFailed',
      data: {
        error: { code: 'PlanInvalid', message: expect.stringContaining('could not understand') },
        compensated: [],
      },
    });
  });
});

/** Plans and runs every step of a goal (no finalize), like an execution that is about to fail. */
async function runUntilFailure(id: string, goal: string): Promise<void> {
  let dag = await planner(input(id, goal), lambdaContext);
  try {
    while (dag.ready.length > 0) {
      const wave = dag.ready;
      const results = [];
      for (const stepId of wave)
        results.push(await step({ workflow_id: id, step_id: stepId, wave, done: dag.done }, lambdaContext));
      const next = results[0];
      if (!next) break;
      dag = next;
    }
  } catch {
    // the failing step: the saga takes over
  }
}

/** Keeps the bookings table as it was (reset() cleared it along with the log). */
async function seedBookings(id: string): Promise<void> {
  const store = createBookingsStore({ client, tableName: TABLES.bookings, ttlDays: 90 });
  for (const stepId of ['book_flight_1', 'book_hotel_2']) {
    await store.putIfAbsent({
      workflow_id: id,
      step_id: stepId,
      kind: stepId.includes('flight') ? 'flight' : 'hotel',
      city: 'ROM',
      city_name: 'Rome',
      confirmation_code: 'OMN-ABCDEF',
      status: 'booked',
      offer_id: 'X',
      details: {},
      price: { amount: 1, currency: 'EUR' },
      booked_at: '2026-11-25T17:00:00.000Z',
    });
  }
}
