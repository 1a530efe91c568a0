/**
 * `npm run bench`: measures the system on the local runtime and prints a table (also written to
 * `.local/bench/`). Numbers, not assertions: the tests never time anything.
 *
 *   npm run bench                     # everything
 *   BENCH_REQUESTS=500 npm run bench  # more samples
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PROJECT_ROOT, startLocalRuntime } from '../lib/local/runtime.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);

interface Row {
  readonly measure: string;
  readonly value: string;
  readonly note?: string;
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
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    retryIntervalMs: 10,
    // The bench measures latency, not the per-user limiter: give each simulated user room.
    env: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', LOG_LEVEL: 'ERROR' },
  });
  const rows: Row[] = [];
  try {
    const tokens = new Map<string, string>();
    const tokenFor = async (sub: string) => {
      let token = tokens.get(sub);
      if (!token) {
        token = await runtime.token(sub);
        tokens.set(sub, token);
      }
      return token;
    };
    const submit = async (sub: string, goal: string) => {
      const started = performance.now();
      const response = await fetch(`${runtime.baseUrl}/omnilink-agent`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await tokenFor(sub)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ goal }),
      });
      const body = (await response.json()) as { workflow_id?: string };
      const elapsed = performance.now() - started;
      if (response.status !== 202 || !body.workflow_id) throw new Error(`POST answered ${response.status}`);
      return { elapsed, workflowId: body.workflow_id };
    };

    // Warm up: the first requests load modules and JIT-compile the handlers.
    for (let i = 0; i < 20; i++) await submit('warmup', 'Book a flight to NYC');

    // 1. The producer alone. In AWS the workflow runs elsewhere; locally it shares this process, so
    //    each request waits until the previous workflow finished to measure the producer, not the engine.
    const { handler: producer } = await import('../lambdas/handlers/producer.ts');
    const inProcess: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const token = await tokenFor(`inproc-${i % 20}`);
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
      const event = apiEvent(claims, JSON.stringify({ goal: 'Book a flight to NYC' }));
      const t0 = performance.now();
      const result = await producer(event, lambdaContext());
      inProcess.push(performance.now() - t0);
      const workflowId = JSON.parse(String((result as { body?: string }).body)).workflow_id as string;
      await runtime.waitForExecution(workflowId, 120_000);
    }
    rows.push(
      latencyRow(
        'producer handler, in process',
        inProcess,
        `${REQUESTS} invocations against dynalite + local SFN`,
      ),
    );
    const idle: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const { elapsed, workflowId } = await submit(`idle-${i % 20}`, 'Book a flight to NYC');
      idle.push(elapsed);
      await runtime.waitForExecution(workflowId, 120_000);
    }
    rows.push(
      latencyRow('POST /omnilink-agent round trip, sequential', idle, `${REQUESTS} requests over HTTP`),
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
        `POST /omnilink-agent round trip, ${CONCURRENCY} concurrent clients`,
        concurrent,
        `${concurrent.length} requests`,
      ),
    );
    await Promise.all(ids.map((id) => runtime.waitForExecution(id, 300_000)));
    const wall = (performance.now() - wallStart) / 1000;
    rows.push({
      measure: 'end-to-end throughput',
      value: `${(ids.length / wall).toFixed(1)} workflows/s`,
      note: `${ids.length} "Book a flight to NYC" workflows accepted and completed in ${wall.toFixed(1)} s`,
    });

    // 3. State transitions per workflow, by plan size.
    const shapes: readonly { goal: string }[] = [
      { goal: 'Book a flight to NYC' },
      { goal: 'Book a flight to Rome and a hotel in Rome' },
      { goal: 'Book a flight to Rome, then book a hotel in Rome, then book a flight from Rome to Paris' },
      {
        goal: [
          'Book a flight to Rome',
          'a hotel in Rome',
          'a flight to Paris',
          'a hotel in Paris',
          'a flight to Madrid',
          'a hotel in Madrid',
          'a flight to Berlin',
          'a hotel in Berlin',
          'a flight to Vienna',
          'a hotel in Vienna',
        ].join(' and '),
      },
    ];
    for (const { goal } of shapes) {
      const { workflowId } = await submit('shapes', goal);
      const execution = await runtime.waitForExecution(workflowId, 120_000);
      const statusResponse = await fetch(`${runtime.baseUrl}/workflows/${workflowId}/status`, {
        headers: { authorization: `Bearer ${await tokenFor('shapes')}` },
      });
      const status = (await statusResponse.json()) as { status: string; progress: { steps_total: number } };
      const transitions = runtime.transitionsOf(workflowId) ?? Number.NaN;
      const steps = status.progress.steps_total;
      rows.push({
        measure: `state transitions, ${steps}-step plan`,
        value: `${transitions} (${(transitions / Math.max(1, steps)).toFixed(2)} per step)`,
        note: `"${goal.length > 60 ? `${goal.slice(0, 57)}...` : goal}" → ${status.status} (${execution.status})`,
      });
    }
  } finally {
    await runtime.stop();
  }

  const table = render(rows);
  console.log(table);
  const out = join(PROJECT_ROOT, '.local', 'bench');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'bench.md'), `${table}\n`);
  await writeFile(join(out, 'bench.json'), `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`\nwritten to ${join(out, 'bench.md')}`);
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

function lambdaContext() {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'producer',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:producer',
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: '/aws/lambda/producer',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 10_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
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

await main();
