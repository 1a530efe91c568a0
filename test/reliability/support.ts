import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type ApiResponse, type Harness, isRecord } from '../../lib/local/harness.ts';
import { PROJECT_ROOT } from '../../lib/local/runtime.ts';
import { functionSpecs } from '../../lib/specs.ts';

/*
 * Helpers of the reliability suites: deterministic fault decisions, readers of the local tables, and
 * the invariants every suite checks (terminal state, gap-free event log, no lost or doubled booking).
 * The faults themselves are injected through the local runtime's `faults` hook (lib/local/lambda.ts):
 * nothing here, and nothing in lambdas/, reads a switch.
 */

/** The functions the state machine invokes as Task states (what "every task" means). */
export const TASK_FUNCTIONS: ReadonlySet<string> = new Set(
  Object.entries(functionSpecs)
    .filter(([, spec]) => 'aslPlaceholder' in spec && typeof spec.aslPlaceholder === 'string')
    .map(([name]) => name),
);

export const BOOKING_TOOLS: ReadonlySet<string> = new Set(['book_flight', 'book_hotel']);
export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled', 'rejected'] as const;
const TERMINAL_EVENTS = new Set([
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
  'WorkflowRejected',
]);

/** A number in [0, 1) from a seed and parts: the same inputs, the same number, whatever the ordering. */
export function unitHash(seed: string | number, ...parts: readonly (string | number)[]): number {
  const digest = createHash('sha256')
    .update([String(seed), ...parts.map(String)].join('\u0000'))
    .digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

/** A DocumentClient on the runtime's DynamoDB Local (not the Lambdas' module-level one). */
export function tablesClient(dynamoUrl: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dynamoUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}

export type Item = Record<string, unknown>;

export async function scanAll(client: DynamoDBDocumentClient, table: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function queryPartition(
  client: DynamoDBDocumentClient,
  table: string,
  keyName: string,
  value: string,
): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: '#k = :v',
        ExpressionAttributeNames: { '#k': keyName },
        ExpressionAttributeValues: { ':v': value },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** What the invariants found for one workflow. */
export interface WorkflowAudit {
  readonly workflowId: string;
  readonly status: string;
  readonly events: number;
  /** Seq numbers missing from 1..n or out of order (0 when gap-free). */
  readonly gaps: number;
  readonly duplicateEventIds: number;
  /** Steps with more than one StepSucceeded. */
  readonly doubledStepSucceeded: number;
  readonly firstEvent: string | undefined;
  readonly lastEvent: string | undefined;
  readonly bookingSteps: number;
  readonly bookings: number;
  /** Booking steps the log shows succeeded whose booking is not in the table. */
  readonly lost: number;
  /** Bookings for no booking step of the plan (a second booking for one step could only land here). */
  readonly doubled: number;
  /** Bookings whose status does not fit the outcome (booked after a rollback, cancelled after success). */
  readonly wrongStatus: number;
  readonly problems: readonly string[];
}

export interface TableNames {
  readonly eventLog: string;
  readonly bookings: string;
}

/** Checks one workflow's event log and bookings against its plan. */
export async function auditWorkflow(
  client: DynamoDBDocumentClient,
  tables: TableNames,
  workflowId: string,
  status: string,
): Promise<WorkflowAudit> {
  const problems: string[] = [];
  const events = (await queryPartition(client, tables.eventLog, 'workflow_id', workflowId)).sort(
    (a, b) => Number(a.seq) - Number(b.seq),
  );
  let gaps = 0;
  events.forEach((event, index) => {
    if (Number(event.seq) !== index + 1) gaps += 1;
  });
  if (gaps > 0) problems.push(`seq not 1..${events.length}: ${events.map((e) => e.seq).join(',')}`);
  const ids = events.map((e) => String(e.event_id));
  const duplicateEventIds = ids.length - new Set(ids).size;
  if (duplicateEventIds > 0) problems.push(`${duplicateEventIds} duplicate event_id(s)`);
  const succeeded = new Map<string, number>();
  const started = new Set<string>();
  let plan: Item | undefined;
  for (const event of events) {
    const data = isRecord(event.data) ? event.data : {};
    if (event.type === 'StepSucceeded')
      succeeded.set(String(data.step_id), (succeeded.get(String(data.step_id)) ?? 0) + 1);
    if (event.type === 'StepStarted') started.add(String(data.step_id));
    if (event.type === 'PlanCreated' && isRecord(data.plan)) plan = data.plan;
  }
  const doubledStepSucceeded = [...succeeded.values()].filter((n) => n > 1).length;
  if (doubledStepSucceeded > 0) problems.push(`${doubledStepSucceeded} step(s) with two StepSucceeded`);
  const firstEvent = events[0] === undefined ? undefined : String(events[0].type);
  const lastEvent = events.at(-1) === undefined ? undefined : String(events.at(-1)?.type);
  if (firstEvent !== 'GoalReceived') problems.push(`first event ${firstEvent}`);
  if (!lastEvent || !TERMINAL_EVENTS.has(lastEvent)) problems.push(`last event ${lastEvent}`);

  const steps = plan && Array.isArray(plan.steps) ? plan.steps.filter(isRecord) : [];
  const bookingSteps = new Set(
    steps.filter((s) => BOOKING_TOOLS.has(String(s.tool))).map((s) => String(s.id)),
  );
  const bookings = await queryPartition(client, tables.bookings, 'workflow_id', workflowId);
  const byStep = new Map(bookings.map((b) => [String(b.step_id), b]));
  let lost = 0;
  for (const stepId of bookingSteps) {
    if ((succeeded.get(stepId) ?? 0) > 0 && !byStep.has(stepId)) {
      lost += 1;
      problems.push(`booking of ${stepId} lost`);
    }
  }
  let doubled = 0;
  let wrongStatus = 0;
  for (const booking of bookings) {
    const stepId = String(booking.step_id);
    if (!bookingSteps.has(stepId) || !started.has(stepId)) {
      doubled += 1;
      problems.push(`booking for ${stepId}, which is no started booking step of the plan`);
    }
    const expected = status === 'completed' ? 'booked' : 'cancelled';
    if (booking.status !== expected) {
      wrongStatus += 1;
      problems.push(`booking ${stepId} is ${String(booking.status)} in a ${status} workflow`);
    }
  }
  return {
    workflowId,
    status,
    events: events.length,
    gaps,
    duplicateEventIds,
    doubledStepSucceeded,
    firstEvent,
    lastEvent,
    bookingSteps: bookingSteps.size,
    bookings: bookings.length,
    lost,
    doubled,
    wrongStatus,
    problems,
  };
}

export function workflowIdOf(response: ApiResponse): string {
  const body = response.json;
  if (!isRecord(body) || typeof body.workflow_id !== 'string')
    throw new Error(`no workflow_id in ${response.status} ${response.text}`);
  return body.workflow_id;
}

/**
 * The status API's answer once the workflow has finished: its execution has closed, the status is
 * terminal and the audit trail ends with its terminal event (a rollback may run after the execution
 * closed, e.g. by the execution janitor, so the log, not the execution, says when it is over).
 */
export async function finalStatus(
  harness: Harness,
  workflowId: string,
  token: string,
  timeoutMs = 120_000,
): Promise<Item> {
  await harness.runtime.waitForExecution(workflowId, timeoutMs);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await harness.api('GET', `/workflows/${workflowId}/status`, { token });
    const body = response.json;
    if (response.status === 200 && isRecord(body) && TERMINAL_STATUSES.some((s) => s === body.status)) {
      const events = await harness.api('GET', `/workflows/${workflowId}/events`, { token });
      const list = isRecord(events.json) && Array.isArray(events.json.events) ? events.json.events : [];
      const last: unknown = list.at(-1);
      if (isRecord(last) && TERMINAL_EVENTS.has(String(last.type))) {
        // The status may have been read before the last event landed: read it once more.
        const again = await harness.api('GET', `/workflows/${workflowId}/status`, { token });
        if (isRecord(again.json)) return again.json;
      }
    }
    if (Date.now() > deadline)
      throw new Error(
        `workflow ${workflowId}: closed, but not finished: ${response.status} ${response.text}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Writes a suite's figure to `.local/reliability/<name>.json` and the console (the report's table). */
export async function recordFigure(name: string, figure: Record<string, unknown>): Promise<void> {
  const dir = join(PROJECT_ROOT, '.local', 'reliability');
  await mkdir(dir, { recursive: true });
  const line = { case: name, at: new Date().toISOString(), ...figure };
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(line, null, 2)}\n`);
  console.log(`[reliability] ${name}: ${JSON.stringify(figure)}`);
}

/** What a well-behaved client saw while submitting: the final answer and the 503/429s it waited out. */
export interface Submission {
  readonly response: ApiResponse;
  readonly unavailable: number;
  readonly rateLimited: number;
}

/**
 * POST /omnilink-agent as a well-behaved client: a 503 or 429 is retried after its Retry-After (the
 * contract's promise), up to `maxAttempts` times. Counts what it had to wait out.
 */
export async function submitPolitely(
  harness: Harness,
  token: string,
  body: unknown,
  headers: Record<string, string> = {},
  maxAttempts = 10,
): Promise<Submission> {
  let unavailable = 0;
  let rateLimited = 0;
  for (let attempt = 1; ; attempt++) {
    const response = await harness.api('POST', '/omnilink-agent', { token, body, headers });
    if ((response.status !== 503 && response.status !== 429) || attempt >= maxAttempts)
      return { response, unavailable, rateLimited };
    if (response.status === 503) unavailable += 1;
    else rateLimited += 1;
    const retryAfter = Number(response.headers.get('retry-after') ?? '1');
    const waitMs = (Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000;
    await new Promise((resolve) => setTimeout(resolve, waitMs * (0.5 + Math.random() / 2)));
  }
}
