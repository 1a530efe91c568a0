import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OmnilinkApiError, OmnilinkClient, type WorkflowEventBody } from '../../lib/client.ts';
import { type Harness, pollStatus, startHarness } from '../../lib/local/harness.ts';

/**
 * The push channel on the local runtime (the AWS WebSocket API's protocol on `/ws`) and the client's
 * `watch`: every event exactly once, in seq order, to the terminal one, across a dropped connection,
 * over push and over the polling fallback; another user's workflow looks missing.
 */

let harness: Harness;
let alice: string;
let bob: string;

beforeAll(async () => {
  harness = await startHarness({
    eventStream: { pollIntervalMs: 20, retryBaseMs: 20, retryMaxMs: 100 },
    prewarm: { producer: 1, events: 1, guardian: 1, planner: 1, step: 2, finalize: 1, wsAuthorizer: 1 },
  });
  alice = await harness.runtime.token('alice');
  bob = await harness.runtime.token('bob');
});

afterAll(async () => {
  await harness?.cleanup();
});

const client = (token: string, extra: Partial<ConstructorParameters<typeof OmnilinkClient>[0]> = {}) =>
  new OmnilinkClient({ baseUrl: harness.runtime.baseUrl, token, ...extra });

async function logOf(id: string): Promise<WorkflowEventBody[]> {
  const events: WorkflowEventBody[] = [];
  for await (const event of client(alice).iterateEvents(id)) events.push(event);
  return events;
}

/** A WebSocket class that counts the connections opened. */
function countingWebSocket(): { WebSocket: typeof WebSocket; opened: () => number } {
  let opened = 0;
  class Counting extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      opened += 1;
    }
  }
  return { WebSocket: Counting, opened: () => opened };
}

function expectExactlyTheLog(watched: WorkflowEventBody[], log: WorkflowEventBody[]): void {
  expect(watched.map((e) => e.seq)).toEqual(log.map((e) => e.seq));
  expect(watched.map((e) => e.seq)).toEqual(watched.map((_, i) => i + 1));
  expect(watched).toEqual(log);
  expect(['WorkflowCompleted', 'WorkflowFailed', 'WorkflowCancelled', 'WorkflowRejected']).toContain(
    watched.at(-1)?.type,
  );
}

describe('watch over the push channel', () => {
  it('delivers every event exactly once, in order, to the terminal event, across a dropped connection', async () => {
    const counting = countingWebSocket();
    const alices = client(alice, { WebSocket: counting.WebSocket });
    const { workflow_id: id } = await alices.submitGoal('Book a flight to Rome with my approval');
    const watched: WorkflowEventBody[] = [];
    const transports: string[] = [];
    let dropped = false;
    for await (const event of alices.watch(id, { onTransport: (t) => transports.push(t) })) {
      watched.push(event);
      if (!dropped && event.seq === 2) {
        // Kill the socket mid-stream (no close frame), as a network failure would.
        dropped = true;
        harness.runtime.websocket?.dropConnections();
      }
      if (event.type === 'ApprovalRequested') await alices.signal(id, { approved: true });
    }
    expect(dropped).toBe(true);
    expect(counting.opened()).toBeGreaterThanOrEqual(2);
    expect(transports).toEqual(['push']);
    expectExactlyTheLog(watched, await logOf(id));
    expect(watched.at(-1)?.type).toBe('WorkflowCompleted');
  });

  it('resumes from a given seq without gaps or duplicates', async () => {
    const alices = client(alice);
    const { workflow_id: id } = await alices.submitGoal('Book a flight to NYC');
    await pollStatus(harness, id, alice);
    const log = await logOf(id);
    const watched: WorkflowEventBody[] = [];
    for await (const event of alices.watch(id, { after: 3, transport: 'push' })) watched.push(event);
    expect(watched).toEqual(log.filter((e) => e.seq > 3));
  });

  it("answers another user's workflow exactly like a missing one", async () => {
    const { workflow_id: id } = await client(alice).submitGoal('Book a flight to NYC');
    const errorOf = async (token: string, workflowId: string) => {
      try {
        for await (const _ of client(token).watch(workflowId, { transport: 'push' })) {
          // nothing may arrive
          expect.unreachable('an event of a workflow that is not the caller’s');
        }
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const others = await errorOf(bob, id);
    const missing = await errorOf(bob, 'wf_doesnotexist0000');
    expect(others).toBeInstanceOf(OmnilinkApiError);
    expect(missing).toBeInstanceOf(OmnilinkApiError);
    for (const error of [others, missing]) {
      expect((error as OmnilinkApiError).status).toBe(404);
      expect((error as OmnilinkApiError).code).toBe('not_found');
    }
    expect((others as Error).message).toBe((missing as Error).message);
    await pollStatus(harness, id, alice);
  });

  it('speaks the protocol on /ws: a raw subscribe gets the events, then "subscribed"; another user gets not_found', async () => {
    const { workflow_id: id } = await client(alice).submitGoal('Book a flight to NYC');
    await pollStatus(harness, id, alice);
    const messagesFor = async (token: string) => {
      const socket = new WebSocket(`${harness.runtime.pushUrl}?token=${encodeURIComponent(token)}`);
      const messages: Record<string, unknown>[] = [];
      await new Promise<void>((resolve, reject) => {
        socket.onopen = () => socket.send(JSON.stringify({ action: 'subscribe', workflow_id: id, after: 0 }));
        socket.onmessage = (m) => {
          const message = JSON.parse(String(m.data)) as Record<string, unknown>;
          messages.push(message);
          if (message.type === 'subscribed' || message.type === 'error') resolve();
        };
        socket.onerror = () => reject(new Error('socket error'));
      });
      socket.close();
      return messages;
    };
    const mine = await messagesFor(alice);
    const log = await logOf(id);
    expect(mine.at(-1)).toEqual({ type: 'subscribed', workflow_id: id, replayed_through: log.length });
    expect(mine.slice(0, -1)).toEqual(log.map((event) => ({ type: 'event', workflow_id: id, event })));
    expect(await messagesFor(bob)).toEqual([
      { type: 'error', workflow_id: id, error: { code: 'not_found', message: 'no such workflow' } },
    ]);
  });

  it('refuses a connection without a valid token (401 at the upgrade)', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const socket = new WebSocket(`${harness.runtime.pushUrl}?token=not-a-jwt`);
      socket.onopen = () => resolve(false);
      socket.onclose = () => resolve(true);
      socket.onerror = () => undefined;
    });
    expect(closed).toBe(true);
  });
});

describe('watch over the polling fallback', () => {
  it('delivers every event exactly once when the push channel is unreachable and a poll fails mid-stream', async () => {
    let eventPolls = 0;
    let failed = false;
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input);
      if (url.includes('/events')) {
        eventPolls += 1;
        if (eventPolls === 3 && !failed) {
          failed = true;
          throw new TypeError('socket hang up');
        }
      }
      return fetch(input, init);
    };
    const alices = client(alice, {
      // Nothing listens there: the channel is unavailable, so watch polls.
      pushUrl: 'ws://127.0.0.1:9/ws',
      fetch: flaky,
      maxRetries: 0,
    });
    const { workflow_id: id } = await alices.submitGoal('Book a flight to Paris with my approval');
    const watched: WorkflowEventBody[] = [];
    const transports: string[] = [];
    for await (const event of alices.watch(id, {
      pollInterval: { initialMs: 20, maxMs: 100 },
      onTransport: (t) => transports.push(t),
    })) {
      watched.push(event);
      if (event.type === 'ApprovalRequested') await alices.signal(id, { approved: true });
    }
    expect(failed).toBe(true);
    expect(transports).toContain('poll');
    expectExactlyTheLog(watched, await logOf(id));
  });

  it("polls another user's workflow into the same 404 as a missing one", async () => {
    const { workflow_id: id } = await client(alice).submitGoal('Book a flight to NYC');
    const error = await (async () => {
      try {
        for await (const _ of client(bob).watch(id, { transport: 'poll' })) expect.unreachable();
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(OmnilinkApiError);
    expect((error as OmnilinkApiError).status).toBe(404);
    await pollStatus(harness, id, alice);
  });
});
