import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';

/**
 * Human approval on the local runtime: "Wait for approval" is a `lambda:invoke.waitForTaskToken`
 * task, answered through POST /workflows/{id}/signals/approval.
 */

let harness: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.runtime.token('alice');
  bob = await harness.runtime.token('bob');
});

afterAll(async () => {
  await harness?.cleanup();
});

const submit = (goal: string, token = alice) => harness.submit(goal, { token });

async function events(id: string, token = alice): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const response = await harness.api('GET', `/workflows/${id}/events`, { token });
  expect(response.status).toBe(200);
  const body = response.json;
  if (!isRecord(body) || !Array.isArray(body.events)) throw new Error(response.text);
  return body.events;
}

const signal = (id: string, body: unknown, token = alice) =>
  harness.api('POST', `/workflows/${id}/signals/approval`, { token, body });

const bookings = (id: string) => harness.bookings(id);

describe('human approval (local runtime)', () => {
  it('waits for the approval, resumes on approve and completes with the booking: search → approval → book', async () => {
    const id = await submit('Book a flight to Rome with my approval');
    const waiting = await pollStatus(harness, id, alice, ['waiting', 'failed', 'completed', 'cancelled']);
    expect(waiting.status).toBe('waiting');
    expect(waiting.progress).toMatchObject({ steps_total: 3, steps_done: 1, current: 'approve_flight_1' });
    expect(await bookings(id)).toEqual([]);

    const requested = (await events(id)).find((e) => e.type === 'ApprovalRequested');
    expect(requested?.data).toMatchObject({
      step_ids: ['approve_flight_1'],
      approvals: [{ step_id: 'approve_flight_1', prompt: expect.stringContaining('Rome') }],
    });
    expect(requested?.data.approvals).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ kind: 'flight', destination: 'ROM' }) }),
    ]);

    const answer = await signal(id, { approved: true, comment: 'ok, mail me at jane.doe@example.com' });
    expect(answer.status).toBe(202);
    expect(answer.json).toMatchObject({ workflow_id: id, approved: true });

    const done = await pollStatus(harness, id, alice);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({
      bookings: [expect.objectContaining({ kind: 'flight', city: 'ROM' })],
    });
    const trail = await events(id);
    const types = trail.map((e) =>
      typeof e.data.step_id === 'string' ? `${e.type}:${e.data.step_id}` : e.type,
    );
    expect(types.slice(types.indexOf('PlanCreated'))).toEqual([
      'PlanCreated',
      'StepStarted:search_flight_1',
      'StepSucceeded:search_flight_1',
      'StepStarted:approve_flight_1',
      'ApprovalRequested',
      'ApprovalGranted',
      'StepSucceeded:approve_flight_1',
      'StepStarted:book_flight_1',
      'StepSucceeded:book_flight_1',
      'WorkflowCompleted',
    ]);
    // The comment is redacted before it is stored.
    const granted = trail.find((e) => e.type === 'ApprovalGranted');
    expect(JSON.stringify(granted)).not.toContain('jane.doe@example.com');
    expect(granted?.data.comment).toEqual(expect.stringContaining('ok'));
    expect(await bookings(id)).toEqual([
      expect.objectContaining({ step_id: 'book_flight_1', status: 'booked' }),
    ]);

    // The approval step costs its Map share like any step, plus the Choice and the wait: 12 + 5.
    await harness.runtime.waitForExecution(id);
    expect(harness.runtime.transitionsOf(id)).toBe(17);

    // Nothing waits any more.
    const again = await signal(id, { approved: true });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ error: { code: 'not_waiting' } });
  });

  it('ends cancelled on deny: ApprovalRequested, ApprovalDenied, WorkflowCancelled last, nothing booked', async () => {
    const id = await submit('Book a flight to Rome with my approval');
    await pollStatus(harness, id, alice, ['waiting']);
    const answer = await signal(id, { approved: false, comment: 'too expensive' });
    expect(answer.status).toBe(202);

    const done = await pollStatus(harness, id, alice);
    expect(done.status).toBe('cancelled');
    const trail = await events(id);
    const types = trail.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['ApprovalRequested', 'ApprovalDenied']));
    expect(types.indexOf('ApprovalRequested')).toBeLessThan(types.indexOf('ApprovalDenied'));
    expect(types.at(-1)).toBe('WorkflowCancelled');
    expect(trail.at(-1)?.data).toMatchObject({ reason: 'approval_denied', compensated: [] });
    expect(types).not.toContain('WorkflowFailed');
    expect(await bookings(id)).toEqual([]);
    const execution = await harness.runtime.waitForExecution(id);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('WorkflowCancelled');
  });

  it('compensates the bookings made before a denied approval', async () => {
    // The flight is booked in the first group; the hotel's approval is denied afterwards.
    const id = await submit('Book a flight to Rome, then a hotel in Rome with my approval');
    await pollStatus(harness, id, alice, ['waiting']);
    // The first approval (the flight) is granted, the second (the hotel) denied.
    expect((await signal(id, { approved: true })).status).toBe(202);
    await expect
      .poll(async () => (await events(id)).filter((e) => e.type === 'ApprovalRequested').length, {
        timeout: 15_000,
      })
      .toBe(2);
    await pollStatus(harness, id, alice, ['waiting']);
    expect((await signal(id, { approved: false })).status).toBe(202);

    const done = await pollStatus(harness, id, alice);
    expect(done).toMatchObject({ status: 'cancelled', compensated: ['book_flight_1'] });
    expect(await bookings(id)).toEqual([
      expect.objectContaining({ step_id: 'book_flight_1', status: 'cancelled' }),
    ]);
    const types = (await events(id)).map((e) => e.type);
    expect(types.indexOf('ApprovalDenied')).toBeLessThan(types.indexOf('StepCompensated'));
    expect(types.at(-1)).toBe('WorkflowCancelled');
  });

  it('answers 409 not_waiting to a signal for a workflow that is not waiting', async () => {
    const id = await submit('Book a flight to NYC');
    const done = await pollStatus(harness, id, alice);
    expect(done.status).toBe('completed');
    // A plan without approval spends what it did before approvals existed: 6 + 3 per wave-of-one.
    await harness.runtime.waitForExecution(id);
    expect(harness.runtime.transitionsOf(id)).toBe(12);
    const answer = await signal(id, { approved: true });
    expect(answer.status).toBe(409);
    expect(answer.json).toEqual({
      error: { code: 'not_waiting', message: 'the workflow is not waiting for an approval' },
    });
  });

  it("answers 404 to a signal for another user's workflow or a missing one, and 400 to a bad body", async () => {
    const id = await submit('Book a flight to Rome with my approval');
    await pollStatus(harness, id, alice, ['waiting']);
    const foreign = await signal(id, { approved: true }, bob);
    expect(foreign.status).toBe(404);
    expect(foreign.json).toMatchObject({ error: { code: 'not_found' } });
    const missing = await signal('wf_doesnotexist000000', { approved: true });
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual(foreign.json);

    for (const body of [{ approved: 'yes' }, {}, { approved: true, extra: 1 }, 'not json']) {
      const bad = await signal(id, body);
      expect(bad.status).toBe(400);
      expect(bad.json).toMatchObject({ error: { code: 'invalid_request' } });
    }
    const unauthenticated = await harness.api('POST', `/workflows/${id}/signals/approval`, {
      body: { approved: true },
    });
    expect(unauthenticated.status).toBe(401);

    // Still waiting: none of those answered it.
    expect((await pollStatus(harness, id, alice, ['waiting'])).status).toBe('waiting');
    expect((await signal(id, { approved: false })).status).toBe(202);
    expect((await pollStatus(harness, id, alice)).status).toBe('cancelled');
  });
});
