import { readEventPage } from '#adapters/event-log.ts';
import type { DocumentClient } from '#adapters/executions.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import type { EventPage } from '#domain/api/bodies.ts';
import { type Issue, invalidRequest, notFound, unavailableAs503 } from '#domain/api/errors.ts';
import type { WorkflowRequest } from './get-status.ts';

/**
 * A workflow's audit trail (GET /workflows/{id}/events?after=<seq>&limit=<n>), in order, a page at a
 * time. `next_after` is present when more events remain: pass it as `after` to read on.
 */

export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 1000;

export interface ReadEventsRequest extends WorkflowRequest {
  /** The query string's `after` and `limit`, as sent. */
  readonly query: { readonly after?: string | undefined; readonly limit?: string | undefined };
}

export interface ReadEventsPorts {
  readonly dynamo: DocumentClient;
  readonly stateTable: string;
  readonly eventLogTable: string;
  readonly now?: () => Date;
}

export async function readEvents(request: ReadEventsRequest, ports: ReadEventsPorts): Promise<EventPage> {
  const { userId, workflowId } = request;
  const { after, limit } = pageOf(request.query);
  const store = { client: ports.dynamo, tableName: ports.stateTable, now: ports.now };
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
  if (!record) throw notFound();

  // One extra event tells whether more remain without a second, possibly empty, page.
  const page = await unavailableAs503(() =>
    readEventPage({ client: ports.dynamo, tableName: ports.eventLogTable }, workflowId, after, limit + 1),
  );
  const events = page.events.slice(0, limit);
  const last = events.at(-1);
  const more = page.events.length > limit || page.nextSeq !== undefined;
  return {
    events: events.map(({ seq, type, at, data }) => ({ seq, type, at, data })),
    ...(more && last ? { next_after: last.seq } : {}),
  };
}

/** `after` (default 0) and `limit` (default 500, 1..1000) from the query; bad values → 400. */
function pageOf(query: ReadEventsRequest['query']): { after: number; limit: number } {
  const issues: Issue[] = [];
  const after = integerParam(query.after, 0);
  if (after === undefined || after < 0)
    issues.push({ path: ['after'], message: 'must be a non-negative integer' });
  const limit = integerParam(query.limit, DEFAULT_LIMIT);
  if (limit === undefined || limit < 1 || limit > MAX_LIMIT) {
    issues.push({ path: ['limit'], message: `must be an integer from 1 to ${MAX_LIMIT}` });
  }
  if (after === undefined || limit === undefined || issues.length > 0) {
    throw invalidRequest('invalid query parameters', issues);
  }
  return { after, limit };
}

function integerParam(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}
