import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { dequantize, type Embedder, quantize, similarity } from '#core/cache/embedder.ts';
import { extractFrame, type Frame } from '#core/cache/frame.ts';
import { makeTemplate, type Rebinding, rebind } from '#core/cache/template.ts';
import { validatePlan } from '#core/plan-validation.ts';
import type { ToolRegistry } from '#core/tools/types.ts';
import { expiresAt, isExpired } from '#core/ttl.ts';
import type { Env } from '#shared/config.ts';
import type { Plan } from '#shared/schemas.ts';
import { isConditionalCheckFailure } from './event-log.ts';

/*
 * The semantic plan cache in DynamoDB (CACHE_TABLE: pk `pk` S, sk `sk` S, TTL `expires_at`).
 *
 *   entry    pk `E#<scope>#<signature>`  sk `T`            a re-bindable plan template
 *                                        sk `X#<slots>`    a plan for exactly these slot values
 *   counters pk `S#<scope>`              sk `META`         {head, tail}: the scope's entry queue
 *   queue    pk `S#<scope>`              sk `Q#<seq>`      {entry_pk, entry_sk}: insertion order
 *
 * (`<scope>`, `<signature>` and `<slots>` are SHA-256 digests: no user id or goal text in keys.)
 *
 * A lookup is ONE BatchGetItem of at most two items, whatever the number of entries — the key is
 * derived from the goal's frame, nothing is scanned. A hit adds one UpdateItem (the hit counter).
 * A store (after a planner call) writes the entry, appends it to the scope's queue and, over the cap,
 * evicts from the queue's head with a second chance for entries hit since they were queued (CLOCK,
 * an LRU approximation): a bounded number of single-item operations. Concurrent stores may overshoot
 * the cap by a few entries; the next store evicts them. dynalite has no TTL expiry: expired items are
 * treated as absent on read (DynamoDB deletes them itself, lazily).
 */

export interface PlanCacheConfig {
  /** `user`: entries never leave their user; `global`: shared by everyone (opt-in). */
  readonly scope: 'user' | 'global';
  readonly ttlDays: number;
  readonly maxEntriesPerScope: number;
  /** Minimum cosine between the intent embeddings of the goal and the cached entry. */
  readonly minSimilarity: number;
  /** Minimum cosine to map an unknown word to an intent concept (frame parsing). */
  readonly wordSimilarity: number;
  /** The planner's default origin (DEFAULT_ORIGIN_CITY). */
  readonly defaultOrigin: string;
}

export interface PlanCacheDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly embedder: Embedder;
  readonly tools: ToolRegistry;
  readonly config: PlanCacheConfig;
  readonly now?: () => Date;
}

export interface CacheRequest {
  readonly user_id: string;
  /** The redacted goal and context (as in the execution input). */
  readonly goal: string;
  readonly context: Readonly<Record<string, unknown>>;
}

export type CacheLookup =
  | {
      readonly hit: true;
      readonly plan: Plan;
      /** Cosine of the intent embeddings (rounded to 3 decimals). */
      readonly similarity: number;
      /** `exact`: same slots, the cached plan as it was; `template`: re-bound to this goal's slots. */
      readonly match: 'exact' | 'template';
      /** Slots whose values differ from the cached goal's, with old and new values. */
      readonly rebound: readonly Rebinding[];
      readonly embedder: string;
    }
  | { readonly hit: false; readonly reason: string; readonly similarity?: number };

export type CacheStore =
  | { readonly stored: true; readonly match: 'exact' | 'template'; readonly evicted: number }
  | { readonly stored: false; readonly reason: string };

/**
 * The cache's settings from the environment (CACHE_*), or undefined when it is off
 * (CACHE_ENABLED=false) or has no table (CACHE_TABLE unset).
 */
export function planCacheFromEnv(
  env: Env,
  deps: Pick<PlanCacheDeps, 'client' | 'embedder' | 'tools'> & { readonly defaultOrigin: string },
): PlanCacheDeps | undefined {
  if (!env.CACHE_ENABLED || !env.CACHE_TABLE) return undefined;
  return {
    client: deps.client,
    tableName: env.CACHE_TABLE,
    embedder: deps.embedder,
    tools: deps.tools,
    config: {
      scope: env.CACHE_SCOPE,
      ttlDays: env.CACHE_TTL_DAYS,
      maxEntriesPerScope: env.CACHE_MAX_ENTRIES_PER_SCOPE,
      minSimilarity: env.CACHE_MIN_SIMILARITY,
      wordSimilarity: env.CACHE_WORD_SIMILARITY,
      defaultOrigin: deps.defaultOrigin,
    },
  };
}

const entryItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  signature: z.string(),
  slots: z.array(z.object({ name: z.string(), key: z.string() })),
  body: z.string(),
  embedder: z.string(),
  vector: z.string(),
  hits: z.number().default(0),
  hits_at_enqueue: z.number().default(0),
  seq: z.number().optional(),
  expires_at: z.number().optional(),
});

const metaSchema = z.object({ head: z.number().default(0), tail: z.number().default(0) });
const pointerSchema = z.object({ entry_pk: z.string(), entry_sk: z.string() });

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

/** The scope an entry belongs to: the user (default), or everyone. */
export function scopeOf(config: Pick<PlanCacheConfig, 'scope'>, userId: string): string {
  return config.scope === 'global' ? 'global' : `user:${userId}`;
}

function keys(deps: PlanCacheDeps, request: CacheRequest, frame: Frame) {
  const scope = digest(scopeOf(deps.config, request.user_id));
  const pk = `E#${scope}#${frame.signatureHash}`;
  return {
    scopePk: `S#${scope}`,
    pk,
    template: { pk, sk: 'T' },
    exact: { pk, sk: `X#${frame.slotsHash}` },
  };
}

function frameOf(deps: PlanCacheDeps, request: CacheRequest) {
  return extractFrame(request.goal, request.context, {
    defaultOrigin: deps.config.defaultOrigin,
    wordSimilarity: deps.config.wordSimilarity,
  });
}

const round = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Looks a goal up: a hit is a VALID plan for this goal (exact, or a template re-bound to its slots).
 * Costs one BatchGetItem (≤ 2 items) plus, on a hit, one UpdateItem.
 */
export async function lookupPlan(deps: PlanCacheDeps, request: CacheRequest): Promise<CacheLookup> {
  const parsed = frameOf(deps, request);
  if (!parsed.ok) return { hit: false, reason: `no frame: ${parsed.reason}` };
  const frame = parsed.frame;
  const k = keys(deps, request, frame);
  const now = deps.now?.() ?? new Date();

  let requested: Record<string, unknown>[] = [k.exact, k.template];
  const items: Record<string, unknown>[] = [];
  for (let attempt = 0; requested.length > 0 && attempt < 5; attempt++) {
    const out = await deps.client.send(
      new BatchGetCommand({
        RequestItems: { [deps.tableName]: { Keys: requested } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    items.push(...(out.Responses?.[deps.tableName] ?? []));
    requested = out.UnprocessedKeys?.[deps.tableName]?.Keys ?? [];
  }
  const live = items.filter((item) => !isExpired(item, now)).map((item) => entryItemSchema.safeParse(item));
  const exact = live.find((e) => e.success && e.data.sk === k.exact.sk)?.data;
  const template = live.find((e) => e.success && e.data.sk === 'T')?.data;
  const entry = exact ?? template;
  if (!entry) return { hit: false, reason: 'no entry' };
  if (entry.signature !== frame.signature) return { hit: false, reason: 'signature digest collision' };
  if (entry.embedder !== deps.embedder.id) return { hit: false, reason: 'entry embedded by another model' };

  const score = round(similarity(await deps.embedder.embed(frame.intentText), dequantize(entry.vector)));
  if (score < deps.config.minSimilarity) {
    return { hit: false, reason: 'intent similarity below threshold', similarity: score };
  }

  let candidate: unknown;
  let rebound: Rebinding[] = [];
  if (entry === exact) {
    candidate = JSON.parse(entry.body);
  } else {
    const filled = rebind({ plan: JSON.parse(entry.body), rebindable: true, issues: [] }, entry.slots, frame);
    if (!filled) return { hit: false, reason: 'template does not fit the slots', similarity: score };
    candidate = filled.plan;
    rebound = filled.rebound;
  }
  const valid = validatePlan(candidate, deps.tools);
  if (!valid.ok) return { hit: false, reason: 'cached plan is not valid for this goal', similarity: score };

  await deps.client
    .send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { pk: entry.pk, sk: entry.sk },
        UpdateExpression: 'ADD hits :one SET last_hit_at = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1, ':now': now.toISOString() },
      }),
    )
    .catch((error: unknown) => {
      // evicted or expired between the read and the counter: the hit stands
      if (!isConditionalCheckFailure(error)) throw error;
    });
  return {
    hit: true,
    plan: valid.plan,
    similarity: score,
    match: entry === exact ? 'exact' : 'template',
    rebound,
    embedder: entry.embedder,
  };
}

/**
 * Stores a plan that the planner made (and the planner task validated) for a goal: as a template
 * when every parameter can be re-bound, else as an exact entry. Never store tool results here.
 */
export async function storePlan(
  deps: PlanCacheDeps,
  request: CacheRequest & { readonly plan: Plan },
): Promise<CacheStore> {
  const parsed = frameOf(deps, request);
  if (!parsed.ok) return { stored: false, reason: `no frame: ${parsed.reason}` };
  const frame = parsed.frame;
  const k = keys(deps, request, frame);
  const now = deps.now?.() ?? new Date();
  const template = makeTemplate(request.plan, frame);
  const match = template.rebindable ? 'template' : 'exact';
  const key = template.rebindable ? k.template : k.exact;
  const expires = expiresAt(now, deps.config.ttlDays);
  try {
    await deps.client.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          ...key,
          signature: frame.signature,
          slots: frame.slots.map((s) => ({ name: s.name, key: s.key })),
          body: JSON.stringify(template.rebindable ? template.plan : request.plan),
          embedder: deps.embedder.id,
          vector: quantize(await deps.embedder.embed(frame.intentText)),
          hits: 0,
          hits_at_enqueue: 0,
          created_at: now.toISOString(),
          expires_at: expires,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expires_at <= :now',
        ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
      }),
    );
  } catch (error) {
    if (isConditionalCheckFailure(error)) return { stored: false, reason: 'already cached' };
    throw error;
  }
  const seq = await enqueue(deps, k.scopePk, key, expires);
  const evicted = await evictOverCap(deps, k.scopePk, seq.head, seq.tail);
  return { stored: true, match, evicted };
}

async function enqueue(
  deps: PlanCacheDeps,
  scopePk: string,
  entry: { pk: string; sk: string },
  expires: number,
): Promise<{ head: number; tail: number }> {
  const out = await deps.client.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: { pk: scopePk, sk: 'META' },
      UpdateExpression: 'SET head = if_not_exists(head, :zero) ADD tail :one',
      ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
      ReturnValues: 'ALL_NEW',
    }),
  );
  const meta = metaSchema.parse(out.Attributes ?? {});
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: {
        pk: scopePk,
        sk: queueSk(meta.tail),
        entry_pk: entry.pk,
        entry_sk: entry.sk,
        expires_at: expires,
      },
    }),
  );
  await deps.client
    .send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: entry,
        UpdateExpression: 'SET seq = :seq, hits_at_enqueue = if_not_exists(hits, :zero)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':seq': meta.tail, ':zero': 0 },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionalCheckFailure(error)) throw error;
    });
  return meta;
}

const queueSk = (seq: number) => `Q#${String(seq).padStart(12, '0')}`;

/** Evicts from the queue's head while the scope is over its cap (a few steps at most per store). */
async function evictOverCap(
  deps: PlanCacheDeps,
  scopePk: string,
  head: number,
  tail: number,
): Promise<number> {
  let evicted = 0;
  let h = head;
  let t = tail;
  for (let step = 0; t - h > deps.config.maxEntriesPerScope && step < 4; step++) {
    // claim the head slot (a concurrent evictor that got there first wins; we stop)
    try {
      await deps.client.send(
        new UpdateCommand({
          TableName: deps.tableName,
          Key: { pk: scopePk, sk: 'META' },
          UpdateExpression: 'SET head = :next',
          ConditionExpression: 'head = :head',
          ExpressionAttributeValues: { ':head': h, ':next': h + 1 },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailure(error)) break;
      throw error;
    }
    h += 1;
    const pointerKey = { pk: scopePk, sk: queueSk(h) };
    const { Item: rawPointer } = await deps.client.send(
      new GetCommand({ TableName: deps.tableName, Key: pointerKey, ConsistentRead: true }),
    );
    await deps.client.send(new DeleteCommand({ TableName: deps.tableName, Key: pointerKey }));
    const pointer = pointerSchema.safeParse(rawPointer);
    if (!pointer.success) continue; // expired or never written: the slot was empty
    const entryKey = { pk: pointer.data.entry_pk, sk: pointer.data.entry_sk };
    const { Item: rawEntry } = await deps.client.send(
      new GetCommand({ TableName: deps.tableName, Key: entryKey, ConsistentRead: true }),
    );
    const entry = entryItemSchema.safeParse(rawEntry);
    if (!entry.success || entry.data.seq !== h) continue; // gone, or re-queued later (stale pointer)
    if (entry.data.hits > entry.data.hits_at_enqueue && !isExpired(entry.data, deps.now?.() ?? new Date())) {
      // second chance: hit since it was queued, so it goes to the tail instead
      const again = await enqueue(deps, scopePk, entryKey, entry.data.expires_at ?? 0);
      t = again.tail;
      continue;
    }
    try {
      await deps.client.send(
        new DeleteCommand({
          TableName: deps.tableName,
          Key: entryKey,
          ConditionExpression: 'seq = :seq',
          ExpressionAttributeValues: { ':seq': h },
        }),
      );
      evicted++;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }
  return evicted;
}
