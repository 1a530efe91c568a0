import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';
import { functionSpecs } from '../../lib/specs.ts';

/**
 * Cooperative cancel on the local runtime: POST /workflows/{id}/cancel records CancelRequested; the next
 * step (or the approval wait, answered at once) fails with WorkflowCancelled and the saga undoes what was
 * done. Steps start after a short pause here, so that a cancel can land between two bookings.
 */

let harness: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  harness = await startHarness({
    functions: {
      ...functionSpecs,
      step: { ...functionSpecs.step, entry: 'test/integration/fixtures/slow-step.ts' },
    },
    env: { TEST_STEP_DELAY_MS: '150' },
  });
  alice = await harness.runtime.token('alice');
  bob = await harness.runtime.token('bob');
});

afterAll(async () => {
  await harness?.cleanup();
});

const submit = (goal: string, token = alice) => harness.submit(goal, { token });

async function events(id: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const response = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
  const body = response.json;
  if (!isRecord(body) || !Array.isArray(body.events)) throw new Error(response.text);
  return body.events;
}

const cancel = (id: string, token = alice) => harness.api('POST', `/workflows/${id}/cancel`, { token });

const bookings = (id: string) => harness.bookings(id);

const THREE_LEGS = 'Book a flight to Rome, then a hotel in Rome, then a flight from Rome to Paris';

describe('cancel (local runtime)', () => {
  it('cancels a running workflow after its first booking: the booking is cancelled, WorkflowCancelled last', async () => {
    // The cancel function warm first (a 404 for a missing workflow): its cold start would otherwise
    // let the two remaining legs (milliseconds each locally) book before the cancel is recorded.
    expect((await cancel('wf_AbCdEfGhIjKlMnOpQrStUvWxYz')).status).toBe(404);
    const id = await submit(THREE_LEGS);
    await expect
      .poll(
        async () =>
          (await events(id)).some((e) => e.type === 'StepSucceeded' && e.data.step_id === 'book_flight_1'),
        {
          timeout: 15_000,
          interval: 20,
        },
      )
      .toBe(true);
    const answer = await cancel(id);
    expect(answer.status).toBe(202);
    expect(answer.json).toEqual({ status: 'cancelling', workflow_id: id });

    const done = await pollStatus(harness, id, alice);
    expect(done.status).toBe('cancelled');
    expect(done.compensated).toEqual(expect.arrayContaining(['book_flight_1']));
    const made = await bookings(id);
    expect(made.length).toBeGreaterThan(0);
    expect(made.length).toBeLessThan(3);
    for (const booking of made) expect(booking.status).toBe('cancelled');

    const trail = await events(id);
    const types = trail.map((e) => e.type);
    expect(types).toContain('CancelRequested');
    expect(types.indexOf('CancelRequested')).toBeLessThan(types.indexOf('StepCompensated'));
    expect(types.at(-1)).toBe('WorkflowCancelled');
    expect(trail.at(-1)?.data).toMatchObject({ reason: 'cancelled_by_user' });
    expect(types).not.toContain('WorkflowFailed');
    // No step started after the cancel was recorded, except one already in flight.
    expect(
      types.filter((t, i) => t === 'StepStarted' && i > types.indexOf('CancelRequested')).length,
    ).toBeLessThanOrEqual(1);

    // Once it has ended, a cancel answers 409 not_running.
    const late = await cancel(id);
    expect(late.status).toBe(409);
    expect(late.json).toMatchObject({ error: { code: 'not_running' } });
  });

  it('cancels right after submit: the workflow ends cancelled, whatever it booked is cancelled', async () => {
    const id = await submit(THREE_LEGS);
    expect((await cancel(id)).status).toBe(202);
    const done = await pollStatus(harness, id, alice);
    expect(done.status).toBe('cancelled');
    for (const booking of await bookings(id)) expect(booking.status).toBe('cancelled');
    const types = (await events(id)).map((e) => e.type);
    expect(types[0]).toBe('GoalReceived');
    expect(types.filter((t) => t === 'GoalReceived')).toHaveLength(1);
    expect(types.at(-1)).toBe('WorkflowCancelled');
  });

  it('cancels a workflow waiting for an approval at once', async () => {
    const id = await submit('Book a flight to Rome with my approval');
    await pollStatus(harness, id, alice, ['waiting']);
    expect((await cancel(id)).status).toBe(202);
    const done = await pollStatus(harness, id, alice, ['completed', 'failed', 'cancelled'], 5_000);
    expect(done.status).toBe('cancelled');
    const trail = await events(id);
    expect(trail.at(-1)).toMatchObject({ type: 'WorkflowCancelled', data: { reason: 'cancelled_by_user' } });
    expect(trail.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ApprovalRequested', 'CancelRequested']),
    );
    expect(await bookings(id)).toEqual([]);
    // The approval is no longer pending.
    const signal = await harness.api('POST', `/workflows/${id}/signals/approval`, {
      token: alice,
      body: { approved: true },
    });
    expect(signal.status).toBe(409);
  });

  it("answers 404 for another user's workflow and for a missing one, exactly like status", async () => {
    const id = await submit('Book a flight to Rome with my approval');
    await pollStatus(harness, id, alice, ['waiting']);
    const foreign = await cancel(id, bob);
    const missing = await cancel('wf_doesnotexist000000');
    const status = await harness.api('GET', `/workflows/${id}/status`, { token: bob });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.json).toEqual(status.json);
    expect(missing.json).toEqual(status.json);
    // Bob's cancel changed nothing.
    expect((await pollStatus(harness, id, alice, ['waiting'])).status).toBe('waiting');
    expect((await cancel(id)).status).toBe(202);
    expect((await pollStatus(harness, id, alice)).status).toBe('cancelled');
  });
});
