import {
  type CacheLookup,
  cacheEntryKey,
  lookupPlan,
  type PlanCacheDeps,
  storePlan,
} from '#adapters/cache-store.ts';
import { appendEvent, appendEvents, type EventLogDeps, readEvents } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import { getPlan, putPlanIfAbsent, type StateTableDeps, type StoredPlan } from '#adapters/plan-store.ts';
import { initialSchedule } from '#domain/dag.ts';
import { modelCalledEvents } from '#domain/llm/model-calls.ts';
import { planWithRepair } from '#domain/llm/planning.ts';
import type { AgentModel, ModelCallReport } from '#domain/llm/provider.ts';
import { type Plan, type Schedule, workflowInputObject } from '#domain/schemas.ts';
import { parseTaskInput } from '#domain/task-errors.ts';
import type { ToolRegistry } from '#domain/tools/registry.ts';
import * as z from '#domain/zod.ts';

export const plannerInputSchema = z.lazy(() =>
  z.pick(workflowInputObject(), { workflow_id: true, user_id: true, goal: true, context: true }),
);

export interface PlannerDeps {
  readonly events: EventLogDeps;
  readonly state: StateTableDeps;
  readonly model: AgentModel;
  readonly tools: ToolRegistry;
  readonly now?: () => Date;
  /** The semantic plan cache in front of the model; absent = off. */
  readonly cache?: PlanCacheDeps;
}

type PlannerInput = z.infer<typeof plannerInputSchema>;

/**
 * A plan from the semantic cache (a valid plan for THIS goal: same intent, re-bound to its slots),
 * stored as the workflow's plan; undefined on a miss. A failing cache is a miss, never a failure.
 */
async function planFromCache(deps: PlannerDeps, input: PlannerInput): Promise<StoredPlan | undefined> {
  if (!deps.cache) return undefined;
  let found: CacheLookup;
  try {
    found = await lookupPlan(deps.cache, {
      user_id: input.user_id,
      goal: input.goal,
      context: input.context,
    });
  } catch (error) {
    logger.warn('plan cache lookup failed: planning afresh', { error });
    return undefined;
  }
  if (!found.hit) {
    logger.info('plan cache miss', { reason: found.reason });
    return undefined;
  }
  return putPlanIfAbsent(deps.state, input.workflow_id, {
    plan: found.plan,
    source: 'cache',
    provider: 'cache',
    model: found.embedder,
    created_at: (deps.now?.() ?? new Date()).toISOString(),
    cache: { similarity: found.similarity, match: found.match, rebound: [...found.rebound] },
  });
}

/**
 * Caches a plan the model made (never tool results), unconfirmed: the finalize task confirms it when
 * the workflow completes (the plan record carries the entry's key). A failure is logged, not thrown.
 */
async function cachePlan(deps: PlannerDeps, input: PlannerInput, plan: Plan): Promise<void> {
  if (!deps.cache) return;
  try {
    const result = await storePlan(deps.cache, {
      user_id: input.user_id,
      goal: input.goal,
      context: input.context,
      plan,
      workflow_id: input.workflow_id,
    });
    logger.info('plan cache store', { ...result });
  } catch (error) {
    logger.warn('plan cache store failed', { error });
  }
}

/**
 * "Plan the steps": asks the model for a plan, validates it with one repair round (PlanInvalid when
 * it stays invalid), records every model call, stores the plan once (a re-run keeps the first plan)
 * and returns the first wave of the DAG.
 */
export async function planWorkflow(deps: PlannerDeps, payload: unknown): Promise<Schedule> {
  const input = parseTaskInput(plannerInputSchema, payload, 'planner');
  const id = input.workflow_id;
  let stored = (await getPlan(deps.state, id)) ?? (await planFromCache(deps, input));
  if (!stored) {
    const log = await readEvents(deps.events, id);
    const calls: ModelCallReport[] = [];
    const callEvents = () =>
      modelCalledEvents(
        log.map((e) => e.event_id),
        calls,
      );
    // "Today" for relative dates is when the goal was received, so a re-run plans the same dates.
    const now = log.find((e) => e.type === 'GoalReceived')?.at;
    let plan: Plan;
    try {
      plan = await planWithRepair(
        deps.model,
        { goal: input.goal, context: input.context, ...(now && { now }) },
        deps.tools,
        (call) => calls.push(call),
      );
    } catch (error) {
      // The answered calls were billed: record them before the task fails (or is retried).
      if (calls.length > 0) {
        await appendEvents(deps.events, id, callEvents()).catch((appendError: unknown) =>
          logger.error('could not record the model calls', { error: appendError }),
        );
      }
      throw error;
    }
    await appendEvents(deps.events, id, callEvents());
    stored = await putPlanIfAbsent(deps.state, id, {
      plan,
      source: 'planner',
      provider: deps.model.provider,
      model: deps.model.model,
      created_at: (deps.now?.() ?? new Date()).toISOString(),
      ...(deps.cache && { cache_entry: cacheEntryKey(deps.cache, input) }),
    });
    if (stored.source === 'planner') await cachePlan(deps, input, stored.plan);
  }
  await appendEvent(deps.events, id, {
    event_id: 'PlanCreated',
    type: 'PlanCreated',
    data: {
      plan: stored.plan,
      source: stored.source,
      steps_total: stored.plan.steps.length,
      provider: stored.provider,
      model: stored.model,
      ...(stored.cache && {
        similarity: stored.cache.similarity,
        cache: { match: stored.cache.match, rebound: stored.cache.rebound },
      }),
    },
  });
  logger.info('plan created', {
    steps_total: stored.plan.steps.length,
    provider: stored.provider,
  });
  return initialSchedule(stored.plan);
}
