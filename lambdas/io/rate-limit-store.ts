import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { type RateDecision, type RateLimitPolicy, secondsUntilFull, takeToken } from '#core/rate-limit.ts';
import { TransientError } from '#shared/errors.ts';
import { isConditionalCheckFailure } from './event-log.ts';

/**
 * Per-user token buckets in STATE_TABLE (pk `RATE#<user>`, sk `BUCKET`).
 *
 * Read (strongly consistent) → pure token-bucket math → conditional write on the `version` read, so
 * two concurrent requests cannot both spend the same token: the loser's condition fails and it reads
 * again. The item expires once the bucket would be full again, so idle users leave nothing behind
 * (an expired item reads as a full bucket; its version still guards the write).
 */
export interface RateLimitStoreDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
  /** Waits between conflicting attempts (tests pass a no-op). */
  readonly sleep?: (ms: number) => Promise<void>;
}

const bucketItemSchema = z.object({
  tokens: z.number(),
  updated_at_ms: z.number(),
  version: z.number().int(),
  expires_at: z.number().optional(),
});

const MAX_ATTEMPTS = 8;
/** Keep the item a little longer than it takes to refill, so clock skew never resurrects a burst. */
const TTL_MARGIN_SECONDS = 60;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Takes one token from the user's bucket. Throws TransientError if contention never settles. */
export async function consumeToken(
  deps: RateLimitStoreDeps,
  userId: string,
  policy: RateLimitPolicy,
): Promise<RateDecision> {
  const key = { pk: `RATE#${userId}`, sk: 'BUCKET' };
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const nowMs = (deps.now?.() ?? new Date()).getTime();
    const { Item } = await deps.client.send(
      new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }),
    );
    const stored = Item ? bucketItemSchema.safeParse(Item).data : undefined;
    const live =
      stored && (stored.expires_at === undefined || stored.expires_at * 1000 > nowMs) ? stored : undefined;
    const decision = takeToken(
      live ? { tokens: live.tokens, updatedAtMs: live.updated_at_ms } : undefined,
      policy,
      nowMs,
    );
    // A denied request changes nothing worth writing: the refill is recomputed on the next read.
    if (!decision.allowed) return decision;
    try {
      await deps.client.send(
        new PutCommand({
          TableName: deps.tableName,
          Item: {
            ...key,
            tokens: decision.state.tokens,
            updated_at_ms: decision.state.updatedAtMs,
            version: (stored?.version ?? 0) + 1,
            expires_at:
              Math.ceil(nowMs / 1000) + secondsUntilFull(decision.state, policy) + TTL_MARGIN_SECONDS,
          },
          // Optimistic concurrency: the write only lands on the exact bucket that was read.
          ...(stored
            ? {
                ConditionExpression: 'version = :version',
                ExpressionAttributeValues: { ':version': stored.version },
              }
            : { ConditionExpression: Item ? 'attribute_not_exists(version)' : 'attribute_not_exists(pk)' }),
        }),
      );
      return decision;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      await (deps.sleep ?? defaultSleep)(Math.floor(Math.random() * 10 * attempt));
    }
  }
  throw new TransientError('rate-limit bucket under contention');
}
