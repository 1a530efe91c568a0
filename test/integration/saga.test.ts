import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';
import { functionSpecs } from '../../lib/specs.ts';

/**
 * The saga on the local runtime: a domain failure rolls back what was done (Catch → "Roll back
 * completed steps"), a sibling that was mid-flight when the Map failed is undone too, and an execution
 * stopped from outside (StopExecution, as the console does) is rolled back by the janitor — the target
 * of the execution-status-change rule — exactly once, whichever path gets there first.
 */

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness({
    functions: {
      ...functionSpecs,
      step: { ...functionSpecs.step, entry: 'test/integration/fixtures/controlled-step.ts' },
    },
  });
  alice = await harness.runtime.token('alice');
});

afterEach(() => {
  for (const key of [
    'TEST_OUTAGE_STEPS',
    'TEST_FAIL_STEPS',
    'TEST_FAIL_DELAY_MS',
    'TEST_FAIL_AFTER_STARTED',
    'TEST_SLOW_BOOKINGS',
    'TEST_SLOW_MS',
  ]) {
    delete process.env[key];
  }
});

afterAll(async () => {
  await harness?.cleanup();
});

type TrailEvent = { seq: number; type: string; data: Record<string, unknown> };

const submit = (goal: string) => harness.submit(goal, { token: alice });

const events = (id: string) => harness.events(id, alice);

const bookings = (id: string) => harness.bookings(id);

const sfn = () => new SFNClient({ endpoint: harness.runtime.sfnUrl, region: 'us-east-1' });
const executionArn = (id: string) =>
  `${harness.runtime.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;

const ofType = (trail: TrailEvent[], type: string) => trail.filter((e) => e.type === type);

describe('saga rollback (local runtime)', () => {
  it('fails "flight to NYC, then a hotel in Atlantis" with UnknownDestination and cancels the flight', async () => {
    const id = await submit('Book a flight to NYC, then book a hotel in Atlantis');
    const done = await pollStatus(harness, id, alice);
    expect(done).toMatchObject({
      status: 'failed',
      error: { code: 'UnknownDestination' },
      compensated: ['book_flight_1'],
    });
    expect(done.redrivable).toBeUndefined();
    expect(await bookings(id)).toEqual([
      expect.objectContaining({ step_id: 'book_flight_1', kind: 'flight', status: 'cancelled' }),
    ]);
    const trail = await events(id);
    const types = trail.map((e) => e.type);
    const failure = types.indexOf('StepFailed');
    expect(trail[failure]?.data).toMatchObject({ error: { code: 'UnknownDestination' } });
    expect(types.indexOf('CompensationStarted')).toBeGreaterThan(failure);
    expect(types.indexOf('StepCompensated')).toBeGreaterThan(failure);
    expect(ofType(trail, 'CompensationStarted')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ by: 'catch', attempt: '0' }) }),
    ]);
    expect(types.at(-1)).toBe('WorkflowFailed');
    expect(trail.at(-1)?.data).toMatchObject({
      error: { code: 'UnknownDestination' },
      compensated: ['book_flight_1'],
    });
    const execution = await harness.runtime.waitForExecution(id);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'WorkflowFailed' });
  });

  it('undoes a parallel sibling that was mid-flight when another step failed, each step once', async () => {
    process.env.TEST_FAIL_STEPS = 'book_hotel_3';
    process.env.TEST_FAIL_AFTER_STARTED = 'book_hotel_2';
    process.env.TEST_FAIL_DELAY_MS = '50';
    process.env.TEST_SLOW_BOOKINGS = 'book_hotel_2';
    process.env.TEST_SLOW_MS = '600';
    const id = await submit('Book a flight to NYC and a hotel in NYC and a hotel in Paris');
    const done = await pollStatus(harness, id, alice);
    expect(done.status).toBe('failed');
    expect(done.error).toMatchObject({ code: 'UnknownDestination' });
    // The slow hotel completed after its sibling failed: it is undone, last-completed first.
    expect(done.compensated).toEqual(['book_hotel_2', 'book_flight_1']);
    const made = await bookings(id);
    expect(made.map((b) => [b.step_id, b.status]).sort()).toEqual([
      ['book_flight_1', 'cancelled'],
      ['book_hotel_2', 'cancelled'],
    ]);
    const trail = await events(id);
    const compensated = ofType(trail, 'StepCompensated').map((e) => e.data.step_id);
    expect(compensated).toEqual(['book_hotel_2', 'book_flight_1']);
    expect(ofType(trail, 'CompensationStarted')).toHaveLength(1);
    expect(trail.at(-1)?.type).toBe('WorkflowFailed');
  });

  it('rolls back an execution stopped from outside exactly once (the janitor), ending cancelled', async () => {
    process.env.TEST_SLOW_BOOKINGS = 'book_hotel_2';
    process.env.TEST_SLOW_MS = '800';
    const id = await submit('Book a flight to Rome, then a hotel in Rome');
    await expect
      .poll(
        async () =>
          (await events(id)).some((e) => e.type === 'StepStarted' && e.data.step_id === 'book_hotel_2'),
        {
          timeout: 15_000,
          interval: 20,
        },
      )
      .toBe(true);
    await sfn().send(
      new StopExecutionCommand({ executionArn: executionArn(id), cause: 'stopped in the console' }),
    );
    const done = await pollStatus(harness, id, alice);
    expect(done.status).toBe('cancelled');
    await expect
      .poll(async () => (await events(id)).at(-1)?.type, { timeout: 15_000, interval: 50 })
      .toBe('WorkflowCancelled');
    const trail = await events(id);
    expect(trail.at(-1)?.data).toMatchObject({ reason: 'execution_aborted' });
    expect(ofType(trail, 'CompensationStarted')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ by: 'janitor' }) }),
    ]);
    // The hotel was mid-flight when the execution stopped: its booking landed later and is undone too.
    expect(
      ofType(trail, 'StepCompensated')
        .map((e) => e.data.step_id)
        .sort(),
    ).toEqual(['book_flight_1', 'book_hotel_2']);
    for (const booking of await bookings(id)) expect(booking.status).toBe('cancelled');
    expect(ofType(trail, 'WorkflowFailed')).toEqual([]);
    const described = await sfn().send(new DescribeExecutionCommand({ executionArn: executionArn(id) }));
    expect(described.status).toBe('ABORTED');
    // The status change went to the bus like AWS's aws.states event.
    expect(
      harness.runtime.eventsSink.find(
        (e) =>
          e.Source === 'aws.states' &&
          e.DetailType === 'Step Functions Execution Status Change' &&
          isRecord(e.Detail) &&
          e.Detail.name === id &&
          e.Detail.status === 'ABORTED',
      ),
    ).toHaveLength(1);
  });

  it('a Catch saga racing the janitor still records one CompensationStarted and one set of StepCompensated', async () => {
    // The hotel fails for good while the flight's booking is mid-flight: the Catch saga claims the
    // rollback and waits for the flight; the execution is stopped meanwhile, so the janitor runs too.
    process.env.TEST_SLOW_BOOKINGS = 'book_flight_1';
    process.env.TEST_SLOW_MS = '300';
    process.env.TEST_FAIL_STEPS = 'book_hotel_2';
    process.env.TEST_FAIL_DELAY_MS = '100';
    const id = await submit('Book a flight to NYC and a hotel in NYC');
    await expect
      .poll(async () => (await events(id)).some((e) => e.type === 'CompensationStarted'), {
        timeout: 15_000,
        interval: 5,
      })
      .toBe(true);
    await sfn().send(new StopExecutionCommand({ executionArn: executionArn(id) }));
    await expect
      .poll(
        async () => {
          const last = (await events(id)).at(-1)?.type;
          return last === 'WorkflowFailed' || last === 'WorkflowCancelled';
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe(true);
    // Let any late path finish, then count.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const trail = await events(id);
    expect(ofType(trail, 'CompensationStarted')).toHaveLength(1);
    // Under load the flight may not have started when the rollback claimed it (it then never starts):
    // either way nothing is undone twice and nothing booked stays booked.
    const undone = ofType(trail, 'StepCompensated').map((e) => e.data.step_id);
    expect(new Set(undone).size).toBe(undone.length);
    const booked = await bookings(id);
    expect(undone).toEqual(booked.map((b) => b.step_id));
    expect(trail.filter((e) => ['WorkflowFailed', 'WorkflowCancelled'].includes(e.type))).toHaveLength(1);
    for (const booking of booked) expect(booking.status).toBe('cancelled');
  });
});
