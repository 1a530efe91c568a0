import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from './event-log.ts';

/** Where and what {@link putUnlessLive} writes. */
export interface PutUnlessLive<T> {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The whole item, keys and `expires_at` included. */
  readonly item: Record<string, unknown>;
  /** A key attribute of the table (its absence means "no item"). */
  readonly keyAttribute: string;
  readonly now: Date;
  /** What the caller gets back when its item was written. */
  readonly value: T;
  /** Reads the item that won (undefined when it is absent or expired). */
  readonly readExisting: () => Promise<T | undefined>;
  /**
   * Tries again when the winner vanished between the failed put and the read (a concurrent
   * clean-up or expiry); after the last attempt the condition error is thrown. @default 1
   */
  readonly attempts?: number;
}

/**
 * First writer wins: puts the item unless a live one has its key — "live" meaning present and not
 * past its `expires_at`, since DynamoDB deletes expired items lazily and dynalite never does — and
 * otherwise returns the live one. The stores' exactly-once records (plans, step outputs, bookings,
 * workflow records) all rest on this.
 */
export async function putUnlessLive<T>(put: PutUnlessLive<T>): Promise<{ created: boolean; value: T }> {
  const attempts = put.attempts ?? 1;
  for (let attempt = 1; ; attempt++) {
    try {
      await put.client.send(
        new PutCommand({
          TableName: put.tableName,
          Item: put.item,
          // keyAttribute is one of the stores' key names (a constant), never user input.
          ConditionExpression: `attribute_not_exists(${put.keyAttribute}) OR expires_at <= :now`,
          ExpressionAttributeValues: { ':now': Math.floor(put.now.getTime() / 1000) },
        }),
      );
      return { created: true, value: put.value };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const existing = await put.readExisting();
      if (existing !== undefined) return { created: false, value: existing };
      if (attempt >= attempts) throw error;
    }
  }
}
