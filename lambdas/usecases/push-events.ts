import type { DynamoDBBatchResponse } from 'aws-lambda';
import { correlationKeys, logger } from '#adapters/logger.ts';
import { type ConnectionsDeps, deleteSubscription, subscribersOf } from '#adapters/push-channel.ts';
import { decodeRecord, streamEventSchema } from '#domain/bus-events.ts';
import { eventMessage } from '#domain/push-protocol.ts';
import { terminalEventTypes, type WorkflowEvent } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';

/**
 * The push channel's live half: a second consumer of the event log's stream (the bus publisher is
 * the first; a DynamoDB stream shard serves two readers at once). Per workflow in the batch it finds
 * the subscribers with one Query of the workflow's partition, then posts each event to each of them,
 * in seq order per connection: one PostToConnection per event and subscriber, whatever the log's
 * length. A gone connection loses its subscription; after the terminal event the workflow's
 * subscriptions are forgotten (nothing more will come).
 *
 * A post that fails otherwise (throttling) fails the batch from that record on (ReportBatchItemFailures):
 * the retry posts some events again, which clients drop by seq.
 */

export interface PushDeps {
  readonly connections: Omit<ConnectionsDeps, 'ttlHours'>;
  readonly post: (connectionId: string, message: string) => Promise<boolean>;
}

/** Posts the batch's events to their workflows' subscribers; reports the first record to deliver again. */
export async function pushRecords(deps: PushDeps, payload: unknown): Promise<DynamoDBBatchResponse> {
  const { Records } = z.parse(streamEventSchema, payload);
  const byWorkflow = new Map<string, { event: WorkflowEvent; sequenceNumber: string }[]>();
  for (const record of Records.map(decodeRecord)) {
    if (record.kind !== 'event') continue;
    const list = byWorkflow.get(record.event.workflow_id) ?? [];
    list.push({ event: record.event, sequenceNumber: record.sequenceNumber });
    byWorkflow.set(record.event.workflow_id, list);
  }
  // The batch's records in stream order: a failure is reported as the earliest failed record.
  const order = new Map(Records.map((record, index) => [record.dynamodb.SequenceNumber, index]));
  let firstFailure: string | undefined;
  let posts = 0;
  await Promise.all(
    [...byWorkflow].map(async ([workflowId, events]) => {
      const subscribers = await subscribersOf(deps.connections, workflowId);
      const terminal = events.some(({ event }) => terminalEventTypes.includes(event.type));
      await Promise.all(
        subscribers.map(async (connectionId) => {
          for (const { event, sequenceNumber } of events) {
            try {
              posts += 1;
              if (!(await deps.post(connectionId, eventMessage(event)))) {
                await deleteSubscription(deps.connections, connectionId, workflowId);
                return;
              }
            } catch (error) {
              // A batch spans workflows: this record's, with the keys correlated() would set.
              logger.warn('push failed; the stream will deliver the event again', {
                ...correlationKeys({ workflowId }),
                seq: event.seq,
                error,
              });
              if (
                firstFailure === undefined ||
                (order.get(sequenceNumber) ?? 0) < (order.get(firstFailure) ?? 0)
              ) {
                firstFailure = sequenceNumber;
              }
              return;
            }
          }
          if (terminal) await deleteSubscription(deps.connections, connectionId, workflowId);
        }),
      );
    }),
  );
  logger.info('pushed log events', { records: Records.length, workflows: byWorkflow.size, posts });
  return { batchItemFailures: firstFailure === undefined ? [] : [{ itemIdentifier: firstFailure }] };
}
