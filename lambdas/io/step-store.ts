import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { expiresAt, isExpired } from '#core/ttl.ts';
import { isConditionalCheckFailure } from './event-log.ts';
import type { StateTableDeps } from './plan-store.ts';

/** A step's output item: pk `WF#<id>`, sk `STEP#<step_id>`. Written once per (workflow, step). */
export const storedStepOutputSchema = z.object({
  step_id: z.string(),
  tool: z.string(),
  output: z.unknown(),
  stored_at: z.string(),
});
export type StoredStepOutput = z.infer<typeof storedStepOutputSchema>;

/** Every stored (unexpired) step output of a workflow, by step id. */
export async function readStepOutputs(
  deps: StateTableDeps,
  workflowId: string,
): Promise<Map<string, StoredStepOutput>> {
  const now = deps.now?.() ?? new Date();
  const outputs = new Map<string, StoredStepOutput>();
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.client.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `WF#${workflowId}`, ':prefix': 'STEP#' },
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (isExpired(item, now)) continue;
      const stored = storedStepOutputSchema.parse(item);
      outputs.set(stored.step_id, stored);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return outputs;
}

/**
 * Stores a step's output unless one is there; returns the stored one (the first writer wins, so two
 * racing invocations of the same step agree on its output).
 */
export async function putStepOutputIfAbsent(
  deps: StateTableDeps,
  workflowId: string,
  record: StoredStepOutput,
): Promise<StoredStepOutput> {
  const now = deps.now?.() ?? new Date();
  try {
    await deps.client.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          pk: `WF#${workflowId}`,
          sk: `STEP#${record.step_id}`,
          workflow_id: workflowId,
          ...record,
          expires_at: expiresAt(now, deps.ttlDays),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expires_at <= :now',
        ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
      }),
    );
    return record;
  } catch (error) {
    if (!isConditionalCheckFailure(error)) throw error;
    const existing = (await readStepOutputs(deps, workflowId)).get(record.step_id);
    if (!existing) throw error;
    return existing;
  }
}
