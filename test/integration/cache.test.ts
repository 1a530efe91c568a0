import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from './harness.ts';

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
  return { status, plan: isRecord(plan) ? plan.data : undefined };
}

describe('semantic cache through the HTTP API', () => {
  it('serves a paraphrase from the cache, re-binds a near miss, plans afresh for another user', async () => {
    const first = await run('Book a flight to NYC', alice);
    expect(first.plan).toMatchObject({ source: 'planner' });
    const para = await run('Please book me a flight to New York City', alice);

    expect(para.plan).toMatchObject({ source: 'cache', cache: { match: 'template', rebound: [] } });
    expect(isRecord(para.status) && para.status.status).toBe('completed');
    const tokyo = await run('Book a flight to Tokyo', alice);
    expect(tokyo.plan).toMatchObject({
      source: 'cache',
      cache: { rebound: [{ slot: 'r1.destination', from: 'NYC', to: 'TYO' }] },
    });
    expect(JSON.stringify(isRecord(tokyo.plan) && tokyo.plan.plan)).not.toContain('NYC');
    expect(isRecord(tokyo.status) && tokyo.status.status).toBe('completed');
    const other = await run('Book a flight from NYC to Paris', alice);
    expect(other.plan).toMatchObject({ source: 'planner' });
    const bobs = await run('Book a flight to NYC', bob);
    expect(bobs.plan).toMatchObject({ source: 'planner' });
  });
});
