/**
 * The bench's per-workflow figures on one local runtime (in memory, every function wrapped to count
 * and time its invocations, DynamoDB behind a metering proxy): the producer's latency invoked directly
 * and over HTTP, sequential and concurrent, with the engine held or running; end-to-end throughput;
 * and for plans of 1, 5 and 20 steps the transitions, invocations, DynamoDB requests and EventBridge
 * entries per workflow, priced at AWS list prices.
 */
import { performance } from 'node:perf_hooks';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { workflowIdForKey } from '#domain/idempotency.ts';
import { startHarness } from '../local/harness.ts';
import type { LambdaHandler } from '../local/lambda.ts';
import { functionSpecs } from '../specs.ts';
import { DynamoMeter, WRITE_OPERATIONS } from './dynamo-meter.ts';
import type { BenchSettings } from './settings.ts';
import { latencyRow, percentile, type Row, verdict } from './table.ts';

/** The samples the goal rows are judged on. */
export interface WorkflowGoals {
  readonly inProcess: number[];
  readonly idle: number[];
  readonly transitions: [number, number][];
}

/** A latency series of the chart. */
export interface LatencySeries {
  readonly label: string;
  readonly samples: readonly number[];
}

/** AWS list prices (us-east-1). */
const PRICE = {
  sfnTransition: 0.025 / 1000,
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
  dynamoWrite: 0.625 / 1_000_000,
  dynamoRead: 0.125 / 1_000_000,
  eventBridgeEvent: 1 / 1_000_000,
} as const;

/** Lambda invocations and their durations, per function (every LocalFunction invocation). */
export class InvocationMeter {
  readonly counts = new Map<string, number>();
  readonly ms = new Map<string, number>();
  /** While set, every function but the producer waits for it before running (the engine is held). */
  gate: Promise<void> | undefined;

  wrap = (name: string, handler: LambdaHandler): LambdaHandler => {
    return async (event, context) => {
      if (this.gate && name !== 'producer') await this.gate;
      const t0 = performance.now();
      try {
        return await handler(event, context);
      } finally {
        this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
        this.ms.set(name, (this.ms.get(name) ?? 0) + performance.now() - t0);
      }
    };
  };

  snapshot(): { counts: Map<string, number>; ms: Map<string, number> } {
    return { counts: new Map(this.counts), ms: new Map(this.ms) };
  }
}

export const diff = (after: ReadonlyMap<string, number>, before: ReadonlyMap<string, number>) =>
  new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v !== 0));
export const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
export const usd = (n: number) => `$${n < 0.01 ? n.toFixed(4) : n.toFixed(2)}`;

const TEN_TRIPS = [
  'a flight to Rome',
  'a hotel in Rome',
  'a flight to Paris',
  'a hotel in Paris',
  'a flight to Madrid',
  'a hotel in Madrid',
  'a flight to Berlin',
  'a hotel in Berlin',
  'a flight to Vienna',
  'a hotel in Vienna',
].join(' and ');

export interface PlanStep {
  readonly id: string;
  readonly depends_on?: readonly string[];
  readonly [key: string]: unknown;
}
export interface Plan {
  readonly steps: readonly PlanStep[];
  readonly summary?: string;
}

/** The first `size` steps whose dependencies are all kept (the template's order is a valid one). */
export function cutPlan(template: Plan, size: number): Plan {
  const kept: PlanStep[] = [];
  const ids = new Set<string>();
  for (const step of template.steps) {
    if (kept.length === size) break;
    if ((step.depends_on ?? []).every((d) => ids.has(d))) {
      kept.push(step);
      ids.add(step.id);
    }
  }
  if (kept.length !== size)
    throw new Error(`cannot cut a ${size}-step plan from ${template.steps.length} steps`);
  return { steps: kept, summary: `bench plan of ${size} steps` };
}

/** A payload-format-2.0 event as API Gateway sends it after the JWT authorizer accepted the token. */
export function apiEvent(claims: Record<string, unknown>, body: string) {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: 'POST /omnilink-agent',
    rawPath: '/omnilink-agent',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: {
        method: 'POST',
        path: '/omnilink-agent',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: crypto.randomUUID(),
      routeKey: 'POST /omnilink-agent',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer: {
        jwt: {
          claims: Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, String(v)])),
          scopes: [],
        },
      },
    },
  };
}

/** Measures the per-workflow figures (see the module's comment). */
export async function measureWorkflows(
  settings: Pick<BenchSettings, 'requests' | 'concurrency'>,
): Promise<{ rows: Row[]; goals: WorkflowGoals; latencies: LatencySeries[] }> {
  const rows: Row[] = [];
  const goals: WorkflowGoals = { inProcess: [], idle: [], transitions: [] };
  const latencies: LatencySeries[] = [];
  const REQUESTS = settings.requests;
  const CONCURRENCY = settings.concurrency;
  const invocations = new InvocationMeter();
  const dynamoMeter = new DynamoMeter();
  const proxyUrl = await dynamoMeter.listen();
  const harness = await startHarness(
    {
      inMemory: true,
      retryIntervalMs: 10,
      wrapHandler: invocations.wrap,
      // The bench measures latency, not the per-user limiter: give each simulated user room.
      env: {
        RATE_LIMIT_PER_MINUTE: '1000000',
        RATE_LIMIT_BURST: '1000000',
        LOG_LEVEL: 'ERROR',
        AWS_ENDPOINT_URL_DYNAMODB: proxyUrl,
      },
    },
    {},
  );
  const runtime = harness.runtime;
  dynamoMeter.target = runtime.dynamoUrl;
  try {
    const tokenFor = harness.token;
    const submit = async (sub: string, goal: string, idempotencyKey?: string) => {
      const token = await tokenFor(sub);
      const started = performance.now();
      const workflowId = await harness.submit(goal, { token, ...(idempotencyKey ? { idempotencyKey } : {}) });
      return { elapsed: performance.now() - started, workflowId };
    };

    // Warm up: the first requests load modules and JIT-compile the handlers.
    for (let i = 0; i < 20; i++) await submit('warmup', 'Book a flight to NYC');

    // 1. The producer alone, invoked directly (in its own worker, as Lambda's Invoke would): each
    //    request waits until the previous workflow finished to measure the producer, not the engine.
    const producerFn = runtime.functions.get('producer');
    if (!producerFn) throw new Error('no producer function');
    const producer = (event: unknown) => producerFn.invoke(event);
    const inProcess: number[] = goals.inProcess;
    for (let i = 0; i < REQUESTS; i++) {
      const token = await tokenFor(`inproc-${i % 20}`);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      const event = apiEvent(claims, JSON.stringify({ goal: 'Book a flight to NYC' }));
      const t0 = performance.now();
      const result = await producer(event);
      inProcess.push(performance.now() - t0);
      const workflowId = JSON.parse(String((result as { body?: string }).body)).workflow_id as string;
      await runtime.waitForExecution(workflowId, 120_000);
    }
    rows.push(
      latencyRow(
        'producer function, invoked directly, sequential',
        inProcess,
        `${REQUESTS} invocations against DynamoDB Local + local SFN (goal: p99 < 25 ms)`,
      ),
    );
    latencies.push({ label: 'in process, sequential', samples: inProcess });

    // The producer at CONCURRENCY concurrent callers with the engine held: the workflows it starts
    // wait at their first task until the phase ends, so only the producer's own work is measured
    // (in AWS the workflows run elsewhere; locally they would share this thread).
    const held = async (
      label: string,
      call: (i: number) => Promise<{ elapsed: number; workflowId: string }>,
    ) => {
      let release = () => {};
      invocations.gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const samples: number[] = [];
      const heldIds: string[] = [];
      const perCaller = Math.max(1, Math.ceil(REQUESTS / CONCURRENCY));
      const phaseStart = performance.now();
      try {
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async (_, c) => {
            for (let i = 0; i < perCaller; i++) {
              const { elapsed, workflowId } = await call(c * perCaller + i);
              samples.push(elapsed);
              heldIds.push(workflowId);
            }
          }),
        );
      } finally {
        invocations.gate = undefined;
        release();
      }
      const rate = samples.length / ((performance.now() - phaseStart) / 1000);
      await Promise.all(heldIds.map((id) => runtime.waitForExecution(id, 300_000)));
      latencies.push({ label, samples });
      return Object.assign(samples, { rate });
    };
    // 50 closed-loop callers on one thread queue behind each other: latency ≈ callers / throughput.
    const queueing = (rate: number) =>
      `${rate.toFixed(0)} req/s; with ${CONCURRENCY} callers on one thread, latency ≈ ${CONCURRENCY} / ${rate.toFixed(0)} req/s = ${((CONCURRENCY / rate) * 1000).toFixed(0)} ms (queueing)`;
    const inProcessConcurrent = await held(
      `in process, ${CONCURRENCY} concurrent, engine held`,
      async (i) => {
        const token = await tokenFor(`held-${i % 50}`);
        const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
        const event = apiEvent(claims, JSON.stringify({ goal: 'Book a flight to NYC' }));
        const t0 = performance.now();
        const result = await producer(event);
        const elapsed = performance.now() - t0;
        return { elapsed, workflowId: JSON.parse(String((result as { body?: string }).body)).workflow_id };
      },
    );
    rows.push(
      latencyRow(
        `producer function, invoked directly, ${CONCURRENCY} concurrent, engine held`,
        inProcessConcurrent,
        `${inProcessConcurrent.length} invocations, workflows wait; ${queueing(inProcessConcurrent.rate)}`,
      ),
    );
    const idle: number[] = goals.idle;
    for (let i = 0; i < REQUESTS; i++) {
      const { elapsed, workflowId } = await submit(`idle-${i % 20}`, 'Book a flight to NYC');
      idle.push(elapsed);
      await runtime.waitForExecution(workflowId, 120_000);
    }
    rows.push(
      latencyRow(
        'POST /omnilink-agent round trip, sequential',
        idle,
        `${REQUESTS} requests over HTTP (goal: p95 < 50 ms)`,
      ),
    );
    latencies.push({ label: 'HTTP, sequential', samples: idle });
    const httpHeld = await held(`HTTP, ${CONCURRENCY} concurrent, engine held`, (i) =>
      submit(`held-http-${i % 50}`, 'Book a flight to NYC'),
    );
    rows.push(
      latencyRow(
        `POST round trip, ${CONCURRENCY} concurrent clients, engine held`,
        httpHeld,
        `${httpHeld.length} requests, workflows wait; ${queueing(httpHeld.rate)}`,
      ),
    );

    // The same while the accepted workflows run in this process (the local runtime's worst case).
    const sequential: number[] = [];
    const started: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const { elapsed, workflowId } = await submit(`seq-${i % 20}`, 'Book a flight to NYC');
      sequential.push(elapsed);
      started.push(workflowId);
    }
    rows.push(
      latencyRow(
        'POST round trip, sequential, workflows running alongside',
        sequential,
        `${REQUESTS} requests; the engine shares the process`,
      ),
    );
    await Promise.all(started.map((id) => runtime.waitForExecution(id, 120_000)));

    // 2. The HTTP round trip at CONCURRENCY concurrent clients.
    const concurrent: number[] = [];
    const ids: string[] = [];
    const perClient = Math.max(1, Math.ceil(REQUESTS / CONCURRENCY));
    const wallStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, client) => {
        for (let i = 0; i < perClient; i++) {
          const { elapsed, workflowId } = await submit(`client-${client}`, 'Book a flight to NYC');
          concurrent.push(elapsed);
          ids.push(workflowId);
        }
      }),
    );
    rows.push(
      latencyRow(
        `POST round trip, ${CONCURRENCY} concurrent clients, workflows running`,
        concurrent,
        `${concurrent.length} requests; the single-threaded local engine runs the workflows in this process`,
      ),
    );
    latencies.push({ label: `HTTP, ${CONCURRENCY} concurrent, workflows running`, samples: concurrent });
    await Promise.all(ids.map((id) => runtime.waitForExecution(id, 300_000)));
    const wall = (performance.now() - wallStart) / 1000;
    rows.push({
      measure: 'end-to-end throughput',
      value: `${(ids.length / wall).toFixed(1)} workflows/s`,
      note: `${ids.length} "Book a flight to NYC" workflows accepted and completed in ${wall.toFixed(1)} s`,
    });

    // 3. Per workflow, for plans of exactly 1, 5 and 20 steps: the planner keeps a plan already
    //    stored for the workflow, so the bench stores one (cut from the offline planner's 20-step
    //    plan) under the id the producer derives from an Idempotency-Key, then submits the goal.
    const documents = harness.documents();
    const planKey = (id: string) => ({ pk: `WF#${id}`, sk: 'PLAN' });
    const storePlan = async (id: string, plan: Plan) => {
      await documents.send(
        new PutCommand({
          TableName: runtime.tables.state,
          Item: {
            ...planKey(id),
            workflow_id: id,
            plan,
            source: 'planner',
            provider: 'offline',
            model: 'bench',
            created_at: new Date().toISOString(),
            expires_at: Math.floor(Date.now() / 1000) + 86_400,
          },
        }),
      );
    };
    const { workflowId: templateId } = await submit('shapes', `Book ${TEN_TRIPS}`);
    await runtime.waitForExecution(templateId, 300_000);
    const { Item } = await documents.send(
      new GetCommand({ TableName: runtime.tables.state, Key: planKey(templateId) }),
    );
    const template = Item?.plan as Plan | undefined;
    if (!template) throw new Error('the offline planner stored no plan');
    for (const size of [1, 5, 20]) {
      await runtime.eventStream?.drain(5000).catch(() => undefined);
      const sub = 'shapes';
      const key = `bench-${size}-${Date.now()}`;
      const claims = JSON.parse(
        Buffer.from((await tokenFor(sub)).split('.')[1] ?? '', 'base64url').toString('utf8'),
      );
      const expectedId = workflowIdForKey(String(claims.sub), key);
      const plan = cutPlan(template, size);
      await storePlan(expectedId, plan);
      const before = {
        inv: invocations.snapshot(),
        ddb: dynamoMeter.snapshot(),
        events: runtime.eventsSink.events.length,
      };
      const { workflowId } = await submit(sub, `Book ${TEN_TRIPS}`, key);
      const execution = await runtime.waitForExecution(workflowId, 300_000);
      await runtime.eventStream?.drain(5000).catch(() => undefined);
      const after = { inv: invocations.snapshot(), ddb: dynamoMeter.snapshot() };
      const transitions = runtime.transitionsOf(workflowId) ?? Number.NaN;
      goals.transitions.push([size, transitions]);
      const calls = diff(after.inv.counts, before.inv.counts);
      const ms = diff(after.inv.ms, before.inv.ms);
      const requests = diff(after.ddb.requests, before.ddb.requests);
      const writes = sum(new Map([...requests].filter(([op]) => WRITE_OPERATIONS.has(op))));
      const reads = sum(requests) - writes;
      const wru = after.ddb.wru - before.ddb.wru;
      const rru = after.ddb.rru - before.ddb.rru;
      const entries = runtime.eventsSink.events
        .slice(before.events)
        .filter((e) => JSON.stringify(e.Detail).includes(workflowId)).length;
      const planned = workflowId === expectedId ? `${size}-step plan` : 'plan NOT pre-stored';
      rows.push({
        measure: `workflow, ${size}-step plan`,
        value:
          `${transitions} transitions (${(transitions / size).toFixed(2)}/step) · ${sum(calls)} Lambda invocations · ` +
          `DynamoDB ${reads} reads (${rru} RRU) / ${writes} writes (${wru} WRU) · ${entries} EventBridge entries`,
        note: `${planned} → ${execution.status}; goal ≤ 3×${size}+12 = ${3 * size + 12}: ${transitions <= 3 * size + 12 ? 'met' : 'MISSED'}; Lambda: ${[...calls].map(([n, c]) => `${n} ${c}`).join(', ')}; DynamoDB: ${[...requests].map(([op, c]) => `${op} ${c}`).join(', ')}`,
      });
      // Cost of 1,000 such goals, at list prices, with the measured durations and configured memory.
      let gbSeconds = 0;
      for (const [name, total] of ms) {
        const memory = (functionSpecs as Record<string, { memoryMiB: number }>)[name]?.memoryMiB ?? 512;
        gbSeconds += (memory / 1024) * (total / 1000);
      }
      const cost = {
        sfn: transitions * PRICE.sfnTransition,
        lambda: gbSeconds * PRICE.lambdaGbSecond + sum(calls) * PRICE.lambdaRequest,
        dynamo: wru * PRICE.dynamoWrite + rru * PRICE.dynamoRead,
        events: entries * PRICE.eventBridgeEvent,
      };
      const total = cost.sfn + cost.lambda + cost.dynamo + cost.events;
      rows.push({
        measure: `cost of 1,000 goals, ${size}-step plan`,
        value: `${usd(total * 1000)} (SFN ${usd(cost.sfn * 1000)} · Lambda ${usd(cost.lambda * 1000)} · DynamoDB ${usd(cost.dynamo * 1000)} · EventBridge ${usd(cost.events * 1000)})`,
        note: `model tokens: 0 in / 0 out (offline provider; Bedrock tokens are billed on top); Lambda ${(gbSeconds * 1000).toFixed(1)} GB-s per 1,000 at local durations`,
      });
    }
  } finally {
    // The meter is an HTTP server of this process: left listening, it would keep the bench alive.
    await harness.cleanup();
    await dynamoMeter.close();
  }
  return { rows, goals, latencies };
}

/** The issue's latency and transition goals, met or missed (the bundles' are in bundles.ts). */
export function goalRows(goals: WorkflowGoals): Row[] {
  const p99 = percentile(goals.inProcess, 99);
  const p95 = percentile(goals.idle, 95);
  const transitionsOk = goals.transitions.every(([size, t]) => t <= 3 * size + 12);
  return [
    {
      measure: 'GOAL producer p99 < 25 ms in process',
      value: `${p99.toFixed(1)} ms: ${verdict(p99 < 25)}`,
      note: 'sequential in-process invocations (p50 in the row above)',
    },
    {
      measure: 'GOAL local round trip p95 < 50 ms',
      value: `${p95.toFixed(1)} ms: ${verdict(p95 < 50)}`,
      note: 'sequential POST /omnilink-agent over HTTP, workflows drained between requests',
    },
    {
      measure: 'GOAL ≤ 3 transitions per step + ≤ 12 per workflow',
      value: `${goals.transitions.map(([size, t]) => `${size} steps: ${t} ≤ ${3 * size + 12}`).join(' · ')}: ${verdict(transitionsOk)}`,
      note: 'transitions = state entries incl. Map iterations and retries (what Standard bills)',
    },
  ];
}
