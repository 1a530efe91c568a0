import { readEventPage } from '#adapters/event-log.ts';
import { logger } from '#adapters/logger.ts';
import {
  type ConnectionsDeps,
  connectionOwner,
  deleteSubscription,
  putSubscription,
} from '#adapters/push-channel.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import { clientMessageSchema, eventMessage, serverMessage } from '#domain/push-protocol.ts';
import * as z from '#domain/zod.ts';

/**
 * The push channel's `subscribe` and `unsubscribe` messages. A subscribe for one of the caller's
 * workflows (another user's looks exactly like a missing one: `not_found`) records the subscription
 * first, then replays the log after `after` a page at a time (O(page) per Query), then says
 * `subscribed`. Events appended meanwhile are pushed live too (the stream consumer sees the
 * subscription): the client drops the seqs it has, so the overlap never duplicates and nothing falls
 * between replay and live.
 */

/** Events read per Query of the replay. */
export const REPLAY_PAGE = 100;

const messageEventSchema = z.object({
  requestContext: z.object({ connectionId: z.string().check(z.minLength(1)) }),
  body: z.nullish(z.string()),
});

/** The workflow a message is about, for correlation; undefined when the message names none. */
export function messageWorkflowId(event: unknown): string | undefined {
  const parsed = messageEventSchema.safeParse(event);
  try {
    const message = clientMessageSchema.safeParse(JSON.parse(parsed.data?.body ?? ''));
    return message.success ? message.data.workflow_id : undefined;
  } catch {
    return undefined;
  }
}

export interface SubscribeDeps {
  readonly dynamo: ConnectionsDeps['client'];
  readonly connections: ConnectionsDeps;
  readonly stateTable: string;
  readonly eventLogTable: string;
  /** Sends a message to a connection; false when it is gone. */
  readonly post: (connectionId: string, message: string) => Promise<boolean>;
  readonly now?: () => Date;
}

/** Answers a `subscribe` (replay, then live) or an `unsubscribe` message; errors go back on the connection. */
export async function onMessage(deps: SubscribeDeps, event: unknown): Promise<{ statusCode: number }> {
  const { requestContext, body } = z.parse(messageEventSchema, event);
  const { connectionId } = requestContext;
  const fail = async (code: string, message: string, workflowId?: string) => {
    await deps.post(
      connectionId,
      serverMessage({
        type: 'error',
        ...(workflowId ? { workflow_id: workflowId } : {}),
        error: { code, message },
      }),
    );
    return { statusCode: 200 };
  };
  let raw: unknown;
  try {
    raw = JSON.parse(body ?? '');
  } catch {
    return fail('invalid_request', 'the message is not JSON');
  }
  const parsed = clientMessageSchema.safeParse(raw);
  if (!parsed.success)
    return fail('invalid_request', 'expected {"action":"subscribe","workflow_id","after"?}');
  const message = parsed.data;

  if (message.action === 'unsubscribe') {
    await deleteSubscription(deps.connections, connectionId, message.workflow_id);
    return { statusCode: 200 };
  }

  const workflowId = message.workflow_id;
  const userId = await connectionOwner(deps.connections, connectionId);
  if (!userId) return fail('unauthorized', 'the connection is not authorized', workflowId);
  const record = await getOwnedWorkflowRecord(
    { client: deps.dynamo, tableName: deps.stateTable, ...(deps.now ? { now: deps.now } : {}) },
    workflowId,
    userId,
  );
  if (!record) return fail('not_found', 'no such workflow', workflowId);

  // Subscribe before reading: an event appended from now on is pushed live; one appended before is
  // in the replay (strongly consistent reads), and one in between is in both (de-duplicated by seq).
  await putSubscription(deps.connections, connectionId, workflowId);
  let after = message.after;
  for (;;) {
    const page = await readEventPage(
      { client: deps.dynamo, tableName: deps.eventLogTable },
      workflowId,
      after,
      REPLAY_PAGE,
    );
    for (const logged of page.events) {
      if (!(await deps.post(connectionId, eventMessage(logged)))) {
        // The client left during the replay: nothing more to send, nothing to keep.
        await deleteSubscription(deps.connections, connectionId, workflowId);
        return { statusCode: 200 };
      }
      after = logged.seq;
    }
    if (page.nextSeq === undefined) break;
  }
  await deps.post(
    connectionId,
    serverMessage({ type: 'subscribed', workflow_id: workflowId, replayed_through: after }),
  );
  logger.info('subscribed', { replayed_through: after, from: message.after });
  return { statusCode: 200 };
}
