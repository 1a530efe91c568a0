import { executionDescriptionOf, executionSnapshotOf } from '#adapters/event-log.ts';
import type { DocumentClient } from '#adapters/executions.ts';
import { queryOwnedHeads } from '#adapters/workflow-index.ts';
import type { WorkflowList, WorkflowSummary } from '#domain/api/bodies.ts';
import { invalidRequest, unavailableAs503 } from '#domain/api/errors.ts';
import { listWorkflowsQuerySchema } from '#domain/api/requests.ts';
import { statusBody } from '#domain/api/status-body.ts';
import { decodeListCursor, encodeListCursor } from '#domain/list-cursor.ts';

/**
 * The caller's workflows (GET /workflows?limit=<n>&next=<cursor>), newest first, a page at a time:
 * one Query of the owner index and one BatchGetItem of the page's heads, whatever the number of
 * workflows. Each status is the read model's (`statusBody` of the head's view and last known
 * execution), without a Step Functions call. A cursor that is not one of the caller's is a 400.
 */

export const DEFAULT_LIMIT = 20;

export interface ListWorkflowsRequest {
  readonly userId: string;
  /** The query string, as sent. */
  readonly query: Readonly<Record<string, string | undefined>>;
}

export interface ListWorkflowsPorts {
  readonly dynamo: DocumentClient;
  readonly stateTable: string;
  readonly now?: () => Date;
}

export async function listWorkflows(
  request: ListWorkflowsRequest,
  ports: ListWorkflowsPorts,
): Promise<WorkflowList> {
  const { userId } = request;
  const query = listWorkflowsQuerySchema.safeParse(request.query);
  if (!query.success) throw invalidRequest('invalid query parameters', query.error.issues);
  const after = query.data.next === undefined ? undefined : decodeListCursor(userId, query.data.next);
  if (query.data.next !== undefined && after === undefined) {
    throw invalidRequest('invalid query parameters', [
      { path: ['next'], message: 'not a cursor of this listing' },
    ]);
  }
  const page = await unavailableAs503(() =>
    queryOwnedHeads({ client: ports.dynamo, stateTable: ports.stateTable, now: ports.now }, userId, {
      limit: query.data.limit ?? DEFAULT_LIMIT,
      ...(after ? { after } : {}),
    }),
  );
  const workflows = page.heads.map((head): WorkflowSummary => {
    const status = statusBody({
      workflowId: head.workflow_id,
      createdAt: head.created_at,
      view: head.view,
      execution: executionDescriptionOf(executionSnapshotOf(head)),
    });
    return {
      workflow_id: head.workflow_id,
      goal: typeof head.goal === 'string' ? head.goal : '',
      status: status.status,
      progress: status.progress,
      created_at: head.created_at,
      updated_at: status.updated_at,
    };
  });
  return { workflows, ...(page.next ? { next: encodeListCursor(userId, page.next) } : {}) };
}
