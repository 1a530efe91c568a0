import type { Plan } from '../schemas.ts';
import type { ToolRegistry } from '../tools/types.ts';
import { expiresAt, isExpired } from '../ttl.ts';
import type { Embedder } from './embedder.ts';
import {
  type CacheEntry,
  type CacheGoal,
  type CacheIndex,
  candidatesFor,
  entryKey,
  entrySchema,
  INDEX_SK,
  indexSchema,
  indexWith,
  newEntry,
  rankBySimilarity,
  serveExact,
  serveTemplate,
} from './entries.ts';
import type { CacheScope } from './settings.ts';
import { type Rebinding, readGoal } from './template.ts';

/*
 * The plan cache's lookup and store, against the reads and writes of its table (a port that
 * lambdas/adapters/cache-store.ts implements on DynamoDB): which items to read, what serves, what to
 * write and what the cap evicts are decided here.
 */

type Key = { readonly pk: string; readonly sk: string };
type Item = Record<string, unknown>;

/** The plan cache table's reads and writes. */
export interface PlanCacheTable {
  /** The items of these keys that exist (any order). */
  getMany(keys: readonly Key[]): Promise<Item[]>;
  /** Writes an entry unless a confirmed, live one is there; false when it is (already cached). */
  putEntry(item: Item, now: Date): Promise<boolean>;
  /** The index item, read consistently. */
  getIndex(key: Key): Promise<Item | undefined>;
  /** Writes the index if it is still at `version` (absent: not there yet); false when it moved on. */
  putIndex(item: Item, version: number | undefined): Promise<boolean>;
  delete(key: Key): Promise<void>;
}

export interface PlanCacheConfig {
  /** `user`: entries never leave their user; `global`: shared by everyone (opt-in). */
  readonly scope: CacheScope;
  readonly ttlDays: number;
  /** Entries per scope (the index is capped at 350 KB besides). */
  readonly maxEntriesPerScope: number;
  /** Minimum cosine between the wordings of the goal and a template (when an embedder is set). */
  readonly minSimilarity: number;
}

export interface PlanCacheParts {
  /** Ranks fitting templates by meaning; absent = most recent first. */
  readonly embedder?: Embedder;
  readonly tools: ToolRegistry;
  readonly config: PlanCacheConfig;
  readonly now?: () => Date;
}

export type CacheRequest = CacheGoal;

export type CacheLookup =
  | {
      readonly hit: true;
      readonly plan: Plan;
      /** Cosine of the wordings (1 for exact repeats and without an embedder). */
      readonly similarity: number;
      /** `exact`: the same goal, the plan as it was; `template`: re-bound to this goal's values. */
      readonly match: 'exact' | 'template';
      /** Slots whose values differ from the cached goal's, with old and new values. */
      readonly rebound: readonly Rebinding[];
      readonly embedder: string;
    }
  | { readonly hit: false; readonly reason: string };

export type CacheStore =
  | { readonly stored: true; readonly rebindable: boolean; readonly evicted: number }
  | { readonly stored: false; readonly reason: string };

const INDEX_MAX_BYTES = 350_000;

/** A live, well-formed entry item, or undefined. */
function readEntry(item: Item | undefined, now: Date): CacheEntry | undefined {
  if (!item || isExpired(item, now)) return undefined;
  const parsed = entrySchema.safeParse(item);
  return parsed.success ? parsed.data : undefined;
}

/** A live, well-formed index item, or an empty index. */
function readIndex(item: Item | undefined, now: Date): CacheIndex {
  if (!item || isExpired(item, now)) return { entries: [], version: 0 };
  const parsed = indexSchema.safeParse(item);
  return parsed.success ? parsed.data : { entries: [], version: 0 };
}

/**
 * Looks a goal up: a hit is a VALID plan for this goal (its exact repeat, or a template re-bound to
 * its values). Reads two items (the goal's own entry and the index), plus ≤ 3 entries when a template fits.
 */
export async function lookupPlan(
  table: PlanCacheTable,
  parts: PlanCacheParts,
  request: CacheRequest,
): Promise<CacheLookup> {
  const now = parts.now?.() ?? new Date();
  const key = entryKey(parts.config.scope, request);
  const items = await table.getMany([key, { pk: key.pk, sk: INDEX_SK }]);
  const own = readEntry(
    items.find((i) => i.sk === key.sk),
    now,
  );
  const embedderId = parts.embedder?.id ?? 'none';
  let reason = own ? 'own entry' : 'no entry for this goal';
  if (own) {
    const served = serveExact(own, parts.tools, now);
    if (served.ok) return { hit: true, ...served, similarity: 1, embedder: embedderId };
    reason = served.reason;
  }
  const read = readGoal(request.goal);
  const index = readIndex(
    items.find((i) => i.sk === INDEX_SK),
    now,
  );
  const fitting = candidatesFor(read, request, index, now, key.sk);
  if (fitting.length === 0) return { hit: false, reason: `${reason}; no template fits` };
  const ranked = parts.embedder
    ? await rankBySimilarity(fitting, request.goal, parts.embedder, parts.config.minSimilarity)
    : fitting.map((line) => ({ line, similarity: 1 }));
  if (ranked.length === 0) return { hit: false, reason: `${reason}; fitting templates below similarity` };
  const top = ranked.slice(0, 3);
  const entries = await table.getMany(top.map((c) => ({ pk: key.pk, sk: c.line.sk })));
  for (const candidate of top) {
    const entry = readEntry(
      entries.find((i) => i.sk === candidate.line.sk),
      now,
    );
    if (!entry) continue;
    const served = serveTemplate(entry, read, parts.tools, now);
    if (served.ok) return { hit: true, ...served, similarity: candidate.similarity, embedder: embedderId };
    reason = served.reason;
  }
  return { hit: false, reason };
}

/**
 * Stores a plan the planner made (and validated) for a goal, unconfirmed until its workflow
 * completes; an unconfirmed entry of the same goal is replaced. Then adds it to the index
 * (optimistically, on its version) and deletes what the cap evicts. Never store tool results here.
 */
export async function storePlan(
  table: PlanCacheTable,
  parts: PlanCacheParts,
  request: CacheRequest & { readonly plan: Plan; readonly workflow_id: string },
): Promise<CacheStore> {
  const now = parts.now?.() ?? new Date();
  const key = entryKey(parts.config.scope, request);
  const expires = expiresAt(now, parts.config.ttlDays);
  const { entry, line } = await newEntry(key, request, now, parts.embedder);
  if (!(await table.putEntry({ ...entry, expires_at: expires }, now))) {
    return { stored: false, reason: 'already cached' };
  }
  const indexKey = { pk: key.pk, sk: INDEX_SK };
  for (let attempt = 0; attempt < 8; attempt++) {
    const item = await table.getIndex(indexKey);
    // an expired or unreadable index starts afresh, but on the stored item's version all the same
    const version = typeof item?.version === 'number' ? item.version : undefined;
    const current = { ...readIndex(item, now), version: version ?? 0 };
    const next = indexWith(current, line, {
      maxEntries: parts.config.maxEntriesPerScope,
      maxBytes: INDEX_MAX_BYTES,
      ttlDays: parts.config.ttlDays,
      now,
    });
    // a concurrent store moved the index on: read it again
    if (!(await table.putIndex({ ...indexKey, ...next.index, expires_at: expires }, version))) continue;
    for (const sk of next.evicted) await table.delete({ pk: key.pk, sk });
    return { stored: true, rebindable: line.t, evicted: next.evicted.length };
  }
  return { stored: false, reason: 'index busy' };
}
