/**
 * Per-user rate limit: the policy and the shape of a decision. A bucket holds at most `capacity`
 * tokens (the burst) and refills continuously at `refillPerSecond` (perMinute / 60); a request takes one
 * token. The decision itself is made in DynamoDB, as a GCRA (lambdas/adapters/rate-limit-store.ts).
 */

export interface RateLimitPolicy {
  /** Maximum tokens: how many requests may arrive at once. */
  readonly capacity: number;
  /** Tokens added per second. */
  readonly refillPerSecond: number;
}

export interface BucketState {
  /** Tokens left at `updatedAtMs` (fractional). */
  readonly tokens: number;
  readonly updatedAtMs: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Whole seconds until a request would be allowed (0 when allowed); the `Retry-After` value. */
  readonly retryAfterSeconds: number;
  /** The bucket after this request (unchanged except for the refill when denied). */
  readonly state: BucketState;
}

/** The policy for "perMinute requests a minute, bursts of burst". */
export function policyFromLimits(perMinute: number, burst: number): RateLimitPolicy {
  if (!(perMinute > 0) || !(burst >= 1)) throw new RangeError('rate limits must be positive');
  return { capacity: burst, refillPerSecond: perMinute / 60 };
}
