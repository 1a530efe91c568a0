import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { stepIdSchema } from '#domain/schemas.ts';
import { expiresAt, isExpired } from '#domain/ttl.ts';
import * as z from '#domain/zod.ts';
import { writeIfCondition } from './event-log.ts';
import type { StateTableDeps } from './plan-store.ts';

/*
 * The pending approval of a workflow (STATE_TABLE, pk `WF#<id>`, sk `APPROVAL`): the task token of
 * "Wait for approval" and what it waits for. A signal or a cancel claims it with a conditional update
 * (pending → approved | denied | cancelled, same token), so exactly one answer reaches the token and a
 * second signal finds nothing pending (409 not_waiting). A signal's decision is final once claimed:
 * until Step Functions has it (`delivered_at`), only a retry of the same decision may send it again.
 */

export const approvalStatuses = ['pending', 'approved', 'denied', 'cancelled'] as const;
export type ApprovalStatus = (typeof approvalStatuses)[number];

export const storedApprovalSchema = z.object({
  workflow_id: z.string(),
  token: z.string().check(z.minLength(1)),
  step_ids: z.array(stepIdSchema).check(z.minLength(1)),
  /** The schedule's `done` when the wait began: the signal computes the next schedule from it. */
  done: z.array(stepIdSchema),
  timeout_seconds: z.number().check(z.int(), z.positive()),
  status: z.enum(approvalStatuses),
  requested_at: z.string(),
  decided_at: z.optional(z.string()),
  /** When Step Functions accepted the decision (or its token was found closed on a retry). */
  delivered_at: z.optional(z.string()),
});
export type StoredApproval = z.infer<typeof storedApprovalSchema>;

/** Errors of SendTaskSuccess/SendTaskFailure meaning "no task waits for this token any more". */
export const CLOSED_TOKEN_ERRORS: ReadonlySet<string> = new Set([
  'TaskDoesNotExist',
  'TaskTimedOut',
  'InvalidToken',
]);

const key = (workflowId: string) => ({ pk: `WF#${workflowId}`, sk: 'APPROVAL' });

/** The workflow's approval record (pending or answered), or undefined. */
export async function getApproval(
  deps: StateTableDeps,
  workflowId: string,
): Promise<StoredApproval | undefined> {
  const { Item } = await deps.client.send(
    new GetCommand({ TableName: deps.tableName, Key: key(workflowId), ConsistentRead: true }),
  );
  if (!Item || isExpired(Item, deps.now?.() ?? new Date())) return undefined;
  const parsed = storedApprovalSchema.safeParse(Item);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Stores a pending approval. A later wait (a retried or re-run "Wait for approval") gets a new token
 * and replaces the record: only the newest token can be answered.
 */
export async function putPendingApproval(
  deps: StateTableDeps,
  approval: Omit<StoredApproval, 'status' | 'decided_at'>,
): Promise<StoredApproval> {
  const now = deps.now?.() ?? new Date();
  const record: StoredApproval = { ...approval, status: 'pending' };
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: { ...key(approval.workflow_id), ...record, expires_at: expiresAt(now, deps.ttlDays) },
    }),
  );
  return record;
}

/**
 * One conditional change of the approval record: applied only while it is in `from` with `token`.
 * True when it applied; false when the record moved on (or is missing).
 */
async function updateIf(
  deps: StateTableDeps,
  workflowId: string,
  token: string,
  from: ApprovalStatus,
  set: Record<string, unknown>,
): Promise<boolean> {
  const names = Object.keys(set);
  return writeIfCondition(() =>
    deps.client.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: key(workflowId),
        UpdateExpression: `SET ${names.map((_name, i) => `#s${i} = :s${i}`).join(', ')}`,
        ConditionExpression: '#status = :from AND #token = :token',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#token': 'token',
          ...Object.fromEntries(names.map((name, i) => [`#s${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':from': from,
          ':token': token,
          ...Object.fromEntries(names.map((name, i) => [`:s${i}`, set[name]])),
        },
      }),
    ),
  );
}

/**
 * Moves a pending approval to `to` if it is still pending with `token`. True when this call won;
 * false when there was nothing (or something else) to claim.
 */
export async function claimApproval(
  deps: StateTableDeps,
  workflowId: string,
  token: string,
  to: Exclude<ApprovalStatus, 'pending'>,
): Promise<boolean> {
  const now = deps.now?.() ?? new Date();
  return updateIf(deps, workflowId, token, 'pending', { status: to, decided_at: now.toISOString() });
}

/**
 * Records that Step Functions has the decision claimed with `token`: a repeat of the signal then
 * finds nothing waiting. No-op when the record moved on (a newer wait replaced it).
 */
export async function markApprovalDelivered(
  deps: StateTableDeps,
  workflowId: string,
  token: string,
  decision: Exclude<ApprovalStatus, 'pending'>,
): Promise<void> {
  const now = deps.now?.() ?? new Date();
  await updateIf(deps, workflowId, token, decision, { delivered_at: now.toISOString() });
}

/** Undoes a claim whose answer could not be delivered (the token is still waiting): pending again. */
export async function releaseApproval(
  deps: StateTableDeps,
  workflowId: string,
  token: string,
  from: Exclude<ApprovalStatus, 'pending'>,
): Promise<void> {
  await updateIf(deps, workflowId, token, from, { status: 'pending' });
}
