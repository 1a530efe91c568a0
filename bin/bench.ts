/**
 * `npm run bench`: measures the system on the local runtime and prints a table (also written to
 * `.local/bench/`). Numbers, not assertions: the tests never time anything.
 *
 *   npm run bench                     # everything
 *   BENCH_REQUESTS=500 npm run bench  # more samples
 *   BENCH_ONLY=push npm run bench     # the push channel only (event → client latency, polls saved)
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { workflowIdForKey } from '#domain/idempotency.ts';
import { DynamoMeter, WRITE_OPERATIONS } from '../lib/bench/dynamo-meter.ts';
import { processTreeMemory } from '../lib/bench/process-tree.ts';
import { formatScaleReport, measureScale } from '../lib/bench/scale.ts';
import { OmnilinkClient } from '../lib/client.ts';
import type { LambdaHandler } from '../lib/local/lambda.ts';
import { PROJECT_ROOT, startLocalRuntime } from '../lib/local/runtime.ts';
import { functionSpecs } from '../lib/specs.ts';
import { type BundleMeasure, measureBundles } from './bench-bundles.ts';
import { renderChart } from './bench-chart.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

export interface Row {
  readonly measure: string;
  readonly value: string;
  readonly note?: string;
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
const KIB = 1024;
const BUNDLE_GOAL_KIB = 300;
const IMPORT_GOAL_MS = 100;

/** Lambda invocations and their durations, per function (every LocalFunction invocation). */
class InvocationMeter {
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

const diff = (after: ReadonlyMap<string, number>, before: ReadonlyMap<string, number>) =>
  new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const).filter(([, v]) => v !== 0));
const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const usd = (n: number) => `$${n < 0.01 ? n.toFixed(4) : n.toFixed(2)}`;

/** The runtime's tokens, minted once per user. */
function tokenCache(runtime: { token(sub: string): Promise<string> }): (sub: string) => Promise<string> {
  const tokens = new Map<string, Promise<string>>();
  return (sub) => {
    let token = tokens.get(sub);
    if (!token) {
      token = runtime.token(sub);
      tokens.set(sub, token);
    }
    return token;
  };
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

function latencyRow(measure: string, samples: readonly number[], note?: string): Row {
  const f = (n: number) => n.toFixed(1);
  return {
    measure,
    value: `p50 ${f(percentile(samples, 50))} ms · p95 ${f(percentile(samples, 95))} ms · p99 ${f(percentile(samples, 99))} ms`,
    note: note ?? `${samples.length} requests`,
  };
}

async function main(): Promise<void> {
  const out = join(PROJECT_ROOT, '.local', 'bench');
  const rows: Row[] = [];
  const goals: { inProcess: number[]; idle: number[]; transitions: [number, number][] } = {
    inProcess: [],
    idle: [],
    transitions: [],
  };
  const latencies: { label: string; samples: readonly number[] }[] = [];

  // The issue's burst, throughput, memory and cold-start figures (a runtime of their own).
  rows.push(...(await measureLoad()));

  // The push channel: event → client latency, and the status polls it saves (a runtime of its own).
  rows.push(...(await measurePush()));

  // 0. Cold start: the deployed bundles, each imported in fresh Node processes.
  const bundles = await measureBundles(join(out, 'bundles'), Number(process.env.BENCH_SPAWNS ?? 5));
  rows.push(...bundleRows(bundles));

  const invocations = new InvocationMeter();
  const dynamoMeter = new DynamoMeter();
  const proxyUrl = await dynamoMeter.listen();
  const runtime = await startLocalRuntime({
    port: 0,
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
  });
  dynamoMeter.target = runtime.dynamoUrl;
  try {
    const tokenFor = tokenCache(runtime);
    const submit = async (sub: string, goal: string, idempotencyKey?: string) => {
      const token = await tokenFor(sub);
      const started = performance.now();
      const response = await fetch(`${runtime.baseUrl}/omnilink-agent`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        body: JSON.stringify({ goal }),
      });
      const body = (await response.json()) as { workflow_id?: string };
      const elapsed = performance.now() - started;
      if (response.status !== 202 || !body.workflow_id) throw new Error(`POST answered ${response.status}`);
      return { elapsed, workflowId: body.workflow_id };
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
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: runtime.dynamoUrl,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
    );
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
    await runtime.stop();
  }
  rows.push(...goalRows(goals, bundles));

  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  // The hot paths at scale (a runtime of its own, after this one stopped): npm run bench:scale.
  const scale = formatScaleReport(await measureScale());
  const table = `${render(rows)}\n\n${NOTE}\n\n${scale}\n\nMachine: ${cpus().length} cores, load average (1/5/15 min) at the end ${load}: every latency and import time above is inflated by whatever else ran.`;
  console.log(table);
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'bench.md'), `${table}\n`);
  await writeFile(join(out, 'bench.json'), `${JSON.stringify(rows, null, 2)}\n`);
  await writeFile(
    join(out, 'bench.svg'),
    renderChart(
      latencies.map(({ label, samples }) => ({
        label,
        p50: percentile(samples, 50),
        p95: percentile(samples, 95),
        p99: percentile(samples, 99),
      })),
      bundles
        .filter((b) => !b.error)
        .map((b) => ({ label: b.name, kib: b.bytes / KIB, importMs: b.importMs })),
    ),
  );
  console.log(`\nwritten to ${join(out, 'bench.md')} and ${join(out, 'bench.svg')}`);
}

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

const NOTE = [
  'Notes. Latencies are on this 2-core machine with the whole system local: DynamoDB Local (Java), the local',
  'Step Functions engine and the API in one Node process, every Lambda in worker threads of that process (its',
  'deployed bundle, its environment, its memory limit). "engine held": the workflows the producer starts wait at',
  'their first task until the phase ends, so the producer alone is measured; "workflows running": the engine and',
  'the functions share the machine with the API. Cold start rows: the deployed esbuild bundles imported in fresh',
  'Node 24 processes; "cold starts, <fn>": execution environments the runtime started and their init times.',
  "Transitions, invocations, DynamoDB requests (counted at the functions' DynamoDB endpoint; RRU/WRU as DynamoDB",
  'Local reports them) and EventBridge entries are per workflow; costs use AWS list prices (SFN Standard',
  '$0.025/1k transitions, Lambda arm64 $0.0000133334/GB-s + $0.20/1M requests with local durations and configured',
  'memory, DynamoDB on-demand $0.625/M WRU + $0.125/M RRU, EventBridge $1/M events); model tokens are 0 offline.',
].join('\n');

interface PlanStep {
  readonly id: string;
  readonly depends_on?: readonly string[];
  readonly [key: string]: unknown;
}
interface Plan {
  readonly steps: readonly PlanStep[];
  readonly summary?: string;
}

/** The first `size` steps whose dependencies are all kept (the template's order is a valid one). */
function cutPlan(template: Plan, size: number): Plan {
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

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

/** The issue's goals, met or missed, from the measures above. */
function goalRows(
  goals: { inProcess: number[]; idle: number[]; transitions: [number, number][] },
  bundles: readonly BundleMeasure[],
): Row[] {
  const p99 = percentile(goals.inProcess, 99);
  const p95 = percentile(goals.idle, 95);
  const built = bundles.filter((b) => !b.error);
  const biggest = [...built].sort((a, b) => b.bytes - a.bytes)[0];
  const slowest = [...built].sort((a, b) => b.importMs - a.importMs)[0];
  const ownMax = Math.max(...built.map((b) => b.importMs - b.sdkMs));
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
      measure: `GOAL every bundle < ${BUNDLE_GOAL_KIB} KiB`,
      value: `largest ${biggest?.name} ${((biggest?.bytes ?? 0) / KIB).toFixed(0)} KiB: ${verdict(built.length === bundles.length && built.every((b) => b.bytes < BUNDLE_GOAL_KIB * KIB))}`,
      note: `${built.length}/${bundles.length} functions bundled (index.mjs; the planner also ships vocabulary.json)`,
    },
    {
      measure: `GOAL every bundle loads < ${IMPORT_GOAL_MS} ms`,
      value: `slowest ${slowest?.name} ${slowest?.importMs.toFixed(0)} ms: ${verdict(built.every((b) => b.importMs < IMPORT_GOAL_MS))}`,
      note: `the bundles' own code takes ≤ ${ownMax.toFixed(0)} ms; the rest is loading the AWS SDK clients (every function imports all five via lambdas/shared/clients.ts)`,
    },
    {
      measure: 'GOAL ≤ 3 transitions per step + ≤ 12 per workflow',
      value: `${goals.transitions.map(([size, t]) => `${size} steps: ${t} ≤ ${3 * size + 12}`).join(' · ')}: ${verdict(transitionsOk)}`,
      note: 'transitions = state entries incl. Map iterations and retries (what Standard bills)',
    },
  ];
}

function bundleRows(bundles: readonly BundleMeasure[]): Row[] {
  return bundles.map((b) => {
    if (b.error)
      return { measure: `cold start, ${b.name}`, value: 'not bundled', note: b.error.slice(0, 120) };
    const kib = b.bytes / KIB;
    const ok = kib < BUNDLE_GOAL_KIB && b.importMs < IMPORT_GOAL_MS;
    return {
      measure: `cold start, ${b.name}`,
      value: `${kib.toFixed(0)} KiB${b.sideBytes ? ` (+${(b.sideBytes / KIB).toFixed(0)} KiB vocabulary.json)` : ''} · import ${b.importMs.toFixed(0)} ms (AWS SDK ${b.sdkMs.toFixed(0)} + bundle ${(b.importMs - b.sdkMs).toFixed(0)})`,
      note: `${ok ? 'meets' : 'misses'} < ${BUNDLE_GOAL_KIB} KiB / < ${IMPORT_GOAL_MS} ms; largest: ${b.top
        .slice(0, 3)
        .map(([k, v]) => `${k} ${(v / KIB).toFixed(0)}`)
        .join(', ')}`,
    };
  });
}

/** A payload-format-2.0 event as API Gateway sends it after the JWT authorizer accepted the token. */
function apiEvent(claims: Record<string, unknown>, body: string) {
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

function render(rows: readonly Row[]): string {
  const header = ['measure', 'value', 'note'];
  const lines = rows.map((r) => [r.measure, r.value, r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}

/**
 * The issue's load figures, on a runtime with the default per-user limits (as `npm start`):
 * - burst: BENCH_BURST_USERS users × BENCH_BURST_EACH concurrent POSTs (distinct Idempotency-Keys),
 *   all at once; every answer's status counted (only 202, or 429 for a user over its burst, is right);
 * - throughput: BENCH_WORKFLOWS workflows submitted by BENCH_CLIENTS closed-loop clients (each user
 *   under its rate limit), wall time from the first submit to the last completion;
 * - memory: the RSS of the whole process tree — this process (API, engine, every function's worker
 *   threads) and its children (DynamoDB Local's JVM, esbuild's service) — after the load phase's
 *   200th completed workflow and after all of them;
 * - CPU: CPU time of that tree per workflow over the load phase (what bounds throughput);
 * - cold starts: execution environments each function started, and their init times.
 * Like `npm start`, the runtime keeps its data in a data directory (a temporary one, removed after):
 * DynamoDB Local on disk, executions in files. BENCH_LOAD_DATA=memory runs it in memory instead.
 */
async function measureLoad(): Promise<Row[]> {
  const rows: Row[] = [];
  const inMemory = process.env.BENCH_LOAD_DATA === 'memory';
  const dataDir = inMemory ? undefined : await mkdtemp(join(tmpdir(), 'omnilink-bench-'));
  const runtime = await startLocalRuntime({
    port: 0,
    ...(dataDir ? { dataDir } : { inMemory: true }),
    env: { LOG_LEVEL: 'ERROR' },
  });
  try {
    const tokenFor = tokenCache(runtime);
    const post = async (sub: string, key: string) => {
      const token = await tokenFor(sub);
      const t0 = performance.now();
      try {
        const response = await fetch(`${runtime.baseUrl}/omnilink-agent`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify({ goal: 'Book a flight to NYC' }),
        });
        const body = (await response.json().catch(() => ({}))) as { workflow_id?: string };
        return { status: response.status, ms: performance.now() - t0, id: body.workflow_id };
      } catch {
        return { status: 0, ms: performance.now() - t0, id: undefined };
      }
    };
    const run = crypto.randomUUID().slice(0, 8);
    // Warm-up: one workflow per function path (the cold starts are counted below anyway).
    const warm = await post(`warm-${run}`, `warm-${run}`);
    if (warm.id) await runtime.waitForExecution(warm.id, 120_000);

    // Burst.
    const users = Number(process.env.BENCH_BURST_USERS ?? 30);
    const each = Number(process.env.BENCH_BURST_EACH ?? 10);
    const burstStart = performance.now();
    const answers = await Promise.all(
      Array.from({ length: users * each }, (_, i) => post(`burst-${run}-${i % users}`, `burst-${run}-${i}`)),
    );
    const burstMs = performance.now() - burstStart;
    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    const accepted = answers.filter((a) => a.status === 202 && a.id).map((a) => a.id as string);
    const burstFinal = await Promise.all(accepted.map((id) => runtime.waitForExecution(id, 600_000)));
    const burstDone = burstFinal.filter((r) => r.status === 'SUCCEEDED').length;
    const statuses = [...byStatus].map(([status, n]) => `${status}: ${n}`).join(', ');
    const wrong = answers.filter((a) => a.status !== 202 && a.status !== 429).length;
    rows.push({
      measure: `burst: ${users * each} concurrent POSTs, ${users} users × ${each}`,
      value: `${statuses} · producer p50 ${percentile(
        answers.map((a) => a.ms),
        50,
      ).toFixed(0)} ms, p99 ${percentile(
        answers.map((a) => a.ms),
        99,
      ).toFixed(0)} ms`,
      note: `${accepted.length} accepted in ${(burstMs / 1000).toFixed(1)} s, ${burstDone}/${accepted.length} completed; answers other than 202/429: ${wrong} (${verdict(wrong === 0 && burstDone === accepted.length)})`,
    });

    // Throughput and memory.
    const total = Number(process.env.BENCH_WORKFLOWS ?? 2000);
    const clients = Number(process.env.BENCH_CLIENTS ?? 60);
    // Each user submits 5 workflows: well inside 120/min and a burst of 30.
    const userCount = Math.ceil(total / 5);
    let next = 0;
    let completed = 0;
    let at200: ReturnType<typeof processTreeMemory> | undefined;
    const rejected = new Map<number, number>();
    const submitMs: number[] = [];
    const cpuStart = processTreeMemory();
    const fnCpuStart = new Map([...runtime.functions].map(([name, fn]) => [name, fn.cpuStats()] as const));
    const start = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < total; i = next++) {
          const answer = await post(`load-${run}-${i % userCount}`, `load-${run}-${i}`);
          submitMs.push(answer.ms);
          if (answer.status !== 202 || !answer.id) {
            rejected.set(answer.status, (rejected.get(answer.status) ?? 0) + 1);
            continue;
          }
          const record = await runtime.waitForExecution(answer.id, 600_000);
          if (record.status === 'SUCCEEDED') completed++;
          if (completed === 200 && !at200) at200 = processTreeMemory();
        }
      }),
    );
    const wall = (performance.now() - start) / 1000;
    const end = processTreeMemory();
    const rate = completed / wall;
    const cpuPerWorkflow = (end.totalCpuMs - cpuStart.totalCpuMs) / Math.max(1, total);
    const cpuOf = (tree: typeof end, node: boolean) =>
      tree.processes.filter((p) => (p.pid === process.pid) === node).reduce((sum, p) => sum + p.cpuMs, 0);
    rows.push({
      measure: `end-to-end throughput, ${total} workflows, ${clients} clients`,
      value: `${rate.toFixed(1)} workflows/s`,
      note: `${completed}/${total} completed in ${wall.toFixed(1)} s; POST p50 ${percentile(submitMs, 50).toFixed(0)} ms, p99 ${percentile(submitMs, 99).toFixed(0)} ms; refused: ${[...rejected].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'} (goal ≥ 25/s: ${verdict(rate >= 25)})`,
    });
    rows.push({
      measure: 'CPU per workflow (whole process tree)',
      value: `${cpuPerWorkflow.toFixed(0)} ms`,
      note: `Node process (API, engine, workers) ${((cpuOf(end, true) - cpuOf(cpuStart, true)) / total).toFixed(0)} ms + children (DynamoDB Local, esbuild) ${((cpuOf(end, false) - cpuOf(cpuStart, false)) / total).toFixed(0)} ms; 25 workflows/s on ${cpus().length} cores allows at most ${((cpus().length * 1000) / 25).toFixed(0)} ms`,
    });
    const fnCpu = [...runtime.functions]
      .map(([name, fn]) => {
        const now = fn.cpuStats();
        const was = fnCpuStart.get(name) ?? { invocations: 0, cpuMs: 0 };
        return { name, invocations: now.invocations - was.invocations, cpuMs: now.cpuMs - was.cpuMs };
      })
      .filter((f) => f.invocations > 0)
      .sort((a, b) => b.cpuMs - a.cpuMs);
    rows.push({
      measure: "functions' CPU per workflow (worker threads)",
      value: `${(fnCpu.reduce((sum, f) => sum + f.cpuMs, 0) / total).toFixed(0)} ms`,
      note: fnCpu
        .map(
          (f) =>
            `${f.name} ${(f.invocations / total).toFixed(2)} × ${(f.cpuMs / f.invocations).toFixed(1)} ms`,
        )
        .join(' · '),
    });
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
    const parts = (tree: typeof end) =>
      tree.processes
        .filter((p) => p.rssBytes > 0)
        .map((p) => `${p.pid === process.pid ? 'node' : p.command} ${mib(p.rssBytes)}`)
        .join(' + ');
    const before = at200?.totalBytes ?? Number.NaN;
    const growth = end.totalBytes - before;
    rows.push({
      measure: `memory (RSS of the process tree${end.complete ? '' : ': this process only, no /proc'})`,
      value: `${mib(before)} after 200 workflows · ${mib(end.totalBytes)} after ${completed}`,
      note: `growth ${mib(growth)} (goal ≤ 150 MB: ${verdict(growth <= 150 * 1024 * 1024)}); at 200: ${at200 ? parts(at200) : '-'}; at the end: ${parts(end)}; data ${dataDir ? 'in a data directory, as npm start' : 'in memory'}`,
    });
    for (const [name, fn] of runtime.functions) {
      const cold = fn.coldStarts();
      if (cold.count === 0) continue;
      rows.push({
        measure: `cold starts, ${name}`,
        value: `${cold.count} execution environment(s) · init p50 ${percentile(cold.initMs, 50).toFixed(0)} ms, max ${Math.max(...cold.initMs).toFixed(0)} ms`,
        note: `${fn.memoryMiB} MB, worker thread importing the deployed bundle`,
      });
    }
  } finally {
    await runtime.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * The push channel on the local runtime: each workflow is followed by `watch` (push) while the
 * shipped polling client (`waitForCompletion`, DEFAULT_POLL_INTERVAL) follows it too, counting its
 * status polls. Latency is from the event's append (`at`, stamped by the appending function) to its
 * receipt in `watch`; "live" events are those appended after the watcher had received its first
 * event (so the subscription surely existed: no replay in them).
 */
async function measurePush(): Promise<Row[]> {
  const workflows = Number(process.env.BENCH_PUSH_WORKFLOWS ?? 12);
  const approvalDelayMs = Number(process.env.BENCH_APPROVAL_DELAY_MS ?? 3000);
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    retryIntervalMs: 10,
    env: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', LOG_LEVEL: 'ERROR' },
    prewarm: { producer: 1, status: 1, guardian: 1, planner: 1, step: 2, finalize: 1, wsAuthorizer: 1 },
  });
  const live: number[] = [];
  const all: number[] = [];
  const polls: number[] = [];
  const messages: number[] = [];
  const eventsPerWorkflow: number[] = [];
  const transports = new Set<string>();
  try {
    const token = await runtime.token('bench-push');
    const goals = [
      'Book a flight to NYC',
      'Book a flight to Rome and a hotel in Rome',
      'Book a flight to Paris with my approval',
    ];
    for (let i = 0; i < workflows; i++) {
      const goal = goals[i % goals.length] ?? 'Book a flight to NYC';
      let statusPolls = 0;
      const counting: typeof fetch = (input, init) => {
        if (String(input).endsWith('/status')) statusPolls += 1;
        return fetch(input, init);
      };
      const pusher = new OmnilinkClient({ baseUrl: runtime.baseUrl, token });
      const poller = new OmnilinkClient({ baseUrl: runtime.baseUrl, token, fetch: counting });
      const { workflow_id: id } = await pusher.submitGoal(goal);
      // The shipped polling schedule, following the same workflow to its end (approval included).
      const polled = poller.waitForCompletion(id, {});
      let first: number | undefined;
      let received = 0;
      for await (const event of pusher.watch(id, { onTransport: (t) => transports.add(t) })) {
        const now = Date.now();
        const latency = now - Date.parse(event.at);
        all.push(latency);
        if (first !== undefined && Date.parse(event.at) > first) live.push(latency);
        first ??= now;
        received += 1;
        if (event.type === 'ApprovalRequested') {
          // A person takes a while to answer: the polling client keeps polling meanwhile.
          await new Promise((resolve) => setTimeout(resolve, approvalDelayMs));
          await pusher.signal(id, { approved: true });
        }
      }
      await polled;
      polls.push(statusPolls);
      eventsPerWorkflow.push(received);
      // One subscribe message up, the events and one "subscribed" down.
      messages.push(received + 2);
    }
  } finally {
    await runtime.stop();
  }
  const median = (values: readonly number[]) => percentile(values, 50);
  // Push asks no status: its requests up are the connection and the subscribe message.
  const saved = polls.map((p) => p - 2);
  return [
    latencyRow(
      'push: event append → watch() receipt (live events)',
      live,
      `${live.length} events of ${workflows} workflows over ${[...transports].join('+')} (local WebSocket API, stream poll 100 ms)`,
    ),
    latencyRow(
      'push: event append → watch() receipt (all events, incl. replay at subscribe)',
      all,
      `${all.length} events`,
    ),
    {
      measure: 'status polls per workflow: shipped polling schedule vs push',
      value: `polling: median ${median(polls)} status polls (p95 ${percentile(polls, 95)}) · push: 1 connection, 1 subscribe, median ${median(messages)} messages received (${median(eventsPerWorkflow)} events)`,
      note: `${median(saved)} requests saved per workflow (median; polls minus push's connect and subscribe), approval answered after ${approvalDelayMs} ms in 1 of 3 goals; waitForCompletion with DEFAULT_POLL_INTERVAL (250 ms → 5 s, full jitter)`,
    },
  ];
}

if (process.env.BENCH_ONLY === 'push') {
  const rows = await measurePush();
  console.log(render(rows));
} else if (process.env.BENCH_ONLY === 'load') {
  const rows = await measureLoad();
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  console.log(
    `${render(rows)}\n\nMachine: ${cpus().length} cores, load average (1/5/15 min) at the end ${load}.`,
  );
} else {
  await main();
}
// Done: nothing left to wait for (DynamoDB Local and the workers were stopped with their runtimes).
process.exit(0);
