import { z } from 'zod';
import {
  type Accepted,
  acceptedSchema,
  type ControlAnswer,
  controlSchema,
  type EventPage,
  errorBodySchema,
  eventPageSchema,
  eventSchema,
  gatewayErrorSchema,
  statusSchema,
  terminalStatuses,
  type WorkflowEventBody,
  type WorkflowList,
  type WorkflowStatusBody,
  type WorkflowSummary,
  workflowListSchema,
} from '../lambdas/domain/api/bodies.ts';
import { terminalEventTypes } from '../lambdas/domain/schemas.ts';

/**
 * A typed client of the Omnilink HTTP API (CONTRACT.md): what the seed's React polling hook did, for
 * any TypeScript caller (browser, Node.js, Lambda). Depends on zod, the global `fetch` and, for
 * `watch`'s push channel, the global `WebSocket` (browsers, Node.js 22+).
 *
 * Every answer is parsed with a zod schema of the contract's body; every refusal becomes an
 * {@link OmnilinkApiError}. `waitForCompletion` polls with exponential backoff and full jitter,
 * honours `Retry-After` on 429/503 and stops promptly on an AbortSignal.
 */

// --- Response schemas: the contract's bodies, defined once in lambdas/domain/api/bodies.ts ---------

// Every body of the contract, as lambdas/domain/api/bodies.ts defines it.
export * from '../lambdas/domain/api/bodies.ts';

export const bookingSchema = z.looseObject({
  step_id: z.string(),
  kind: z.string(),
  confirmation_code: z.string(),
  status: z.string(),
  city: z.string().optional(),
  city_name: z.string().optional(),
  origin_name: z.string().optional(),
  date: z.string().optional(),
  check_in: z.string().optional(),
  nights: z.number().optional(),
  price: z.looseObject({ amount: z.number(), currency: z.string() }).optional(),
});
export type Booking = z.infer<typeof bookingSchema>;

/** The result of a completed travel workflow (other tools may return other shapes: see `result`). */
export const travelResultSchema = z.looseObject({
  summary: z.string(),
  bookings: z.array(bookingSchema),
});
export type TravelResult = z.infer<typeof travelResultSchema>;

// --- Errors ------------------------------------------------------------------------------------

/**
 * A refusal of the API (any non-2xx answer), an unreadable answer (`invalid_response`) or a request
 * that never got one (`network_error`, status 0).
 */
export class OmnilinkApiError extends Error {
  /** HTTP status; 0 when no answer arrived. */
  readonly status: number;
  /** The contract's error code (`invalid_request`, `rate_limited`, `not_found`, ...). */
  readonly code: string;
  /** Validation issues of a 400. */
  readonly issues?: unknown[];
  /** Why the guardian rejected the goal (422). */
  readonly reason?: string;
  /** From `Retry-After` (429/503), in seconds. */
  readonly retryAfterSeconds?: number;

  constructor(
    status: number,
    code: string,
    message: string,
    extra: { issues?: unknown[]; reason?: string; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'OmnilinkApiError';
    this.status = status;
    this.code = code;
    if (extra.issues !== undefined) this.issues = extra.issues;
    if (extra.reason !== undefined) this.reason = extra.reason;
    if (extra.retryAfterSeconds !== undefined) this.retryAfterSeconds = extra.retryAfterSeconds;
  }

  /** Worth retrying the same request later: 429, 502, 503, 504 or no answer at all. */
  get transient(): boolean {
    return this.status === 0 || [429, 502, 503, 504].includes(this.status);
  }
}

/** `waitForCompletion` ran past its `timeoutMs`; `lastStatus` is the last answer seen, if any. */
export class WaitTimeoutError extends Error {
  readonly lastStatus?: WorkflowStatusBody;
  constructor(workflowId: string, timeoutMs: number, lastStatus?: WorkflowStatusBody) {
    super(`workflow ${workflowId} did not finish within ${timeoutMs} ms`);
    this.name = 'WaitTimeoutError';
    if (lastStatus !== undefined) this.lastStatus = lastStatus;
  }
}

// --- Backoff -----------------------------------------------------------------------------------

/** Poll interval: exponential backoff with full jitter between polls. */
export interface PollInterval {
  /** Cap of the first pause. @default 250 */
  readonly initialMs: number;
  /** Largest cap of any pause. @default 5000 */
  readonly maxMs: number;
  /** Growth of the cap per poll without news. @default 2 */
  readonly factor: number;
}

export const DEFAULT_POLL_INTERVAL: PollInterval = { initialMs: 250, maxMs: 5000, factor: 2 };

/**
 * Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog): a pause drawn uniformly from
 * [0, min(maxMs, initialMs · factor^attempt)], `attempt` counting from 0.
 */
export function backoffDelay(attempt: number, interval: PollInterval, random: () => number): number {
  const cap = Math.min(interval.maxMs, interval.initialMs * interval.factor ** Math.max(0, attempt));
  return Math.floor(Math.min(1, Math.max(0, random())) * cap);
}

/**
 * `Retry-After` in seconds: delta-seconds or an HTTP date (relative to `nowMs`); undefined when
 * absent or unreadable. Never negative.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

// --- The client --------------------------------------------------------------------------------

export interface OmnilinkClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000` or the stack's `ApiUrl`. */
  readonly baseUrl: string;
  /** A bearer token (JWT); or `getToken`, called before every request (refresh it there). */
  readonly token?: string;
  readonly getToken?: () => string | Promise<string>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Sent as `User-Agent` where the platform allows it. */
  readonly userAgent?: string;
  /**
   * Retries of a request the API answered 429/502/503/504 (or that got no answer): GETs always,
   * a submit only with an idempotency key (otherwise a retry might start a second workflow).
   * @default 2
   */
  readonly maxRetries?: number;
  /** Backoff of those retries when no `Retry-After` says otherwise. @default {initialMs: 200, maxMs: 2000, factor: 2} */
  readonly retryInterval?: PollInterval;
  /** Longest `Retry-After` honoured by a retry, in seconds (a longer one is thrown). @default 30 */
  readonly maxRetryAfterSeconds?: number;
  /** For tests: uniform random in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** For tests: epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** For tests: an abortable pause. @default setTimeout */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * The push channel's WebSocket URL (the stack's `PushUrl` output in AWS). `null` turns push off
   * (`watch` polls). @default - the API's `/ws` on the same host (`npm start`'s)
   */
  readonly pushUrl?: string | null;
  /** @default globalThis.WebSocket */
  readonly WebSocket?: typeof WebSocket;
}

export interface WatchOptions {
  /** Only events with a greater `seq` (resume from the last one seen). @default 0 */
  readonly after?: number;
  readonly signal?: AbortSignal;
  /** `auto`: push, falling back to polling when the channel is unavailable. @default 'auto' */
  readonly transport?: 'auto' | 'push' | 'poll';
  /** Pauses between polls of the fallback (reset whenever an event arrives). */
  readonly pollInterval?: Partial<PollInterval>;
  /** Called when the transport changes (`push`, `poll`), e.g. to show it. */
  readonly onTransport?: (transport: 'push' | 'poll') => void;
  /**
   * With push: a gap in `seq` (a lost message) unfilled this long, or this long without any message,
   * re-subscribes from the last event seen (the replay fills the gap). @default 2000 / 30000
   */
  readonly gapMs?: number;
  readonly idleMs?: number;
}

export { terminalEventTypes };

/** Messages of the push channel (README "Live events"). */
const pushMessageSchema = z.union([
  // Too large for a WebSocket message: sent without its data, read from the log.
  z.object({
    type: z.literal('event'),
    workflow_id: z.string(),
    event: z.object({ seq: z.number().int().positive() }),
    truncated: z.literal(true),
  }),
  z.object({
    type: z.literal('event'),
    workflow_id: z.string(),
    event: eventSchema,
    truncated: z.never().optional(),
  }),
  z.looseObject({ type: z.literal('subscribed'), workflow_id: z.string(), replayed_through: z.number() }),
  z.looseObject({
    type: z.literal('error'),
    workflow_id: z.string().optional(),
    error: z.looseObject({ code: z.string(), message: z.string() }),
  }),
]);

/** The push channel could not be used (refused, unreachable, closed before subscribing). */
class PushUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PushUnavailable';
  }
}

export interface SubmitOptions {
  readonly context?: Record<string, unknown>;
  /** `Idempotency-Key` (1–64 of A-Za-z0-9_-): the same key and body answer the same workflow. */
  readonly idempotencyKey?: string;
  readonly signal?: AbortSignal;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
}

export interface EventsOptions extends RequestOptions {
  /** Only events with a greater `seq`. @default 0 */
  readonly after?: number;
  /** Page size, 1–1000. @default the server's (500) */
  readonly limit?: number;
}

export interface ListOptions extends RequestOptions {
  /** Page size, 1–100. @default the server's (20) */
  readonly limit?: number;
  /** The `next` cursor of the previous page. */
  readonly next?: string;
}

export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Called with the first status and every status that differs from the previous one. */
  readonly onProgress?: (status: WorkflowStatusBody) => void;
  /** Pauses between polls; the backoff starts over whenever the status changes. */
  readonly pollInterval?: Partial<PollInterval>;
  /** Gives up (WaitTimeoutError) after this long. @default no limit */
  readonly timeoutMs?: number;
  /** Also return when the workflow is `waiting` for a signal (e.g. to ask for an approval). */
  readonly stopOnWaiting?: boolean;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export class OmnilinkClient {
  readonly baseUrl: string;
  readonly #options: OmnilinkClientOptions;
  readonly #fetch: typeof fetch;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #pushUrl: string | undefined;
  readonly #WebSocket: typeof WebSocket | undefined;

  constructor(options: OmnilinkClientOptions) {
    if (options.token === undefined && options.getToken === undefined) {
      throw new TypeError('OmnilinkClient needs a token or getToken');
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#pushUrl =
      options.pushUrl === null ? undefined : (options.pushUrl ?? `${this.baseUrl.replace(/^http/, 'ws')}/ws`);
    this.#WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  }

  /** `POST /omnilink-agent`: starts a workflow for the goal; answers its id and URLs (202). */
  submitGoal(goal: string, options: SubmitOptions = {}): Promise<Accepted> {
    const headers: Record<string, string> = {};
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    const body = { goal, ...(options.context !== undefined ? { context: options.context } : {}) };
    return this.#request('POST', '/omnilink-agent', acceptedSchema, {
      body,
      headers,
      signal: options.signal,
      retry: options.idempotencyKey !== undefined,
    });
  }

  /** `GET /workflows/{id}/status`. */
  getStatus(id: string, options: RequestOptions = {}): Promise<WorkflowStatusBody> {
    return this.#request('GET', `${workflowPath(id)}/status`, statusSchema, {
      signal: options.signal,
      retry: true,
    });
  }

  /** `GET /workflows/{id}/events`: one page; `next_after` is set when more remain. */
  getEvents(id: string, options: EventsOptions = {}): Promise<EventPage> {
    const query = new URLSearchParams();
    if (options.after !== undefined) query.set('after', String(options.after));
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.#request('GET', `${workflowPath(id)}/events${suffix}`, eventPageSchema, {
      signal: options.signal,
      retry: true,
    });
  }

  /** Every event after `after` (default: all), page by page, in `seq` order. */
  async *iterateEvents(id: string, options: EventsOptions = {}): AsyncGenerator<WorkflowEventBody> {
    let after = options.after;
    for (;;) {
      const page = await this.getEvents(id, { ...options, ...(after !== undefined ? { after } : {}) });
      yield* page.events;
      if (page.next_after === undefined || page.events.length === 0) return;
      after = page.next_after;
    }
  }

  /** `GET /workflows`: one page of the caller's workflows, newest first; `next` is set when more remain. */
  listWorkflows(options: ListOptions = {}): Promise<WorkflowList> {
    const query = new URLSearchParams();
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.next !== undefined) query.set('next', options.next);
    const suffix = query.size > 0 ? `?${query}` : '';
    return this.#request('GET', `/workflows${suffix}`, workflowListSchema, {
      signal: options.signal,
      retry: true,
    });
  }

  /** Every workflow of the caller (from `next`, if given), newest first, page by page. */
  async *iterateWorkflows(options: ListOptions = {}): AsyncGenerator<WorkflowSummary> {
    let next = options.next;
    for (;;) {
      const page = await this.listWorkflows({ ...options, ...(next !== undefined ? { next } : {}) });
      yield* page.workflows;
      if (page.next === undefined) return;
      next = page.next;
    }
  }

  /** `POST /workflows/{id}/cancel`: the workflow ends `cancelled`, its completed steps undone. */
  cancel(id: string, options: RequestOptions = {}): Promise<ControlAnswer> {
    return this.#request('POST', `${workflowPath(id)}/cancel`, controlSchema, {
      signal: options.signal,
      retry: false,
    });
  }

  /** `POST /workflows/{id}/signals/approval`: answers a pending human approval. */
  signal(
    id: string,
    answer: { approved: boolean; comment?: string },
    options: RequestOptions = {},
  ): Promise<ControlAnswer> {
    const body = {
      approved: answer.approved,
      ...(answer.comment !== undefined && answer.comment !== '' ? { comment: answer.comment } : {}),
    };
    return this.#request('POST', `${workflowPath(id)}/signals/approval`, controlSchema, {
      body,
      signal: options.signal,
      retry: false,
    });
  }

  /** `POST /workflows/{id}/redrive`: resumes a failed workflow from where it failed. */
  redrive(id: string, options: RequestOptions = {}): Promise<ControlAnswer> {
    return this.#request('POST', `${workflowPath(id)}/redrive`, controlSchema, {
      signal: options.signal,
      retry: false,
    });
  }

  /**
   * Every event of the workflow after `after`, exactly once and in `seq` order, as it is appended,
   * ending after the terminal event. Uses the push channel (a WebSocket subscription with replay);
   * when the channel is unavailable it polls `GET …/events?after=` with backoff, and tries push
   * again later. After a disconnect it resumes from the last event seen, so nothing is missed or
   * repeated. Rejects with OmnilinkApiError 404 for a workflow that is not the caller's.
   */
  async *watch(id: string, options: WatchOptions = {}): AsyncGenerator<WorkflowEventBody> {
    const signal = options.signal;
    const interval: PollInterval = { ...DEFAULT_POLL_INTERVAL, ...options.pollInterval };
    const transport = options.transport ?? 'auto';
    const canPush = transport !== 'poll' && this.#pushUrl !== undefined && this.#WebSocket !== undefined;
    let last = options.after ?? 0;
    let pushFailures = 0;
    let pollsSincePush = 0;
    let attempt = 0;
    let current: 'push' | 'poll' | undefined;
    const use = (next: 'push' | 'poll') => {
      if (current !== next) options.onTransport?.(next);
      current = next;
    };
    for (;;) {
      signal?.throwIfAborted();
      // Push unless it failed three times in a row; then poll, and try push again every 10th poll.
      if (canPush && (pushFailures < 3 || pollsSincePush >= 10)) {
        pollsSincePush = 0;
        let received = false;
        try {
          use('push');
          for await (const event of this.#pushSession(id, last, options)) {
            if (event.seq <= last) continue;
            last = event.seq;
            received = true;
            pushFailures = 0;
            yield event;
            if (terminalEventTypes.includes(event.type)) return;
          }
          // Closed after subscribing (a dropped connection): reconnect from `last`.
          if (!received) pushFailures += 1;
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (!(error instanceof PushUnavailable)) throw error;
          pushFailures += 1;
          if (transport === 'push' && pushFailures >= 3) throw error;
        }
        if (pushFailures > 0)
          await this.#sleep(backoffDelay(pushFailures - 1, interval, this.#random), signal);
        continue;
      }
      use('poll');
      pollsSincePush += 1;
      let page: EventPage;
      try {
        page = await this.getEvents(id, { after: last, ...(signal ? { signal } : {}) });
      } catch (error) {
        if (!(error instanceof OmnilinkApiError) || !error.transient) throw error;
        await this.#sleep(
          error.retryAfterSeconds !== undefined
            ? error.retryAfterSeconds * 1000
            : backoffDelay(attempt++, interval, this.#random),
          signal,
        );
        continue;
      }
      for (const event of page.events) {
        if (event.seq <= last) continue;
        last = event.seq;
        attempt = 0;
        yield event;
        if (terminalEventTypes.includes(event.type)) return;
      }
      if (page.next_after !== undefined) continue;
      await this.#sleep(backoffDelay(attempt++, interval, this.#random), signal);
    }
  }

  /**
   * One WebSocket connection: subscribes after `after` and yields the events in seq order from
   * after + 1, without duplicates; returns when the connection closes. Throws PushUnavailable when
   * the channel cannot be used, OmnilinkApiError 404 when the workflow is not the caller's.
   */
  async *#pushSession(id: string, after: number, options: WatchOptions): AsyncGenerator<WorkflowEventBody> {
    const Socket = this.#WebSocket;
    const pushUrl = this.#pushUrl;
    if (!Socket || pushUrl === undefined) throw new PushUnavailable('no WebSocket');
    const token = this.#options.getToken ? await this.#options.getToken() : (this.#options.token ?? '');
    const url = new URL(pushUrl);
    url.searchParams.set('token', token);
    const inbox: ({ kind: 'message'; data: unknown } | { kind: 'close'; opened: boolean })[] = [];
    let wake: (() => void) | undefined;
    const push = (item: (typeof inbox)[number]) => {
      inbox.push(item);
      wake?.();
    };
    let opened = false;
    let socket: WebSocket;
    try {
      socket = new Socket(url.toString());
    } catch (error) {
      throw new PushUnavailable(`cannot open ${pushUrl}: ${String(error)}`);
    }
    const subscribe = (from: number) =>
      socket.send(JSON.stringify({ action: 'subscribe', workflow_id: id, after: from }));
    socket.onopen = () => {
      opened = true;
      subscribe(after);
    };
    socket.onmessage = (message) => push({ kind: 'message', data: message.data });
    socket.onclose = () => push({ kind: 'close', opened });
    socket.onerror = () => undefined;
    const signal = options.signal;
    const onAbort = () => {
      socket.close();
      wake?.();
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const gapMs = options.gapMs ?? 2000;
    const idleMs = options.idleMs ?? 30_000;
    let next = after + 1;
    const pending = new Map<number, WorkflowEventBody>();
    let lastProgress = this.#now();
    let lastMessage = this.#now();
    try {
      for (;;) {
        signal?.throwIfAborted();
        const item = inbox.shift();
        if (!item) {
          // Wait for a message, or for the gap/idle timers to say "re-subscribe".
          const waitMs = pending.size > 0 ? gapMs : idleMs;
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, waitMs);
          });
          // A pending timer would keep a finished process alive.
          clearTimeout(timer);
          wake = undefined;
          const now = this.#now();
          if (inbox.length === 0 && opened && socket.readyState === socket.OPEN) {
            if ((pending.size > 0 && now - lastProgress >= gapMs) || now - lastMessage >= idleMs) {
              // A lost message (a gap), or a long silence: the replay from `next - 1` fills it in.
              lastProgress = now;
              lastMessage = now;
              subscribe(next - 1);
            }
          }
          continue;
        }
        if (item.kind === 'close') {
          if (!item.opened) throw new PushUnavailable('the push channel refused the connection');
          return;
        }
        lastMessage = this.#now();
        let json: unknown;
        try {
          json = JSON.parse(String(item.data));
        } catch {
          continue; // not a message of this protocol
        }
        const result = pushMessageSchema.safeParse(json);
        if (!result.success) {
          // API Gateway's own answers (no route for the action, an integration error).
          const gateway = gatewayErrorSchema.safeParse(json);
          if (gateway.success)
            throw new PushUnavailable(`the push channel answered "${gateway.data.message}"`);
          continue;
        }
        const parsed = result.data;
        if (parsed.type === 'error') {
          if (parsed.error.code === 'not_found') {
            throw new OmnilinkApiError(404, 'not_found', parsed.error.message);
          }
          throw new PushUnavailable(`${parsed.error.code}: ${parsed.error.message}`);
        }
        if (parsed.type !== 'event' || parsed.workflow_id !== id) continue;
        const seq = parsed.event.seq;
        if (seq < next || pending.has(seq)) continue;
        const event = parsed.truncated
          ? // Too large for a WebSocket message: read it from the log.
            (await this.getEvents(id, { after: seq - 1, limit: 1, ...(signal ? { signal } : {}) })).events[0]
          : parsed.event;
        if (event === undefined) continue;
        pending.set(event.seq, event);
        for (let ready = pending.get(next); ready; ready = pending.get(next)) {
          pending.delete(next);
          next += 1;
          lastProgress = this.#now();
          yield ready;
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close();
    }
  }

  /**
   * Polls the status until it is terminal (completed, failed, cancelled, rejected) — or `waiting`
   * with `stopOnWaiting` — and returns that status body. Between polls it pauses with exponential
   * backoff and full jitter (starting over when the status changes, so a busy workflow is followed
   * closely and an idle one costs few requests); a 429/503 pauses for its `Retry-After` instead.
   * Rejects with the signal's reason when aborted, with WaitTimeoutError after `timeoutMs`, and with
   * OmnilinkApiError for a refusal that waiting cannot fix (404, 401, ...).
   */
  async waitForCompletion(id: string, options: WaitOptions = {}): Promise<WorkflowStatusBody> {
    const interval: PollInterval = { ...DEFAULT_POLL_INTERVAL, ...options.pollInterval };
    const signal = options.signal;
    const deadline = options.timeoutMs === undefined ? undefined : this.#now() + options.timeoutMs;
    let attempt = 0;
    let last: WorkflowStatusBody | undefined;
    let lastJson: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      let pause: number;
      try {
        const status = await this.#request('GET', `${workflowPath(id)}/status`, statusSchema, {
          ...(signal ? { signal } : {}),
          retry: false,
        });
        const json = JSON.stringify(status);
        if (json !== lastJson) {
          lastJson = json;
          last = status;
          attempt = 0;
          options.onProgress?.(status);
        }
        if (terminalStatuses.includes(status.status)) return status;
        if (options.stopOnWaiting && status.status === 'waiting') return status;
        pause = backoffDelay(attempt, interval, this.#random);
        attempt += 1;
      } catch (error) {
        if (!(error instanceof OmnilinkApiError) || !error.transient) throw error;
        // The server said when to come back; otherwise back off as for an unchanged status.
        pause =
          error.retryAfterSeconds !== undefined
            ? error.retryAfterSeconds * 1000
            : backoffDelay(attempt, interval, this.#random);
        attempt += 1;
      }
      if (deadline !== undefined) {
        const left = deadline - this.#now();
        if (left <= 0) throw new WaitTimeoutError(id, options.timeoutMs ?? 0, last);
        if (pause >= left) {
          await this.#sleep(left, signal);
          throw new WaitTimeoutError(id, options.timeoutMs ?? 0, last);
        }
      }
      await this.#sleep(pause, signal);
    }
  }

  async #request<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.core.$ZodType<T>,
    options: {
      body?: unknown;
      headers?: Record<string, string>;
      signal?: AbortSignal | undefined;
      retry: boolean;
    },
  ): Promise<T> {
    const maxRetries = options.retry ? (this.#options.maxRetries ?? 2) : 0;
    const retryInterval = this.#options.retryInterval ?? { initialMs: 200, maxMs: 2000, factor: 2 };
    const maxRetryAfter = this.#options.maxRetryAfterSeconds ?? 30;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(method, path, schema, options);
      } catch (error) {
        const retryable =
          error instanceof OmnilinkApiError &&
          error.transient &&
          attempt < maxRetries &&
          (error.retryAfterSeconds ?? 0) <= maxRetryAfter;
        if (!retryable) throw error;
        const pause =
          error.retryAfterSeconds !== undefined
            ? error.retryAfterSeconds * 1000
            : backoffDelay(attempt, retryInterval, this.#random);
        await this.#sleep(pause, options.signal);
      }
    }
  }

  async #once<T>(
    method: 'GET' | 'POST',
    path: string,
    schema: z.core.$ZodType<T>,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal | undefined },
  ): Promise<T> {
    const token = this.#options.getToken ? await this.#options.getToken() : (this.#options.token ?? '');
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${token}`,
      ...options.headers,
    };
    if (this.#options.userAgent !== undefined) headers['user-agent'] = this.#options.userAgent;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      // An abort is the caller's decision, not a network failure: rethrow it as it is.
      if (options.signal?.aborted) throw options.signal.reason;
      throw new OmnilinkApiError(0, 'network_error', `${method} ${path} got no answer`, { cause: error });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) throw this.#errorOf(response, json, text);
    // A domain schema (zod/mini) or one of this file's: zod's functional parse takes either.
    const parsed = z.safeParse(schema, json);
    if (!parsed.success) {
      throw new OmnilinkApiError(
        response.status,
        'invalid_response',
        `${method} ${path}: the answer does not match the contract`,
        { issues: parsed.error.issues },
      );
    }
    return parsed.data;
  }

  #errorOf(response: Response, json: unknown, text: string): OmnilinkApiError {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), this.#now());
    const retry = retryAfterSeconds !== undefined ? { retryAfterSeconds } : {};
    const contract = errorBodySchema.safeParse(json);
    if (contract.success) {
      const { code, message, issues, reason, retry_after_seconds } = contract.data.error;
      return new OmnilinkApiError(response.status, code, message, {
        ...(issues !== undefined ? { issues } : {}),
        ...(reason !== undefined ? { reason } : {}),
        ...(retryAfterSeconds === undefined && retry_after_seconds !== undefined
          ? { retryAfterSeconds: retry_after_seconds }
          : retry),
      });
    }
    // API Gateway's own answers (authorizer, stage throttling) carry `{"message": ...}` only.
    const gateway = gatewayErrorSchema.safeParse(json);
    const message = gateway.success ? gateway.data.message : text.slice(0, 200) || response.statusText;
    return new OmnilinkApiError(response.status, codeForStatus(response.status), message, retry);
  }
}

function workflowPath(id: string): string {
  return `/workflows/${encodeURIComponent(id)}`;
}

function codeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'rate_limited';
    case 503:
      return 'service_unavailable';
    default:
      return status >= 500 ? 'server_error' : 'http_error';
  }
}

/** The travel result of a completed workflow, when it has that shape (bookings and a summary). */
export function travelResultOf(status: WorkflowStatusBody): TravelResult | undefined {
  return travelResultSchema.safeParse(status.result).data;
}
