import { type EventBody, toEventBody, type WorkflowEvent, workflowIdSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';

/*
 * The push channel's protocol (README "Live events"), as pure data: what a client sends on the
 * WebSocket, what the server sends back. The same messages in AWS (API Gateway WebSocket API, route
 * selection `$request.body.action`) and locally (`npm start`, path `/ws`).
 *
 * Client → server:
 *   {"action": "subscribe", "workflow_id": "wf_…", "after": 12}   // replay events with seq > 12, then live
 *   {"action": "unsubscribe", "workflow_id": "wf_…"}
 * Server → client:
 *   {"type": "event", "workflow_id": "wf_…", "event": {"seq", "type", "at", "data"}, "truncated"?: true}
 *   {"type": "subscribed", "workflow_id": "wf_…", "replayed_through": 17}   // the replay is done
 *   {"type": "error", "workflow_id"?: "wf_…", "error": {"code", "message"}}
 *
 * Events may arrive twice (a replay overlapping live delivery, a retried stream batch) and, around a
 * subscribe, out of order: clients keep the events in `seq` order and drop seqs they have.
 */

export const subscribeMessageSchema = z.object({
  action: z.literal('subscribe'),
  workflow_id: workflowIdSchema,
  after: z._default(z.number().check(z.int(), z.nonnegative()), 0),
});
export const unsubscribeMessageSchema = z.object({
  action: z.literal('unsubscribe'),
  workflow_id: workflowIdSchema,
});
export const clientMessageSchema = z.discriminatedUnion('action', [
  subscribeMessageSchema,
  unsubscribeMessageSchema,
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/**
 * Largest message API Gateway accepts from PostToConnection is 128 KiB; an event bigger than this
 * (a large result) is sent without its `data`, marked `truncated`, and the client reads it from
 * `GET /workflows/{id}/events`.
 */
export const MAX_PUSH_MESSAGE_BYTES = 120 * 1024;

/** An event too large to push: sent without its `data`, which the client reads from the log. */
export type TruncatedEventBody = Omit<EventBody, 'data'> & { readonly data: Record<string, never> };

export type ServerMessage =
  | { type: 'event'; workflow_id: string; event: EventBody; truncated?: never }
  | { type: 'event'; workflow_id: string; event: TruncatedEventBody; truncated: true }
  | { type: 'subscribed'; workflow_id: string; replayed_through: number }
  | { type: 'error'; workflow_id?: string; error: { code: string; message: string } };

/** The wire form of a log event (the fields GET …/events serves), cut down when too large. */
export function eventMessage(event: WorkflowEvent): string {
  const pushed = toEventBody(event);
  const text = serverMessage({ type: 'event', workflow_id: event.workflow_id, event: pushed });
  if (Buffer.byteLength(text) <= MAX_PUSH_MESSAGE_BYTES) return text;
  return serverMessage({
    type: 'event',
    workflow_id: event.workflow_id,
    event: { seq: pushed.seq, type: pushed.type, at: pushed.at, data: {} },
    truncated: true,
  });
}

export function serverMessage(message: ServerMessage): string {
  return JSON.stringify(message);
}

/** Keys of the connections table (CONNECTIONS_TABLE, partition `pk`, sort `sk`). */
export const connectionKeys = {
  /** The connection and its owner. */
  connection: (connectionId: string) => ({ pk: `CONN#${connectionId}`, sk: 'META' }),
  /** A subscription, found by workflow: who gets an event of this workflow (one Query). */
  byWorkflow: (workflowId: string, connectionId: string) => ({
    pk: `WF#${workflowId}`,
    sk: `CONN#${connectionId}`,
  }),
  /** The same subscription, found by connection: what to forget when it closes. */
  byConnection: (connectionId: string, workflowId: string) => ({
    pk: `CONN#${connectionId}`,
    sk: `SUB#${workflowId}`,
  }),
} as const;
