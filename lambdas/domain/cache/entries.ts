import { createHash } from 'node:crypto';
import type { Plan } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';
import { canonicalJson } from '../idempotency.ts';
import { validatePlan } from '../plan-validation.ts';
import type { ToolRegistry } from '../tools/types.ts';
import { dequantize, quantize, similarity } from './embedder.ts';
import { slotKinds } from './goal.ts';
import type { CacheScope } from './settings.ts';
import {
  deriveTemplate,
  exactText,
  goalText,
  matchTemplate,
  type ReadGoal,
  type Rebinding,
  rebindTemplate,
} from './template.ts';

/*
 * The plan cache's records and decisions, free of I/O (lambdas/adapters/cache-store.ts reads and writes
 * them). Per scope (a user, or everyone) there is one ENTRY per normalised goal (+ context), holding
 * the planner's plan and its template, and one INDEX listing the scope's entries (wording, slot kinds
 * and roles, embedding) so that a lookup reads two items, whatever it then matches against.
 *
 * An entry serves only once CONFIRMED: its workflow ran to completion (the finalize task says so).
 * An exact repeat (same normalised goal and context) gets the plan as it was; another goal gets a
 * template re-bound to its own values, when it fits (template.ts), best embedding similarity first.
 */

const slotSchema = z.lazy(() => z.object({ kind: z.enum(slotKinds), role: z.string(), key: z.string() }));

export const entrySchema = z.lazy(() =>
  z.object({
    pk: z.string(),
    sk: z.string(),
    /** The planner's plan, JSON. */
    plan: z.string(),
    /** The template's plan with placeholders, JSON; absent when it is not re-bindable. */
    template: z.optional(z.string()),
    slots: z.array(slotSchema),
    /** The template's canonical wording (see template.ts). */
    words: z.array(z.string()),
    /** The workflow whose plan this is: only its completion confirms the entry. */
    workflow_id: z.string(),
    confirmed: z._default(z.boolean(), false),
    /** UTC day the plan holds for (the plan has a date the goal does not say), else absent. */
    day: z.optional(z.string()),
    /** The plan holds before this UTC day only (a date the goal says without its year), else absent. */
    until: z.optional(z.string()),
    created_at: z.string(),
    expires_at: z.optional(z.number()),
  }),
);
export type CacheEntry = z.infer<typeof entrySchema>;

export const indexEntrySchema = z.lazy(() =>
  z.object({
    sk: z.string(),
    /** Digest of the context: plans depend on it (a home city changes a flight's origin). */
    ctx: z.string(),
    slots: z.array(z.object({ kind: z.enum(slotKinds), role: z.string() })),
    words: z.array(z.string()),
    /** The embedder's id and its vector of the template's wording (base64 int8), when one is set. */
    embedder: z.optional(z.string()),
    vector: z.optional(z.string()),
    /** Re-bindable: other goals may be served from it. */
    t: z.boolean(),
    day: z.optional(z.string()),
    at: z.string(),
  }),
);
export type IndexEntry = z.infer<typeof indexEntrySchema>;

export const indexSchema = z.lazy(() =>
  z.object({
    entries: z._default(z.array(indexEntrySchema), []),
    version: z._default(z.number(), 0),
  }),
);
export type CacheIndex = z.infer<typeof indexSchema>;

export interface CacheGoal {
  readonly user_id: string;
  /** The redacted goal and context (as in the execution input). */
  readonly goal: string;
  readonly context: Readonly<Record<string, unknown>>;
}

export function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

/** The scope an entry belongs to: the user (default), or everyone. */
export function scopeOf(scope: CacheScope, userId: string): string {
  return scope === 'global' ? 'global' : `user:${userId}`;
}

/** Where a goal's entry lives (no user id or goal text in keys: digests only). */
export function entryKey(scope: CacheScope, request: CacheGoal): { pk: string; sk: string } {
  return {
    pk: `C#${digest(scopeOf(scope, request.user_id))}`,
    sk: `G#${digest(`${exactText(request.goal)}\n${contextDigest(request.context)}`)}`,
  };
}

export const INDEX_SK = 'INDEX';

export function contextDigest(context: Readonly<Record<string, unknown>>): string {
  return digest(canonicalJson(context)).slice(0, 16);
}

const dayOf = (now: Date) => now.toISOString().slice(0, 10);

/**
 * The entry and index line for a plan the planner made for a goal. The embedding (of the template's
 * wording) is the caller's: `embed` is called only for re-bindable templates.
 */
export async function newEntry(
  key: { pk: string; sk: string },
  request: CacheGoal & { readonly plan: unknown; readonly workflow_id: string },
  now: Date,
  embedder?: { id: string; embed(text: string): Promise<Float32Array> },
): Promise<{ entry: CacheEntry; line: IndexEntry }> {
  const template = deriveTemplate(request.goal, request.plan, { now });
  const day = template.dated ? dayOf(now) : undefined;
  const entry: CacheEntry = {
    ...key,
    plan: JSON.stringify(request.plan),
    ...(template.rebindable && { template: JSON.stringify(template.plan) }),
    slots: [...template.slots],
    words: [...template.words],
    workflow_id: request.workflow_id,
    confirmed: false,
    ...(day && { day }),
    ...(template.until && { until: template.until }),
    created_at: now.toISOString(),
  };
  const vector = template.rebindable && embedder ? quantize(await embedder.embed(template.text)) : undefined;
  const line: IndexEntry = {
    sk: key.sk,
    ctx: contextDigest(request.context),
    slots: template.slots.map(({ kind, role }) => ({ kind, role })),
    words: [...template.words],
    ...(vector && embedder && { embedder: embedder.id, vector }),
    t: template.rebindable,
    ...(day && { day }),
    at: now.toISOString(),
  };
  return { entry, line };
}

/** Approximate size in bytes of an index line (DynamoDB counts names and values). */
function lineBytes(line: IndexEntry): number {
  return JSON.stringify(line).length + 40;
}

/** The index with `line` added (replacing its older self) and the oldest lines over the caps evicted. */
export function indexWith(
  index: CacheIndex,
  line: IndexEntry,
  caps: { maxEntries: number; maxBytes: number; ttlDays: number; now: Date },
): { index: CacheIndex; evicted: string[] } {
  // lines of entries past their TTL go (their items expire by themselves)
  const oldest = caps.now.getTime() - caps.ttlDays * 86_400_000;
  const entries = [...index.entries.filter((e) => e.sk !== line.sk && Date.parse(e.at) > oldest), line];
  const evicted: string[] = [];
  let bytes = entries.reduce((n, e) => n + lineBytes(e), 0);
  while (entries.length > 1 && (entries.length > caps.maxEntries || bytes > caps.maxBytes)) {
    const first = entries.shift();
    if (!first) break;
    evicted.push(first.sk);
    bytes -= lineBytes(first);
  }
  return { index: { entries, version: index.version + 1 }, evicted };
}

export type Served =
  | {
      readonly ok: true;
      readonly plan: Plan;
      readonly match: 'exact' | 'template';
      readonly rebound: readonly Rebinding[];
    }
  | { readonly ok: false; readonly reason: string };

/** An exact repeat's plan: confirmed, for today when dated, and still valid. */
export function serveExact(entry: CacheEntry, tools: ToolRegistry, now: Date): Served {
  if (!entry.confirmed) return { ok: false, reason: 'entry not confirmed (its workflow has not completed)' };
  if (entry.day && entry.day !== dayOf(now)) return { ok: false, reason: 'entry holds for another day' };
  // "june first" asked again on or after that day is next year's june first
  if (entry.until && entry.until <= dayOf(now)) return { ok: false, reason: 'a date of the plan has come' };
  const valid = validatePlan(JSON.parse(entry.plan), tools);
  if (!valid.ok) return { ok: false, reason: 'cached plan is no longer valid' };
  return { ok: true, plan: valid.plan, match: 'exact', rebound: [] };
}

/**
 * The index lines whose template fits the goal (slots re-bind, wording accounted for), same context,
 * re-bindable, for today; most recent first. `exclude` is the goal's own entry.
 */
export function candidatesFor(
  read: ReadGoal,
  request: CacheGoal,
  index: CacheIndex,
  now: Date,
  exclude?: string,
): IndexEntry[] {
  const ctx = contextDigest(request.context);
  const today = dayOf(now);
  return index.entries
    .filter(
      (line) =>
        line.t &&
        line.sk !== exclude &&
        line.ctx === ctx &&
        (!line.day || line.day === today) &&
        matchTemplate(read, {
          slots: line.slots.map((s) => ({ ...s, key: '' })),
          words: line.words,
        }).ok,
    )
    .reverse();
}

/** Orders candidates by the embedding similarity of their wording with the goal's; drops those below. */
export async function rankBySimilarity(
  candidates: readonly IndexEntry[],
  goal: string,
  embedder: { id: string; embed(text: string): Promise<Float32Array> },
  minSimilarity: number,
): Promise<{ line: IndexEntry; similarity: number }[]> {
  if (candidates.length === 0) return [];
  const vector = await embedder.embed(goalText(goal));
  return candidates
    .map((line) => ({
      line,
      similarity:
        line.vector && line.embedder === embedder.id
          ? Math.round(similarity(vector, dequantize(line.vector)) * 1000) / 1000
          : -1,
    }))
    .filter((c) => c.similarity >= minSimilarity)
    .sort((a, b) => b.similarity - a.similarity);
}

/** A template entry re-bound to the goal and validated, or why not. */
export function serveTemplate(entry: CacheEntry, read: ReadGoal, tools: ToolRegistry, now: Date): Served {
  if (!entry.confirmed) return { ok: false, reason: 'entry not confirmed (its workflow has not completed)' };
  if (entry.day && entry.day !== dayOf(now)) return { ok: false, reason: 'entry holds for another day' };
  if (!entry.template) return { ok: false, reason: 'entry is not re-bindable' };
  const slots = entry.slots;
  const fit = matchTemplate(read, { slots, words: entry.words });
  if (!fit.ok) return fit;
  const filled = rebindTemplate({ slots, plan: JSON.parse(entry.template) }, fit, { now });
  if (!filled.ok) return filled;
  const valid = validatePlan(filled.plan, tools);
  if (!valid.ok) return { ok: false, reason: 'the re-bound plan is not valid' };
  return { ok: true, plan: valid.plan, match: 'template', rebound: filled.rebound };
}
