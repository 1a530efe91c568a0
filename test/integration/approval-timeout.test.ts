import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';

/** An approval nobody answers: the wait times out (States.Timeout) and the workflow ends cancelled. */

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness({ env: { APPROVAL_TIMEOUT_SECONDS: '2' } });
  alice = await harness.runtime.token('alice');
});

afterAll(async () => {
  await harness?.cleanup();
});

describe('human approval timeout (local runtime)', () => {
  it('cancels the workflow when nobody answers in APPROVAL_TIMEOUT_SECONDS, and a late signal gets 409', async () => {
    const submitted = await harness.api('POST', '/omnilink-agent', {
      token: alice,
      body: { goal: 'Book a flight to Rome with my approval' },
    });
    const body = submitted.json;
    if (!isRecord(body) || typeof body.workflow_id !== 'string') throw new Error(submitted.text);
    const id = body.workflow_id;
    // Waiting first (unless a slow machine polled only after the timeout).
    expect(['waiting', 'cancelled']).toContain(
      (await pollStatus(harness, id, alice, ['waiting', 'cancelled'])).status,
    );

    const done = await pollStatus(harness, id, alice, ['completed', 'failed', 'cancelled'], 10_000);
    expect(done.status).toBe('cancelled');
    const trail = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
    const events = isRecord(trail.json) && Array.isArray(trail.json.events) ? trail.json.events : [];
    expect(events.at(-1)).toMatchObject({
      type: 'WorkflowCancelled',
      data: { reason: 'approval_timed_out' },
    });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'StepFailed',
        data: expect.objectContaining({ step_id: 'approve_flight_1' }),
      }),
    );

    const history = harness.runtime.stepFunctions.get(id)?.events.map((e) => e.type) ?? [];
    expect(history).toContain('TaskTimedOut');

    const late = await harness.api('POST', `/workflows/${id}/signals/approval`, {
      token: alice,
      body: { approved: true },
    });
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ error: { code: 'not_waiting' } });
    const after = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
    expect(after.json).toEqual(trail.json);
  });
});
