import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planGoalOffline } from '#core/offline-planner.ts';
import { type CacheRequest, lookupPlan, type PlanCacheDeps, storePlan } from '#io/cache-store.ts';
import { cacheDeps, startCacheDynamo } from './cache-fixtures.ts';

let store: Awaited<ReturnType<typeof startCacheDynamo>>;
let users = 0;
const newUser = () => `user-${++users}`;

beforeAll(async () => {
  store = await startCacheDynamo();
});
afterAll(async () => store.stop());

/** What the planner task does on a miss: plan offline and store. */
async function plan(deps: PlanCacheDeps, request: CacheRequest) {
  const p = planGoalOffline(request.goal, request.context);
  return storePlan(deps, { ...request, plan: p });
}

const ask = (user_id: string, goal: string, context: Record<string, unknown> = {}) => ({
  user_id,
  goal,
  context,
});

describe('semantic plan cache (against DynamoDB Local)', () => {
  it('serves a paraphrase of an earlier goal of the same user: "Please book me a flight to New York City"', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    expect(await lookupPlan(deps, ask(alice, 'Book a flight to NYC'))).toMatchObject({ hit: false });
    expect(await plan(deps, ask(alice, 'Book a flight to NYC'))).toMatchObject({
      stored: true,
      match: 'template',
    });
    const hit = await lookupPlan(deps, ask(alice, 'Please book me a flight to New York City'));
    expect(hit).toMatchObject({ hit: true, match: 'template' });
    if (!hit.hit) return;
    expect(hit.similarity).toBeGreaterThanOrEqual(0.6);
    expect(hit.rebound).toEqual([]); // same slot values (NYC), only the wording changed
    expect(hit.plan).toEqual(planGoalOffline('Please book me a flight to New York City', {}));
  });

  it('serves "Book a flight to Tokyo" a plan re-bound to Tokyo, never the NYC plan unchanged', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    await plan(deps, ask(alice, 'Book a flight to NYC'));
    const hit = await lookupPlan(deps, ask(alice, 'Book a flight to Tokyo'));
    expect(hit).toMatchObject({ hit: true, rebound: [{ slot: 'r1.destination', from: 'NYC', to: 'TYO' }] });
    if (hit.hit) expect(hit.plan).toEqual(planGoalOffline('Book a flight to Tokyo', {}));
  });

  it('misses "Book a flight from NYC to Paris" after "Book a flight to NYC" (other intent)', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    await plan(deps, ask(alice, 'Book a flight to NYC'));
    expect(await lookupPlan(deps, ask(alice, 'Book a flight from NYC to Paris'))).toMatchObject({
      hit: false,
    });
  });

  it('serves "Find and reserve a hotel room in Paris" after "Book a hotel in Paris"', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    await plan(deps, ask(alice, 'Book a hotel in Paris'));
    const hit = await lookupPlan(deps, ask(alice, 'Find and reserve a hotel room in Paris'));
    expect(hit).toMatchObject({ hit: true });
    if (hit.hit) expect(hit.plan).toEqual(planGoalOffline('Book a hotel in Paris', {}));
  });

  it("never serves one user's entry to another user (scope = user)", async () => {
    const deps = cacheDeps(store);
    const [alice, bob] = [newUser(), newUser()];
    await plan(deps, ask(alice, 'Book a flight to Rome'));
    expect(await lookupPlan(deps, ask(alice, 'Book a flight to Rome'))).toMatchObject({ hit: true });
    expect(await lookupPlan(deps, ask(bob, 'Book a flight to Rome'))).toMatchObject({
      hit: false,
      reason: 'no entry',
    });
  });

  it('shares entries between users when CACHE_SCOPE is global', async () => {
    const deps = cacheDeps(store, { config: { scope: 'global' } });
    await plan(deps, ask(newUser(), 'Book a hotel in Oslo for 2 nights then a flight from Oslo to Rome'));
    const hit = await lookupPlan(
      deps,
      ask(newUser(), 'Book a hotel in Vienna for 3 nights then a flight from Vienna to Rome'),
    );
    expect(hit).toMatchObject({ hit: true });
  });

  it('treats entries whose TTL passed as absent (dynalite does not expire items) and replaces them', async () => {
    const alice = newUser();
    const t0 = new Date('2026-01-01T00:00:00Z');
    const later = new Date(t0.getTime() + 31 * 86_400_000);
    await plan(cacheDeps(store, { now: () => t0 }), ask(alice, 'Book a flight to Paris'));
    expect(
      await lookupPlan(cacheDeps(store, { now: () => t0 }), ask(alice, 'Book a flight to Paris')),
    ).toMatchObject({
      hit: true,
    });
    expect(
      await lookupPlan(cacheDeps(store, { now: () => later }), ask(alice, 'Book a flight to Paris')),
    ).toMatchObject({
      hit: false,
    });
    expect(
      await plan(cacheDeps(store, { now: () => later }), ask(alice, 'Book a flight to Paris')),
    ).toMatchObject({
      stored: true,
    });
  });

  it('caps the entries of a scope, evicting the oldest entry that was not hit since it was queued', async () => {
    const deps = cacheDeps(store, { config: { maxEntriesPerScope: 3 } });
    const alice = newUser();
    const goals = [
      'Book a flight to Paris',
      'Book a hotel in Paris',
      'Book a flight from Rome to Paris',
      'Book a flight to Paris with my approval',
      'Book a hotel in Rome for 2 nights',
    ];
    await plan(deps, ask(alice, goals[0] ?? ''));
    await plan(deps, ask(alice, goals[1] ?? ''));
    await plan(deps, ask(alice, goals[2] ?? ''));
    // the oldest entry is hit: it gets a second chance
    expect(await lookupPlan(deps, ask(alice, 'Book a flight to Oslo'))).toMatchObject({ hit: true });
    expect(await plan(deps, ask(alice, goals[3] ?? ''))).toMatchObject({ stored: true, evicted: 1 });
    expect(await lookupPlan(deps, ask(alice, goals[0] ?? ''))).toMatchObject({ hit: true });
    expect(await lookupPlan(deps, ask(alice, goals[1] ?? ''))).toMatchObject({ hit: false }); // evicted
    await plan(deps, ask(alice, goals[4] ?? ''));
    const live = await Promise.all(goals.map(async (g) => (await lookupPlan(deps, ask(alice, g))).hit));
    expect(live.filter(Boolean)).toHaveLength(3);
  });

  it('counts hits on the entry', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    await plan(deps, ask(alice, 'Book a flight to Lisbon'));
    await lookupPlan(deps, ask(alice, 'Book a flight to Lisbon'));
    await lookupPlan(deps, ask(alice, 'Book a flight to Madrid'));
    const first = await lookupPlan(deps, ask(alice, 'Book a flight to Lisbon'));
    expect(first.hit).toBe(true);
    const { Items } = await store.client.send(
      new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: store.tableName }),
    );
    const entry = Items?.find((i) => i.sk === 'T' && JSON.stringify(i.slots).includes('LIS'));
    expect(entry?.hits).toBe(3);
    expect(entry).not.toHaveProperty('goal');
  });

  it('reads one BatchGetItem per lookup and writes nothing on a miss', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    const before = { ...store.requests };
    await lookupPlan(deps, ask(alice, 'Book a flight to Seoul'));
    expect((store.requests.BatchGetItemCommand ?? 0) - (before.BatchGetItemCommand ?? 0)).toBe(1);
    expect((store.requests.UpdateItemCommand ?? 0) - (before.UpdateItemCommand ?? 0)).toBe(0);
    expect((store.requests.PutItemCommand ?? 0) - (before.PutItemCommand ?? 0)).toBe(0);
  });

  it('neither serves nor stores goals it has no frame for', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    expect(await lookupPlan(deps, ask(alice, 'Book a flight to Atlantis'))).toMatchObject({ hit: false });
    expect(
      await storePlan(deps, {
        ...ask(alice, 'Book a flight to Atlantis'),
        plan: planGoalOffline('Book a flight to Atlantis', {}),
      }),
    ).toMatchObject({ stored: false });
  });

  it('misses when the intent embeddings are less similar than CACHE_MIN_SIMILARITY', async () => {
    const alice = newUser();
    await plan(cacheDeps(store), ask(alice, 'Book a flight to Athens'));
    const strict = cacheDeps(store, { config: { minSimilarity: 0.99 } });
    expect(await lookupPlan(strict, ask(alice, 'Can you get me a plane ticket to Athens?'))).toMatchObject({
      hit: false,
      reason: 'intent similarity below threshold',
    });
  });

  it('keys hold digests only: no user id or goal text', async () => {
    const alice = `alice@example.com-${newUser()}`;
    const deps = cacheDeps(store);
    await plan(deps, ask(alice, 'Book a flight to Cairo'));
    const { Items } = await store.client.send(
      new (await import('@aws-sdk/lib-dynamodb')).ScanCommand({ TableName: store.tableName }),
    );
    expect(JSON.stringify(Items)).not.toContain('alice@example.com');
    const meta = Items?.find((i) => String(i.sk) === 'META');
    expect(meta).toBeDefined();
    const got = await store.client.send(
      new GetCommand({ TableName: store.tableName, Key: { pk: meta?.pk, sk: 'META' } }),
    );
    expect(got.Item?.tail).toBeGreaterThanOrEqual(1);
  });
});

describe('planCacheFromEnv', () => {
  it('reads CACHE_* and is off without a table or with CACHE_ENABLED=false', async () => {
    const { readEnv } = await import('#shared/config.ts');
    const { planCacheFromEnv } = await import('#io/cache-store.ts');
    const base = cacheDeps(store);
    const parts = { client: base.client, embedder: base.embedder, tools: base.tools, defaultOrigin: 'BER' };
    expect(planCacheFromEnv(readEnv({}), parts)).toBeUndefined();
    expect(planCacheFromEnv(readEnv({ CACHE_TABLE: 't', CACHE_ENABLED: 'false' }), parts)).toBeUndefined();
    const deps = planCacheFromEnv(
      readEnv({
        CACHE_TABLE: 't',
        CACHE_SCOPE: 'global',
        CACHE_MAX_ENTRIES_PER_SCOPE: '7',
        CACHE_MIN_SIMILARITY: '0.5',
      }),
      parts,
    );
    expect(deps).toMatchObject({
      tableName: 't',
      config: {
        scope: 'global',
        maxEntriesPerScope: 7,
        minSimilarity: 0.5,
        ttlDays: 30,
        defaultOrigin: 'BER',
      },
    });
    expect(readEnv({}).CACHE_EMBEDDING_DIMENSIONS).toBe(256);
    expect(() => readEnv({ CACHE_EMBEDDING_DIMENSIONS: '300' })).toThrow();
  });
});
