import { beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { handler as compensate } from '../../lambdas/handlers/states/compensate.ts';
import { handler as finalize } from '../../lambdas/handlers/states/finalize.ts';
import { handler as guardian } from '../../lambdas/handlers/states/guardian.ts';
import { handler as planner } from '../../lambdas/handlers/states/planner.ts';
import { handler as step } from '../../lambdas/handlers/states/step.ts';
import { finalizeWorkflow } from '../../lambdas/usecases/finalize.ts';
import { eventTrail, installFakeDynamo, lambdaContext, simulateWorkflow, storedEvents } from './harness.ts';

vi.hoisted(() => {
  process.env.EVENT_LOG_TABLE = 'test-events';
  process.env.STATE_TABLE = 'test-state';
  process.env.BOOKINGS_TABLE = 'test-bookings';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const fake = installFakeDynamo();
const handlers = { guardian, planner, step, finalize, compensate };

beforeEach(() => fake.reset());

describe('finalize task', () => {
  it('summarizes the bookings with their confirmation codes, cities and dates, labelled offline', async () => {
    const id = 'wf_finalizeok0001';
    const run = await simulateWorkflow(handlers, {
      workflow_id: id,
      user_id: 'alice',
      goal: 'Book a flight from London to Paris on 2026-12-01 and a hotel in Paris for 2 nights',
      context: {},
      submitted_at: '2026-11-25T17:00:00.000Z',
    });
    expect(run.output).toEqual({ workflow_id: id, status: 'completed' });
    const completed = storedEvents(fake, id).at(-1);
    expect(completed?.type).toBe('WorkflowCompleted');
    expect(completed?.data).toMatchObject({
      result: {
        provider: 'offline',
        source: 'planner',
        steps_total: 4,
        steps_done: 4,
        bookings: [
          {
            kind: 'flight',
            city: 'PAR',
            city_name: 'Paris',
            origin: 'LON',
            date: '2026-12-01',
            status: 'booked',
          },
          {
            kind: 'hotel',
            city: 'PAR',
            city_name: 'Paris',
            check_in: '2026-12-01',
            nights: 2,
            status: 'booked',
          },
        ],
      },
    });
    const summary = JSON.stringify(completed?.data);
    expect(summary).toMatch(/OMN-[A-Z2-9]{6}/);
    expect(summary).toContain('offline planner');
  });

  it('records WorkflowCompleted once when re-run', async () => {
    const id = 'wf_finalizerr0001';
    await simulateWorkflow(handlers, {
      workflow_id: id,
      user_id: 'alice',
      goal: 'Book a flight to NYC',
      context: {},
      submitted_at: '2026-11-25T17:00:00.000Z',
    });
    expect(await finalize({ workflow_id: id }, lambdaContext)).toEqual({
      workflow_id: id,
      status: 'completed',
    });
    expect(eventTrail(fake, id).filter((e) => e === 'WorkflowCompleted')).toHaveLength(1);
  });

  it("confirms the plan's cache entry on completion, and no other workflow's entry", async () => {
    const id = 'wf_finalizecache01';
    await simulateWorkflow(handlers, {
      workflow_id: id,
      user_id: 'alice',
      goal: 'Book a flight to Paris',
      context: {},
      submitted_at: '2026-11-25T17:00:00.000Z',
    });
    const plan = fake.items('test-state').find((i) => i.pk === `WF#${id}` && i.sk === 'PLAN');
    const entry = { pk: 'C#scope', sk: 'G#goal' };
    fake.put('test-state', { ...plan, cache_entry: entry });
    fake.put('test-cache', { ...entry, workflow_id: 'wf_someoneelse01', confirmed: false });
    const deps = {
      events: { client: dynamo, tableName: 'test-events', stateTable: 'test-state' },
      state: { client: dynamo, tableName: 'test-state', ttlDays: 30 },
      cache: { client: dynamo, tableName: 'test-cache' },
    };
    await finalizeWorkflow(deps, { workflow_id: id });
    expect(fake.items('test-cache')[0]).toMatchObject({ confirmed: false }); // another workflow's plan
    fake.put('test-cache', { ...entry, workflow_id: id, confirmed: false });
    await finalizeWorkflow(deps, { workflow_id: id });
    expect(fake.items('test-cache')[0]).toMatchObject({ confirmed: true });
  });

  it('fails with WorkflowStateMissing without a plan', async () => {
    await expect(finalize({ workflow_id: 'wf_finalizenone01' }, lambdaContext)).rejects.toMatchObject({
      name: 'WorkflowError',
      code: 'WorkflowStateMissing',
    });
  });
});
