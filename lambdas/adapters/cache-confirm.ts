import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { writeIfCondition } from './event-log.ts';

/*
 * The finalize task's one write to the plan cache, in a module of its own so that finalize does not
 * load the cache's matching code and word vectors (see cache-store.ts).
 */

/**
 * Confirms an entry once its workflow completed: from then on it serves. A no-op when the entry is
 * gone or belongs to another workflow's plan.
 */
export async function confirmPlan(
  table: { readonly client: DynamoDBDocumentClient; readonly tableName: string },
  entry: { pk: string; sk: string },
  workflowId: string,
): Promise<boolean> {
  return writeIfCondition(() =>
    table.client.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: entry,
        UpdateExpression: 'SET confirmed = :true',
        ConditionExpression: 'attribute_exists(pk) AND workflow_id = :wf',
        ExpressionAttributeValues: { ':true': true, ':wf': workflowId },
      }),
    ),
  );
}
