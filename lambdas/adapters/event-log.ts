import { setTimeout as sleep } from 'node:timers/promises';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ExecutionDescription } from '#domain/api/status-body.ts';
import { applyEvent, emptyView, type WorkflowView, workflowViewSchema } from '#domain/projection.ts';
import { type NewWorkflowEvent, type WorkflowEvent, workflowEventSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';

/**
 * The event log: one item per event in EVENT_LOG_TABLE (partition `workflow_id`, sort key `seq`,
 * 1..n without gaps), plus two kinds of small items in STATE_TABLE under the workflow's partition
 * (`pk = WF#<id>`):
 * - the head (`sk = HEAD`): `last_seq` and the workflow's view (the read model: status, progress,
 *   result or error, what is in flight; see core/projection.ts), folded forward by every append;
 * - a marker per event (`sk = EVT#<event_id>`) holding the seq the event got.
 *
 * An append costs the same at any length of the log: one strongly consistent GetItem of the head
 * (≤ 1 RRU while the view is under 4 KB) and one TransactWriteItems of the event, its marker and the
 * head (2 WRU per item of ≤ 1 KB: 6 WRU). The transaction's conditions give the guarantees:
 * - exactly once per `event_id`: the marker is put only if absent. A replay fails that condition,
 *   and DynamoDB returns the marker (ReturnValuesOnConditionCheckFailure), so the appender learns the
 *   stored seq without another read;
 * - `seq` 1..n, gap-free and ordered: the head is updated only if `last_seq` is still the one read,
 *   and the event is put only if its seq is free. A concurrent append makes this fail (condition or
 *   TransactionConflict): the appender re-reads the head and tries again, a bounded number of times,
 *   with jittered backoff. Nothing is half-written: a transaction is all or nothing, so a crash at any
 *   point leaves either the whole append or none of it;
 * - preconditions (e.g. "no event after a terminal one") are checked against the view read, and the
 *   head's condition makes the check hold at the moment of the write.
 *
 * Why not "query the tail (Limit 1, descending) and put seq + 1": that is O(1) too, but it cannot
 * enforce exactly-once per `event_id` (a replay after a crash would append a duplicate with a new
 * seq), nor a precondition over the whole history without reading it. The head costs one small item
 * per workflow and gives both, and doubles as the read model, so status polls read one item.
 */
export interface EventLogDeps {
  readonly client: DynamoDBDocumentClient;
  /** EVENT_LOG_TABLE: the events. */
  readonly tableName: string;
  /** STATE_TABLE: the head (read model) and the per-event markers. */
  readonly stateTable: string;
  /** Seconds since the epoch after which the events expire (audit retention). */
  readonly expiresAt?: number;
  readonly now?: () => Date;
  /**
   * Attempts when appends race (each one a head read and a transaction). The Map runs at most 10
   * steps of a workflow at once; with jittered exponential backoff, ten appenders lose about one race
   * per event on average, and the cap keeps even 25 from giving up. @default 30
   */
  readonly maxAttempts?: number;
}

/** The head item's key in the state table. */
export const headKey = (workflowId: string) => ({ pk: `WF#${workflowId}`, sk: 'HEAD' });
const markerKey = (workflowId: string, eventId: string) => ({ pk: `WF#${workflowId}`, sk: `EVT#${eventId}` });

/** The head item as stored: the view, plus attributes other writers own. */
export interface HeadItem {
  readonly view: WorkflowView;
  /** Owner and creation time (written by the producer when it accepts the workflow). */
  readonly user_id?: string;
  readonly created_at?: string;
  /** Other attributes (execution snapshot, ...), as stored. */
  readonly [key: string]: unknown;
}

/** Where the heads live: the state table. */
export type HeadDeps = Pick<EventLogDeps, 'client' | 'stateTable'>;

/**
 * Reads the head (strongly consistent): the view of the log and the workflow's owner. A head past its
 * `expires_at` is absent, as its workflow record is (DynamoDB deletes expired items lazily).
 */
export async function readHead(
  deps: HeadDeps & { readonly now?: () => Date },
  workflowId: string,
): Promise<HeadItem | undefined> {
  const { Item } = await deps.client.send(
    new GetCommand({ TableName: deps.stateTable, Key: headKey(workflowId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const nowSeconds = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  if (typeof Item.expires_at === 'number' && Item.expires_at <= nowSeconds) return undefined;
  return headOf(Item);
}

/** The view of a head item (an item written before any event has the empty view). */
export function headOf(item: Record<string, unknown>): HeadItem {
  const view = workflowViewSchema.safeParse(item.view);
  return { ...item, view: view.success ? view.data : emptyView };
}

/** What the head knows of the workflow's execution (written by whoever last learnt it). */
export const executionSnapshotSchema = z.lazy(() =>
  z.object({
    /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE. */
    status: z.string(),
    error: z.optional(z.string()),
    start_date: z.optional(z.string()),
    stop_date: z.optional(z.string()),
    redrive_date: z.optional(z.string()),
    /** When it was learnt (ISO-8601). */
    checked_at: z.string(),
  }),
);
export type ExecutionSnapshot = z.infer<typeof executionSnapshotSchema>;

/** The head's execution snapshot, if it holds a readable one. */
export function executionSnapshotOf(head: HeadItem | undefined): ExecutionSnapshot | undefined {
  return executionSnapshotSchema.safeParse(head?.execution).data;
}

/** The execution as the projection should see it (`statusBody`): the last snapshot the head holds. */
export function executionDescriptionOf(
  snapshot: ExecutionSnapshot | undefined,
): ExecutionDescription | undefined {
  if (!snapshot) return undefined;
  const date = (value: string | undefined) => (value === undefined ? undefined : new Date(value));
  return {
    status: snapshot.status,
    startDate: date(snapshot.start_date),
    stopDate: date(snapshot.stop_date),
    redriveDate: date(snapshot.redrive_date),
    error: snapshot.error,
  };
}

/**
 * Creates the head of a new workflow with its owner (the producer, before the execution starts), so
 * that a status poll reads owner and view in one item. `owner` (the user id again) puts the head in
 * the sparse index of GET /workflows: only heads carry it. A head that exists already is left as is.
 */
export async function createHead(
  deps: HeadDeps,
  head: { workflow_id: string; user_id: string; created_at: string; goal: string; expires_at: number },
): Promise<void> {
  await writeIfCondition(() =>
    deps.client.send(
      new PutCommand({
        TableName: deps.stateTable,
        Item: { ...headKey(head.workflow_id), ...head, owner: head.user_id, last_seq: 0, view: emptyView },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
}

/** Records what is known of the workflow's execution in its head (no condition: the latest wins). */
export async function recordExecution(
  deps: HeadDeps,
  workflowId: string,
  snapshot: ExecutionSnapshot,
): Promise<void> {
  await deps.client.send(
    new UpdateCommand({
      TableName: deps.stateTable,
      Key: headKey(workflowId),
      UpdateExpression: 'SET execution = :snapshot, execution_checked_at = :at',
      ExpressionAttributeValues: { ':snapshot': snapshot, ':at': Date.parse(snapshot.checked_at) },
    }),
  );
}

/** The sparse index of heads whose workflow waits, failed and redrivable, for its rollback deadline. */
export const ROLLBACK_DUE_INDEX = 'rollback-due';
const ROLLBACK_DUE = 'DUE';

/**
 * Sets (or moves) the rollback deadline of a workflow left failed and redrivable: its head joins the
 * `rollback-due` index, which the sweep reads, and the status shows the deadline.
 */
export async function setRollbackDeadline(deps: HeadDeps, workflowId: string, deadline: Date): Promise<void> {
  await deps.client.send(
    new UpdateCommand({
      TableName: deps.stateTable,
      Key: headKey(workflowId),
      UpdateExpression: 'SET rollback_due = :due, rollback_due_at = :at, rollback_deadline = :iso',
      ExpressionAttributeValues: {
        ':due': ROLLBACK_DUE,
        ':at': deadline.getTime(),
        ':iso': deadline.toISOString(),
      },
    }),
  );
}

/** Takes a workflow off the rollback-due index (it was redriven, or rolled back). */
export async function clearRollbackDeadline(deps: HeadDeps, workflowId: string): Promise<void> {
  await deps.client.send(
    new UpdateCommand({
      TableName: deps.stateTable,
      Key: headKey(workflowId),
      UpdateExpression: 'REMOVE rollback_due, rollback_due_at, rollback_deadline',
    }),
  );
}

/** Workflows whose rollback deadline has passed, oldest first: one page of the sparse index. */
export async function dueRollbacks(
  deps: HeadDeps,
  now: Date,
  limit: number,
): Promise<{ workflow_id: string; deadline: string }[]> {
  const page = await deps.client.send(
    new QueryCommand({
      TableName: deps.stateTable,
      IndexName: ROLLBACK_DUE_INDEX,
      KeyConditionExpression: 'rollback_due = :due AND rollback_due_at <= :now',
      ExpressionAttributeValues: { ':due': ROLLBACK_DUE, ':now': now.getTime() },
      Limit: limit,
    }),
  );
  // The index projects keys only (a projection of the head would be rewritten with every append).
  return (page.Items ?? []).flatMap((item) =>
    typeof item.pk === 'string' && item.pk.startsWith('WF#') && typeof item.rollback_due_at === 'number'
      ? [{ workflow_id: item.pk.slice(3), deadline: new Date(item.rollback_due_at).toISOString() }]
      : [],
  );
}

/**
 * Claims the right to ask Step Functions about a silent workflow: true for exactly one caller per
 * window (a conditional write of the time of the check), false for everyone else.
 */
export async function claimExecutionCheck(
  deps: HeadDeps,
  workflowId: string,
  now: Date,
  windowMs: number,
): Promise<boolean> {
  return writeIfCondition(() =>
    deps.client.send(
      new UpdateCommand({
        TableName: deps.stateTable,
        Key: headKey(workflowId),
        // Milliseconds since the epoch. (AND binds tighter than OR: "exists, and never checked or
        // checked before the window".)
        UpdateExpression: 'SET execution_checked_at = :now',
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(execution_checked_at) OR attribute_exists(pk) AND execution_checked_at < :cutoff',
        ExpressionAttributeValues: { ':now': now.getTime(), ':cutoff': now.getTime() - windowMs },
      }),
    ),
  );
}

/** Reads the view of a workflow's log: one item, whatever the log's length. */
export async function readView(deps: HeadDeps, workflowId: string): Promise<WorkflowView> {
  return (await readHead(deps, workflowId))?.view ?? emptyView;
}

/**
 * Reads the whole log of a workflow in order (strongly consistent). O(log): for the few paths that
 * need every event once per workflow (the saga's list of what to undo), never on a hot path.
 */
export async function readEvents(
  deps: EventLogDeps,
  workflowId: string,
  afterSeq = 0,
): Promise<WorkflowEvent[]> {
  const events: WorkflowEvent[] = [];
  let after = afterSeq;
  for (;;) {
    const page = await readEventPage(deps, workflowId, after, 1000);
    events.push(...page.events);
    if (page.nextSeq === undefined) return events;
    after = page.nextSeq;
  }
}

/** Reads one page of the log, starting after `afterSeq`: O(page). */
export async function readEventPage(
  deps: Pick<EventLogDeps, 'client' | 'tableName'>,
  workflowId: string,
  afterSeq: number,
  limit: number,
): Promise<{ events: WorkflowEvent[]; nextSeq?: number }> {
  const page = await deps.client.send(
    new QueryCommand({
      TableName: deps.tableName,
      KeyConditionExpression: 'workflow_id = :id AND seq > :after',
      ExpressionAttributeValues: { ':id': workflowId, ':after': afterSeq },
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  const events = (page.Items ?? []).map((item) => z.parse(workflowEventSchema, item));
  const last = events.at(-1);
  return page.LastEvaluatedKey && last ? { events, nextSeq: last.seq } : { events };
}

export interface AppendOptions {
  /**
   * Checked against the view of the log as it is when the new events are written (the write is
   * conditional on that view): throw to refuse the append. E.g. "only while no terminal event is
   * logged", which a plain read-then-append cannot guarantee when a cancel races the workflow's last
   * step. Replays of events already in the log are not refused: they write nothing.
   */
  readonly precondition?: (view: WorkflowView) => void;
  /**
   * How many appenders may be racing for this log now (e.g. the steps of a wave, which the Map
   * starts at once). Retries after a lost race spread over a window this many times wider.
   */
  readonly contenders?: number;
}

/** Counters of what appends cost (the bench and tests read them). */
export const appendStats = { appends: 0, attempts: 0, conflicts: 0, replays: 0 };

/**
 * Appends events in order, each exactly once, in one transaction. Returns the stored events (for
 * replays, the seq and time they were stored with).
 */
export async function appendEvents(
  deps: EventLogDeps,
  workflowId: string,
  newEvents: readonly NewWorkflowEvent[],
  options: AppendOptions = {},
): Promise<WorkflowEvent[]> {
  appendStats.appends += 1;
  const stored = new Map<string, WorkflowEvent>();
  const maxAttempts = deps.maxAttempts ?? 30;
  // The head as the last lost race returned it (ALL_OLD): the next attempt needs no read.
  let known: WorkflowView | undefined;
  for (let attempt = 1; ; attempt++) {
    appendStats.attempts += 1;
    // At most 40 events a transaction (2 items each, plus the head: within DynamoDB's 100).
    const pending = newEvents.filter((e) => !stored.has(e.event_id)).slice(0, 40);
    if (pending.length === 0) break;
    const before = known ?? (await readHead(deps, workflowId))?.view ?? emptyView;
    known = undefined;
    try {
      options.precondition?.(before);
    } catch (refusal) {
      // A refused append may be a replay of events that are in the log already: those are answered.
      const replayed = await readStoredMarkers(deps, workflowId, pending);
      if (replayed.length < pending.length) throw refusal;
      for (const event of replayed) stored.set(event.event_id, event);
      break;
    }
    const at = (deps.now?.() ?? new Date()).toISOString();
    let view = before;
    const items: WorkflowEvent[] = pending.map((event, i) => {
      const item: WorkflowEvent = { workflow_id: workflowId, seq: before.last_seq + i + 1, at, ...event };
      view = applyEvent(view, item);
      return item;
    });
    const outcome = await transact(deps, workflowId, before.last_seq, items, view, at);
    if (outcome.ok) {
      for (const item of items) stored.set(item.event_id, item);
      continue; // the next chunk, if any
    }
    // Markers that exist are replays: what they stored is the answer for those events.
    for (const event of outcome.replayed) stored.set(event.event_id, event);
    appendStats.replays += outcome.replayed.length;
    known = outcome.head;
    if (outcome.replayed.length > 0 && !outcome.raced) continue; // the rest goes in the next attempt
    appendStats.conflicts += 1;
    if (attempt >= maxAttempts) {
      throw Object.assign(new Error(`append to ${workflowId} lost ${attempt} races in a row`), {
        name: 'ThrottlingException',
      });
    }
    // Full-jitter exponential backoff (10 ms doubling, capped at 500 ms), over a window as many times
    // wider as appenders may be racing (at most 2 s): colliders spread out instead of colliding
    // again, and 30 attempts stay well within a task's timeout. The retry
    // starts from the head the lost race returned, without a read (measured: re-reading it after
    // the pause cost more than it saved on 100-step plans; `npm run bench:scale`).
    const contenders = Math.max(1, options.contenders ?? 1);
    await sleep(Math.random() * Math.min(2000, contenders * Math.min(500, 10 * 2 ** attempt)));
  }
  return newEvents.flatMap((e) => stored.get(e.event_id) ?? []);
}

/** Appends one event exactly once; see {@link appendEvents}. */
export async function appendEvent(
  deps: EventLogDeps,
  workflowId: string,
  event: NewWorkflowEvent,
  options: AppendOptions = {},
): Promise<WorkflowEvent> {
  const [stored] = await appendEvents(deps, workflowId, [event], options);
  if (!stored) throw new Error('append returned nothing');
  return stored;
}

type TransactOutcome =
  | { ok: true }
  | { ok: false; replayed: WorkflowEvent[]; raced: boolean; head?: WorkflowView };

async function transact(
  deps: EventLogDeps,
  workflowId: string,
  expectedSeq: number,
  items: readonly WorkflowEvent[],
  view: WorkflowView,
  at: string,
): Promise<TransactOutcome> {
  const expires = deps.expiresAt !== undefined ? { expires_at: deps.expiresAt } : {};
  const transactItems: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
  for (const item of items) {
    transactItems.push(
      {
        Put: {
          TableName: deps.tableName,
          Item: { ...item, ...expires },
          ConditionExpression: 'attribute_not_exists(seq)',
        },
      },
      {
        Put: {
          TableName: deps.stateTable,
          Item: { ...markerKey(workflowId, item.event_id), seq: item.seq, at: item.at, ...expires },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    );
  }
  transactItems.push({
    Update: {
      TableName: deps.stateTable,
      Key: headKey(workflowId),
      UpdateExpression: 'SET #view = :view, last_seq = :seq, updated_at = :at, workflow_id = :id',
      ConditionExpression:
        expectedSeq === 0 ? 'attribute_not_exists(last_seq) OR last_seq = :expected' : 'last_seq = :expected',
      // A lost race returns the head that won it: the retry starts from it without a read.
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      ExpressionAttributeNames: { '#view': 'view' },
      ExpressionAttributeValues: {
        ':view': view,
        ':seq': view.last_seq,
        ':at': at,
        ':id': workflowId,
        ':expected': expectedSeq,
      },
    },
  });
  try {
    await deps.client.send(new TransactWriteCommand({ TransactItems: transactItems }));
    return { ok: true };
  } catch (error) {
    if (!isTransactionCanceled(error)) throw error;
    const reasons = cancellationReasons(error);
    const replayed: WorkflowEvent[] = [];
    let raced = false;
    items.forEach((item, i) => {
      const eventReason = reasons[2 * i];
      const markerReason = reasons[2 * i + 1];
      const marker = markerReason?.Code === 'ConditionalCheckFailed' ? markerReason.Item : undefined;
      if (marker) replayed.push(storedEvent(workflowId, item, marker));
      else if (eventReason?.Code && eventReason.Code !== 'None') raced = true;
      if (markerReason?.Code === 'TransactionConflict') raced = true;
    });
    const headReason = reasons[2 * items.length];
    if (headReason?.Code && headReason.Code !== 'None') raced = true;
    if (reasons.length === 0) raced = true;
    const head =
      headReason?.Code === 'ConditionalCheckFailed' && headReason.Item
        ? workflowViewSchema.safeParse(headReason.Item.view).data
        : undefined;
    return { ok: false, replayed, raced, ...(head ? { head } : {}) };
  }
}

/**
 * An event that was stored earlier: the seq and time of its marker, the rest as supplied (event ids
 * are deterministic: the same id is the same event).
 */
function storedEvent(
  workflowId: string,
  event: NewWorkflowEvent,
  marker: Record<string, unknown>,
): WorkflowEvent {
  return { ...event, workflow_id: workflowId, seq: Number(marker.seq), at: String(marker.at) };
}

/** The events among `events` that the log already holds (read from their markers). */
async function readStoredMarkers(
  deps: EventLogDeps,
  workflowId: string,
  events: readonly NewWorkflowEvent[],
): Promise<WorkflowEvent[]> {
  const found: WorkflowEvent[] = [];
  for (const event of events) {
    const { Item } = await deps.client.send(
      new GetCommand({
        TableName: deps.stateTable,
        Key: markerKey(workflowId, event.event_id),
        ConsistentRead: true,
      }),
    );
    if (Item) found.push(storedEvent(workflowId, event, Item));
  }
  return found;
}

interface CancellationReason {
  readonly Code?: string;
  readonly Item?: Record<string, unknown>;
}

function isTransactionCanceled(error: unknown): boolean {
  return error instanceof Error && error.name === 'TransactionCanceledException';
}

/**
 * The cancellation reasons of a failed transaction, their items (ReturnValuesOnConditionCheckFailure)
 * in plain values: DynamoDB sends them in its wire format, which the document client does not
 * convert in errors (a fake client may already send plain ones).
 */
function cancellationReasons(error: unknown): CancellationReason[] {
  if (typeof error !== 'object' || error === null || !('CancellationReasons' in error)) return [];
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  if (!Array.isArray(reasons)) return [];
  return (reasons as CancellationReason[]).map((reason) =>
    reason.Item && isWire(reason.Item)
      ? { ...reason, Item: unmarshall(reason.Item as Record<string, AttributeValue>) }
      : reason,
  );
}

const isWire = (item: Record<string, unknown>) =>
  Object.values(item).every((v) => typeof v === 'object' && v !== null && Object.keys(v).length === 1);

/** True for DynamoDB's failed-condition error, whichever copy of the SDK threw it. */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write: true when it wrote, false when its condition failed; other errors throw. */
export async function writeIfCondition(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionalCheckFailure(error)) return false;
    throw error;
  }
}
