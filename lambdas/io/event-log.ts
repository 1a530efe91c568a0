import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type NewWorkflowEvent, type WorkflowEvent, workflowEventSchema } from '#shared/schemas.ts';

/**
 * The event log: one item per event, partition `workflow_id`, sort key `seq` (1..n, no gaps).
 *
 * Appends are exactly-once without transactions (dynalite has none, and none are needed): the
 * appender reads the log strongly consistently, returns the existing event if its deterministic
 * `event_id` is already there (a replay), and otherwise writes `seq = last + 1` with
 * `attribute_not_exists`. Any concurrent append makes that condition fail, so it re-reads and tries
 * again: no event is lost, duplicated or numbered twice.
 */
export interface EventLogDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Seconds since the epoch after which the event expires (audit retention). */
  readonly expiresAt?: number;
  readonly now?: () => Date;
}

const MAX_APPEND_ATTEMPTS = 50;

/** Reads the whole log of a workflow in order (strongly consistent). */
export async function readEvents(deps: EventLogDeps, workflowId: string): Promise<WorkflowEvent[]> {
  const events: WorkflowEvent[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.client.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: 'workflow_id = :id',
        ExpressionAttributeValues: { ':id': workflowId },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) events.push(workflowEventSchema.parse(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return events;
}

/** Reads one page of the log, starting after `afterSeq`. */
export async function readEventPage(
  deps: EventLogDeps,
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
  const events = (page.Items ?? []).map((item) => workflowEventSchema.parse(item));
  const last = events.at(-1);
  return page.LastEvaluatedKey && last ? { events, nextSeq: last.seq } : { events };
}

export interface AppendOptions {
  /**
   * Checked against the log exactly as it is when each new event is written (re-checked after every
   * concurrent append): throw to refuse the append. E.g. "only while no terminal event is logged",
   * which a plain read-then-append cannot guarantee when a cancel races the workflow's last step.
   * Replays of events already in the log are not checked: they write nothing.
   */
  readonly precondition?: (log: readonly WorkflowEvent[]) => void;
}

/**
 * Appends events in order, each exactly once. Returns the stored events (existing ones for replays).
 */
export async function appendEvents(
  deps: EventLogDeps,
  workflowId: string,
  newEvents: readonly NewWorkflowEvent[],
  options: AppendOptions = {},
): Promise<WorkflowEvent[]> {
  const stored: WorkflowEvent[] = [];
  let log = await readEvents(deps, workflowId);
  for (const event of newEvents) {
    for (let attempt = 1; ; attempt++) {
      const existing = log.find((e) => e.event_id === event.event_id);
      if (existing) {
        stored.push(existing);
        break;
      }
      // The put below is conditional on this exact log length, so the check holds when it succeeds.
      options.precondition?.(log);
      const item: WorkflowEvent = {
        workflow_id: workflowId,
        seq: (log.at(-1)?.seq ?? 0) + 1,
        event_id: event.event_id,
        type: event.type,
        at: (deps.now?.() ?? new Date()).toISOString(),
        data: event.data,
      };
      try {
        await deps.client.send(
          new PutCommand({
            TableName: deps.tableName,
            Item: deps.expiresAt ? { ...item, expires_at: deps.expiresAt } : item,
            ConditionExpression: 'attribute_not_exists(seq)',
          }),
        );
        log.push(item);
        stored.push(item);
        break;
      } catch (error) {
        if (!isConditionalCheckFailure(error) || attempt >= MAX_APPEND_ATTEMPTS) throw error;
        log = await readEvents(deps, workflowId);
      }
    }
  }
  return stored;
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

/** True for DynamoDB's failed-condition error, whichever copy of the SDK threw it. */
export function isConditionalCheckFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}
