import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { isExpired } from '#domain/ttl.ts';
import * as z from '#domain/zod.ts';
import { putRecordIfAbsent, type StateTableDeps } from './plan-store.ts';

/** A step's output item: pk `WF#<id>`, sk `STEP#<step_id>`. Written once per (workflow, step). */
export const storedStepOutputSchema = z.object({
  step_id: z.string(),
  tool: z.string(),
  output: z.unknown(),
  stored_at: z.string(),
});
export type StoredStepOutput = z.infer<typeof storedStepOutputSchema>;

const outputKey = (workflowId: string, stepId: string) => ({ pk: `WF#${workflowId}`, sk: `STEP#${stepId}` });

/**
 * The stored (unexpired) outputs of some steps, by step id: one BatchGetItem (strongly consistent)
 * of just those items, so a step's reads do not grow with the plan (unprocessed keys are retried).
 */
export async function readStepOutputsOf(
  deps: StateTableDeps,
  workflowId: string,
  stepIds: readonly string[],
): Promise<Map<string, StoredStepOutput>> {
  const now = deps.now?.() ?? new Date();
  const outputs = new Map<string, StoredStepOutput>();
  const unique = [...new Set(stepIds)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] = unique.slice(i, i + 100).map((id) => outputKey(workflowId, id));
    for (let attempt = 1; keys.length > 0; attempt++) {
      const out = await deps.client.send(
        new BatchGetCommand({ RequestItems: { [deps.tableName]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[deps.tableName] ?? []) {
        if (isExpired(item, now)) continue;
        const stored = z.parse(storedStepOutputSchema, item);
        outputs.set(stored.step_id, stored);
      }
      keys = out.UnprocessedKeys?.[deps.tableName]?.Keys ?? [];
      if (keys.length > 0 && attempt >= 10) throw new Error('BatchGetItem left keys unprocessed 10 times');
      if (keys.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    }
  }
  return outputs;
}

/** Every stored (unexpired) step output of a workflow, by step id: O(plan), once per workflow. */
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
      const stored = z.parse(storedStepOutputSchema, item);
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
  const key = outputKey(workflowId, record.step_id);
  const stored = await putRecordIfAbsent(deps, workflowId, key, record, async () =>
    (await readStepOutputsOf(deps, workflowId, [record.step_id])).get(record.step_id),
  );
  return stored.value;
}
