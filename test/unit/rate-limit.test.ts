import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BucketState, policyFromLimits, refill, secondsUntilFull, takeToken } from '#core/rate-limit.ts';

const policy = policyFromLimits(120, 30); // 2 tokens a second, bursts of 30

describe('token bucket', () => {
  it('starts full: a burst of 30 passes, the 31st is refused', () => {
    let state: BucketState | undefined;
    for (let i = 0; i < 30; i++) {
      const d = takeToken(state, policy, 1_000);
      expect(d.allowed).toBe(true);
      state = d.state;
    }
    const denied = takeToken(state, policy, 1_000);
    expect(denied).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at perMinute / 60 tokens a second', () => {
    const empty = { tokens: 0, updatedAtMs: 0 };
    expect(refill(empty, policy, 1_500).tokens).toBeCloseTo(3);
    expect(takeToken(empty, policy, 499).allowed).toBe(false);
    expect(takeToken(empty, policy, 500).allowed).toBe(true);
  });

  it('says how long to wait, rounded up to whole seconds', () => {
    const slow = policyFromLimits(6, 1); // one token every 10 s
    expect(takeToken({ tokens: 0, updatedAtMs: 0 }, slow, 0).retryAfterSeconds).toBe(10);
    expect(takeToken({ tokens: 0.5, updatedAtMs: 0 }, slow, 0).retryAfterSeconds).toBe(5);
  });

  it('never refills past capacity and ignores a clock that goes backwards', () => {
    expect(refill({ tokens: 29, updatedAtMs: 0 }, policy, 3_600_000).tokens).toBe(30);
    expect(refill({ tokens: 3, updatedAtMs: 10_000 }, policy, 5_000)).toEqual({
      tokens: 3,
      updatedAtMs: 10_000,
    });
  });

  it('rejects non-positive limits', () => {
    expect(() => policyFromLimits(0, 1)).toThrow(RangeError);
    expect(() => policyFromLimits(1, 0)).toThrow(RangeError);
  });

  it('computes when an untouched bucket is full again', () => {
    expect(secondsUntilFull({ tokens: 10, updatedAtMs: 0 }, policy)).toBe(10);
  });

  it('never holds more than capacity or less than zero tokens, whatever the request times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 120_000 }), { maxLength: 200 }),
        (perMinute, burst, gaps) => {
          const p = policyFromLimits(perMinute, burst);
          let state: BucketState | undefined;
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            const d = takeToken(state, p, now);
            state = d.state;
            expect(state.tokens).toBeGreaterThanOrEqual(0);
            expect(state.tokens).toBeLessThanOrEqual(burst);
            expect(d.allowed ? d.retryAfterSeconds === 0 : d.retryAfterSeconds >= 1).toBe(true);
          }
        },
      ),
    );
  });

  it('allows at most burst + rate × elapsed requests over any run', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }), (gaps) => {
        let state: BucketState | undefined;
        let now = 0;
        let allowed = 0;
        for (const gap of gaps) {
          now += gap;
          const d = takeToken(state, policy, now);
          state = d.state;
          if (d.allowed) allowed++;
        }
        expect(allowed).toBeLessThanOrEqual(policy.capacity + (now / 1000) * policy.refillPerSecond + 1e-9);
      }),
    );
  });

  it('a refused request waiting Retry-After seconds is then allowed', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.integer({ min: 1, max: 600 }),
        (tokens, perMinute) => {
          const p = policyFromLimits(perMinute, 5);
          const denied = takeToken({ tokens, updatedAtMs: 0 }, p, 0);
          expect(denied.allowed).toBe(false);
          expect(takeToken(denied.state, p, denied.retryAfterSeconds * 1000).allowed).toBe(true);
        },
      ),
    );
  });
});
