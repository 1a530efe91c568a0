import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as planner } from '../../lambdas/handlers/planner.ts';
import { installFakeDynamo, lambdaContext, storedEvents, TABLES } from './harness.ts';

vi.hoisted(() => {
  process.env.EVENT_LOG_TABLE = 'test-events';
  process.env.STATE_TABLE = 'test-state';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const fake = installFakeDynamo();
const input = (workflow_id: string, goal: string, context: Record<string, unknown> = {}) => ({
  workflow_id,
  user_id: 'alice',
  goal,
  context,
});

beforeEach(() => fake.reset());

describe('planner task', () => {
  it('stores the plan, records PlanCreated and returns the steps without dependencies', async () => {
    const id = 'wf_plannerok00001';
    const result = await planner(
      input(id, 'Book a flight from London to Paris and a hotel in Paris'),
      lambdaContext,
    );
    expect(result).toEqual({ ready: ['search_flight_1', 'search_hotel_2'], done: [] });
    const [item] = fake.items(TABLES.state);
    expect(item).toMatchObject({
      pk: `WF#${id}`,
      sk: 'PLAN',
      source: 'planner',
      provider: 'offline',
      expires_at: expect.any(Number),
    });
    expect(fake.mock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLES.state,
      ConditionExpression: expect.stringContaining('attribute_not_exists(pk)'),
    });
    const events = storedEvents(fake, id);
    expect(events.map((e) => e.event_id)).toEqual(['ModelCalled:planner', 'PlanCreated']);
    expect(events[0]?.data).toMatchObject({ purpose: 'planner', provider: 'offline' });
    expect(events[1]?.data).toMatchObject({ source: 'planner', steps_total: 4, provider: 'offline' });
  });

  it('takes the origin from context.home_city', async () => {
    const id = 'wf_plannerhome001';
    await planner(input(id, 'Fly to Tokyo', { home_city: 'Berlin' }), lambdaContext);
    const plan = fake.items(TABLES.state)[0]?.plan;
    expect(plan).toMatchObject({
      steps: [{ id: 'search_flight_1', input: { origin: 'Berlin', destination: 'Tokyo' } }, {}],
    });
  });

  it('keeps the first stored plan on a re-run', async () => {
    const id = 'wf_plannerrerun01';
    await planner(input(id, 'Book a flight to Rome'), lambdaContext);
    const again = await planner(input(id, 'Book a hotel in Lisbon'), lambdaContext);
    expect(again).toEqual({ ready: ['search_flight_1'], done: [] });
    expect(storedEvents(fake, id).map((e) => e.event_id)).toEqual(['ModelCalled:planner', 'PlanCreated']);
  });

  it('plans a goal with an unknown city (the step fails later, not the plan)', async () => {
    const result = await planner(
      input('wf_planneratlant1', 'Book a flight to NYC, then book a hotel in Atlantis'),
      lambdaContext,
    );
    expect(result).toEqual({ ready: ['search_flight_1'], done: [] });
  });

  it('fails with PlanInvalid and a helpful message for a goal it cannot understand', async () => {
    const id = 'wf_plannergibber1';
    await expect(planner(input(id, 'blorp zzzt quux'), lambdaContext)).rejects.toMatchObject({
      name: 'PlanInvalid',
      message: expect.stringContaining('Book a flight to Paris'),
    });
    expect(fake.items(TABLES.state)).toEqual([]);
  });

  it('fails with PlanInvalid while the approval tool is not available', async () => {
    await expect(
      planner(input('wf_plannerapprov1', 'Book a flight to Rome with my approval'), lambdaContext),
    ).rejects.toMatchObject({ name: 'PlanInvalid', message: expect.stringContaining('human_approval') });
  });
});
