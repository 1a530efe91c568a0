import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Plan,
  type PlanStep,
  planCacheHitSchema,
  planSchema,
  planSources,
  planStepSchema,
} from '#domain/schemas.ts';
import { expiresAt, isExpired } from '#domain/ttl.ts';
import * as z from '#domain/zod.ts';
import { putUnlessLive } from './put-unless-live.ts';

/** Where STATE_TABLE items live and how long they are kept. */
export interface StateTableDeps {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Days until written items expire (WORKFLOW_RECORD_TTL_DAYS). */
  readonly ttlDays: number;
  readonly now?: () => Date;
}

/** The plan item: pk `WF#<id>`, sk `PLAN`. */
export const storedPlanSchema = z.lazy(() =>
  z.object({
    plan: planSchema,
    source: z.enum(planSources),
    provider: z.string(),
    model: z.string(),
    created_at: z.string(),
    /** Plans served by the semantic cache: intent similarity, exact or re-bound template, what changed. */
    cache: z.optional(planCacheHitSchema),
    /** The plan cache entry this plan was stored under (planner plans): finalize confirms it. */
    cache_entry: z.optional(z.object({ pk: z.string(), sk: z.string() })),
  }),
);
export type StoredPlan = z.infer<typeof storedPlanSchema>;

const key = (workflowId: string) => ({ pk: `WF#${workflowId}`, sk: 'PLAN' });

/** The workflow's plan, or undefined when none is stored (or it expired). */
export async function getPlan(deps: StateTableDeps, workflowId: string): Promise<StoredPlan | undefined> {
  const { Item } = await deps.client.send(
    new GetCommand({ TableName: deps.tableName, Key: key(workflowId), ConsistentRead: true }),
  );
  if (!Item || isExpired(Item, deps.now?.() ?? new Date())) return undefined;
  return z.parse(storedPlanSchema, Item);
}

/**
 * Stores the plan unless the workflow has one already, and returns the stored one: a re-run of the
 * planner keeps the first plan, whatever a model would answer the second time.
 */
export async function putPlanIfAbsent(
  deps: StateTableDeps,
  workflowId: string,
  record: StoredPlan,
): Promise<StoredPlan> {
  const stored = await putRecordIfAbsent(deps, workflowId, key(workflowId), record, () =>
    getPlan(deps, workflowId),
  );
  if (stored.created) await putStepIndex(deps, workflowId, stored.value.plan);
  return stored.value;
}

/**
 * A workflow's record in the state table (`key`, its `workflow_id`, the record's fields and an
 * `expires_at`), put unless a live one holds the key; `readExisting` reads the one that won.
 */
export function putRecordIfAbsent<T extends object>(
  deps: StateTableDeps,
  workflowId: string,
  key: { readonly pk: string; readonly sk: string },
  record: T,
  readExisting: () => Promise<T | undefined>,
): Promise<{ created: boolean; value: T }> {
  const now = deps.now?.() ?? new Date();
  return putUnlessLive({
    client: deps.client,
    tableName: deps.tableName,
    item: { ...key, workflow_id: workflowId, ...record, expires_at: expiresAt(now, deps.ttlDays) },
    keyAttribute: 'pk',
    now,
    value: record,
    readExisting,
  });
}

/*
 * The step index: what one step needs of the plan, in items whose size does not grow with it, so
 * that a step's reads stay O(1) however long the plan is (the PLAN item is read once per workflow,
 * by the tasks that need all of it). `GRAPH` holds the DAG compactly (ids, tool per step, dependency
 * indexes: ~25 bytes a step, one 4 KB read up to ~150 steps); `STEPDEF#<id>` holds one step.
 */
const graphKey = (workflowId: string) => ({ pk: `WF#${workflowId}`, sk: 'GRAPH' });
const stepDefKey = (workflowId: string, stepId: string) => ({
  pk: `WF#${workflowId}`,
  sk: `STEPDEF#${stepId}`,
});

const graphItemSchema = z.lazy(() =>
  z.object({
    ids: z.array(z.string()),
    tools: z.array(z.string()),
    /** Index into `tools`, per step. */
    tool: z.array(z.number().check(z.int())),
    /** Indexes of each step's dependencies. */
    deps: z.array(z.array(z.number().check(z.int()))),
  }),
);

/** The DAG of a plan without its inputs: what scheduling and dependency walks need. */
export type PlanGraph = { readonly steps: readonly Pick<PlanStep, 'id' | 'tool' | 'depends_on'>[] };

/** Writes the step index of a stored plan (idempotent: the same plan gives the same items). */
export async function putStepIndex(deps: StateTableDeps, workflowId: string, plan: Plan): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const expires = { expires_at: expiresAt(now, deps.ttlDays) };
  const tools = [...new Set(plan.steps.map((s) => s.tool))];
  const index = new Map(plan.steps.map((s, i) => [s.id, i]));
  const graph = {
    ids: plan.steps.map((s) => s.id),
    tools,
    tool: plan.steps.map((s) => tools.indexOf(s.tool)),
    deps: plan.steps.map((s) => s.depends_on.flatMap((d) => index.get(d) ?? [])),
  };
  const items = [
    { ...graphKey(workflowId), workflow_id: workflowId, graph, ...expires },
    ...plan.steps.map((step) => ({
      ...stepDefKey(workflowId, step.id),
      workflow_id: workflowId,
      step,
      ...expires,
    })),
  ];
  for (let i = 0; i < items.length; i += 25) {
    let requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string] = items
      .slice(i, i + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      const out = await deps.client.send(
        new BatchWriteCommand({ RequestItems: { [deps.tableName]: requests } }),
      );
      requests = out.UnprocessedItems?.[deps.tableName] ?? [];
      if (requests.length > 0 && attempt >= 10)
        throw new Error('BatchWriteItem left items unprocessed 10 times');
      if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
}

/**
 * One step of a workflow's plan and the plan's graph, in one BatchGetItem of two small items;
 * undefined when the index is missing (a plan stored before it existed): read the whole plan then.
 */
export async function getStepOfPlan(
  deps: StateTableDeps,
  workflowId: string,
  stepId: string,
): Promise<{ graph: PlanGraph; step: PlanStep } | undefined> {
  const out = await deps.client.send(
    new BatchGetCommand({
      RequestItems: {
        [deps.tableName]: {
          Keys: [graphKey(workflowId), stepDefKey(workflowId, stepId)],
          ConsistentRead: true,
        },
      },
    }),
  );
  if (Object.keys(out.UnprocessedKeys ?? {}).length > 0) return undefined;
  const items = out.Responses?.[deps.tableName] ?? [];
  const now = deps.now?.() ?? new Date();
  const graphItem = items.find((i) => i.sk === 'GRAPH' && !isExpired(i, now));
  const stepItem = items.find((i) => i.sk === `STEPDEF#${stepId}` && !isExpired(i, now));
  const graph = graphItemSchema.safeParse(graphItem?.graph);
  const step = planStepSchema.safeParse(stepItem?.step);
  if (!graph.success || !step.success) return undefined;
  const { ids, tools, tool, deps: edges } = graph.data;
  return {
    graph: {
      steps: ids.map((id, i) => ({
        id,
        tool: tools[tool[i] ?? -1] ?? '',
        depends_on: (edges[i] ?? []).flatMap((d) => ids[d] ?? []),
      })),
    },
    step: step.data,
  };
}
