import { PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendEvent,
  appendEvents,
  type EventLogDeps,
  readEventPage,
  readEvents,
} from '#adapters/event-log.ts';
import type { WorkflowView } from '#domain/projection.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';
import { newEvent } from '../support/events.ts';

let dynamo: TestDynamo;
let deps: EventLogDeps;
let counter = 0;
const newWorkflowId = () => `wf_eventlogtest${String(++counter).padStart(6, '0')}`;

beforeAll(async () => {
  dynamo = await startTestDynamo();
  deps = { client: dynamo.client, tableName: dynamo.tables.eventLog, stateTable: dynamo.tables.state };
});
afterAll(async () => dynamo.stop());

const expectGapFree = (seqs: number[]) => expect(seqs).toEqual(seqs.map((_, i) => i + 1));

describe('event log (against DynamoDB Local)', () => {
  it('numbers events 1..n in append order', async () => {
    const id = newWorkflowId();
    await appendEvent(deps, id, newEvent('GoalReceived', 'GoalReceived', { goal: 'x' }));
    await appendEvent(deps, id, newEvent('PlanCreated', 'PlanCreated', {}));
    const events = await readEvents(deps, id);
    expect(events.map((e) => e.type)).toEqual(['GoalReceived', 'PlanCreated']);
    expectGapFree(events.map((e) => e.seq));
  });

  it('returns the stored event and writes nothing when an append is replayed', async () => {
    const id = newWorkflowId();
    const first = await appendEvent(deps, id, newEvent('StepStarted:s1', 'StepStarted', { step_id: 's1' }));
    await appendEvent(deps, id, newEvent('StepStarted:s2', 'StepStarted', { step_id: 's2' }));
    const replay = await appendEvent(deps, id, newEvent('StepStarted:s1', 'StepStarted', { step_id: 's1' }));
    expect(replay).toEqual(first);
    expect((await readEvents(deps, id)).length).toBe(2);
  });

  it('loses and duplicates nothing when parallel appenders race, replays included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 3 }),
        async (appenders, copies) => {
          const id = newWorkflowId();
          const ids = Array.from({ length: appenders }, (_, i) => `StepSucceeded:s${i}`);
          // every event is appended `copies` times concurrently, as retried tasks would
          await Promise.all(
            ids.flatMap((eventId) =>
              Array.from({ length: copies }, () =>
                appendEvent(deps, id, newEvent(eventId, 'StepSucceeded', {})),
              ),
            ),
          );
          const events = await readEvents(deps, id);
          expectGapFree(events.map((e) => e.seq));
          expect(events.map((e) => e.event_id).sort()).toEqual([...ids].sort());
        },
      ),
      { numRuns: 15 },
    );
  });

  it('appends a batch in order and pages through it', async () => {
    const id = newWorkflowId();
    await appendEvents(
      deps,
      id,
      Array.from({ length: 7 }, (_, i) => newEvent(`e${i}`, 'StepStarted', { step_id: `s${i}` })),
    );
    const first = await readEventPage(deps, id, 0, 3);
    expect(first.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(first.nextSeq).toBe(3);
    const rest = await readEventPage(deps, id, 3, 10);
    expect(rest.events.map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    expect(rest.nextSeq).toBeUndefined();
  });

  it('checks a precondition against the log it appends to, even when another append races it', async () => {
    const id = newWorkflowId();
    await appendEvent(deps, id, newEvent('GoalReceived', 'GoalReceived', {}));
    const closed = (view: WorkflowView) => {
      if (view.terminal?.type === 'WorkflowCompleted') throw new Error('closed');
    };
    // The terminal event and a guarded append race: whichever order they land in, the guarded one
    // never follows the terminal event.
    const results = await Promise.allSettled([
      appendEvent(deps, id, newEvent('WorkflowCompleted', 'WorkflowCompleted', {})),
      appendEvent(deps, id, newEvent('CancelRequested', 'CancelRequested', {}), { precondition: closed }),
    ]);
    const types = (await readEvents(deps, id)).map((e) => e.type);
    if (results[1]?.status === 'rejected') expect(types).toEqual(['GoalReceived', 'WorkflowCompleted']);
    else expect(types).toEqual(['GoalReceived', 'CancelRequested', 'WorkflowCompleted']);
    await expect(
      appendEvent(deps, id, newEvent('Late', 'CancelRequested', {}), { precondition: closed }),
    ).rejects.toThrow('closed');
  });

  it("refuses, on reading, a stored event whose data is not its type's shape", async () => {
    const id = newWorkflowId();
    await appendEvent(deps, id, newEvent('StepStarted:s1', 'StepStarted', { step_id: 's1' }));
    // Written behind the log's back: a StepSucceeded without its step (e.g. an old or foreign writer).
    await dynamo.client.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: {
          workflow_id: id,
          seq: 2,
          event_id: 'StepSucceeded:s1',
          type: 'StepSucceeded',
          at: 'x',
          data: {},
        },
      }),
    );
    await expect(readEvents(deps, id)).rejects.toThrow(/step_id/);
    await expect(readEventPage(deps, id, 1, 10)).rejects.toThrow();
    // The first event alone is still readable.
    expect((await readEventPage(deps, id, 0, 1)).events.map((e) => e.data)).toEqual([
      { step_id: 's1', tool: 'book_flight' },
    ]);
  });
});
