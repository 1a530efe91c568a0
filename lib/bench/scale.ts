import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  appendEvents,
  appendStats,
  type EventLogDeps,
  readEvents,
} from '../../lambdas/adapters/event-log.ts';
import { putPlanIfAbsent } from '../../lambdas/adapters/plan-store.ts';
import { workflowIdForKey } from '../../lambdas/domain/idempotency.ts';
import type { Plan, PlanStep } from '../../lambdas/domain/schemas.ts';
import { OmnilinkClient } from '../client.ts';
import { type LocalRuntime, startLocalRuntime } from '../local/runtime.ts';
import { DynamoMeter, type MeterSnapshot, meterDiff, readsAndWrites } from './dynamo-meter.ts';

/**
 * `npm run bench:scale` (also a section of `npm run bench`): what the hot paths cost, measured on the
 * local runtime (AWS's DynamoDB Local behind a counting proxy, the real handlers and ASL), and what
 * one account-region sustains at AWS's default quotas, computed from those measurements.
 *
 * Request counts are measured; RRU/WRU are computed from the items' sizes with AWS's on-demand
 * pricing rules (see DynamoMeter).
 */

/** AWS's default quotas this model uses (us-east-1, us-west-2, eu-west-1; per account and region). */
export const DEFAULT_QUOTAS = {
  startExecutionPerSecond: 300,
  startExecutionBurst: 1300,
  describeExecutionPerSecond: 15,
  stateTransitionsPerSecond: 1500,
  partitionRcu: 3000,
  partitionWcu: 1000,
  lambdaConcurrency: 1000,
  /** API Gateway's account-level throttle (requests per second, all APIs of the region). */
  apiGatewayRps: 10_000,
} as const;

export interface WorkflowCost {
  readonly steps: number;
  readonly shape: PlanShape;
  /** Workflows measured (small plans run several times); events and units are their sums. */
  readonly runs: number;
  readonly events: number;
  /** Per workflow (the mean over the runs). */
  readonly transitions: number;
  readonly reads: number;
  readonly writes: number;
  readonly rru: number;
  readonly wru: number;
  /** Lambda milliseconds spent per workflow (all functions, summed; the mean over the runs). */
  readonly lambdaMs: number;
  /** Status polls the shipped client made while following it. */
  readonly polls: number;
  /** Appends that lost a race (a cancelled transaction each). */
  readonly conflicts: number;
  readonly status: string;
}

export interface PollCost {
  readonly case: string;
  readonly polls: number;
  readonly dynamoRequests: number;
  readonly rru: number;
  readonly wru: number;
  readonly sfnRequests: number;
}

export interface ConflictCost {
  readonly appenders: number;
  /** Whether the appenders passed `contenders` (as a wave's steps do). */
  readonly hinted: boolean;
  readonly events: number;
  readonly conflictsPerEvent: number;
  readonly requestsPerEvent: number;
  readonly gapFree: boolean;
}

export interface ScaleReport {
  readonly workflows: readonly WorkflowCost[];
  readonly polls: readonly PollCost[];
  readonly conflicts: readonly ConflictCost[];
}

const sizes = [1, 5, 20, 100] as const;
/** SCALE_SIZES / SCALE_SHAPES (comma-separated) narrow a run, e.g. to try a change quickly. */
const sizesToRun = (): number[] => process.env.SCALE_SIZES?.split(',').map(Number) ?? [...sizes];
export type PlanShape = 'parallel' | 'chain';

/** Runs the measurements on a fresh in-memory local runtime. */
export async function measureScale(options: { log?: (line: string) => void } = {}): Promise<ScaleReport> {
  const log = options.log ?? (() => undefined);
  const dynamoMeter = new DynamoMeter();
  const sfnMeter = new DynamoMeter();
  const [dynamoProxy, sfnProxy] = await Promise.all([dynamoMeter.listen(), sfnMeter.listen()]);
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    retryIntervalMs: 10,
    wrapHandler: (_name, handler) => async (event, context) => {
      const t0 = performance.now();
      try {
        return await handler(event, context);
      } finally {
        lambdaMs.total += performance.now() - t0;
      }
    },
    env: {
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_BURST: '1000000',
      LOG_LEVEL: 'ERROR',
      STATUS_STALE_AFTER_SECONDS: '2',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy,
      AWS_ENDPOINT_URL_SFN: sfnProxy,
    },
  });
  dynamoMeter.target = runtime.dynamoUrl;
  sfnMeter.target = runtime.sfnUrl;
  try {
    const workflows = await measureWorkflows(runtime, dynamoProxy, dynamoMeter, log);
    const polls = await measurePolls(runtime, dynamoMeter, sfnMeter, log);
    const conflicts = await measureConflicts(runtime, dynamoProxy, dynamoMeter, log);
    return { workflows, polls, conflicts };
  } finally {
    await runtime.stop();
    await Promise.all([dynamoMeter.close(), sfnMeter.close()]);
  }
}

function documentClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

async function clientFor(runtime: LocalRuntime, sub: string): Promise<OmnilinkClient> {
  const token = await runtime.token(sub);
  return new OmnilinkClient({ baseUrl: runtime.baseUrl, getToken: async () => token });
}

/** Whole workflows of exactly 1, 5, 20 and 100 steps: their DynamoDB requests and units per event. */
async function measureWorkflows(
  runtime: LocalRuntime,
  proxyUrl: string,
  meter: DynamoMeter,
  log: (line: string) => void,
): Promise<WorkflowCost[]> {
  const documents = documentClient(runtime.dynamoUrl);
  const sub = 'scale';
  const client = await clientFor(runtime, sub);
  // A template from the offline planner, replicated and cut to each size (ids renamed, references kept).
  const { workflow_id: templateId } = await client.submitGoal('Book a flight to Paris and a hotel in Paris');
  await runtime.waitForExecution(templateId, 120_000);
  const { Item } = await documents.send(
    new GetCommand({ TableName: runtime.tables.state, Key: { pk: `WF#${templateId}`, sk: 'PLAN' } }),
  );
  const template = Item?.plan as Plan | undefined;
  if (!template) throw new Error('the offline planner stored no plan for the template goal');
  const planStore = { client: documentClient(proxyUrl), tableName: runtime.tables.state, ttlDays: 1 };
  const results: WorkflowCost[] = [];
  const shapes = (process.env.SCALE_SHAPES?.split(',') ?? ['chain', 'parallel']) as PlanShape[];
  for (const [shape, size] of shapes.flatMap((s) => sizesToRun().map((n) => [s, n] as const))) {
    // Small plans are run several times (at least MIN_EVENTS events in all), so that one lost race
    // more or less does not move their per-event figures by several percent.
    let total: WorkflowCost | undefined;
    while ((total?.events ?? 0) < MIN_EVENTS) {
      const one = await measureOneWorkflow(runtime, documents, planStore, client, template, {
        sub,
        shape,
        size,
        meter,
      });
      total = total ? addCosts(total, one) : one;
    }
    if (!total) continue;
    results.push(total);
    log(
      `  ${shape} ${size}-step plan: ${total.status}, ${total.runs} runs, ${total.events} events, ${total.reads} reads / ${total.writes} writes, ${total.rru} RRU / ${total.wru} WRU, ${total.conflicts} lost races`,
    );
  }
  // Polls the shipped client makes while following a workflow (1 and 5 steps, from submit).
  for (const size of [1, 5, 20] as const) {
    const key = `scale-poll-${size}-${Date.now()}`;
    const workflowId = workflowIdForKey(sub, key);
    await storeBenchPlan(planStore, workflowId, planOfSize(template, size));
    let polls = 0;
    const counting = new OmnilinkClient({
      baseUrl: runtime.baseUrl,
      getToken: async () => runtime.token(sub),
      fetch: async (input, init) => {
        if (String(input).endsWith('/status')) polls += 1;
        return fetch(input, init);
      },
    });
    await counting.submitGoal('Book a flight to Paris and a hotel in Paris', { idempotencyKey: key });
    await counting.waitForCompletion(workflowId, { timeoutMs: 300_000 });
    const index = results.findIndex((r) => r.steps === size && r.shape === 'parallel');
    const row = results[index];
    if (row) results[index] = { ...row, polls };
  }
  documents.destroy();
  return results;
}

/** Events measured at least per plan size (small plans run several times). */
const MIN_EVENTS = Number(process.env.SCALE_MIN_EVENTS ?? 200);

/** One workflow of `size` steps, from submit to its end: what it cost. */
async function measureOneWorkflow(
  runtime: LocalRuntime,
  documents: DynamoDBDocumentClient,
  planStore: Parameters<typeof putPlanIfAbsent>[0],
  client: OmnilinkClient,
  template: Plan,
  { sub, shape, size, meter }: { sub: string; shape: PlanShape; size: number; meter: DynamoMeter },
): Promise<WorkflowCost> {
  await runtime.eventStream?.drain(5000).catch(() => undefined);
  const key = `scale-${shape}-${size}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const workflowId = workflowIdForKey(sub, key);
  const before = meter.snapshot();
  // The planner keeps a plan already stored for the workflow: the bench stores one of this size
  // the way the planner does (plan and step index, through the counted endpoint).
  await storeBenchPlan(planStore, workflowId, planOfSize(template, size, shape));
  const lambdaBefore = lambdaMsOf(runtime);
  const started = await client.submitGoal('Book a flight to Paris and a hotel in Paris', {
    idempotencyKey: key,
  });
  if (started.workflow_id !== workflowId) throw new Error('the producer derived another workflow id');
  const execution = await runtime.waitForExecution(workflowId, 600_000);
  const cost = meterDiff(meter.snapshot(), before);
  const lambdaMs = lambdaMsOf(runtime) - lambdaBefore;
  const events = (
    await readEvents(
      { client: documents, tableName: runtime.tables.eventLog, stateTable: runtime.tables.state },
      workflowId,
    )
  ).length;
  const { reads, writes } = readsAndWrites(cost);
  return {
    steps: size,
    shape,
    runs: 1,
    events,
    transitions: runtime.transitionsOf(workflowId) ?? Number.NaN,
    reads,
    writes,
    rru: cost.rru,
    wru: cost.wru,
    lambdaMs,
    polls: 0,
    conflicts: cost.conflicts,
    status: execution.status,
  };
}

/** Two runs of the same plan added up (transitions and Lambda time stay per workflow: averaged). */
function addCosts(a: WorkflowCost, b: WorkflowCost): WorkflowCost {
  const runs = a.runs + b.runs;
  const mean = (x: number, y: number) => (x * a.runs + y * b.runs) / runs;
  return {
    ...a,
    runs,
    events: a.events + b.events,
    transitions: mean(a.transitions, b.transitions),
    reads: a.reads + b.reads,
    writes: a.writes + b.writes,
    rru: a.rru + b.rru,
    wru: a.wru + b.wru,
    lambdaMs: mean(a.lambdaMs, b.lambdaMs),
    conflicts: a.conflicts + b.conflicts,
    status: a.status === b.status ? a.status : `${a.status}/${b.status}`,
  };
}

/** Stores a plan for a workflow the way the planner does (the planner then keeps it). */
function storeBenchPlan(store: Parameters<typeof putPlanIfAbsent>[0], workflowId: string, plan: Plan) {
  return putPlanIfAbsent(store, workflowId, {
    plan,
    source: 'planner',
    provider: 'offline',
    model: 'bench',
    created_at: new Date().toISOString(),
  });
}

/** Milliseconds spent in handlers so far (all functions). */
const lambdaMs = { total: 0 };
function lambdaMsOf(_runtime: LocalRuntime): number {
  return lambdaMs.total;
}

/** Status polls: a workflow with recent progress, and one silent past the window polled by many. */
async function measurePolls(
  runtime: LocalRuntime,
  dynamoMeter: DynamoMeter,
  sfnMeter: DynamoMeter,
  log: (line: string) => void,
): Promise<PollCost[]> {
  const client = await clientFor(runtime, 'poller');
  const { workflow_id: id } = await client.submitGoal('Book a flight to Rome with my approval');
  for (let i = 0; i < 200; i += 1) {
    if ((await client.getStatus(id)).status === 'waiting') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const measure = async (label: string, pollers: number): Promise<PollCost> => {
    const d0 = dynamoMeter.snapshot();
    const s0 = sfnMeter.snapshot();
    await Promise.all(Array.from({ length: pollers }, () => client.getStatus(id)));
    const d = meterDiff(dynamoMeter.snapshot(), d0);
    const s = meterDiff(sfnMeter.snapshot(), s0);
    const sum = (m: MeterSnapshot) => [...m.requests.values()].reduce((a, b) => a + b, 0);
    log(`  ${label}: ${sum(d)} DynamoDB, ${sum(s)} Step Functions requests for ${pollers} polls`);
    return {
      case: label,
      polls: pollers,
      dynamoRequests: sum(d),
      rru: d.rru,
      wru: d.wru,
      sfnRequests: s.requests.get('DescribeExecution') ?? 0,
    };
  };
  const fresh = await measure('workflow with recent progress, 1 poll', 1);
  // Past the window (2 s in this bench, 60 s by default): many clients at once, then again.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const silentMany = await measure('workflow silent past the window, 50 concurrent polls', 50);
  const silentAgain = await measure('the same, 50 more polls within the window', 50);
  await client.cancel(id).catch(() => undefined);
  return [fresh, silentMany, silentAgain];
}

/** Parallel appenders on one workflow: lost races per event and requests per event. */
async function measureConflicts(
  runtime: LocalRuntime,
  proxyUrl: string,
  meter: DynamoMeter,
  log: (line: string) => void,
): Promise<ConflictCost[]> {
  const documents = documentClient(proxyUrl);
  const deps: EventLogDeps = {
    client: documents,
    tableName: runtime.tables.eventLog,
    stateTable: runtime.tables.state,
  };
  const results: ConflictCost[] = [];
  for (const [appenders, hinted] of [
    [10, false],
    [10, true],
    [25, false],
    [25, true],
  ] as const) {
    const workflowId = `wf_scaleconflicts${appenders}${hinted ? 'h' : ''}${Date.now()}`;
    const perAppender = 4;
    const before = { ...appendStats };
    const m0 = meter.snapshot();
    await Promise.all(
      Array.from({ length: appenders }, async (_, a) => {
        for (let e = 0; e < perAppender; e += 1) {
          await appendEvents(
            deps,
            workflowId,
            [
              {
                event_id: `StepSucceeded:s${a}_${e}`,
                type: 'StepSucceeded',
                data: { step_id: `s${a}_${e}`, tool: 'bench', output: {} },
              },
            ],
            // As a wave's steps do: the number of appenders that may race widens the backoff.
            hinted ? { contenders: appenders } : {},
          );
        }
      }),
    );
    const events = appenders * perAppender;
    const cost = meterDiff(meter.snapshot(), m0);
    const stored = await readEvents(deps, workflowId);
    const gapFree =
      stored.every((e, i) => e.seq === i + 1) && new Set(stored.map((e) => e.event_id)).size === events;
    const requests = [...cost.requests.values()].reduce((a, b) => a + b, 0);
    results.push({
      appenders,
      hinted,
      events,
      conflictsPerEvent: (appendStats.conflicts - before.conflicts) / events,
      requestsPerEvent: requests / events,
      gapFree: gapFree && stored.length === events,
    });
    log(
      `  ${appenders} appenders${hinted ? ' (contenders given)' : ''}: ${(appendStats.conflicts - before.conflicts) / events} conflicts/event`,
    );
  }
  documents.destroy();
  return results;
}

/**
 * `size` steps: the template replicated (ids suffixed, dependencies and references renamed) and cut.
 * `parallel`: the copies are independent (waves as wide as the Map runs, 10); `chain`: each copy
 * waits for the previous one (one step at a time: no two appends race).
 */
export function planOfSize(template: Plan, size: number, shape: PlanShape = 'parallel'): Plan {
  const steps: PlanStep[] = [];
  for (let copy = 0; steps.length < size; copy += 1) {
    const rename = (id: string) => (copy === 0 ? id : `${id}_${copy}`.slice(0, 40));
    const previous = steps.at(-1)?.id;
    for (const step of template.steps) {
      if (steps.length >= size) break;
      if (!step.depends_on.every((dep) => steps.some((s) => s.id === rename(dep)))) continue;
      const after = shape === 'chain' && steps.length > 0 ? [steps.at(-1)?.id ?? previous ?? ''] : [];
      steps.push({
        ...step,
        id: rename(step.id),
        depends_on: [...new Set([...step.depends_on.map(rename), ...after])].filter((d) => d !== ''),
        input: JSON.parse(
          JSON.stringify(step.input).replace(
            /"\$from":"([a-z0-9_]+)"/g,
            (_, from: string) => `"$from":"${rename(from)}"`,
          ),
        ) as Record<string, unknown>,
      });
    }
  }
  return { steps, summary: `bench plan of ${size} steps` };
}

/** What one account-region sustains, computed from the measurements and the default quotas. */
export function capacityModel(report: ScaleReport): string[] {
  const q = DEFAULT_QUOTAS;
  const lines: string[] = [];
  lines.push(
    '| plan | binding limit | workflows/s | status polls/s (shipped client) | transitions/wf | polls/wf | Lambda s/wf |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const w of report.workflows) {
    if (w.shape !== 'parallel' || w.polls === 0) continue;
    const limits: [string, number][] = [
      ['StartExecution (300/s)', q.startExecutionPerSecond],
      ['StateTransition (1,500/s)', q.stateTransitionsPerSecond / w.transitions],
      ['API Gateway (10,000 rps: submit + polls)', q.apiGatewayRps / (1 + Math.max(1, w.polls))],
      [
        'Lambda concurrency (1,000)',
        Number.isFinite(w.lambdaMs) ? q.lambdaConcurrency / (w.lambdaMs / 1000) : Number.POSITIVE_INFINITY,
      ],
    ];
    const [name, rate] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
    const polls = rate * Math.max(1, w.polls);
    lines.push(
      `| ${w.steps} steps | ${name} | ${rate.toFixed(0)} | ${polls.toFixed(0)} | ${Math.round(w.transitions)} | ${w.polls} | ${Number.isFinite(w.lambdaMs) ? (w.lambdaMs / 1000).toFixed(2) : 'n/a'} |`,
    );
  }
  const fresh = report.polls[0];
  lines.push(
    '',
    `Status polls alone: a poll of a workflow with recent progress costs ${fresh?.dynamoRequests ?? '?'} DynamoDB request and ${fresh?.sfnRequests ?? '?'} Step Functions requests, so the route is bounded by API Gateway (${q.apiGatewayRps.toLocaleString('en-US')} rps per account-region), not by Step Functions: at least ${q.apiGatewayRps.toLocaleString('en-US')} polls/s on paper (Lambda: ${q.lambdaConcurrency} concurrent × ~50 polls/s each at ~20 ms; DynamoDB: ${q.partitionRcu.toLocaleString('en-US')} strongly consistent 1-RRU reads/s per workflow's partition).`,
    `Silent workflows: DescribeExecution (${q.describeExecutionPerSecond}/s) is called at most once per staleness window (60 s) per silent workflow, so ${q.describeExecutionPerSecond * 60} silent workflows can be polled at once within the quota; past it, polls still answer from the read model (a throttled check is logged, never a 503).`,
    `Appends: one workflow's head takes all its appends, ${q.partitionWcu.toLocaleString('en-US')} WCU/s per partition ÷ ~6 WRU per append ≈ ${Math.floor(q.partitionWcu / 6)} events/s per workflow, far above any step rate; across workflows DynamoDB on demand scales by partition.`,
  );
  return lines;
}

/** The report as Markdown. */
export function formatScaleReport(report: ScaleReport): string {
  const lines: string[] = ['## Hot paths at scale (bench:scale)', ''];
  lines.push(
    '| plan | workflows | events/workflow | transitions/workflow | reads/event | writes/event | RRU/event | WRU/event | (RRU+WRU)/event | lost races/event | status |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const w of report.workflows) {
    const per = (n: number) => (n / w.events).toFixed(2);
    lines.push(
      `| ${w.shape}, ${w.steps} steps | ${w.runs} | ${w.events / w.runs} | ${w.transitions} | ${per(w.reads)} | ${per(w.writes)} | ${per(w.rru)} | ${per(w.wru)} | ${per(w.rru + w.wru)} | ${per(w.conflicts)} | ${w.status} |`,
    );
  }
  for (const shape of ['chain', 'parallel'] as const) {
    const five = report.workflows.find((w) => w.steps === 5 && w.shape === shape);
    const hundred = report.workflows.find((w) => w.steps === 100 && w.shape === shape);
    if (!five || !hundred) continue;
    const a = (five.rru + five.wru) / five.events;
    const b = (hundred.rru + hundred.wru) / hundred.events;
    lines.push(
      '',
      `Flatness (${shape}): (RRU+WRU)/event at 100 steps is ${b >= a ? '+' : ''}${((b / a - 1) * 100).toFixed(1)}% from the 5-step figure (goal: within 10%): ${Math.abs(b / a - 1) <= 0.1 ? 'met' : 'MISSED'}.`,
    );
  }
  lines.push(
    '',
    '| status poll | polls | DynamoDB requests | RRU | WRU | DescribeExecution |',
    '|---|---|---|---|---|---|',
  );
  for (const p of report.polls) {
    lines.push(`| ${p.case} | ${p.polls} | ${p.dynamoRequests} | ${p.rru} | ${p.wru} | ${p.sfnRequests} |`);
  }
  lines.push(
    '',
    '| parallel appenders | backoff window | events | lost races/event | DynamoDB requests/event | gap-free, exactly once |',
    '|---|---|---|---|---|---|',
  );
  for (const c of report.conflicts) {
    lines.push(
      `| ${c.appenders} | ${c.hinted ? '× appenders (as steps pass it)' : 'plain'} | ${c.events} | ${c.conflictsPerEvent.toFixed(2)} | ${c.requestsPerEvent.toFixed(2)} | ${c.gapFree ? 'yes' : '**no**'} |`,
    );
  }
  lines.push(
    '',
    '### What one account-region sustains at default quotas (computed from the figures above)',
    '',
  );
  lines.push(...capacityModel(report));
  lines.push(
    '',
    "Request counts are measured at the functions' DynamoDB endpoint; RRU/WRU are computed from the items' sizes with AWS's on-demand rules (DynamoDB Local does not price transactions as AWS does). Transitions are counted by the local engine. Polls per workflow are the shipped client's (`waitForCompletion`) on local durations: in AWS, slower steps mean more polls per workflow, and the table scales with them.",
  );
  return lines.join('\n');
}
