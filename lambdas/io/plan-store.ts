import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { expiresAt, isExpired } from '#core/ttl.ts';
import { planSchema } from '#shared/schemas.ts';
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
export const storedPlanSchema = z.object({
  plan: planSchema,
  source: z.enum(['planner', 'cache']),
  provider: z.string(),
  model: z.string(),
  created_at: z.string(),
  /** Plans served by the semantic cache: intent similarity, exact or re-bound template, what changed. */
  cache: z
    .object({
      similarity: z.number(),
      match: z.enum(['exact', 'template']),
      rebound: z.array(z.object({ slot: z.string(), from: z.string(), to: z.string() })),
    })
    .optional(),
  /** The plan cache entry this plan was stored under (planner plans): finalize confirms it. */
  cache_entry: z.object({ pk: z.string(), sk: z.string() }).optional(),
});
export type StoredPlan = z.infer<typeof storedPlanSchema>;

const key = (workflowId: string) => ({ pk: `WF#${workflowId}`, sk: 'PLAN' });

/** The workflow's plan, or undefined when none is stored (or it expired). */
export async function getPlan(deps: StateTableDeps, workflowId: string): Promise<StoredPlan | undefined> {
  const { Item } = await deps.client.send(
    new GetCommand({ TableName: deps.tableName, Key: key(workflowId), ConsistentRead: true }),
  );
  if (!Item || isExpired(Item, deps.now?.() ?? new Date())) return undefined;
  return storedPlanSchema.parse(Item);
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
  const now = deps.now?.() ?? new Date();
  const stored = await putUnlessLive({
    client: deps.client,
    tableName: deps.tableName,
    item: {
      ...key(workflowId),
      workflow_id: workflowId,
      ...record,
      expires_at: expiresAt(now, deps.ttlDays),
    },
    keyAttribute: 'pk',
    now,
    value: record,
    readExisting: () => getPlan(deps, workflowId),
  });
  return stored.value;
}
