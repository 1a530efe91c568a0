import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BusEntry,
  chunkEntries,
  DEFAULT_EVENT_SOURCE,
  decodeRecord,
  dedupId,
  entrySize,
  MAX_REQUEST_BYTES,
  streamRecordSchema,
  toBusEntry,
  toDetail,
  truncateDetail,
  unmarshallImage,
} from '../../lambdas/domain/bus-events.ts';
import type { WorkflowEventType } from '../../lambdas/domain/schemas.ts';
import { DEFAULT_EVENT_SOURCE as CDK_DEFAULT_EVENT_SOURCE } from '../../lib/constructs/event-publishing.ts';
import { logEvent } from '../support/events.ts';

const options = { eventBusName: 'omnilink-bus', source: DEFAULT_EVENT_SOURCE };

const stepSucceeded = { step_id: 's1', tool: 'book_flight', output: { confirmation_code: 'ABC123' } };
const event = ({
  type = 'StepSucceeded',
  data = type === 'StepSucceeded' ? stepSucceeded : {},
  ...envelope
}: {
  type?: WorkflowEventType;
  data?: Record<string, unknown>;
  seq?: number;
  at?: string;
  event_id?: string;
} = {}) =>
  logEvent(type, data, {
    workflow_id: 'wf_busevents00001',
    seq: 3,
    event_id: 'StepSucceeded:s1',
    at: '2026-11-25T17:00:00.000Z',
    ...envelope,
  });

const entry = (detailBytes: number, overrides: Partial<BusEntry> = {}): BusEntry => ({
  EventBusName: 'b',
  Source: 's',
  DetailType: 'd',
  Detail: 'x'.repeat(detailBytes),
  Time: new Date(0),
  Resources: [],
  ...overrides,
});

describe('bus events: mapping a log event to a PutEvents entry', () => {
  it('uses the configured source, the event type as detail-type, the append time and no resources', () => {
    const mapped = toBusEntry(event(), options);
    expect(mapped).toMatchObject({
      EventBusName: 'omnilink-bus',
      Source: 'omnilink.orchestrator',
      DetailType: 'StepSucceeded',
      Resources: [],
    });
    expect(mapped.Time.toISOString()).toBe('2026-11-25T17:00:00.000Z');
  });

  it('carries workflow id, seq, event id, type, time, data and the de-duplication id in the detail', () => {
    expect(JSON.parse(toBusEntry(event(), options).Detail)).toEqual({
      dedup_id: 'wf_busevents00001#3',
      workflow_id: 'wf_busevents00001',
      seq: 3,
      event_id: 'StepSucceeded:s1',
      type: 'StepSucceeded',
      at: '2026-11-25T17:00:00.000Z',
      data: { step_id: 's1', tool: 'book_flight', output: { confirmation_code: 'ABC123' } },
    });
  });

  it('publishes no user id and nothing the log event does not hold', () => {
    const detail = toDetail(event());
    expect(Object.keys(detail).sort()).toEqual(
      ['at', 'data', 'dedup_id', 'event_id', 'seq', 'type', 'workflow_id'].sort(),
    );
  });

  it('gives the same event the same de-duplication id every time it is mapped', () => {
    expect(dedupId(event())).toBe(dedupId(event({ at: '2027-01-01T00:00:00.000Z' })));
    expect(dedupId(event({ seq: 4 }))).not.toBe(dedupId(event()));
  });

  it('falls back to the current time when the event time cannot be parsed', () => {
    const before = Date.now();
    expect(toBusEntry(event({ at: 'not a date' }), options).Time.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('keeps the source and detail-type the same whatever the data', () => {
    const completed = toBusEntry(
      event({ type: 'WorkflowCompleted', event_id: 'WorkflowCompleted' }),
      options,
    );
    expect(completed.DetailType).toBe('WorkflowCompleted');
    expect(completed.Source).toBe(DEFAULT_EVENT_SOURCE);
  });

  it('has the same default source as the CDK construct (the example rule matches it)', () => {
    expect(CDK_DEFAULT_EVENT_SOURCE).toBe(DEFAULT_EVENT_SOURCE);
  });
});

describe('bus events: events too large for EventBridge', () => {
  const huge = 'y'.repeat(300 * 1024);

  it('truncates data over 256 KiB, keeping small fields and naming the dropped ones', () => {
    const mapped = toBusEntry(
      event({
        type: 'PlanCreated',
        data: {
          plan: { steps: [{ id: 's1', tool: 'search_flights', input: { note: huge }, depends_on: [] }] },
          steps_total: 1,
        },
      }),
      options,
    );
    expect(entrySize(mapped)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    expect(JSON.parse(mapped.Detail)).toMatchObject({
      dedup_id: 'wf_busevents00001#3',
      seq: 3,
      data: { steps_total: 1, source: 'planner' },
      data_truncated: true,
      truncated_fields: ['plan'],
    });
  });

  it('empties data when even its small fields do not fit', () => {
    const detail = truncateDetail(toDetail(event()), 100);
    expect(detail.data).toEqual({});
    expect(detail.data_truncated).toBe(true);
    expect(detail.truncated_fields).toEqual(['step_id', 'tool', 'output']);
  });

  it('leaves events that fit untouched', () => {
    expect(JSON.parse(toBusEntry(event(), options).Detail).data_truncated).toBeUndefined();
  });
});

describe('bus events: entry size and chunking', () => {
  it('counts 14 bytes for the time and the UTF-8 bytes of the strings', () => {
    expect(entrySize(entry(3, { Source: 'é' }))).toBe(14 + 2 + 1 + 3 + 1);
  });

  it('splits into requests of at most 10 entries, in order', () => {
    const entries = Array.from({ length: 23 }, (_, i) => entry(1, { DetailType: `t${i}` }));
    const chunks = chunkEntries(entries);
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(chunks.flat()).toEqual(entries);
  });

  it('splits before a request would exceed 256 KiB', () => {
    const entries = [entry(100 * 1024), entry(100 * 1024), entry(100 * 1024)];
    expect(chunkEntries(entries).map((c) => c.length)).toEqual([2, 1]);
  });

  it('never exceeds either limit and never loses or reorders an entry (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 * 1024 }), { maxLength: 40 }), (sizes) => {
        const entries = sizes.map((size, i) => entry(size, { DetailType: `t${i}` }));
        const chunks = chunkEntries(entries);
        expect(chunks.flat()).toEqual(entries);
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(10);
          expect(chunk.reduce((sum, e) => sum + entrySize(e), 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('bus events: DynamoDB stream records', () => {
  const image = {
    workflow_id: { S: 'wf_busevents00001' },
    seq: { N: '3' },
    event_id: { S: 'StepSucceeded:s1' },
    type: { S: 'StepSucceeded' },
    at: { S: '2026-11-25T17:00:00.000Z' },
    data: {
      M: {
        step_id: { S: 's1' },
        tool: { S: 'book_flight' },
        output: {
          M: {
            retryable: { BOOL: false },
            nothing: { NULL: true },
            list: { L: [{ N: '1.5' }, { S: 'two' }] },
            tags: { SS: ['a', 'b'] },
          },
        },
      },
    },
    expires_at: { N: '1800000000' },
  };
  const record = (overrides: Record<string, unknown> = {}) =>
    streamRecordSchema.parse({
      eventID: '1',
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: { SequenceNumber: '100', NewImage: image, StreamViewType: 'NEW_IMAGE' },
      ...overrides,
    });

  it('unmarshalls attribute values', () => {
    expect(unmarshallImage(image).data).toEqual({
      step_id: 's1',
      tool: 'book_flight',
      output: { retryable: false, nothing: null, list: [1.5, 'two'], tags: ['a', 'b'] },
    });
  });

  it('decodes an INSERT into the log event (the TTL attribute dropped)', () => {
    const decoded = decodeRecord(record());
    expect(decoded.kind).toBe('event');
    if (decoded.kind !== 'event') return;
    expect(decoded.sequenceNumber).toBe('100');
    expect(decoded.event).toMatchObject({ workflow_id: 'wf_busevents00001', seq: 3, type: 'StepSucceeded' });
    expect(decoded.event).not.toHaveProperty('expires_at');
  });

  it('ignores MODIFY and REMOVE (TTL expiry is not a lifecycle event)', () => {
    expect(decodeRecord(record({ eventName: 'REMOVE' })).kind).toBe('ignored');
    expect(decodeRecord(record({ eventName: 'MODIFY' })).kind).toBe('ignored');
  });

  it('flags an INSERT whose image is not a log event', () => {
    const bad = record({ dynamodb: { SequenceNumber: '101', NewImage: { workflow_id: { S: 'nope' } } } });
    expect(decodeRecord(bad)).toMatchObject({ kind: 'invalid', sequenceNumber: '101' });
    const keysOnly = record({ dynamodb: { SequenceNumber: '102', Keys: {} } });
    expect(decodeRecord(keysOnly)).toMatchObject({ kind: 'invalid', sequenceNumber: '102' });
    // A log event whose data is not its type's shape is not published either.
    const wrongData = { ...image, data: { M: { step_id: { S: 's1' } } } };
    const wrong = record({ dynamodb: { SequenceNumber: '103', NewImage: wrongData } });
    expect(decodeRecord(wrong)).toMatchObject({ kind: 'invalid', sequenceNumber: '103' });
  });
});
