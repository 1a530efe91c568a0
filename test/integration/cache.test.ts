import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';

let harness: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.runtime.token('alice');
  bob = await harness.runtime.token('bob');
});
afterAll(async () => harness?.cleanup());

async function run(goal: string, token: string) {
  const res = await harness.api('POST', '/omnilink-agent', { token, body: { goal } });
  expect(res.status).toBe(202);
  const id = isRecord(res.json) ? String(res.json.workflow_id) : '';
  const status = await pollStatus(harness, id, token);
  const events = await harness.api('GET', `/workflows/${id}/events`, { token });
  const list = isRecord(events.json) && Array.isArray(events.json.events) ? events.json.events : [];
  const plan = list.find((e: unknown) => isRecord(e) && e.type === 'PlanCreated');
  return {
    status: isRecord(status) ? status.status : undefined,
    plan: isRecord(plan) ? plan.data : undefined,
  };
}

describe('plan cache through the HTTP API', () => {
  it('serves a paraphrase of a completed goal from the cache, and it completes', async () => {
    const first = await run('show me flights from boston to san francisco', alice);
    expect(first).toMatchObject({ status: 'completed', plan: { source: 'planner' } });
    const para = await run('i want to fly from boston to san francisco', alice);
    expect(para).toMatchObject({
      status: 'completed',
      plan: { source: 'cache', cache: { match: 'template', rebound: [] } },
    });
  });

  it('serves exact repeats as they were, re-binds other values, plans afresh for other wordings and users', async () => {
    expect(await run('Book a flight from London to NYC', alice)).toMatchObject({
      plan: { source: 'planner' },
    });
    expect(await run('book a flight from london to NYC!', alice)).toMatchObject({
      status: 'completed',
      plan: { source: 'cache', cache: { match: 'exact' } },
    });
    const tokyo = await run('Book a flight from London to Tokyo', alice);
    expect(tokyo).toMatchObject({
      status: 'completed',
      plan: {
        source: 'cache',
        cache: { match: 'template', rebound: [{ slot: 'to.city', from: 'NYC', to: 'TYO' }] },
      },
    });
    expect(JSON.stringify(isRecord(tokyo.plan) && tokyo.plan.plan)).not.toContain('NYC');
    expect(await run('Book a flight to NYC', alice)).toMatchObject({
      plan: { source: 'planner' },
    });
    expect(await run('Book a business class flight from London to NYC', alice)).toMatchObject({
      plan: { source: 'planner' },
    });
    expect(await run('Book a flight from London to NYC', bob)).toMatchObject({ plan: { source: 'planner' } });
  });
});
