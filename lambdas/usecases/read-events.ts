import { readEventPage } from '#adapters/event-log.ts';
import type { DocumentClient } from '#adapters/executions.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import type { EventPage } from '#domain/api/bodies.ts';
import { invalidRequest, notFound, unavailableAs503 } from '#domain/api/errors.ts';
import { DEFAULT_EVENTS_PAGE, eventsQuerySchema } from '#domain/api/queries.ts';
import { toEventBody } from '#domain/schemas.ts';
import type { WorkflowRequest } from './get-status.ts';

/**
 * A workflow's audit trail (GET /workflows/{id}/events?after=<seq>&limit=<n>), in order, a page at a
 * time. `next_after` is present when more events remain: pass it as `after` to read on.
 */

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
  const query = eventsQuerySchema.safeParse(request.query);
  if (!query.success) throw invalidRequest('invalid query parameters', query.error.issues);
  const { after = 0, limit = DEFAULT_EVENTS_PAGE } = query.data;
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
    events: events.map(toEventBody),
    ...(more && last ? { next_after: last.seq } : {}),
  };
}
