import type { DynamoDBBatchResponse } from 'aws-lambda';
import { type EventBusDeps, putEntries } from '#adapters/event-bus.ts';
import { logger } from '#adapters/logger.ts';
import {
  type BusEntry,
  type DecodedRecord,
  decodeRecord,
  streamEventSchema,
  toBusEntry,
} from '#domain/bus-events.ts';
import { emitMetrics, eventMetrics, type MetricsSink } from '#domain/metrics.ts';
import type { WorkflowEvent } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';

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
  /**
   * Where the business metrics of the published events go (outcomes, step failures,
   * compensations, plans by source, model tokens: lambdas/domain/metrics.ts).
   * @default - no metrics
   */
  readonly metrics?: MetricsSink;
}

interface RecordEntry extends BusEntry {
  readonly sequenceNumber: string;
  readonly event: WorkflowEvent;
}

/** Maps the stream batch to entries, publishes them and reports the records that could not be. */
export async function publishRecords(deps: PublishDeps, payload: unknown): Promise<DynamoDBBatchResponse> {
  const { Records } = z.parse(streamEventSchema, payload);
  const decoded: DecodedRecord[] = Records.map(decodeRecord);
  const entries: RecordEntry[] = [];
  for (const record of decoded) {
    if (record.kind === 'event') {
      entries.push({
        ...toBusEntry(record.event, deps),
        sequenceNumber: record.sequenceNumber,
        event: record.event,
      });
    } else if (record.kind === 'invalid') {
      // Retrying cannot make it valid, and the log's writers never produce one: say so loudly, move on.
      logger.error('stream record is not a log event; not published', {
        sequence_number: record.sequenceNumber,
        reason: record.reason,
      });
    }
  }
  if (entries.length === 0) {
    if (deps.metrics) emitMetrics(deps.metrics, eventMetrics([]));
    return { batchItemFailures: [] };
  }

  const result = await putEntries(deps.bus, entries);
  if (deps.metrics) {
    // Only what reached the bus: a failed record comes back and is counted then. A batch retried
    // after a partial failure re-publishes (and re-counts) the records after the first failed one.
    const failed = new Set(result.failed.map((failure) => failure.entry));
    emitMetrics(
      deps.metrics,
      eventMetrics(entries.filter((entry) => !failed.has(entry)).map((entry) => entry.event)),
    );
  }
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
