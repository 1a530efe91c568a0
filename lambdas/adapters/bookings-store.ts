import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Booking, type BookingsPort, bookingSchema } from '#domain/tools/types.ts';
import { expiresAt, isExpired } from '#domain/ttl.ts';
import * as z from '#domain/zod.ts';
import { writeIfCondition } from './event-log.ts';
import { putUnlessLive } from './put-unless-live.ts';

export interface BookingsTableDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Days until bookings expire (WORKFLOW_RECORD_TTL_DAYS). */
  readonly ttlDays: number;
  readonly now?: () => Date;
}

/**
 * The sandbox bookings table (pk workflow_id, sk step_id) behind the travel tools' BookingsPort:
 * conditional puts so that a replayed step never books twice, and an idempotent cancel.
 */
export function createBookingsStore(deps: BookingsTableDeps): BookingsPort {
  const now = () => deps.now?.() ?? new Date();

  const get = async (workflowId: string, stepId: string): Promise<Booking | undefined> => {
    const { Item } = await deps.client.send(
      new GetCommand({
        TableName: deps.tableName,
        Key: { workflow_id: workflowId, step_id: stepId },
        ConsistentRead: true,
      }),
    );
    if (!Item || isExpired(Item, now())) return undefined;
    return z.parse(bookingSchema, Item);
  };

  return {
    get,
    putIfAbsent: async (booking) => {
      const stored = await putUnlessLive({
        client: deps.client,
        tableName: deps.tableName,
        item: { ...booking, expires_at: expiresAt(now(), deps.ttlDays) },
        keyAttribute: 'step_id',
        now: now(),
        value: booking,
        readExisting: () => get(booking.workflow_id, booking.step_id),
      });
      return stored.value;
    },
    cancel: async (workflowId, stepId, at) => {
      const cancelled = await writeIfCondition(() =>
        deps.client.send(
          new UpdateCommand({
            TableName: deps.tableName,
            Key: { workflow_id: workflowId, step_id: stepId },
            UpdateExpression: 'SET #status = :cancelled, cancelled_at = :at',
            ConditionExpression: 'attribute_exists(step_id) AND #status = :booked',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':cancelled': 'cancelled', ':booked': 'booked', ':at': at },
          }),
        ),
      );
      if (cancelled) return 'cancelled';
      const existing = await get(workflowId, stepId);
      return existing ? 'already_cancelled' : 'absent';
    },
  };
}
