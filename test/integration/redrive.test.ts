import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createBookingsStore } from '../../lambdas/adapters/bookings-store.ts';
import { describeWorkflowExecution } from '../../lambdas/adapters/describe-execution.ts';
import { defaultToolRegistry } from '../../lambdas/domain/tools/registry.ts';
import { sweepRollbacks } from '../../lambdas/usecases/sweep-rollbacks.ts';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';
import { functionSpecs } from '../../lib/specs.ts';

/**
 * Redrive on the local runtime: a transient outage that outlasts the step's retries is not caught
 * (no rollback); the execution fails at the Map, the status says `failed` + `redrivable`, and
 * POST /workflows/{id}/redrive resumes it from there — the steps that had succeeded run no tool again.
 */

let harness: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  harness = await startHarness({
    functions: {
      ...functionSpecs,
      step: { ...functionSpecs.step, entry: 'test/integration/fixtures/controlled-step.ts' },
    },
    env: { TEST_STEP_DELAY_MS: '0' },
  });
  alice = await harness.runtime.token('alice');
  bob = await harness.runtime.token('bob');
});

afterEach(() => {
  delete process.env.TEST_OUTAGE_STEPS;
});

afterAll(async () => {
  await harness?.cleanup();
});

const submit = (goal: string) => harness.submit(goal, { token: alice });

const events = (id: string) => harness.events(id, alice);

const bookings = (id: string) => harness.bookings(id);

const redrive = (id: string, token = alice) => harness.api('POST', `/workflows/${id}/redrive`, { token });
const sfn = () => new SFNClient({ endpoint: harness.runtime.sfnUrl, region: 'us-east-1' });
const executionArn = (id: string) =>
  `${harness.runtime.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;

describe('redrive (local runtime)', () => {
  it('resumes a workflow that failed on a transient outage, without booking anything twice', async () => {
    // The flight and the hotel run in the same wave; the hotel's dependency is down past its retries.
    process.env.TEST_OUTAGE_STEPS = 'book_hotel_2';
    const id = await submit('Book a flight to NYC and a hotel in Paris');
    const failed = await pollStatus(harness, id, alice);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'TransientError' }, redrivable: true });
    expect(failed.compensated).toBeUndefined();
    const execution = await harness.runtime.waitForExecution(id);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'TransientError' });
    // Not rolled back: the flight stays booked, no saga, no terminal event (the janitor left it alone).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = await events(id);
    expect(before.map((e) => e.type)).not.toContain('CompensationStarted');
    expect(before.map((e) => e.type)).not.toContain('WorkflowFailed');
    expect(await bookings(id)).toEqual([
      expect.objectContaining({ step_id: 'book_flight_1', status: 'booked' }),
    ]);

    // The outage is over: redrive.
    delete process.env.TEST_OUTAGE_STEPS;
    const answer = await redrive(id);
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ status: 'redriving', workflow_id: id });
    const done = await pollStatus(harness, id, alice, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('completed');
    expect(done.redrivable).toBeUndefined();

    const made = await bookings(id);
    expect(made.map((b) => [b.step_id, b.status]).sort()).toEqual([
      ['book_flight_1', 'booked'],
      ['book_hotel_2', 'booked'],
    ]);
    const trail = await events(id);
    const succeeded = trail.filter((e) => e.type === 'StepSucceeded').map((e) => String(e.data.step_id));
    expect(succeeded.length).toBe(new Set(succeeded).size);
    expect(succeeded.sort()).toEqual(['book_flight_1', 'book_hotel_2', 'search_flight_1', 'search_hotel_2']);
    expect(trail.map((e) => e.seq)).toEqual(trail.map((_, i) => i + 1));
    expect(trail.at(-1)?.type).toBe('WorkflowCompleted');

    // Same execution, redriven once; its history continues (no second ExecutionStarted).
    const described = await sfn().send(new DescribeExecutionCommand({ executionArn: executionArn(id) }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    expect(described.redriveDate).toBeInstanceOf(Date);
    const history = await sfn().send(
      new GetExecutionHistoryCommand({ executionArn: executionArn(id), maxResults: 1000 }),
    );
    const types = (history.events ?? []).map((e) => e.type);
    expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    expect(types).toContain('ExecutionRedriven');
    // Restarted at the failed Map, not at the start: the guardian and the planner ran once.
    const entered = (history.events ?? [])
      .filter((e) => e.type === 'TaskStateEntered')
      .map((e) => e.stateEnteredEventDetails?.name);
    expect(entered.filter((n) => n === 'Plan the steps')).toHaveLength(1);
    expect(entered.filter((n) => n === 'Screen goal with guardian')).toHaveLength(1);

    // A completed workflow cannot be redriven.
    const again = await redrive(id);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: { code: 'not_redrivable' } });
  });

  it('cancels a failed, redrivable workflow: it is redriven into its cancellation and rolled back', async () => {
    process.env.TEST_OUTAGE_STEPS = 'book_hotel_2';
    const id = await submit('Book a flight to NYC and a hotel in Paris');
    expect(await pollStatus(harness, id, alice)).toMatchObject({ status: 'failed', redrivable: true });
    const answer = await harness.api('POST', `/workflows/${id}/cancel`, { token: alice });
    expect(answer.status).toBe(202);
    const done = await pollStatus(harness, id, alice, ['completed', 'cancelled']);
    expect(done).toMatchObject({ status: 'cancelled', compensated: ['book_flight_1'] });
    expect(await bookings(id)).toEqual([
      expect.objectContaining({ step_id: 'book_flight_1', status: 'cancelled' }),
    ]);
    const trail = await events(id);
    expect(trail.filter((e) => e.type === 'CompensationStarted')).toHaveLength(1);
    expect(trail.at(-1)).toMatchObject({ type: 'WorkflowCancelled', data: { reason: 'cancelled_by_user' } });
    // Rolled back: no redrive any more.
    expect((await redrive(id)).status).toBe(409);
  });

  it('refuses a rolled-back workflow (409 not_redrivable)', async () => {
    const id = await submit('Book a flight to NYC, then book a hotel in Atlantis');
    expect((await pollStatus(harness, id, alice)).status).toBe('failed');
    const answer = await redrive(id);
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ error: { code: 'not_redrivable' } });
  });

  it('refuses a cancelled workflow (409 not_redrivable)', async () => {
    const id = await submit('Book a flight to Rome with my approval');
    await pollStatus(harness, id, alice, ['waiting']);
    expect((await harness.api('POST', `/workflows/${id}/cancel`, { token: alice })).status).toBe(202);
    expect((await pollStatus(harness, id, alice)).status).toBe('cancelled');
    const answer = await redrive(id);
    expect(answer.status).toBe(409);
    expect(answer.json).toMatchObject({ error: { code: 'not_redrivable' } });
  });

  it('refuses a running workflow and answers 404 for another user or a missing workflow', async () => {
    const id = await submit('Book a flight to Rome with my approval');
    await pollStatus(harness, id, alice, ['waiting']);
    const running = await redrive(id);
    expect(running.status).toBe(409);
    expect(running.json).toMatchObject({ error: { code: 'not_redrivable' } });
    const foreign = await redrive(id, bob);
    const missing = await redrive('wf_doesnotexist000000');
    const status = await harness.api('GET', `/workflows/${id}/status`, { token: bob });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.json).toEqual(status.json);
    expect(missing.json).toEqual(status.json);
  });

  // Issue #12, hole 3: a transient failure left redrivable is rolled back at its deadline.
  const sweepDeps = () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: harness.runtime.dynamoUrl }), {
      marshallOptions: { removeUndefinedValues: true },
    });
    const tables = harness.runtime.tables;
    return {
      saga: {
        events: { client, tableName: tables.eventLog, stateTable: tables.state },
        state: { client, tableName: tables.state, ttlDays: 90 },
        bookings: createBookingsStore({ client, tableName: tables.bookings, ttlDays: 90 }),
        tools: () => defaultToolRegistry(),
      },
      describeExecution: describeWorkflowExecution(sfn(), harness.runtime.stateMachineArn),
    };
  };

  it('RollbackDeadline: rolls back a workflow nobody redrove at its deadline, and shows the deadline before', async () => {
    process.env.TEST_OUTAGE_STEPS = 'book_hotel_2';
    const id = await submit('Book a flight to NYC and a hotel in Paris');
    const failed = await pollStatus(harness, id, alice);
    expect(failed).toMatchObject({ status: 'failed', redrivable: true });
    // The janitor set the deadline: 24 hours (ROLLBACK_DEADLINE_HOURS) after the execution closed.
    let deadline = '';
    for (let i = 0; i < 50 && !deadline; i += 1) {
      const status = (await harness.api('GET', `/workflows/${id}/status`, { token: alice })).json;
      deadline =
        isRecord(status) && typeof status.rollback_deadline === 'string' ? status.rollback_deadline : '';
      if (!deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const hours = (Date.parse(deadline) - Date.parse(String(failed.updated_at))) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThan(24.1);

    // Before the deadline the sweep leaves it alone; after, it rolls it back, once.
    const before = await sweepRollbacks(sweepDeps(), new Date(Date.parse(deadline) - 60_000));
    expect(before.rolledBack).not.toContain(id);
    const after = await sweepRollbacks(sweepDeps(), new Date(Date.parse(deadline) + 60_000));
    expect(after.rolledBack).toContain(id);
    const again = await sweepRollbacks(sweepDeps(), new Date(Date.parse(deadline) + 120_000));
    expect(again.rolledBack).not.toContain(id);

    const ended = await pollStatus(harness, id, alice);
    expect(ended).toMatchObject({ status: 'failed', compensated: ['book_flight_1'] });
    expect(JSON.stringify(ended.error)).toContain('rollback deadline');
    expect(ended.rollback_deadline).toBeUndefined();
    expect(await bookings(id)).toEqual([
      expect.objectContaining({ step_id: 'book_flight_1', status: 'cancelled' }),
    ]);
    const trail = await events(id);
    expect(trail.find((e) => e.type === 'CompensationStarted')?.data).toMatchObject({ by: 'deadline' });
    expect(trail.at(-1)?.type).toBe('WorkflowFailed');
  });

  it('RollbackDeadline: a workflow redriven before its deadline leaves the sweep', async () => {
    process.env.TEST_OUTAGE_STEPS = 'book_hotel_2';
    const id = await submit('Book a flight to NYC and a hotel in Paris');
    await pollStatus(harness, id, alice);
    delete process.env.TEST_OUTAGE_STEPS;
    expect((await redrive(id)).status).toBe(202);
    expect((await pollStatus(harness, id, alice, ['completed', 'failed', 'cancelled'])).status).toBe(
      'completed',
    );
    const swept = await sweepRollbacks(sweepDeps(), new Date(Date.now() + 48 * 3_600_000));
    expect(swept.rolledBack).not.toContain(id);
    expect(await bookings(id)).toHaveLength(2);
  });
});
