import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../lib/local/runtime.ts';

/**
 * Integration-test harness: a whole local runtime on free ports with its own data directory, and a
 * small client that talks to its HTTP API the way a user's client does.
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

export interface Harness {
  runtime: LocalRuntime;
  readonly dataDir: string;
  /** Calls the API; `body` objects are sent as JSON. */
  api(method: string, path: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Stops the runtime and starts a new one on the same data directory (a restart of `npm start`). */
  restart(): Promise<void>;
  /** Stops the runtime and deletes the data directory. */
  cleanup(): Promise<void>;
}

export async function startHarness(
  options: Omit<LocalRuntimeOptions, 'dataDir' | 'port'> = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'omnilink-local-'));
  const runtimeOptions: LocalRuntimeOptions = {
    retryIntervalMs: 10,
    // Fixtures (test/integration/fixtures) read TEST_* knobs that tests change while the runtime runs:
    // the functions' workers get them at each invocation (their environment is otherwise their own).
    invocationEnv: testKnobs,
    // Cold starts are real: start the environments of a workflow's path before the tests run, so
    // tests that time things (rate limits, approval timeouts) do not race first invocations' inits.
    prewarm: { producer: 2, status: 1, events: 1, guardian: 1, planner: 1, step: 2, finalize: 1 },
    ...options,
    dataDir,
    port: 0,
  };
  let runtime = await startLocalRuntime(runtimeOptions);
  let stopped = false;
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
    async restart() {
      await runtime.stop();
      runtime = await startLocalRuntime(runtimeOptions);
    },
    async cleanup() {
      if (stopped) return;
      stopped = true;
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
