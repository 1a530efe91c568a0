import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createBookingsStore } from '../../lambdas/adapters/bookings-store.ts';
import { appendEvent } from '../../lambdas/adapters/event-log.ts';
import { defaultToolRegistry } from '../../lambdas/domain/tools/registry.ts';
import { handler as janitor } from '../../lambdas/handlers/jobs/janitor.ts';
import { handler as planner } from '../../lambdas/handlers/states/planner.ts';
import { handler as step } from '../../lambdas/handlers/states/step.ts';
import { cleanUpExecution } from '../../lambdas/usecases/close-execution.ts';
import { compensateWorkflow } from '../../lambdas/usecases/roll-back.ts';
import { sampleData } from '../support/events.ts';
import { eventTrail, installFakeDynamo, lambdaContext, storedEvents, TABLES } from './harness.ts';

vi.hoisted(() => {
  process.env.EVENT_LOG_TABLE = 'test-events';
  process.env.STATE_TABLE = 'test-state';
  process.env.BOOKINGS_TABLE = 'test-bookings';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

/**
 * The janitor (target of the execution-status-change rule): rolls back stopped, timed-out and
 * crashed executions exactly once, leaves transient failures redrivable, and never races another
 * path into a second rollback.
 */

const fake = installFakeDynamo();
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const deps = () => ({
  events: { client, tableName: TABLES.events, stateTable: TABLES.state },
  state: { client, tableName: TABLES.state, ttlDays: 90 },
  bookings: createBookingsStore({ client, tableName: TABLES.bookings, ttlDays: 90 }),
  tools: () => defaultToolRegistry(),
  sleep: async () => undefined,
  inFlightWaitMs: 0,
});
const input = (workflow_id: string, goal: string) => ({
  workflow_id,
  user_id: 'alice',
  goal,
  context: {},
  submitted_at: '2026-11-25T17:00:00.000Z',
});

/** The EventBridge event AWS sends for a status change of an execution named `id`. */
function statusChange(id: string, status: string, fields: Record<string, unknown> = {}) {
  return {
    version: '0',
    id: 'e-1',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2026-11-25T17:00:05Z',
    region: 'us-east-1',
    resources: [`arn:aws:states:us-east-1:123456789012:execution:workflow:${id}`],
    detail: {
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:workflow:${id}`,
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:workflow',
      name: id,
      status,
      startDate: 1,
      stopDate: 2,
      input: JSON.stringify(input(id, 'Book a flight to Rome')),
      output: null,
      error: null,
      cause: null,
      ...fields,
    },
  };
}

/** Runs the planner and the first two waves (the searches and the bookings of a two-leg plan). */
async function runTwoWaves(id: string, goal: string): Promise<void> {
  let dag = await planner(input(id, goal), lambdaContext);
  for (let wave = 0; wave < 2 && dag.ready.length > 0; wave++) {
    const results = [];
    for (const stepId of dag.ready)
      results.push(
        await step({ workflow_id: id, step_id: stepId, wave: dag.ready, done: dag.done }, lambdaContext),
      );
    dag = results[0] ?? dag;
  }
}

const bookingStatuses = () => fake.items(TABLES.bookings).map((b) => [b.step_id, b.status]);

beforeEach(() => fake.reset());

describe('execution janitor', () => {
  it('StoppedExecution: rolls back an ABORTED execution once and ends it cancelled (execution_aborted)', async () => {
    const id = 'wf_janitorabort01';
    await runTwoWaves(id, 'Book a flight to Rome and a hotel in Rome');
    const first = await janitor(statusChange(id, 'ABORTED'), lambdaContext);
    expect(first).toMatchObject({ action: 'rollback', status: 'cancelled' });
    expect(bookingStatuses()).toEqual([
      ['book_flight_1', 'cancelled'],
      ['book_hotel_2', 'cancelled'],
    ]);
    // EventBridge delivers at least once: a second delivery changes nothing.
    const again = await janitor(statusChange(id, 'ABORTED'), lambdaContext);
    expect(again).toMatchObject({ action: 'none', why: 'finished' });
    const trail = eventTrail(fake, id);
    expect(trail.filter((e) => e === 'CompensationStarted')).toHaveLength(1);
    expect(trail.filter((e) => e.startsWith('StepCompensated'))).toHaveLength(2);
    expect(storedEvents(fake, id).at(-1)).toMatchObject({
      type: 'WorkflowCancelled',
      data: { reason: 'execution_aborted' },
    });
  });

  it('rolls back an execution started through the alias (on an older version) like any other', async () => {
    const id = 'wf_janitoralias01';
    await runTwoWaves(id, 'Book a flight to Rome and a hotel in Rome');
    const sm = 'arn:aws:states:us-east-1:123456789012:stateMachine:workflow';
    const result = await janitor(
      statusChange(id, 'ABORTED', { stateMachineVersionArn: `${sm}:3`, stateMachineAliasArn: `${sm}:live` }),
      lambdaContext,
    );
    expect(result).toMatchObject({ action: 'rollback', status: 'cancelled' });
    expect(bookingStatuses()).toEqual([
      ['book_flight_1', 'cancelled'],
      ['book_hotel_2', 'cancelled'],
    ]);
  });

  it('rolls back a TIMED_OUT execution as failed (ExecutionTimedOut)', async () => {
    const id = 'wf_janitortimeout1';
    await runTwoWaves(id, 'Book a flight to Rome and a hotel in Rome');
    await janitor(statusChange(id, 'TIMED_OUT', { error: 'States.Timeout' }), lambdaContext);
    expect(storedEvents(fake, id).at(-1)).toMatchObject({
      type: 'WorkflowFailed',
      data: { error: { code: 'ExecutionTimedOut' } },
    });
  });

  it('rolls back an execution that crashed outside the Catch (a bug), with its error', async () => {
    const id = 'wf_janitorcrash001';
    await runTwoWaves(id, 'Book a flight to Rome and a hotel in Rome');
    const cause = JSON.stringify({ errorType: 'TypeError', errorMessage: 'boom' });
    await janitor(statusChange(id, 'FAILED', { error: 'TypeError', cause }), lambdaContext);
    expect(storedEvents(fake, id).at(-1)).toMatchObject({
      type: 'WorkflowFailed',
      data: { error: { code: 'TypeError', message: 'boom' } },
    });
    expect(bookingStatuses().every(([, status]) => status === 'cancelled')).toBe(true);
  });

  it('leaves an execution that failed on a transient error redrivable: nothing is undone', async () => {
    const id = 'wf_janitortransnt1';
    await runTwoWaves(id, 'Book a flight to Rome and a hotel in Rome');
    const result = await janitor(statusChange(id, 'FAILED', { error: 'TransientError' }), lambdaContext);
    expect(result).toEqual({ workflow_id: id, action: 'none', why: 'redrivable' });
    expect(eventTrail(fake, id)).not.toContain('CompensationStarted');
    expect(bookingStatuses().every(([, status]) => status === 'booked')).toBe(true);
  });

  it('ignores events of other executions and other statuses', async () => {
    expect(await janitor({ source: 'aws.ec2' }, lambdaContext)).toMatchObject({ action: 'ignored' });
    expect(await janitor(statusChange('not-a-workflow', 'ABORTED'), lambdaContext)).toMatchObject({
      action: 'ignored',
    });
    expect(await janitor(statusChange('wf_janitorsucceed1', 'SUCCEEDED'), lambdaContext)).toMatchObject({
      action: 'ignored',
    });
  });

  it('records GoalReceived first when the execution stopped before the guardian ran', async () => {
    const id = 'wf_janitorearly001';
    await janitor(statusChange(id, 'ABORTED'), lambdaContext);
    expect(eventTrail(fake, id)).toEqual(['GoalReceived', 'CompensationStarted', 'WorkflowCancelled']);
  });

  it('a janitor and a Catch saga racing: one claim, one set of StepCompensated, one terminal event', async () => {
    const id = 'wf_janitorrace0001';
    await runTwoWaves(id, 'Book a flight to Rome and a hotel in Rome');
    const results = await Promise.all([
      cleanUpExecution(deps(), statusChange(id, 'ABORTED')),
      compensateWorkflow(deps(), { workflow_id: id, error: { Error: 'UnknownDestination' } }),
    ]);
    const trail = eventTrail(fake, id);
    expect(trail.filter((e) => e === 'CompensationStarted')).toHaveLength(1);
    expect(trail.filter((e) => e === 'StepCompensated:book_flight_1')).toHaveLength(1);
    expect(trail.filter((e) => e === 'StepCompensated:book_hotel_2')).toHaveLength(1);
    expect(trail.filter((e) => e === 'WorkflowCancelled' || e === 'WorkflowFailed')).toHaveLength(1);
    // Exactly one of the two owned the rollback.
    const owners = results.filter((r) => !('owner' in r) || r.owner !== false);
    expect(owners.length).toBeGreaterThanOrEqual(1);
  });

  it('a replay of the same owner continues its rollback; a Catch saga arriving later stops', async () => {
    const id = 'wf_janitorreplay01';
    await runTwoWaves(id, 'Book a flight to Rome and a hotel in Rome');
    await appendEvent({ client, tableName: TABLES.events, stateTable: TABLES.state }, id, {
      event_id: 'CompensationStarted',
      type: 'CompensationStarted',
      data: { ...sampleData.CompensationStarted, by: 'janitor', attempt: '0' },
    });
    const late = await compensateWorkflow(deps(), {
      workflow_id: id,
      error: { Error: 'UnknownDestination' },
    });
    expect(late).toMatchObject({ owner: false, compensated: [] });
    expect(bookingStatuses().every(([, status]) => status === 'booked')).toBe(true);
    await janitor(statusChange(id, 'ABORTED'), lambdaContext);
    expect(bookingStatuses().every(([, status]) => status === 'cancelled')).toBe(true);
  });
});
