import { type WorkflowEvent, workflowEventSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';

/*
 * From the event log to the event bus, as pure functions: DynamoDB-stream records → log events →
 * PutEvents entries → requests within EventBridge's limits. The handler (lambdas/handlers/
 * publish-events.ts) and the I/O (lambdas/adapters/event-bus.ts) wire these to AWS.
 */

/** `Source` of every lifecycle event unless EVENT_SOURCE says otherwise. */
export const DEFAULT_EVENT_SOURCE = 'omnilink.orchestrator';

/** PutEvents accepts at most 10 entries per request. */
export const MAX_ENTRIES_PER_REQUEST = 10;

/** PutEvents accepts at most 256 KiB per request (and so per entry), counted as {@link entrySize} does. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** Top-level `data` fields kept in a truncated detail must each serialize to at most this many bytes. */
export const TRUNCATED_FIELD_MAX_BYTES = 1024;

/**
 * The `detail` of a lifecycle event on the bus: the log event itself, plus `dedup_id`.
 * EventBridge has no idempotent PutEvents (a retried entry is a second event with a new id), so
 * consumers de-duplicate on `workflow_id` + `seq`, which `dedup_id` spells `<workflow_id>#<seq>`.
 */
export interface BusEventDetail {
  readonly dedup_id: string;
  readonly workflow_id: string;
  readonly seq: number;
  readonly event_id: string;
  readonly type: WorkflowEvent['type'];
  readonly at: string;
  readonly data: Record<string, unknown>;
  /** Present (true) when `data` was cut down to fit EventBridge's 256 KiB; the full event is in the log. */
  readonly data_truncated?: true;
  /** The `data` fields left out of a truncated detail. */
  readonly truncated_fields?: readonly string[];
}

/** A PutEvents entry (the SDK's `PutEventsRequestEntry`, with the fields this module always sets). */
export interface BusEntry {
  readonly EventBusName: string;
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Time: Date;
  readonly Resources: string[];
}

export interface BusEntryOptions {
  readonly eventBusName: string;
  readonly source: string;
}

/** `<workflow_id>#<seq>`: the stable identity of a log event, for consumers to de-duplicate on. */
export const dedupId = (event: Pick<WorkflowEvent, 'workflow_id' | 'seq'>): string =>
  `${event.workflow_id}#${event.seq}`;

/** The detail of a log event (no user id: the log holds none, and none is needed to subscribe). */
export function toDetail(event: WorkflowEvent): BusEventDetail {
  return {
    dedup_id: dedupId(event),
    workflow_id: event.workflow_id,
    seq: event.seq,
    event_id: event.event_id,
    type: event.type,
    at: event.at,
    data: event.data,
  };
}

/**
 * The PutEvents entry of a log event: `DetailType` = the event type, `Time` = when it was appended.
 * An entry that would exceed {@link MAX_REQUEST_BYTES} carries a truncated `data` (see
 * {@link truncateDetail}) rather than failing for ever.
 */
export function toBusEntry(event: WorkflowEvent, options: BusEntryOptions): BusEntry {
  const detail = toDetail(event);
  const entry = buildEntry(detail, options, event.at);
  if (entrySize(entry) <= MAX_REQUEST_BYTES) return entry;
  const envelope = entrySize({ ...entry, Detail: '' });
  return buildEntry(truncateDetail(detail, MAX_REQUEST_BYTES - envelope), options, event.at);
}

function buildEntry(detail: BusEventDetail, options: BusEntryOptions, at: string): BusEntry {
  const time = new Date(at);
  return {
    EventBusName: options.eventBusName,
    Source: options.source,
    DetailType: detail.type,
    Detail: JSON.stringify(detail),
    // An unparseable `at` would make the SDK fail the whole request: fall back to EventBridge's clock.
    Time: Number.isNaN(time.getTime()) ? new Date() : time,
    Resources: [],
  };
}

/**
 * Cuts `data` down so the serialized detail fits in `maxBytes`: top-level fields of at most
 * {@link TRUNCATED_FIELD_MAX_BYTES} (ids, codes, counts, error summaries) are kept, the rest are
 * named in `truncated_fields`; if even that is too large, `data` is emptied. Consumers that need the
 * whole event read it from `GET /workflows/{id}/events` (by `seq`).
 */
export function truncateDetail(detail: BusEventDetail, maxBytes: number): BusEventDetail {
  const kept: Record<string, unknown> = {};
  const dropped: string[] = [];
  for (const [key, value] of Object.entries(detail.data)) {
    if (byteLength(JSON.stringify(value) ?? '') <= TRUNCATED_FIELD_MAX_BYTES) kept[key] = value;
    else dropped.push(key);
  }
  const truncated: BusEventDetail = {
    ...detail,
    data: kept,
    data_truncated: true,
    truncated_fields: dropped,
  };
  if (byteLength(JSON.stringify(truncated)) <= maxBytes) return truncated;
  return { ...detail, data: {}, data_truncated: true, truncated_fields: Object.keys(detail.data) };
}

/**
 * The size EventBridge counts for an entry ("Calculating PutEvents event entry size"): 14 bytes for
 * `Time`, plus the UTF-8 bytes of `Source`, `DetailType`, `Detail` and each resource. The bus name
 * is counted too, as a margin.
 */
export function entrySize(entry: BusEntry): number {
  return (
    14 +
    byteLength(entry.Source) +
    byteLength(entry.DetailType) +
    byteLength(entry.Detail) +
    byteLength(entry.EventBusName) +
    entry.Resources.reduce((sum, resource) => sum + byteLength(resource), 0)
  );
}

/**
 * Splits entries, in order, into PutEvents requests of at most `maxEntries` entries and `maxBytes`
 * bytes. An entry larger than `maxBytes` on its own gets a request of its own (EventBridge will
 * reject it per entry; {@link toBusEntry} never builds one).
 */
export function chunkEntries<T extends BusEntry>(
  entries: readonly T[],
  maxEntries = MAX_ENTRIES_PER_REQUEST,
  maxBytes = MAX_REQUEST_BYTES,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (current.length > 0 && (current.length >= maxEntries || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

// --- DynamoDB stream records -------------------------------------------------------------------

/** A DynamoDB AttributeValue as it appears in a stream event's JSON (binary as base64). */
export type AttributeValue = {
  S?: string;
  N?: string;
  B?: string;
  BOOL?: boolean;
  NULL?: boolean;
  SS?: string[];
  NS?: string[];
  BS?: string[];
  L?: AttributeValue[];
  M?: Record<string, AttributeValue>;
};

const attributeValueSchema: z.ZodMiniType<AttributeValue> = z.lazy(() =>
  z.object({
    S: z.optional(z.string()),
    N: z.optional(z.string()),
    B: z.optional(z.string()),
    BOOL: z.optional(z.boolean()),
    NULL: z.optional(z.boolean()),
    SS: z.optional(z.array(z.string())),
    NS: z.optional(z.array(z.string())),
    BS: z.optional(z.array(z.string())),
    L: z.optional(z.array(attributeValueSchema)),
    M: z.optional(z.record(z.string(), attributeValueSchema)),
  }),
);

/** The parts of a DynamoDB stream record the publisher reads (Lambda's `DynamoDBRecord`). */
export const streamRecordSchema = z.object({
  eventID: z.optional(z.string()),
  eventName: z.optional(z.enum(['INSERT', 'MODIFY', 'REMOVE'])),
  dynamodb: z.object({
    SequenceNumber: z.string().check(z.minLength(1)),
    Keys: z.optional(z.record(z.string(), attributeValueSchema)),
    NewImage: z.optional(z.record(z.string(), attributeValueSchema)),
  }),
});
export type StreamRecord = z.infer<typeof streamRecordSchema>;

/** Lambda's `DynamoDBStreamEvent`. */
export const streamEventSchema = z.object({ Records: z.array(streamRecordSchema) });

/** AttributeValue → plain value (numbers as JS numbers, sets as arrays, binary as base64 text). */
export function unmarshallValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return unmarshallImage(value.M);
  if (value.L !== undefined) return value.L.map(unmarshallValue);
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return [...value.BS];
  return undefined;
}

/** A stream image (a map of AttributeValues) → a plain object. */
export function unmarshallImage(image: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([key, value]) => [key, unmarshallValue(value)]));
}

/** What a stream record means to the publisher. */
export type DecodedRecord =
  | { readonly kind: 'event'; readonly sequenceNumber: string; readonly event: WorkflowEvent }
  /** Not an append (MODIFY, REMOVE — e.g. TTL expiry): nothing to publish. */
  | { readonly kind: 'ignored'; readonly sequenceNumber: string; readonly reason: string }
  /** An INSERT whose image is not a log event: publishing it would publish garbage. */
  | { readonly kind: 'invalid'; readonly sequenceNumber: string; readonly reason: string };

/** Reads a stream record: only INSERTs with a NEW_IMAGE that is a valid log event are published. */
export function decodeRecord(record: StreamRecord): DecodedRecord {
  const sequenceNumber = record.dynamodb.SequenceNumber;
  if (record.eventName !== 'INSERT') {
    return { kind: 'ignored', sequenceNumber, reason: `eventName ${record.eventName ?? 'missing'}` };
  }
  const image = record.dynamodb.NewImage;
  if (!image) return { kind: 'invalid', sequenceNumber, reason: 'no NewImage (stream view type?)' };
  const parsed = workflowEventSchema.safeParse(unmarshallImage(image));
  if (!parsed.success) {
    return {
      kind: 'invalid',
      sequenceNumber,
      reason: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    };
  }
  return { kind: 'event', sequenceNumber, event: parsed.data };
}
