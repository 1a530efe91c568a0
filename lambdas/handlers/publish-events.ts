import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import {
  type BusEntry,
  type DecodedRecord,
  decodeRecord,
  streamEventSchema,
  toBusEntry,
} from '#core/bus-events.ts';
import { type EventBusDeps, putEntries } from '#io/event-bus.ts';
import { eventBridge } from '#shared/clients.ts';
import { readEnv, required } from '#shared/config.ts';
import { logger } from '#shared/observability.ts';

/**
 * Publishes every event appended to the log to the event bus, at least once. Invoked by the event
 * log's DynamoDB stream (in AWS, an event-source mapping with ReportBatchItemFailures; locally, the
 * stream emulator in lib/local/event-stream.ts, with the same record shape).
 *
 * Entries PutEvents rejects are retried here (only those); records whose entries still fail are
 * returned as `batchItemFailures`, so Lambda retries from the first of them (and, past its retry
 * limit, sends the batch's description to the on-failure queue). Records already published may be
 * published again then: consumers de-duplicate on `detail.workflow_id` + `detail.seq`.
 */

export interface PublishDeps {
  readonly bus: EventBusDeps;
  readonly eventBusName: string;
  readonly source: string;
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

interface RecordEntry extends BusEntry {
  readonly sequenceNumber: string;
}

/** Maps the stream batch to entries, publishes them and reports the records that could not be. */
export async function publishRecords(deps: PublishDeps, payload: unknown): Promise<BatchResponse> {
  const { Records } = streamEventSchema.parse(payload);
  const decoded: DecodedRecord[] = Records.map(decodeRecord);
  const entries: RecordEntry[] = [];
  for (const record of decoded) {
    if (record.kind === 'event') {
      entries.push({ ...toBusEntry(record.event, deps), sequenceNumber: record.sequenceNumber });
    } else if (record.kind === 'invalid') {
      // Retrying cannot make it valid, and the log's writers never produce one: say so loudly, move on.
      logger.error('stream record is not a log event; not published', {
        sequence_number: record.sequenceNumber,
        reason: record.reason,
      });
    }
  }
  if (entries.length === 0) return { batchItemFailures: [] };

  const result = await putEntries(deps.bus, entries);
  for (const failure of result.failed) {
    logger.warn('event not published; the stream will deliver it again', {
      sequence_number: failure.entry.sequenceNumber,
      detail_type: failure.entry.DetailType,
      error_code: failure.errorCode,
      error_message: failure.errorMessage,
      attempts: failure.attempts,
    });
  }
  logger.info('published log events', {
    records: Records.length,
    published: result.published,
    failed: result.failed.length,
    attempts: result.attempts,
  });
  return {
    batchItemFailures: result.failed.map((failure) => ({ itemIdentifier: failure.entry.sequenceNumber })),
  };
}

const env = readEnv();

export const handler = middy(async (event: unknown) =>
  publishRecords(
    {
      bus: { client: eventBridge },
      eventBusName: required(env, 'EVENT_BUS_NAME'),
      source: env.EVENT_SOURCE,
    },
    event,
  ),
).use(injectLambdaContext(logger));
