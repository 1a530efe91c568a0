/**
 * Per-user token bucket, as pure math. The bucket holds at most `capacity` tokens (the burst) and
 * refills continuously at `refillPerSecond` (perMinute / 60); a request takes one token. The stored
 * state is (tokens, updatedAtMs): refill is computed lazily on the next request, so an idle bucket
 * costs nothing and a missing bucket is a full one.
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

/** The bucket at `nowMs`, refilled since its last update (a clock that went backwards adds nothing). */
export function refill(state: BucketState | undefined, policy: RateLimitPolicy, nowMs: number): BucketState {
  if (!state) return { tokens: policy.capacity, updatedAtMs: nowMs };
  const elapsedSeconds = Math.max(0, nowMs - state.updatedAtMs) / 1000;
  const tokens = Math.min(
    policy.capacity,
    Math.max(0, state.tokens) + elapsedSeconds * policy.refillPerSecond,
  );
  return { tokens, updatedAtMs: Math.max(nowMs, state.updatedAtMs) };
}

/** Tries to take `cost` tokens (default 1) at `nowMs`. */
export function takeToken(
  state: BucketState | undefined,
  policy: RateLimitPolicy,
  nowMs: number,
  cost = 1,
): RateDecision {
  const current = refill(state, policy, nowMs);
  if (current.tokens >= cost) {
    return { allowed: true, retryAfterSeconds: 0, state: { ...current, tokens: current.tokens - cost } };
  }
  const missing = cost - current.tokens;
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil(missing / policy.refillPerSecond)),
    state: current,
  };
}

/** Seconds until an untouched bucket is full again: after that its stored item may vanish (TTL). */
export function secondsUntilFull(state: BucketState, policy: RateLimitPolicy): number {
  return Math.ceil((policy.capacity - state.tokens) / policy.refillPerSecond);
}
