import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  OmnilinkApiError,
  OmnilinkClient,
  type OmnilinkClientOptions,
  parseRetryAfter,
  WaitTimeoutError,
  type WorkflowStatusBody,
} from '../../lib/client.ts';

/*
 * The client against a loopback fake of the API: each test scripts the answers (status, headers,
 * body) the server gives, in order, and reads back the requests it received.
 */

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Raw text instead of JSON. */
  readonly text?: string;
}

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let baseUrl: string;
let script: Answer[];
let fallback: Answer | undefined;
let received: Received[];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const answer = script.shift() ??
        fallback ?? { status: 500, body: { error: { code: 'x', message: 'unscripted' } } };
      const text = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  script = [];
  fallback = undefined;
  received = [];
});

const WF = 'wf_clienttest00000001';

const status = (
  state: WorkflowStatusBody['status'],
  progress: Partial<WorkflowStatusBody['progress']> = {},
  extra: Record<string, unknown> = {},
) => ({
  workflow_id: WF,
  status: state,
  progress: { steps_total: 2, steps_done: 0, ...progress },
  started_at: '2026-11-25T18:00:00.000Z',
  updated_at: '2026-11-25T18:00:01.000Z',
  ...extra,
});

/** A client with recorded, instant sleeps and a fixed random unless told otherwise. */
function client(options: Partial<OmnilinkClientOptions> = {}) {
  const sleeps: number[] = [];
  const c = new OmnilinkClient({
    baseUrl: `${baseUrl}/`,
    token: 'tok',
    random: () => 0.5,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
    ...options,
  });
  return { c, sleeps };
}

describe('requests', () => {
  it('submits the goal as JSON with the token, the Idempotency-Key and the user agent', async () => {
    script = [
      {
        status: 202,
        body: {
          status: 'accepted',
          workflow_id: WF,
          poll_url: `/workflows/${WF}/status`,
          events_url: `/workflows/${WF}/events`,
        },
      },
    ];
    const { c } = client({ userAgent: 'test-agent/1' });
    const accepted = await c.submitGoal('Book a flight to NYC', {
      context: { home_city: 'Paris' },
      idempotencyKey: 'trip-1',
    });
    expect(accepted.workflow_id).toBe(WF);
    const [request] = received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/omnilink-agent');
    expect(request?.headers.authorization).toBe('Bearer tok');
    expect(request?.headers['idempotency-key']).toBe('trip-1');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('test-agent/1');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      goal: 'Book a flight to NYC',
      context: { home_city: 'Paris' },
    });
  });

  it('asks getToken before every request', async () => {
    let n = 0;
    script = [
      { status: 200, body: status('running') },
      { status: 200, body: status('running') },
    ];
    const { c } = client({ token: undefined, getToken: async () => `t${++n}` });
    await c.getStatus(WF);
    await c.getStatus(WF);
    expect(received.map((r) => r.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('refuses to be built without a token', () => {
    expect(() => new OmnilinkClient({ baseUrl })).toThrow(TypeError);
  });

  it('sends cancel, approval signals (comment only when given) and redrive to their routes', async () => {
    script = [
      { status: 202, body: { status: 'cancelling', workflow_id: WF } },
      { status: 202, body: { status: 'resumed', workflow_id: WF, approved: true } },
      { status: 202, body: { status: 'resumed', workflow_id: WF, approved: false } },
      { status: 202, body: { status: 'redriving', workflow_id: WF } },
    ];
    const { c } = client();
    expect((await c.cancel(WF)).status).toBe('cancelling');
    await c.signal(WF, { approved: true });
    await c.signal(WF, { approved: false, comment: 'too pricey' });
    await c.redrive(WF);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST /workflows/${WF}/cancel`,
      `POST /workflows/${WF}/signals/approval`,
      `POST /workflows/${WF}/signals/approval`,
      `POST /workflows/${WF}/redrive`,
    ]);
    expect(JSON.parse(received[1]?.body ?? '')).toEqual({ approved: true });
    expect(JSON.parse(received[2]?.body ?? '')).toEqual({ approved: false, comment: 'too pricey' });
  });

  it('reads every page of the events with after/limit', async () => {
    const ev = (seq: number) => ({
      seq,
      type: 'StepStarted',
      at: '2026-11-25T18:00:00Z',
      data: { step_id: `s${seq}`, tool: 'search_flights' },
    });
    script = [
      { status: 200, body: { events: [ev(3), ev(4)], next_after: 4 } },
      { status: 200, body: { events: [ev(5), ev(6)], next_after: 6 } },
      { status: 200, body: { events: [ev(7)] } },
    ];
    const { c } = client();
    const seqs: number[] = [];
    for await (const event of c.iterateEvents(WF, { after: 2, limit: 2 })) seqs.push(event.seq);
    expect(seqs).toEqual([3, 4, 5, 6, 7]);
    expect(received.map((r) => r.url)).toEqual([
      `/workflows/${WF}/events?after=2&limit=2`,
      `/workflows/${WF}/events?after=4&limit=2`,
      `/workflows/${WF}/events?after=6&limit=2`,
    ]);
  });
});

describe('listWorkflows', () => {
  const summary = (n: number) => ({
    workflow_id: `wf_clientlist${String(n).padStart(8, '0')}`,
    goal: `Book a flight to city ${n}`,
    status: 'completed',
    progress: { steps_total: 1, steps_done: 1 },
    created_at: `2026-11-25T18:00:0${n}.000Z`,
    updated_at: `2026-11-25T18:00:0${n}.500Z`,
  });

  it('reads one page with limit and the next cursor, parsed with the contract schema', async () => {
    script = [{ status: 200, body: { workflows: [summary(3), summary(2)], next: 'abc_-1' } }];
    const { c } = client();
    const page = await c.listWorkflows({ limit: 2, next: 'prev_cursor' });
    expect(page.workflows.map((w) => w.workflow_id)).toEqual([
      summary(3).workflow_id,
      summary(2).workflow_id,
    ]);
    expect(page.next).toBe('abc_-1');
    expect(received[0]?.url).toBe('/workflows?limit=2&next=prev_cursor');
    expect(received[0]?.headers.authorization).toMatch(/^Bearer /);
  });

  it('iterates over every page until no next cursor remains', async () => {
    script = [
      { status: 200, body: { workflows: [summary(5), summary(4)], next: 'c1' } },
      { status: 200, body: { workflows: [summary(3), summary(2)], next: 'c2' } },
      { status: 200, body: { workflows: [summary(1)] } },
    ];
    const { c } = client();
    const ids: string[] = [];
    for await (const workflow of c.iterateWorkflows({ limit: 2 })) ids.push(workflow.workflow_id);
    expect(ids).toEqual([5, 4, 3, 2, 1].map((n) => summary(n).workflow_id));
    expect(received.map((r) => r.url)).toEqual([
      '/workflows?limit=2',
      '/workflows?limit=2&next=c1',
      '/workflows?limit=2&next=c2',
    ]);
  });

  it('refuses a page whose items do not match the contract', async () => {
    script = [{ status: 200, body: { workflows: [{ ...summary(1), status: 'exploded' }] } }];
    const { c } = client();
    const error = await c.listWorkflows().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OmnilinkApiError);
    expect((error as OmnilinkApiError).code).toBe('invalid_response');
  });

  it('turns a 400 for a bad cursor into an OmnilinkApiError with the issues', async () => {
    script = [
      {
        status: 400,
        body: {
          error: {
            code: 'invalid_request',
            message: 'invalid query parameters',
            issues: [{ path: ['next'], message: 'not a cursor of this listing' }],
          },
        },
      },
    ];
    const { c } = client();
    const error = (await c.listWorkflows({ next: 'x' }).catch((e: unknown) => e)) as OmnilinkApiError;
    expect(error.status).toBe(400);
    expect(error.issues).toEqual([{ path: ['next'], message: 'not a cursor of this listing' }]);
  });
});

describe('errors', () => {
  const errorOf = async (answer: Answer, call?: (c: OmnilinkClient) => Promise<unknown>) => {
    script = [answer];
    const { c } = client({ maxRetries: 0 });
    const error = await (call ?? ((cl) => cl.submitGoal('x')))(c).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OmnilinkApiError);
    return error as OmnilinkApiError;
  };

  it('maps a 400 with its issues', async () => {
    const issues = [{ path: ['goal'], message: 'goal must not be empty' }];
    const error = await errorOf({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'bad', issues } },
    });
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', message: 'bad', issues });
  });

  it('maps a 422 with the guardian reason', async () => {
    const error = await errorOf({
      status: 422,
      body: { error: { code: 'rejected_by_guardian', message: 'no', reason: 'instruction_override' } },
    });
    expect(error).toMatchObject({
      status: 422,
      code: 'rejected_by_guardian',
      reason: 'instruction_override',
    });
    expect(error.transient).toBe(false);
  });

  it('maps a 429 with Retry-After in seconds', async () => {
    const error = await errorOf({
      status: 429,
      headers: { 'retry-after': '7' },
      body: { error: { code: 'rate_limited', message: 'slow down', retry_after_seconds: 7 } },
    });
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 7 });
    expect(error.transient).toBe(true);
  });

  it("maps API Gateway's own bodies ({message}) onto codes", async () => {
    expect(await errorOf({ status: 401, body: { message: 'Unauthorized' } })).toMatchObject({
      status: 401,
      code: 'unauthorized',
      message: 'Unauthorized',
    });
    expect(await errorOf({ status: 429, body: { message: 'Too Many Requests' } })).toMatchObject({
      code: 'rate_limited',
    });
  });

  it('maps a non-JSON 502 to server_error', async () => {
    const error = await errorOf({ status: 502, text: '<html>bad gateway</html>' }, (c) => c.getStatus(WF));
    expect(error).toMatchObject({ status: 502, code: 'server_error' });
  });

  it('maps an answer that breaks the contract to invalid_response', async () => {
    const error = await errorOf({ status: 200, body: { status: 'sleeping' } }, (c) => c.getStatus(WF));
    expect(error).toMatchObject({ status: 200, code: 'invalid_response' });
    expect(error.issues?.length).toBeGreaterThan(0);
  });

  it('maps a refused connection to network_error (status 0)', async () => {
    const c = new OmnilinkClient({ baseUrl: 'http://127.0.0.1:1', token: 't', maxRetries: 0 });
    const error = await c.getStatus(WF).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'OmnilinkApiError', status: 0, code: 'network_error' });
  });
});

describe('retries of single requests', () => {
  it('retries a GET after a 503, honouring Retry-After', async () => {
    script = [
      {
        status: 503,
        headers: { 'retry-after': '2' },
        body: { error: { code: 'service_unavailable', message: 'x' } },
      },
      { status: 200, body: status('running') },
    ];
    const { c, sleeps } = client();
    expect((await c.getStatus(WF)).status).toBe('running');
    expect(sleeps).toEqual([2000]);
  });

  it('never retries a submit without an idempotency key (it might start a second workflow)', async () => {
    script = [{ status: 503, body: { error: { code: 'service_unavailable', message: 'x' } } }];
    const { c } = client();
    await expect(c.submitGoal('x')).rejects.toMatchObject({ status: 503 });
    expect(received).toHaveLength(1);
  });

  it('retries a submit with an idempotency key', async () => {
    script = [
      { status: 503, body: { error: { code: 'service_unavailable', message: 'x' } } },
      {
        status: 202,
        body: { status: 'accepted', workflow_id: WF, poll_url: 'p', events_url: 'e' },
      },
    ];
    const { c, sleeps } = client();
    await c.submitGoal('x', { idempotencyKey: 'k1' });
    expect(received).toHaveLength(2);
    // No Retry-After: full jitter, random 0.5 of the first cap (200 ms).
    expect(sleeps).toEqual([100]);
  });
});

describe('backoff helpers', () => {
  it('draws full jitter in [0, min(max, initial * factor^attempt)]', () => {
    const interval = { initialMs: 100, maxMs: 1000, factor: 2 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, interval, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, interval, () => 0)).toBe(0);
    // Out-of-range randoms are clamped.
    expect(backoffDelay(0, interval, () => 7)).toBe(100);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-25T18:00:00.000Z');
    expect(parseRetryAfter('12', now)).toBe(12);
    expect(parseRetryAfter('Wed, 25 Nov 2026 18:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Wed, 25 Nov 2026 17:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('waitForCompletion', () => {
  it('polls until completed with exponential backoff and full jitter, within the bounds', async () => {
    const randoms = [0.1, 0.9, 0.5, 0.99, 0.3];
    fallback = undefined;
    script = [
      ...Array.from({ length: 5 }, () => ({ status: 200, body: status('running') })),
      {
        status: 200,
        body: status('completed', { steps_done: 2 }, { result: { summary: 's', bookings: [] } }),
      },
    ];
    const { c, sleeps } = client({ random: () => randoms.shift() ?? 0 });
    const interval = { initialMs: 100, maxMs: 500, factor: 2 };
    const final = await c.waitForCompletion(WF, { pollInterval: interval });
    expect(final.status).toBe('completed');
    const caps = [100, 200, 400, 500, 500];
    expect(sleeps).toHaveLength(5);
    sleeps.forEach((ms, n) => {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(caps[n] ?? 0);
    });
    expect(sleeps).toEqual([10, 180, 200, 495, 150]);
  });

  it('starts the backoff over when the status changes, and reports each change once', async () => {
    script = [
      { status: 200, body: status('running') },
      { status: 200, body: status('running') },
      { status: 200, body: status('running', { steps_done: 1, current: 'b' }) },
      { status: 200, body: status('running', { steps_done: 1, current: 'b' }) },
      { status: 200, body: status('completed', { steps_done: 2 }) },
    ];
    const { c, sleeps } = client({ random: () => 1 });
    const seen: string[] = [];
    await c.waitForCompletion(WF, {
      pollInterval: { initialMs: 100, maxMs: 10_000, factor: 3 },
      onProgress: (s) => seen.push(`${s.status}:${s.progress.steps_done}`),
    });
    expect(sleeps).toEqual([100, 300, 100, 300]);
    expect(seen).toEqual(['running:0', 'running:1', 'completed:2']);
  });

  it.each(['failed', 'cancelled', 'rejected'] as const)('stops on %s', async (state) => {
    script = [{ status: 200, body: status(state, {}, { error: { code: 'e', message: 'm' } }) }];
    const { c } = client();
    expect((await c.waitForCompletion(WF)).status).toBe(state);
  });

  it('stops on waiting only with stopOnWaiting', async () => {
    script = [{ status: 200, body: status('waiting') }];
    const { c } = client();
    expect((await c.waitForCompletion(WF, { stopOnWaiting: true })).status).toBe('waiting');
    script = [
      { status: 200, body: status('waiting') },
      { status: 200, body: status('completed') },
    ];
    expect((await c.waitForCompletion(WF)).status).toBe('completed');
  });

  it('honours Retry-After on 429 and 503, in seconds and as an HTTP date', async () => {
    const now = Date.parse('2026-11-25T18:00:00.000Z');
    script = [
      {
        status: 429,
        headers: { 'retry-after': '3' },
        body: { error: { code: 'rate_limited', message: 'x' } },
      },
      {
        status: 503,
        headers: { 'retry-after': 'Wed, 25 Nov 2026 18:00:05 GMT' },
        body: { error: { code: 'service_unavailable', message: 'x' } },
      },
      { status: 200, body: status('completed') },
    ];
    const { c, sleeps } = client({ now: () => now });
    await c.waitForCompletion(WF);
    expect(sleeps).toEqual([3000, 5000]);
  });

  it('keeps polling through a network error', async () => {
    script = [{ status: 200, body: status('completed') }];
    let calls = 0;
    const { c, sleeps } = client({
      fetch: async (input, init) => {
        calls += 1;
        if (calls === 1) throw new TypeError('fetch failed');
        return fetch(input, init);
      },
    });
    expect((await c.waitForCompletion(WF)).status).toBe('completed');
    expect(calls).toBe(2);
    expect(sleeps).toHaveLength(1);
  });

  it('throws a refusal that waiting cannot fix (404)', async () => {
    script = [{ status: 404, body: { error: { code: 'not_found', message: 'workflow not found' } } }];
    const { c } = client();
    await expect(c.waitForCompletion(WF)).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('rejects promptly with the reason when aborted during a pause', async () => {
    fallback = { status: 200, body: status('running') };
    const c = new OmnilinkClient({ baseUrl, token: 't' });
    const controller = new AbortController();
    const started = performance.now();
    const waiting = c.waitForCompletion(WF, {
      signal: controller.signal,
      pollInterval: { initialMs: 60_000, maxMs: 60_000, factor: 1 },
      onProgress: () => setTimeout(() => controller.abort(new Error('stop')), 20),
    });
    await expect(waiting).rejects.toThrow('stop');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('rejects at once with an already-aborted signal, without a request', async () => {
    const { c } = client();
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(c.waitForCompletion(WF, { signal: controller.signal })).rejects.toThrow('gone');
    expect(received).toHaveLength(0);
  });

  it('gives up with WaitTimeoutError after timeoutMs, carrying the last status', async () => {
    let clock = 0;
    fallback = { status: 200, body: status('running', { steps_done: 1 }) };
    const { c } = client({
      now: () => clock,
      random: () => 1,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    const error = await c
      .waitForCompletion(WF, { timeoutMs: 1000, pollInterval: { initialMs: 300, maxMs: 300, factor: 1 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).lastStatus?.progress.steps_done).toBe(1);
    expect(clock).toBe(1000);
  });
});
