import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEvent, appendEvents, createHead, type EventLogDeps, readEvents } from '#adapters/event-log.ts';
import { json } from '#middleware/http.ts';
import { getStatus } from '#usecases/get-status.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';
import { newEvent } from '../support/events.ts';

/*
 * The hot paths' cost, counted at the DynamoDB client against AWS's DynamoDB Local: an append and a
 * status poll cost the same at any length of the log; a silent workflow costs one DescribeExecution
 * per window however many clients poll; racing and crashing appenders leave the log gap-free and
 * exactly once.
 */

let dynamo: TestDynamo;
let deps: EventLogDeps;
const requests: string[] = [];
/** Fault injection at the client: before the request leaves, or after DynamoDB applied it. */
let fault: { when: 'before' | 'after'; command: string; times: number } | undefined;
let counter = 0;
const newWorkflowId = () => `wf_hotpaths${Date.now()}${String(++counter).padStart(4, '0')}`;

function instrument(client: DynamoDBDocumentClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      requests.push(name);
      if (fault && fault.command === name && fault.times > 0 && fault.when === 'before') {
        fault.times -= 1;
        throw Object.assign(new Error('socket hang up (injected before send)'), { name: 'TimeoutError' });
      }
      const result = await next(args);
      if (fault && fault.command === name && fault.times > 0 && fault.when === 'after') {
        fault.times -= 1;
        throw Object.assign(new Error('socket hang up (injected after DynamoDB applied it)'), {
          name: 'TimeoutError',
        });
      }
      return result;
    },
    { step: 'initialize', name: 'hotPathCounter' },
  );
}

beforeAll(async () => {
  dynamo = await startTestDynamo();
  instrument(dynamo.client);
  deps = { client: dynamo.client, tableName: dynamo.tables.eventLog, stateTable: dynamo.tables.state };
});
afterAll(async () => dynamo.stop());
beforeEach(() => {
  requests.length = 0;
  fault = undefined;
});

const step = (i: number) => newEvent(`StepSucceeded:s${i}`, 'StepSucceeded', { step_id: `s${i}` });

const expectGapFreeOnce = (events: { seq: number; event_id: string }[], ids: string[]) => {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events.map((e) => e.event_id).sort()).toEqual([...ids].sort());
};

describe('event log appends cost O(1)', () => {
  it('costs one GetItem and one TransactWriteItems per append at seq 1 and at seq 100', async () => {
    const id = newWorkflowId();
    const perAppend: string[][] = [];
    for (let i = 1; i <= 100; i += 1) {
      requests.length = 0;
      await appendEvent(deps, id, step(i));
      perAppend.push([...requests]);
    }
    expect(perAppend[0]).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
    expect(perAppend[99]).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
    expect(new Set(perAppend.map((r) => r.join()))).toEqual(
      new Set(['GetItemCommand,TransactWriteItemsCommand']),
    );
  });

  it('answers a replay with the stored seq at the same cost, writing nothing', async () => {
    const id = newWorkflowId();
    for (let i = 1; i <= 5; i += 1) await appendEvent(deps, id, step(i));
    requests.length = 0;
    const replay = await appendEvent(deps, id, step(2));
    expect(replay.seq).toBe(2);
    expect(requests).toEqual(['GetItemCommand', 'TransactWriteItemsCommand']);
    expect((await readEvents(deps, id)).length).toBe(5);
  });

  it.each([10, 25])(
    'keeps the log gap-free and exactly once under %i parallel appenders, replays included',
    async (n) => {
      const id = newWorkflowId();
      const ids = Array.from({ length: n }, (_, i) => `StepSucceeded:s${i}`);
      await Promise.all(
        [...ids, ...ids.slice(0, Math.ceil(n / 3))].map((eventId) =>
          appendEvent(deps, id, newEvent(eventId, 'StepSucceeded')),
        ),
      );
      expectGapFreeOnce(await readEvents(deps, id), ids);
    },
  );

  it.each([
    ['before the transaction reaches DynamoDB', 'before'],
    ['after DynamoDB applied the transaction (the answer is lost)', 'after'],
  ] as const)(
    'leaves no gap and no duplicate when an append crashes %s and is replayed',
    async (_case, when) => {
      const id = newWorkflowId();
      await appendEvents(deps, id, [step(1), step(2)]);
      fault = { when, command: 'TransactWriteItemsCommand', times: 1 };
      await expect(appendEvents(deps, id, [step(3), step(4)])).rejects.toThrow(/injected/);
      // The task is retried (Step Functions' Retry): the same events, the same ids.
      const replayed = await appendEvents(deps, id, [step(3), step(4)]);
      expect(replayed.map((e) => e.seq)).toEqual([3, 4]);
      await appendEvent(deps, id, step(5));
      expectGapFreeOnce(
        await readEvents(deps, id),
        [1, 2, 3, 4, 5].map((i) => `StepSucceeded:s${i}`),
      );
    },
  );

  it('leaves no gap when the head read fails mid-append and the task is retried', async () => {
    const id = newWorkflowId();
    await appendEvent(deps, id, step(1));
    fault = { when: 'before', command: 'GetItemCommand', times: 1 };
    await expect(appendEvent(deps, id, step(2))).rejects.toThrow(/injected/);
    await appendEvent(deps, id, step(2));
    expectGapFreeOnce(await readEvents(deps, id), ['StepSucceeded:s1', 'StepSucceeded:s2']);
  });
});

describe('status polls read the read model', () => {
  const sfn = new SFNClient({ region: 'us-east-1' });
  const sfnMock = mockClient(sfn);
  const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:workflow';
  const poll = (workflowId: string, now: Date, user = 'alice') =>
    getStatus(
      { userId: user, workflowId },
      {
        dynamo: dynamo.client,
        sfn,
        stateTable: dynamo.tables.state,
        stateMachineArn,
        staleAfterMs: 60_000,
        now: () => now,
      },
    ).then((body) => json(200, body));
  const started = async (events: number) => {
    const id = newWorkflowId();
    const createdAt = new Date();
    await createHead(deps, {
      workflow_id: id,
      user_id: 'alice',
      created_at: createdAt.toISOString(),
      goal: 'Book a flight to NYC',
      expires_at: Math.floor(Date.now() / 1000) + 3600,
    });
    await appendEvents(
      deps,
      id,
      Array.from({ length: events }, (_, i) => step(i + 1)),
    );
    return id;
  };

  beforeEach(() => {
    sfnMock.reset();
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', startDate: new Date() });
  });

  it.each([1, 100])('costs one GetItem and no Step Functions call with %i events logged', async (events) => {
    const id = await started(events);
    requests.length = 0;
    const answer = await poll(id, new Date(Date.now() + 5_000));
    expect(answer.statusCode).toBe(200);
    expect(requests).toEqual(['GetItemCommand']);
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('asks Step Functions once per window about a silent workflow, however many clients poll', async () => {
    const id = await started(3);
    const silent = new Date(Date.now() + 120_000);
    const answers = await Promise.all(Array.from({ length: 20 }, () => poll(id, silent)));
    expect(answers.every((a) => a.statusCode === 200)).toBe(true);
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
    // Later in the same window: nobody asks again.
    await Promise.all(Array.from({ length: 20 }, () => poll(id, new Date(silent.getTime() + 30_000))));
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
    // The next window: one more.
    await Promise.all(Array.from({ length: 20 }, () => poll(id, new Date(silent.getTime() + 61_000))));
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(2);
  });

  it("answers 404 for another user's workflow after one read", async () => {
    const id = await started(1);
    requests.length = 0;
    await expect(poll(id, new Date(), 'mallory')).rejects.toMatchObject({ statusCode: 404 });
    expect(requests).toEqual(['GetItemCommand']);
  });
});
