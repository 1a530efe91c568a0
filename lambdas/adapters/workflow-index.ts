import { setTimeout as sleep } from 'node:timers/promises';
import { BatchGetCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type HeadItem, headKey, headOf } from './event-log.ts';

/**
 * The heads of a user's workflows, newest first, a page at a time: one Query of the sparse index
 * `workflows-by-owner` (partition `owner`, sort key `created_at`, keys only; lib/specs.ts) and one
 * BatchGetItem of the page's heads. O(page) whatever the number of workflows, never a scan. The index
 * is eventually consistent: a workflow accepted a moment ago may show up on the next call.
 */

/** Name of the index (lib/specs.ts `workflowsByOwnerIndex`; test/infra/tables.test.ts keeps them equal). */
export const WORKFLOWS_BY_OWNER_INDEX = 'workflows-by-owner';

/** Where a page starts: the last head of the previous page (its index key and table key). */
export interface HeadPosition {
  readonly created_at: string;
  readonly workflow_id: string;
}

export interface OwnedHeadsPage {
  /** The heads, newest first (heads past their `expires_at` are left out). */
  readonly heads: readonly (HeadItem & { readonly workflow_id: string; readonly created_at: string })[];
  /** Where the next page starts; undefined on the last page. */
  readonly next?: HeadPosition;
}

export interface WorkflowIndexDeps {
  readonly client: DynamoDBDocumentClient;
  readonly stateTable: string;
  readonly now?: () => Date;
}

/** One page of the owner's heads after `after` (exclusive). */
export async function queryOwnedHeads(
  deps: WorkflowIndexDeps,
  owner: string,
  page: { readonly limit: number; readonly after?: HeadPosition },
): Promise<OwnedHeadsPage> {
  const { Items = [], LastEvaluatedKey } = await deps.client.send(
    new QueryCommand({
      TableName: deps.stateTable,
      IndexName: WORKFLOWS_BY_OWNER_INDEX,
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': owner },
      ScanIndexForward: false,
      Limit: page.limit,
      ...(page.after
        ? {
            ExclusiveStartKey: {
              owner,
              created_at: page.after.created_at,
              ...headKey(page.after.workflow_id),
            },
          }
        : {}),
    }),
  );
  const keys = Items.flatMap((item) =>
    typeof item.pk === 'string' && typeof item.sk === 'string' ? [{ pk: item.pk, sk: item.sk }] : [],
  );
  const byKey = await batchGetHeads(deps, keys);
  const nowSeconds = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  const heads = keys.flatMap((key) => {
    const item = byKey.get(key.pk);
    // Gone since the query (TTL), or past its expiry and not yet deleted: absent, as everywhere else.
    if (!item || (typeof item.expires_at === 'number' && item.expires_at <= nowSeconds)) return [];
    if (item.owner !== owner || typeof item.workflow_id !== 'string' || typeof item.created_at !== 'string')
      return [];
    return [{ ...headOf(item), workflow_id: item.workflow_id, created_at: item.created_at }];
  });
  const last = LastEvaluatedKey;
  const next =
    last && typeof last.created_at === 'string' && typeof last.pk === 'string' && last.pk.startsWith('WF#')
      ? { created_at: last.created_at, workflow_id: last.pk.slice('WF#'.length) }
      : undefined;
  return { heads, ...(next ? { next } : {}) };
}

/** The heads of `keys` by `pk` (eventually consistent, half the cost), retrying unprocessed keys. */
async function batchGetHeads(
  deps: WorkflowIndexDeps,
  keys: readonly { pk: string; sk: string }[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  // BatchGetItem takes at most 100 keys: the page limit.
  let pending: Record<string, unknown>[] = [...keys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 0) {
      if (attempt > 8) {
        throw Object.assign(new Error('BatchGetItem left keys unprocessed'), { name: 'ThrottlingException' });
      }
      await sleep(Math.random() * Math.min(1000, 25 * 2 ** attempt));
    }
    const out = await deps.client.send(
      new BatchGetCommand({ RequestItems: { [deps.stateTable]: { Keys: pending } } }),
    );
    for (const item of out.Responses?.[deps.stateTable] ?? []) {
      if (typeof item.pk === 'string') found.set(item.pk, item);
    }
    pending = out.UnprocessedKeys?.[deps.stateTable]?.Keys ?? [];
  }
  return found;
}
