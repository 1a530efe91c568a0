import { DeleteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { workflowIdSchema, workflowInputSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';
import { writeIfCondition } from './event-log.ts';
import { putUnlessLive } from './put-unless-live.ts';

/**
 * The workflow record (STATE_TABLE, pk `WF#<id>`, sk `META`): owner, idempotency fingerprint and the
 * exact execution input, written once by the producer and read by status/events for ownership.
 * Expired items count as absent on read and may be overwritten (TTL deletion is lazy in DynamoDB and
 * does not happen at all in dynalite).
 */
export const workflowRecordSchema = z.object({
  workflow_id: workflowIdSchema,
  user_id: z.string().check(z.minLength(1)),
  /** sha256 of the canonical JSON of the redacted {goal, context}. */
  fingerprint: z.string().check(z.minLength(1)),
  created_at: z.string(),
  /** The execution input, stored so that a repeated request starts a byte-identical execution. */
  input: workflowInputSchema,
  /** Seconds since the epoch (DynamoDB TTL). */
  expires_at: z.number().check(z.int()),
});
export type WorkflowRecord = z.infer<typeof workflowRecordSchema>;

export interface WorkflowStoreDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

const keyOf = (workflowId: string) => ({ pk: `WF#${workflowId}`, sk: 'META' });
const nowSeconds = (deps: WorkflowStoreDeps): number =>
  Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);

/** Reads a record, strongly consistent; undefined when missing, expired or not a record. */
export async function getWorkflowRecord(
  deps: WorkflowStoreDeps,
  workflowId: string,
): Promise<WorkflowRecord | undefined> {
  const { Item } = await deps.client.send(
    new GetCommand({ TableName: deps.tableName, Key: keyOf(workflowId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const parsed = workflowRecordSchema.safeParse(Item);
  if (!parsed.success || parsed.data.expires_at <= nowSeconds(deps)) return undefined;
  return parsed.data;
}

/** The record if it exists and belongs to `userId`; undefined otherwise (callers answer one 404). */
export async function getOwnedWorkflowRecord(
  deps: WorkflowStoreDeps,
  workflowId: string,
  userId: string,
): Promise<WorkflowRecord | undefined> {
  const record = await getWorkflowRecord(deps, workflowId);
  return record?.user_id === userId ? record : undefined;
}

export type CreateResult =
  | { readonly created: true; readonly record: WorkflowRecord }
  | { readonly created: false; readonly record: WorkflowRecord };

const MAX_CREATE_ATTEMPTS = 3;

/**
 * Creates the record unless a live one exists (conditional put); returns the existing one otherwise.
 * If the existing record vanishes between the failed put and the read (a concurrent clean-up), tries
 * again.
 */
export async function createWorkflowRecord(
  deps: WorkflowStoreDeps,
  record: WorkflowRecord,
): Promise<CreateResult> {
  const stored = await putUnlessLive({
    client: deps.client,
    tableName: deps.tableName,
    item: { ...keyOf(record.workflow_id), ...record },
    keyAttribute: 'pk',
    now: deps.now?.() ?? new Date(),
    value: record,
    readExisting: () => getWorkflowRecord(deps, record.workflow_id),
    attempts: MAX_CREATE_ATTEMPTS,
  });
  return stored.created ? { created: true, record } : { created: false, record: stored.value };
}

/**
 * Deletes a record, only if it is still the one identified by `createdAt` (never someone else's
 * newer record with the same id).
 */
export async function deleteWorkflowRecord(
  deps: WorkflowStoreDeps,
  workflowId: string,
  createdAt: string,
): Promise<void> {
  await writeIfCondition(() =>
    deps.client.send(
      new DeleteCommand({
        TableName: deps.tableName,
        Key: keyOf(workflowId),
        ConditionExpression: 'created_at = :created',
        ExpressionAttributeValues: { ':created': createdAt },
      }),
    ),
  );
}
