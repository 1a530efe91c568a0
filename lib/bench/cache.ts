/**
 * Benchmark of the semantic plan cache (`npm run bench:cache`, bin/bench-cache.ts wires it), on the shipped workload
 * lib/bench/cache-workload.json, against DynamoDB Local.
 *
 *   1. repeated intents: per intent its canonical goal, paraphrases and re-binds (user alice);
 *   2. near misses: other city/direction/verb/date/nights, added or removed requests (alice, warm cache);
 *   3. isolation: another user (bob) sends every canonical goal: all must miss;
 *   4. scale: the same lookups again with 10k entries of other users in the table, and with the
 *      looking-up user's own scope holding 0, 100 and 500 entries (the cap): the index a lookup reads.
 *
 * A hit is FALSE when the served plan differs from the offline planner's plan for the goal's `expect`
 * (an independent expected plan: the planner's for the wording the workload says the goal means,
 * modulo step ids, descriptions and city aliases: "NYC" = "New York"), or when `expect` is null.
 * Every planned goal is taken to have completed: its entry is confirmed, as the finalize task does.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  type CacheLookup,
  cacheEntryKey,
  confirmPlan,
  lookupPlan,
  type PlanCacheDeps,
  storePlan,
} from '../../lambdas/adapters/cache-store.ts';
import { shippedWordVectors } from '../../lambdas/adapters/embedders/word-vectors.ts';
import { createOfflineEmbedder, similarity } from '../../lambdas/domain/cache/embedder.ts';
import { findCity } from '../../lambdas/domain/catalog.ts';
import { estimateTokens } from '../../lambdas/domain/llm/provider.ts';
import { planGoalOffline } from '../../lambdas/domain/offline-planner.ts';
import type { Plan } from '../../lambdas/domain/schemas.ts';
import { defaultToolRegistry } from '../../lambdas/domain/tools/registry.ts';
import { ensureTables, startDynamo } from '../local/dynamo.ts';
import { cacheTableSpec } from '../specs.ts';
import workloadJson from './cache-workload.json' with { type: 'json' };
import { percentile } from './table.ts';

const workloadSchema = z.object({
  intents: z.array(
    z.object({
      id: z.string(),
      canonical: z.string(),
      paraphrases: z.array(z.string()),
      rebinds: z.array(z.object({ goal: z.string(), expect: z.string().nullable() })),
      near_misses: z.array(z.object({ goal: z.string(), kind: z.string(), expect: z.string().nullable() })),
    }),
  ),
});

/** List prices used for "dollars saved" — assumptions, stated in the output. */
const PRICES = {
  model: 'Anthropic Claude 3 Haiku on Amazon Bedrock (on demand, us-east-1)',
  inputPer1k: 0.00025,
  outputPer1k: 0.00125,
  embedding: 'Amazon Titan Text Embeddings V2',
  embeddingPer1k: 0.00002,
  dynamoReadPerMillion: 0.125,
  dynamoWritePerMillion: 0.625,
};
/** The planner prompt carries the tool catalogue besides the goal: a fixed overhead per call. */
const PROMPT_OVERHEAD_TOKENS = 1200;

interface Counters {
  requests: Record<string, number>;
  readUnits: number;
}

/** A plan reduced to what makes it right: tools, inputs (cities by code) and dependencies, ids renumbered. */
export function canonicalPlan(plan: unknown): string {
  const parsed = z
    .object({
      steps: z.array(
        z.object({
          id: z.string(),
          tool: z.string(),
          input: z.unknown(),
          depends_on: z.array(z.string()).default([]),
        }),
      ),
    })
    .parse(plan);
  const ids = new Map(parsed.steps.map((s, i) => [s.id, `s${i}`]));
  const norm = (value: unknown): unknown => {
    if (typeof value === 'string') return findCity(value)?.code ?? value;
    if (Array.isArray(value)) return value.map(norm);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== 'prompt')
          .map(([k, v]) => [k, k === '$from' && typeof v === 'string' ? (ids.get(v) ?? v) : norm(v)]),
      );
    }
    return value;
  };
  return JSON.stringify(
    parsed.steps.map((s) => ({
      tool: s.tool,
      input: norm(s.input),
      depends_on: s.depends_on.map((d) => ids.get(d)),
    })),
  );
}

function plannerPlan(goal: string): Plan | undefined {
  try {
    return planGoalOffline(goal, {});
  } catch {
    return undefined;
  }
}

/**
 * Runs the benchmark and prints its report; resolves to the exit code (1 when a hit served a wrong
 * plan or crossed users). `env`: CACHE_MIN_SIMILARITY, BENCH_VERBOSE.
 */
export async function runCacheBench(
  env: Readonly<Record<string, string | undefined>>,
  print: (text: string) => void = console.log,
): Promise<number> {
  const workload = workloadSchema.parse(workloadJson);
  const dynamo = await startDynamo({});
  // DynamoDB Local is a child JVM: stopped however the bench ends, or it outlives the command.
  try {
    const tableName = 'bench-cache';
    await ensureTables(dynamo.client, [{ name: tableName, spec: cacheTableSpec }]);
    const counters: Counters = { requests: {}, readUnits: 0 };
    const client = DynamoDBDocumentClient.from(dynamo.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = context.commandName ?? 'unknown';
        counters.requests[name] = (counters.requests[name] ?? 0) + 1;
        const out = await next(args);
        const consumed = (out.output as { ConsumedCapacity?: { CapacityUnits?: number }[] }).ConsumedCapacity;
        for (const c of consumed ?? []) counters.readUnits += c.CapacityUnits ?? 0;
        return out;
      },
      { step: 'initialize', name: 'benchCounter' },
    );
    const embedder = createOfflineEmbedder(shippedWordVectors());
    const deps: PlanCacheDeps = {
      client,
      tableName,
      embedder,
      tools: defaultToolRegistry(),
      config: {
        scope: 'user',
        ttlDays: 30,
        maxEntriesPerScope: 500,
        minSimilarity: Number(env.CACHE_MIN_SIMILARITY ?? 0.6),
      },
    };

    const latencies: number[] = [];
    const hitSimilarities: number[] = [];
    let falseHits = 0;
    const falseList: string[] = [];
    let tokensSavedIn = 0;
    let tokensSavedOut = 0;
    let embedTokens = 0;

    const judge = (goal: string, expect: string | null, result: CacheLookup): boolean => {
      if (!result.hit) return true;
      // the right plan is the planner's for `expect`, the wording the workload says the goal means
      const truth = expect === null ? undefined : plannerPlan(expect);
      const ok = truth !== undefined && canonicalPlan(truth) === canonicalPlan(result.plan);
      if (!ok) {
        falseHits++;
        falseList.push(`${goal} (expected ${expect ?? 'no plan'})`);
      }
      return ok;
    };
    const lookup = async (user: string, goal: string): Promise<CacheLookup> => {
      const started = performance.now();
      const result = await lookupPlan(deps, { user_id: user, goal, context: {} });
      latencies.push(performance.now() - started);
      // the goal is embedded only when some template fits its wording
      if (result.hit && result.match === 'template') embedTokens += estimateTokens(goal);
      if (result.hit) hitSimilarities.push(result.similarity);
      return result;
    };
    let workflows = 0;
    /** The planner task's store, then the finalize task's confirmation (the workflow completed). */
    const storeCompleted = async (user: string, goal: string, plan: Plan) => {
      const workflowId = `wf_bench${String(++workflows).padStart(8, '0')}`;
      const request = { user_id: user, goal, context: {} };
      const stored = await storePlan(deps, { ...request, plan, workflow_id: workflowId });
      if (stored.stored && stored.rebindable) embedTokens += estimateTokens(goal);
      await confirmPlan(deps, cacheEntryKey(deps, request), workflowId);
    };
    /** One goal as the planner task would run it: cache, else planner (+ store). */
    const run = async (user: string, goal: string, expect: string | null) => {
      const result = await lookup(user, goal);
      if (result.hit) {
        tokensSavedIn += PROMPT_OVERHEAD_TOKENS + estimateTokens(goal);
        tokensSavedOut += estimateTokens(JSON.stringify(result.plan));
        return { hit: true, correct: judge(goal, expect, result), planned: false, result };
      }
      const plan = plannerPlan(goal);
      if (plan) await storeCompleted(user, goal, plan);
      return { hit: false, correct: true, planned: true, result };
    };

    // warm up (module compilation, the vocabulary's first decode): not measured
    for (let i = 0; i < 20; i++)
      await lookupPlan(deps, { user_id: 'warmup', goal: 'Book a flight to Oslo', context: {} });

    // 1. repeated intents
    let repeated = 0;
    let repeatedHits = 0;
    const misses: string[] = [];
    for (const intent of workload.intents) {
      const goals = [
        { goal: intent.canonical, expect: intent.canonical as string | null },
        ...intent.paraphrases.map((goal) => ({ goal, expect: intent.canonical })),
        ...intent.rebinds,
      ];
      for (const [i, { goal, expect }] of goals.entries()) {
        const outcome = await run('alice', goal, expect);
        repeated++;
        if (outcome.hit) repeatedHits++;
        else if (i > 0 && !outcome.result.hit) misses.push(`${goal}: ${outcome.result.reason}`);
      }
    }
    const falseAfterRepeated = falseHits;

    // 2. near misses
    let near = 0;
    let nearHits = 0;
    let nearFalse = 0;
    const nearByKind = new Map<string, { n: number; hits: number; false: number }>();
    for (const intent of workload.intents) {
      for (const { goal, kind, expect } of intent.near_misses) {
        // lookups only: a near miss must never be served an entry of the repeated-intent phase that
        // is wrong for it (its own plans are not stored, so it cannot be served by a sibling near miss)
        const before = falseHits;
        const result = await lookup('alice', goal);
        if (result.hit) {
          tokensSavedIn += PROMPT_OVERHEAD_TOKENS + estimateTokens(goal);
          tokensSavedOut += estimateTokens(JSON.stringify(result.plan));
          judge(goal, expect === null ? null : expect, result);
        }
        near++;
        const row = nearByKind.get(kind) ?? { n: 0, hits: 0, false: 0 };
        row.n++;
        if (result.hit) {
          nearHits++;
          row.hits++;
        }
        if (falseHits > before) {
          nearFalse++;
          row.false++;
        }
        nearByKind.set(kind, row);
      }
    }

    // 3. isolation
    let isolationHits = 0;
    for (const intent of workload.intents) {
      const result = await lookup('bob', intent.canonical);
      if (result.hit) isolationHits++;
    }

    const workloadReadUnits = counters.readUnits;
    const workloadWrites =
      (counters.requests.PutItemCommand ?? 0) +
      (counters.requests.UpdateItemCommand ?? 0) +
      (counters.requests.DeleteItemCommand ?? 0);
    const workloadLatencies = [...latencies];

    // 4. scale: lookups read the goal's own entry and the user's index, never other users' keys; the
    // index grows with the user's entries (up to the cap), so that is what is grown here
    const replay = workload.intents.flatMap((i) => [
      i.canonical,
      ...i.paraphrases,
      ...i.near_misses.map((n) => n.goal),
    ]);
    const scale: {
      label: string;
      requests: number;
      units: number;
      p50: number;
      p99: number;
      hitRate: number;
    }[] = [];
    const measure = async (label: string, user: string) => {
      const times: number[] = [];
      let hits = 0;
      const unitsBefore = counters.readUnits;
      const before = counters.requests.BatchGetItemCommand ?? 0;
      for (const goal of replay) {
        const t0 = performance.now();
        const result = await lookupPlan(deps, { user_id: user, goal, context: {} });
        times.push(performance.now() - t0);
        if (result.hit) hits++;
      }
      scale.push({
        label,
        requests: ((counters.requests.BatchGetItemCommand ?? 0) - before) / replay.length,
        units: (counters.readUnits - unitsBefore) / replay.length,
        p50: percentile(times, 50),
        p99: percentile(times, 99),
        hitRate: hits / replay.length,
      });
    };
    // other users' entries: 10k raw items under other partitions (never read by alice's lookups)
    const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
    const seedBody = JSON.stringify(plannerPlan('Book a flight to Paris and a hotel there'));
    for (let seeded = 0; seeded < 10_000; seeded += 25) {
      let batch = Array.from({ length: 25 }, (_, k) => ({
        pk: `C#seed-user-${(seeded + k) % 997}`,
        sk: `G#${(seeded + k).toString(36).padStart(12, '0')}`,
        plan: seedBody,
        slots: [],
        words: [],
        workflow_id: 'wf_seed',
        confirmed: true,
        created_at: new Date().toISOString(),
      }));
      for (let attempt = 0; batch.length > 0 && attempt < 10; attempt++) {
        const out = await client.send(
          new BatchWriteCommand({
            RequestItems: { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) },
          }),
        );
        batch = (out.UnprocessedItems?.[tableName] ?? []).flatMap((r) =>
          r.PutRequest?.Item ? [r.PutRequest.Item as (typeof batch)[number]] : [],
        );
      }
    }
    await measure(`alice (${repeated} goals cached) + 10k entries of others`, 'alice');
    // the reading user's own scope at 0, 100 and 500 entries (500 = CACHE_MAX_ENTRIES_PER_SCOPE)
    let own = 0;
    for (const target of [0, 100, 500]) {
      for (; own < target; own++) {
        const goal = `Fetch https://site${own}.example.com/page and summarize it`;
        await storeCompleted('carol', goal, {
          steps: [
            {
              id: 'fetch',
              tool: 'http_request',
              input: { method: 'GET', url: `https://site${own}.example.com/page` },
              depends_on: [],
            },
          ],
        });
      }
      await measure(`carol, ${target} entries in her scope`, 'carol');
    }

    // the trap, measured: cosine of raw-goal embeddings (what a threshold-only cache compares)
    const raw = async (a: string, b: string) =>
      similarity(await embedder.embed(a), await embedder.embed(b)).toFixed(3);
    const trap = [
      ['Book a flight to NYC', 'Book a flight to Tokyo', 'different trip'],
      ['Book a flight to NYC', 'Book a flight from NYC to Paris', 'different trip'],
      ['Book a flight to NYC', 'Cancel my flight to NYC', 'different trip'],
      ['Book a flight to NYC', 'Please book me a flight to New York City', 'paraphrase'],
      ['Book a hotel in Paris', 'Find and reserve a hotel room in Paris', 'paraphrase'],
    ] as const;
    const trapRows: string[] = [];
    for (const [a, b, kind] of trap) {
      trapRows.push(`  ${(await raw(a, b)).padStart(6)}  ${kind.padEnd(14)} "${a}" vs "${b}"`);
    }

    const modelSaved =
      (tokensSavedIn / 1000) * PRICES.inputPer1k + (tokensSavedOut / 1000) * PRICES.outputPer1k;
    const embedCost = (embedTokens / 1000) * PRICES.embeddingPer1k;
    // on demand: the measured read units; a store writes the entry and the index and a completion
    // confirms (counted as 2 write units each, items ≤ 2 KB)
    const dynamoCost =
      (workloadReadUnits * PRICES.dynamoReadPerMillion) / 1e6 +
      (2 * workloadWrites * PRICES.dynamoWritePerMillion) / 1e6;
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const rows: [string, string][] = [
      [
        'workload',
        `${workload.intents.length} intents, ${repeated + near} goals (+${workload.intents.length} isolation lookups)`,
      ],
      ['repeated-intent goals', String(repeated)],
      ['  hits (planner calls avoided)', `${repeatedHits} = ${pct(repeatedHits / repeated)}`],
      ['  false hits', String(falseAfterRepeated)],
      ['near-miss goals', String(near)],
      ['  hits (correctly re-bound)', `${nearHits} = ${pct(nearHits / near)}`],
      ['  false hits', `${nearFalse} = ${pct(nearFalse / near)}`],
      ['overall hit rate', pct((repeatedHits + nearHits) / (repeated + near))],
      ['overall false-hit rate (of hits)', pct(falseHits / Math.max(1, repeatedHits + nearHits))],
      [
        'intent similarity of hits min / p5 / median',
        `${percentile(hitSimilarities, 0).toFixed(3)} / ${percentile(hitSimilarities, 5).toFixed(3)} / ${percentile(hitSimilarities, 50).toFixed(3)} (CACHE_MIN_SIMILARITY ${deps.config.minSimilarity})`,
      ],
      ["another user's identical goals served", `${isolationHits} of ${workload.intents.length}`],
      [
        'lookup latency p50 / p99 (workload)',
        `${percentile(workloadLatencies, 50).toFixed(2)} ms / ${percentile(workloadLatencies, 99).toFixed(2)} ms (load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs)`,
      ],
      [
        'planner calls',
        `${repeated + near - repeatedHits - nearHits} made, ${repeatedHits + nearHits} avoided (${pct((repeatedHits + nearHits) / (repeated + near))})`,
      ],
      [
        'dollars saved (workload)',
        `$${modelSaved.toFixed(5)} model − $${embedCost.toFixed(6)} embeddings − $${dynamoCost.toFixed(6)} DynamoDB = $${(modelSaved - embedCost - dynamoCost).toFixed(5)}`,
      ],
      [
        '  per 1M goals like these',
        `$${(((modelSaved - embedCost - dynamoCost) / (repeated + near)) * 1e6).toFixed(0)}`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    print('\nSemantic plan cache benchmark (offline embedder, DynamoDB Local)\n');
    for (const [k, v] of rows) print(`${k.padEnd(width)}  ${v}`);
    print('\nnear misses by kind        goals  hits  false');
    for (const [kind, r] of nearByKind) {
      print(
        `  ${kind.padEnd(24)} ${String(r.n).padStart(5)} ${String(r.hits).padStart(5)} ${String(r.false).padStart(6)}`,
      );
    }
    print(
      `\n${'lookups of the workload goals by'.padEnd(48)}  BatchGetItem/lookup  read units/lookup  p50 ms  p99 ms  hit rate`,
    );
    for (const s of scale) {
      print(
        `${s.label.padEnd(48)}  ${s.requests.toFixed(2).padStart(19)}  ${s.units.toFixed(2).padStart(17)}  ${s.p50.toFixed(2).padStart(6)}  ${s.p99.toFixed(2).padStart(6)}  ${pct(s.hitRate).padStart(8)}`,
      );
    }
    print(
      `\nPrices (assumptions, list prices): ${PRICES.model}: $${PRICES.inputPer1k}/1k input and $${PRICES.outputPer1k}/1k output tokens;` +
        ` ${PRICES.embedding}: $${PRICES.embeddingPer1k}/1k tokens; DynamoDB on demand: $${PRICES.dynamoReadPerMillion}/M reads, $${PRICES.dynamoWritePerMillion}/M writes.` +
        `\nTokens per planner call: ${PROMPT_OVERHEAD_TOKENS} prompt tokens (tool catalogue) + the goal in, the plan JSON out (4 characters a token).`,
    );
    print(
      '\nThe trap: cosine of whole-goal embeddings (offline embedder) — a threshold alone cannot separate these:',
    );
    for (const row of trapRows) print(row);
    if (falseList.length) print(`\nFALSE HITS:\n  ${falseList.join('\n  ')}`);
    if (env.BENCH_VERBOSE) {
      print(`\nrepeated-intent misses:\n  ${misses.join('\n  ')}`);
      print(JSON.stringify(counters.requests));
    }
    return falseHits > 0 || isolationHits > 0 ? 1 : 0;
  } finally {
    await dynamo.stop();
  }
}
