import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeToken } from '#adapters/rate-limit-store.ts';
import { policyFromLimits, type RateLimitPolicy } from '#domain/rate-limit.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';

/*
 * The producer's per-user limit is the GCRA in lambdas/adapters/rate-limit-store.ts (one conditional
 * UpdateItem per decision): tested here against DynamoDB Local, which evaluates its condition and its
 * `tat_ms + :interval` arithmetic, with an injected clock (never sleeping).
 */

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo?.stop();
});

const policy = policyFromLimits(120, 30); // 2 tokens a second, bursts of 30
let users = 0;
/** A bucket of its own (a fresh user) on a clock the test moves. */
function bucket(p: RateLimitPolicy, startMs = Date.parse('2026-11-25T18:00:00.000Z')) {
  const user = `unit-${++users}`;
  let nowMs = startMs;
  const deps = () => ({ client: dynamo.client, tableName: dynamo.tables.state, now: () => new Date(nowMs) });
  return {
    take: () => consumeToken(deps(), user, p),
    advance: (ms: number) => {
      nowMs += ms;
    },
    elapsedMs: () => nowMs - startMs,
  };
}

describe('policyFromLimits', () => {
  it('is "perMinute a minute, bursts of burst"', () => {
    expect(policyFromLimits(120, 30)).toEqual({ capacity: 30, refillPerSecond: 2 });
  });

  it('rejects non-positive limits', () => {
    expect(() => policyFromLimits(0, 1)).toThrow(RangeError);
    expect(() => policyFromLimits(1, 0)).toThrow(RangeError);
  });
});

describe('the producer’s rate limit (GCRA in the state table)', () => {
  it('starts full: a burst of 30 passes, the 31st is refused with Retry-After 1', async () => {
    const b = bucket(policy);
    for (let i = 0; i < 30; i++) expect((await b.take()).allowed, `request ${i + 1}`).toBe(true);
    expect(await b.take()).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at perMinute / 60 tokens a second', async () => {
    const b = bucket(policy);
    for (let i = 0; i < 30; i++) await b.take();
    b.advance(499);
    expect((await b.take()).allowed).toBe(false);
    b.advance(1);
    expect((await b.take()).allowed).toBe(true);
    expect((await b.take()).allowed).toBe(false);
    b.advance(1_500); // three more tokens
    expect([(await b.take()).allowed, (await b.take()).allowed, (await b.take()).allowed]).toEqual([
      true,
      true,
      true,
    ]);
    expect((await b.take()).allowed).toBe(false);
  });

  it('says how long to wait, rounded up to whole seconds', async () => {
    const b = bucket(policyFromLimits(6, 1)); // one token every 10 s
    expect((await b.take()).allowed).toBe(true);
    expect(await b.take()).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
    b.advance(5_000);
    expect(await b.take()).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    b.advance(4_500);
    expect(await b.take()).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  // Found by the property below (perMinute 362, burst 4): the interval is not a whole number of ms, DynamoDB
  // adds it up in decimal, and the stored tat_ms read back into a double could equal the limit the
  // conditional write had refused: the store retried until it gave up (TransientError, a 503).
  it('refuses the request past the burst with 429 when the interval is not a whole number of ms', async () => {
    const b = bucket(policyFromLimits(362, 4));
    for (let i = 0; i < 4; i++) expect((await b.take()).allowed).toBe(true);
    expect(await b.take()).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
  });

  it('never refills past the burst, however long the bucket idles', async () => {
    const b = bucket(policy);
    await b.take();
    b.advance(3_600_000);
    let allowed = 0;
    for (let i = 0; i < 35; i++) if ((await b.take()).allowed) allowed++;
    expect(allowed).toBe(30);
  });

  it('allows at most burst + rate × elapsed requests over any run, and waiting Retry-After is enough', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 40 }),
        async (perMinute, burst, gaps) => {
          const p = policyFromLimits(perMinute, burst);
          const b = bucket(p);
          let allowed = 0;
          for (const gap of gaps) {
            b.advance(gap);
            const decision = await b.take();
            if (decision.allowed) {
              allowed++;
              expect(decision.retryAfterSeconds).toBe(0);
            } else {
              expect(decision.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            }
          }
          expect(allowed).toBeLessThanOrEqual(burst + (b.elapsedMs() / 1000) * p.refillPerSecond + 1e-9);
          // Spend the rest of the burst, then a refusal's Retry-After is honest.
          let refused = await b.take();
          while (refused.allowed) refused = await b.take();
          b.advance(refused.retryAfterSeconds * 1000);
          expect((await b.take()).allowed).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});
