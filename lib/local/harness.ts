import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from './runtime.ts';

/**
 * The one harness for driving a whole local runtime as a user's client does: on free ports, with its
 * own data directory, tokens per user, and the calls the integration tests and the
 * bench (lib/bench) share: submit a goal, read its events and bookings, wait for a status.
 */

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (undefined when the body is empty or not JSON). */
  readonly json: unknown;
  readonly text: string;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface SubmitOptions {
  readonly token: string;
  readonly idempotencyKey?: string;
  readonly context?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An answer to POST /omnilink-agent, with the workflow id of a 202. */
export interface Submitted extends ApiResponse {
  readonly workflowId?: string;
}

/** A workflow's audit-trail event as GET /workflows/{id}/events returns it. */
export interface TrailEvent {
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
}

export interface Harness {
  runtime: LocalRuntime;
  /** The runtime's data directory (a temporary one, deleted by `cleanup`; unused with `inMemory`). */
  readonly dataDir: string;
  /** Calls the API; `body` objects are sent as JSON. */
  api(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** A token of the runtime's issuer for user `sub`, minted once per user. */
  token(sub: string): Promise<string>;
  /** POST /omnilink-agent with `{ goal, context }`: the answer, whatever it is. */
  postGoal(goal: string, options: SubmitOptions): Promise<Submitted>;
  /** POST /omnilink-agent: the workflow id, or an error unless the answer is 202. */
  submit(goal: string, options: SubmitOptions): Promise<string>;
  /** GET /workflows/{id}/events: the audit trail, or an error unless the answer is 200. */
  events(workflowId: string, token: string): Promise<TrailEvent[]>;
  /** The bookings the workflow's steps made (its items in the bookings table). */
  bookings(workflowId: string): Promise<Record<string, unknown>[]>;
  /** A document client on the runtime's DynamoDB (closed by `cleanup`). */
  documents(): DynamoDBDocumentClient;
  /** Stops the runtime and starts a new one on the same data directory (a restart of `npm start`). */
  restart(): Promise<void>;
  /** Stops the runtime and deletes the data directory. */
  cleanup(): Promise<void>;
}

/** What the tests' runtimes change from `npm start`'s (the bench passes `{}` to keep those). */
export const TEST_RUNTIME_DEFAULTS: Omit<LocalRuntimeOptions, 'dataDir' | 'port'> = {
  retryIntervalMs: 10,
  // Fixtures (test/integration/fixtures) read TEST_* knobs that tests change while the runtime runs:
  // the functions' workers get them at each invocation (their environment is otherwise their own).
  invocationEnv: testKnobs,
  // Cold starts are real: start the environments of a workflow's path before the tests run, so
  // tests that time things (rate limits, approval timeouts) do not race first invocations' inits.
  prewarm: { producer: 2, status: 1, events: 1, guardian: 1, planner: 1, step: 2, finalize: 1 },
};

/** Starts a local runtime on free ports and a data directory of its own. */
export async function startHarness(
  options: Omit<LocalRuntimeOptions, 'dataDir' | 'port'> = {},
  defaults: Omit<LocalRuntimeOptions, 'dataDir' | 'port'> = TEST_RUNTIME_DEFAULTS,
): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'omnilink-local-'));
  const runtimeOptions: LocalRuntimeOptions = {
    ...defaults,
    ...options,
    dataDir,
    port: 0,
  };
  let runtime = await startLocalRuntime(runtimeOptions);
  let stopped = false;
  let documents: DynamoDBDocumentClient | undefined;
  const tokens = new Map<string, Promise<string>>();
  const harness: Harness = {
    get runtime() {
      return runtime;
    },
    set runtime(value) {
      runtime = value;
    },
    dataDir,
    async api(method, path, request = {}) {
      const headers: Record<string, string> = { ...request.headers };
      if (request.token) headers.authorization = `Bearer ${request.token}`;
      let body: string | undefined;
      if (request.body !== undefined) {
        body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(`${runtime.baseUrl}${path}`, { method, headers, body });
      const text = await response.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, json, text };
    },
    token(sub) {
      let token = tokens.get(sub);
      if (!token) {
        token = runtime.token(sub);
        tokens.set(sub, token);
      }
      return token;
    },
    async postGoal(goal, { token, idempotencyKey, context, headers }) {
      const response = await harness.api('POST', '/omnilink-agent', {
        token,
        body: { goal, ...(context ? { context } : {}) },
        headers: { ...headers, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      });
      const body = response.json;
      const workflowId =
        response.status === 202 && isRecord(body) && typeof body.workflow_id === 'string'
          ? body.workflow_id
          : undefined;
      return workflowId ? { ...response, workflowId } : response;
    },
    async submit(goal, submitOptions) {
      const response = await harness.postGoal(goal, submitOptions);
      if (!response.workflowId)
        throw new Error(`POST /omnilink-agent answered ${response.status}: ${response.text}`);
      return response.workflowId;
    },
    async events(workflowId, token) {
      const response = await harness.api('GET', `/workflows/${workflowId}/events`, { token });
      const body = response.json;
      if (response.status !== 200 || !isRecord(body) || !Array.isArray(body.events))
        throw new Error(`GET /workflows/${workflowId}/events answered ${response.status}: ${response.text}`);
      return body.events;
    },
    async bookings(workflowId) {
      const page = await harness.documents().send(
        new QueryCommand({
          TableName: runtime.tables.bookings,
          KeyConditionExpression: 'workflow_id = :id',
          ExpressionAttributeValues: { ':id': workflowId },
        }),
      );
      return page.Items ?? [];
    },
    documents() {
      documents ??= DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint: runtime.dynamoUrl,
          region: 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      );
      return documents;
    },
    async restart() {
      await runtime.stop();
      documents?.destroy();
      documents = undefined;
      tokens.clear();
      runtime = await startLocalRuntime(runtimeOptions);
    },
    async cleanup() {
      if (stopped) return;
      stopped = true;
      documents?.destroy();
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Polls `GET /workflows/<id>/status` until the status is one of `until`; returns the last body. */
export async function pollStatus(
  harness: Harness,
  workflowId: string,
  token: string,
  until: readonly string[] = ['completed', 'failed', 'cancelled', 'rejected'],
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await harness.api('GET', `/workflows/${workflowId}/status`, { token });
    last = response.json;
    if (response.status === 200 && isRecord(last) && until.includes(String(last.status))) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `workflow ${workflowId} did not reach ${until.join('|')} in ${timeoutMs} ms: ${JSON.stringify(last)}`,
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `TEST_*` variables of this process (the fixtures' knobs). */
export function testKnobs(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[0].startsWith('TEST_') && entry[1] !== undefined,
    ),
  );
}
