import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CacheRequest,
  cacheEntryKey,
  confirmPlan,
  lookupPlan,
  type PlanCacheDeps,
  storePlan,
} from '#adapters/cache-store.ts';
import { planGoalOffline } from '#domain/offline-planner.ts';
import type { Plan } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';
import { cacheDeps, startCacheDynamo } from './cache-fixtures.ts';

let store: Awaited<ReturnType<typeof startCacheDynamo>>;
let users = 0;
const newUser = () => `user-${++users}`;
let workflows = 0;

beforeAll(async () => {
  store = await startCacheDynamo();
});
afterAll(async () => store.stop());

/** What the planner task does on a miss (plan, store), and the finalize task on completion (confirm). */
async function planAndComplete(deps: PlanCacheDeps, request: CacheRequest, plan?: Plan) {
  const workflowId = `wf_test${String(++workflows).padStart(8, '0')}`;
  const stored = await storePlan(deps, {
    ...request,
    plan: plan ?? planGoalOffline(request.goal, request.context),
    workflow_id: workflowId,
  });
  await confirmPlan(deps, cacheEntryKey(deps, request), workflowId);
  return stored;
}

const ask = (user_id: string, goal: string, context: Record<string, unknown> = {}) => ({
  user_id,
  goal,
  context,
});

const delta = (before: Record<string, number>, name: string) =>
  (store.requests[name] ?? 0) - (before[name] ?? 0);

describe('plan cache store (against DynamoDB Local)', () => {
  it('serves an exact repeat (other case, spacing, punctuation) only once the workflow completed', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    const goal = ask(alice, 'Book a flight to Lisbon');
    await storePlan(deps, { ...goal, plan: planGoalOffline(goal.goal, {}), workflow_id: 'wf_pending0001' });
    expect(await lookupPlan(deps, ask(alice, 'book a flight to LISBON!'))).toMatchObject({ hit: false });
    expect(await confirmPlan(deps, cacheEntryKey(deps, goal), 'wf_another00001')).toBe(false);
    expect(await confirmPlan(deps, cacheEntryKey(deps, goal), 'wf_pending0001')).toBe(true);
    const hit = await lookupPlan(deps, ask(alice, '  book a flight to LISBON! '));
    expect(hit).toMatchObject({ hit: true, match: 'exact', similarity: 1 });
    if (hit.hit) expect(hit.plan).toEqual(planGoalOffline('Book a flight to Lisbon', {}));
  });

  it('serves a paraphrase of a completed goal, re-bound to its values', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    await planAndComplete(deps, ask(alice, 'show me flights from boston to san francisco'));
    const para = await lookupPlan(deps, ask(alice, 'i want to fly from boston to san francisco'));
    expect(para).toMatchObject({ hit: true, match: 'template', rebound: [] });
    const other = await lookupPlan(deps, ask(alice, 'show me the flights from denver to pittsburgh'));
    expect(other).toMatchObject({
      hit: true,
      rebound: [
        { slot: 'from.city', from: 'BOS', to: 'DEN' },
        { slot: 'to.city', from: 'SFO', to: 'PIT' },
      ],
    });
    if (other.hit)
      expect(other.plan).toEqual(planGoalOffline('show me the flights from denver to pittsburgh', {}));
  });

  it('caches non-travel plans the same way (http_request, llm_generate)', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    const plan = (url: string): Plan => ({
      steps: [
        { id: 'fetch', tool: 'http_request', input: { method: 'GET', url }, depends_on: [] },
        {
          id: 'summarize',
          tool: 'llm_generate',
          input: { prompt: 'Summarize the page.', from: { page: { $from: 'fetch', path: 'body' } } },
          depends_on: ['fetch'],
        },
      ],
    });
    await planAndComplete(
      deps,
      ask(alice, 'Fetch https://example.com and summarize it'),
      plan('https://example.com'),
    );
    expect(await lookupPlan(deps, ask(alice, 'fetch https://example.com and summarize it.'))).toMatchObject({
      hit: true,
      match: 'exact',
    });
    const rebound = await lookupPlan(deps, ask(alice, 'Fetch https://example.org/a and summarize it'));
    expect(rebound).toMatchObject({ hit: true, match: 'template' });
    if (rebound.hit) expect(rebound.plan).toEqual(plan('https://example.org/a'));
  });

  it("never serves one user's entry to another user (scope = user)", async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    await planAndComplete(deps, ask(alice, 'Book a flight to Oslo'));
    expect(await lookupPlan(deps, ask(newUser(), 'Book a flight to Oslo'))).toMatchObject({ hit: false });
  });

  it('shares entries between users when CACHE_SCOPE is global', async () => {
    const deps = cacheDeps(store, { config: { scope: 'global' } });
    await planAndComplete(deps, ask(newUser(), 'Book a flight to Helsinki'));
    expect(await lookupPlan(deps, ask(newUser(), 'Book a flight to Helsinki'))).toMatchObject({ hit: true });
  });

  it('misses when the context differs (a home city changes the plan)', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    await planAndComplete(deps, ask(alice, 'Book a flight to Madrid', { home_city: 'Paris' }));
    expect(
      await lookupPlan(deps, ask(alice, 'Book a flight to Madrid', { home_city: 'Rome' })),
    ).toMatchObject({
      hit: false,
    });
    expect(
      await lookupPlan(deps, ask(alice, 'Book a flight to Madrid', { home_city: 'Paris' })),
    ).toMatchObject({
      hit: true,
    });
  });

  it('treats entries whose TTL passed as absent and replaces them', async () => {
    const alice = newUser();
    const then = new Date('2026-01-01T00:00:00Z');
    const old = cacheDeps(store, { now: () => then, config: { ttlDays: 1 } });
    await planAndComplete(old, ask(alice, 'Book a flight to Vienna'));
    const later = cacheDeps(store, { now: () => new Date('2026-01-03T00:00:00Z') });
    expect(await lookupPlan(later, ask(alice, 'Book a flight to Vienna'))).toMatchObject({ hit: false });
    expect(await planAndComplete(later, ask(alice, 'Book a flight to Vienna'))).toMatchObject({
      stored: true,
    });
    expect(await lookupPlan(later, ask(alice, 'Book a flight to Vienna'))).toMatchObject({ hit: true });
  });

  it('caps the entries of a scope, deleting the oldest', async () => {
    const deps = cacheDeps(store, { config: { maxEntriesPerScope: 2 } });
    const alice = newUser();
    await planAndComplete(deps, ask(alice, 'Book a flight to Paris'));
    await planAndComplete(deps, ask(alice, 'Book a hotel in Rome'));
    expect(await planAndComplete(deps, ask(alice, 'Book a flight from Berlin to Madrid'))).toMatchObject({
      stored: true,
      evicted: 1,
    });
    expect(await lookupPlan(deps, ask(alice, 'Book a flight to Paris'))).toMatchObject({ hit: false });
    expect(await lookupPlan(deps, ask(alice, 'Book a hotel in Rome'))).toMatchObject({ hit: true });
  });

  it('costs one BatchGetItem of two items on a miss and writes nothing; two on a template hit', async () => {
    const deps = cacheDeps(store);
    const alice = newUser();
    let before = { ...store.requests };
    await lookupPlan(deps, ask(alice, 'Book a flight from Berlin to Seoul'));
    expect(delta(before, 'BatchGetItemCommand')).toBe(1);
    for (const write of ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand'])
      expect(delta(before, write)).toBe(0);
    await planAndComplete(deps, ask(alice, 'Book a flight from Berlin to Seoul'));
    before = { ...store.requests };
    expect(await lookupPlan(deps, ask(alice, 'Book a flight from Berlin to Tokyo'))).toMatchObject({
      hit: true,
    });
    expect(delta(before, 'BatchGetItemCommand')).toBe(2);
    for (const write of ['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand'])
      expect(delta(before, write)).toBe(0);
  });

  it('misses when the wordings are less similar than CACHE_MIN_SIMILARITY', async () => {
    const alice = newUser();
    await planAndComplete(cacheDeps(store), ask(alice, 'show me flights from boston to denver'));
    const strict = cacheDeps(store, { config: { minSimilarity: 1.01 } });
    expect(await lookupPlan(strict, ask(alice, 'flights from boston to dallas'))).toMatchObject({
      hit: false,
      reason: expect.stringContaining('below similarity'),
    });
  });

  it('keys and items hold digests only: no user id or goal text in keys', async () => {
    const alice = `alice@example.com-${newUser()}`;
    const deps = cacheDeps(store);
    await planAndComplete(deps, ask(alice, 'Book a flight to Cairo'));
    const { Items } = await store.client.send(new ScanCommand({ TableName: store.tableName }));
    expect(JSON.stringify(Items)).not.toContain('alice@example.com');
    expect(JSON.stringify(Items?.map((i) => [i.pk, i.sk]))).not.toMatch(/cairo/i);
  });
});

describe('planCacheDeps', () => {
  it('reads CACHE_* and is off without a table or with CACHE_ENABLED=false', async () => {
    const { envField, envSchema, PLAN_CACHE_ENV, parseEnv } = await import('#middleware/env.ts');
    const { planCacheDeps } = await import('#middleware/deps.ts');
    const schema = z.extend(envSchema(...PLAN_CACHE_ENV), {
      CACHE_TABLE: z.optional(envField('CACHE_TABLE')),
    });
    const readEnv = (vars: Record<string, string>) => parseEnv(schema, vars);
    const base = cacheDeps(store);
    const parts = { tools: base.tools };
    expect(planCacheDeps(readEnv({}), parts)).toBeUndefined();
    expect(planCacheDeps(readEnv({ CACHE_TABLE: 't', CACHE_ENABLED: 'false' }), parts)).toBeUndefined();
    const deps = planCacheDeps(
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
      config: { scope: 'global', maxEntriesPerScope: 7, minSimilarity: 0.5, ttlDays: 30 },
    });
    expect(readEnv({}).CACHE_EMBEDDING_DIMENSIONS).toBe(256);
    expect(() => readEnv({ CACHE_EMBEDDING_DIMENSIONS: '300' })).toThrow();
  });
});
