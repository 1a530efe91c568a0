import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '#domain/errors.ts';
import type { RateDecision, RateLimitPolicy } from '#domain/rate-limit.ts';
import * as z from '#domain/zod.ts';
import { isConditionalCheckFailure, writeIfCondition } from './event-log.ts';

/**
 * Per-user rate limits in STATE_TABLE (pk `RATE#<user>`, sk `BUCKET`), as a GCRA: the item holds the
 * bucket's "theoretical arrival time" `tat_ms`, the token bucket of `#domain/rate-limit.ts` in another
 * form (a full bucket is `tat_ms <= now`; each request pushes it one interval = 1 / rate later; the
 * burst is exhausted when `tat_ms` is `capacity` intervals ahead).
 *
 * Each decision is ONE conditional UpdateItem whose condition reads the current value, not a version:
 * concurrent requests are serialized by DynamoDB on the item and each one is accepted while the
 * condition holds, so N concurrent requests get exactly `capacity` acceptances and no retry storms.
 * Only a denial costs a second (strongly consistent) read, to compute an honest Retry-After.
 */
export interface RateLimitStoreDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
  /** Kept for callers; GCRA needs no backoff. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const bucketItemSchema = z.object({ tat_ms: z.number() });

/** A decision takes two writes at most, and the race between them can only repeat a few times. */
const MAX_ATTEMPTS = 5;
/** Far above a double's rounding of epoch milliseconds (~0.0002 ms), far below anything a client notices. */
const ROUNDING_MS = 0.01;
/** Keep the item a little longer than it takes to refill, so clock skew never resurrects a burst. */
const TTL_MARGIN_SECONDS = 60;

/** Takes one token from the user's bucket. Throws TransientError if the item never settles. */
export async function consumeToken(
  deps: RateLimitStoreDeps,
  userId: string,
  policy: RateLimitPolicy,
): Promise<RateDecision> {
  const key = { pk: `RATE#${userId}`, sk: 'BUCKET' };
  const intervalMs = 1000 / policy.refillPerSecond;
  const burstMs = policy.capacity * intervalMs;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const nowMs = (deps.now?.() ?? new Date()).getTime();
    // After this request the bucket is full again by now + burst at the latest: the TTL may take it then.
    const expiresAt = Math.ceil((nowMs + burstMs) / 1000) + TTL_MARGIN_SECONDS;
    const allowed = (tatMs: number): RateDecision => ({
      allowed: true,
      retryAfterSeconds: 0,
      state: { tokens: Math.max(0, (nowMs + burstMs - tatMs) / intervalMs), updatedAtMs: nowMs },
    });
    // A busy bucket with room: one interval later, if it stays within the burst. DynamoDB adds the
    // (often fractional) interval in decimal, the limit is a double: without the rounding allowance the
    // last request of a burst could be refused (362/min, burst 4 accepted 3).
    const limit = nowMs + burstMs - intervalMs + ROUNDING_MS;
    try {
      const out = await deps.client.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: key,
          UpdateExpression: 'SET tat_ms = tat_ms + :interval, expires_at = :expires',
          ConditionExpression: 'tat_ms >= :now AND tat_ms <= :limit',
          ExpressionAttributeValues: {
            ':interval': intervalMs,
            ':expires': expiresAt,
            ':now': nowMs,
            ':limit': limit,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return allowed(Number(out.Attributes?.tat_ms ?? nowMs + intervalMs));
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
    // An idle (full) bucket, or none: starts now.
    const started = await writeIfCondition(() =>
      deps.client.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: key,
          UpdateExpression: 'SET tat_ms = :next, expires_at = :expires',
          ConditionExpression: 'attribute_not_exists(tat_ms) OR tat_ms < :now',
          ExpressionAttributeValues: { ':next': nowMs + intervalMs, ':expires': expiresAt, ':now': nowMs },
        }),
      ),
    );
    if (started) return allowed(nowMs + intervalMs);
    // Neither: the burst is spent (or another request moved the item between the two writes).
    const { Item } = await deps.client.send(
      new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }),
    );
    const stored = bucketItemSchema.safeParse(Item);
    // `>=`, not `>`: a tat_ms the (decimal) condition found past the limit may read back as a double equal
    // to it; retrying would then never settle (TransientError, a 503, instead of a 429).
    if (stored.success && stored.data.tat_ms >= limit) {
      const waitMs = stored.data.tat_ms - limit;
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
        state: {
          tokens: Math.max(0, (nowMs + burstMs - stored.data.tat_ms) / intervalMs),
          updatedAtMs: nowMs,
        },
      };
    }
  }
  throw new TransientError('rate-limit bucket under contention');
}
